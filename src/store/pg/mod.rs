//! The PostgreSQL backend: a ledger on a database server, shared by a team. The
//! only module that uses the `postgres` crate.
//!
//! Owns connecting (the address, the password from the address, `PGPASSWORD` or
//! `~/.pgpass`, never shown), the schema (embedded, numbered migrations, applied in
//! one transaction under a lock, with the ledger's identity and version in `ar_meta`),
//! the SQL behind [`ReadTxn`] and [`WriteTxn`], and the translation of the server's
//! failures into messages a user can act on.
//!
//! ## Locking
//! Unlike a SQLite file, the server runs writers at once. Reads are
//! `REPEATABLE READ READ ONLY` transactions: one snapshot, no locks. Writes are
//! `READ COMMITTED`; a write locks each client it touches (`FOR NO KEY UPDATE`, which
//! does not conflict with the key-share locks of foreign-key checks) before it reads
//! the client's entries, so two writers of one client queue, and each replays over
//! what the other committed. Invoice numbering takes the `next_invoice_seq` row, and
//! a number is unique by index in any case. A whole-ledger write (a bulk import) locks
//! the tables. A lock waited for past [`LOCK_WAIT`] is the same "busy" refusal as the
//! SQLite ledger's; a deadlock or serialization failure is retried by the caller
//! ([`is_retryable`]).
//!
//! ## Performance
//! A write hinted to be large into an empty ledger runs in bulk mode (`bulk.rs`):
//! rows are kept in memory, replayed there, and copied in with their final derived
//! values (`COPY … BINARY`): an UPDATE of every row afterwards costs more on
//! PostgreSQL than the load itself.

mod address;
mod bulk;
mod read;
mod replay;
mod rows;
#[doc(hidden)]
pub mod testing;
mod write;

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Result;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

pub use address::{is_server_address, masked};

use super::{ReadTxn, Store, WriteHint, WriteTxn};
use crate::domain::LedgerError;
use crate::domain::error::Busy;

/// `ar_meta.application_id` of an ar ledger ('arls', as SQLite's `application_id`).
const APPLICATION_ID: i64 = 1_634_890_355;

/// The schema migrations, in order: migration `i` brings a ledger to version `i + 1`.
/// Released files are never edited; a change is a new file.
const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/pg/0001_ledger.sql")];

/// The schema version this build writes (and the newest it reads).
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// How long a command waits for a lock another writer holds before saying the ledger
/// is busy (as the SQLite ledger's busy timeout).
pub const LOCK_WAIT: Duration = Duration::from_secs(5);

/// A write hinted at this many entries or more, into an empty ledger, runs in bulk
/// mode.
pub const BULK_ENTRIES: u64 = 10_000;

/// What the caller means to do with the ledger it opens (as for a file).
pub use super::sqlite::Access;

pub struct PgStore {
    client: Client,
    /// The address as messages show it: the password masked.
    address: String,
    /// Statements prepared on this connection, by their SQL.
    statements: HashMap<&'static str, Statement>,
    bulk_entries: u64,
}

impl PgStore {
    /// Connect to the ledger at `address` (a `postgres://` URL or a libpq keyword
    /// string). With [`Access::Read`] a database without a ledger is refused; with
    /// [`Access::Write`] the first write creates the schema. A database that is not
    /// an ar ledger, or one of a newer ar, is refused untouched.
    pub fn open(address: &str, access: Access) -> Result<PgStore> {
        PgStore::open_with_env(address, access, &|k| std::env::var(k).ok())
    }

