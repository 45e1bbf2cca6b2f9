//! The test harness: a temporary ledger and `ar` commands run against it, in-process
//! (`ar::cli::run` with an environment, "today" and output buffers of the test's
//! own) or, for the thin end-to-end layer, as the real binary in a hermetic
//! environment (temp dir, `AR_DB`, `AR_TODAY`, `HOME`, `COLUMNS`, cleared env).
//!
//! In-process commands share the test process's working directory: give them
//! absolute paths (`l.path().join(..)`).

#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

pub const TODAY: &str = "2026-11-23";

/// What a command did.
#[derive(Debug)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

pub struct TestLedger {
    pub dir: TempDir,
    pub db: PathBuf,
    pub today: String,
    /// Variables beyond the hermetic set (`set_env`).
    extra_env: Vec<(String, String)>,
}

impl Default for TestLedger {
    fn default() -> TestLedger {
        TestLedger::new()
    }
}

impl TestLedger {
    pub fn new() -> TestLedger {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ledger.db");
        TestLedger {
            dir,
            db,
            today: TODAY.to_string(),
            extra_env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path in the test's directory, as text for an argument.
    pub fn file(&self, name: &str) -> String {
        self.path().join(name).to_str().expect("UTF-8 path").to_string()
    }

    /// Set a variable for every later command (in-process and binary).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.extra_env.push((key.to_string(), value.to_string()));
    }

    /// The environment a command sees: only the ledger, today, HOME and a wide,
    /// plain terminal, and what `set_env` added.
    pub fn env_pairs(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("AR_DB".to_string(), self.db.to_str().expect("UTF-8 path").to_string()),
            ("AR_TODAY".to_string(), self.today.clone()),
            ("HOME".to_string(), self.path().to_str().expect("UTF-8 path").to_string()),
            ("COLUMNS".to_string(), "200".to_string()),
            ("NO_COLOR".to_string(), "1".to_string()),
        ];
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// Run `ar args` in-process, with `stdin` as its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Outcome {
        let mut env = ar::cli::Env::default();
        for (k, v) in self.env_pairs() {
            env.set(&k, &v);
        }
        let argv: Vec<OsString> = std::iter::once("ar").chain(args.iter().copied()).map(OsString::from).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = ar::cli::run(
            argv,
            &env,
            ar::cli::Io {
                out: &mut out,
                err: &mut err,
                stdin: Box::new(std::io::Cursor::new(stdin.to_vec())),
                out_is_terminal: false,
                err_is_terminal: false,
            },
        );
        Outcome {
            code,
            stdout: String::from_utf8(out).expect("UTF-8 stdout"),
            stderr: String::from_utf8(err).expect("UTF-8 stderr"),
        }
    }

    /// Run `ar args` in-process.
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.run_with_stdin(args, b"")
    }

    /// Run `ar args` in-process as on a terminal `columns` wide (tables drawn).
    pub fn run_on_terminal(&self, args: &[&str], columns: u16) -> Outcome {
        let mut env = ar::cli::Env::default();
        for (k, v) in self.env_pairs() {
            if k != "NO_COLOR" && k != "COLUMNS" {
                env.set(&k, &v);
            }
        }
        env.set("COLUMNS", &columns.to_string());
        let argv: Vec<OsString> = std::iter::once("ar").chain(args.iter().copied()).map(OsString::from).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = ar::cli::run(
            argv,
            &env,
            ar::cli::Io {
                out: &mut out,
                err: &mut err,
                stdin: Box::new(std::io::empty()),
                out_is_terminal: true,
                err_is_terminal: false,
            },
        );
        Outcome {
            code,
            stdout: String::from_utf8(out).expect("UTF-8 stdout"),
            stderr: String::from_utf8(err).expect("UTF-8 stderr"),
        }
    }

    /// Run `ar args`, require exit 0 and an empty stderr, return stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.code == 0 && out.stderr.is_empty(),
            "ar {args:?} failed ({}):\n{}\n{}",
            out.code,
            out.stderr,
            out.stdout
        );
        out.stdout
    }

    /// Run `ar args`, require exit `code`, a one-line `error: ...` on stderr (for
    /// refusals) and no change to the ledger; return stderr.
    pub fn fails(&self, args: &[&str], code: u8) -> String {
        let before = self.dump();
        let out = self.run(args);
        assert_eq!(out.code, code, "ar {args:?}: expected exit {code}, stderr:\n{}", out.stderr);
        check_refusal(args, code, &out.stderr);
        assert_eq!(before, self.dump(), "ar {args:?} changed the ledger although it failed");
        out.stderr
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

    /// The real binary in the hermetic environment (a cleared environment, the test's
    /// directory as the working directory).
    pub fn binary(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ar"));
        cmd.env_clear().current_dir(self.path());
        for (k, v) in self.env_pairs() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Run the real binary, with everything it printed.
    pub fn run_binary(&self, args: &[&str]) -> std::process::Output {
        self.binary().args(args).output().expect("run ar")
    }
}

/// A refusal's stderr: one line `error: ...` (exit 1 and 75), never a panic or a
/// backtrace.
pub fn check_refusal(args: &[&str], code: u8, stderr: &str) {
    if code == 1 || code == 75 {
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
}

pub fn dump(db: &Path) -> String {
    if !db.exists() {
        return String::from("<no ledger>");
    }
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open ledger");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        out.push_str(&rows_text(&conn, &format!("SELECT * FROM \"{t}\" ORDER BY rowid")));
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

/// Write the generator's three CSV files (`ar demo --csv`) into `dir`.
pub fn generated_csv(l: &TestLedger, dir: &Path, invoices: u32, seed: u32) {
    l.ok(&[
        "demo",
        "--csv",
        dir.to_str().expect("UTF-8 path"),
        "--invoices",
        &invoices.to_string(),
        "--seed",
        &seed.to_string(),
        "--end",
        "2026-06-30",
    ]);
}
