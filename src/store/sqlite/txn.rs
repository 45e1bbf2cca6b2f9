//! [`ReadTxn`] and [`WriteTxn`] on one SQLite connection: the SQL of every question
//! and write, and the hand-off to bulk mode (`bulk.rs`) for the few a large load
//! answers from memory.

use std::cell::RefCell;

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::bulk::Bulk;
use super::columns::{
    DateText, NOT_YET, currency_column, date_column, date_or_not_yet, kind_column, optional_date_column,
};
use super::rows::{REPLAY_CORRECTION_COLUMNS, replay_correction};
use super::{APPLICATION_ID, MIGRATIONS, schema_version};
use crate::domain::entities::AllocationKind;
use crate::domain::entities::{
    AllocationLine, Client, ClientChangeEntry, Correction, CorrectionKind, Entered, Invoice, InvoiceStatus,
    LogEntry, Payment,
};
use crate::domain::{Currency, Date, LedgerError, Money, Terms};
use crate::engine::replay::{
    Allocation, Closing, InvoiceState, PaymentState, PriorPayment, ReplayCorrection, ReplayInvoice,
    ReplayPayment,
};
use crate::store::{
    Author, ClientChange, ClientId, ClientRef, ClosedItem, CorrectionId, CreditItem, EntryKind, ImportRecord,
    InvoiceFilter, InvoiceId, InvoiceRef, NewCorrectionRow, NewInvoiceRow, NewPaymentRow, OpenItem,
    PaymentFilter, PaymentId, PaymentKey, PaymentRef, ReadTxn, ReplayOutcome, ReplayScope,
    StoredCorrectionState, StoredDerived, StoredInvoiceState, StoredPaymentState, WriteTxn,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Read,
    Write,
}

/// Statements a bulk import runs once per row, kept prepared for the whole
/// transaction: `prepare_cached` hashes the SQL text and moves the statement in and
/// out of its cache on every call, a few percent of a million-row load.
#[derive(Default)]
pub(super) struct Hot<'c> {
    pub(super) insert_invoice: RefCell<Option<rusqlite::Statement<'c>>>,
    pub(super) insert_payment: RefCell<Option<rusqlite::Statement<'c>>>,
}

/// How many invoices closed since a replay's start make "recent" (see
/// `replay_scope`): a count bounded by this costs little even when more were.
pub(super) const RECENT: i64 = 2_000;

pub(super) struct SqliteTxn<'c> {
    pub(super) conn: &'c Connection,
    address: &'c str,
    /// Still open: dropped without commit, it rolls back.
    open: bool,
    /// The file was empty when the transaction began: after its commit it becomes a
    /// WAL ledger.
    new_file: bool,
    /// Set to true on commit (the store keeps a file it created only then).
    committed: Option<&'c mut bool>,
    pub(super) bulk: Option<Box<Bulk>>,
    pub(super) hot: Hot<'c>,
    /// [`RECENT`], or what the store was set to.
    pub(super) recent_closed: i64,
    /// Replay a client with corrections from the date a write touched, not whole
    /// (see `corrected_scope`; off: tests compare the two).
    pub(super) partial_corrected: bool,
    /// The batch the entries written now belong to (see `set_author`), and the
    /// batches this transaction made, by author.
    pub(super) batch: Option<i64>,
    batches: hashbrown::HashMap<Author, i64>,
}

impl<'c> SqliteTxn<'c> {
    /// A subquery: the ids of client `?1`'s invoices (not void) that were open at
    /// `?2` (`from`) or after, which are those a replay from then may change.
    ///
    /// Two ways to find them. From a recent date (a single entry), the client's open
    /// invoices and the few closed since: seeks in the index of open invoices. From
    /// further back, everything the ledger closed since would be read: then the
    /// client's own invoices are, all of them.
    fn invoices_open_since(&self, from: Date) -> Result<String> {
        let recent = from != Date::MIN && {
            let closed_since: i64 = self
                .conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM (SELECT 1 FROM invoices INDEXED BY invoices_open_at
                     WHERE closed_on >= ?1 AND closed_on < '{NOT_YET}' AND voided_on IS NULL LIMIT {})",
                    self.recent_closed
                ))?
                .query_row([DateText::new(from)], |r| r.get(0))?;
            closed_since < self.recent_closed
        };
        Ok(if recent {
            format!(
                "SELECT id FROM invoices INDEXED BY invoices_open_at
                 WHERE closed_on = '{NOT_YET}' AND client_id = ?1 AND voided_on IS NULL
                 UNION ALL
                 SELECT id FROM invoices INDEXED BY invoices_open_at
                 WHERE closed_on >= ?2 AND closed_on < '{NOT_YET}' AND client_id = ?1 AND voided_on IS NULL"
            )
        } else {
            "SELECT id FROM invoices WHERE client_id = ?1 AND closed_on >= ?2 AND voided_on IS NULL"
                .to_string()
        })
    }

    pub(super) fn begin(conn: &'c Connection, address: &'c str, mode: Mode) -> Result<SqliteTxn<'c>> {
        conn.execute_batch(if mode == Mode::Write {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN DEFERRED"
        })
        .map_err(|e| super::explain(e.into(), address))?;
        Ok(SqliteTxn {
            conn,
            address,
            open: true,
            new_file: false,
            committed: None,
            bulk: None,
            hot: Hot::default(),
            recent_closed: RECENT,
            partial_corrected: true,
            batch: None,
            batches: hashbrown::HashMap::new(),
        })
    }

    /// Begin a write transaction (in bulk mode for a large load), bringing the schema
    /// up to date inside it.
    pub(super) fn begin_write(
        conn: &'c Connection,
        address: &'c str,
        bulk: Option<u64>,
        new_file: bool,
        committed: &'c mut bool,
    ) -> Result<SqliteTxn<'c>> {
        let explain = |e: rusqlite::Error| super::explain(e.into(), address);
        let bulk_mode = match bulk {
            Some(expected) => Some(Bulk::prepare(conn, expected).map_err(explain)?),
            None => None,
        };
        let mut txn = match SqliteTxn::begin(conn, address, Mode::Write) {
            Ok(t) => t,
            Err(e) => {
                if let Some(b) = bulk_mode {
                    b.restore(conn);
                }
                return Err(e);
            }
        };
        txn.new_file = new_file;
        txn.committed = Some(committed);
        txn.bulk = bulk_mode.map(Box::new);
        txn.migrate().map_err(|e| super::explain(e, address))?;
        Ok(txn)
    }

    /// Apply the migrations this ledger lacks, inside the transaction: a write that
    /// fails leaves the ledger at its old version (or no ledger at all).
    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version >= schema_version() {
            return Ok(());
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            // Every migration applies to the schema the one before it made: one that
            // fails found something else, which only another program can have made.
            // (SQLITE_ERROR: the SQL itself failed; a full disk or a lock say so
            // with their own codes, and are explained as such.)
            self.conn.execute_batch(sql).map_err(|e| {
                let (code, message) = match &e {
                    rusqlite::Error::SqlInputError { error, msg, .. } => (error.code, msg.clone()),
                    rusqlite::Error::SqliteFailure(error, Some(msg)) => (error.code, msg.clone()),
                    _ => return anyhow::Error::from(e),
                };
                if code != rusqlite::ErrorCode::Unknown {
                    return e.into();
                }
                LedgerError::LedgerUnusable {
                    path: self.address.to_string(),
                    reason: format!(
                        "the ledger {} says it has schema {version} but cannot be brought to schema {} ({message}): it was changed outside ar; restore it from a backup",
                        self.address,
                        i + 1
                    ),
                }
                .into()
            })?;
            self.conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        self.conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        Ok(())
    }

    /// The bulk load, while it is still loading.
    fn loading(&mut self) -> Option<&mut Bulk> {
        self.bulk.as_deref_mut().filter(|b| b.active)
    }

    /// Insert the rows a bulk load holds back, before a question that reads them
    /// by id (no index or derived column is needed for that).
    fn flush_rows(&mut self) -> Result<()> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            bulk.flush_rows(conn)?;
        }
        Ok(())
    }

    /// The bulk load, for an entry or a question its in-memory look-ups serve. Once
    /// its replay has begun they are given back (the picture stands for the ledger as
    /// it was then), so the load's special mode ends first and SQL answers.
    fn loading_lookups(&mut self) -> Result<Option<&mut Bulk>> {
        if self.loading().is_some_and(|b| b.replaying()) {
            self.settle()?;
        }
        Ok(self.loading())
    }

    /// End a bulk load's special mode before a question it does not serve: its
    /// allocations and derived columns written, its indexes back.
    fn settle(&mut self) -> Result<()> {
        if let Some(bulk) = self.bulk.as_deref_mut() {
            bulk.flush(self.conn)?;
        }
        Ok(())
    }

    fn explain(&self, e: impl Into<anyhow::Error>) -> anyhow::Error {
        super::explain(e.into(), self.address)
    }

    /// Run `f` with the statement in `slot`, preparing `sql` into it the first time.
    pub(super) fn with_hot<T>(
        &self,
        slot: &RefCell<Option<rusqlite::Statement<'c>>>,
        sql: &str,
        f: impl FnOnce(&mut rusqlite::Statement<'c>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let mut slot = slot.borrow_mut();
        let stmt = match &mut *slot {
            Some(stmt) => stmt,
            empty => empty.insert(self.conn.prepare(sql)?),
        };
        f(stmt)
    }

    fn finish(&mut self, commit: bool) -> Result<()> {
        self.open = false;
        // Statements must be finalized before the transaction ends.
        self.hot = Hot::default();
        let ended = self
            .conn
            .execute_batch(if commit { "COMMIT" } else { "ROLLBACK" });
        if let Some(bulk) = self.bulk.take() {
            bulk.restore(self.conn);
        }
        ended?;
        if commit && self.new_file {
            // The commit is durable already: a failure to switch (which the next
            // open tries again) must not report the write as failed.
            let _ = super::use_wal(self.conn);
        }
        Ok(())
    }
}

impl Drop for SqliteTxn<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.finish(false);
        }
    }
}

