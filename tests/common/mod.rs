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
    /// A new ledger: a file in a temporary directory, or, when `AR_TEST_BACKEND` is
    /// `postgres` (the command suite's second run in `.ci/run`), a new database on
    /// the test server (`ar::store::pg::testing`).
    pub fn new() -> TestLedger {
        if std::env::var("AR_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
            let address = ar::store::pg::testing::fresh_database()
                .expect("AR_TEST_BACKEND=postgres needs a PostgreSQL server (AR_TEST_PG)");
            return TestLedger::at(&address);
        }
        TestLedger::file_ledger()
    }

    /// A new ledger in a file, whatever `AR_TEST_BACKEND` says.
    pub fn file_ledger() -> TestLedger {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("ledger.db");
        TestLedger {
            dir,
            db,
            today: TODAY.to_string(),
            extra_env: Vec::new(),
        }
    }

    /// A ledger at `address` (a server's), with a temporary directory of its own.
    pub fn at(address: &str) -> TestLedger {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = PathBuf::from(address);
        TestLedger {
            dir,
            db,
            today: TODAY.to_string(),
            extra_env: Vec::new(),
        }
    }

    /// Whether the ledger is on a PostgreSQL server (checks that open the SQLite
    /// file itself do not apply).
    pub fn on_server(&self) -> bool {
        self.db.to_str().is_some_and(ar::store::pg::is_server_address)
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
            (
                "AR_DB".to_string(),
                self.db.to_str().expect("UTF-8 path").to_string(),
            ),
            ("AR_TODAY".to_string(), self.today.clone()),
            (
                "HOME".to_string(),
                self.path().to_str().expect("UTF-8 path").to_string(),
            ),
            ("COLUMNS".to_string(), "200".to_string()),
            ("NO_COLOR".to_string(), "1".to_string()),
        ];
        env.extend(self.extra_env.iter().cloned());
        env
    }

    /// Run `ar args` in-process, with `stdin` as its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &[u8]) -> Outcome {
        self.run_in(&[], args, stdin)
    }

    /// Run `ar args` in-process with variables set for this command only (an empty
    /// value unsets one: `("AR_DB", "")`), and `stdin` as its standard input.
    pub fn run_in(&self, vars: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> Outcome {
        let mut out = Vec::new();
        let (code, stderr) = self.run_io(&self.env_with(vars, &[]), args, &mut out, stdin, false);
        Outcome {
            code,
            stdout: String::from_utf8(out).expect("UTF-8 stdout"),
            stderr,
        }
    }

    /// Run `ar args` in-process.
    pub fn run(&self, args: &[&str]) -> Outcome {
        self.run_with_stdin(args, b"")
    }

    /// Run `ar args` in-process as on a terminal `columns` wide (tables drawn).
    pub fn run_on_terminal(&self, args: &[&str], columns: u16) -> Outcome {
        let columns = columns.to_string();
        let env = self.env_with(&[("COLUMNS", &columns)], &["NO_COLOR"]);
        let mut out = Vec::new();
        let (code, stderr) = self.run_io(&env, args, &mut out, b"", true);
        Outcome {
            code,
            stdout: String::from_utf8(out).expect("UTF-8 stdout"),
            stderr,
        }
    }

    /// Run `ar args` in-process with its standard output going to `out` (a writer
    /// that fails, say); returns the exit code and stderr.
    pub fn run_writing_to(&self, args: &[&str], out: &mut dyn std::io::Write) -> (u8, String) {
        self.run_io(&self.env_with(&[], &[]), args, out, b"", false)
    }

    /// The environment of [`TestLedger::env_pairs`], with `vars` set and `leave_out`
    /// not set.
    fn env_with(&self, vars: &[(&str, &str)], leave_out: &[&str]) -> ar::cli::Env {
        let mut env = ar::cli::Env::default();
        for (k, v) in self.env_pairs() {
            if !leave_out.contains(&k.as_str()) {
                env.set(&k, &v);
            }
        }
        for (k, v) in vars {
            env.set(k, v);
        }
        env
    }

    /// The one in-process run: `ar args` in `env`, writing to `out`.
    fn run_io(
        &self,
        env: &ar::cli::Env,
        args: &[&str],
        out: &mut dyn std::io::Write,
        stdin: &[u8],
        out_is_terminal: bool,
    ) -> (u8, String) {
        let argv: Vec<OsString> = std::iter::once("ar")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let mut err = Vec::new();
        let code = ar::cli::run(
            argv,
            env,
            ar::cli::Io {
                out,
                err: &mut err,
                stdin: Box::new(std::io::Cursor::new(stdin.to_vec())),
                out_is_terminal,
                err_is_terminal: false,
            },
        );
        (code, String::from_utf8(err).expect("UTF-8 stderr"))
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

    /// [`ok`](Self::ok) with variables set for this command only (see [`run_in`](Self::run_in)).
    pub fn ok_in(&self, vars: &[(&str, &str)], args: &[&str]) -> String {
        self.ok_with_stdin_in(vars, args, b"")
    }

    /// [`ok`](Self::ok) with `stdin` as the command's standard input.
    pub fn ok_with_stdin(&self, args: &[&str], stdin: &[u8]) -> String {
        self.ok_with_stdin_in(&[], args, stdin)
    }

    fn ok_with_stdin_in(&self, vars: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> String {
        let out = self.run_in(vars, args, stdin);
        assert!(
            out.code == 0 && out.stderr.is_empty(),
            "ar {args:?} failed ({}):\n{}\n{}",
            out.code,
            out.stderr,
            out.stdout
        );
        out.stdout
    }

    /// Write `text` to `name` in the test's directory; return its absolute path.
    pub fn write_file(&self, name: &str, text: &str) -> String {
        let path = self.file(name);
        std::fs::write(&path, text).expect("write test file");
        path
    }

    /// Run `ar args`, require exit `code`, a one-line `error: ...` on stderr (for
    /// refusals) and no change to the ledger; return stderr.
    pub fn fails(&self, args: &[&str], code: u8) -> String {
        let before = self.dump();
        let out = self.run(args);
        assert_eq!(
            out.code, code,
            "ar {args:?}: expected exit {code}, stderr:\n{}",
            out.stderr
        );
        check_refusal(args, code, &out.stderr);
        assert_eq!(
            before,
            self.dump(),
            "ar {args:?} changed the ledger although it failed"
        );
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
    if let Some(address) = db.to_str().filter(|a| ar::store::pg::is_server_address(a)) {
        return dump_server(address);
    }
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

/// Write the generator's CSV files (`ar demo --csv`: clients, invoices, payments and
/// corrections) into `dir`.
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

/// Every row of every table of the ledger on a server, as text, in a stable order.
fn dump_server(address: &str) -> String {
    let Ok(mut client) = postgres::Client::connect(address, postgres::NoTls) else {
        return String::from("<no database>");
    };
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_catalog.pg_tables WHERE schemaname = current_schema() ORDER BY 1",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    if tables.is_empty() {
        return String::from("<no ledger>");
    }
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        for r in client
            .query(&format!("SELECT t::text FROM {t} t ORDER BY t::text"), &[])
            .expect("rows")
        {
            out.push_str(r.get::<_, &str>(0));
            out.push('\n');
        }
    }
    out
}

/// A connection to an existing ledger, for checks beside `ar`. Read-write, as `ar`
/// opens it: a read-only connection to a WAL ledger leaves `-wal` and `-shm` files
/// behind, which a test comparing the directory's files would see.
pub fn open_existing(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
        .expect("open ledger")
}

/// The schema (tables, indexes, triggers): a failed bulk import drops and rebuilds
/// report indexes inside its transaction, so they must be back after a failure too.
pub fn schema(db: &Path) -> String {
    if !db.exists() {
        return String::from("<no ledger>");
    }
    let conn = open_existing(db);
    let mut stmt = conn
        .prepare("SELECT type, name, ifnull(sql, '') FROM sqlite_schema ORDER BY type, name")
        .expect("schema");
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .expect("rows");
    rows.map(|r| r.expect("row")).collect::<Vec<_>>().join("\n")
}

/// SQLite's own verdict on the file: `ok`.
pub fn integrity(db: &Path) -> String {
    open_existing(db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// What the replay derives, without row ids (a bulk load writes allocations in
/// another order): allocations, and invoices' and payments' derived columns.
pub fn derived(db: &Path) -> String {
    let conn = open_existing(db);
    let mut out = String::new();
    for sql in [
        "SELECT invoice_id, payment_id, note_id, correction_id, kind, date, amount, held FROM allocations
         ORDER BY 1, 2, 3, 4, 5, 6, 7",
        "SELECT id, settled, closed_on, closed_by_adjustment FROM invoices ORDER BY id",
        "SELECT id, unapplied, applied_on FROM payments ORDER BY id",
        "SELECT id, done, unapplied, applied_on FROM corrections ORDER BY id",
        "SELECT invoice_id, closed_on, reopened_on, by_adjustment FROM closings ORDER BY 1, 2",
    ] {
        out.push_str(&rows_text(&conn, sql));
        out.push_str("--\n");
    }
    out
}

/// Every file of a directory with its bytes.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.file_name().expect("a file name").to_string_lossy().into_owned(),
                std::fs::read(&p).expect("read"),
            )
        })
        .collect()
}

