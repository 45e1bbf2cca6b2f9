//! Storage behind a seam: the transactions the ledger runs, as traits whose every
//! method states what it must guarantee, and the backends that implement them.
//!
//! The ledger layer (`crate::ledger`) owns every rule: validation, numbering format,
//! which clients to replay and from when, the allocation replay itself
//! (`engine::replay`). A store only keeps facts, keeps the derived state the replay
//! hands it, and answers questions about both. It must not re-derive a rule: what an
//! allocation is, when an invoice closes or how much credit a payment holds comes
//! from the replay, never from the store's own arithmetic. (Sums of what the replay
//! stored, such as "allocated to this invoice by date D", are answers, not rules.)
//!
//! Backends: [`sqlite`] (a file, or memory for tests). Each passes the conformance
//! suite in `store::tests` (`storage_tests!`), which a new backend (PostgreSQL) must
//! pass too. Nothing in the contracts below may rely on SQLite's single writer: where
//! two write transactions can run at once, the contract says what each must see.
//!
//! ## Transactions
//! Everything happens inside a transaction: [`Store::read`] gives a consistent
//! snapshot, [`Store::write`] one atomic write. A write transaction dropped without
//! [`WriteTxn::commit`] leaves the ledger exactly as it was.
//!
//! ## Identities
//! Client, invoice and payment ids are positive and increase in entry order: a later
//! entry has a larger id than every entry committed before it. The replay's tie-break
//! ("entry order") is the id order.

pub mod pg;
pub mod sqlite;
#[cfg(test)]
mod tests;

use anyhow::Result;

use crate::domain::entities::{
    AllocationLine, Client, ClientChangeEntry, Correction, CorrectionKind, Invoice, LogEntry, Payment,
};
use crate::domain::{Currency, Date, Terms};
pub use crate::engine::replay::{
    Allocation, Closing, CorrectionState, InvoiceState, PaymentState, ReplayCorrection, ReplayOutcome,
};
use crate::engine::replay::{ReplayInvoice, ReplayPayment};
pub use crate::engine::rows::{ClientRef, ClosedItem, CreditItem, OpenItem};

pub type ClientId = i64;
pub type InvoiceId = i64;
pub type PaymentId = i64;
pub type CorrectionId = i64;

/// What a write transaction expects to write, so a backend can prepare for a large
/// load (and stay simple for a single entry). Only a hint: any number of entries may
/// be written whatever it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteHint {
    /// About how many clients, invoices and payments the transaction will enter
    /// (`u64::MAX` when unknown but possibly large: an import from a pipe).
    pub entries: u64,
}

impl WriteHint {
    /// A single command: one entry or a handful.
    pub const ONE: WriteHint = WriteHint { entries: 1 };
}

/// A ledger's storage.
pub trait Store: Send {
    /// Where the ledger is, as messages show it (a file path; for a server, its
    /// address without any password).
    fn address(&self) -> &str;

    /// Begin a read transaction: every method answers from one snapshot of the
    /// ledger, taken at the first read and unchanged by writers that commit
    /// meanwhile. Must not write anything, anywhere: a ledger the user can only read
    /// (a read-only file, a read-only directory) can be read.
    fn read(&mut self) -> Result<Box<dyn ReadTxn + '_>>;

    /// Begin a write transaction. It sees every transaction committed before it
    /// began. Creates the ledger's schema (or brings an older one up to date) inside
    /// this transaction when needed, so a write that fails leaves no ledger behind
    /// where there was none. Fails with [`crate::domain::error::Busy`] when another
    /// writer holds the ledger longer than the store waits.
    fn write(&mut self, hint: WriteHint) -> Result<Box<dyn WriteTxn + '_>>;

    /// `err`, a failure of one of this store's transactions, as the user should see
    /// it: the backend's own errors that the user can act on (busy, read-only, disk
    /// full, a damaged file) become typed; the rest stay as they are (internal).
    fn explain(&self, err: anyhow::Error) -> anyhow::Error;

    /// Whether the read transactions since the last call may have seen the ledger
    /// while another program wrote it without the store noticing (a backend that
    /// reads a file without locks: see `sqlite`), so that what they read must be
    /// read again. False for a backend whose reads are snapshots.
    fn read_again(&self) -> bool {
        false
    }
}

