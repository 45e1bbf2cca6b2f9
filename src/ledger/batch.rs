//! Many writes in one transaction, with the allocation replay done once per client at
//! the end instead of after every entry. What `ar demo` and bulk import write through;
//! validation is the same code single commands use.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, bail};

use super::bulk::{InvoiceDirectory, NumberIndex, replay_ledger};
use super::clients::add_client;
use super::invoices::{CheckedInvoice, add_invoice};
use super::payments::{CheckedPayment, record_payment};
use super::{
    ClientBook, ClientRef, KEY_CURRENCY, KEY_DEMO, KEY_NEXT, KEY_PREFIX, KEY_TERMS, Ledger, NewClient,
    NewInvoice, NewPayment, Settings, clean_text, replay_client, resolve_client,
};
use crate::domain::entities::Client;
use crate::domain::{Currency, Date, LedgerError, Terms};
use crate::store::{BulkLoad, Db, DroppedIndexes, StoredPayment};

pub struct Batch<'a, 'c> {
    db: &'a Db<'c>,
    settings: Settings,
    /// Client id → the earliest date its allocations must be replayed from.
    replay_from: HashMap<i64, Date>,
    /// Clients this batch entered or looked up: an import names one on every row.
    clients: ClientBook,
    /// Clients that invoices or payments of this batch were entered for.
    entered_for: IdSet,
    /// Clients with any payment (loaded on first use, kept up to date): only their
    /// new invoices can be reached by an existing payment.
    paying_clients: Option<IdSet>,
    /// Set in bulk mode (see [`Batch::enter_bulk_mode`]).
    bulk: Option<Bulk>,
    /// Row ids of the first client and invoice this batch entered: ids are given in
    /// entry order, so an id tells which of the batch's entries it is.
    first_client_id: Option<i64>,
    first_invoice_id: Option<i64>,
}

impl Bulk {
    /// The numbers of the invoices loaded, while the unique index is down: the
    /// load's own, or the directory's when lent to it.
    fn numbers(&self) -> Option<&NumberIndex> {
        if !self.dropped.without_invoice_numbers() {
            return None;
        }
        self.numbers
            .as_ref()
            .or_else(|| self.directory.as_deref().map(InvoiceDirectory::numbers))
    }

    /// Drop the directory, taking back the numbers lent to it.
    fn take_back_numbers(&mut self) -> Result<()> {
        if let Some(directory) = self.directory.take()
            && self.dropped.without_invoice_numbers()
            && self.numbers.is_none()
        {
            let directory = Arc::into_inner(directory)
                .ok_or_else(|| anyhow::anyhow!("internal error: the invoice directory is still in use"))?;
            self.numbers = Some(directory.into_numbers());
        }
        Ok(())
    }
}

/// A bulk load: indexes down, look-ups in memory, one whole-ledger replay at the end.
struct Bulk {
    /// Rebuilt by `finish`.
    dropped: DroppedIndexes,
    /// Numbers of the invoices loaded, while the unique index that would refuse a
    /// repeated one is down (a load into an empty table).
    numbers: Option<NumberIndex>,
    /// Where payment rows find the invoice they name; loaded at the first one, and
    /// dropped when an invoice is added after it.
    directory: Option<Arc<InvoiceDirectory>>,
    /// Whether the load can have moved any allocation.
    replay: bool,
    /// The payments this load entered, as stored (ids ascending).
    payments: Vec<StoredPayment>,
}

