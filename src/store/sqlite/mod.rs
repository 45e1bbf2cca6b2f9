//! The SQLite backend: a ledger in one file (or in memory, for tests). The only
//! module that uses rusqlite.
//!
//! Owns opening a ledger file safely (never creating one for a read, never removing
//! or replacing what the user pointed at, refusing files that are not ours or are
//! newer), the schema and its migrations, the SQL behind [`ReadTxn`] and [`WriteTxn`],
//! and the translation of SQLite's failures into messages a user can act on.
//!
//! ## Durability and locking
//! Ledgers are in WAL mode with `synchronous = FULL`: a commit that returned is on
//! disk (a power cut cannot take it back), and a report reads its snapshot while a
//! command writes. Write transactions are `BEGIN IMMEDIATE`: two writers queue on the
//! 5-second busy timeout instead of failing mid-way, so SQLite's single writer gives
//! the seam's locking contracts (client locks, numbering) for free.
//!
//! ## Reading what you cannot write
//! A reader that cannot write the file or its directory must not leave `-wal` and
//! `-shm` files behind (they would belong to the reader and stop the owner's next
//! write). Such a reader opens the file read-only: using the owner's `-shm` when a
//! writer has the ledger open, else as an immutable file (no locks, no side files),
//! checking afterwards that nobody wrote the file meanwhile and reading again if so.
//!
//! ## Performance
//! A write transaction hinted to be large ([`BULK_ENTRIES`] entries or more: a big
//! import) runs in bulk mode (`bulk.rs`): a rollback journal instead of the WAL,
//! secondary indexes dropped and rebuilt once, look-ups and the replay served from
//! memory. Nothing of it shows above the seam.

mod bulk;
mod columns;
mod numbers;
mod rows;
mod scan;
mod txn;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use rusqlite::{Connection, OpenFlags};

use super::{ReadTxn, Store, WriteHint, WriteTxn};
use crate::domain::LedgerError;
use crate::domain::error::{Busy, io_reason};

/// `PRAGMA application_id` of an ar ledger ('arls'): tells our files from other SQLite
/// databases so `--db` pointed at the wrong file never alters it.
const APPLICATION_ID: i64 = 1_634_890_355;

/// The schema migrations, in order: migration `i` brings a ledger to version `i + 1`.
/// Released files are never edited; a change is a new file.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_init.sql"),
    include_str!("../../../migrations/0002_imports_open_by_client.sql"),
    include_str!("../../../migrations/0003_corrections_audit.sql"),
];

/// A copy in memory of the ledger on `conn` (of schema `version`), brought to this
/// build's schema by the same migrations a write applies to the file.
fn upgraded_copy(conn: &Connection, version: i64, address: &str) -> Result<Connection> {
    let mut copy = Connection::open_in_memory()?;
    rusqlite::backup::Backup::new(conn, &mut copy)?.run_to_completion(
        1 << 14,
        std::time::Duration::ZERO,
        None,
    )?;
    let tx = copy.transaction()?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(|e| {
            anyhow::Error::from(LedgerError::LedgerUnusable {
                path: address.to_string(),
                reason: format!(
                    "the ledger {address} says it has schema {version} but cannot be brought to schema {} ({e}): it was changed outside ar; restore it from a backup",
                    i + 1
                ),
            })
        })?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(copy)
}

/// The schema version this build writes (and the newest it reads).
pub fn schema_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// How long a command waits for another writer before saying the ledger is busy.
const BUSY_WAIT: Duration = Duration::from_secs(5);

/// `PRAGMA cache_size`: 32 MB.
const CACHE_SIZE: i64 = -32_000;

/// A write hinted at this many entries or more runs in bulk mode: rebuilding the
/// indexes and replaying from memory beat doing both row by row from about 300,000
/// rows (16 MiB of CSV).
pub const BULK_ENTRIES: u64 = 300_000;

/// What the caller means to do with the ledger it opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only read: the ledger must exist; nothing is created or changed.
    Read,
    /// Read and write: a missing ledger is created by the first write that commits.
    Write,
}

