//! The replay's side of the store on PostgreSQL: the scope a replay of one client
//! starts from, saving what it derived, and what `ar check` compares.
//!
//! A replay reads its client whole (the contract allows a scope that starts earlier
//! than asked): every invoice, payment and correction, with nothing "before" to carry
//! in. What it saves is only what is dated from the date the write touched (the
//! replay is causal; `store::replay_each`).

use anyhow::Result;

use super::PgTxn;
use super::rows::{NOT_YET, allocation_kind, correction_kind, currency, later, small};
use crate::domain::Date;
use crate::engine::replay::{ReplayInvoice, ReplayPayment};
use crate::store::*;

/// The first day a DATE column holds that a ledger can use.
pub(super) const EARLIEST: Date = match Date::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => panic!("year 1 is a date"),
};

impl PgTxn<'_> {
    /// [`ReadTxn::replay_scope`].
    pub(super) fn scope(&mut self, client: ClientId, _from: Date) -> Result<ReplayScope> {
        self.settle()?;
        let mut payments = Vec::new();
        self.each(
            "SELECT id, date, currency, amount, invoice_id FROM payments WHERE client_id = $1 ORDER BY date, id",
            &[&client],
            |r| {
                payments.push(ReplayPayment {
                    id: r.get(0),
                    date: r.get(1),
                    currency: currency(r, 2)?,
                    amount: r.get(3),
                    invoice_id: r.get(4),
                    prior: None,
                });
                Ok(())
            },
        )?;
        let mut corrections = Vec::new();
        self.each(
            "SELECT id, kind, date, currency, amount, invoice_id, payment_id, after_payment, done
             FROM corrections WHERE client_id = $1 ORDER BY date, id",
            &[&client],
            |r| {
                corrections.push(ReplayCorrection {
                    id: r.get(0),
                    kind: correction_kind(r, 1)?,
                    date: r.get(2),
                    currency: currency(r, 3)?,
                    amount: r.get(4),
                    invoice_id: r.get(5),
                    payment_id: r.get(6),
                    after_payment: r.get(7),
                    stored_done: r.get(8),
                    prior_left: None,
                });
                Ok(())
            },
        )?;
        let any_void = self
            .one(
                "SELECT EXISTS (SELECT 1 FROM invoices WHERE client_id = $1 AND voided_on IS NOT NULL)",
                &[&client],
            )?
            .get::<_, bool>(0);
        let mut invoices = Vec::new();
        if !payments.is_empty() || !corrections.is_empty() || any_void {
            self.each(
                "SELECT id, number, currency, issue_date, due_date, amount, discount_bp, discount_days, void_from
                 FROM invoices WHERE client_id = $1 ORDER BY id",
                &[&client],
                |r| {
                    invoices.push(ReplayInvoice {
                        id: r.get(0),
                        number: r.get::<_, String>(1).into(),
                        currency: currency(r, 2)?,
                        issue_date: r.get(3),
                        due_date: r.get(4),
                        amount: r.get(5),
                        discount_bp: small(r, 6)?,
                        discount_days: small(r, 7)?,
                        paid_before: 0,
                        adjusted_before: 0,
                        noted_before: 0,
                        reopened_before: 0,
                        discounted_before: false,
                        closed_before: None,
                        void_from: r.get(8),
                    });
                    Ok(())
                },
            )?;
        }
        Ok(ReplayScope {
            from: Date::MIN,
            invoices,
            payments,
            corrections,
        })
    }

    /// [`ReadTxn::derived_state`].
    pub(super) fn stored_derived(&mut self, client: ClientId) -> Result<StoredDerived> {
        self.settle()?;
        let mut d = StoredDerived::default();
        for r in self.rows(
            "SELECT a.invoice_id, a.payment_id, a.note_id, a.correction_id, a.kind, a.date, a.amount, a.held
             FROM allocations a
             WHERE a.invoice_id IN (SELECT id FROM invoices WHERE client_id = $1)
                OR (a.invoice_id IS NULL AND a.correction_id IN (SELECT id FROM corrections WHERE client_id = $1))
             ORDER BY a.id",
            &[&client],
        )? {
            d.allocations.push(allocation(&r)?);
        }
        for r in self.rows(
            "SELECT id, settled, closed_on, number, voided_on IS NOT NULL, currency, closed_by_adjustment
             FROM invoices WHERE client_id = $1 ORDER BY id",
            &[&client],
        )? {
            d.invoices.push(StoredInvoiceState {
                state: InvoiceState {
                    id: r.get(0),
                    settled: r.get(1),
                    closed_on: later(&r, 2)?,
                    closed_by_adjustment: r.get(6),
                },
                number: r.get(3),
                void: r.get(4),
                currency: currency(&r, 5)?,
            });
        }
        for r in self.rows(
            "SELECT id, unapplied, applied_on, currency FROM payments WHERE client_id = $1 ORDER BY id",
            &[&client],
        )? {
            d.payments.push(StoredPaymentState {
                state: PaymentState {
                    id: r.get(0),
                    unapplied: r.get(1),
                    applied_on: later(&r, 2)?,
                },
                currency: currency(&r, 3)?,
            });
        }
        for r in self.rows(
            "SELECT id, done, unapplied, applied_on FROM corrections WHERE client_id = $1 ORDER BY id",
            &[&client],
        )? {
            d.corrections.push(StoredCorrectionState {
                id: r.get(0),
                done: r.get(1),
                unapplied: r.get(2),
                applied_on: later(&r, 3)?,
            });
        }
        for r in self.rows(
            "SELECT c.invoice_id, c.closed_on, c.reopened_on, c.by_adjustment FROM closings c
             JOIN invoices i ON i.id = c.invoice_id WHERE i.client_id = $1 ORDER BY c.invoice_id, c.closed_on",
            &[&client],
        )? {
            d.closings.push(Closing {
                invoice_id: r.get(0),
                closed_on: r.get(1),
                reopened_on: r.get(2),
                by_adjustment: r.get(3),
            });
        }
        Ok(d)
    }

    /// [`WriteTxn::save_replay`].
    pub(super) fn save(&mut self, client: ClientId, scope_from: Date, outcome: ReplayOutcome) -> Result<()> {
        self.settle()?;
        // `Date::MIN` (a replay from the beginning) is before the first DATE the server
        // has; the ledger holds nothing dated before year 1.
        let scope_from = scope_from.max(EARLIEST);
        // An invoice closed before the start kept its state (the replay is causal).
        let moving: Vec<&InvoiceState> = outcome
            .invoices
            .iter()
            .filter(|i| i.closed_on.is_none_or(|c| c >= scope_from))
            .collect();
        let ids: Vec<i64> = moving.iter().map(|i| i.id).collect();
        self.exec(
            "DELETE FROM allocations WHERE invoice_id = ANY($1) AND date >= $2",
            &[&ids, &scope_from],
        )?;
        if !outcome.corrections.is_empty() {
            self.exec(
                "DELETE FROM allocations WHERE invoice_id IS NULL AND date >= $2
                 AND correction_id IN (SELECT id FROM corrections WHERE client_id = $1)",
                &[&client, &scope_from],
            )?;
            for c in &outcome.corrections {
                self.exec(
                    "UPDATE corrections SET done = $2, unapplied = $3, applied_on = $4
                     WHERE id = $1 AND (done IS DISTINCT FROM $2 OR unapplied <> $3 OR applied_on <> $4)",
                    &[&c.id, &c.done, &c.unapplied, &c.applied_on.unwrap_or(NOT_YET)],
                )?;
            }
            self.exec(
                "DELETE FROM closings WHERE reopened_on >= $2
                 AND invoice_id IN (SELECT id FROM invoices WHERE client_id = $1)",
                &[&client, &scope_from],
            )?;
            for c in &outcome.closings {
                self.exec(
                    "INSERT INTO closings (invoice_id, closed_on, reopened_on, by_adjustment) VALUES ($1, $2, $3, $4)",
                    &[&c.invoice_id, &c.closed_on, &c.reopened_on, &c.by_adjustment],
                )?;
            }
        }
        self.insert_allocations(&outcome.allocations)?;
        // Only rows whose derived columns moved are written.
        let (settled, closed, by_adjustment): (Vec<i64>, Vec<Date>, Vec<bool>) = (
            moving.iter().map(|i| i.settled).collect(),
            moving.iter().map(|i| i.closed_on.unwrap_or(NOT_YET)).collect(),
            moving.iter().map(|i| i.closed_by_adjustment).collect(),
        );
        self.exec(
            "UPDATE invoices i SET settled = u.settled, closed_on = u.closed_on, closed_by_adjustment = u.by_adjustment
             FROM UNNEST($1::bigint[], $2::bigint[], $3::date[], $4::boolean[]) AS u(id, settled, closed_on, by_adjustment)
             WHERE i.id = u.id AND (i.settled <> u.settled OR i.closed_on <> u.closed_on
                OR i.closed_by_adjustment <> u.by_adjustment)",
            &[&ids, &settled, &closed, &by_adjustment],
        )?;
        let payments: Vec<&PaymentState> = outcome
            .payments
            .iter()
            .filter(|p| p.applied_on.is_none_or(|a| a >= scope_from))
            .collect();
        let ids: Vec<i64> = payments.iter().map(|p| p.id).collect();
        let unapplied: Vec<i64> = payments.iter().map(|p| p.unapplied).collect();
        let applied: Vec<Date> = payments.iter().map(|p| p.applied_on.unwrap_or(NOT_YET)).collect();
        self.exec(
            "UPDATE payments p SET unapplied = u.unapplied, applied_on = u.applied_on
             FROM UNNEST($1::bigint[], $2::bigint[], $3::date[]) AS u(id, unapplied, applied_on)
             WHERE p.id = u.id AND (p.unapplied <> u.unapplied OR p.applied_on <> u.applied_on)",
            &[&ids, &unapplied, &applied],
        )?;
        Ok(())
    }

    /// Insert allocations in their order (ids follow it), in one statement.
    pub(super) fn insert_allocations(&mut self, allocations: &[Allocation]) -> Result<()> {
        if allocations.is_empty() {
            return Ok(());
        }
        let invoice: Vec<Option<i64>> = allocations.iter().map(|a| a.invoice_id).collect();
        let payment: Vec<Option<i64>> = allocations.iter().map(|a| a.payment_id).collect();
        let note: Vec<Option<i64>> = allocations.iter().map(|a| a.note_id).collect();
        let correction: Vec<Option<i64>> = allocations.iter().map(|a| a.correction_id).collect();
        let kind: Vec<&str> = allocations.iter().map(|a| a.kind.as_str()).collect();
        let date: Vec<Date> = allocations.iter().map(|a| a.date).collect();
        let amount: Vec<i64> = allocations.iter().map(|a| a.amount).collect();
        let held: Vec<bool> = allocations.iter().map(|a| a.held).collect();
        self.exec(
            "INSERT INTO allocations (invoice_id, payment_id, note_id, correction_id, kind, date, amount, held)
             SELECT i, p, n, c, k, d, a, h FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::date[],
                 $7::bigint[], $8::boolean[]) WITH ORDINALITY AS u(i, p, n, c, k, d, a, h, o) ORDER BY o",
            &[&invoice, &payment, &note, &correction, &kind, &date, &amount, &held],
        )?;
        Ok(())
    }
}

fn allocation(r: &postgres::Row) -> Result<Allocation> {
    Ok(Allocation {
        invoice_id: r.get(0),
        payment_id: r.get(1),
        note_id: r.get(2),
        correction_id: r.get(3),
        kind: allocation_kind(r, 4)?,
        date: r.get(5),
        amount: r.get(6),
        held: r.get(7),
    })
}