/// `ar args` prints the same on both ledgers.
pub fn same_output(a: &TestLedger, b: &TestLedger, args: &[&str]) {
    assert_eq!(a.ok(args), b.ok(args), "ar {args:?} differs between the ledgers");
}

/// The JSON text with each line trimmed and joined: `"current": 1.00,"1-30": 6.00,...`,
/// so a row can be matched as one string.
pub fn compact(raw: &str) -> String {
    raw.lines().map(str::trim).collect()
}

// ---------------------------------------------------------------------------------
// Entering facts.

/// `ar client add ACME --name "Acme Ltd" --terms TERMS`.
pub fn acme(l: &TestLedger, terms: &str) {
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd", "--terms", terms]);
}

/// `ar client add CODE --name NAME` (the ledger's terms).
pub fn add_client(l: &TestLedger, code: &str, name: &str) {
    l.ok(&["client", "add", code, &format!("--name={name}")]);
}

/// `ar add-invoice --client C --amount A --date D [extra...]`, returns stdout.
pub fn add_invoice(l: &TestLedger, client: &str, amount: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "add-invoice",
        "--client",
        client,
        "--amount",
        amount,
        "--date",
        date,
    ];
    args.extend_from_slice(extra);
    l.ok(&args)
}

/// An invoice with an explicit number, issue date and due date.
pub fn invoice_due(l: &TestLedger, number: &str, client: &str, amount: &str, issued: &str, due: &str) {
    l.ok(&[
        "add-invoice",
        "--client",
        client,
        &format!("--number={number}"),
        "--amount",
        amount,
        "--date",
        issued,
        "--due",
        due,
    ]);
}