const CLIENT_COLUMNS: &str = "id, code, name, email, credit_limit, terms_days, discount_bp, discount_days";

fn client_row(row: &Row, limit_currency: Currency) -> rusqlite::Result<Client> {
    Ok(Client {
        id: row.get(0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        email: row.get(3)?,
        credit_limit: row
            .get::<_, Option<i64>>(4)?
            .map(|m| Money::new(m, limit_currency)),
        terms: Terms {
            net_days: row.get(5)?,
            discount_bp: row.get(6)?,
            discount_days: row.get(7)?,
        },
        entered: None,
    })
}

/// Who entered it and when, from two columns (`b.entered_at, b.entered_by` of a
/// LEFT JOIN of batches) starting at `at`.
fn entered_columns(row: &Row, at: usize) -> rusqlite::Result<Option<Entered>> {
    let (entered_at, entered_by): (Option<String>, Option<String>) = (row.get(at)?, row.get(at + 1)?);
    Ok(entered_at
        .zip(entered_by)
        .map(|(entered_at, entered_by)| Entered {
            entered_at,
            entered_by,
        }))
}

/// Invoice columns; `{settled}` is replaced by the allocated amount wanted (as of a
/// date, or the stored total) and `{client}` by the client's code or id.
const INVOICE_COLUMNS: &str = "i.id, i.number, {client}, i.currency, i.issue_date, i.due_date, i.amount, {settled}, \
     i.terms_days, i.discount_bp, i.discount_days, i.description, i.closed_on, i.voided_on, i.void_reason, i.client_id, \
     i.void_from";

/// What allocations net of reversals (which open an amount again) add up to, over
/// the allocations `a` the query picks.
pub(super) const NET: &str = "SUM(CASE WHEN a.kind = 'reversal' THEN -a.amount ELSE a.amount END)";

/// What was allocated to invoice `i` by the date in parameter `?as_of`, net.
const SETTLED_AS_OF: &str =
    "COALESCE((SELECT SUM(CASE WHEN a.kind = 'reversal' THEN -a.amount ELSE a.amount END)
     FROM allocations a WHERE a.invoice_id = i.id AND a.date <= :as_of), 0)";

/// What was allocated to every invoice, net (an export's "after every entry").
/// (Closed for good: all of it. Only the few open ones are summed.)
const SETTLED_NET: &str = "CASE WHEN i.settled = 0 THEN 0
     WHEN i.closed_on <> '9999-12-31' AND i.voided_on IS NULL THEN i.amount
     ELSE COALESCE((SELECT SUM(CASE WHEN a.kind = 'reversal' THEN -a.amount ELSE a.amount END)
         FROM allocations a WHERE a.invoice_id = i.id), 0) END";

fn invoice_columns(client: &str, settled: &str) -> String {
    INVOICE_COLUMNS
        .replace("{client}", client)
        .replace("{settled}", settled)
}

/// An invoice from [`INVOICE_COLUMNS`], as it stood at the end of `as_of`, named with
/// `client`.
fn invoice_row(row: &Row, client: String, as_of: Date) -> rusqlite::Result<Invoice> {
    let currency = currency_column(row.get_ref(3)?.as_str()?)?;
    let amount: i64 = row.get(6)?;
    let settled: i64 = row.get(7)?;
    let voided_on = optional_date_column(row.get_ref(13)?)?;
    let void_from = optional_date_column(row.get_ref(16)?)?;
    let void = void_from.is_some_and(|d| d <= as_of);
    let open = if void { 0 } else { amount - settled };
    // (A closing a reversal undid later is not the final one: paid, with no date.)
    let closed_on = date_or_not_yet(row.get_ref(12)?.as_str()?)?.filter(|d| *d <= as_of && !void);
    let status = if void {
        InvoiceStatus::Void
    } else if open <= 0 {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Open
    };
    Ok(Invoice {
        id: row.get(0)?,
        number: row.get(1)?,
        client,
        currency,
        issue_date: date_column(row.get_ref(4)?)?,
        due_date: date_column(row.get_ref(5)?)?,
        amount: Money::new(amount, currency),
        settled: Money::new(settled, currency),
        open: Money::new(open, currency),
        terms: Terms {
            net_days: row.get(8)?,
            discount_bp: row.get(9)?,
            discount_days: row.get(10)?,
        },
        description: row.get(11)?,
        status,
        closed_on,
        voided_on,
        void_from,
        void_reason: row.get(14)?,
        entered: None,
        void_entered: None,
    })
}

/// A correction with its client's code, its invoice's number and its batch.
const CORRECTION_SELECT: &str =
    "SELECT n.id, n.kind, c.code, n.currency, n.date, n.amount, i.number, n.payment_id,
     n.reason, n.reference, COALESCE(n.done, 0), n.unapplied, n.after_payment, b.entered_at, b.entered_by
     FROM corrections n JOIN clients c ON c.id = n.client_id LEFT JOIN invoices i ON i.id = n.invoice_id
     LEFT JOIN batches b ON b.id = n.batch";

fn correction_row(r: &Row) -> rusqlite::Result<Correction> {
    let currency = currency_column(r.get_ref(3)?.as_str()?)?;
    Ok(Correction {
        id: r.get(0)?,
        kind: correction_kind_column(r.get_ref(1)?)?,
        client: r.get(2)?,
        currency,
        date: date_column(r.get_ref(4)?)?,
        amount: r.get::<_, Option<i64>>(5)?.map(|a| Money::new(a, currency)),
        invoice: r.get(6)?,
        payment_id: r.get(7)?,
        reason: r.get(8)?,
        reference: r.get(9)?,
        done: Money::new(r.get(10)?, currency),
        unapplied: Money::new(r.get(11)?, currency),
        after_payment: r.get(12)?,
        entered_at: r.get(13)?,
        entered_by: r.get(14)?,
    })
}

pub(super) fn correction_kind_column(
    value: rusqlite::types::ValueRef<'_>,
) -> rusqlite::Result<CorrectionKind> {
    let text = value.as_str()?;
    CorrectionKind::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown correction kind `{text}`").into(),
        )
    })
}

/// The audit trail: one row per fact or change, in entry order (see
/// `ReadTxn::log`). Columns: entered_at, entered_by, command, batch, entry, id,
/// client code, date, currency, amount, invoice number, payment id, detail.
const LOG_SQL: &str = "SELECT b.entered_at, b.entered_by, b.command, e.batch, e.entry, e.id, c.code, e.date,
        e.currency, e.amount, e.number, e.payment_id, e.detail
 FROM (
     SELECT batch, 0 AS rank, 'client' AS entry, id, id AS client_id, NULL AS date, NULL AS currency,
            NULL AS amount, NULL AS number, NULL AS payment_id, name AS detail FROM clients
     UNION ALL
     SELECT batch, 1, 'client_change', id, client_id, NULL, NULL, NULL, NULL, NULL,
            field || ': ' || COALESCE(old, '(none)') || ' -> ' || COALESCE(new, '(none)') FROM client_changes
     UNION ALL
     SELECT batch, 2, 'invoice', id, client_id, issue_date, currency, amount, number, NULL,
            'due ' || due_date || COALESCE('; ' || description, '') FROM invoices
     UNION ALL
     SELECT void_batch, 3, 'void', id, client_id, void_from, currency, amount, number, NULL,
            'given ' || voided_on || COALESCE('; ' || void_reason, '') FROM invoices WHERE voided_on IS NOT NULL
     UNION ALL
     SELECT p.batch, 4, 'payment', p.id, p.client_id, p.date, p.currency, p.amount, i.number, p.id, p.reference
     FROM payments p LEFT JOIN invoices i ON i.id = p.invoice_id
     UNION ALL
     SELECT n.batch, 5, n.kind, n.id, n.client_id, n.date, n.currency, n.amount, i.number, n.payment_id,
            TRIM(COALESCE(n.reason, '') || COALESCE(' ' || n.reference, ''))
     FROM corrections n LEFT JOIN invoices i ON i.id = n.invoice_id
 ) e
 JOIN clients c ON c.id = e.client_id
 LEFT JOIN batches b ON b.id = e.batch
 WHERE (?1 IS NULL OR e.client_id = ?1) AND (?2 IS NULL OR b.entered_at >= ?2)
 ORDER BY COALESCE(e.batch, 0), e.rank, e.id";

/// Payment columns; `{unapplied}` is replaced by the credit wanted.
const PAYMENT_COLUMNS: &str =
    "p.id, {client}, p.currency, p.date, p.amount, {invoice}, p.reference, {unapplied}";

/// The credit payment `p` held at the end of the date in `:as_of`: what is left of
/// it after its allocations dated by then (only payments that ever held credit have
/// any to subtract: the others were applied in full on their date).
const UNAPPLIED_AS_OF: &str = "CASE WHEN p.applied_on <= :as_of THEN 0 ELSE p.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
        WHERE a.payment_id = p.id AND a.held = 1 AND a.kind IN ('payment', 'credit', 'refund', 'lapsed')
        AND a.date <= :as_of), 0) END";

/// Of a payment's allocations, those that use its money (a discount does not; a
/// reversal opens an invoice again but gives no credit back).
pub(super) const USES_PAYMENT: &str = "('payment', 'credit', 'refund', 'lapsed')";

fn payment_columns(client: &str, invoice: &str, unapplied: &str) -> String {
    PAYMENT_COLUMNS
        .replace("{client}", client)
        .replace("{invoice}", invoice)
        .replace("{unapplied}", unapplied)
}

fn payment_row(r: &Row, client: String, invoice: Option<String>) -> rusqlite::Result<Payment> {
    let currency = currency_column(r.get_ref(2)?.as_str()?)?;
    Ok(Payment {
        id: r.get(0)?,
        client,
        currency,
        date: date_column(r.get_ref(3)?)?,
        amount: Money::new(r.get(4)?, currency),
        invoice,
        reference: r.get(6)?,
        unapplied: Money::new(r.get(7)?, currency),
        entered: None,
    })
}

/// Columns of [`allocation_line`], over allocations `a` LEFT JOINed to invoices `i`.
const LINE_COLUMNS: &str = "i.number, a.payment_id, a.correction_id, a.kind, a.date, a.amount";