/// The questions a transaction can answer. Methods take `&mut self` (a backend may
/// keep statements or caches); none of them writes.
pub trait ReadTxn {
    /// The schema version of the ledger as stored (0: no ledger yet).
    fn schema_version(&mut self) -> Result<i64>;

    /// A ledger setting (`default_currency`, `next_invoice_seq`, ...).
    fn setting(&mut self, key: &str) -> Result<Option<String>>;

    /// Every setting, ordered by key.
    fn settings(&mut self) -> Result<Vec<(String, String)>>;

    /// Whether the ledger holds any client or invoice.
    fn is_empty(&mut self) -> Result<bool>;

    /// The client whose code equals `code` in any letter case
    /// (`domain::text::fold_case`: ASCII letters only), `code` trimmed.
    /// `limit_currency`: the currency credit limits are held in.
    fn client_by_code(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>>;

    /// The client with id `id`.
    fn client_by_id(&mut self, id: ClientId, limit_currency: Currency) -> Result<Option<Client>>;

    /// Every client, ordered by code (in the store's case-insensitive order).
    fn clients(&mut self, limit_currency: Currency) -> Result<Vec<Client>>;

    /// Every client as reports name it, ordered by id.
    fn client_refs(&mut self) -> Result<Vec<ClientRef>>;

    /// What checking a payment needs of the invoice numbered `number` (any letter
    /// case, trimmed).
    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>>;

    /// The number of invoice `id`, as stored (for messages).
    fn invoice_number(&mut self, id: InvoiceId) -> Result<String>;

    /// Whether an invoice numbered `number` (any letter case) exists.
    fn invoice_number_taken(&mut self, number: &str) -> Result<bool>;

    /// The invoice `id`, as of `as_of` (see [`InvoiceFilter::as_of`]).
    fn invoice(&mut self, id: InvoiceId, as_of: Date) -> Result<Option<Invoice>>;

    /// Invoices matching `filter`, in (issue date, id) order, each as of
    /// `filter.as_of`.
    fn invoices(&mut self, filter: &InvoiceFilter, f: &mut dyn FnMut(Invoice) -> Result<()>) -> Result<()>;

    /// Every allocation to invoice `id` dated on or before `as_of`, in (date, entry)
    /// order.
    fn invoice_allocations(&mut self, id: InvoiceId, as_of: Date) -> Result<Vec<AllocationLine>>;

    /// The payment `id`, its unapplied credit as of `as_of`.
    fn payment(&mut self, id: PaymentId, as_of: Date) -> Result<Option<Payment>>;

    /// Payments matching `filter`, in (date, id) order.
    fn payments(&mut self, filter: &PaymentFilter, f: &mut dyn FnMut(Payment) -> Result<()>) -> Result<()>;

    /// Where payment `id` went: its allocations, in the order the replay made them.
    fn payment_allocations(&mut self, id: PaymentId) -> Result<Vec<AllocationLine>>;

    /// Whether `client` has a payment or a credit application in `currency`, dated
    /// on or after `from`, that names no invoice: only such an entry can reach an
    /// invoice issued on `from`.
    /// May answer true when it cannot tell cheaply (then a replay finds nothing to do).
    fn unnamed_payments_from(&mut self, client: ClientId, currency: Currency, from: Date) -> Result<bool>;

    /// How many payments of `client` dated after `date` there are, other than `except`.
    fn payments_after(&mut self, client: ClientId, date: Date, except: PaymentId) -> Result<u64>;

    /// Every non-void invoice issued on or before `as_of` with a balance open at
    /// `as_of` (amount less its allocations dated on or before `as_of`) greater than
    /// zero; optionally of one client; with numbers only when asked (they cost).
    fn open_items(
        &mut self,
        as_of: Date,
        client: Option<ClientId>,
        with_numbers: bool,
        f: &mut dyn FnMut(OpenItem) -> Result<()>,
    ) -> Result<()>;

    /// The unapplied credit of every payment dated on or before `as_of` that holds
    /// some then (its amount less its allocations dated on or before `as_of`).
    fn credit_items(
        &mut self,
        as_of: Date,
        client: Option<ClientId>,
        f: &mut dyn FnMut(CreditItem) -> Result<()>,
    ) -> Result<()>;

    /// Every non-void invoice the replay closed on a day in `(after, until]`.
    fn closed_items(
        &mut self,
        after: Date,
        until: Date,
        f: &mut dyn FnMut(ClosedItem) -> Result<()>,
    ) -> Result<()>;

    /// Every non-void invoice issued in `(after, until]`: its currency and amount
    /// (DSO's amount invoiced).
    fn issued_amounts(
        &mut self,
        after: Date,
        until: Date,
        f: &mut dyn FnMut(Currency, i64) -> Result<()>,
    ) -> Result<()>;

    /// The facts a replay of `client` from `from` needs: its payments and
    /// corrections dated on or after the scope's start, in (date, id) order; and,
    /// when there is at least one such payment or correction, its invoices not
    /// closed (nor void) before the scope's start, each with what was allocated to
    /// it before that start (void ones in the scope with their void date). For a
    /// client with corrections, also what reaches back before the start, each with
    /// its state then (`prior`): the payments and credit notes holding credit then,
    /// the payments a reversal in the scope reverses (with what they had settled,
    /// whose invoices are in the scope too, closed or not), and the invoices'
    /// credit notes, reversals and discounts before the start. The scope may start earlier
    /// than `from` (never later): a replay from any earlier date gives the same
    /// result, and a backend may prefer whole clients (a bulk load). It starts at
    /// [`Date::MIN`] at the latest when `from` is `Date::MIN`, and then the invoices'
    /// "allocated before" are zero: the scope is built from facts alone.
    fn replay_scope(&mut self, client: ClientId, from: Date) -> Result<ReplayScope>;

    /// What the store holds as derived for `client`: every allocation to its
    /// invoices, and the derived state of each of its invoices (void ones included)
    /// and payments, in id order: what `ar check` compares with a fresh replay
    /// (through [`ReadTxn::each_client_state`], whose default asks this per client).
    fn derived_state(&mut self, client: ClientId) -> Result<StoredDerived>;

    /// Every client (in id order) with what `ar check` compares: the scope of a
    /// replay from the beginning (as [`ReadTxn::replay_scope`] from `Date::MIN`) and
    /// the stored derived state ([`ReadTxn::derived_state`]). A backend may read whole
    /// tables at once for this (it may hold the ledger's facts in memory).
    fn each_client_state(
        &mut self,
        f: &mut dyn FnMut(ClientId, ReplayScope, StoredDerived) -> Result<()>,
    ) -> Result<()> {
        for client in self.client_refs()? {
            let scope = self.replay_scope(client.id, Date::MIN)?;
            let derived = self.derived_state(client.id)?;
            f(client.id, scope, derived)?;
        }
        Ok(())
    }

    /// What a reversal of payment `id` needs of it (its own columns: answered within
    /// a bulk load without ending it).
    fn payment_ref(&mut self, id: PaymentId) -> Result<Option<PaymentRef>>;

    /// When and by whom the entry was made (none for what an earlier schema entered).
    fn entered(&mut self, entry: EntryKind, id: i64) -> Result<Option<(String, String)>>;

    /// The correction `id`.
    fn correction(&mut self, id: CorrectionId) -> Result<Option<Correction>>;

    /// The credit notes of `client` dated on or before `as_of` that hold credit then,
    /// in id order, each with its `unapplied` as of then.
    fn notes_with_credit(&mut self, client: ClientId, as_of: Date) -> Result<Vec<Correction>>;

    /// The reversal of payment `id`, if it has one.
    fn reversal_of(&mut self, payment: PaymentId) -> Result<Option<Correction>>;

    /// Every correction (of one client, or all), in id order.
    fn corrections(
        &mut self,
        client: Option<ClientId>,
        f: &mut dyn FnMut(Correction) -> Result<()>,
    ) -> Result<()>;

    /// Every change of a client's master data, in entry order (an export's).
    fn client_changes(&mut self, f: &mut dyn FnMut(ClientChangeEntry) -> Result<()>) -> Result<()>;

    /// What correction `id` moved: its allocations, in the order the replay made them.
    fn correction_allocations(&mut self, id: CorrectionId) -> Result<Vec<AllocationLine>>;

    /// The audit trail: every fact and client change (of one client, or all;
    /// entered on or after `since`, a UTC day, when given), in entry order: by
    /// batch, and within a batch clients, their changes, invoices, voids, payments,
    /// corrections, each in id order. What an earlier schema entered (no batch)
    /// comes first.
    fn log(
        &mut self,
        client: Option<ClientId>,
        since: Option<Date>,
        f: &mut dyn FnMut(LogEntry) -> Result<()>,
    ) -> Result<()>;

    /// Problems the backend finds in its own storage (a damaged page, a broken
    /// reference, a derived row that points nowhere), one sentence each.
    fn integrity_problems(&mut self) -> Result<Vec<String>>;

    /// Every client in id order.
    fn each_client(
        &mut self,
        limit_currency: Currency,
        f: &mut dyn FnMut(Client) -> Result<()>,
    ) -> Result<()>;

    /// Every invoice (void ones too) in id order, then every payment in id order,
    /// each as it stands after every entry.
    fn each_invoice_and_payment(
        &mut self,
        invoice: &mut dyn FnMut(Invoice) -> Result<()>,
        payment: &mut dyn FnMut(Payment) -> Result<()>,
    ) -> Result<()>;
}

/// A write transaction: every [`ReadTxn`] question, answered with this transaction's
/// own writes included, and the writes.
pub trait WriteTxn: ReadTxn {
    /// Set (or replace) a ledger setting.
    fn set_setting(&mut self, key: &str, value: &str) -> Result<()>;

