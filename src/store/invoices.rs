//! Invoice rows.

use anyhow::Result;
use rusqlite::{OptionalExtension, Row, params};

use super::{DateText, Db, NOT_YET, currency_column, date_or_not_yet};
use crate::domain::entities::{AllocationKind, AllocationLine, Invoice, InvoiceStatus};
use crate::domain::{Currency, Date, LedgerError, Money, Terms};

pub(super) const INVOICE_COLUMNS: &str = "i.id, i.number, c.code, i.currency, i.issue_date, i.due_date, i.amount, i.settled, \
     i.terms_days, i.discount_bp, i.discount_days, i.description, i.closed_on, i.voided_on, i.void_reason, i.client_id";

/// An invoice to insert: the ledger has validated it and resolved defaults.
pub struct NewInvoiceRow<'a> {
    pub number: &'a str,
    pub client_id: i64,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: i64,
    pub terms: Terms,
    pub description: Option<&'a str>,
}

/// An invoice as a payment naming it sees it.
#[derive(Debug, Clone)]
pub struct InvoiceRef<'a> {
    pub id: i64,
    /// As stored (borrowed from a bulk load's directory).
    pub number: std::borrow::Cow<'a, str>,
    pub client_id: i64,
    pub currency: Currency,
    pub issue_date: Date,
    pub void: bool,
}

#[derive(Debug, Default, Clone)]
pub struct InvoiceFilter {
    pub client_id: Option<i64>,
    /// Only invoices with an open balance now (never void ones).
    pub open_only: bool,
}

pub(super) fn invoice_row(row: &Row) -> rusqlite::Result<(Invoice, i64)> {
    invoice_row_with(row, row.get(2)?)
}

/// An invoice from [`INVOICE_COLUMNS`] (or the same columns with anything in the
/// client position), named with `client`.
pub(super) fn invoice_row_with(row: &Row, client: String) -> rusqlite::Result<(Invoice, i64)> {
    let currency = currency_column(row.get_ref(3)?.as_str()?)?;
    let amount: i64 = row.get(6)?;
    let settled: i64 = row.get(7)?;
    let voided_on = match row.get_ref(13)? {
        rusqlite::types::ValueRef::Null => None,
        value => Some(super::date_column(value)?),
    };
    let closed_on = date_or_not_yet(row.get_ref(12)?.as_str()?)?;
    let status = match (voided_on, closed_on) {
        (Some(_), _) => InvoiceStatus::Void,
        (None, Some(_)) => InvoiceStatus::Paid,
        (None, None) => InvoiceStatus::Open,
    };
    let open = if voided_on.is_some() { 0 } else { amount - settled };
    let invoice = Invoice {
        id: row.get(0)?,
        number: row.get(1)?,
        client,
        currency,
        issue_date: super::date_column(row.get_ref(4)?)?,
        due_date: super::date_column(row.get_ref(5)?)?,
        amount: Money::new(amount, currency),
        settled: Money::new(settled, currency),
        open: Money::new(open, currency),
        terms: Terms {
            net_days: row.get(8)?,
            discount_bp: row.get(9)?,
            discount_days: row.get(10)?,
        },
        description: row.get(11)?,
        status,
        closed_on,
        voided_on,
        void_reason: row.get(14)?,
    };
    Ok((invoice, row.get(15)?))
}

