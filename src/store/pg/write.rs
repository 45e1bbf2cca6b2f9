//! The writes of [`WriteTxn`], in PostgreSQL's SQL.

use anyhow::Result;

use super::PgTxn;
use super::bulk::Bulk;
use crate::domain::entities::Client;
use crate::domain::{Currency, Date, LedgerError};
use crate::store::*;

/// What a write transaction keeps besides its connection.
pub(in crate::store::pg) struct WriteState {
    /// Bulk mode (see `bulk.rs`), while it lasts.
    pub(in crate::store::pg) bulk: Option<Bulk>,
    /// The batch the entries written now belong to (see `set_author`), and the
    /// batches this transaction made, by author.
    pub(in crate::store::pg) batch: Option<i64>,
    pub(in crate::store::pg) batches: std::collections::HashMap<Author, i64>,
}

impl WriteState {
    pub(in crate::store::pg) fn new(bulk: Option<Bulk>) -> WriteState {
        WriteState {
            bulk,
            batch: None,
            batches: std::collections::HashMap::new(),
        }
    }
}

impl PgTxn<'_> {
    /// The write transaction's state (a read has none: it never writes).
    fn state(&mut self) -> &mut WriteState {
        self.write.get_or_insert_with(|| WriteState::new(None))
    }

    /// Bulk mode's insert of a client, if bulk mode is on (see `bulk.rs`).
    fn bulk_insert_client(&mut self, _c: &Client, _batch: Option<i64>) -> Result<Option<ClientId>> {
        Ok(None)
    }

    /// Bulk mode's insert of an invoice, if bulk mode is on.
    fn bulk_insert_invoice(
        &mut self,
        _inv: &NewInvoiceRow,
        _batch: Option<i64>,
    ) -> Result<Option<InvoiceId>> {
        Ok(None)
    }

    /// Bulk mode's insert of a payment, if bulk mode is on.
    fn bulk_insert_payment(&mut self, _p: &NewPaymentRow, _batch: Option<i64>) -> Result<Option<PaymentId>> {
        Ok(None)
    }

    /// Bulk mode's count of similar payments, if bulk mode is on.
    fn bulk_similar_payments(&mut self, _key: &PaymentKey) -> Option<u64> {
        None
    }
}