/// Where the ledger file may be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A path the user gave: its directory must exist (a mistyped path must not
    /// quietly make directories).
    Given,
    /// The default location: its directories are created when missing.
    Default,
}

pub struct SqliteStore {
    conn: Connection,
    /// The file SQLite opened (a symlink's target), or `:memory:`.
    path: PathBuf,
    address: String,
    /// The file this open created, removed again unless a write commits to it.
    created: Option<PathBuf>,
    committed: bool,
    /// The file can be written (and its directory): only then are writes tried.
    writable: bool,
    /// Opened as an immutable file (see the module doc): reads are checked against
    /// the file's state when opened.
    immutable: Option<FileStamp>,
    bulk_entries: u64,
    /// See [`SqliteStore::set_recent_closed`].
    recent_closed: i64,
    /// A ledger of an older schema, read: a copy in memory brought to this
    /// schema (reading never changes the file; the first write upgrades it).
    upgraded: Option<Connection>,
}

/// A file's size and modification time, to tell whether anyone wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

impl SqliteStore {
    /// Open the ledger file at `path`. With [`Access::Read`] a missing ledger is
    /// refused; with [`Access::Write`] it is created (owner-only) when a write
    /// commits. A symlink is followed, never replaced.
    pub fn open(path: &Path, access: Access, location: Location) -> Result<SqliteStore> {
        let shown = path.display().to_string();
        let target = resolve_link(path).map_err(|reason| LedgerError::LedgerUnusable {
            path: shown.clone(),
            reason,
        })?;
        let mut created = None;
        match std::fs::metadata(&target) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if access == Access::Read {
                    return Err(LedgerError::NoLedger { path: shown }.into());
                }
                create_ledger_file(&target, location).map_err(|reason| LedgerError::LedgerUnusable {
                    path: shown.clone(),
                    reason: format!("cannot create the ledger {shown}: {reason}"),
                })?;
                created = Some(target.clone());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                let verb = if access == Access::Read { "read" } else { "create" };
                return Err(LedgerError::LedgerUnusable {
                    path: shown.clone(),
                    reason: format!(
                        "cannot {verb} the ledger {shown}: a part of the path is a file, not a directory: give --db (or AR_DB) a path in a directory"
                    ),
                }
                .into());
            }
            Err(e) => {
                return Err(LedgerError::LedgerUnusable {
                    path: shown.clone(),
                    reason: format!(
                        "cannot read the ledger {shown}: {}: check its permissions, or give --db (or AR_DB) another ledger",
                        io_reason(&e)
                    ),
                }
                .into());
            }
            Ok(m) if m.is_dir() => {
                return Err(not_a_ledger(&shown, "it is a directory"));
            }
            Ok(m) if !m.is_file() => {
                // A named pipe would block SQLite's open forever; a device is nobody's ledger.
                return Err(not_a_ledger(
                    &shown,
                    "it is not a regular file (a named pipe, socket or device)",
                ));
            }
            // An empty file is no ledger yet: only a write that succeeds makes it one.
            Ok(m) if m.len() == 0 && access == Access::Read => {
                return Err(LedgerError::NoLedger { path: shown }.into());
            }
            Ok(_) => {}
        }
        if let Err(e) = std::fs::File::open(&target) {
            return Err(LedgerError::LedgerUnusable {
                path: shown.clone(),
                reason: format!(
                    "cannot read the ledger {shown}: {}: check its permissions, or give --db (or AR_DB) another ledger",
                    io_reason(&e)
                ),
            }
            .into());
        }
        check_header(&target, &shown)?;
        let writable = can_write(&target);
        // Read-write only when this process can write: SQLite would otherwise fall
        // back to reading, and leave -wal and -shm files of the reader's behind.
        let opened = if writable {
            open_read_write(&target)
        } else {
            open_read_only(&target)
        };
        let (conn, immutable) = opened.map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                anyhow::Error::from(busy(&shown))
            }
            _ => not_a_ledger(&shown, &sqlite_reason(&e)),
        })?;
        let mut store = SqliteStore {
            conn,
            path: target,
            address: shown,
            created,
            committed: false,
            writable,
            immutable,
            bulk_entries: BULK_ENTRIES,
            recent_closed: txn::RECENT,
            upgraded: None,
        };
        store.check_identity()?;
        if writable {
            store.configure()?;
        }
        Ok(store)
    }

    /// A fresh, empty ledger in memory (the schema comes with the first write).
    pub fn open_in_memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory()?;
        let mut store = SqliteStore {
            conn,
            path: PathBuf::from(":memory:"),
            address: ":memory:".into(),
            created: None,
            committed: false,
            writable: true,
            immutable: None,
            bulk_entries: BULK_ENTRIES,
            recent_closed: txn::RECENT,
            upgraded: None,
        };
        store.configure()?;
        Ok(store)
    }

    /// Run writes of at least `entries` in bulk mode (tests use small numbers to
    /// take the bulk path with small files).
    pub fn set_bulk_entries(&mut self, entries: u64) {
        self.bulk_entries = entries;
    }

    /// Below how many invoices closed since a replay's start a replay seeks the
    /// client's open invoices instead of reading all of its invoices (tests use 0
    /// to take the second way on small ledgers).
    pub fn set_recent_closed(&mut self, invoices: i64) {
        self.recent_closed = invoices;
    }

    /// Refuse another program's SQLite database, or a ledger of a newer ar.
    fn check_identity(&self) -> Result<()> {
        let probe = |sql: &str| -> Result<i64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map_err(|e| self.explain(e.into()))
        };
        let tables = probe("SELECT count(*) FROM sqlite_schema")?;
        let app_id = probe("PRAGMA application_id")?;
        let version = probe("PRAGMA user_version")?;
        if tables > 0 && app_id != APPLICATION_ID {
            return Err(not_a_ledger(
                &self.address,
                "it is a SQLite database of another program",
            ));
        }
        if tables > 0 && version == 0 {
            return Err(LedgerError::LedgerUnusable {
                path: self.address.clone(),
                reason: format!(
                    "the ledger {} has tables but no schema version (PRAGMA user_version is 0): it was changed outside ar; nothing was written; restore it from a backup",
                    self.address
                ),
            }
            .into());
        }
        if version > schema_version() {
            return Err(LedgerError::NewerSchema {
                path: self.address.clone(),
                found: version,
                supported: schema_version(),
            }
            .into());
        }
        Ok(())
    }

    fn configure(&mut self) -> Result<()> {
        let conn = &self.conn;
        let set = |name: &str, value: &dyn rusqlite::ToSql| conn.pragma_update(None, name, value);
        (|| -> rusqlite::Result<()> {
            conn.busy_timeout(BUSY_WAIT)?;
            // 16 KiB pages for a new ledger (an existing one keeps its own): a
            // million-row import ran a quarter faster than with SQLite's 4 KiB, and
            // reports and single entries were no slower. Only takes effect before
            // the first table is written.
            set("page_size", &16_384)?;
            // FULL: with WAL, NORMAL can lose the last commits in a power cut (the
            // file stays sound, but a write reported done would be gone).
            set("synchronous", &"FULL")?;
            set("foreign_keys", &"ON")?;
            set("cache_size", &CACHE_SIZE)
        })()
        .map_err(|e| self.explain(e.into()))?;
        self.use_wal()
    }

    /// Put an existing ledger in WAL mode (a new, empty file becomes WAL after its
    /// first commit: switching writes the file, which must stay empty until a write
    /// succeeds).
    fn use_wal(&self) -> Result<()> {
        if self.path.as_os_str() == ":memory:" || file_len(&self.path) == 0 {
            return Ok(());
        }
        use_wal(&self.conn).map_err(|e| self.explain(e.into()))
    }

    fn begin_read(&mut self) -> Result<txn::SqliteTxn<'_>> {
        // The questions are asked in this schema's terms: a ledger of an older one
        // is read through an upgraded copy in memory.
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > 0 && version < schema_version() {
            if self.upgraded.is_none() {
                // A ledger whose schema cannot be brought up to date was changed
                // outside ar: read as it is, its reads (and `ar check`) say so.
                self.upgraded = upgraded_copy(&self.conn, version, &self.address).ok();
            }
        } else {
            self.upgraded = None;
        }
        let conn = self.upgraded.as_ref().unwrap_or(&self.conn);
        let mut txn = txn::SqliteTxn::begin(conn, &self.address, txn::Mode::Read)?;
        txn.recent_closed = self.recent_closed;
        Ok(txn)
    }
}

