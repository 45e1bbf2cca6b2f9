//! A hermetic environment for driving the real `ar` binary: a temp dir holding the
//! ledger, a fixed "today", a cleared environment and a wide, plain terminal.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub const TODAY: &str = "2026-11-23";

pub struct TestLedger {
    pub dir: TempDir,
    pub db: PathBuf,
    pub today: String,
}

impl TestLedger {
    pub fn new() -> TestLedger {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ledger.db");
        TestLedger {
            dir,
            db,
            today: TODAY.to_string(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `ar` with a cleared environment: only the ledger, today, HOME and terminal width.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// The same as a plain `std::process::Command`, for tests that start `ar` and
    /// act while it runs (pipe rows in, kill it, read beside it).
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ar"));
        cmd.env_clear()
            .env("AR_DB", &self.db)
            .env("AR_TODAY", &self.today)
            .env("HOME", self.dir.path())
            .env("COLUMNS", "200")
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
        cmd
    }

    /// Run `ar args`, require exit 0 and an empty stderr, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run ar");
        let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
        let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
        assert!(
            out.status.success(),
            "ar {args:?} failed ({:?}):\n{stderr}\n{stdout}",
            out.status.code()
        );
        stdout
    }

    /// Run `ar args`, require exit `code`, a one-line `error: ...` on stderr and no
    /// change to the ledger; return that line.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let before = self.dump();
        let out = self.cmd().args(args).output().expect("run ar");
        let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
        assert_eq!(
            out.status.code(),
            Some(code),
            "ar {args:?}: expected exit {code}, stderr:\n{stderr}"
        );
        if code == 1 {
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "one-line message expected for {args:?}:\n{stderr}"
            );
            assert!(stderr.starts_with("error: "), "{stderr}");
        }
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{stderr}"
        );
        assert_eq!(
            before,
            self.dump(),
            "ar {args:?} changed the ledger although it failed"
        );
        stderr
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&self.ok(&all)).expect("valid JSON")
    }

    /// Every row of every table, as text: equal dumps mean an unchanged ledger.
    pub fn dump(&self) -> String {
        dump(&self.db)
    }
}

pub fn dump(db: &Path) -> String {
    if !db.exists() {
        return String::from("<no ledger>");
    }
    let conn = rusqlite::Connection::open(db).expect("open ledger");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        out.push_str(&rows_text(
            &conn,
            &format!("SELECT * FROM \"{t}\" ORDER BY rowid"),
        ));
    }
    out
}

/// Every row `sql` returns, one line each, cells as SQLite gives them, `|` between.
pub fn rows_text(conn: &rusqlite::Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    let mut rows = stmt.query([]).expect("query");
    let mut out = String::new();
    while let Some(row) = rows.next().expect("row") {
        let cells: Vec<String> = (0..n)
            .map(|i| format!("{:?}", row.get_ref(i).expect("cell")))
            .collect();
        out.push_str(&cells.join("|"));
        out.push('\n');
    }
    out
}

impl TestLedger {
    /// Run `ar args` and return whatever happened, for tests that check it themselves.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().expect("run ar")
    }
}

/// A JSON object's members as their raw text, so `250.00` stays `250.00`
/// (`serde_json::Value` would read it back as `250.0`).
pub type RawObject = std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>;

/// Parse a JSON object keeping each member's raw text.
pub fn raw_object(text: &str) -> RawObject {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("a JSON object expected ({e}):\n{text}"))
}

/// Parse a JSON array of objects keeping each member's raw text.
pub fn raw_rows(text: &str) -> Vec<RawObject> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("a JSON array expected ({e}):\n{text}"))
}

/// The raw text of `key` in `obj`: `"INV-0001"` for strings, `250.00` for amounts.
pub fn raw<'a>(obj: &'a RawObject, key: &str) -> &'a str {
    obj.get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {obj:?}"))
        .get()
}