fn allocation_line(r: &Row, currency: Currency) -> rusqlite::Result<AllocationLine> {
    Ok(AllocationLine {
        invoice: r.get(0)?,
        payment_id: r.get(1)?,
        correction_id: r.get(2)?,
        kind: kind_column(r.get_ref(3)?)?,
        date: date_column(r.get_ref(4)?)?,
        amount: Money::new(r.get(5)?, currency),
    })
}

/// Currency codes repeat on every row; parse each distinct one once.
#[derive(Default)]
struct CurrencyCache(Vec<(String, Currency)>);

impl CurrencyCache {
    fn get(&mut self, code: &str) -> rusqlite::Result<Currency> {
        if let Some((_, c)) = self.0.iter().find(|(k, _)| k == code) {
            return Ok(*c);
        }
        let c = currency_column(code)?;
        self.0.push((code.to_string(), c));
        Ok(c)
    }
}

impl ReadTxn for SqliteTxn<'_> {
    fn schema_version(&mut self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>> {
        if self.schema_version()? == 0 {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn is_empty(&mut self) -> Result<bool> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            bulk.flush_rows(conn)?;
        }
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM invoices)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }

    fn client_by_code(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE code = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([code.trim()], |r| client_row(r, limit_currency))
            .optional()?)
    }

    fn client_by_id(&mut self, id: ClientId, limit_currency: Currency) -> Result<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], |r| client_row(r, limit_currency))
            .optional()?)
    }

    fn clients(&mut self, limit_currency: Currency) -> Result<Vec<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY code");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| client_row(r, limit_currency))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn client_refs(&mut self) -> Result<Vec<ClientRef>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, code, name, terms_days FROM clients ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(ClientRef {
                id: r.get(0)?,
                code: r.get(1)?,
                name: r.get(2)?,
                terms_days: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>> {
        let conn = self.conn;
        if let Some(bulk) = self.loading_lookups()? {
            return bulk.invoice_ref(conn, number.trim());
        }
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, client_id, currency, issue_date, voided_on IS NOT NULL FROM invoices WHERE number = ?1",
            )?
            .query_row([number.trim()], |r| {
                Ok(InvoiceRef {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    currency: currency_column(r.get_ref(2)?.as_str()?)?,
                    issue_date: date_column(r.get_ref(3)?)?,
                    void: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn invoice_number(&mut self, id: InvoiceId) -> Result<String> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            bulk.flush_rows(conn)?;
        }
        Ok(self
            .conn
            .prepare_cached("SELECT number FROM invoices WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?)
    }

    fn invoice_number_taken(&mut self, number: &str) -> Result<bool> {
        if let Some(bulk) = self.loading_lookups()?
            && let Some(taken) = bulk.number_taken(number.trim())
        {
            return Ok(taken);
        }
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM invoices WHERE number = ?1")?
            .exists([number.trim()])?)
    }

    fn invoice(&mut self, id: InvoiceId, as_of: Date) -> Result<Option<Invoice>> {
        self.settle()?;
        let sql = format!(
            "SELECT {} FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.id = :id",
            invoice_columns("c.code", SETTLED_AS_OF)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(
                rusqlite::named_params! {":id": id, ":as_of": DateText::new(as_of)},
                |r| invoice_row(r, r.get(2)?, as_of),
            )
            .optional()?)
    }

    fn invoices(&mut self, filter: &InvoiceFilter, f: &mut dyn FnMut(Invoice) -> Result<()>) -> Result<()> {
        self.settle()?;
        let sql = format!(
            "SELECT {} FROM invoices i JOIN clients c ON c.id = i.client_id
             WHERE i.issue_date <= :as_of AND (:client IS NULL OR i.client_id = :client)
               AND (:open = 0 OR i.closed_on > :as_of)
             ORDER BY i.issue_date, i.id",
            invoice_columns("c.code", SETTLED_AS_OF)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::named_params! {
            ":as_of": DateText::new(filter.as_of),
            ":client": filter.client_id,
            ":open": filter.open_only,
        })?;
        while let Some(r) = rows.next()? {
            let invoice = invoice_row(r, r.get(2)?, filter.as_of)?;
            // (Closed then, and open again later: not open then.)
            if filter.open_only && invoice.status != InvoiceStatus::Open {
                continue;
            }
            f(invoice)?;
        }
        Ok(())
    }

    fn invoice_allocations(&mut self, id: InvoiceId, as_of: Date) -> Result<Vec<AllocationLine>> {
        self.settle()?;
        let currency: String = self
            .conn
            .prepare_cached("SELECT currency FROM invoices WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let currency = currency_column(&currency)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LINE_COLUMNS} FROM allocations a
             JOIN invoices i ON i.id = a.invoice_id WHERE a.invoice_id = ?1 AND a.date <= ?2 ORDER BY a.date, a.id"
        ))?;
        let rows = stmt.query_map(params![id, DateText::new(as_of)], |r| {
            allocation_line(r, currency)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn payment(&mut self, id: PaymentId, as_of: Date) -> Result<Option<Payment>> {
        self.settle()?;
        let sql = format!(
            "SELECT {} FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.id = :id",
            payment_columns("c.code", "i.number", UNAPPLIED_AS_OF)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_row(
                rusqlite::named_params! {":id": id, ":as_of": DateText::new(as_of)},
                |r| payment_row(r, r.get(1)?, r.get(5)?),
            )
            .optional()?)
    }

    fn payments(&mut self, filter: &PaymentFilter, f: &mut dyn FnMut(Payment) -> Result<()>) -> Result<()> {
        self.settle()?;
        let sql = format!(
            "SELECT * FROM (SELECT {} FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id
             WHERE p.date <= :as_of AND (:client IS NULL OR p.client_id = :client))
             WHERE :credit = 0 OR unapplied > 0
             ORDER BY date, id",
            payment_columns("c.code", "i.number", &format!("{UNAPPLIED_AS_OF} AS unapplied"))
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::named_params! {
            ":as_of": DateText::new(filter.as_of),
            ":client": filter.client_id,
            ":credit": filter.with_credit,
        })?;
        while let Some(r) = rows.next()? {
            f(payment_row(r, r.get(1)?, r.get(5)?)?)?;
        }
        Ok(())
    }

    fn payment_allocations(&mut self, id: PaymentId) -> Result<Vec<AllocationLine>> {
        self.settle()?;
        let (client, date, currency): (ClientId, Date, Currency) = self
            .conn
            .prepare_cached("SELECT client_id, date, currency FROM payments WHERE id = ?1")?
            .query_row([id], |r| {
                Ok((
                    r.get(0)?,
                    date_column(r.get_ref(1)?)?,
                    currency_column(r.get_ref(2)?.as_str()?)?,
                ))
            })?;
        // Through the invoices still open at the payment's date, and its date
        // (allocations_invoice): allocations are indexed by payment only for payments
        // holding credit (all of whose allocations are `held`); and its reversal's.
        let sql = format!(
            "SELECT {LINE_COLUMNS} FROM allocations a LEFT JOIN invoices i ON i.id = a.invoice_id
             WHERE a.id IN (
                 SELECT id FROM allocations WHERE invoice_id IN ({}) AND date = ?2 AND payment_id = ?3
                 UNION SELECT id FROM allocations WHERE payment_id = ?3 AND held = 1
                 UNION SELECT id FROM allocations WHERE correction_id =
                     (SELECT id FROM corrections WHERE kind = 'reversal' AND payment_id = ?3))
             ORDER BY a.id",
            self.invoices_open_since(date)?
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![client, DateText::new(date), id], |r| {
            allocation_line(r, currency)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn unnamed_payments_from(&mut self, client: ClientId, currency: Currency, from: Date) -> Result<bool> {
        if self.loading().is_some() {
            return Ok(true); // (the load replays from memory: no look-up per invoice)
        }
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM payments WHERE client_id = ?1 AND date >= ?2 AND invoice_id IS NULL AND currency = ?3
                 UNION ALL
                 SELECT 1 FROM corrections WHERE client_id = ?1 AND date >= ?2 AND invoice_id IS NULL
                     AND kind = 'credit_application' AND currency = ?3
                 LIMIT 1",
            )?
            .exists(params![client, DateText::new(from), currency.code()])?)
    }

    fn payments_after(&mut self, client: ClientId, date: Date, except: PaymentId) -> Result<u64> {
        self.settle()?;
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM payments WHERE client_id = ?1 AND date > ?2 AND id <> ?3")?
            .query_row(params![client, DateText::new(date), except], |r| r.get(0))?)
    }

    fn open_items(
        &mut self,
        as_of: Date,
        client: Option<ClientId>,
        with_numbers: bool,
        f: &mut dyn FnMut(OpenItem) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let number = if with_numbers { "i.number" } else { "NULL" };
        let client_filter = if client.is_some() {
            "AND i.client_id = ?2"
        } else {
            "AND ?2 IS NULL"
        };
        // Reads only invoices still open at the date, through a covering index: never
        // the closed majority. Nothing allocated at all (`settled` is every
        // allocation): nothing to subtract, and no look-up.
        // Invoices void from a later date count as they were: from their own index
        // (few), and open in full (nothing can be allocated before a void).
        let columns = format!(
            "i.client_id, i.currency, i.issue_date, i.due_date,
                    CASE WHEN i.settled = 0 THEN i.amount
                         ELSE i.amount - COALESCE((SELECT {NET} FROM allocations a
                             WHERE a.invoice_id = i.id AND a.date <= ?1), 0) END,
                    {number}"
        );
        let sql = format!(
            "SELECT {columns} FROM invoices i INDEXED BY invoices_open_at
             WHERE i.closed_on > ?1 AND i.issue_date <= ?1 AND i.voided_on IS NULL {client_filter}
             UNION ALL
             SELECT {columns} FROM invoices i INDEXED BY invoices_voided
             WHERE i.void_from > ?1 AND i.issue_date <= ?1 AND i.voided_on IS NOT NULL {client_filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![DateText::new(as_of), client])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            let open: i64 = r.get(4)?;
            if open <= 0 {
                continue;
            }
            f(OpenItem {
                client_id: r.get(0)?,
                currency: currencies.get(r.get_ref(1)?.as_str()?)?,
                issue_date: date_column(r.get_ref(2)?)?,
                due_date: date_column(r.get_ref(3)?)?,
                open,
                number: r.get(5)?,
            })?;
        }
        Ok(())
    }

    fn credit_items(
        &mut self,
        as_of: Date,
        client: Option<ClientId>,
        f: &mut dyn FnMut(CreditItem) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let client_filter = if client.is_some() {
            "AND p.client_id = ?2"
        } else {
            "AND ?2 IS NULL"
        };
        // `applied_on > date` follows from the other two conditions; stated, it lets
        // the partial index (payments that ever held credit) serve the query. Such a
        // payment's allocations are `held`, the partial index by payment.
        // Credit notes that hold credit likewise, by their own partial indexes.
        let note_filter = client_filter.replace("p.client_id", "n.client_id");
        let sql = format!(
            "SELECT p.client_id, p.currency,
                    p.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
                        WHERE a.payment_id = p.id AND a.held = 1 AND a.kind IN {USES_PAYMENT} AND a.date <= ?1), 0)
             FROM payments p INDEXED BY payments_credit_at
             WHERE p.applied_on > ?1 AND p.date <= ?1 AND p.applied_on > p.date {client_filter}
             UNION ALL
             SELECT n.client_id, n.currency,
                    n.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
                        WHERE a.note_id = n.id AND a.date <= ?1), 0)
             FROM corrections n INDEXED BY corrections_credit_at
             WHERE n.kind = 'credit_note' AND n.applied_on > ?1 AND n.date <= ?1 AND n.applied_on > n.date
                   {note_filter}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![DateText::new(as_of), client])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            let unapplied: i64 = r.get(2)?;
            if unapplied > 0 {
                f(CreditItem {
                    client_id: r.get(0)?,
                    currency: currencies.get(r.get_ref(1)?.as_str()?)?,
                    unapplied,
                })?;
            }
        }
        Ok(())
    }

    fn closed_items(
        &mut self,
        after: Date,
        until: Date,
        f: &mut dyn FnMut(ClosedItem) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        // Closed by a payment, a discount or credit applied (not by a credit note or
        // a write-off); and those closed in the window that a reversal opened again
        // only after it.
        let mut stmt = self.conn.prepare_cached(
            "SELECT client_id, currency, issue_date, due_date, closed_on, amount FROM invoices INDEXED BY invoices_open_at
             WHERE closed_on > ?1 AND closed_on <= ?2 AND voided_on IS NULL AND closed_by_adjustment = 0
             UNION ALL
             SELECT i.client_id, i.currency, i.issue_date, i.due_date, c.closed_on, i.amount
             FROM closings c JOIN invoices i ON i.id = c.invoice_id
             WHERE c.closed_on > ?1 AND c.closed_on <= ?2 AND c.reopened_on > ?2 AND c.by_adjustment = 0",
        )?;
        let mut rows = stmt.query(params![DateText::new(after), DateText::new(until)])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            f(ClosedItem {
                client_id: r.get(0)?,
                currency: currencies.get(r.get_ref(1)?.as_str()?)?,
                issue_date: date_column(r.get_ref(2)?)?,
                due_date: date_column(r.get_ref(3)?)?,
                closed_on: date_column(r.get_ref(4)?)?,
                amount: r.get(5)?,
            })?;
        }
        Ok(())
    }

    fn issued_amounts(
        &mut self,
        after: Date,
        until: Date,
        f: &mut dyn FnMut(Currency, i64) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        // An invoice closes on or after its issue date, so `closed_on > ?1` holds for
        // every one issued in the window and lets the aging index serve (no index of
        // its own: one less for every write and every bulk load to maintain).
        // Invoices void only after the window's end count too.
        let mut stmt = self.conn.prepare_cached(
            "SELECT currency, amount FROM invoices INDEXED BY invoices_open_at
             WHERE closed_on > ?1 AND issue_date > ?1 AND issue_date <= ?2 AND voided_on IS NULL
             UNION ALL
             SELECT currency, amount FROM invoices INDEXED BY invoices_voided
             WHERE void_from > ?2 AND issue_date > ?1 AND issue_date <= ?2 AND voided_on IS NOT NULL",
        )?;
        let mut rows = stmt.query(params![DateText::new(after), DateText::new(until)])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            f(currencies.get(r.get_ref(0)?.as_str()?)?, r.get(1)?)?;
        }
        Ok(())
    }

    fn replay_scope(&mut self, client: ClientId, from: Date) -> Result<ReplayScope> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            return bulk.replay_scope(conn, client);
        }
        let corrections = self.client_corrections(client)?;
        // A client with corrections replays from `from` with what its sources of
        // credit held then, and what the payments it reverses had settled.
        if !corrections.is_empty() && from != Date::MIN && self.partial_corrected {
            return self.corrected_scope(client, from, corrections);
        }
        let from = if corrections.is_empty() { from } else { Date::MIN };
        let from_text = DateText::new(from);
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, date, currency, amount, invoice_id FROM payments WHERE client_id = ?1 AND date >= ?2 ORDER BY date, id",
        )?;
        let payments: Vec<ReplayPayment> = stmt
            .query_map(params![client, from_text], replay_payment_row)?
            .collect::<rusqlite::Result<_>>()?;
        // Voids from `from` on take effect in the replay (few: their own index).
        let voids_since = "SELECT id FROM invoices INDEXED BY invoices_voided
             WHERE void_from >= ?2 AND voided_on IS NOT NULL AND client_id = ?1";
        let any_void: bool = self
            .conn
            .prepare_cached(&format!("SELECT EXISTS ({voids_since})"))?
            .query_row(params![client, from_text], |r| r.get(0))?;
        if payments.is_empty() && corrections.is_empty() && !any_void {
            return Ok(ReplayScope {
                from,
                invoices: Vec::new(),
                payments,
                corrections,
            });
        }
        // Invoices closed before `from` cannot change. `settled` still holds the
        // pre-replay total: an invoice that had no allocation at all skips the sums,
        // and from the beginning there is nothing before to sum. (A client replayed
        // from a later date has no correction: no reversal to net.)
        let columns = if from == Date::MIN {
            "i.id, i.number, i.currency, i.issue_date, i.due_date, i.amount, i.discount_bp, i.discount_days, 0, 0,
             i.void_from"
        } else {
            "i.id, i.number, i.currency, i.issue_date, i.due_date, i.amount, i.discount_bp, i.discount_days,
             CASE WHEN i.settled = 0 THEN 0 ELSE COALESCE((SELECT SUM(a.amount) FROM allocations a
                 WHERE a.invoice_id = i.id AND a.kind = 'payment' AND a.date < ?2), 0) END,
             CASE WHEN i.settled = 0 THEN 0 ELSE COALESCE((SELECT SUM(a.amount) FROM allocations a
                 WHERE a.invoice_id = i.id AND a.kind <> 'payment' AND a.date < ?2), 0) END,
             i.void_from"
        };
        let sql = format!(
            "SELECT {columns} FROM invoices i WHERE i.id IN ({} UNION ALL {voids_since})",
            self.invoices_open_since(from)?
        );
        let sql = sql.as_str();
        let mut stmt = self.conn.prepare_cached(sql)?;
        let invoices = stmt
            .query_map(params![client, from_text], |r| {
                Ok(ReplayInvoice {
                    id: r.get(0)?,
                    number: r.get::<_, String>(1)?.into(),
                    currency: currency_column(r.get_ref(2)?.as_str()?)?,
                    issue_date: date_column(r.get_ref(3)?)?,
                    due_date: date_column(r.get_ref(4)?)?,
                    amount: r.get(5)?,
                    discount_bp: r.get(6)?,
                    discount_days: r.get(7)?,
                    paid_before: r.get(8)?,
                    adjusted_before: r.get(9)?,
                    void_from: optional_date_column(r.get_ref(10)?)?,
                    noted_before: 0,
                    reopened_before: 0,
                    // (Without corrections, only discounts adjust.)
                    discounted_before: r.get::<_, i64>(9)? > 0,
                    closed_before: None,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ReplayScope {
            from,
            invoices,
            payments,
            corrections,
        })
    }

    fn derived_state(&mut self, client: ClientId) -> Result<StoredDerived> {
        self.settle()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations a
             WHERE a.invoice_id IN (SELECT id FROM invoices WHERE client_id = ?1)
                OR (a.invoice_id IS NULL AND a.correction_id IN (SELECT id FROM corrections WHERE client_id = ?1))
             ORDER BY a.id"
        ))?;
        let allocations = stmt
            .query_map([client], allocation_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, settled, closed_on, number, voided_on IS NOT NULL, currency, closed_by_adjustment
             FROM invoices WHERE client_id = ?1 ORDER BY id",
        )?;
        let invoices = stmt
            .query_map([client], |r| {
                Ok(StoredInvoiceState {
                    state: InvoiceState {
                        id: r.get(0)?,
                        settled: r.get(1)?,
                        closed_on: date_or_not_yet(r.get_ref(2)?.as_str()?)?,
                        closed_by_adjustment: r.get(6)?,
                    },
                    number: r.get(3)?,
                    void: r.get(4)?,
                    currency: currency_column(r.get_ref(5)?.as_str()?)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, unapplied, applied_on, currency FROM payments WHERE client_id = ?1 ORDER BY id",
        )?;
        let payments = stmt
            .query_map([client], |r| {
                Ok(StoredPaymentState {
                    state: PaymentState {
                        id: r.get(0)?,
                        unapplied: r.get(1)?,
                        applied_on: date_or_not_yet(r.get_ref(2)?.as_str()?)?,
                    },
                    currency: currency_column(r.get_ref(3)?.as_str()?)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, done, unapplied, applied_on FROM corrections WHERE client_id = ?1 ORDER BY id",
        )?;
        let corrections = stmt
            .query_map([client], |r| {
                Ok(StoredCorrectionState {
                    id: r.get(0)?,
                    done: r.get(1)?,
                    unapplied: r.get(2)?,
                    applied_on: date_or_not_yet(r.get_ref(3)?.as_str()?)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.invoice_id, c.closed_on, c.reopened_on, c.by_adjustment FROM closings c
             JOIN invoices i ON i.id = c.invoice_id WHERE i.client_id = ?1 ORDER BY c.invoice_id, c.closed_on",
        )?;
        let closings = stmt
            .query_map([client], closing_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(StoredDerived {
            allocations,
            invoices,
            payments,
            corrections,
            closings,
        })
    }

    fn each_client_state(
        &mut self,
        f: &mut dyn FnMut(ClientId, ReplayScope, StoredDerived) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        super::scan::each_client_state(self.conn, f)
    }

    fn payment_ref(&mut self, id: PaymentId) -> Result<Option<PaymentRef>> {
        self.flush_rows()?;
        Ok(self
            .conn
            .prepare_cached("SELECT client_id, currency, date FROM payments WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(PaymentRef {
                    id,
                    client_id: r.get(0)?,
                    currency: currency_column(r.get_ref(1)?.as_str()?)?,
                    date: date_column(r.get_ref(2)?)?,
                })
            })
            .optional()?)
    }

    fn entered(&mut self, entry: EntryKind, id: i64) -> Result<Option<(String, String)>> {
        self.settle()?;
        let table = match entry {
            EntryKind::Client => "clients",
            EntryKind::Invoice => "invoices",
            EntryKind::Payment => "payments",
            EntryKind::Correction => "corrections",
        };
        let sql = format!(
            "SELECT b.entered_at, b.entered_by FROM {table} t JOIN batches b ON b.id = t.batch WHERE t.id = ?1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    fn correction(&mut self, id: CorrectionId) -> Result<Option<Correction>> {
        // (Corrections are never bulk loaded: only the rows they name need be in.)
        self.flush_rows()?;
        let sql = format!("{CORRECTION_SELECT} WHERE n.id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], correction_row)
            .optional()?)
    }

    fn notes_with_credit(&mut self, client: ClientId, as_of: Date) -> Result<Vec<Correction>> {
        self.settle()?;
        let sql = format!(
            "{CORRECTION_SELECT} WHERE n.client_id = ?1 AND n.kind = 'credit_note' AND n.date <= ?2
             AND n.applied_on > ?2 ORDER BY n.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let notes: Vec<Correction> = stmt
            .query_map(params![client, DateText::new(as_of)], correction_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut used = self.conn.prepare_cached(
            "SELECT COALESCE(SUM(a.amount), 0) FROM allocations a WHERE a.note_id = ?1 AND a.date <= ?2",
        )?;
        let mut out = Vec::new();
        for mut n in notes {
            let used: i64 = used.query_row(params![n.id, DateText::new(as_of)], |r| r.get(0))?;
            let amount = n.amount.map_or(0, |m| m.minor);
            if amount > used {
                n.unapplied = Money::new(amount - used, n.currency);
                out.push(n);
            }
        }
        Ok(out)
    }

    fn reversal_of(&mut self, payment: PaymentId) -> Result<Option<Correction>> {
        self.flush_rows()?;
        let sql = format!("{CORRECTION_SELECT} WHERE n.kind = 'reversal' AND n.payment_id = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([payment], correction_row)
            .optional()?)
    }

    fn corrections(
        &mut self,
        client: Option<ClientId>,
        f: &mut dyn FnMut(Correction) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let sql = format!("{CORRECTION_SELECT} WHERE ?1 IS NULL OR n.client_id = ?1 ORDER BY n.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([client])?;
        while let Some(r) = rows.next()? {
            f(correction_row(r)?)?;
        }
        Ok(())
    }

    fn client_changes(&mut self, f: &mut dyn FnMut(ClientChangeEntry) -> Result<()>) -> Result<()> {
        self.settle()?;
        let mut stmt = self.conn.prepare(
            "SELECT c.code, x.field, x.old, x.new, b.entered_at, b.entered_by FROM client_changes x
             JOIN clients c ON c.id = x.client_id JOIN batches b ON b.id = x.batch ORDER BY x.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(ClientChangeEntry {
                client: r.get(0)?,
                field: r.get(1)?,
                old: r.get(2)?,
                new: r.get(3)?,
                entered: entered_columns(r, 4)?,
            })?;
        }
        Ok(())
    }

    fn correction_allocations(&mut self, id: CorrectionId) -> Result<Vec<AllocationLine>> {
        self.settle()?;
        let currency: Option<String> = self
            .conn
            .prepare_cached("SELECT currency FROM corrections WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let Some(currency) = currency else {
            return Ok(Vec::new());
        };
        let currency = currency_column(&currency)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LINE_COLUMNS} FROM allocations a LEFT JOIN invoices i ON i.id = a.invoice_id
             WHERE a.correction_id = ?1 ORDER BY a.id"
        ))?;
        let rows = stmt.query_map([id], |r| allocation_line(r, currency))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn log(
        &mut self,
        client: Option<ClientId>,
        since: Option<Date>,
        f: &mut dyn FnMut(LogEntry) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let since = since.map(|d| format!("{}T00:00:00Z", DateText::new(d).as_str()));
        let mut stmt = self.conn.prepare(LOG_SQL)?;
        let mut rows = stmt.query(params![client, since])?;
        while let Some(r) = rows.next()? {
            let currency = match r.get_ref(8)? {
                rusqlite::types::ValueRef::Null => None,
                v => Some(currency_column(v.as_str()?)?),
            };
            let amount: Option<i64> = r.get(9)?;
            f(LogEntry {
                entered_at: r.get(0)?,
                entered_by: r.get(1)?,
                command: r.get(2)?,
                entry: r.get(4)?,
                id: r.get(5)?,
                client: r.get(6)?,
                date: optional_date_column(r.get_ref(7)?)?,
                amount: match (amount, currency) {
                    (Some(a), Some(c)) => Some(Money::new(a, c)),
                    _ => None,
                },
                currency,
                invoice: r.get(10)?,
                payment_id: r.get(11)?,
                detail: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
            })?;
        }
        Ok(())
    }

    fn integrity_problems(&mut self) -> Result<Vec<String>> {
        self.settle()?;
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for line in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let line = line?;
            if line != "ok" {
                problems.push(format!("SQLite's integrity check: {line}"));
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt.query_map([], |r| {
            Ok(format!(
                "{} row {} refers to a missing row of {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                r.get::<_, String>(2)?
            ))
        })?;
        for row in rows {
            problems.push(row?);
        }
        // Allocations have no foreign keys (they are derived): check them here. Each
        // refers to what exists, and its invoice, payment, credit note and correction
        // are of one client and currency.
        let mut stmt = self.conn.prepare(
            "SELECT a.id, COALESCE(a.invoice_id, 0), COALESCE(a.payment_id, a.note_id, a.correction_id, 0),
                    a.invoice_id IS NOT NULL AND i.id IS NULL,
                    (a.payment_id IS NOT NULL AND p.id IS NULL) OR (a.note_id IS NOT NULL AND n.id IS NULL)
                    OR (a.correction_id IS NOT NULL AND c.id IS NULL)
                    OR COALESCE(a.invoice_id, a.payment_id, a.note_id, a.correction_id) IS NULL
             FROM allocations a
             LEFT JOIN invoices i ON i.id = a.invoice_id LEFT JOIN payments p ON p.id = a.payment_id
             LEFT JOIN corrections n ON n.id = a.note_id LEFT JOIN corrections c ON c.id = a.correction_id
             WHERE (a.invoice_id IS NOT NULL AND i.id IS NULL) OR (a.payment_id IS NOT NULL AND p.id IS NULL)
                OR (a.note_id IS NOT NULL AND n.id IS NULL) OR (a.correction_id IS NOT NULL AND c.id IS NULL)
                OR COALESCE(a.invoice_id, a.payment_id, a.note_id, a.correction_id) IS NULL
                OR COALESCE(i.client_id, p.client_id, n.client_id, c.client_id) <>
                   COALESCE(p.client_id, n.client_id, c.client_id, i.client_id)
                OR COALESCE(i.currency, p.currency, n.currency, c.currency) <>
                   COALESCE(p.currency, n.currency, c.currency, i.currency)",
        )?;
        let rows = stmt.query_map([], |r| {
            let (id, invoice, payment): (i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let (no_invoice, no_payment): (bool, bool) = (r.get(3)?, r.get(4)?);
            Ok(if no_invoice {
                format!("allocation {id} refers to invoice id {invoice}, which does not exist")
            } else if no_payment {
                format!("allocation {id} refers to a payment or correction (id {payment}) that does not exist")
            } else {
                format!(
                    "allocation {id} puts payment {payment} on invoice id {invoice} of another client or currency"
                )
            })
        })?;
        for row in rows {
            problems.push(row?);
        }
        let app_id: i64 = self.conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        if app_id != APPLICATION_ID {
            problems.push(format!("the file's application id is {app_id}, not ar's"));
        }
        problems.extend(super::schema_problems(self.conn)?);
        Ok(problems)
    }

    fn each_client(
        &mut self,
        limit_currency: Currency,
        f: &mut dyn FnMut(Client) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let sql = format!(
            "SELECT {}, b.entered_at, b.entered_by FROM clients LEFT JOIN batches b ON b.id = clients.batch
             ORDER BY clients.id",
            CLIENT_COLUMNS
                .split(", ")
                .map(|c| format!("clients.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut client = client_row(r, limit_currency)?;
            client.entered = entered_columns(r, 8)?;
            f(client)?;
        }
        Ok(())
    }

    /// No joins: both tables are read front to back, with client codes and invoice
    /// numbers remembered by id (a join is a random look-up per row, most of an
    /// export's time on a large ledger).
    fn each_invoice_and_payment(
        &mut self,
        invoice: &mut dyn FnMut(Invoice) -> Result<()>,
        payment: &mut dyn FnMut(Payment) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let codes = self.client_codes()?;
        let ids: Vec<i64> = codes.iter().map(|(id, _)| *id).collect();
        let code = |id: i64| -> rusqlite::Result<String> {
            let i = dense_index(&ids, id).ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            Ok(codes[i].1.clone())
        };
        let everything = crate::domain::dates::end_of_time();
        let mut numbers = NumberTable::default();
        // (Batches are few: each look-up is in the cache.)
        let sql = format!(
            "SELECT {}, b.entered_at, b.entered_by, v.entered_at, v.entered_by FROM invoices i
             LEFT JOIN batches b ON b.id = i.batch LEFT JOIN batches v ON v.id = i.void_batch ORDER BY i.id",
            invoice_columns("i.client_id", SETTLED_NET)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut inv = invoice_row(r, code(r.get(2)?)?, everything)?;
            inv.entered = entered_columns(r, 17)?;
            inv.void_entered = entered_columns(r, 19)?;
            numbers.push(inv.id, &inv.number);
            invoice(inv)?;
        }
        let sql = format!(
            "SELECT {}, b.entered_at, b.entered_by FROM payments p LEFT JOIN batches b ON b.id = p.batch ORDER BY p.id",
            payment_columns("p.client_id", "p.invoice_id", "p.unapplied")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let number = r
                .get::<_, Option<i64>>(5)?
                .and_then(|id| numbers.get(id))
                .map(str::to_string);
            let mut p = payment_row(r, code(r.get(1)?)?, number)?;
            p.entered = entered_columns(r, 8)?;
            payment(p)?;
        }
        Ok(())
    }
}

/// A payment as the replay takes it, from `id, date, currency, amount, invoice_id`.
fn replay_payment_row(r: &Row) -> rusqlite::Result<ReplayPayment> {
    Ok(ReplayPayment {
        id: r.get(0)?,
        date: date_column(r.get_ref(1)?)?,
        currency: currency_column(r.get_ref(2)?.as_str()?)?,
        amount: r.get(3)?,
        invoice_id: r.get(4)?,
        prior: None,
    })
}

/// An allocation from a payment: (invoice, kind, amount, correction).
type PaymentLine = (Option<i64>, AllocationKind, i64, Option<i64>);

impl SqliteTxn<'_> {
    /// The scope of a replay of `client` (who has corrections) from `from`: the
    /// payments and corrections dated from then on; the payments and credit notes
    /// dated before that hold credit then, with what they hold; the payments its
    /// reversals reverse, with what they had settled before; and the invoices open
    /// then, or settled before by a payment reversed from then on, each with what
    /// had been allocated to it before.
    fn corrected_scope(
        &mut self,
        client: ClientId,
        from: Date,
        corrections: Vec<ReplayCorrection>,
    ) -> Result<ReplayScope> {
        let from_text = DateText::new(from);
        let conn = self.conn;
        let payment_row = replay_payment_row;
        let mut payments: Vec<ReplayPayment> = conn
            .prepare_cached(
                "SELECT id, date, currency, amount, invoice_id FROM payments WHERE client_id = ?1 AND date >= ?2
                 ORDER BY date, id",
            )?
            .query_map(params![client, from_text], payment_row)?
            .collect::<rusqlite::Result<_>>()?;
        // Payments before `from` holding credit then (what they held after every
        // entry dated before it).
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT p.id, p.date, p.currency, p.amount, p.invoice_id, p.applied_on,
                    p.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
                        WHERE a.payment_id = p.id AND a.held = 1 AND a.kind IN {USES_PAYMENT} AND a.date < ?2), 0)
             FROM payments p INDEXED BY payments_credit_at
             WHERE p.applied_on >= ?2 AND p.date < ?2 AND p.applied_on > p.date AND p.client_id = ?1"
        ))?;
        let mut rows = stmt.query(params![client, from_text])?;
        while let Some(r) = rows.next()? {
            let mut p = payment_row(r)?;
            p.prior = Some(Box::new(PriorPayment {
                left: r.get(6)?,
                applied_on: date_or_not_yet(r.get_ref(5)?.as_str()?)?,
                ..PriorPayment::default()
            }));
            payments.push(p);
        }
        drop(rows);
        drop(stmt);
        // Payments before `from` that a reversal from then on reverses: what each had
        // settled before, and the refunds its credit paid.
        let reversed: Vec<i64> = corrections
            .iter()
            .filter(|c| c.kind == CorrectionKind::Reversal && c.date >= from)
            .filter_map(|c| c.payment_id)
            .collect();
        let mut reopenable: Vec<i64> = Vec::new();
        for id in reversed {
            let known = payments.iter().position(|p| p.id == id);
            let k = match known {
                Some(k) if payments[k].prior.is_none() => continue, // replayed itself
                Some(k) => k,
                None => {
                    let Some(mut p) = conn
                        .prepare_cached("SELECT id, date, currency, amount, invoice_id, applied_on FROM payments WHERE id = ?1")?
                        .query_row([id], |r| {
                            let p = payment_row(r)?;
                            Ok((p, date_or_not_yet(r.get_ref(5)?.as_str()?)?))
                        })
                        .optional()?
                        .map(|(mut p, applied_on)| {
                            p.prior = Some(Box::new(PriorPayment {
                                left: 0,
                                applied_on,
                                ..PriorPayment::default()
                            }));
                            p
                        })
                    else {
                        continue;
                    };
                    if p.date >= from {
                        continue;
                    }
                    p.prior.get_or_insert_with(Box::default);
                    payments.push(p);
                    payments.len() - 1
                }
            };
            let date = payments[k].date;
            let lines = self.payment_lines(client, id, date, from)?;
            let Some(prior) = payments[k].prior.as_mut() else {
                continue;
            };
            for (invoice, kind, amount, correction) in lines {
                match kind {
                    AllocationKind::Payment | AllocationKind::Discount | AllocationKind::Credit => {
                        if let Some(invoice) = invoice {
                            prior
                                .settled
                                .push((invoice, amount, kind == AllocationKind::Discount));
                            reopenable.push(invoice);
                        }
                    }
                    AllocationKind::Refund => prior.refunds.extend(correction),
                    _ => {}
                }
            }
        }
        // Credit notes before `from` holding credit then; corrections from then on.
        let mut scoped = Vec::new();
        let mut note_left = conn.prepare_cached(
            "SELECT n.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a WHERE a.note_id = n.id AND a.date < ?2), 0),
                    n.applied_on
             FROM corrections n WHERE n.id = ?1 AND n.applied_on >= ?2",
        )?;
        for mut c in corrections {
            if c.date >= from {
                scoped.push(c);
            } else if c.kind == CorrectionKind::CreditNote
                && let Some((left, applied_on)) = note_left
                    .query_row(params![c.id, from_text], |r| {
                        Ok((r.get::<_, i64>(0)?, date_or_not_yet(r.get_ref(1)?.as_str()?)?))
                    })
                    .optional()?
                && left > 0
            {
                c.prior_left = Some((left, applied_on));
                scoped.push(c);
            }
        }
        drop(note_left);
        // Invoices: open at `from` (or void from then on), and those a reversal may
        // open again.
        let voids_since = "SELECT id FROM invoices INDEXED BY invoices_voided
             WHERE void_from >= ?2 AND voided_on IS NOT NULL AND client_id = ?1";
        let mut ids: Vec<i64> = conn
            .prepare_cached(&format!(
                "{} UNION {voids_since}",
                self.invoices_open_since(from)?
            ))?
            .query_map(params![client, from_text], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.extend(reopenable);
        ids.sort_unstable();
        ids.dedup();
        let mut stmt = conn.prepare_cached(
            "SELECT i.id, i.number, i.currency, i.issue_date, i.due_date, i.amount, i.discount_bp, i.discount_days,
                 i.void_from, i.closed_on, i.closed_by_adjustment,
                 COALESCE((SELECT SUM(CASE WHEN a.kind IN ('payment', 'credit') THEN a.amount ELSE 0 END)
                     FROM allocations a WHERE a.invoice_id = i.id AND a.date < ?2), 0),
                 COALESCE((SELECT SUM(CASE WHEN a.kind IN ('discount', 'credit_note', 'write_off') THEN a.amount ELSE 0 END)
                     FROM allocations a WHERE a.invoice_id = i.id AND a.date < ?2), 0),
                 COALESCE((SELECT SUM(CASE WHEN a.kind = 'credit_note' THEN a.amount ELSE 0 END)
                     FROM allocations a WHERE a.invoice_id = i.id AND a.date < ?2), 0),
                 COALESCE((SELECT SUM(CASE WHEN a.kind = 'reversal' THEN a.amount ELSE 0 END)
                     FROM allocations a WHERE a.invoice_id = i.id AND a.date < ?2), 0),
                 EXISTS (SELECT 1 FROM allocations d WHERE d.invoice_id = i.id AND d.kind = 'discount' AND d.date < ?2
                     AND NOT EXISTS (SELECT 1 FROM corrections r WHERE r.kind = 'reversal' AND r.payment_id = d.payment_id
                         AND r.date < ?2)),
                 (SELECT c.closed_on FROM closings c WHERE c.invoice_id = i.id AND c.closed_on < ?2 AND c.reopened_on >= ?2),
                 (SELECT c.by_adjustment FROM closings c WHERE c.invoice_id = i.id AND c.closed_on < ?2 AND c.reopened_on >= ?2)
             FROM invoices i WHERE i.id = ?1",
        )?;
        let mut invoices = Vec::with_capacity(ids.len());
        for id in ids {
            let inv = stmt.query_row(params![id, from_text], |r| {
                let closed_on = date_or_not_yet(r.get_ref(9)?.as_str()?)?;
                let by_adjustment: bool = r.get(10)?;
                // Closed at the start: for good before it, or until a reversal later.
                let closed_before = match (
                    closed_on.filter(|c| *c < from),
                    optional_date_column(r.get_ref(16)?)?,
                ) {
                    (Some(c), _) => Some((c, by_adjustment)),
                    (None, Some(c)) => Some((c, r.get::<_, Option<bool>>(17)?.unwrap_or(false))),
                    (None, None) => None,
                };
                Ok(ReplayInvoice {
                    id: r.get(0)?,
                    number: r.get::<_, String>(1)?.into(),
                    currency: currency_column(r.get_ref(2)?.as_str()?)?,
                    issue_date: date_column(r.get_ref(3)?)?,
                    due_date: date_column(r.get_ref(4)?)?,
                    amount: r.get(5)?,
                    discount_bp: r.get(6)?,
                    discount_days: r.get(7)?,
                    void_from: optional_date_column(r.get_ref(8)?)?,
                    paid_before: r.get(11)?,
                    adjusted_before: r.get(12)?,
                    noted_before: r.get(13)?,
                    reopened_before: r.get(14)?,
                    discounted_before: r.get(15)?,
                    closed_before,
                })
            })?;
            invoices.push(inv);
        }
        Ok(ReplayScope {
            from,
            invoices,
            payments,
            corrections: scoped,
        })
    }

    /// The allocations made from payment `id` (of `client`, dated `date`) dated
    /// before `before`: (invoice, kind, amount, correction). Through the invoices
    /// still open at its date, or the index of payments that held credit.
    fn payment_lines(
        &self,
        client: ClientId,
        id: PaymentId,
        date: Date,
        before: Date,
    ) -> Result<Vec<PaymentLine>> {
        let sql = format!(
            "SELECT a.invoice_id, a.kind, a.amount, a.correction_id FROM allocations a
             WHERE a.id IN (
                 SELECT id FROM allocations WHERE invoice_id IN ({} UNION
                     SELECT id FROM invoices INDEXED BY invoices_voided
                     WHERE void_from >= ?2 AND voided_on IS NOT NULL AND client_id = ?1)
                     AND date = ?2 AND payment_id = ?3
                 UNION SELECT id FROM allocations WHERE payment_id = ?3 AND held = 1)
             AND a.date < ?4 ORDER BY a.id",
            self.invoices_open_since(date)?
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![client, DateText::new(date), id, DateText::new(before)],
            |r| Ok((r.get(0)?, kind_column(r.get_ref(1)?)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every correction of `client`, as the replay takes them, in id order.
    fn client_corrections(&self, client: ClientId) -> Result<Vec<ReplayCorrection>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REPLAY_CORRECTION_COLUMNS} FROM corrections WHERE client_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([client], |r| replay_correction(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// (id, code) of every client, ordered by id.
    fn client_codes(&self) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare("SELECT id, code FROM clients ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl WriteTxn for SqliteTxn<'_> {
    fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }

    fn take_invoice_seq(&mut self) -> Result<u64> {
        let next: u64 = self
            .setting(crate::ledger::KEY_NEXT)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        self.set_setting(crate::ledger::KEY_NEXT, &(next + 1).to_string())?;
        Ok(next)
    }

    fn lock_client(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        // The transaction holds SQLite's write lock (BEGIN IMMEDIATE): every client
        // is locked already.
        self.client_by_code(code, limit_currency)
    }

    fn set_author(&mut self, author: Option<&Author>) -> Result<()> {
        let Some(author) = author else {
            self.batch = None;
            return Ok(());
        };
        if let Some(&id) = self.batches.get(author) {
            self.batch = Some(id);
            return Ok(());
        }
        self.conn
            .prepare_cached("INSERT INTO batches (entered_at, entered_by, command) VALUES (?1, ?2, ?3)")?
            .execute(params![author.entered_at, author.entered_by, author.command])?;
        let id = self.conn.last_insert_rowid();
        self.batches.insert(author.clone(), id);
        self.batch = Some(id);
        Ok(())
    }

    fn record_client_change(&mut self, change: &ClientChange) -> Result<()> {
        let batch = self
            .batch
            .ok_or_else(|| crate::internal!("a client change without an author"))?;
        self.conn
            .prepare_cached(
                "INSERT INTO client_changes (batch, client_id, field, old, new) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                batch,
                change.client_id,
                change.field,
                change.old,
                change.new
            ])?;
        Ok(())
    }

    fn insert_correction(&mut self, c: &NewCorrectionRow) -> Result<CorrectionId> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            bulk.flush_rows(conn)?;
        }
        let after_payment = match c.after_payment {
            Some(id) => id,
            None => self
                .conn
                .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM payments")?
                .query_row([], |r| r.get(0))?,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO corrections (kind, client_id, currency, date, amount, invoice_id, payment_id,
                 after_payment, reason, reference, batch, unapplied, applied_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, ?4)",
            )?
            .execute(params![
                c.kind.as_str(),
                c.client_id,
                c.currency.code(),
                DateText::new(c.date),
                c.amount,
                c.invoice_id,
                c.payment_id,
                after_payment,
                c.reason,
                c.reference,
                self.batch
            ])
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) if c.kind == CorrectionKind::Reversal => {
                    anyhow::Error::from(LedgerError::AlreadyReversed {
                        payment: c.payment_id.unwrap_or_default(),
                        on: "an earlier date".to_string(),
                    })
                }
                _ => e.into(),
            })?;
        let id = self.conn.last_insert_rowid();
        Ok(id)
    }

    fn insert_client(&mut self, c: &Client) -> Result<ClientId> {
        self.conn
            .prepare_cached(
                "INSERT INTO clients (code, name, email, credit_limit, terms_days, discount_bp, discount_days, batch)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                c.code,
                c.name,
                c.email,
                c.credit_limit.map(|m| m.minor),
                c.terms.net_days,
                c.terms.discount_bp,
                c.terms.discount_days,
                self.batch
            ])
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => {
                    anyhow::Error::from(LedgerError::DuplicateClient { code: c.code.clone() })
                }
                _ => e.into(),
            })?;
        Ok(self.conn.last_insert_rowid())
    }

    fn update_client(&mut self, c: &Client) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE clients SET name = ?2, email = ?3, credit_limit = ?4, terms_days = ?5, discount_bp = ?6,
                 discount_days = ?7 WHERE id = ?1",
            )?
            .execute(params![
                c.id,
                c.name,
                c.email,
                c.credit_limit.map(|m| m.minor),
                c.terms.net_days,
                c.terms.discount_bp,
                c.terms.discount_days
            ])?;
        Ok(())
    }

    fn insert_invoice(&mut self, inv: &NewInvoiceRow) -> Result<InvoiceId> {
        let conn = self.conn;
        let batch = self.batch;
        if let Some(bulk) = self.loading_lookups()? {
            bulk.before_invoice(conn, inv.number)?;
            if let Some(id) = bulk.buffer_invoice(conn, inv, batch)? {
                bulk.entered_invoice(id, inv);
                return Ok(id);
            }
        }
        self.with_hot(
            &self.hot.insert_invoice,
            "INSERT INTO invoices (number, client_id, currency, issue_date, due_date, amount, terms_days,
             discount_bp, discount_days, description, batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            |stmt| {
                stmt.execute(params![
                    inv.number,
                    inv.client_id,
                    inv.currency.code(),
                    DateText::new(inv.issue_date),
                    DateText::new(inv.due_date),
                    inv.amount,
                    inv.terms.net_days,
                    inv.terms.discount_bp,
                    inv.terms.discount_days,
                    inv.description,
                    self.batch
                ])
            },
        )
        .map_err(|e| match e.sqlite_error_code() {
            // The unique index on number (any case) is the duplicate check.
            Some(rusqlite::ErrorCode::ConstraintViolation) => {
                anyhow::Error::from(LedgerError::DuplicateInvoice {
                    number: inv.number.to_string(),
                })
            }
            _ => e.into(),
        })?;
        let id = self.conn.last_insert_rowid();
        if let Some(bulk) = self.loading() {
            bulk.entered_invoice(id, inv);
        }
        Ok(id)
    }

    fn void_invoice(
        &mut self,
        id: InvoiceId,
        from: Date,
        given_on: Date,
        reason: Option<&str>,
    ) -> Result<()> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            bulk.flush_rows(conn)?;
        }
        self.conn
            .prepare_cached(
                "UPDATE invoices SET voided_on = ?2, void_from = ?5, void_reason = ?3, void_batch = ?4 WHERE id = ?1",
            )?
            .execute(params![id, DateText::new(given_on), reason, self.batch, DateText::new(from)])?;
        if let Some(bulk) = self.loading() {
            let client: ClientId =
                conn.query_row("SELECT client_id FROM invoices WHERE id = ?1", [id], |r| r.get(0))?;
            bulk.voided(id, from, client);
        }
        Ok(())
    }

    fn insert_payment(&mut self, p: &NewPaymentRow) -> Result<PaymentId> {
        let conn = self.conn;
        let batch = self.batch;
        if let Some(bulk) = self.loading_lookups()? {
            bulk.before_payment(conn)?;
            let id = bulk.buffer_payment(conn, p, batch)?;
            bulk.entered_payment(id, p);
            return Ok(id);
        }
        // Inserted as applied in full on its date, as most payments turn out to be:
        // the replay that follows in the same transaction corrects the others (and a
        // bulk load's then rewrites only those).
        self.with_hot(
            &self.hot.insert_payment,
            "INSERT INTO payments (client_id, currency, date, amount, invoice_id, reference, unapplied, applied_on, batch)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?3, ?7)",
            |stmt| {
                stmt.execute(params![
                    p.client_id,
                    p.currency.code(),
                    DateText::new(p.date),
                    p.amount,
                    p.invoice_id,
                    p.reference,
                    self.batch
                ])
            },
        )?;
        let id = self.conn.last_insert_rowid();
        if let Some(bulk) = self.loading() {
            bulk.entered_payment(id, p);
        }
        Ok(id)
    }

    fn invoice_lookup(&mut self) -> Result<Option<std::sync::Arc<dyn crate::store::InvoiceLookup>>> {
        let conn = self.conn;
        match self.loading_lookups()? {
            Some(bulk) => Ok(Some(bulk.invoice_lookup(conn)?)),
            None => Ok(None),
        }
    }

    fn similar_payments(&mut self, key: &PaymentKey) -> Result<u64> {
        let conn = self.conn;
        if let Some(bulk) = self.loading_lookups()? {
            return bulk.similar_payments(conn, key);
        }
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM payments WHERE client_id = ?1 AND date = ?2 AND currency = ?3 AND amount = ?4
                 AND reference IS ?5",
            )?
            .query_row(
                params![
                    key.client_id,
                    DateText::new(key.date),
                    key.currency.code(),
                    key.amount,
                    key.reference
                ],
                |r| r.get(0),
            )?)
    }

    fn save_replay(&mut self, client: ClientId, scope_from: Date, outcome: ReplayOutcome) -> Result<()> {
        let conn = self.conn;
        if let Some(bulk) = self.loading() {
            return bulk.save_replay(conn, client, outcome);
        }
        // An allocation dated on or after the scope's start went to an invoice open
        // then: one of the scope's, all of which the outcome lists (a client with
        // thousands of closed invoices is not read for the few still open). The
        // contract of save_replay; checked in debug builds.
        debug_assert!({
            let scope: std::collections::HashSet<i64> = outcome.invoices.iter().map(|i| i.id).collect();
            outcome
                .allocations
                .iter()
                .all(|a| a.date >= scope_from && a.invoice_id.is_none_or(|i| scope.contains(&i)))
        });
        let from = DateText::new(scope_from);
        // An invoice closed before the start has nothing from then on, and kept its
        // state (the replay is causal): a client replayed whole for a correction
        // rewrites only its invoices still open then.
        let moving = |i: &&InvoiceState| i.closed_on.is_none_or(|c| c >= scope_from);
        let mut delete = self
            .conn
            .prepare_cached("DELETE FROM allocations WHERE invoice_id = ?1 AND date >= ?2")?;
        for i in outcome.invoices.iter().filter(moving) {
            delete.execute(params![i.id, from])?;
        }
        if !outcome.corrections.is_empty() {
            save_corrections(self.conn, client, scope_from, &outcome, true)?;
        }
        insert_allocations(self.conn, &outcome.allocations)?;
        // Only rows whose derived columns moved are written.
        let mut update = self.conn.prepare_cached(
            "UPDATE invoices SET settled = ?2, closed_on = ?3, closed_by_adjustment = ?4
             WHERE id = ?1 AND (settled <> ?2 OR closed_on <> ?3 OR closed_by_adjustment <> ?4)",
        )?;
        for i in outcome.invoices.iter().filter(moving) {
            update.execute(params![
                i.id,
                i.settled,
                DateText::or_not_yet(i.closed_on),
                i.closed_by_adjustment
            ])?;
        }
        let mut update = self.conn.prepare_cached(
            "UPDATE payments SET unapplied = ?2, applied_on = ?3 WHERE id = ?1 AND (unapplied <> ?2 OR applied_on <> ?3)",
        )?;
        // (Likewise a payment applied in full before the start.)
        for p in outcome
            .payments
            .iter()
            .filter(|p| p.applied_on.is_none_or(|a| a >= scope_from))
        {
            update.execute(params![p.id, p.unapplied, DateText::or_not_yet(p.applied_on)])?;
        }
        Ok(())
    }

    fn replay_clients(
        &mut self,
        plan: &[(ClientId, Date)],
        replay: &crate::store::ReplayFn<'_>,
    ) -> Result<()> {
        let conn = self.conn;
        match self.loading() {
            Some(bulk) => bulk.replay_clients(conn, plan, replay),
            None => crate::store::replay_each(self, plan, replay),
        }
    }

    fn find_import(&mut self, digest: &str) -> Result<Option<ImportRecord>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT digest, kind, file, rows, imported_at FROM imports WHERE digest = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([digest], |r| {
                Ok(ImportRecord {
                    digest: r.get(0)?,
                    kind: r.get(1)?,
                    file: r.get(2)?,
                    rows: r.get(3)?,
                    imported_at: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn record_import(&mut self, record: &ImportRecord) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO imports (digest, kind, file, rows, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                record.digest,
                record.kind,
                record.file,
                record.rows,
                record.imported_at
            ])?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if let Some(bulk) = self.bulk.as_deref_mut() {
            bulk.flush(self.conn).map_err(|e| self.explain(e))?;
        }
        self.finish(true).map_err(|e| self.explain(e))?;
        if let Some(committed) = self.committed.take() {
            *committed = true;
        }
        Ok(())
    }
}

/// What a replay derived for a client with corrections, beyond its invoices and
/// payments: the corrections' state, its closings undone, and its allocations
/// without an invoice (refunds, lapses) from `from` on (the caller inserts the
/// outcome's allocations). Shared with a bulk load, which deletes the old
/// allocations and closings itself (`delete_unattached` false).
pub(super) fn save_corrections(
    conn: &Connection,
    client: ClientId,
    from: Date,
    outcome: &ReplayOutcome,
    delete_unattached: bool,
) -> Result<()> {
    let from = DateText::new(from);
    if delete_unattached {
        conn.prepare_cached(
            "DELETE FROM allocations WHERE invoice_id IS NULL AND date >= ?2
             AND correction_id IN (SELECT id FROM corrections WHERE client_id = ?1)",
        )?
        .execute(params![client, from])?;
    }
    let mut update = conn.prepare_cached(
        "UPDATE corrections SET done = ?2, unapplied = ?3, applied_on = ?4
         WHERE id = ?1 AND (done IS NOT ?2 OR unapplied <> ?3 OR applied_on <> ?4)",
    )?;
    for c in &outcome.corrections {
        update.execute(params![
            c.id,
            c.done,
            c.unapplied,
            DateText::or_not_yet(c.applied_on)
        ])?;
    }
    // The client's closings undone from then on, through its invoices (a bulk load,
    // which has dropped their index, deletes the replayed clients' old closings at
    // its end instead).
    if delete_unattached {
        conn.prepare_cached(
            "DELETE FROM closings WHERE reopened_on >= ?2 AND invoice_id IN (SELECT id FROM invoices WHERE client_id = ?1)",
        )?
        .execute(params![client, from])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO closings (invoice_id, closed_on, reopened_on, by_adjustment) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for c in &outcome.closings {
        insert.execute(params![
            c.invoice_id,
            DateText::new(c.closed_on),
            DateText::new(c.reopened_on),
            c.by_adjustment
        ])?;
    }
    Ok(())
}

/// Columns of [`allocation_row`] over allocations `a`.
pub(super) const ALLOCATION_COLUMNS: &str =
    "a.invoice_id, a.payment_id, a.note_id, a.correction_id, a.kind, a.date, a.amount, a.held";

pub(super) fn allocation_row(r: &Row) -> rusqlite::Result<Allocation> {
    Ok(Allocation {
        invoice_id: r.get(0)?,
        payment_id: r.get(1)?,
        note_id: r.get(2)?,
        correction_id: r.get(3)?,
        kind: kind_column(r.get_ref(4)?)?,
        date: date_column(r.get_ref(5)?)?,
        amount: r.get(6)?,
        held: r.get(7)?,
    })
}

pub(super) fn closing_row(r: &Row) -> rusqlite::Result<Closing> {
    Ok(Closing {
        invoice_id: r.get(0)?,
        closed_on: date_column(r.get_ref(1)?)?,
        reopened_on: date_column(r.get_ref(2)?)?,
        by_adjustment: r.get(3)?,
    })
}

/// Insert allocations in order, [`ALLOCATION_ROWS`] per statement: a million
/// single-row inserts spent a third of their time starting and ending statements.
/// (`OR FAIL`: see `bulk::sweep_invoice_states`.)
pub(super) fn insert_allocations(conn: &Connection, allocations: &[Allocation]) -> Result<()> {
    /// Allocations per insert statement (8 parameters each; SQLite allows 32,766).
    const ALLOCATION_ROWS: usize = 64;
    const COLUMNS: usize = 8;
    let sql = |rows: usize| {
        let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?)"; rows].join(", ");
        format!(
            "INSERT OR FAIL INTO allocations (invoice_id, payment_id, note_id, correction_id, kind, date, amount, held)
             VALUES {values}"
        )
    };
    let chunks = allocations.chunks_exact(ALLOCATION_ROWS);
    let rest = chunks.remainder();
    let bind = |stmt: &mut rusqlite::Statement, at: usize, a: &Allocation| -> rusqlite::Result<()> {
        let i = at * COLUMNS;
        stmt.raw_bind_parameter(i + 1, a.invoice_id)?;
        stmt.raw_bind_parameter(i + 2, a.payment_id)?;
        stmt.raw_bind_parameter(i + 3, a.note_id)?;
        stmt.raw_bind_parameter(i + 4, a.correction_id)?;
        stmt.raw_bind_parameter(i + 5, a.kind.as_str())?;
        stmt.raw_bind_parameter(i + 6, DateText::new(a.date))?;
        stmt.raw_bind_parameter(i + 7, a.amount)?;
        stmt.raw_bind_parameter(i + 8, a.held)
    };
    if chunks.len() > 0 {
        let mut many = conn.prepare_cached(&sql(ALLOCATION_ROWS))?;
        for chunk in chunks {
            for (at, a) in chunk.iter().enumerate() {
                bind(&mut many, at, a)?;
            }
            many.raw_execute()?;
        }
    }
    if !rest.is_empty() {
        let mut one = conn.prepare_cached(&sql(1))?;
        for a in rest {
            bind(&mut one, 0, a)?;
            one.raw_execute()?;
        }
    }
    Ok(())
}

/// Invoice numbers by id in one buffer (ids arrive in increasing order): a million
/// numbers cost ~25 MB instead of a map of strings' ~100 MB.
#[derive(Default)]
struct NumberTable {
    ids: Vec<i64>,
    ends: Vec<u32>,
    text: String,
}

impl NumberTable {
    fn push(&mut self, id: i64, number: &str) {
        self.ids.push(id);
        self.text.push_str(number);
        self.ends.push(self.text.len() as u32);
    }

    fn get(&self, id: i64) -> Option<&str> {
        let i = dense_index(&self.ids, id)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize)
    }
}

/// Position of `id` in sorted `ids`: direct when the ids run without gaps (rows are
/// never deleted, so they nearly always do), else by binary search.
fn dense_index(ids: &[i64], id: i64) -> Option<usize> {
    let first = *ids.first()?;
    let guess = usize::try_from(id - first).ok()?;
    if ids.get(guess) == Some(&id) {
        return Some(guess);
    }
    ids.binary_search(&id).ok()
}