impl Store for SqliteStore {
    fn address(&self) -> &str {
        &self.address
    }

    fn read(&mut self) -> Result<Box<dyn ReadTxn + '_>> {
        if let Some(stamp) = self.immutable {
            // Opened without locks: if the owner wrote the file since, what was read
            // may be torn; reopen as it is now (see the module doc).
            if FileStamp::of(&self.path) != Some(stamp) {
                let (conn, immutable) = open_read_only(&self.path).map_err(|e| self.explain(e.into()))?;
                self.conn = conn;
                self.immutable = immutable;
            }
        }
        Ok(Box::new(self.begin_read()?))
    }

    fn write(&mut self, hint: WriteHint) -> Result<Box<dyn WriteTxn + '_>> {
        if !self.writable {
            return Err(LedgerError::ReadOnly {
                path: self.address.clone(),
            }
            .into());
        }
        let bulk = (hint.entries >= self.bulk_entries).then_some(hint.entries);
        let new_file = self.path.as_os_str() != ":memory:" && file_len(&self.path) == 0;
        let mut txn =
            txn::SqliteTxn::begin_write(&self.conn, &self.address, bulk, new_file, &mut self.committed)?;
        txn.recent_closed = self.recent_closed;
        Ok(Box::new(txn))
    }

    fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        explain(err, &self.address)
    }

    fn read_again(&self) -> bool {
        self.immutable
            .is_some_and(|stamp| FileStamp::of(&self.path) != Some(stamp))
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let Some(created) = self.created.take() else {
            return;
        };
        if self.committed {
            return;
        }
        // Nothing was ever committed to the file this open created: it goes again
        // (with SQLite's side files), so a refused command leaves no trace. The
        // connection closes first.
        let conn = std::mem::replace(
            &mut self.conn,
            match Connection::open_in_memory() {
                Ok(c) => c,
                Err(_) => return,
            },
        );
        drop(conn);
        if file_len(&created) == 0 {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut p = created.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Switch to WAL mode. While a bulk load holds the ledger in rollback-journal mode the
/// switch is refused at once: go on in that mode (the load switches back when done);
/// reads then wait for its locks.
fn use_wal(conn: &Connection) -> rusqlite::Result<()> {
    match conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(())) {
        Err(e) if is_busy(&e) => Ok(()),
        other => other,
    }
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// The file a path names: itself, or the target of a symlink (even one that does not
/// exist yet, which the first write creates), so the link itself is never touched.
fn resolve_link(path: &Path) -> Result<PathBuf, String> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&current).map_err(|e| io_reason(&e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(format!(
        "{} is a loop of symbolic links: point --db at a file",
        path.display()
    ))
}

/// Create an empty ledger file, readable and writable by its owner only.
fn create_ledger_file(path: &Path, location: Location) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        if location == Location::Given {
            return Err(format!(
                "the directory {} does not exist: create it first, or check the path given to --db (or AR_DB)",
                dir.display()
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| io_reason(&e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600); // customers' financial data: owner only
    }
    options.open(path).map(drop).map_err(|e| {
        format!(
            "{}: give --db (or AR_DB) a path in a writable directory",
            io_reason(&e)
        )
    })
}

/// Refuse a non-empty file that does not begin as a SQLite database: SQLite itself
/// would say "file is not a database" only at the first query.
fn check_header(path: &Path, shown: &str) -> Result<()> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut file = std::fs::File::open(path)?;
    let n = file.read(&mut head)?;
    if n == 0 {
        return Ok(());
    }
    if n < head.len() || &head != b"SQLite format 3\0" {
        return Err(not_a_ledger(shown, "the file is not a SQLite database"));
    }
    Ok(())
}

/// Whether this process could write the ledger file and create SQLite's side files
/// beside it.
fn can_write(path: &Path) -> bool {
    let file_ok = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .is_ok();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    file_ok && dir_writable(dir)
}

fn dir_writable(dir: &Path) -> bool {
    // Try it: permission bits alone do not tell (root, ACLs, read-only mounts).
    let probe = dir.join(format!(".ar-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

fn open_read_write(path: &Path) -> rusqlite::Result<(Connection, Option<FileStamp>)> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok((conn, None))
}

/// Open a ledger this process cannot write without creating anything beside it.
fn open_read_only(path: &Path) -> rusqlite::Result<(Connection, Option<FileStamp>)> {
    let side = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p).exists()
    };
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let uri = |query: &str| format!("file:{}?{query}", uri_path(path));
    if !is_wal_file(path) || side("-shm") {
        // A rollback-journal ledger is read with shared locks and no side files; a
        // WAL ledger whose writer is at work has its -shm to read through.
        let conn = Connection::open_with_flags(uri("mode=ro"), flags)?;
        conn.busy_timeout(BUSY_WAIT)?;
        return Ok((conn, None));
    }
    // A WAL ledger nobody has open: read the file as it is, without locks.
    let stamp = FileStamp::of(path);
    let conn = Connection::open_with_flags(uri("mode=ro&immutable=1"), flags)?;
    Ok((conn, stamp))
}

/// Whether a SQLite file is in WAL mode (header bytes 18 and 19 are 2).
fn is_wal_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 20];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head[18] == 2 && head[19] == 2)
}