impl Ledger {
    /// Run `f` as one transaction: all of it is written, or (on any error) none of it.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Batch) -> Result<T>) -> Result<T> {
        self.batch_with(false, f)
    }

    /// [`Ledger::batch`], with `bulk` for a load of many rows (see `Store::write_bulk`).
    pub fn batch_with<T>(&mut self, bulk: bool, f: impl FnOnce(&mut Batch) -> Result<T>) -> Result<T> {
        let settings = self.settings;
        let run = |db: &Db| {
            let mut batch = Batch {
                db,
                settings,
                replay_from: HashMap::new(),
                clients: ClientBook::default(),
                entered_for: IdSet::default(),
                paying_clients: None,
                bulk: None,
                first_client_id: None,
                first_invoice_id: None,
            };
            let value = f(&mut batch)?;
            let settings = batch.settings;
            batch.finish()?;
            Ok((value, settings))
        };
        let (value, settings) = if bulk {
            self.store.write_bulk(run)?
        } else {
            self.store.write(run)?
        };
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
        self.first_client_id.get_or_insert(client.id);
        self.clients.insert(Arc::new(client.clone()));
        Ok(client)
    }

    /// Which of this batch's invoices (0 for the first it entered) is numbered
    /// `number`, if one is: for saying which row a repeated number repeats.
    pub fn entered_invoice(&self, number: &str) -> Result<Option<usize>> {
        if let Some(numbers) = self.bulk.as_ref().and_then(Bulk::numbers) {
            // The unique index is down: the load's own list has the batch's numbers,
            // in entry order.
            return Ok(numbers.find(number.trim()));
        }
        let id = self.db.invoice_ref(number)?.map(|i| i.id);
        Ok(entry_index(id, self.first_invoice_id))
    }

    /// Which of this batch's clients (0 for the first it entered) has `code`.
    pub fn entered_client(&self, code: &str) -> Result<Option<usize>> {
        let id = self
            .db
            .find_client(code.trim(), self.settings.currency)?
            .map(|c| c.id);
        Ok(entry_index(id, self.first_client_id))
    }

    /// How many clients the invoices and payments entered so far belong to.
    pub fn clients_entered(&self) -> usize {
        self.entered_for.len()
    }

    fn client(&mut self, client: ClientRef) -> Result<Arc<Client>> {
        let code = match client {
            ClientRef::Found(c) => return Ok(c),
            ClientRef::Code(code) => code,
        };
        if let Some(c) = self.clients.get(&code) {
            return Ok(Arc::clone(c));
        }
        let client = Arc::new(resolve_client(self.db, &code, self.settings.currency)?);
        self.clients.insert(Arc::clone(&client));
        Ok(client)
    }

    /// Every client of the ledger as it is now, for a bulk import's reader thread.
    pub(crate) fn client_book(&self) -> Result<ClientBook> {
        ClientBook::load(self.db, self.settings.currency)
    }

    pub fn add_invoice(&mut self, new: NewInvoice) -> Result<i64> {
        // The client first, as `ar add-invoice` says an unknown one first.
        self.find_client(&new.client)?;
        self.add_checked_invoice(new.check(self.settings.currency)?)
    }

    /// Refuse an unknown client code (with the message `ar` gives for one).
    pub(crate) fn find_client(&mut self, code: &str) -> Result<()> {
        self.client(ClientRef::Code(code.to_string())).map(drop)
    }

    /// [`Batch::add_invoice`] of a row already checked (by [`NewInvoice::check`]).
    pub(crate) fn add_checked_invoice(&mut self, mut new: CheckedInvoice) -> Result<i64> {
        let client = self.client(std::mem::replace(&mut new.client, ClientRef::Code(String::new())))?;
        if self.paying_clients.is_none() {
            self.paying_clients = Some(self.db.clients_with_payments()?.into_iter().collect());
        }
        let may_have_payments = self
            .paying_clients
            .as_ref()
            .is_some_and(|set| set.contains(client.id));
        let Some(bulk) = &mut self.bulk else {
            let added = add_invoice(self.db, &client, new, may_have_payments)?;
            if let Some(from) = added.replay_from {
                self.mark(added.client_id, from);
            }
            self.entered_for.insert(client.id);
            self.first_invoice_id.get_or_insert(added.id);
            return Ok(added.id);
        };
        // The directory goes (it would miss this invoice): the numbers it was lent
        // come back first.
        bulk.take_back_numbers()?;
        // While the unique index is down, numbers are checked here: the same rule,
        // and only rows that are otherwise valid take a number (as in the index).
        let numbered = match (&bulk.numbers, &new.number) {
            (Some(numbers), Some(n)) => {
                let probe = numbers.probe(n);
                if probe.found.is_some() {
                    bail!(LedgerError::DuplicateInvoice(n.clone()));
                }
                Some((n.clone(), probe))
            }
            // A generated number: not something an import does.
            (Some(_), None) => bail!("internal error: bulk load of an invoice without a number"),
            (None, _) => None,
        };
        // The whole-ledger replay at the end settles whatever a payment can reach.
        let added = add_invoice(self.db, &client, new, false)?;
        if let (Some(numbers), Some((n, probe))) = (&mut bulk.numbers, numbered) {
            numbers.add_absent(&n, probe);
        }
        bulk.replay |= may_have_payments;
        self.entered_for.insert(client.id);
        self.first_invoice_id.get_or_insert(added.id);
        Ok(added.id)
    }

    pub fn record_payment(&mut self, new: NewPayment) -> Result<i64> {
        self.find_client(&new.client)?;
        let directory = self.invoice_directory()?;
        let checked = new.check(self.settings.currency, directory.as_deref())?;
        self.record_checked_payment(checked)
    }

    /// [`Batch::record_payment`] of a row already checked (by [`NewPayment::check`]).
    pub(crate) fn record_checked_payment(&mut self, mut new: CheckedPayment) -> Result<i64> {
        let client = self.client(std::mem::replace(&mut new.client, ClientRef::Code(String::new())))?;
        let directory = self.invoice_directory()?;
        let directory = directory.as_deref();
        let stored = record_payment(self.db, &client, self.settings.currency, new, directory)?;
        let (id, client_id) = (stored.id, stored.client_id);
        match &mut self.bulk {
            // The replay at the end reads payments entered before this load from the
            // ledger, and takes this load's from here.
            Some(bulk) => bulk.payments.push(stored),
            None => self.mark(client_id, stored.date),
        }
        self.entered_for.insert(client_id);
        if let Some(set) = &mut self.paying_clients {
            set.insert(client_id);
        }
        Ok(id)
    }

    /// In bulk mode, every invoice of the ledger by number (loaded on first use), for
    /// payment rows to find theirs in.
    pub(super) fn invoice_directory(&mut self) -> Result<Option<Arc<InvoiceDirectory>>> {
        let Some(bulk) = &mut self.bulk else {
            return Ok(None);
        };
        bulk.replay = true;
        if bulk.directory.is_none() {
            // The load's own numbers (while the unique index is down) are lent to
            // the directory, which would hold the same again.
            let numbers = bulk.numbers.take();
            bulk.directory = Some(Arc::new(InvoiceDirectory::load(self.db, numbers)?));
        }
        Ok(bulk.directory.clone())
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

    /// Load many rows fast: secondary indexes are dropped now and rebuilt at the end
    /// of the batch (same transaction, so a failed load leaves them as they were),
    /// and the allocations are replayed for the whole ledger at once.
    pub fn enter_bulk_mode(&mut self, load: BulkLoad) -> Result<()> {
        if self.bulk.is_none() {
            let dropped = self.db.drop_secondary_indexes(load)?;
            self.bulk = Some(Bulk {
                numbers: dropped.without_invoice_numbers().then(NumberIndex::default),
                dropped,
                directory: None,
                replay: false,
                payments: Vec::new(),
            });
        }
        Ok(())
    }

    /// Whether [`Batch::enter_bulk_mode`] was called.
    pub fn in_bulk_mode(&self) -> bool {
        self.bulk.is_some()
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
        match self.bulk {
            None => {
                let mut clients: Vec<(i64, Date)> = self.replay_from.into_iter().collect();
                clients.sort_unstable();
                for (client_id, from) in clients {
                    replay_client(self.db, client_id, from)?;
                }
            }
            Some(bulk) => {
                drop(bulk.numbers);
                if bulk.replay {
                    // (Whoever else held the directory is done with it by now.)
                    replay_ledger(self.db, bulk.directory.and_then(Arc::into_inner), bulk.payments)?;
                }
                self.db.restore_indexes(bulk.dropped)?;
            }
        }
        Ok(())
    }
}

