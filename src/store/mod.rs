//! The SQLite store: the only module that uses rusqlite.
//!
//! Owns opening a ledger file (permissions, pragmas, schema migrations, refusing files
//! that are not ours or are newer) and the SQL behind a narrow set of typed methods on
//! [`Db`]. Holds no business rules: validation and allocation live in `ledger` and
//! `engine`. A second backend would implement the same methods.

mod bulk;
mod clients;
mod export;
mod invoices;
mod payments;
mod replay;
mod reports;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

pub use bulk::{BulkLoad, DroppedIndexes, StoredInvoice, StoredPayment};
pub use invoices::NewInvoiceRow;
pub use invoices::{InvoiceFilter, InvoiceRef};
pub use payments::NewPaymentRow;
pub use payments::PaymentFilter;
pub use reports::{ClientRef, ClosedItem, CreditItem, OpenItem};

use crate::domain::{Currency, Date, LedgerError};

/// `PRAGMA application_id` of an ar ledger ('arls'): tells our files from other SQLite
/// databases so `--db` pointed at the wrong file never alters it.
const APPLICATION_ID: i64 = 1_634_890_355;

/// Stored in place of a date for "not yet" (an open invoice's `closed_on`): it sorts
/// after every real date, so "open at D" is the single range `closed_on > D`.
pub(crate) const NOT_YET: &str = "9999-12-31";

/// `PRAGMA cache_size`: 32 MB.
const CACHE_SIZE: i64 = -32_000;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(include_str!("../../migrations/0001_init.sql"))])
}

/// Number of schema versions this build knows.
pub fn schema_version() -> i64 {
    1
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The file can be read but not written by this user: reads work, writes are
    /// refused up front with a message instead of SQLite's "readonly database".
    read_only: bool,
}

/// A connection inside a transaction: every query and write of the ledger is a method.
pub struct Db<'c> {
    conn: &'c Connection,
    /// Statements a bulk import runs once per row, kept prepared for the whole
    /// transaction: `prepare_cached` hashes the SQL text and moves the statement in
    /// and out of its cache on every call, a few percent of a million-row load.
    hot: HotStatements<'c>,
}

#[derive(Default)]
struct HotStatements<'c> {
    insert_invoice: std::cell::RefCell<Option<rusqlite::Statement<'c>>>,
    insert_payment: std::cell::RefCell<Option<rusqlite::Statement<'c>>>,
}

impl<'c> Db<'c> {
    fn new(conn: &'c Connection) -> Db<'c> {
        Db {
            conn,
            hot: HotStatements::default(),
        }
    }

    /// Run `f` with the statement in `slot`, preparing `sql` into it the first time.
    fn with_hot<T>(
        &self,
        slot: &std::cell::RefCell<Option<rusqlite::Statement<'c>>>,
        sql: &str,
        f: impl FnOnce(&mut rusqlite::Statement<'c>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(self.conn.prepare(sql)?);
        }
        f(slot.as_mut().expect("prepared just above"))
    }
}

impl Store {
    /// Open (creating when missing, readable by its owner only) and migrate a ledger.
    pub fn open(path: &Path) -> Result<Store> {
        let shown = path.display().to_string();
        let not_ledger = |reason: String| LedgerError::NotALedger {
            path: shown.clone(),
            reason,
        };
        if !path.exists() {
            create_private_file(path).map_err(|e| {
                LedgerError::Invalid(format!(
                    "cannot create the ledger {shown}: {e}: give --db (or AR_DB) a path in a writable directory"
                ))
            })?;
        } else if path.is_dir() {
            return Err(not_ledger("it is a directory".into()).into());
        } else if let Err(e) = std::fs::File::open(path) {
            return Err(LedgerError::Invalid(format!(
                "cannot read the ledger {shown}: {e}: check its permissions, or give --db (or AR_DB) another ledger"
            ))
            .into());
        }
        let read_only = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .is_err();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_ledger(sqlite_reason(&e)))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let probe = |sql: &str| {
            conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map_err(|e| match e.sqlite_error_code() {
                // The file is fine, but SQLite cannot create its -wal/-shm files
                // beside it: say so rather than doubt the ledger.
                Some(
                    rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::PermissionDenied,
                ) => LedgerError::Invalid(format!(
                    "cannot open the ledger {shown}: SQLite must be able to write in its directory (for its -wal and -shm files): check the directory's permissions"
                )),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => busy(&shown),
                _ => not_ledger(sqlite_reason(&e)),
            })
        };
        let tables = probe("SELECT count(*) FROM sqlite_schema")?;
        let app_id = probe("PRAGMA application_id")?;
        let version = probe("PRAGMA user_version")?;
        if tables > 0 && app_id != APPLICATION_ID {
            return Err(not_ledger("it is a SQLite database of another program".into()).into());
        }
        if version > schema_version() {
            return Err(LedgerError::NewerSchema {
                path: shown,
                found: version,
                supported: schema_version(),
            }
            .into());
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            read_only,
        };
        store.configure(true).map_err(|e| explain_busy(e, &shown))?;
        Ok(store)
    }