    /// Take the next value of the ledger's invoice sequence (`next_invoice_seq`,
    /// 1 when unset) and advance it. Two transactions never take the same value,
    /// even at once (one waits for the other); a transaction that rolls back gives
    /// its values back.
    fn take_invoice_seq(&mut self) -> Result<u64>;

    /// The client with `code` (as [`ReadTxn::client_by_code`]), locked for this
    /// transaction: until it ends, no other write transaction can change the client
    /// or enter or replay anything of it (their `lock_client` of it waits), and what
    /// this transaction reads of the client from now on is what it commits over.
    /// Every write of a client's entries first locks the client; a transaction that
    /// locks several does so in any order (a backend that can deadlock orders or
    /// retries internally).
    fn lock_client(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>>;

    /// Who and when the entries this transaction writes from now on were entered
    /// (every fact records it; the store keeps one batch per distinct author), or
    /// (`None`) that they were entered before the audit trail began (an import of
    /// an export of such a ledger).
    fn set_author(&mut self, author: Option<&Author>) -> Result<()>;

    /// Record a change of a client's master data (with the author last set).
    fn record_client_change(&mut self, change: &ClientChange) -> Result<()>;

    /// Insert a correction; returns its id. Its derived state is "not replayed yet"
    /// until a replay of its client saves it. Reversing a payment that has a
    /// reversal already is refused with `LedgerError::AlreadyReversed`.
    fn insert_correction(&mut self, correction: &NewCorrectionRow) -> Result<CorrectionId>;

    /// Insert a client (its `id` is ignored); returns its id. A code already taken
    /// (any letter case) is refused with `LedgerError::DuplicateClient`.
    fn insert_client(&mut self, client: &Client) -> Result<ClientId>;

    /// Replace a client's name, email, credit limit and terms (by id).
    fn update_client(&mut self, client: &Client) -> Result<()>;

    /// Insert an invoice; returns its id. A number already taken (any letter case,
    /// by a committed invoice or by one this transaction entered) is refused with
    /// `LedgerError::DuplicateInvoice`; so is one that a concurrent transaction
    /// commits first.
    fn insert_invoice(&mut self, invoice: &NewInvoiceRow) -> Result<InvoiceId>;

    /// Mark invoice `id` void from `on` (its `void_from` and `voided_on`), with an
    /// optional reason.
    fn void_invoice(&mut self, id: InvoiceId, from: Date, given_on: Date, reason: Option<&str>)
    -> Result<()>;

    /// Insert a payment; returns its id. Its derived state is "applied in full on its
    /// date" until a replay says otherwise.
    fn insert_payment(&mut self, payment: &NewPaymentRow) -> Result<PaymentId>;

    /// A view of the ledger's invoices by number that another thread can use while
    /// this one writes (an import's reader thread finds each payment row's invoice),
    /// or `None` when the store has none to offer (then ask [`ReadTxn::invoice_ref`]).
    /// It answers as `invoice_ref` would at the time of the call, and must stay
    /// right for as long as it is held: a backend offers one only while the invoices
    /// it lists cannot change under it (no other writer can void them), and the
    /// caller drops it before this transaction enters or voids an invoice.
    fn invoice_lookup(&mut self) -> Result<Option<std::sync::Arc<dyn InvoiceLookup>>> {
        Ok(None)
    }

    /// How many payments in the ledger (this transaction's included) have the same
    /// client, date, currency, amount and reference as `key` (references compared
    /// exactly, both absent counting as the same).
    fn similar_payments(&mut self, key: &PaymentKey) -> Result<u64>;

    /// Replace what the store derived for `client` from `scope_from` on (the `from`
    /// of the [`ReplayScope`] the outcome was computed from, in this transaction,
    /// with the client locked, so that the outcome lists every invoice of the scope):
    /// every allocation of the client's payments dated on or after `scope_from` is
    /// replaced by `outcome.allocations`, and every invoice and payment in the outcome
    /// takes its new derived state.
    ///
    /// A store may rely on what `engine::replay` guarantees of an allocation: it is
    /// dated on its payment's date, and goes to an invoice open (not closed) before
    /// that date. So the allocations to replace are all on invoices of the scope,
    /// and a payment's allocations are found through the invoices open at its date
    /// ([`ReadTxn::payment_allocations`]).
    fn save_replay(&mut self, client: ClientId, scope_from: Date, outcome: ReplayOutcome) -> Result<()>;

    /// Replay each client of `plan` (in id order, each from its date) with `replay`
    /// and save the outcomes: what [`ReadTxn::replay_scope`], `replay` and
    /// [`WriteTxn::save_replay`] do client by client (this default), and what a
    /// backend may do in a way of its own (a bulk load replays from memory on a second
    /// thread). A client with no payment in its scope needs no replay.
    fn replay_clients(&mut self, plan: &[(ClientId, Date)], replay: &ReplayFn<'_>) -> Result<()> {
        replay_each(self, plan, replay)
    }

    /// The last import of a file with this content digest, if any.
    fn find_import(&mut self, digest: &str) -> Result<Option<ImportRecord>>;

    /// Record that a file was imported.
    fn record_import(&mut self, record: &ImportRecord) -> Result<()>;

    /// Make every write of this transaction durable and visible, all at once. When it
    /// returns Ok, the writes survive a crash or a power cut.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// [`WriteTxn::replay_clients`] client by client: its default, for backends to fall
/// back on.
pub fn replay_each<T: WriteTxn + ?Sized>(
    txn: &mut T,
    plan: &[(ClientId, Date)],
    replay: &ReplayFn<'_>,
) -> Result<()> {
    for &(client, from) in plan {
        let scope = txn.replay_scope(client, from)?;
        if scope.is_empty() {
            continue;
        }
        // The replay is causal: entries from `from` on change nothing dated before
        // it (an allocation, or whether a source of credit held any after its own
        // date), so only what is dated from then on is saved, however early the
        // scope began (a client with corrections replays whole).
        let from = from.max(scope.from);
        let mut outcome = replay(scope.invoices, scope.payments, scope.corrections);
        outcome.allocations.retain(|a| a.date >= from);
        outcome.closings.retain(|c| c.reopened_on >= from);
        txn.save_replay(client, from, outcome)?;
    }
    Ok(())
}

/// The one definition of allocation (`engine::replay::replay`), as the store is
/// handed it: invoices may borrow their numbers from the store for the call.
pub type ReplayFn<'f> = dyn for<'a> Fn(Vec<ReplayInvoice<'a>>, Vec<ReplayPayment>, Vec<ReplayCorrection>) -> ReplayOutcome
    + Sync
    + 'f;

/// An invoice to insert: the ledger has validated it and resolved every default.
#[derive(Debug, Clone)]
pub struct NewInvoiceRow<'a> {
    pub number: &'a str,
    pub client_id: ClientId,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: i64,
    /// Terms in force when issued.
    pub terms: Terms,
    pub description: Option<&'a str>,
}

/// A payment to insert, validated.
#[derive(Debug, Clone)]
pub struct NewPaymentRow<'a> {
    pub client_id: ClientId,
    pub currency: Currency,
    pub date: Date,
    pub amount: i64,
    /// The invoice the payment names.
    pub invoice_id: Option<InvoiceId>,
    pub reference: Option<&'a str>,
}

/// A correction to insert, validated.
#[derive(Debug, Clone)]
pub struct NewCorrectionRow<'a> {
    pub kind: CorrectionKind,
    pub client_id: ClientId,
    pub currency: Currency,
    pub date: Date,
    pub amount: Option<i64>,
    pub invoice_id: Option<InvoiceId>,
    pub payment_id: Option<PaymentId>,
    pub reason: Option<&'a str>,
    pub reference: Option<&'a str>,
    /// Its place among payments in entry order: after this payment id. `None`: after
    /// every payment the ledger holds now (what a command entered now is).
    pub after_payment: Option<PaymentId>,
}

/// A payment as a reversal sees it (see [`ReadTxn::payment_ref`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentRef {
    pub id: PaymentId,
    pub client_id: ClientId,
    pub currency: Currency,
    pub date: Date,
}

