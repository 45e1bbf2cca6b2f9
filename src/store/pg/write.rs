//! The writes of [`WriteTxn`], in PostgreSQL's SQL.

use anyhow::Result;

use super::PgTxn;
use super::bulk::Bulk;
use crate::domain::entities::Client;
use crate::domain::{Currency, Date};
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

impl WriteTxn for PgTxn<'_> {
    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        todo!("set_setting")
    }

    fn take_invoice_seq(&mut self) -> Result<u64> {
        todo!("take_invoice_seq")
    }

    fn lock_client(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        todo!("lock_client")
    }

    fn set_author(&mut self, author: Option<&Author>) -> Result<()> {
        todo!("set_author")
    }

    fn record_client_change(&mut self, change: &ClientChange) -> Result<()> {
        todo!("record_client_change")
    }

    fn insert_correction(&mut self, correction: &NewCorrectionRow) -> Result<CorrectionId> {
        todo!("insert_correction")
    }

    fn insert_client(&mut self, client: &Client) -> Result<ClientId> {
        todo!("insert_client")
    }

    fn update_client(&mut self, client: &Client) -> Result<()> {
        todo!("update_client")
    }

    fn insert_invoice(&mut self, invoice: &NewInvoiceRow) -> Result<InvoiceId> {
        todo!("insert_invoice")
    }

    fn void_invoice(&mut self, id: InvoiceId, from: Date, given_on: Date, reason: Option<&str>) -> Result<()> {
        todo!("void_invoice")
    }

    fn insert_payment(&mut self, payment: &NewPaymentRow) -> Result<PaymentId> {
        todo!("insert_payment")
    }

    fn similar_payments(&mut self, key: &PaymentKey) -> Result<u64> {
        todo!("similar_payments")
    }

    fn find_import(&mut self, digest: &str) -> Result<Option<ImportRecord>> {
        todo!("find_import")
    }

    fn record_import(&mut self, record: &ImportRecord) -> Result<()> {
        todo!("record_import")
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
        this.tx.commit().map_err(|e| super::explain(e.into(), this.address))
    }
}
