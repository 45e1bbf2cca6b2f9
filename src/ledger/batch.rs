//! Many writes in one transaction, with the allocation replay done once per client at
//! the end instead of after every entry. What `ar demo` and bulk import write through;
//! validation is the same code single commands use.

use std::collections::{HashMap, HashSet};

use anyhow::{Result, bail};

use super::clients::add_client;
use super::invoices::add_invoice;
use super::payments::record_payment;
use super::{
    KEY_CURRENCY, KEY_DEMO, KEY_NEXT, KEY_PREFIX, KEY_TERMS, Ledger, NewClient, NewInvoice, NewPayment,
    Settings, clean_text, replay_client, resolve_client,
};
use crate::domain::entities::Client;
use crate::domain::{Currency, Date, LedgerError, Terms};
use crate::engine::replay::{ReplayOutcome, replay};
use crate::store::{BulkLoad, Db, DroppedIndexes};

/// In bulk mode, replay outcomes are written once this many invoice states have
/// accumulated: sorted by row id, writes sweep the file in order instead of
/// jumping around it, and memory stays bounded (~50 MB).
const BULK_CHUNK: usize = 400_000;

pub struct Batch<'a, 'c> {
    db: &'a Db<'c>,
    settings: Settings,
    /// Client id → the earliest date its allocations must be replayed from.
    replay_from: HashMap<i64, Date>,
    /// Clients by upper-cased code: an import names one on every row.
    clients: HashMap<String, Client>,
    /// Clients with any payment (loaded on first use, kept up to date): only their
    /// new invoices can be reached by an existing payment.
    paying_clients: Option<HashSet<i64>>,
    /// Report indexes dropped for a bulk load, rebuilt by `finish`.
    dropped: Option<DroppedIndexes>,
}

impl Ledger {
    /// Run `f` as one transaction: all of it is written, or (on any error) none of it.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Batch) -> Result<T>) -> Result<T> {
        let settings = self.settings;
        let (value, settings) = self.store.write(|db| {
            let mut batch = Batch {
                db,
                settings,
                replay_from: HashMap::new(),
                clients: HashMap::new(),
                paying_clients: None,
                dropped: None,
            };
            let value = f(&mut batch)?;
            let settings = batch.settings;
            batch.finish()?;
            Ok((value, settings))
        })?;
        self.settings = settings;
        Ok(value)
    }
}

impl Batch<'_, '_> {
    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn add_client(&mut self, new: NewClient) -> Result<Client> {
        let client = add_client(self.db, self.settings.currency, self.settings.terms, new)?;
        self.clients.insert(client.code.to_uppercase(), client.clone());
        Ok(client)
    }

    fn client(&mut self, code: &str) -> Result<Client> {
        let key = code.trim().to_uppercase();
        if let Some(c) = self.clients.get(&key) {
            return Ok(c.clone());
        }
        let client = resolve_client(self.db, code, self.settings.currency)?;
        self.clients.insert(key, client.clone());
        Ok(client)
    }

    pub fn add_invoice(&mut self, new: NewInvoice) -> Result<i64> {
        let client = self.client(&new.client)?;
        if self.paying_clients.is_none() {
            self.paying_clients = Some(self.db.clients_with_payments()?);
        }
        let may_have_payments = self
            .paying_clients
            .as_ref()
            .is_some_and(|set| set.contains(&client.id));
        let added = add_invoice(self.db, &client, self.settings.currency, new, may_have_payments)?;
        if let Some(from) = added.replay_from {
            self.mark(added.client_id, from);
        }
        Ok(added.id)
    }

    pub fn record_payment(&mut self, new: NewPayment) -> Result<i64> {
        let client = self.client(&new.client)?;
        let (id, client_id, date) = record_payment(self.db, &client, self.settings.currency, new)?;
        self.mark(client_id, date);
        if let Some(set) = &mut self.paying_clients {
            set.insert(client_id);
        }
        Ok(id)
    }

    /// Void an invoice just imported as void (it has no allocations yet).
    pub fn void_new_invoice(&mut self, id: i64, on: Date, reason: Option<&str>) -> Result<()> {
        let reason = reason.map(|r| clean_text("void reason", r, 500)).transpose()?;
        self.db.void_invoice(id, on, reason.as_deref())
    }

