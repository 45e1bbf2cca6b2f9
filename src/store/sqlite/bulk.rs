//! Bulk mode: how a write transaction hinted to be large (an import of a million
//! rows) is made fast, behind the same [`WriteTxn`](crate::store::WriteTxn) methods.
//!
//! Row by row, a large load paid a random look-up or insert into SQLite per row and
//! per index, and a per-client replay of random reads. In bulk mode:
//! - the transaction goes through a rollback journal instead of the WAL: in WAL
//!   mode every page of a 400 MB load was written twice (WAL, then checkpoint); a
//!   rollback journal keeps only pages that existed before, almost nothing for a
//!   first load. A kill still leaves the ledger as it was (the next open rolls the
//!   journal back). The cost: once the load holds its exclusive lock, readers wait
//!   for the commit (up to the busy timeout) instead of reading the old state.
//! - SQLite's foreign-key checks are off: every reference written was just resolved
//!   in this transaction, and the check was a random probe per payment.
//! - the secondary indexes a kind of write changes are dropped before its first row
//!   (invoices, payments, then the replay's derived columns) and rebuilt once at the
//!   commit, by sorting: several times faster than a million updates of each. The
//!   unique index on numbers goes too when the invoices table starts empty; new
//!   numbers are then checked in memory ([`NumberIndex`]), with the same rule.
//! - payments find the invoice they name in an in-memory directory of every invoice,
//!   loaded by one front-to-back read;
//! - the replay reads whole clients (its scope starts at the beginning) from a
//!   picture of the ledger held in memory: the directory's invoices and every
//!   payment (those this load entered are kept as entered, not read back). Its
//!   allocations are written 64 to a statement, and the derived columns it moved
//!   are written at the commit in one sweep per table.
//!
//! ## Memory
//! About 180 bytes per invoice and payment at the peak (the replay), ~180 MB for a
//! million of each.

use anyhow::{Result, bail};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use super::columns::{DateText, currency_column, date_column};
use super::numbers::NumberIndex;
use super::rows::{
    Client, Later, REPLAY_CORRECTION_COLUMNS, StoredInvoice, StoredPayment, replay_correction, scan_invoices,
    scan_payments,
};
use super::txn::{insert_allocations, save_corrections};
use crate::domain::{Currency, Date, LedgerError};
use crate::engine::replay::{Allocation, InvoiceState, PaymentState, ReplayCorrection, ReplayInvoice};
use crate::internal;
use std::sync::Arc;

use crate::store::{
    ClientId, InvoiceId, InvoiceLookup, InvoiceRef, NewInvoiceRow, NewPaymentRow, PaymentKey, ReplayFn,
    ReplayOutcome, ReplayScope,
};

/// `PRAGMA cache_size` while a bulk load runs and rebuilds its indexes: 8 MB. The
/// load appends rows and sweeps tables in order, so a small cache does, and the
/// memory goes to the load's own picture; SQLite's sorter sizes its runs by the
/// cache, and with small runs two threads sort while the scan goes on (the five big
/// indexes of the 1M ledger built in 4.0–4.7 s instead of 5.5–5.8 s with 32 MB).
const BULK_CACHE_SIZE: i64 = -8_000;

/// Allocations are written this many at a time (bounded memory).
const ALLOCATION_CHUNK: usize = 16_384;

/// The SQL function [`sweep_invoice_states`] defines while it runs.
const STATE_FUNCTION: &str = "ar_invoice_state";

/// The unique index on invoice numbers (migrations/0001_init.sql).
const INVOICE_NUMBERS: &str = "invoices_number";

/// Indexes a load of invoices changes.
const INVOICE_INDEXES: &[&str] = &["invoices_open_at", "invoices_client"];
/// Indexes a load of payments changes.
const PAYMENT_INDEXES: &[&str] = &["payments_client_date"];
/// Indexes the replay's writes change: every allocation, invoices' closing dates.
/// (The partial indexes of credit, `payments_credit_at` and `allocations_held`,
/// stay: they hold the few payments that keep credit, so keeping them up to date
/// costs less than the full scan that rebuilding one takes.)
const REPLAY_INDEXES: &[&str] = &["allocations_invoice", "invoices_open_at"];

/// Every invoice's number, and (once loaded) its row, by position in id order.
/// Shared (read-only) with an import's reader thread while payments are loaded.
#[derive(Default, Clone)]
struct Directory {
    numbers: NumberIndex,
    /// `numbers` holds every invoice of the ledger (else only a look-up in SQL says).
    complete: bool,
    /// The invoices' rows, when loaded (payments' look-ups, the replay).
    rows: Option<Vec<StoredInvoice>>,
}

/// The replay's view of the ledger: the directory's invoices and every payment,
/// grouped by client.
struct Picture {
    payments: Vec<StoredPayment>,
    /// Positions of non-void invoices, by (client, id).
    invoice_order: Vec<u32>,
    /// Positions of payments, by (client, date, id).
    payment_order: Vec<u32>,
    invoice_moved: Vec<bool>,
    payment_moved: Vec<bool>,
}