    /// A fresh ledger in memory, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let mut store = Store {
            conn: Connection::open_in_memory()?,
            path: PathBuf::from(":memory:"),
            read_only: false,
        };
        store.configure(false)?;
        Ok(store)
    }

    fn configure(&mut self, wal: bool) -> Result<()> {
        // 16 KiB pages for a new ledger (an existing one keeps its own): a million-row
        // import ran a quarter faster than with SQLite's 4 KiB (fewer pages to
        // split, sort and write), and reports and single entries were no slower.
        // Only takes effect before the first table is created, so before WAL.
        self.conn.pragma_update(None, "page_size", 16_384)?;
        if wal {
            // WAL lets a nightly report read while a terminal command writes. While a
            // bulk import holds the ledger in rollback-journal mode (`write_bulk`) the
            // switch is refused at once, busy timeout or not: go on in that mode (the
            // import switches back when done); reads then wait for its locks like any.
            if let Err(e) = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
                && !matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                )
            {
                return Err(e.into());
            }
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.pragma_update(None, "cache_size", CACHE_SIZE)?;
        migrations().to_latest(&mut self.conn).with_context(|| {
            format!(
                "cannot bring the ledger {} to schema {}",
                self.path.display(),
                schema_version()
            )
        })?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` in one write transaction (taken immediately, so two writers queue on the
    /// busy timeout instead of failing mid-way); commits only when `f` succeeds.
    pub fn write<T>(&mut self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(LedgerError::Invalid(format!(
                "the ledger {} is read-only for you (permission denied): nothing was written; ask its owner for write access, or give --db (or AR_DB) a copy",
                self.path.display()
            ))
            .into());
        }
        let path = self.path.display().to_string();
        let run = || -> Result<T> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&Db::new(&tx))?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|e| explain_busy(e, &path))
    }

    /// [`Store::write`] for a load of many rows: the transaction goes through a
    /// rollback journal instead of the WAL. In WAL mode every page a load writes is
    /// written twice (to the WAL, then into the file by the checkpoint); a rollback
    /// journal holds only the pages the load changes that existed before it, which
    /// for a load into a new ledger is next to nothing. A kill mid-way still leaves
    /// the ledger as it was (the journal is rolled back on the next open). Readers
    /// cannot read while the load holds its exclusive lock (they wait out the busy
    /// timeout, then say the ledger is busy), so this is only for bulk imports. If
    /// another connection holds the ledger open, the mode cannot change and WAL is kept.
    ///
    /// Foreign keys are not checked either: a bulk load resolves every reference it
    /// writes itself (clients by code, invoices by number, both read from this
    /// transaction), and SQLite's own check is a random look-up per row, a third
    /// of a million-payment load.
    pub fn write_bulk<T>(&mut self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        let wal = |conn: &Connection| -> rusqlite::Result<bool> {
            let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            Ok(mode.eq_ignore_ascii_case("wal"))
        };
        let switched = !self.read_only
            && wal(&self.conn)?
            && !self
                .conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))
                .map(|mode| mode.eq_ignore_ascii_case("wal"))
                .unwrap_or(true);
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        // FULL: with a rollback journal, NORMAL leaves a small window in which a power
        // cut could corrupt the file (WAL needs no more than NORMAL).
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let result = self.write(f);
        // Best effort from here: the transaction has committed or rolled back, and
        // what it returned is what the user must see. Every open sets these again.
        let _ = self.conn.pragma_update(None, "synchronous", "NORMAL");
        let _ = self.conn.pragma_update(None, "foreign_keys", "ON");
        if switched {
            let _ = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()));
        }
        result
    }

    /// Run `f` on one consistent read snapshot.
    pub fn read<T>(&mut self, f: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        let path = self.path.display().to_string();
        let run = || -> Result<T> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Deferred)?;
            let value = f(&Db::new(&tx))?;
            tx.finish()?;
            Ok(value)
        };
        run().map_err(|e| explain_busy(e, &path))
    }
}

impl Db<'_> {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?;
        let mut rows = stmt.query([key])?;
        Ok(match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        })
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")?
            .execute([key, value])?;
        Ok(())
    }

    pub fn is_empty(&self) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM invoices)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }
}

fn create_private_file(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600); // customers' financial data: owner only
    }
    options.open(path).map(drop)
}

fn busy(path: &str) -> LedgerError {
    LedgerError::Invalid(format!(
        "the ledger {path} is busy: another program kept it locked for 5 seconds; nothing was written, try again"
    ))
}

/// SQLite's "database is locked" after the busy timeout, as a message that says what
/// happened and what to do.
fn explain_busy(e: anyhow::Error, path: &str) -> anyhow::Error {
    let is_busy = e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .is_some_and(|code| {
                matches!(
                    code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
            })
    });
    if is_busy { busy(path).into() } else { e }
}

fn sqlite_reason(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => "the file is not a SQLite database".into(),
        Some(rusqlite::ErrorCode::CannotOpen) => "it cannot be opened".into(),
        Some(rusqlite::ErrorCode::PermissionDenied) | Some(rusqlite::ErrorCode::ReadOnly) => {
            "permission denied".into()
        }
        _ => e.to_string(),
    }
}

/// Columns hold codes this program wrote; a bad one means the file was edited by hand.
pub(crate) fn currency_column(code: &str) -> rusqlite::Result<Currency> {
    // Rows repeat the same code: remember the last one parsed.
    thread_local!(static LAST: std::cell::Cell<Option<Currency>> = const { std::cell::Cell::new(None) });
    if let Some(c) = LAST.get().filter(|c| c.code() == code) {
        return Ok(c);
    }
    let parsed = currency_column_uncached(code)?;
    LAST.set(Some(parsed));
    Ok(parsed)
}

fn currency_column_uncached(code: &str) -> rusqlite::Result<Currency> {
    Currency::parse(code)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// A stored `YYYY-MM-DD` date, parsed without chrono's general formatter: report
/// queries read two dates a row over hundreds of thousands of rows.
pub(crate) fn date_column(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Date> {
    stored_date(value.as_str()?)
}

fn stored_date(text: &str) -> rusqlite::Result<Date> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let parsed = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| Date::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?))
        .flatten();
    parsed.ok_or_else(|| {
        let e = LedgerError::BadDate {
            input: text.to_string(),
            reason: "stored date is malformed".into(),
        };
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn date_or_not_yet(text: &str) -> rusqlite::Result<Option<Date>> {
    if text == NOT_YET {
        return Ok(None);
    }
    stored_date(text).map(Some)
}

/// A date bound as `YYYY-MM-DD` text without chrono's general formatter (rusqlite's
/// own binding goes through it): a bulk load binds millions of dates.
pub(crate) struct DateText([u8; 10]);

impl DateText {
    pub(crate) fn new(date: Date) -> DateText {
        use chrono::Datelike;
        let mut b = *b"0000-00-00";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        // Ledger dates have four-digit years (`dates::parse_date`).
        put(0, 4, date.year().clamp(0, 9999) as u32);
        put(5, 2, date.month());
        put(8, 2, date.day());
        DateText(b)
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a date is ASCII digits and dashes")
    }

    /// A derived date column: `None` is [`NOT_YET`].
    pub(crate) fn or_not_yet(date: Option<Date>) -> DateText {
        match date {
            Some(d) => DateText::new(d),
            None => DateText(*b"9999-12-31"),
        }
    }
}

impl rusqlite::ToSql for DateText {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(&self.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_bind_as_iso_text_and_read_back() {
        for text in ["0001-01-01", "2024-02-29", "2026-11-23", "9999-12-30"] {
            let date = stored_date(text).unwrap();
            assert_eq!(std::str::from_utf8(&DateText::new(date).0).unwrap(), text);
            assert_eq!(date.to_string(), text);
        }
        assert_eq!(&DateText::or_not_yet(None).0, NOT_YET.as_bytes());
    }

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn in_memory_store_starts_empty() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(store.read(|db| db.is_empty()).unwrap());
    }
}