    /// [`PgStore::open`], with the environment (`PGPASSWORD`, `PGUSER`, `HOME`...)
    /// read through `env`.
    pub fn open_with_env(
        address: &str,
        access: Access,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PgStore> {
        let shown = masked(address);
        let config = address::config(address, env).map_err(|reason| LedgerError::LedgerUnusable {
            path: shown.clone(),
            reason: format!("the ledger address {shown} is not valid: {reason}"),
        })?;
        let client = address::connect(&config, &shown)?;
        let mut store = PgStore {
            client,
            address: shown,
            statements: HashMap::new(),
            bulk_entries: BULK_ENTRIES,
        };
        let version = store.check_identity()?;
        if version == 0 && access == Access::Read {
            return Err(LedgerError::NoLedger {
                path: store.address.clone(),
            }
            .into());
        }
        Ok(store)
    }

    /// Run writes of at least `entries` in bulk mode (tests use small numbers).
    pub fn set_bulk_entries(&mut self, entries: u64) {
        self.bulk_entries = entries;
    }

    /// The ledger's schema version (0: the database holds no ledger yet), after
    /// refusing a database that is another program's or a newer ar's.
    fn check_identity(&mut self) -> Result<i64> {
        let address = self.address.clone();
        let found = identity(&mut self.client).map_err(|e| explain(e, &address))?;
        match found {
            Identity::Empty => Ok(0),
            Identity::Foreign(why) => Err(LedgerError::NotALedger {
                path: address,
                reason: why,
            }
            .into()),
            Identity::Ledger(version) if version > schema_version() => Err(LedgerError::NewerSchema {
                path: address,
                found: version,
                supported: schema_version(),
            }
            .into()),
            Identity::Ledger(version) => Ok(version),
        }
    }
}

enum Identity {
    /// No tables in the schema: a ledger can be made here.
    Empty,
    /// Tables of another program (why it is not a ledger).
    Foreign(String),
    Ledger(i64),
}

fn identity(client: &mut impl postgres::GenericClient) -> Result<Identity> {
    let meta: Option<String> = client
        .query_one("SELECT to_regclass('ar_meta')::text", &[])?
        .get(0);
    if meta.is_none() {
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
                &[],
            )?
            .get(0);
        return Ok(if tables == 0 {
            Identity::Empty
        } else {
            Identity::Foreign(format!(
                "its schema holds {tables} tables but no ar_meta table: it is another program's database"
            ))
        });
    }
    let row = client.query_opt("SELECT application_id, schema_version FROM ar_meta", &[])?;
    Ok(match row {
        Some(r) if r.get::<_, i64>(0) == APPLICATION_ID => Identity::Ledger(r.get(1)),
        Some(_) => Identity::Foreign("its ar_meta table names another application".into()),
        None => Identity::Foreign("its ar_meta table is empty".into()),
    })
}

/// Bring the schema up to date inside `tx`, under a transaction lock so two `ar`
/// processes never migrate at once (the second finds the work done).
fn migrate(tx: &mut postgres::Transaction<'_>, address: &str) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPLICATION_ID])?;
    let version = match identity(tx)? {
        Identity::Empty => {
            tx.batch_execute(
                "CREATE TABLE ar_meta (
                     only_row       BOOLEAN PRIMARY KEY DEFAULT true CHECK (only_row),
                     application_id BIGINT NOT NULL,
                     schema_version BIGINT NOT NULL
                 )",
            )?;
            tx.execute(
                "INSERT INTO ar_meta (application_id, schema_version) VALUES ($1, 0)",
                &[&APPLICATION_ID],
            )?;
            0
        }
        Identity::Foreign(reason) => {
            return Err(LedgerError::NotALedger {
                path: address.to_string(),
                reason,
            }
            .into());
        }
        Identity::Ledger(v) if v > schema_version() => {
            return Err(LedgerError::NewerSchema {
                path: address.to_string(),
                found: v,
                supported: schema_version(),
            }
            .into());
        }
        Identity::Ledger(v) => v,
    };
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(sql)?;
        tx.execute("UPDATE ar_meta SET schema_version = $1", &[&(i as i64 + 1)])?;
    }
    Ok(())
}

impl Store for PgStore {
    fn address(&self) -> &str {
        &self.address
    }

    fn read(&mut self) -> Result<Box<dyn ReadTxn + '_>> {
        let tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        Ok(Box::new(PgTxn::new(
            tx,
            &mut self.statements,
            &self.address,
            None,
        )))
    }

    fn write(&mut self, hint: WriteHint) -> Result<Box<dyn WriteTxn + '_>> {
        let address = self.address.as_str();
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::ReadCommitted)
            .start()?;
        tx.batch_execute(&format!("SET LOCAL lock_timeout = '{}s'", LOCK_WAIT.as_secs()))?;
        migrate(&mut tx, address)?;
        let can_write: bool = tx
            .query_one("SELECT has_table_privilege('payments', 'INSERT')", &[])?
            .get(0);
        if !can_write {
            return Err(LedgerError::ReadOnly {
                path: address.to_string(),
            }
            .into());
        }
        let bulk = if hint.entries >= self.bulk_entries {
            bulk::Bulk::start(&mut tx)?
        } else {
            None
        };
        Ok(Box::new(PgTxn::new(
            tx,
            &mut self.statements,
            address,
            Some(bulk),
        )))
    }

    fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        explain(err, &self.address)
    }
}

/// Whether `err` is a failure the server asks the client to retry the whole
/// transaction for: a deadlock or a serialization failure.
pub fn is_retryable(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|c| c.downcast_ref::<postgres::Error>())
        .filter_map(|e| e.code())
        .any(|c| *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
}

