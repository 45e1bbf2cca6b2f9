//! Payment rows.

use anyhow::Result;
use rusqlite::{Row, params};

use super::bulk::StoredPayment;
use super::invoices::allocation_line;
use super::{DateText, Db, currency_column};
use crate::domain::entities::{AllocationLine, Payment};
use crate::domain::{Currency, Date, Money};

pub struct NewPaymentRow<'a> {
    pub client_id: i64,
    pub currency: Currency,
    pub date: Date,
    pub amount: i64,
    pub invoice_id: Option<i64>,
    pub reference: Option<&'a str>,
}

#[derive(Debug, Default, Clone)]
pub struct PaymentFilter {
    pub client_id: Option<i64>,
    /// Only payments that still hold unapplied credit.
    pub with_credit: bool,
}

pub(super) const PAYMENT_COLUMNS: &str =
    "p.id, c.code, p.currency, p.date, p.amount, i.number, p.reference, p.unapplied";

pub(super) fn payment_row(r: &Row) -> rusqlite::Result<Payment> {
    payment_row_with(r, r.get(1)?, r.get(5)?)
}

/// A payment from [`PAYMENT_COLUMNS`] (or the same columns with anything in the
/// client and invoice positions), named with `client` and `invoice`.
pub(super) fn payment_row_with(
    r: &Row,
    client: String,
    invoice: Option<String>,
) -> rusqlite::Result<Payment> {
    let currency = currency_column(r.get_ref(2)?.as_str()?)?;
    Ok(Payment {
        id: r.get(0)?,
        client,
        currency,
        date: super::date_column(r.get_ref(3)?)?,
        amount: Money::new(r.get(4)?, currency),
        invoice,
        reference: r.get(6)?,
        unapplied: Money::new(r.get(7)?, currency),
    })
}

impl Db<'_> {
    /// Insert a payment; returns it as [`Db::scan_payments`] would read it back.
    pub fn insert_payment(&self, p: &NewPaymentRow) -> Result<StoredPayment> {
        // Inserted as applied in full on its date, as most payments turn out to be:
        // the replay that follows in the same transaction corrects the others (and a
        // bulk load's replay then rewrites only those).
        self.with_hot(
            &self.hot.insert_payment,
            "INSERT INTO payments (client_id, currency, date, amount, invoice_id, reference, unapplied, applied_on)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?3)",
            |stmt| {
                stmt.execute(params![
                    p.client_id,
                    p.currency.code(),
                    DateText::new(p.date),
                    p.amount,
                    p.invoice_id,
                    p.reference
                ])
            },
        )?;
        Ok(StoredPayment {
            id: self.conn.last_insert_rowid(),
            client_id: p.client_id,
            amount: p.amount,
            unapplied: 0,
            invoice_id: p.invoice_id.and_then(std::num::NonZeroI64::new),
            date: p.date,
            applied_on: Some(p.date),
            currency: p.currency,
        })
    }

    /// Payments in (date, entry) order: the order the replay applies them.
    pub fn list_payments(&self, filter: &PaymentFilter) -> Result<Vec<Payment>> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id
             WHERE (?1 IS NULL OR p.client_id = ?1) AND (?2 = 0 OR p.unapplied > 0)
             ORDER BY p.date, p.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![filter.client_id, filter.with_credit], payment_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn payment(&self, id: i64) -> Result<Payment> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.id = ?1"
        );
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], payment_row)?)
    }

    /// Where a payment went, in allocation order.
    pub fn payment_allocations(&self, payment_id: i64, currency: Currency) -> Result<Vec<AllocationLine>> {
        let mut stmt = self.conn.prepare_cached(
            // Through the client's invoices and the payment's date (allocations_invoice):
            // allocations are indexed by payment only for payments holding credit.
            "SELECT i.number, a.payment_id, a.kind, a.date, a.amount FROM payments p
             JOIN invoices i ON i.client_id = p.client_id
             JOIN allocations a ON a.invoice_id = i.id AND a.date = p.date AND a.payment_id = p.id
             WHERE p.id = ?1 ORDER BY a.id",
        )?;
        let rows = stmt.query_map([payment_id], |r| allocation_line(r, currency))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Payments of a client dated on or after `date`, other than `except`: the ones a
    /// back-dated entry re-allocates.
    pub fn count_payments_after(&self, client_id: i64, date: Date, except: i64) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM payments WHERE client_id = ?1 AND date > ?2 AND id <> ?3")?
            .query_row(params![client_id, date, except], |r| r.get(0))?)
    }
}
