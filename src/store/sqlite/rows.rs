//! The rows of whole-table reads: an invoice and a payment as a bulk load's picture
//! holds them (compact: a million of each are held) and as `ar check` reads them,
//! the front-to-back scans that fill them, and their replay inputs.

use anyhow::Result;
use rusqlite::Connection;

use super::columns::{currency_column, date_column, date_or_not_yet, optional_date_column};
use crate::domain::{Currency, Date};
use crate::engine::replay::{ReplayCorrection, ReplayInvoice, ReplayPayment};
use crate::internal;
use crate::store::ClientId;

/// An invoice as the picture holds it: compact (56 bytes), since a million are held.
#[derive(Clone)]
pub(super) struct StoredInvoice {
    pub(super) id: i64,
    pub(super) amount: i64,
    pub(super) settled: i64,
    pub(super) client_id: Client,
    pub(super) issue_date: Date,
    pub(super) due_date: Date,
    pub(super) closed_on: Later,
    /// The day its void takes effect ("not yet": not void).
    pub(super) void_from: Later,
    pub(super) discount_bp: u16,
    pub(super) discount_days: u16,
    pub(super) currency: Currency,
    pub(super) closed_by_adjustment: bool,
}

/// A payment as the picture holds it (48 bytes).
pub(super) struct StoredPayment {
    pub(super) id: i64,
    pub(super) amount: i64,
    pub(super) unapplied: i64,
    /// (Row ids start at 1: the niche keeps a million of these 8 bytes smaller.)
    pub(super) invoice_id: Option<std::num::NonZeroI64>,
    pub(super) client_id: Client,
    pub(super) date: Date,
    pub(super) applied_on: Later,
    pub(super) currency: Currency,
}

/// A client id in 4 bytes (a ledger with more than 4 billion clients is not bulk
/// loaded: see [`client_of`]).
pub(super) type Client = u32;

pub(super) fn client_of(id: ClientId) -> Result<Client> {
    Client::try_from(id).map_err(|_| internal!("client id {id} is too large for a bulk load").into())
}

/// A derived date that may be "not yet", in 4 bytes: `Date::MAX` (far beyond any
/// ledger date) stands for "not yet".
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Later(Date);

impl Later {
    pub(super) fn new(date: Option<Date>) -> Later {
        Later(date.unwrap_or(Date::MAX))
    }

    pub(super) fn get(self) -> Option<Date> {
        (self.0 != Date::MAX).then_some(self.0)
    }
}

const _COMPACT: () =
    assert!(std::mem::size_of::<StoredInvoice>() <= 56 && std::mem::size_of::<StoredPayment>() <= 48);

impl StoredInvoice {
    /// The invoice as a replay from the client's first entry takes it.
    pub(super) fn replay_invoice<'a>(
        &self,
        number: impl Into<std::borrow::Cow<'a, str>>,
    ) -> ReplayInvoice<'a> {
        ReplayInvoice {
            id: self.id,
            number: number.into(),
            currency: self.currency,
            issue_date: self.issue_date,
            due_date: self.due_date,
            amount: self.amount,
            paid_before: 0,
            adjusted_before: 0,
            discount_bp: u32::from(self.discount_bp),
            discount_days: u32::from(self.discount_days),
            void_from: self.void_from.get(),
            noted_before: 0,
            reopened_before: 0,
            discounted_before: false,
            closed_before: None,
        }
    }

    pub(super) fn void(&self) -> bool {
        self.void_from.get().is_some()
    }
}

impl StoredPayment {
    pub(super) fn replay_payment(&self) -> ReplayPayment {
        ReplayPayment {
            id: self.id,
            date: self.date,
            currency: self.currency,
            amount: self.amount,
            invoice_id: self.invoice_id.map(i64::from),
            prior: None,
        }
    }
}

/// Every invoice in id order, its number handed over separately (borrowed).
pub(super) fn scan_invoices(conn: &Connection, mut f: impl FnMut(StoredInvoice, &str)) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT id, client_id, amount, settled, issue_date, due_date, closed_on, discount_bp, discount_days,
                currency, void_from, number, closed_by_adjustment FROM invoices ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(
            StoredInvoice {
                id: r.get(0)?,
                client_id: client_of(r.get(1)?)?,
                amount: r.get(2)?,
                settled: r.get(3)?,
                issue_date: date_column(r.get_ref(4)?)?,
                due_date: date_column(r.get_ref(5)?)?,
                closed_on: Later::new(date_or_not_yet(r.get_ref(6)?.as_str()?)?),
                discount_bp: r.get(7)?,
                discount_days: r.get(8)?,
                currency: currency_column(r.get_ref(9)?.as_str()?)?,
                void_from: Later::new(optional_date_column(r.get_ref(10)?)?),
                closed_by_adjustment: r.get(12)?,
            },
            r.get_ref(11)?.as_str()?,
        );
    }
    Ok(())
}

/// Every payment with an id below `below`, in id order.
pub(super) fn scan_payments(conn: &Connection, below: i64, mut f: impl FnMut(StoredPayment)) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT id, client_id, amount, unapplied, invoice_id, date, applied_on, currency FROM payments
         WHERE id < ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([below])?;
    while let Some(r) = rows.next()? {
        f(StoredPayment {
            id: r.get(0)?,
            client_id: client_of(r.get(1)?)?,
            amount: r.get(2)?,
            unapplied: r.get(3)?,
            invoice_id: r.get::<_, Option<i64>>(4)?.and_then(std::num::NonZeroI64::new),
            date: date_column(r.get_ref(5)?)?,
            applied_on: Later::new(date_or_not_yet(r.get_ref(6)?.as_str()?)?),
            currency: currency_column(r.get_ref(7)?.as_str()?)?,
        });
    }
    Ok(())
}

/// The columns of [`replay_correction`], in order, over `corrections`.
pub(super) const REPLAY_CORRECTION_COLUMNS: &str =
    "id, kind, date, currency, amount, invoice_id, payment_id, after_payment, done";

/// A correction as the replay takes it, from [`REPLAY_CORRECTION_COLUMNS`] starting
/// at column `at`.
pub(super) fn replay_correction(r: &rusqlite::Row, at: usize) -> rusqlite::Result<ReplayCorrection> {
    Ok(ReplayCorrection {
        id: r.get(at)?,
        kind: super::txn::correction_kind_column(r.get_ref(at + 1)?)?,
        date: date_column(r.get_ref(at + 2)?)?,
        currency: currency_column(r.get_ref(at + 3)?.as_str()?)?,
        amount: r.get(at + 4)?,
        invoice_id: r.get(at + 5)?,
        payment_id: r.get(at + 6)?,
        after_payment: r.get(at + 7)?,
        stored_done: r.get(at + 8)?,
        prior_left: None,
    })
}