/// The tables of entries (see [`ReadTxn::entered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Client,
    Invoice,
    Payment,
    Correction,
}

/// Who entered a write, and when (see [`WriteTxn::set_author`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Author {
    /// UTC, `2026-11-23T09:15:02Z`.
    pub entered_at: String,
    pub entered_by: String,
    /// The command that wrote it: `pay`, `import`, `credit-note`...
    pub command: String,
}

/// One field of a client changed.
#[derive(Debug, Clone)]
pub struct ClientChange {
    pub client_id: ClientId,
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What makes two payments look like the same payment entered twice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PaymentKey {
    pub client_id: ClientId,
    pub date: Date,
    pub currency: Currency,
    pub amount: i64,
    pub reference: Option<String>,
}

/// See [`WriteTxn::invoice_lookup`].
pub trait InvoiceLookup: Send + Sync {
    /// As [`ReadTxn::invoice_ref`].
    fn find(&self, number: &str) -> Option<InvoiceRef>;
}

/// An invoice as a payment naming it sees it (its number, for a message, from
/// [`ReadTxn::invoice_number`]: a million-row import looks one of these up per row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceRef {
    pub id: InvoiceId,
    pub client_id: ClientId,
    pub currency: Currency,
    pub issue_date: Date,
    pub void: bool,
}

