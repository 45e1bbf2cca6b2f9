//! Reading a client's state for the allocation replay and writing its outcome back.
//!
//! The rules themselves live in `engine::replay`; this file only moves rows.

use anyhow::Result;
use rusqlite::params;

use super::{Db, currency_column};
use crate::domain::Date;
use crate::engine::replay::{ReplayInvoice, ReplayOutcome, ReplayPayment};

impl Db<'_> {
    /// Forget the allocations of `client_id`'s payments dated on or after `from`:
    /// the replay rebuilds them. (An allocation carries its payment's date and goes to
    /// an invoice of the payment's client.)
    pub fn clear_allocations_from(&self, client_id: i64, from: Date) -> Result<()> {
        self.conn
            .prepare_cached(
                "DELETE FROM allocations WHERE invoice_id IN (SELECT id FROM invoices WHERE client_id = ?1) AND date >= ?2",
            )?
            .execute(params![client_id, from])?;
        Ok(())
    }

    /// The client's invoices that were still open just before `from` (after
    /// [`Db::clear_allocations_from`]), with what had been allocated to them by then.
    /// Invoices closed earlier cannot change, so a replay never reads them. `settled`
    /// still holds the pre-replay total: an invoice that had no allocation at all
    /// (most of a fresh import) skips the two sums.
    pub fn replay_invoices(&self, client_id: i64, from: Date) -> Result<Vec<ReplayInvoice<'static>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id, i.number, i.currency, i.issue_date, i.due_date, i.amount, i.discount_bp, i.discount_days,
                    CASE WHEN i.settled = 0 THEN 0 ELSE COALESCE((SELECT SUM(a.amount) FROM allocations a
                        WHERE a.invoice_id = i.id AND a.kind = 'payment'), 0) END,
                    CASE WHEN i.settled = 0 THEN 0 ELSE COALESCE((SELECT SUM(a.amount) FROM allocations a
                        WHERE a.invoice_id = i.id AND a.kind <> 'payment'), 0) END
             FROM invoices i WHERE i.client_id = ?1 AND i.closed_on >= ?2 AND i.voided_on IS NULL",
        )?;
        let rows = stmt.query_map(params![client_id, from], |r| {
            Ok(ReplayInvoice {
                id: r.get(0)?,
                number: r.get::<_, String>(1)?.into(),
                currency: currency_column(&r.get::<_, String>(2)?)?,
                issue_date: r.get(3)?,
                due_date: r.get(4)?,
                amount: r.get(5)?,
                discount_bp: r.get(6)?,
                discount_days: r.get(7)?,
                paid_before: r.get(8)?,
                adjusted_before: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The client's payments dated on or after `from`, in replay order.
    pub fn replay_payments(&self, client_id: i64, from: Date) -> Result<Vec<ReplayPayment>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, date, currency, amount, invoice_id FROM payments WHERE client_id = ?1 AND date >= ?2 ORDER BY date, id",
        )?;
        let rows = stmt.query_map(params![client_id, from], |r| {
            Ok(ReplayPayment {
                id: r.get(0)?,
                date: r.get(1)?,
                currency: currency_column(&r.get::<_, String>(2)?)?,
                amount: r.get(3)?,
                invoice_id: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Store a replay's allocations and the derived columns it recomputed.
    pub fn save_replay(&self, outcome: &ReplayOutcome) -> Result<()> {
        self.insert_allocations(&outcome.allocations)?;
        self.update_invoice_states(outcome.invoices.iter().cloned())?;
        self.update_payment_states(outcome.payments.iter().cloned())
    }
}