pub(super) struct Bulk {
    /// Still loading: look-ups and the replay are served from memory, derived
    /// columns wait for the commit. A question the load does not serve (a report,
    /// a list) ends it first ([`Bulk::flush`]), so that every answer includes the
    /// transaction's own writes.
    pub(super) active: bool,
    /// The journal mode was switched from WAL, to be switched back.
    switched_journal: bool,
    /// Dropped indexes by name, with their DDL as the schema had it.
    dropped: Vec<(String, String)>,
    /// Invoices, payments have been entered.
    invoices_started: bool,
    payments_started: bool,
    /// (Changed through `Arc::make_mut`: shared only while nothing changes it.)
    directory: Arc<Directory>,
    /// Payments entered by this transaction, in id order.
    entered: Vec<StoredPayment>,
    /// Clients with at least one payment (the ledger's and this load's), once loaded.
    paying: Option<hashbrown::HashSet<ClientId>>,
    /// Payments by hash of their [`PaymentKey`], once loaded.
    similar: Option<Similar>,
    /// About how many entries the load expects (to size what it builds once).
    expected: usize,
    hasher: hashbrown::DefaultHashBuilder,
    picture: Option<Picture>,
    /// Invoices and payments waiting for their insert, [`ROWS`] to a statement.
    rows: Pending,
    /// Allocations waiting for their insert.
    pending: Vec<Allocation>,
    /// The largest allocation id before the replay wrote any: older allocations of
    /// the replayed clients are deleted at the commit.
    old_allocations: Option<i64>,
    /// Likewise the largest rowid of the closings undone.
    old_closings: i64,
    replayed: Vec<ClientId>,
    /// Clients this load voided an invoice of (their replay derives the void).
    voiding: hashbrown::HashSet<ClientId>,
}