/// `err`, a failure of a transaction on the server at `address`, as the user should
/// see it.
fn explain(err: anyhow::Error, address: &str) -> anyhow::Error {
    let Some(pg) = err.chain().find_map(|c| c.downcast_ref::<postgres::Error>()) else {
        return err;
    };
    let unusable = |reason: String| {
        anyhow::Error::from(LedgerError::LedgerUnusable {
            path: address.to_string(),
            reason,
        })
    };
    let Some(code) = pg.code() else {
        if pg.is_closed() {
            return unusable(format!(
                "the connection to the ledger server {address} was lost: nothing more was written; check the server and try again"
            ));
        }
        return err;
    };
    if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::QUERY_CANCELED {
        return Busy::locked(address, LOCK_WAIT.as_secs()).into();
    }
    if *code == SqlState::INSUFFICIENT_PRIVILEGE || *code == SqlState::READ_ONLY_SQL_TRANSACTION {
        return LedgerError::ReadOnly {
            path: address.to_string(),
        }
        .into();
    }
    if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY {
        return unusable(format!(
            "the ledger server {address} is out of space or memory: nothing was written; ask its administrator"
        ));
    }
    if *code == SqlState::UNDEFINED_TABLE || *code == SqlState::UNDEFINED_COLUMN {
        return unusable(format!(
            "the ledger {address} lacks a table or column its schema version promises ({}): it was changed outside ar; restore it from a backup",
            pg.as_db_error().map_or("", |d| d.message())
        ));
    }
    err
}

/// What the user sees of a failure to connect (the server's own words, the
/// password never).
fn connect_failure(e: &postgres::Error, address: &str) -> anyhow::Error {
    let reason = match e.code() {
        Some(c)
            if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            format!(
                "the ledger server {address} refused the login ({}): check the user and password (in the address, PGPASSWORD or ~/.pgpass)",
                db_message(e)
            )
        }
        Some(c) if *c == SqlState::INVALID_CATALOG_NAME => format!(
            "the ledger server {address} has no such database ({}): create it (createdb) or check the address",
            db_message(e)
        ),
        Some(_) => format!(
            "the ledger server {address} refused the connection: {}",
            db_message(e)
        ),
        None => format!(
            "cannot connect to the ledger server {address}: {}: check the address and that the server is running",
            source_text(e)
        ),
    };
    LedgerError::LedgerUnusable {
        path: address.to_string(),
        reason,
    }
    .into()
}

fn db_message(e: &postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| source_text(e), |d| d.message().to_string())
}

fn source_text(e: &postgres::Error) -> String {
    use std::error::Error;
    match e.source() {
        Some(s) => s.to_string(),
        None => e.to_string(),
    }
}

/// A transaction on the server: a read (a snapshot) or a write.
pub(super) struct PgTxn<'c> {
    tx: postgres::Transaction<'c>,
    statements: &'c mut HashMap<&'static str, Statement>,
    address: &'c str,
    /// A write transaction: its state (`None` for a read).
    write: Option<write::WriteState>,
}

/// Query parameters.
pub(super) type Params<'p> = [&'p (dyn ToSql + Sync)];

impl<'c> PgTxn<'c> {
    fn new(
        tx: postgres::Transaction<'c>,
        statements: &'c mut HashMap<&'static str, Statement>,
        address: &'c str,
        write: Option<Option<bulk::Bulk>>,
    ) -> PgTxn<'c> {
        PgTxn {
            tx,
            statements,
            address,
            write: write.map(write::WriteState::new),
        }
    }

    /// The statement for `sql`, prepared once per connection.
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    /// Every row `sql` returns.
    pub(super) fn rows(&mut self, sql: &'static str, params: &Params<'_>) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        Ok(self.tx.query(&s, params)?)
    }

    /// The one row `sql` returns, if any.
    pub(super) fn row(&mut self, sql: &'static str, params: &Params<'_>) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        Ok(self.tx.query_opt(&s, params)?)
    }

    /// The one row `sql` must return.
    pub(super) fn one(&mut self, sql: &'static str, params: &Params<'_>) -> Result<Row> {
        let s = self.statement(sql)?;
        Ok(self.tx.query_one(&s, params)?)
    }

    /// Run `sql`; the number of rows it changed.
    pub(super) fn exec(&mut self, sql: &'static str, params: &Params<'_>) -> Result<u64> {
        let s = self.statement(sql)?;
        Ok(self.tx.execute(&s, params)?)
    }

    /// Each row `sql` returns, streamed (a report over a million invoices must not
    /// hold them all).
    pub(super) fn each(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
        mut f: impl FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let s = self.statement(sql)?;
        let mut it = self.tx.query_raw(&s, params.iter().copied())?;
        while let Some(row) = it.next()? {
            f(&row)?;
        }
        Ok(())
    }
}