/// A path as a `file:` URI path: `%`, `?` and `#` escaped, absolute.
fn uri_path(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for b in absolute.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

/// How the ledger's schema differs from the one ar's migrations make at its version:
/// a table, index or view missing or not as created. (Objects of its own that another
/// program added are not ar's to judge.)
fn schema_problems(conn: &Connection) -> Result<Vec<String>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let objects = |c: &Connection| -> rusqlite::Result<Vec<(String, String, Option<String>)>> {
        c.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    };
    let made_by = |migrations: usize| -> rusqlite::Result<Connection> {
        let fresh = Connection::open_in_memory()?;
        for sql in MIGRATIONS.iter().take(migrations) {
            fresh.execute_batch(sql)?;
        }
        Ok(fresh)
    };
    let fresh = made_by(version.clamp(0, MIGRATIONS.len() as i64) as usize)?;
    let expected = objects(&fresh)?;
    let actual = objects(conn)?;
    let columns = |c: &Connection, table: &str| -> rusqlite::Result<Vec<String>> {
        c.prepare("SELECT name FROM pragma_table_info(?1)")?
            .query_map([table], |r| r.get(0))?
            .collect()
    };
    let mut problems = Vec::new();
    for (kind, name, sql) in &expected {
        match actual.iter().find(|(_, n, _)| n == name) {
            None => problems.push(format!("the {kind} {name} of schema {version} is missing")),
            Some((k, _, s)) if k != kind || s != sql => {
                let mut problem = format!("the {kind} {name} is not as schema {version} makes it");
                if kind == "table" {
                    let have = columns(conn, name)?;
                    let missing: Vec<String> = columns(&fresh, name)?
                        .into_iter()
                        .filter(|c| !have.contains(c))
                        .collect();
                    if !missing.is_empty() {
                        problem.push_str(&format!(": no column {}", missing.join(", ")));
                    }
                }
                problems.push(problem);
            }
            Some(_) => {}
        }
    }
    // Objects a later schema makes, in a ledger that says it is older: its version
    // was set back.
    let newest = objects(&made_by(MIGRATIONS.len())?)?;
    let later: Vec<&str> = actual
        .iter()
        .filter(|(_, n, _)| !expected.iter().any(|(_, e, _)| e == n) && newest.iter().any(|(_, m, _)| m == n))
        .map(|(_, n, _)| n.as_str())
        .collect();
    if !later.is_empty() {
        problems.push(format!(
            "the ledger says it has schema {version}, but holds what a later schema makes ({}): its version was set back",
            later.join(", ")
        ));
    }
    Ok(problems)
}