impl Bulk {
    /// Set the connection up for a load, before its transaction begins (journal mode
    /// and foreign keys cannot change inside one).
    pub(super) fn prepare(conn: &Connection, expected: u64) -> rusqlite::Result<Bulk> {
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        // If another connection holds the ledger open, the mode cannot change and
        // WAL is kept.
        let switched_journal = mode.eq_ignore_ascii_case("wal")
            && conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))
                .is_ok_and(|m| !m.eq_ignore_ascii_case("wal"));
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        conn.pragma_update(None, "cache_size", BULK_CACHE_SIZE)?;
        Ok(Bulk {
            active: true,
            switched_journal,
            dropped: Vec::new(),
            invoices_started: false,
            payments_started: false,
            directory: Arc::default(),
            entered: Vec::new(),
            paying: None,
            similar: None,
            hasher: hashbrown::DefaultHashBuilder::default(),
            // (A pipe of unknown size: grow as needed.)
            expected: usize::try_from(expected).unwrap_or(0).min(50_000_000),
            picture: None,
            rows: Pending::default(),
            pending: Vec::new(),
            old_allocations: None,
            old_closings: 0,
            voiding: hashbrown::HashSet::new(),
            replayed: Vec::new(),
        })
    }

    /// Put the connection back as every other transaction expects it. Best effort:
    /// the transaction has ended, and every open sets these again.
    pub(super) fn restore(self, conn: &Connection) {
        let _ = conn.pragma_update(None, "foreign_keys", "ON");
        let _ = conn.pragma_update(None, "cache_size", super::CACHE_SIZE);
        if self.switched_journal {
            let _ = super::use_wal(conn);
        }
    }

    /// Drop those of `names` that exist and are not dropped yet.
    fn drop_indexes(&mut self, conn: &Connection, names: &[&str]) -> Result<()> {
        for &name in names {
            if self.dropped.iter().any(|(n, _)| n == name) {
                continue;
            }
            let sql: Option<String> = conn
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sql) = sql {
                conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
                self.dropped.push((name.to_string(), sql));
            }
        }
        Ok(())
    }

    fn numbers_dropped(&self) -> bool {
        self.dropped.iter().any(|(n, _)| n == INVOICE_NUMBERS)
    }

    /// Before an invoice goes in: the first drops the invoice indexes; while the
    /// unique index is down, the number is checked here.
    pub(super) fn before_invoice(&mut self, conn: &Connection, number: &str) -> Result<()> {
        if !self.invoices_started {
            self.invoices_started = true;
            self.drop_indexes(conn, INVOICE_INDEXES)?;
            let empty = !conn.prepare("SELECT 1 FROM invoices LIMIT 1")?.exists([])?;
            if empty && self.directory.rows.is_none() {
                // A first load: the unique index is rebuilt by one sort at the end (a
                // repeated number this check missed would fail that rebuild).
                self.drop_indexes(conn, &[INVOICE_NUMBERS])?;
                self.directory = Arc::new(Directory {
                    complete: true,
                    ..Directory::default()
                });
            }
        }
        if !self.directory.numbers.room_for(number.len()) {
            bail!(internal!("too many invoice numbers for one bulk load"));
        }
        if self.numbers_dropped() && self.directory.numbers.find(number).is_some() {
            bail!(LedgerError::DuplicateInvoice {
                number: number.to_string()
            });
        }
        Ok(())
    }

    /// After an invoice went in: the directory keeps every invoice.
    pub(super) fn entered_invoice(&mut self, id: InvoiceId, inv: &NewInvoiceRow) {
        if !self.directory.complete {
            return;
        }
        let directory = Arc::make_mut(&mut self.directory);
        let probe = directory.numbers.probe(inv.number);
        directory.numbers.add_absent(inv.number, probe);
        if let Some(rows) = &mut directory.rows {
            rows.push(StoredInvoice {
                id,
                client_id: inv.client_id as Client,
                amount: inv.amount,
                settled: 0,
                issue_date: inv.issue_date,
                due_date: inv.due_date,
                closed_on: Later::new(None),
                void_from: Later::new(None),
                discount_bp: inv.terms.discount_bp as u16,
                discount_days: inv.terms.discount_days as u16,
                currency: inv.currency,
                closed_by_adjustment: false,
            });
        }
    }

    pub(super) fn voided(&mut self, id: InvoiceId, from: Date, client: ClientId) {
        self.voiding.insert(client);
        if self.directory.rows.is_none() {
            return;
        }
        if let Some(rows) = &mut Arc::make_mut(&mut self.directory).rows
            && let Ok(i) = rows.binary_search_by_key(&id, |r| r.id)
        {
            rows[i].void_from = Later::new(Some(from));
        }
    }

    /// Take an invoice to insert with others, when its number was checked here (the
    /// unique index is down): its id, as SQLite would give it.
    pub(super) fn buffer_invoice(
        &mut self,
        conn: &Connection,
        inv: &NewInvoiceRow,
        batch: Option<i64>,
    ) -> Result<Option<InvoiceId>> {
        if !self.numbers_dropped() {
            return Ok(None); // the unique index checks it: inserted alone, refused alone
        }
        self.rows.invoice(conn, inv, batch).map(Some)
    }

    /// Take a payment to insert with others: its id, as SQLite would give it.
    pub(super) fn buffer_payment(
        &mut self,
        conn: &Connection,
        p: &NewPaymentRow,
        batch: Option<i64>,
    ) -> Result<i64> {
        self.rows.payment(conn, p, batch)
    }

    /// Insert the rows waiting, before a statement reads their table.
    pub(super) fn flush_rows(&mut self, conn: &Connection) -> Result<()> {
        self.rows.flush(conn)
    }

    /// Whether the replay has begun: the picture stands for the ledger as it was then,
    /// so a new entry must first end the load's special mode ([`Bulk::flush`]).
    pub(super) fn replaying(&self) -> bool {
        self.picture.is_some() || self.old_allocations.is_some()
    }

    /// Whether `number` is taken, when the directory can tell.
    pub(super) fn number_taken(&self, number: &str) -> Option<bool> {
        self.directory
            .complete
            .then(|| self.directory.numbers.find(number).is_some())
    }

    pub(super) fn invoice_ref(&mut self, conn: &Connection, number: &str) -> Result<Option<InvoiceRef>> {
        self.load_directory(conn)?;
        Ok(self.directory.find(number))
    }

    /// The directory, to look invoices up in from another thread (see
    /// `WriteTxn::invoice_lookup`): nothing else can write the ledger during a bulk
    /// load, and an invoice entered or voided meanwhile copies the directory first.
    pub(super) fn invoice_lookup(&mut self, conn: &Connection) -> Result<Arc<dyn InvoiceLookup>> {
        self.load_directory(conn)?;
        Ok(Arc::clone(&self.directory) as Arc<dyn InvoiceLookup>)
    }

    /// Read every invoice into the directory (once). Numbers the load already holds
    /// (a first load) are kept instead of built again, and must agree.
    fn load_directory(&mut self, conn: &Connection) -> Result<()> {
        if self.directory.rows.is_some() {
            return Ok(());
        }
        self.rows.flush(conn)?;
        let count = count(conn, "invoices")?;
        let directory = Arc::make_mut(&mut self.directory);
        let known = directory.complete.then(|| std::mem::take(&mut directory.numbers));
        let mut numbers = NumberIndex::with_capacity(if known.is_some() { 0 } else { count });
        let mut rows = Vec::with_capacity(count);
        let mut agree = true;
        let mut full = false;
        scan_invoices(conn, |inv, number| {
            full |= !numbers.room_for(number.len());
            match &known {
                Some(k) => agree &= k.len() > rows.len() && k.get(rows.len()) == number,
                // Numbers in the ledger are distinct (its unique index): each is added
                // without a look-up first.
                None => numbers.add_distinct(number),
            }
            rows.push(inv);
        })?;
        if full {
            bail!(internal!("too many invoice numbers for one bulk load"));
        }
        let numbers = match known {
            Some(k) if agree && k.len() == rows.len() => k,
            Some(_) => bail!(internal!(
                "a bulk load's invoice numbers differ from the ledger's"
            )),
            None => numbers,
        };
        self.directory = Arc::new(Directory {
            numbers,
            complete: true,
            rows: Some(rows),
        });
        Ok(())
    }

    /// Before a payment goes in: the first drops the payment indexes.
    pub(super) fn before_payment(&mut self, conn: &Connection) -> Result<()> {
        if !self.payments_started {
            self.payments_started = true;
            self.load_similar(conn)?;
            self.drop_indexes(conn, PAYMENT_INDEXES)?;
        }
        Ok(())
    }

    /// After a payment went in: kept as stored, for the replay.
    pub(super) fn entered_payment(&mut self, id: i64, p: &NewPaymentRow) {
        self.entered.push(StoredPayment {
            id,
            client_id: p.client_id as Client,
            amount: p.amount,
            unapplied: 0,
            invoice_id: p.invoice_id.and_then(std::num::NonZeroI64::new),
            date: p.date,
            applied_on: Later::new(Some(p.date)),
            currency: p.currency,
        });
        if let Some(paying) = &mut self.paying {
            paying.insert(p.client_id);
        }
        if self.similar.is_some() {
            let hash = self.key_hash(p.client_id, p.date, p.currency, p.amount, p.reference);
            if let Some(similar) = &mut self.similar {
                similar.add(hash);
            }
        }
    }

    pub(super) fn similar_payments(&mut self, conn: &Connection, key: &PaymentKey) -> Result<u64> {
        let hash = self.key_hash(
            key.client_id,
            key.date,
            key.currency,
            key.amount,
            key.reference.as_deref(),
        );
        Ok(self.load_similar(conn)?.count(hash))
    }

    /// The hash of a payment's key, from its parts (no key built per row).
    fn key_hash(
        &self,
        client: ClientId,
        date: Date,
        currency: Currency,
        amount: i64,
        reference: Option<&str>,
    ) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one((client, date, currency, amount, reference))
    }

    /// The ledger's payments by key hash (once, before this load enters any: those
    /// are hashed as they are entered).
    fn load_similar(&mut self, conn: &Connection) -> Result<&Similar> {
        if self.similar.is_none() {
            self.rows.flush(conn)?;
            if self.payments_started && !self.entered.is_empty() {
                bail!(internal!("similar payments loaded after payments were entered"));
            }
            let expected = count(conn, "payments")? + self.expected.min(usize::MAX / 2);
            let mut similar = Similar::with_capacity(expected.min(50_000_000));
            let mut stmt =
                conn.prepare("SELECT client_id, date, currency, amount, reference FROM payments")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let hash = self.key_hash(
                    r.get(0)?,
                    date_column(r.get_ref(1)?)?,
                    currency_column(r.get_ref(2)?.as_str()?)?,
                    r.get(3)?,
                    r.get_ref(4)?.as_str_or_null()?,
                );
                similar.add(hash);
            }
            self.similar = Some(similar);
        }
        self.similar
            .as_ref()
            .ok_or_else(|| internal!("no similar-payment set").into())
    }

    /// The replay scope of `client`: the whole client, from the picture.
    pub(super) fn replay_scope(&mut self, conn: &Connection, client: ClientId) -> Result<ReplayScope> {
        let mut corrections = load_corrections(conn, Some(client))?;
        let whole = ReplayScope {
            from: Date::MIN,
            invoices: Vec::new(),
            payments: Vec::new(),
            corrections: corrections.remove(&client).unwrap_or_default(),
        };
        if !self.load_paying(conn)?.contains(&client)
            && whole.corrections.is_empty()
            && !self.voiding.contains(&client)
        {
            return Ok(whole);
        }
        self.load_picture(conn)?;
        let (Some(picture), Some(rows)) = (&mut self.picture, &self.directory.rows) else {
            bail!(internal!("the replay picture is missing"));
        };
        let (inv, pay) = picture.ranges(client, rows);
        let (inv, pay) = (inv.clone(), pay.clone());
        let invoices = picture.invoice_order[inv.clone()]
            .iter()
            .map(|&i| {
                let number = self.directory.numbers.get(i as usize).to_string();
                ReplayInvoice {
                    number: number.into(),
                    ..rows[i as usize].replay_invoice("")
                }
            })
            .collect();
        let payments = picture.payment_order[pay.clone()]
            .iter()
            .map(|&p| picture.payments[p as usize].replay_payment())
            .collect();
        Ok(ReplayScope {
            invoices,
            payments,
            ..whole
        })
    }

    /// The clients that have payments (once).
    fn load_paying(&mut self, conn: &Connection) -> Result<&hashbrown::HashSet<ClientId>> {
        if self.paying.is_none() {
            self.rows.flush(conn)?;
            let mut set: hashbrown::HashSet<ClientId> = hashbrown::HashSet::new();
            let mut stmt = conn.prepare("SELECT DISTINCT client_id FROM payments")?;
            for id in stmt.query_map([], |r| r.get(0))? {
                set.insert(id?);
            }
            self.paying = Some(set);
        }
        self.paying
            .as_ref()
            .ok_or_else(|| internal!("no paying clients").into())
    }

    /// Build the picture (once): every invoice, every payment, grouped by client.
    fn load_picture(&mut self, conn: &Connection) -> Result<()> {
        if self.picture.is_some() {
            return Ok(());
        }
        self.rows.flush(conn)?;
        self.load_directory(conn)?;
        self.similar = None; // (memory back: no payment is entered after the replay)
        Arc::make_mut(&mut self.directory).numbers.forget_lookups();
        let rows = self
            .directory
            .rows
            .as_ref()
            .ok_or_else(|| internal!("the directory has no rows"))?;
        // The ledger's payments before the load's (ids are given in entry order) are
        // read in after the load's, which are then rotated to the end: one list,
        // sized once, in entry order.
        let entered = std::mem::take(&mut self.entered);
        let first_entered = entered.first().map_or(i64::MAX, |p| p.id);
        let entered_count = entered.len();
        let mut payments = entered;
        payments.reserve_exact(count(conn, "payments")?.saturating_sub(entered_count));
        scan_payments(conn, first_entered, |p| payments.push(p))?;
        payments.rotate_left(entered_count);
        if !payments.is_sorted_by_key(|p| p.id) {
            bail!(internal!("a bulk load's payments out of entry order"));
        }
        let mut invoice_order: Vec<u32> = (0..rows.len() as u32).collect();
        invoice_order.sort_by_key(|&i| rows[i as usize].client_id);
        let mut payment_order: Vec<u32> = (0..payments.len() as u32).collect();
        payment_order.sort_unstable_by_key(|&i| {
            let p = &payments[i as usize];
            (p.client_id, p.date, p.id)
        });
        self.picture = Some(Picture {
            invoice_moved: vec![false; rows.len()],
            payment_moved: vec![false; payments.len()],
            payments,
            invoice_order,
            payment_order,
        });
        Ok(())
    }

    /// Keep the replay's outcome for `client`: derived columns into the picture
    /// (marked moved when they change), allocations into their inserts.
    pub(super) fn save_replay(
        &mut self,
        conn: &Connection,
        client: ClientId,
        outcome: ReplayOutcome,
    ) -> Result<()> {
        if self.old_allocations.is_none() {
            self.drop_indexes(conn, REPLAY_INDEXES)?;
            self.old_allocations =
                Some(conn.query_row("SELECT COALESCE(MAX(id), 0) FROM allocations", [], |r| r.get(0))?);
            self.old_closings =
                conn.query_row("SELECT COALESCE(MAX(rowid), 0) FROM closings", [], |r| r.get(0))?;
        }
        if outcome.invoices.is_empty() && outcome.payments.is_empty() && outcome.allocations.is_empty() {
            return Ok(()); // a client without payments: nothing moved
        }
        if !outcome.corrections.is_empty() {
            save_corrections(conn, client, Date::MIN, &outcome, false)?;
        }
        let (Some(picture), Some(rows)) = (&mut self.picture, &mut Arc::make_mut(&mut self.directory).rows)
        else {
            bail!(internal!("a replay saved without its picture"));
        };
        let (inv, pay) = picture.ranges(client, rows);
        picture.keep(rows, inv, pay, &outcome)?;
        self.replayed.push(client);
        self.pending.extend(outcome.allocations);
        if self.pending.len() >= ALLOCATION_CHUNK {
            insert_allocations(conn, &self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Replay the clients of `plan` from the picture: a second thread reads each
    /// client's facts from memory, runs `replay` and keeps the derived columns it
    /// moved, while this one inserts the allocations it hands over. Every replay
    /// starts at the client's first entry, which gives what a replay from any later
    /// date gives.
    pub(super) fn replay_clients(
        &mut self,
        conn: &Connection,
        plan: &[(ClientId, Date)],
        replay: &ReplayFn<'_>,
    ) -> Result<()> {
        let mut corrections = load_corrections(conn, None)?;
        let voiding = std::mem::take(&mut self.voiding);
        let paying = self.load_paying(conn)?;
        let clients: Vec<ClientId> = plan
            .iter()
            .map(|&(c, _)| c)
            .filter(|c| paying.contains(c) || corrections.contains_key(c) || voiding.contains(c))
            .collect();
        if clients.is_empty() {
            return Ok(());
        }
        self.load_picture(conn)?;
        if self.old_allocations.is_none() {
            self.drop_indexes(conn, REPLAY_INDEXES)?;
            self.old_allocations =
                Some(conn.query_row("SELECT COALESCE(MAX(id), 0) FROM allocations", [], |r| r.get(0))?);
            self.old_closings =
                conn.query_row("SELECT COALESCE(MAX(rowid), 0) FROM closings", [], |r| r.get(0))?;
        }
        let directory = Arc::make_mut(&mut self.directory);
        let (Some(picture), Some(rows)) = (&mut self.picture, &mut directory.rows) else {
            bail!(internal!("the replay picture is missing"));
        };
        let numbers = &directory.numbers;
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Allocation>>(4);
        let corrected = std::thread::scope(|threads| -> Result<Vec<(ClientId, ReplayOutcome)>> {
            let replayer = threads.spawn(move || -> Result<Vec<(ClientId, ReplayOutcome)>> {
                let mut allocations = Vec::with_capacity(2 * ALLOCATION_CHUNK);
                // What a replay derived beyond invoices and payments (few clients),
                // for this thread's caller to write.
                let mut corrected = Vec::new();
                for client in clients {
                    let (inv, pay) = picture.ranges(client, rows);
                    let invoices = picture.invoice_order[inv.clone()]
                        .iter()
                        .map(|&i| rows[i as usize].replay_invoice(numbers.get(i as usize)))
                        .collect();
                    let payments = picture.payment_order[pay.clone()]
                        .iter()
                        .map(|&p| picture.payments[p as usize].replay_payment())
                        .collect();
                    let mut outcome = replay(
                        invoices,
                        payments,
                        corrections.remove(&client).unwrap_or_default(),
                    );
                    picture.keep(rows, inv, pay, &outcome)?;
                    allocations.append(&mut outcome.allocations);
                    if !outcome.corrections.is_empty() {
                        // Kept for the writer: what it saves of corrections (their
                        // state, and the closings undone), not the invoices' and
                        // payments' states the picture holds.
                        corrected.push((
                            client,
                            ReplayOutcome {
                                corrections: outcome.corrections,
                                closings: outcome.closings,
                                ..ReplayOutcome::default()
                            },
                        ));
                    }
                    if allocations.len() >= ALLOCATION_CHUNK {
                        let full =
                            std::mem::replace(&mut allocations, Vec::with_capacity(2 * ALLOCATION_CHUNK));
                        if send.send(full).is_err() {
                            return Ok(corrected); // the writer failed, and says why
                        }
                    }
                }
                let _ = send.send(allocations);
                Ok(corrected)
            });
            // An error here drops the receiver, which stops the replayer at its next send.
            for allocations in receive {
                insert_allocations(conn, &allocations)?;
            }
            replayer
                .join()
                .map_err(|_| internal!("the replay thread panicked"))?
        })?;
        for (client, outcome) in &corrected {
            save_corrections(conn, *client, Date::MIN, outcome, false)?;
        }
        self.replayed.extend(plan.iter().map(|&(c, _)| c));
        Ok(())
    }

    /// At the commit: the last allocations, the replayed clients' old allocations
    /// out, the moved derived columns in, the indexes back.
    pub(super) fn flush(&mut self, conn: &Connection) -> Result<()> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        self.rows.flush(conn)?;
        insert_allocations(conn, &self.pending)?;
        self.pending = Vec::new();
        if let Some(old) = self
            .old_allocations
            .filter(|&old| old > 0 && !self.replayed.is_empty())
        {
            conn.execute_batch("CREATE TEMP TABLE ar_replayed (id INTEGER PRIMARY KEY)")?;
            {
                let mut insert = conn.prepare("INSERT OR IGNORE INTO temp.ar_replayed (id) VALUES (?1)")?;
                for id in &self.replayed {
                    insert.execute([id])?;
                }
            }
            conn.execute(
                "DELETE FROM allocations WHERE id <= ?1
                 AND invoice_id IN (SELECT id FROM invoices WHERE client_id IN (SELECT id FROM temp.ar_replayed))",
                [old],
            )?;
            conn.execute(
                "DELETE FROM allocations WHERE id <= ?1 AND invoice_id IS NULL
                 AND correction_id IN (SELECT id FROM corrections WHERE client_id IN (SELECT id FROM temp.ar_replayed))",
                [old],
            )?;
            if self.old_closings > 0 {
                conn.execute(
                    "DELETE FROM closings WHERE rowid <= ?1
                     AND invoice_id IN (SELECT id FROM invoices WHERE client_id IN (SELECT id FROM temp.ar_replayed))",
                    [self.old_closings],
                )?;
            }
            conn.execute_batch("DROP TABLE temp.ar_replayed")?;
        }
        let directory = Arc::unwrap_or_clone(std::mem::take(&mut self.directory));
        if let (Some(picture), Some(rows)) = (self.picture.take(), directory.rows) {
            update_payment_states(
                conn,
                picture
                    .payments
                    .iter()
                    .zip(&picture.payment_moved)
                    .filter(|(_, moved)| **moved)
                    .map(|(p, _)| PaymentState {
                        id: p.id,
                        unapplied: p.unapplied,
                        applied_on: p.applied_on.get(),
                    }),
            )?;
            let total = rows.len();
            let moved: Vec<InvoiceState> = rows
                .iter()
                .zip(&picture.invoice_moved)
                .filter(|(_, moved)| **moved)
                .map(|(inv, _)| InvoiceState {
                    id: inv.id,
                    settled: inv.settled,
                    closed_on: inv.closed_on.get(),
                    closed_by_adjustment: inv.closed_by_adjustment,
                })
                .collect();
            // (Memory back for the sweep and the sorts.)
            drop(picture);
            drop(rows);
            drop(directory.numbers);
            if moved.len() >= total / 4 {
                sweep_invoice_states(conn, moved)?;
            } else {
                update_invoice_states(conn, moved)?;
            }
        }
        // Both cores for the sorts that rebuild the indexes.
        conn.pragma_update(None, "threads", 2)?;
        for (_, sql) in std::mem::take(&mut self.dropped) {
            conn.execute_batch(&sql)
                .map_err(|e| match e.sqlite_error_code() {
                    // The unique index on numbers, rebuilt: a repeat the load missed.
                    Some(rusqlite::ErrorCode::ConstraintViolation) => anyhow::Error::from(internal!(
                        "a repeated invoice number passed the bulk load's check"
                    )),
                    _ => e.into(),
                })?;
        }
        conn.pragma_update(None, "threads", 0)?;
        Ok(())
    }
}

impl Directory {
    fn find(&self, number: &str) -> Option<InvoiceRef> {
        let i = self.numbers.find(number)?;
        let inv = self.rows.as_ref()?.get(i)?;
        Some(InvoiceRef {
            id: inv.id,
            client_id: ClientId::from(inv.client_id),
            currency: inv.currency,
            issue_date: inv.issue_date,
            void: inv.void(),
        })
    }
}

impl InvoiceLookup for Directory {
    fn find(&self, number: &str) -> Option<InvoiceRef> {
        Directory::find(self, number.trim())
    }
}

impl Picture {
    /// Keep what a replay of the invoices `inv` and payments `pay` (ranges of the
    /// two orders) derived, marking the rows whose derived columns moved. The replay
    /// reports invoices in the order given and payments in (date, entry) order: the
    /// order of both ranges.
    fn keep(
        &mut self,
        rows: &mut [StoredInvoice],
        inv: std::ops::Range<usize>,
        pay: std::ops::Range<usize>,
        outcome: &ReplayOutcome,
    ) -> Result<()> {
        for (&i, state) in self.invoice_order[inv].iter().zip(&outcome.invoices) {
            let stored = &mut rows[i as usize];
            if stored.id != state.id {
                bail!(internal!(
                    "replay returned invoice {} for {}",
                    state.id,
                    stored.id
                ));
            }
            let closed_on = Later::new(state.closed_on);
            let now = (state.settled, closed_on, state.closed_by_adjustment);
            if (stored.settled, stored.closed_on, stored.closed_by_adjustment) != now {
                (stored.settled, stored.closed_on, stored.closed_by_adjustment) = now;
                self.invoice_moved[i as usize] = true;
            }
        }
        for (&p, state) in self.payment_order[pay].iter().zip(&outcome.payments) {
            let stored = &mut self.payments[p as usize];
            if stored.id != state.id {
                bail!(internal!(
                    "replay returned payment {} for {}",
                    state.id,
                    stored.id
                ));
            }
            let applied_on = Later::new(state.applied_on);
            if (stored.unapplied, stored.applied_on) != (state.unapplied, applied_on) {
                (stored.unapplied, stored.applied_on) = (state.unapplied, applied_on);
                self.payment_moved[p as usize] = true;
            }
        }
        Ok(())
    }

    /// Where `client`'s invoices and payments lie in the two orders (both sorted by
    /// client).
    fn ranges(
        &self,
        client: ClientId,
        rows: &[StoredInvoice],
    ) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let inv = |c: ClientId| {
            self.invoice_order
                .partition_point(|&i| ClientId::from(rows[i as usize].client_id) < c)
        };
        let pay = |c: ClientId| {
            self.payment_order
                .partition_point(|&p| ClientId::from(self.payments[p as usize].client_id) < c)
        };
        (inv(client)..inv(client + 1), pay(client)..pay(client + 1))
    }
}

