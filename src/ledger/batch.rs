//! Many writes in one transaction, with the allocation replay done once per client at
//! the end instead of after every entry. What `ar demo` and bulk import write through;
//! validation is the same code single commands use.

use std::collections::HashMap;

use anyhow::Result;

use super::clients::add_client;
use super::invoices::add_invoice;
use super::payments::record_payment;
use super::{Ledger, NewClient, NewInvoice, NewPayment, Settings, replay_client};
use crate::domain::Date;
use crate::domain::entities::Client;
use crate::store::{Db, DroppedIndexes};

pub struct Batch<'a, 'c> {
    db: &'a Db<'c>,
    settings: Settings,
    /// Client id → the earliest date its allocations must be replayed from.
    replay_from: HashMap<i64, Date>,
    /// Report indexes dropped for a bulk load, rebuilt by `finish`.
    dropped: Option<DroppedIndexes>,
}

impl Ledger {
    /// Run `f` as one transaction: all of it is written, or (on any error) none of it.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Batch) -> Result<T>) -> Result<T> {
        let settings = self.settings;
        self.store.write(|db| {
            let mut batch = Batch {
                db,
                settings,
                replay_from: HashMap::new(),
                dropped: None,
            };
            let value = f(&mut batch)?;
            batch.finish()?;
            Ok(value)
        })
    }
}

impl Batch<'_, '_> {
    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn add_client(&mut self, new: NewClient) -> Result<Client> {
        add_client(self.db, self.settings.currency, self.settings.terms, new)
    }

    pub fn add_invoice(&mut self, new: NewInvoice) -> Result<i64> {
        let added = add_invoice(self.db, self.settings.currency, new)?;
        if let Some(from) = added.replay_from {
            self.mark(added.client_id, from);
        }
        Ok(added.id)
    }

    pub fn record_payment(&mut self, new: NewPayment) -> Result<i64> {
        let (id, client_id, date) = record_payment(self.db, self.settings.currency, new)?;
        self.mark(client_id, date);
        Ok(id)
    }

    /// Load many rows fast: report indexes are dropped now and rebuilt at the end of
    /// the batch (same transaction, so a failed load leaves them as they were).
    pub fn enter_bulk_mode(&mut self) -> Result<()> {
        if self.dropped.is_none() {
            self.dropped = Some(self.db.drop_report_indexes()?);
        }
        Ok(())
    }

    pub(crate) fn mark_demo(&self) -> Result<()> {
        self.db.set_setting(super::KEY_DEMO, "1")
    }

    /// Continue the ledger's invoice sequence from `next` (after numbered entries).
    pub(crate) fn set_next_invoice_seq(&self, next: u64) -> Result<()> {
        self.db.set_setting(super::KEY_NEXT, &next.to_string())
    }

    fn mark(&mut self, client_id: i64, from: Date) {
        self.replay_from
            .entry(client_id)
            .and_modify(|d| *d = (*d).min(from))
            .or_insert(from);
    }

    fn finish(self) -> Result<()> {
        let mut clients: Vec<(i64, Date)> = self.replay_from.into_iter().collect();
        clients.sort_unstable();
        for (client_id, from) in clients {
            replay_client(self.db, client_id, from)?;
        }
        if let Some(dropped) = self.dropped {
            self.db.restore_indexes(dropped)?;
        }
        Ok(())
    }
}