/// `ar pay --client C --amount A --date D [extra...]`, returns stdout.
pub fn pay(l: &TestLedger, client: &str, amount: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec!["pay", "--client", client, "--amount", amount, "--date", date];
    args.extend_from_slice(extra);
    l.ok(&args)
}

// ---------------------------------------------------------------------------------
// Reading the ledger back through `ar`, keeping amounts as raw JSON text.

/// `ar invoice show NUMBER --format json`, members as raw text.
pub fn invoice_json(l: &TestLedger, number: &str) -> RawObject {
    raw_object(&l.ok(&["invoice", "show", number, "--format", "json"]))
}

/// One member of an invoice as raw JSON, e.g. `field(l, "INV-0001", "open") == "250.00"`.
pub fn field(l: &TestLedger, number: &str, key: &str) -> String {
    raw(&invoice_json(l, number), key).to_string()
}

/// How an invoice was settled: `(payment id, kind, date, amount)`, raw JSON text.
pub fn allocations(l: &TestLedger, number: &str) -> Vec<(String, String, String, String)> {
    let inv = invoice_json(l, number);
    raw_rows(raw(&inv, "allocations"))
        .iter()
        .map(|a| {
            (
                raw(a, "payment_id").to_string(),
                raw(a, "kind").trim_matches('"').to_string(),
                raw(a, "date").trim_matches('"').to_string(),
                raw(a, "amount").to_string(),
            )
        })
        .collect()
}