/// Rows per multi-row INSERT (11 parameters each at most; SQLite allows 32,766): a
/// million single-row inserts spent a third of their time starting and ending
/// statements.
const ROWS: usize = 64;

/// Invoices and payments entered but not inserted yet, with the ids they will have
/// (the largest so far plus one, as SQLite gives them: nothing else writes the
/// ledger during a bulk load).
#[derive(Default)]
struct Pending {
    invoices: Vec<PendingInvoice>,
    payments: Vec<PendingPayment>,
    next_invoice: Option<i64>,
    next_payment: Option<i64>,
}

struct PendingInvoice {
    id: i64,
    number: String,
    client_id: ClientId,
    currency: Currency,
    issue_date: Date,
    due_date: Date,
    amount: i64,
    terms: crate::domain::Terms,
    description: Option<String>,
    batch: Option<i64>,
}

struct PendingPayment {
    id: i64,
    client_id: ClientId,
    currency: Currency,
    date: Date,
    amount: i64,
    invoice_id: Option<InvoiceId>,
    reference: Option<String>,
    batch: Option<i64>,
}

impl Pending {
    fn next(conn: &Connection, slot: &mut Option<i64>, table: &str) -> Result<i64> {
        let id = match *slot {
            Some(id) => id,
            None => conn.query_row(
                &format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
                [],
                |r| r.get(0),
            )?,
        };
        *slot = Some(id + 1);
        Ok(id)
    }