impl WriteTxn for PgTxn<'_> {
    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.exec(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn take_invoice_seq(&mut self) -> Result<u64> {
        // One statement that reads, advances and locks the row: two writers at once
        // never take the same value (the second waits for the first to end).
        let row = self.one(
            "INSERT INTO settings (key, value) VALUES ('next_invoice_seq', '2')
             ON CONFLICT (key) DO UPDATE SET value = (settings.value::bigint + 1)::text
             RETURNING value::bigint - 1",
            &[],
        )?;
        let taken: i64 = row.get(0);
        Ok(u64::try_from(taken).map_err(|_| crate::internal!("next_invoice_seq is {taken}"))?)
    }

    fn lock_client(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        self.settle()?;
        let key = code.trim().to_ascii_lowercase();
        // The row lock first; then the client as it stands after any writer that held it.
        let Some(row) = self.row(
            "SELECT id FROM clients WHERE lower(code) = $1 FOR NO KEY UPDATE",
            &[&key],
        )?
        else {
            return Ok(None);
        };
        self.client_by_id(row.get(0), limit_currency)
    }

    fn set_author(&mut self, author: Option<&Author>) -> Result<()> {
        let Some(author) = author else {
            self.state().batch = None;
            return Ok(());
        };
        if let Some(&id) = self.state().batches.get(author) {
            self.state().batch = Some(id);
            return Ok(());
        }
        let id: i64 = self
            .one(
                "INSERT INTO batches (entered_at, entered_by, command) VALUES ($1, $2, $3) RETURNING id",
                &[&author.entered_at, &author.entered_by, &author.command],
            )?
            .get(0);
        let state = self.state();
        state.batches.insert(author.clone(), id);
        state.batch = Some(id);
        Ok(())
    }

    fn record_client_change(&mut self, change: &ClientChange) -> Result<()> {
        self.settle()?;
        let batch = self
            .state()
            .batch
            .ok_or_else(|| crate::internal!("a client change without an author"))?;
        self.exec(
            "INSERT INTO client_changes (batch, client_id, field, old, new) VALUES ($1, $2, $3, $4, $5)",
            &[&batch, &change.client_id, &change.field, &change.old, &change.new],
        )?;
        Ok(())
    }

    fn insert_correction(&mut self, c: &NewCorrectionRow) -> Result<CorrectionId> {
        self.settle()?;
        let after_payment: i64 = match c.after_payment {
            Some(id) => id,
            None => self.one("SELECT COALESCE(MAX(id), 0) FROM payments", &[])?.get(0),
        };
        let batch = self.state().batch;
        let row = self.row(
            "INSERT INTO corrections (kind, client_id, currency, date, amount, invoice_id, payment_id,
             after_payment, reason, reference, batch, unapplied, applied_on)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $4)
             ON CONFLICT (payment_id) WHERE kind = 'reversal' DO NOTHING RETURNING id",
            &[
                &c.kind.as_str(),
                &c.client_id,
                &c.currency.code(),
                &c.date,
                &c.amount,
                &c.invoice_id,
                &c.payment_id,
                &after_payment,
                &c.reason,
                &c.reference,
                &batch,
            ],
        )?;
        match row {
            Some(r) => Ok(r.get(0)),
            None => Err(LedgerError::AlreadyReversed {
                payment: c.payment_id.unwrap_or_default(),
                on: "an earlier date".to_string(),
            }
            .into()),
        }
    }

    fn insert_client(&mut self, c: &Client) -> Result<ClientId> {
        let batch = self.state().batch;
        if let Some(id) = self.bulk_insert_client(c, batch)? {
            return Ok(id);
        }
        let row = self.row(
            "INSERT INTO clients (code, name, email, credit_limit, terms_days, discount_bp, discount_days, batch)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT ((lower(code))) DO NOTHING RETURNING id",
            &[
                &c.code,
                &c.name,
                &c.email,
                &c.credit_limit.map(|m| m.minor),
                &i64::from(c.terms.net_days),
                &i64::from(c.terms.discount_bp),
                &i64::from(c.terms.discount_days),
                &batch,
            ],
        )?;
        match row {
            Some(r) => Ok(r.get(0)),
            None => Err(LedgerError::DuplicateClient { code: c.code.clone() }.into()),
        }
    }

    fn update_client(&mut self, c: &Client) -> Result<()> {
        self.settle()?;
        self.exec(
            "UPDATE clients SET name = $2, email = $3, credit_limit = $4, terms_days = $5, discount_bp = $6,
             discount_days = $7 WHERE id = $1",
            &[
                &c.id,
                &c.name,
                &c.email,
                &c.credit_limit.map(|m| m.minor),
                &i64::from(c.terms.net_days),
                &i64::from(c.terms.discount_bp),
                &i64::from(c.terms.discount_days),
            ],
        )?;
        Ok(())
    }

    fn insert_invoice(&mut self, inv: &NewInvoiceRow) -> Result<InvoiceId> {
        let batch = self.state().batch;
        if let Some(id) = self.bulk_insert_invoice(inv, batch)? {
            return Ok(id);
        }
        // The unique index on lower(number) is the duplicate check; ON CONFLICT waits
        // for a concurrent insert of the same number and refuses without aborting
        // the transaction.
        let row = self.row(
            "INSERT INTO invoices (number, client_id, currency, issue_date, due_date, amount, terms_days,
             discount_bp, discount_days, description, batch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT ((lower(number))) DO NOTHING RETURNING id",
            &[
                &inv.number,
                &inv.client_id,
                &inv.currency.code(),
                &inv.issue_date,
                &inv.due_date,
                &inv.amount,
                &i64::from(inv.terms.net_days),
                &i64::from(inv.terms.discount_bp),
                &i64::from(inv.terms.discount_days),
                &inv.description,
                &batch,
            ],
        )?;
        match row {
            Some(r) => Ok(r.get(0)),
            None => Err(LedgerError::DuplicateInvoice {
                number: inv.number.to_string(),
            }
            .into()),
        }
    }

    fn void_invoice(
        &mut self,
        id: InvoiceId,
        from: Date,
        given_on: Date,
        reason: Option<&str>,
    ) -> Result<()> {
        self.settle()?;
        let batch = self.state().batch;
        self.exec(
            "UPDATE invoices SET voided_on = $2, void_from = $5, void_reason = $3, void_batch = $4 WHERE id = $1",
            &[&id, &given_on, &reason, &batch, &from],
        )?;
        Ok(())
    }

    fn insert_payment(&mut self, p: &NewPaymentRow) -> Result<PaymentId> {
        let batch = self.state().batch;
        if let Some(id) = self.bulk_insert_payment(p, batch)? {
            return Ok(id);
        }
        // Applied in full on its date until the replay in the same transaction says
        // otherwise.
        Ok(self
            .one(
                "INSERT INTO payments (client_id, currency, date, amount, invoice_id, reference, unapplied, applied_on, batch)
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $3, $7) RETURNING id",
                &[
                    &p.client_id,
                    &p.currency.code(),
                    &p.date,
                    &p.amount,
                    &p.invoice_id,
                    &p.reference,
                    &batch,
                ],
            )?
            .get(0))
    }

    fn similar_payments(&mut self, key: &PaymentKey) -> Result<u64> {
        if let Some(n) = self.bulk_similar_payments(key) {
            return Ok(n);
        }
        self.settle()?;
        let n: i64 = self
            .one(
                "SELECT count(*) FROM payments WHERE client_id = $1 AND date = $2 AND currency = $3 AND amount = $4
                 AND reference IS NOT DISTINCT FROM $5::text",
                &[&key.client_id, &key.date, &key.currency.code(), &key.amount, &key.reference],
            )?
            .get(0);
        Ok(n.unsigned_abs())
    }

    fn find_import(&mut self, digest: &str) -> Result<Option<ImportRecord>> {
        let row = self.row(
            "SELECT digest, kind, file, rows, imported_at FROM imports WHERE digest = $1 ORDER BY id DESC LIMIT 1",
            &[&digest],
        )?;
        Ok(row.map(|r| ImportRecord {
            digest: r.get(0),
            kind: r.get(1),
            file: r.get(2),
            rows: r.get::<_, i64>(3).unsigned_abs(),
            imported_at: r.get(4),
        }))
    }

    fn record_import(&mut self, record: &ImportRecord) -> Result<()> {
        let rows = i64::try_from(record.rows).map_err(|_| crate::internal!("{} rows", record.rows))?;
        self.exec(
            "INSERT INTO imports (digest, kind, file, rows, imported_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                &record.digest,
                &record.kind,
                &record.file,
                &rows,
                &record.imported_at,
            ],
        )?;
        Ok(())
    }

    fn save_replay(&mut self, client: ClientId, scope_from: Date, outcome: ReplayOutcome) -> Result<()> {
        self.save(client, scope_from, outcome)
    }

    fn replay_clients(&mut self, plan: &[(ClientId, Date)], replay: &ReplayFn<'_>) -> Result<()> {
        if self.write.as_ref().is_some_and(|w| w.bulk.is_some()) {
            return self.bulk_replay(plan, replay);
        }
        replay_each(self, plan, replay)
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let mut this = *self;
        this.settle()?;
        this.tx
            .commit()
            .map_err(|e| super::explain(e.into(), this.address))
    }
}