pub fn alloc(payment: &str, kind: &str, date: &str, amount: &str) -> (String, String, String, String) {
    (payment.into(), kind.into(), date.into(), amount.into())
}

/// A client's balances from `ar client show CODE --format json`:
/// `(currency, open, overdue, unapplied)` per currency.
pub fn balances(l: &TestLedger, code: &str) -> Vec<(String, String, String, String)> {
    let c = raw_object(&l.ok(&["client", "show", code, "--format", "json"]));
    raw_rows(raw(&c, "balances"))
        .iter()
        .map(|b| {
            (
                raw(b, "currency").trim_matches('"').to_string(),
                raw(b, "open").to_string(),
                raw(b, "overdue").to_string(),
                raw(b, "unapplied").to_string(),
            )
        })
        .collect()
}

pub fn bal(currency: &str, open: &str, overdue: &str, unapplied: &str) -> (String, String, String, String) {
    (currency.into(), open.into(), overdue.into(), unapplied.into())
}

// ---------------------------------------------------------------------------------
// Ledgers shared by several commands' tests.

/// A ledger with two clients, one invoice each and a payment.
pub fn small_ledger() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    l.ok(&["client", "add", "BETA", "--name", "Beta"]);
    add_invoice(&l, "ACME", "100", "2026-01-05", &["--number", "INV-9"]);
    add_invoice(&l, "BETA", "100", "2026-01-05", &["--number", "B-1"]);
    pay(&l, "ACME", "40", "2026-01-20", &[]);
    l
}

/// A small ledger with everything export has to carry: settings, discount terms, a
/// terms edit after an invoice, a void with its reason, formula-like texts, JPY and
/// KWD, an explicit due date, unapplied credit and a discount granted.
pub fn hand_built() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&["init", "--currency", "EUR", "--terms", "45"]);
    l.ok(&[
        "client",
        "add",
        "ACME",
        "--name",
        "=Acme, \"the\" Co",
        "--email",
        "ap@acme.example",
        "--terms",
        "2/10 net 30",
        "--credit-limit",
        "20,000",
    ]);
    l.ok(&["client", "add", "beta", "--name", "'quoted Beta"]);
    l.ok(&[
        "client",
        "add",
        "GULF",
        "--name",
        "@Gulf Trading",
        "--terms",
        "60",
    ]);
    add_invoice(
        &l,
        "ACME",
        "1,000.00",
        "2026-10-01",
        &["--description", "=SUM(A1:A9)"],
    );
    // New terms for ACME: INV-0001 keeps 2/10 net 30.
    l.ok(&["client", "edit", "ACME", "--terms", "60"]);
    add_invoice(&l, "acme", "500", "2026-10-05", &[]);
    add_invoice(
        &l,
        "BETA",
        "125000",
        "2026-10-02",
        &[
            "--currency",
            "JPY",
            "--number",
            "J-1",
            "--description",
            "-minus first",
        ],
    );
    add_invoice(
        &l,
        "GULF",
        "1.234",
        "2026-10-03",
        &[
            "--currency",
            "KWD",
            "--number",
            "K-1",
            "--due",
            "2026-12-31",
            "--description",
            "'=literal",
        ],
    );
    add_invoice(&l, "BETA", "99.99", "2026-10-04", &["--number", "V-1"]);
    l.ok(&[
        "invoice",
        "void",
        "V-1",
        "--reason",
        "issued twice, \"sorry\"",
        "--date",
        "2026-10-06",
    ]);
    pay(
        &l,
        "ACME",
        "980",
        "2026-10-08",
        &["--invoice", "INV-0001", "--reference", "-ref 1"],
    );
    pay(
        &l,
        "BETA",
        "100000",
        "2026-10-20",
        &["--currency", "JPY", "--reference", "@bank"],
    );
    pay(
        &l,
        "GULF",
        "0.5",
        "2026-10-21",
        &["--currency", "KWD", "--invoice", "K-1"],
    );
    pay(&l, "BETA", "10.01", "2026-10-21", &["--reference", "+plus"]);
    l
}

