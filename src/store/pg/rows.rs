//! How values come out of PostgreSQL columns: currencies as codes, derived dates
//! with the "not yet" sentinel, terms as BIGINT, who entered an entry. Shared by the
//! reads (`read.rs`) and whatever else decodes rows.

use anyhow::Result;
use postgres::Row;

use crate::domain::entities::{AllocationKind, CorrectionKind, Entered};
use crate::domain::{Currency, Date, Terms};
use crate::internal;

/// Stored in place of a date for "not yet" (an open invoice's `closed_on`), as on
/// SQLite: it sorts after every real date, so "open at D" is `closed_on > D`.
pub(super) const NOT_YET: Date = match Date::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("9999-12-31 is a date"),
};

/// A currency column (a code this program wrote).
pub(super) fn currency(row: &Row, at: usize) -> Result<Currency> {
    Ok(Currency::parse(row.try_get::<_, &str>(at)?)?)
}

/// A currency column that may be NULL.
pub(super) fn optional_currency(row: &Row, at: usize) -> Result<Option<Currency>> {
    Ok(match row.try_get::<_, Option<&str>>(at)? {
        Some(code) => Some(Currency::parse(code)?),
        None => None,
    })
}

/// A derived date column: [`NOT_YET`] is `None`.
pub(super) fn later(row: &Row, at: usize) -> Result<Option<Date>> {
    let date: Date = row.try_get(at)?;
    Ok((date != NOT_YET).then_some(date))
}

/// A BIGINT column holding a count of days or basis points.
pub(super) fn small(row: &Row, at: usize) -> Result<u32> {
    let n: i64 = row.try_get(at)?;
    u32::try_from(n).map_err(|_| {
        internal!(
            "column {} holds {n}, which is out of range (0 to {})",
            row.columns()[at].name(),
            u32::MAX
        )
        .into()
    })
}

/// Terms from three columns (`terms_days, discount_bp, discount_days`) starting at
/// `at`.
pub(super) fn terms(row: &Row, at: usize) -> Result<Terms> {
    Ok(Terms {
        net_days: small(row, at)?,
        discount_bp: small(row, at + 1)?,
        discount_days: small(row, at + 2)?,
    })
}

/// Who entered it and when, from two columns (`b.entered_at, b.entered_by` of a
/// LEFT JOIN of batches) starting at `at`.
pub(super) fn entered(row: &Row, at: usize) -> Result<Option<Entered>> {
    let entered_at: Option<String> = row.try_get(at)?;
    let entered_by: Option<String> = row.try_get(at + 1)?;
    Ok(entered_at
        .zip(entered_by)
        .map(|(entered_at, entered_by)| Entered {
            entered_at,
            entered_by,
        }))
}

/// An allocation's kind, as the replay wrote it.
pub(super) fn allocation_kind(row: &Row, at: usize) -> Result<AllocationKind> {
    let text: &str = row.try_get(at)?;
    AllocationKind::parse(text).ok_or_else(|| internal!("unknown allocation kind `{text}`").into())
}

/// A correction's kind.
pub(super) fn correction_kind(row: &Row, at: usize) -> Result<CorrectionKind> {
    let text: &str = row.try_get(at)?;
    CorrectionKind::parse(text).ok_or_else(|| internal!("unknown correction kind `{text}`").into())
}