    fn invoice(&mut self, conn: &Connection, inv: &NewInvoiceRow, batch: Option<i64>) -> Result<InvoiceId> {
        let id = Pending::next(conn, &mut self.next_invoice, "invoices")?;
        self.invoices.push(PendingInvoice {
            id,
            number: inv.number.to_string(),
            client_id: inv.client_id,
            currency: inv.currency,
            issue_date: inv.issue_date,
            due_date: inv.due_date,
            amount: inv.amount,
            terms: inv.terms,
            description: inv.description.map(str::to_string),
            batch,
        });
        if self.invoices.len() == ROWS {
            self.insert_invoices(conn)?;
        }
        Ok(id)
    }

    fn payment(&mut self, conn: &Connection, p: &NewPaymentRow, batch: Option<i64>) -> Result<i64> {
        let id = Pending::next(conn, &mut self.next_payment, "payments")?;
        self.payments.push(PendingPayment {
            id,
            client_id: p.client_id,
            currency: p.currency,
            date: p.date,
            amount: p.amount,
            invoice_id: p.invoice_id,
            reference: p.reference.map(str::to_string),
            batch,
        });
        if self.payments.len() == ROWS {
            self.insert_payments(conn)?;
        }
        Ok(id)
    }

    fn flush(&mut self, conn: &Connection) -> Result<()> {
        self.insert_invoices(conn)?;
        self.insert_payments(conn)
    }