/// The fixed ledger of the output snapshots (today 2026-11-23, USD and net 30 by
/// default): three clients, one with `2/10 net 30`; USD and EUR; partial payments,
/// a discount, unapplied credit, a void. What each figure should be:
///
/// - ACME (net 30): INV-0001 1,250.00 USD issued 08-01, 1,000.00 of an unnamed
///   payment of 09-20: 250.00 open, 84 days overdue. INV-0002 800.00 USD issued
///   10-01, open, 23 days overdue. INV-0003 400.00 EUR issued 09-15, paid by a
///   450.00 EUR payment of 10-30 naming it: 50.00 EUR unapplied credit. INV-0004
///   99.99 USD, void (issued twice).
/// - GLOBEX (2/10 net 30): INV-0005 1,000.00 USD issued 11-05, 980.00 paid on 11-12
///   (day 7) with a 20.00 discount. INV-0006 500.00 USD issued 06-01, 200.00 paid on
///   07-15: 300.00 open, 145 days overdue.
/// - INITECH, "Initech, Inc." (net 45, a comma in its name): INV-0007 2,000.00 EUR issued 10-20,
///   paid on 11-20 (31 days, 14 early). INV-0008 300.00 USD issued 05-01, paid on
///   07-01 (61 days, 16 late). INV-0009 150.00 EUR issued 11-15, open, not yet due.
pub fn snapshot_ledger() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&["init"]);
    l.ok(&[
        "client",
        "add",
        "ACME",
        "--name",
        "Acme Ltd",
        "--email",
        "accounts@acme.example",
        "--terms",
        "30",
        "--credit-limit",
        "20,000",
    ]);
    l.ok(&[
        "client",
        "add",
        "GLOBEX",
        "--name",
        "Globex Corporation",
        "--terms",
        "2/10 net 30",
    ]);
    l.ok(&[
        "client",
        "add",
        "INITECH",
        "--name",
        "Initech, Inc.",
        "--terms",
        "45",
    ]);
    add_invoice(&l, "ACME", "1,250.00", "2026-08-01", &[]);
    add_invoice(
        &l,
        "ACME",
        "800",
        "2026-10-01",
        &["--description", "Consulting, October"],
    );
    add_invoice(&l, "ACME", "400", "2026-09-15", &["--currency", "EUR"]);
    add_invoice(&l, "ACME", "99.99", "2026-11-01", &[]);
    l.ok(&[
        "invoice",
        "void",
        "INV-0004",
        "--reason",
        "issued twice",
        "--date",
        "2026-11-02",
    ]);
    add_invoice(&l, "GLOBEX", "1,000", "2026-11-05", &[]);
    add_invoice(&l, "GLOBEX", "500", "2026-06-01", &[]);
    add_invoice(&l, "INITECH", "2,000", "2026-10-20", &["--currency", "EUR"]);
    add_invoice(&l, "INITECH", "300", "2026-05-01", &[]);
    add_invoice(&l, "INITECH", "150", "2026-11-15", &["--currency", "EUR"]);
    pay(&l, "ACME", "1,000", "2026-09-20", &["--reference", "bank 123"]);
    pay(&l, "ACME", "450", "2026-10-30", &["--invoice", "INV-0003"]);
    pay(&l, "GLOBEX", "200", "2026-07-15", &[]);
    pay(&l, "GLOBEX", "980", "2026-11-12", &["--invoice", "INV-0005"]);
    pay(&l, "INITECH", "300", "2026-07-01", &["--invoice", "INV-0008"]);
    pay(&l, "INITECH", "2,000", "2026-11-20", &["--invoice", "INV-0007"]);
    l
}