    /// A ledger setting from an export's ledger.csv. Currency and terms can only be
    /// set on an empty ledger (or repeat what it has); unknown keys are refused.
    pub fn import_setting(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            KEY_CURRENCY | KEY_TERMS => {
                let mut wanted = self.settings;
                if key == KEY_CURRENCY {
                    wanted.currency = Currency::parse(value)?;
                } else {
                    wanted.terms = Terms::parse(value)?;
                }
                if (wanted.currency, wanted.terms) != (self.settings.currency, self.settings.terms) {
                    if !self.db.is_empty()? {
                        bail!(LedgerError::Invalid(format!(
                            "{key} `{value}` differs from this ledger's ({} with {} terms), which already holds entries: import into a new ledger (--db)",
                            self.settings.currency, self.settings.terms
                        )));
                    }
                    self.db.set_setting(key, value.trim())?;
                    self.settings = wanted;
                }
            }
            KEY_PREFIX => self
                .db
                .set_setting(KEY_PREFIX, &clean_text("invoice prefix", value, 20)?)?,
            KEY_NEXT => {
                let next: u64 = value.trim().parse().map_err(|_| {
                    LedgerError::Invalid(format!("{KEY_NEXT} `{value}` is not a whole number"))
                })?;
                let current: u64 = self
                    .db
                    .setting(KEY_NEXT)?
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(1);
                self.db.set_setting(KEY_NEXT, &next.max(current).to_string())?;
            }
            KEY_DEMO => {}
            _ => bail!(LedgerError::Invalid(format!("unknown ledger setting `{key}`"))),
        }
        Ok(())
    }

    /// Load many rows fast: report indexes are dropped now and rebuilt at the end of
    /// the batch (same transaction, so a failed load leaves them as they were).
    pub fn enter_bulk_mode(&mut self, load: BulkLoad) -> Result<()> {
        if self.dropped.is_none() {
            self.dropped = Some(self.db.drop_report_indexes(load)?);
        }
        Ok(())
    }

    pub(crate) fn mark_demo(&self) -> Result<()> {
        self.db.set_setting(KEY_DEMO, "1")
    }

    /// Continue the ledger's invoice sequence from `next` (after numbered entries).
    pub(crate) fn set_next_invoice_seq(&self, next: u64) -> Result<()> {
        self.db.set_setting(KEY_NEXT, &next.to_string())
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
        match self.dropped {
            None => {
                for (client_id, from) in clients {
                    replay_client(self.db, client_id, from)?;
                }
            }
            Some(mut dropped) => {
                self.db.restore_for_replay(&mut dropped)?;
                bulk_replay(self.db, &clients)?;
                self.db.restore_indexes(dropped)?;
            }
        }
        Ok(())
    }
}

/// The replay of many clients, computed client by client but written in row-id order
/// a chunk at a time (clients are independent, so the order of writes is free).
fn bulk_replay(db: &Db, clients: &[(i64, Date)]) -> Result<()> {
    let mut pending = ReplayOutcome::default();
    for &(client_id, from) in clients {
        db.clear_allocations_from(client_id, from)?;
        let outcome = replay(
            db.replay_invoices(client_id, from)?,
            db.replay_payments(client_id, from)?,
        );
        pending.allocations.extend(outcome.allocations);
        pending.invoices.extend(outcome.invoices);
        pending.payments.extend(outcome.payments);
        if pending.invoices.len() + pending.payments.len() >= BULK_CHUNK {
            write_sorted(db, &mut pending)?;
        }
    }
    write_sorted(db, &mut pending)
}

fn write_sorted(db: &Db, pending: &mut ReplayOutcome) -> Result<()> {
    pending
        .allocations
        .sort_unstable_by_key(|a| (a.invoice_id, a.date, a.payment_id));
    pending.invoices.sort_unstable_by_key(|i| i.id);
    pending.payments.sort_unstable_by_key(|p| p.id);
    db.save_replay(pending)?;
    *pending = ReplayOutcome::default();
    Ok(())
}