    fn insert_invoices(&mut self, conn: &Connection) -> Result<()> {
        if self.invoices.is_empty() {
            return Ok(());
        }
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; self.invoices.len()].join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT INTO invoices (id, number, client_id, currency, issue_date, due_date, amount, terms_days,
             discount_bp, discount_days, description, batch) VALUES {values}"
        ))?;
        for (k, inv) in self.invoices.iter().enumerate() {
            let at = k * 12;
            stmt.raw_bind_parameter(at + 1, inv.id)?;
            stmt.raw_bind_parameter(at + 2, inv.number.as_str())?;
            stmt.raw_bind_parameter(at + 3, inv.client_id)?;
            stmt.raw_bind_parameter(at + 4, inv.currency.code())?;
            stmt.raw_bind_parameter(at + 5, DateText::new(inv.issue_date))?;
            stmt.raw_bind_parameter(at + 6, DateText::new(inv.due_date))?;
            stmt.raw_bind_parameter(at + 7, inv.amount)?;
            stmt.raw_bind_parameter(at + 8, inv.terms.net_days)?;
            stmt.raw_bind_parameter(at + 9, inv.terms.discount_bp)?;
            stmt.raw_bind_parameter(at + 10, inv.terms.discount_days)?;
            stmt.raw_bind_parameter(at + 11, inv.description.as_deref())?;
            stmt.raw_bind_parameter(at + 12, inv.batch)?;
        }
        stmt.raw_execute()?;
        self.invoices.clear();
        Ok(())
    }

    fn insert_payments(&mut self, conn: &Connection) -> Result<()> {
        if self.payments.is_empty() {
            return Ok(());
        }
        // Inserted as applied in full on their date (see `WriteTxn::insert_payment`).
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, 0, ?, ?)"; self.payments.len()].join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT INTO payments (id, client_id, currency, date, amount, invoice_id, reference, unapplied,
             applied_on, batch) VALUES {values}"
        ))?;
        for (k, p) in self.payments.iter().enumerate() {
            let at = k * 9;
            let date = DateText::new(p.date);
            stmt.raw_bind_parameter(at + 1, p.id)?;
            stmt.raw_bind_parameter(at + 2, p.client_id)?;
            stmt.raw_bind_parameter(at + 3, p.currency.code())?;
            stmt.raw_bind_parameter(at + 4, &date)?;
            stmt.raw_bind_parameter(at + 5, p.amount)?;
            stmt.raw_bind_parameter(at + 6, p.invoice_id)?;
            stmt.raw_bind_parameter(at + 7, p.reference.as_deref())?;
            stmt.raw_bind_parameter(at + 8, &date)?;
            stmt.raw_bind_parameter(at + 9, p.batch)?;
        }
        stmt.raw_execute()?;
        self.payments.clear();
        Ok(())
    }
}