impl Db<'_> {
    pub fn insert_invoice(&self, inv: &NewInvoiceRow) -> Result<i64> {
        self.with_hot(
            &self.hot.insert_invoice,
            "INSERT INTO invoices (number, client_id, currency, issue_date, due_date, amount, terms_days,
             discount_bp, discount_days, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            |stmt| {
                stmt.execute(params![
                    inv.number,
                    inv.client_id,
                    inv.currency.code(),
                    DateText::new(inv.issue_date),
                    DateText::new(inv.due_date),
                    inv.amount,
                    inv.terms.net_days,
                    inv.terms.discount_bp,
                    inv.terms.discount_days,
                    inv.description
                ])
            },
        )
        .map_err(|e| match e.sqlite_error_code() {
            // The unique index on number (any case) is the one duplicate check.
            Some(rusqlite::ErrorCode::ConstraintViolation) => {
                anyhow::Error::from(LedgerError::DuplicateInvoice(inv.number.to_string()))
            }
            _ => e.into(),
        })?;
        Ok(self.conn.last_insert_rowid())
    }

    /// What validating a payment needs of the invoice it names: no joins, no strings
    /// but the number (an import looks one up per row).
    pub fn invoice_ref(&self, number: &str) -> Result<Option<InvoiceRef<'static>>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, number, client_id, currency, issue_date, voided_on IS NOT NULL FROM invoices WHERE number = ?1",
            )?
            .query_row([number.trim()], |r| {
                Ok(InvoiceRef {
                    id: r.get(0)?,
                    number: std::borrow::Cow::Owned(r.get(1)?),
                    client_id: r.get(2)?,
                    currency: currency_column(r.get_ref(3)?.as_str()?)?,
                    issue_date: super::date_column(r.get_ref(4)?)?,
                    void: r.get(5)?,
                })
            })
            .optional()?)
    }

    pub fn invoice_number_taken(&self, number: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM invoices WHERE number = ?1")?
            .exists([number])?)
    }

    /// Find an invoice by number (case-insensitively), with its client id.
    pub fn find_invoice(&self, number: &str) -> Result<Option<(Invoice, i64)>> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.number = ?1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([number.trim()], invoice_row)
            .optional()?)
    }

    pub fn find_invoice_by_id(&self, id: i64) -> Result<Invoice> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.id = ?1"
        );
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], invoice_row)?.0)
    }

    /// Invoices in (issue date, entry) order.
    pub fn list_invoices(&self, filter: &InvoiceFilter) -> Result<Vec<Invoice>> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices i JOIN clients c ON c.id = i.client_id
             WHERE (?1 IS NULL OR i.client_id = ?1)
               AND (?2 = 0 OR (i.closed_on = '{NOT_YET}' AND i.voided_on IS NULL))
             ORDER BY i.issue_date, i.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![filter.client_id, filter.open_only], |r| {
            invoice_row(r).map(|(i, _)| i)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How an invoice was settled: every allocation, in date order.
    pub fn invoice_allocations(&self, invoice_id: i64, currency: Currency) -> Result<Vec<AllocationLine>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.number, a.payment_id, a.kind, a.date, a.amount FROM allocations a
             JOIN invoices i ON i.id = a.invoice_id WHERE a.invoice_id = ?1 ORDER BY a.date, a.id",
        )?;
        let rows = stmt.query_map([invoice_id], |r| allocation_line(r, currency))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn void_invoice(&self, invoice_id: i64, on: Date, reason: Option<&str>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE invoices SET voided_on = ?2, void_reason = ?3 WHERE id = ?1")?
            .execute(params![invoice_id, on, reason])?;
        Ok(())
    }

    /// Whether `client_id` has payments in `currency` dated on or after `date` that named
    /// no invoice: only those can reach an invoice issued on `date` (spec rule 2).
    /// Clients with at least one payment.
    pub fn clients_with_payments(&self) -> Result<hashbrown::HashSet<i64>> {
        let mut stmt = self.conn.prepare("SELECT DISTINCT client_id FROM payments")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn has_unnamed_payments_from(&self, client_id: i64, currency: Currency, date: Date) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM payments WHERE client_id = ?1 AND date >= ?2 AND invoice_id IS NULL AND currency = ?3 LIMIT 1",
            )?
            .exists(params![client_id, date, currency.code()])?)
    }
}

pub(super) fn allocation_line(r: &Row, currency: Currency) -> rusqlite::Result<AllocationLine> {
    let kind: String = r.get(2)?;
    Ok(AllocationLine {
        invoice: r.get(0)?,
        payment_id: r.get(1)?,
        kind: AllocationKind::parse(&kind).unwrap_or(AllocationKind::Payment),
        date: r.get(3)?,
        amount: Money::new(r.get(4)?, currency),
    })
}