#[derive(Debug, Clone)]
pub struct InvoiceFilter {
    pub client_id: Option<ClientId>,
    /// Only invoices with a balance open at `as_of` (never void ones).
    pub open_only: bool,
    /// The date the list is as of: only invoices issued on or before it, each with
    /// what was allocated to it by then (its `settled`, `open`, `status` and
    /// `closed_on` as they stood at the end of that day).
    pub as_of: Date,
}

#[derive(Debug, Clone)]
pub struct PaymentFilter {
    pub client_id: Option<ClientId>,
    /// Only payments that hold unapplied credit at `as_of`.
    pub with_credit: bool,
    /// Only payments dated on or before it, each with its credit as of then.
    pub as_of: Date,
}

/// The facts a replay starts from (see [`ReadTxn::replay_scope`]).
#[derive(Debug, Clone)]
pub struct ReplayScope {
    pub from: Date,
    pub invoices: Vec<ReplayInvoice<'static>>,
    pub payments: Vec<ReplayPayment>,
    /// Every correction of the client: a client with any has its scope start at
    /// the beginning.
    pub corrections: Vec<ReplayCorrection>,
}

impl ReplayScope {
    /// Nothing to replay: no payment, no correction, no void in the scope.
    pub fn is_empty(&self) -> bool {
        self.payments.is_empty()
            && self.corrections.is_empty()
            && !self.invoices.iter().any(|i| i.void_from.is_some())
    }
}

/// The derived state a store holds for one client (see [`ReadTxn::derived_state`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDerived {
    /// Every allocation to its invoices, and of its refunds and lapses, by id.
    pub allocations: Vec<Allocation>,
    /// Every invoice of the client, void ones included, by id.
    pub invoices: Vec<StoredInvoiceState>,
    pub payments: Vec<StoredPaymentState>,
    /// Every correction of the client, by id (`done` absent: never replayed).
    pub corrections: Vec<StoredCorrectionState>,
    /// Closings of its invoices that a reversal undid, by (invoice, closed_on).
    pub closings: Vec<Closing>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCorrectionState {
    pub id: CorrectionId,
    pub done: Option<i64>,
    pub unapplied: i64,
    pub applied_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoiceState {
    pub state: InvoiceState,
    pub number: String,
    pub currency: Currency,
    pub void: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPaymentState {
    pub state: PaymentState,
    pub currency: Currency,
}

/// One imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// `sha256:` and the hex digest of the file's bytes.
    pub digest: String,
    /// clients, invoices, payments or settings.
    pub kind: String,
    /// The name the file was imported under.
    pub file: String,
    pub rows: u64,
    /// When, in UTC (`2026-11-23T09:15:02Z`).
    pub imported_at: String,
}