/// How many payments share each key hash: every hash once (8 bytes a payment,
/// a million held), and apart the few that repeat. The hash stands for the key:
/// two payments that differ collide with odds of one in 2^64.
struct Similar {
    seen: hashbrown::HashTable<u64>,
    /// Payments beyond the first, by hash.
    more: hashbrown::HashMap<u64, u32>,
}

impl Similar {
    fn with_capacity(n: usize) -> Similar {
        Similar {
            seen: hashbrown::HashTable::with_capacity(n),
            more: hashbrown::HashMap::new(),
        }
    }

    fn add(&mut self, hash: u64) {
        if self.seen.find(hash, |&h| h == hash).is_some() {
            *self.more.entry(hash).or_default() += 1;
        } else {
            self.seen.insert_unique(hash, hash, |&h| h);
        }
    }

    fn count(&self, hash: u64) -> u64 {
        match self.seen.find(hash, |&h| h == hash) {
            Some(_) => 1 + u64::from(self.more.get(&hash).copied().unwrap_or(0)),
            None => 0,
        }
    }
}

/// Every correction (of one client, or all), as the replay takes them, by client.
fn load_corrections(
    conn: &Connection,
    client: Option<ClientId>,
) -> Result<hashbrown::HashMap<ClientId, Vec<ReplayCorrection>>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT client_id, {REPLAY_CORRECTION_COLUMNS} FROM corrections WHERE ?1 IS NULL OR client_id = ?1 ORDER BY id"
    ))?;
    let mut rows = stmt.query([client])?;
    let mut map: hashbrown::HashMap<ClientId, Vec<ReplayCorrection>> = hashbrown::HashMap::new();
    while let Some(r) = rows.next()? {
        map.entry(r.get(0)?).or_default().push(replay_correction(r, 1)?);
    }
    Ok(map)
}