/// The position among a batch's entries of the row `id`, given the batch's first id.
fn entry_index(id: Option<i64>, first: Option<i64>) -> Option<usize> {
    let (id, first) = (id?, first?);
    usize::try_from(id - first).ok()
}

/// A set of row ids: a bit per id while ids are small (as SQLite gives them: one
/// more than the largest), which an import marks once per row.
#[derive(Default)]
struct IdSet {
    bits: Vec<u64>,
    /// Ids too large (or negative) for `bits`.
    others: hashbrown::HashSet<i64>,
    len: usize,
}

impl IdSet {
    /// Ids up to this go in `bits` (2 MB at most).
    const BITS: i64 = 1 << 24;

    fn insert(&mut self, id: i64) {
        if !(0..Self::BITS).contains(&id) {
            if self.others.insert(id) {
                self.len += 1;
            }
            return;
        }
        let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & bit == 0 {
            self.bits[word] |= bit;
            self.len += 1;
        }
    }

    fn contains(&self, id: i64) -> bool {
        if !(0..Self::BITS).contains(&id) {
            return self.others.contains(&id);
        }
        let (word, bit) = ((id / 64) as usize, 1u64 << (id % 64));
        self.bits.get(word).is_some_and(|w| w & bit != 0)
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl FromIterator<i64> for IdSet {
    fn from_iter<I: IntoIterator<Item = i64>>(ids: I) -> IdSet {
        let mut set = IdSet::default();
        for id in ids {
            set.insert(id);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::IdSet;

    #[test]
    fn id_sets_count_each_id_once_at_any_size() {
        let ids = [1, 64, 63, 1, 1 << 24, -5, i64::MAX, 64, (1 << 24) - 1, i64::MAX];
        let set: IdSet = ids.into_iter().collect();
        assert_eq!(set.len(), 7);
        for id in ids {
            assert!(set.contains(id), "{id}");
        }
        for id in [0, 2, 65, (1 << 24) + 1, -4, i64::MIN] {
            assert!(!set.contains(id), "{id}");
        }
    }
}