fn not_a_ledger(path: &str, reason: &str) -> anyhow::Error {
    LedgerError::NotALedger {
        path: path.to_string(),
        reason: reason.to_string(),
    }
    .into()
}

fn busy(address: &str) -> Busy {
    Busy::locked(address, BUSY_WAIT.as_secs())
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// SQLite's failures, in words the user can act on; other errors stay as they are.
fn explain(err: anyhow::Error, address: &str) -> anyhow::Error {
    let unusable = |reason: String| {
        anyhow::Error::from(LedgerError::LedgerUnusable {
            path: address.to_string(),
            reason,
        })
    };
    let Some(sqlite) = err.chain().find_map(|c| c.downcast_ref::<rusqlite::Error>()) else {
        return err;
    };
    // What ar wrote, it reads: a value of the wrong type, or a table the schema
    // version promises but the file lacks, was put there by another program.
    let altered = match sqlite {
        rusqlite::Error::FromSqlConversionFailure(_, _, cause) => {
            Some(format!("holds a value ar cannot read ({cause})"))
        }
        rusqlite::Error::InvalidColumnType(_, column, kind) => Some(format!(
            "holds a value ar cannot read ({kind:?} in column {column})"
        )),
        rusqlite::Error::IntegralValueOutOfRange(_, value) => {
            Some(format!("holds a value ar cannot read ({value}, out of range)"))
        }
        rusqlite::Error::SqliteFailure(_, Some(message))
        | rusqlite::Error::SqlInputError { msg: message, .. }
            if message.starts_with("no such table")
                || message.starts_with("no such column")
                || message.contains("has no column named") =>
        {
            Some(format!("lacks a part of its schema ({message})"))
        }
        _ => None,
    };
    if let Some(what) = altered {
        return unusable(format!(
            "the ledger {address} {what}: it was changed outside ar; restore it from a backup (`ar import --dir` of an export)"
        ));
    }
    let Some(code) = sqlite.sqlite_error_code() else {
        return err;
    };
    use rusqlite::ErrorCode as C;
    match code {
        C::DatabaseBusy | C::DatabaseLocked => busy(address).into(),
        C::ReadOnly | C::PermissionDenied | C::AuthorizationForStatementDenied => LedgerError::ReadOnly {
            path: address.to_string(),
        }
        .into(),
        C::DiskFull => unusable(format!(
            "the disk holding the ledger {address} is full: nothing was written; free some space and try again"
        )),
        C::DatabaseCorrupt | C::NotADatabase => unusable(format!(
            "the ledger {address} is damaged (SQLite cannot read its pages): nothing was written; restore it from a backup (`ar import --dir` of an export) or ask for help"
        )),
        C::SystemIoFailure => unusable(format!(
            "cannot read or write the ledger {address}: the operating system reported an I/O error; check the disk, then try again"
        )),
        C::CannotOpen => unusable(format!(
            "cannot open the ledger {address}: SQLite must be able to read it and to write in its directory; check their permissions"
        )),
        C::TooBig => unusable(format!("a value is too large for the ledger {address}")),
        _ => err,
    }
}

fn sqlite_reason(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => "the file is not a SQLite database".into(),
        Some(rusqlite::ErrorCode::CannotOpen) => "it cannot be opened".into(),
        Some(rusqlite::ErrorCode::PermissionDenied) | Some(rusqlite::ErrorCode::ReadOnly) => {
            "permission denied".into()
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => "the file is damaged".into(),
        _ => "SQLite cannot read it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_files_in_order() {
        assert_eq!(schema_version(), 3);
        assert!(MIGRATIONS[0].contains("CREATE TABLE invoices"));
        assert!(MIGRATIONS[1].contains("CREATE TABLE imports"));
        assert!(MIGRATIONS[2].contains("CREATE TABLE corrections"));
    }

    #[test]
    fn uri_paths_escape_what_a_uri_reserves() {
        assert!(uri_path(Path::new("/a b/l%?#.db")).ends_with("/a b/l%25%3F%23.db"));
    }
}