fn count(conn: &Connection, table: &str) -> Result<usize> {
    let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

fn update_invoice_states(conn: &Connection, states: impl IntoIterator<Item = InvoiceState>) -> Result<()> {
    let mut update = conn.prepare_cached(
        "UPDATE invoices SET settled = ?2, closed_on = ?3, closed_by_adjustment = ?4 WHERE id = ?1",
    )?;
    for i in states {
        update.execute(params![
            i.id,
            i.settled,
            DateText::or_not_yet(i.closed_on),
            i.closed_by_adjustment
        ])?;
    }
    Ok(())
}

fn update_payment_states(conn: &Connection, states: impl IntoIterator<Item = PaymentState>) -> Result<()> {
    let mut update =
        conn.prepare_cached("UPDATE payments SET unapplied = ?2, applied_on = ?3 WHERE id = ?1")?;
    for p in states {
        update.execute(params![p.id, p.unapplied, DateText::or_not_yet(p.applied_on)])?;
    }
    Ok(())
}

/// [`update_invoice_states`] for a good part of the table (a first payments load
/// moves nearly every invoice): one UPDATE sweeps the table and asks a function of
/// this call for each row's new values. It runs in about half the time of an UPDATE
/// per row, which starts a statement and seeks its row a million times. `states`
/// must be in id order.
///
/// `OR FAIL` rather than the default `ABORT`: an aborting statement inside a
/// transaction first copies every page it changes to a statement journal, to undo
/// itself alone; here that was a second write of the whole table. A failure fails
/// the whole transaction anyway, which rolls everything back.
fn sweep_invoice_states(conn: &Connection, states: Vec<InvoiceState>) -> Result<()> {
    if !states.is_sorted_by_key(|s| s.id) {
        bail!(internal!("invoice states out of id order"));
    }
    // ar_invoice_state(id, 0): whether the row moved; (id, 1): its `settled`;
    // (id, 2): its `closed_on`; (id, 3): its `closed_by_adjustment`. The calls for a
    // row come one after the other,
    // so the position found by the first serves the others.
    let at = std::cell::Cell::new(0usize);
    conn.create_scalar_function(
        STATE_FUNCTION,
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY,
        move |ctx| -> rusqlite::Result<Value> {
            let (id, what): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
            let state = match states.get(at.get()) {
                Some(s) if s.id == id => s,
                _ => match states.binary_search_by_key(&id, |s| s.id) {
                    Ok(k) => {
                        at.set(k);
                        &states[k]
                    }
                    Err(_) => return Ok(Value::Integer(0)),
                },
            };
            Ok(match what {
                0 => Value::Integer(1),
                1 => Value::Integer(state.settled),
                3 => Value::Integer(i64::from(state.closed_by_adjustment)),
                _ => Value::Text(DateText::or_not_yet(state.closed_on).as_str().to_string()),
            })
        },
    )?;
    let updated = conn.execute(
        &format!(
            "UPDATE OR FAIL invoices SET settled = {STATE_FUNCTION}(id, 1), closed_on = {STATE_FUNCTION}(id, 2),
             closed_by_adjustment = {STATE_FUNCTION}(id, 3) WHERE {STATE_FUNCTION}(id, 0)"
        ),
        [],
    );
    let removed = conn.remove_function(STATE_FUNCTION, 2);
    updated?;
    removed?;
    Ok(())
}
