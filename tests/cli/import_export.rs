//! Issue 4: `ar import` and `ar export` from the outside. Round trips that rebuild an
//! identical ledger, every refused row named by file, line and column with nothing
//! written, the CSV dialects users hand us, allocation equal to `ar pay`, and a
//! killed import that leaves the ledger as it was.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TestLedger, raw, raw_object, raw_rows, rows_text};

/// The generator every benchmark and cross-check uses, from the shared tree.
fn gen_ledger(out: &Path, invoices: u32, seed: u32) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen_ledger.py");
    let status = StdCommand::new("python3")
        .arg(&script)
        .arg(out)
        .args(["--invoices", &invoices.to_string(), "--seed", &seed.to_string()])
        .status()
        .expect("run python3 gen_ledger.py");
    assert!(status.success(), "{} failed", script.display());
}

/// Write `text` to `name` in the test's directory; return the path.
fn file(l: &TestLedger, name: &str, text: &str) -> PathBuf {
    let path = l.path().join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// The schema (tables, indexes, triggers): a failed bulk import drops and rebuilds
/// report indexes inside its transaction, so they must be back after a failure too.
fn schema(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open ledger");
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

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open ledger");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// Run an import that must be refused: exit 1, no panic, nothing on stdout, and the
/// ledger's rows and schema exactly as before. Returns stderr (the error list).
fn refused(l: &TestLedger, args: &[&str], stdin: Option<&str>) -> String {
    refused_with(l, args, stdin, &[])
}

/// [`refused`] with environment variables set (`AR_BULK_BYTES`).
fn refused_with(l: &TestLedger, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> String {
    let (before, schema_before) = (l.dump(), schema(&l.db));
    let mut cmd = l.cmd();
    cmd.args(args).envs(env.iter().copied());
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_string());
    }
    let out = cmd.output().expect("run ar");
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(
        out.status.code(),
        Some(1),
        "ar {args:?}: exit 1 expected:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "ar {args:?} printed on stdout although refused"
    );
    assert_eq!(before, l.dump(), "ar {args:?} wrote rows although it was refused");
    assert_eq!(
        schema_before,
        schema(&l.db),
        "ar {args:?} left the schema changed"
    );
    stderr
}

/// The `file:line: column: reason` lines of an error list.
fn error_lines<'a>(stderr: &'a str, file: &str) -> Vec<&'a str> {
    let prefix = format!("{file}:");
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// Require exactly these errors, in this order: (line, column, a word of the reason).
/// The last line of stderr is the one-line verdict with the count.
fn expect_errors(stderr: &str, file: &str, expected: &[(u64, &str, &str)]) {
    let lines = error_lines(stderr, file);
    let got: Vec<String> = lines
        .iter()
        .map(|l| l.splitn(4, ": ").take(2).collect::<Vec<_>>().join(": "))
        .collect();
    let want: Vec<String> = expected
        .iter()
        .map(|(line, column, _)| format!("{file}:{line}: {column}"))
        .collect();
    assert_eq!(got, want, "errors (file:line: column) differ; stderr:\n{stderr}");
    for (line, (_, _, word)) in lines.iter().zip(expected) {
        assert!(
            line.to_lowercase().contains(&word.to_lowercase()),
            "`{word}` expected in `{line}`"
        );
    }
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    let n = expected.len();
    let rows = if n == 1 { "row" } else { "rows" };
    // (When every row repeats a client or invoice, the verdict says that instead.)
    assert!(
        last.starts_with("error: nothing imported: ")
            && (last.contains(&format!(" {n} bad {rows};")) || last.contains(&format!(" {n} {rows} repeat"))),
        "verdict with the count expected last:\n{stderr}"
    );
}

/// Every file of a directory with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).expect("read"),
            )
        })
        .collect()
}

/// Export `l` into `dir` under the test's directory, then import that into a fresh
/// ledger and export it again: the second export must equal the first byte for byte.
/// Returns the rebuilt ledger.
fn round_trip(l: &TestLedger) -> TestLedger {
    let e1 = l.path().join("e1");
    l.ok(&["export", "--dir", e1.to_str().unwrap()]);
    let first = files(&e1);
    let names: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["clients.csv", "invoices.csv", "ledger.csv", "payments.csv"],
        "export writes the four files and nothing else"
    );
    let b = TestLedger::new();
    b.ok(&["import", "--dir", e1.to_str().unwrap()]);
    let e2 = b.path().join("e2");
    b.ok(&["export", "--dir", e2.to_str().unwrap()]);
    let second = files(&e2);
    for (name, bytes) in &first {
        assert!(
            second.get(name) == Some(bytes),
            "{name} differs after export → import --dir → export:\n--- first\n{}\n--- second\n{}",
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(second.get(name).map_or(&[][..], |b| &b[..]))
        );
    }
    assert_eq!(first.len(), second.len());
    b
}

fn same_output(a: &TestLedger, b: &TestLedger, args: &[&str]) {
    assert_eq!(a.ok(args), b.ok(args), "ar {args:?} differs between the ledgers");
}

// ---------------------------------------------------------------------------------
// 1. Round trips
// ---------------------------------------------------------------------------------

#[test]
fn generated_ledger_round_trips_byte_for_byte_with_identical_reports() {
    let a = TestLedger::new();
    let g = a.path().join("gen");
    gen_ledger(&g, 3000, 7);
    let out = a.ok(&["import", "clients", g.join("clients.csv").to_str().unwrap()]);
    assert!(out.contains("imported 75 clients"), "{out}");
    let out = a.ok(&["import", "invoices", g.join("invoices.csv").to_str().unwrap()]);
    assert!(out.contains("imported 3,000 invoices"), "{out}");
    let rows = std::fs::read_to_string(g.join("payments.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let out = a.ok(&["import", "payments", g.join("payments.csv").to_str().unwrap()]);
    assert!(
        out.contains(&format!("imported {} payments", group(rows))),
        "{out}"
    );

    let b = round_trip(&a);
    for args in [
        &["aging", "--as-of", "2026-06-30", "--format", "json"][..],
        &["days-to-pay", "--as-of", "2026-06-30", "--format", "json"],
        &["aging", "--as-of", "2025-03-31", "--format", "json"],
        &["client", "list", "--format", "csv"],
    ] {
        same_output(&a, &b, args);
    }
    // The reports are about something: the generated ledger has money owed.
    let aging = raw_object(&a.ok(&["aging", "--as-of", "2026-06-30", "--format", "json"]));
    assert!(raw(&aging, "rows").len() > 1000, "an aging with rows expected");
}

fn group(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A small ledger with everything export has to carry: settings, discount terms, a
/// terms edit after an invoice, a void with its reason, formula-like texts, JPY and
/// KWD, an explicit due date, unapplied credit and a discount granted.
fn hand_built() -> TestLedger {
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
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "1,000.00",
        "--date",
        "2026-10-01",
        "--description",
        "=SUM(A1:A9)",
    ]);
    // New terms for ACME: INV-0001 keeps 2/10 net 30.
    l.ok(&["client", "edit", "ACME", "--terms", "60"]);
    l.ok(&[
        "add-invoice",
        "--client",
        "acme",
        "--amount",
        "500",
        "--date",
        "2026-10-05",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "BETA",
        "--amount",
        "125000",
        "--currency",
        "JPY",
        "--date",
        "2026-10-02",
        "--number",
        "J-1",
        "--description",
        "-minus first",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "GULF",
        "--amount",
        "1.234",
        "--currency",
        "KWD",
        "--date",
        "2026-10-03",
        "--number",
        "K-1",
        "--due",
        "2026-12-31",
        "--description",
        "'=literal",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "BETA",
        "--amount",
        "99.99",
        "--date",
        "2026-10-04",
        "--number",
        "V-1",
    ]);
    l.ok(&[
        "invoice",
        "void",
        "V-1",
        "--reason",
        "issued twice, \"sorry\"",
        "--date",
        "2026-10-06",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "980",
        "--date",
        "2026-10-08",
        "--invoice",
        "INV-0001",
        "--reference",
        "-ref 1",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "BETA",
        "--amount",
        "100000",
        "--currency",
        "JPY",
        "--date",
        "2026-10-20",
        "--reference",
        "@bank",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "GULF",
        "--amount",
        "0.5",
        "--currency",
        "KWD",
        "--date",
        "2026-10-21",
        "--invoice",
        "K-1",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "BETA",
        "--amount",
        "10.01",
        "--date",
        "2026-10-21",
        "--reference",
        "+plus",
    ]);
    l
}

#[test]
fn hand_built_ledger_round_trips_with_terms_voids_and_odd_texts() {
    let a = hand_built();
    let b = round_trip(&a);
    for args in [
        &["invoice", "show", "INV-0001"][..],
        &["invoice", "show", "V-1"],
        &["invoice", "show", "INV-0002"],
        &["invoice", "show", "K-1"],
        &["invoice", "list", "--format", "json"],
        &["payment", "list", "--format", "json"],
        &["client", "show", "ACME", "--format", "json"],
        &["client", "show", "BETA", "--format", "json"],
        &["client", "list", "--format", "json"],
        &["aging", "--as-of", "2026-11-23", "--format", "json"],
        &["aging", "--as-of", "2026-10-07", "--format", "json"],
        &["days-to-pay", "--as-of", "2026-11-23", "--format", "json"],
        &["export", "--format", "json"],
    ] {
        same_output(&a, &b, args);
    }
    // What those equal outputs say: the facts themselves survived.
    let show = b.ok(&["invoice", "show", "INV-0001"]);
    assert!(
        show.contains("2/10 net 30") && show.contains("discount") && show.contains("=SUM(A1:A9)"),
        "{show}"
    );
    let show = b.ok(&["invoice", "show", "INV-0002"]);
    assert!(show.contains("net 60") && show.contains("2026-12-04"), "{show}");
    let show = b.ok(&["invoice", "show", "V-1"]);
    assert!(
        show.contains("void") && show.contains("issued twice, \"sorry\""),
        "{show}"
    );
    let clients = b.ok(&["client", "list", "--format", "json"]);
    for name in ["=Acme, \\\"the\\\" Co", "'quoted Beta", "@Gulf Trading"] {
        assert!(
            clients.contains(&format!("\"{name}\"")),
            "name {name} lost:\n{clients}"
        );
    }
    let inv = b.ok(&["invoice", "list", "--format", "json"]);
    assert!(
        inv.contains("\"'=literal\"") && inv.contains("\"-minus first\""),
        "{inv}"
    );
    assert!(
        inv.contains("\"amount\": 1.234") && inv.contains("\"amount\": 125000,"),
        "{inv}"
    );
    // Settings came along: default currency and terms, and the invoice sequence.
    let x = a.ok(&[
        "add-invoice",
        "--client",
        "BETA",
        "--amount",
        "5",
        "--date",
        "2026-11-01",
    ]);
    let y = b.ok(&[
        "add-invoice",
        "--client",
        "BETA",
        "--amount",
        "5",
        "--date",
        "2026-11-01",
    ]);
    assert_eq!(x, y);
    assert!(
        y.contains("INV-0003") && y.contains("EUR") && y.contains("2026-12-16"),
        "{y}"
    );
}

#[test]
fn export_csv_guards_formulas_and_import_removes_exactly_the_guard() {
    let a = hand_built();
    let e = a.path().join("out");
    a.ok(&["export", "--dir", e.to_str().unwrap()]);
    let clients = std::fs::read_to_string(e.join("clients.csv")).unwrap();
    assert!(
        clients.contains("ACME,\"'=Acme, \"\"the\"\" Co\",ap@acme.example,60,20000.00,\n"),
        "{clients}"
    );
    assert!(clients.contains("beta,''quoted Beta,"), "{clients}");
    let invoices = std::fs::read_to_string(e.join("invoices.csv")).unwrap();
    assert!(invoices.starts_with(
        "number,client,issue_date,due_date,amount,currency,description,terms_days,discount,voided_on,void_reason\n"
    ));
    assert!(
        invoices.contains("INV-0001,ACME,2026-10-01,2026-10-31,1000.00,EUR,'=SUM(A1:A9),30,2/10,,\n"),
        "{invoices}"
    );
    assert!(
        invoices.contains("K-1,GULF,2026-10-03,2026-12-31,1.234,KWD,''=literal,60,,,\n"),
        "{invoices}"
    );
    assert!(
        invoices.contains("J-1,beta,2026-10-02,2026-11-16,125000,JPY,'-minus first,45,,,\n"),
        "{invoices}"
    );
    assert!(
        invoices.contains(
            "V-1,beta,2026-10-04,2026-11-18,99.99,EUR,,45,,2026-10-06,\"issued twice, \"\"sorry\"\"\"\n"
        ),
        "{invoices}"
    );
    let payments = std::fs::read_to_string(e.join("payments.csv")).unwrap();
    assert!(
        payments.contains("beta,2026-10-20,100000,,'@bank,JPY\n"),
        "{payments}"
    );
    assert!(
        payments.contains("beta,2026-10-21,10.01,,'+plus,EUR\n"),
        "{payments}"
    );
    // A hand-written file: a leading ' that guards nothing is the user's text, kept.
    let l = TestLedger::new();
    file(&l, "c.csv", "code,name\nQ,'kept\nR,'=unguarded\n");
    l.ok(&["import", "clients", "c.csv"]);
    let list = l.ok(&["client", "list", "--format", "json"]);
    assert!(
        list.contains("\"'kept\"") && list.contains("\"=unguarded\""),
        "{list}"
    );
}

// ---------------------------------------------------------------------------------
// 2. Refused rows: file, line, column, reason, and nothing written
// ---------------------------------------------------------------------------------

/// A ledger with two clients, one invoice each and a payment.
fn small_ledger() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    l.ok(&["client", "add", "BETA", "--name", "Beta"]);
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "100",
        "--date",
        "2026-01-05",
        "--number",
        "INV-9",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "BETA",
        "--amount",
        "100",
        "--date",
        "2026-01-05",
        "--number",
        "B-1",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "40",
        "--date",
        "2026-01-20",
    ]);
    l
}

#[test]
fn every_bad_invoice_row_is_named_by_line_and_column_and_nothing_is_written() {
    let l = small_ledger();
    file(
        &l,
        "inv.csv",
        "number,client,issue_date,due_date,amount,currency\n\
         OK-1,ACME,2026-02-01,,10.00,USD\n\
         A-1,ACME,2026-01-01,,12x,USD\n\
         A-2,ACME,2026-01-01,,1.234,USD\n\
         A-3,ACME,2026-13-01,,1,USD\n\
         A-4,ACME,2026-02-01,2026-01-31,1,USD\n\
         A-5,ACME,2026-01-01,,1,XYZ\n\
         A-6,NOPE,2026-01-01,,1,USD\n\
         A-7,ACME,2026-01-01,,1,USD\n\
         a-7,BETA,2026-01-01,,1,USD\n\
         inv-9,ACME,2026-01-01,,1,USD\n\
         A-8,ACME,2026-01-01,,0,USD\n\
         A-9,ACME,2026-01-01,,-5,USD\n\
         A-10,ACME,2026-01-01,,1.5,JPY\n\
         A-11,,2026-01-01,,1,USD\n\
         A-12,ACME,2026-01-01,01/02/2026,1,USD\n\
         A-13,ACME,2026-01-01,,\"1,000.0001\",KWD\n\
         A-14,NOPE,2026-01-01,,12x,XYZ\n\
         OK-2,ACME,2026-02-01,,\"1,000.001\",KWD\n",
    );
    let stderr = refused(&l, &["import", "invoices", "inv.csv"], None);
    expect_errors(
        &stderr,
        "inv.csv",
        &[
            (3, "amount", "12x"),
            (4, "amount", "2 decimal"),
            (5, "issue_date", "2026-13-01"),
            (6, "due_date", "before the issue date"),
            (7, "currency", "XYZ"),
            (8, "client", "NOPE"),
            (10, "number", "a-7"),
            (11, "number", "inv-9"),
            (12, "amount", "greater than zero"),
            (13, "amount", "-5"),
            (14, "amount", "JPY"),
            (15, "client", "required"),
            (16, "due_date", "01/02/2026"),
            (17, "amount", "KWD"),
            // An unknown client is said first, as `ar add-invoice` says it.
            (18, "client", "NOPE"),
        ],
    );
    // The same file with --dry-run: the same list, still nothing written.
    let dry = refused(&l, &["import", "invoices", "inv.csv", "--dry-run"], None);
    assert_eq!(error_lines(&dry, "inv.csv"), error_lines(&stderr, "inv.csv"));
    // In bulk mode (rows read and checked on a second thread): the same list.
    let bulk = refused_with(
        &l,
        &["import", "invoices", "inv.csv"],
        None,
        &[("AR_BULK_BYTES", "0")],
    );
    assert_eq!(bulk, stderr);
}

#[test]
fn every_bad_payment_row_is_named_by_line_and_column_and_nothing_is_written() {
    let l = small_ledger();
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "1000",
        "--currency",
        "JPY",
        "--date",
        "2026-01-05",
        "--number",
        "J-1",
    ]);
    file(
        &l,
        "pay.csv",
        "client,date,amount,invoice,reference,currency\n\
         ACME,2026-02-01,10,INV-9,fine,\n\
         ACME,2026-02-01,10,NOPE-1,,\n\
         ACME,2026-02-01,10,B-1,,\n\
         ACME,2026-01-02,10,INV-9,,\n\
         ACME,2026-02-01,10,INV-9,,EUR\n\
         ACME,2026-02-01,10,J-1,,USD\n\
         NOPE,2026-02-01,10,,,\n\
         ACME,2026-02-31,10,,,\n\
         ACME,2026-02-01,1.001,,,\n\
         ACME,2026-02-01,10,,,ZZZ\n\
         ACME,2026-02-01,,,,\n\
         ACME,2026-02-01,10.5,J-1,,\n\
         NOPE,2026-02-01,x,NOPE-1,,ZZZ\n\
         ACME,2026-02-01,x,B-1,\"bad\treference\",\n\
         acme,2026-02-01,10,inv-9,lower case is fine,\n",
    );
    let stderr = refused(&l, &["import", "payments", "pay.csv"], None);
    expect_errors(
        &stderr,
        "pay.csv",
        &[
            (3, "invoice", "NOPE-1"),
            (4, "invoice", "BETA"),
            (5, "invoice", "after the payment date"),
            (6, "currency", "EUR"),
            (7, "currency", "JPY"),
            (8, "client", "NOPE"),
            (9, "date", "2026-02-31"),
            (10, "amount", "1.001"),
            (11, "currency", "ZZZ"),
            (12, "amount", "required"),
            (13, "amount", "JPY"),
            // First the client, then the invoice, the amount, the reference (as
            // `ar pay` checks them).
            (14, "client", "NOPE"),
            (15, "invoice", "BETA"),
        ],
    );
    // In bulk mode (rows read, checked and their invoices found on a second
    // thread): the same list.
    let bulk = refused_with(
        &l,
        &["import", "payments", "pay.csv"],
        None,
        &[("AR_BULK_BYTES", "0")],
    );
    assert_eq!(bulk, stderr);
}

#[test]
fn bad_client_rows_and_duplicates_in_the_file_or_the_ledger_any_case() {
    let l = small_ledger();
    file(
        &l,
        "c.csv",
        "code,name,email,terms_days,credit_limit\n\
         NEW,New Ltd,,30,\n\
         acme,Acme again,,,\n\
         new,New again,,,\n\
         X1,,,,\n\
         Y1,Y,not-an-email,,\n\
         Z1,Z,,abc,\n\
         W1,W,,,1.234\n\
         V1,V,,,-5\n",
    );
    let stderr = refused(&l, &["import", "clients", "c.csv"], None);
    expect_errors(
        &stderr,
        "c.csv",
        &[
            (3, "code", "acme"),
            (4, "code", "new"),
            (5, "name", "required"),
            (6, "email", "not-an-email"),
            (7, "terms_days", "abc"),
            (8, "credit_limit", "1.234"),
            (9, "credit_limit", "-5"),
        ],
    );
}

#[test]
fn a_quote_left_open_is_named_as_such_at_its_line() {
    let l = small_ledger();
    file(&l, "q.csv", "code,name\nA,Aye\nB,\"unterminated\nC,Cee\nD,Dee\n");
    let stderr = refused(&l, &["import", "clients", "q.csv"], None);
    expect_errors(&stderr, "q.csv", &[(3, "name", "runs on to line 5")]);
    assert!(stderr.contains("not closed"), "{stderr}");
}

#[test]
fn missing_required_columns_are_named_on_the_header_line() {
    let l = small_ledger();
    file(&l, "c.csv", "name,email\nAcme,a@b.example\n");
    let e = refused(&l, &["import", "clients", "c.csv"], None);
    expect_errors(&e, "c.csv", &[(1, "code", "missing")]);
    file(
        &l,
        "i.csv",
        "number,client,amount,due_date\nX-1,ACME,10,2026-01-01\n",
    );
    let e = refused(&l, &["import", "invoices", "i.csv"], None);
    expect_errors(&e, "i.csv", &[(1, "issue_date", "missing")]);
    file(&l, "p.csv", "client,when,amount\nACME,2026-01-01,10\n");
    let e = refused(&l, &["import", "payments", "p.csv"], None);
    expect_errors(&e, "p.csv", &[(1, "date", "missing")]);
    // An empty file has no header row at all.
    file(&l, "empty.csv", "");
    let e = refused(&l, &["import", "payments", "empty.csv"], None);
    assert!(
        e.contains("empty.csv:1:") && e.contains("client, date, amount"),
        "{e}"
    );
}

#[test]
fn twenty_five_bad_rows_list_the_first_twenty_and_count_the_rest() {
    let l = small_ledger();
    let mut csv = String::from("number,client,issue_date,amount\n");
    for i in 0..25 {
        csv.push_str(&format!("Z-{i},ACME,2026-03-01,{i}.999\n"));
    }
    file(&l, "many.csv", &csv);
    let e = refused(&l, &["import", "invoices", "many.csv"], None);
    let listed = error_lines(&e, "many.csv");
    assert_eq!(listed.len(), 20, "{e}");
    for (i, line) in listed.iter().enumerate() {
        assert!(
            line.starts_with(&format!("many.csv:{}: amount: ", i + 2)),
            "{line}"
        );
    }
    assert!(e.contains("… and 5 more"), "{e}");
    assert!(e.contains("25 bad rows"), "{e}");
    assert!(!e.contains("many.csv:22:"), "{e}");
}

#[test]
fn dry_run_checks_every_row_and_writes_nothing() {
    let l = small_ledger();
    file(
        &l,
        "ok.csv",
        "number,client,issue_date,amount\nD-1,ACME,2026-03-01,10\nD-2,BETA,2026-03-02,20\nD-3,ACME,2026-03-03,30\n",
    );
    let (before, schema_before) = (l.dump(), schema(&l.db));
    let out = l.ok(&["import", "invoices", "ok.csv", "--dry-run"]);
    assert!(
        out.contains("checked") && out.contains("3 invoices") && out.contains("nothing written"),
        "{out}"
    );
    assert_eq!(before, l.dump(), "--dry-run wrote to the ledger");
    assert_eq!(schema_before, schema(&l.db));
    // The same through stdin (the bulk path), and for payments.
    let out = String::from_utf8(
        l.cmd()
            .args(["import", "payments", "-", "--dry-run"])
            .write_stdin("client,date,amount\nACME,2026-03-01,5\n")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap();
    assert!(out.contains("checked") && out.contains("1 payments"), "{out}");
    assert_eq!(before, l.dump(), "--dry-run from stdin wrote to the ledger");
    assert_eq!(schema_before, schema(&l.db));
    // And for real: the rows arrive.
    let out = l.ok(&["import", "invoices", "ok.csv"]);
    assert!(out.contains("imported 3 invoices for 2 clients"), "{out}");
    assert_ne!(before, l.dump());
}

#[test]
fn a_bad_file_in_a_dir_import_writes_none_of_the_files() {
    let a = hand_built();
    let e = a.path().join("e");
    a.ok(&["export", "--dir", e.to_str().unwrap()]);
    // Break the last row of the last file: clients and invoices are fine.
    let p = e.join("payments.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let n = text.lines().count();
    std::fs::write(
        &p,
        text.replace("beta,2026-10-21,10.01", "beta,2026-10-21,10.011"),
    )
    .unwrap();
    let b = TestLedger::new();
    b.ok(&["init", "--currency", "EUR", "--terms", "45"]);
    let stderr = refused(&b, &["import", "--dir", e.to_str().unwrap()], None);
    let file = p.to_str().unwrap();
    expect_errors(&stderr, file, &[(n as u64, "amount", "10.011")]);
}

// ---------------------------------------------------------------------------------
// 3. What files users hand us
// ---------------------------------------------------------------------------------

#[test]
fn bom_crlf_quoting_extra_columns_and_any_column_order() {
    let l = TestLedger::new();
    file(
        &l,
        "clients.csv",
        "\u{feff}name,notes,code,terms_days\r\n\
         \"Acme, \"\"the\"\" Co\",\"multi\r\nline, with \"\"quotes\"\"\",ACME,14\r\n\
         Beta,,BETA,\r\n\
         \r\n",
    );
    l.ok(&["import", "clients", "clients.csv"]);
    let list = l.ok(&["client", "list", "--format", "json"]);
    assert!(
        list.contains("\"Acme, \\\"the\\\" Co\"") && list.contains("\"net 14\""),
        "{list}"
    );
    assert!(!list.contains("notes") && !list.contains('\u{feff}'), "{list}");
    // Invoices: BOM, CRLF, columns in another order, an extra column with a quoted
    // newline; the row after it is still numbered by its real line.
    file(
        &l,
        "inv.csv",
        "\u{feff}amount,Extra,issue_date,client,number\r\n\
         \"1,234.50\",\"a\r\nb\",2026-01-01,acme,Q-1\r\n\
         12x,,2026-01-01,BETA,Q-2\r\n",
    );
    let e = refused(&l, &["import", "invoices", "inv.csv"], None);
    expect_errors(&e, "inv.csv", &[(4, "amount", "12x")]);
    file(
        &l,
        "inv.csv",
        "\u{feff}amount,Extra,issue_date,client,number\r\n\
         \"1,234.50\",\"a\r\nb\",2026-01-01,acme,Q-1\r\n\
         12,,2026-01-01,BETA,Q-2\r\n",
    );
    l.ok(&["import", "invoices", "inv.csv"]);
    let inv = l.json(&["invoice", "list"]);
    let inv = inv.as_array().unwrap();
    assert_eq!(inv.len(), 2);
    let q1 = inv.iter().find(|i| i["number"] == "Q-1").unwrap();
    assert_eq!(q1["client"], "ACME");
    assert_eq!(q1["due_date"], "2026-01-15", "ACME's 14 days");
    let raw_inv = raw_rows(&l.ok(&["invoice", "list", "--format", "json"]));
    let q1 = raw_inv.iter().find(|i| raw(i, "number") == "\"Q-1\"").unwrap();
    assert_eq!(raw(q1, "amount"), "1234.50");
    // CRLF without a BOM: line numbers still count every line.
    file(
        &l,
        "p.csv",
        "client,date,amount\r\nACME,2026-02-01,10\r\nACME,2026-02-01,x\r\n",
    );
    let e = refused(&l, &["import", "payments", "p.csv"], None);
    expect_errors(&e, "p.csv", &[(3, "amount", "x")]);
}

#[test]
fn stdin_is_read_with_a_dash() {
    let l = small_ledger();
    let out = l
        .cmd()
        .args(["import", "payments", "-"])
        .write_stdin("client,date,amount,reference\r\nBETA,2026-02-01,60,by stdin\r\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 payments"));
    let pays = l.ok(&["payment", "list", "--format", "csv"]);
    assert!(pays.contains("BETA,USD,60.00,,by stdin"), "{pays}");
    let e = refused(
        &l,
        &["import", "payments", "-"],
        Some("client,date,amount\nBETA,2026-02-01,1.111\n"),
    );
    expect_errors(&e, "stdin", &[(2, "amount", "1.111")]);
    // Blank lines count as lines (the csv crate's own count skips them).
    let e = refused(
        &l,
        &["import", "payments", "-"],
        Some("\nclient,date,amount\n\nBETA,2026-02-01,1\n\n\nBETA,2026-02-01,x\nBETA,2026-02-01,y"),
    );
    expect_errors(&e, "stdin", &[(7, "amount", "x"), (8, "amount", "y")]);
    let e = refused(
        &l,
        &["import", "payments", "-"],
        Some("\u{feff}\n\nclient,amount\n"),
    );
    expect_errors(&e, "stdin", &[(3, "date", "missing")]);
}

// ---------------------------------------------------------------------------------
// 4. Allocation on import equals `ar pay`, back-dated payments included
// ---------------------------------------------------------------------------------

const PAYMENTS: &str = "client,date,amount,invoice,reference,currency\n\
    ACME,2026-01-12,980,A-1,back-dated: inside A-1's discount window,\n\
    acme,2026-02-15,300,,unnamed: oldest first,\n\
    ACME,2026-03-01,100,A-3,same day as the existing one,\n\
    BETA,2026-02-01,250,,overpays: credit,\n\
    BETA,2026-02-01,1000,,yen,JPY\n\
    BETA,2026-01-11,50,B-1,,\n";

/// Both ledgers: the same clients, invoices and earlier payments.
fn allocation_ledger() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&[
        "client",
        "add",
        "ACME",
        "--name",
        "Acme",
        "--terms",
        "2/10 net 30",
    ]);
    l.ok(&["client", "add", "BETA", "--name", "Beta"]);
    for (c, n, amount, date, cur) in [
        ("ACME", "A-1", "1000", "2026-01-05", "USD"),
        ("ACME", "A-2", "500", "2026-01-20", "USD"),
        ("ACME", "A-3", "300", "2026-02-10", "USD"),
        ("BETA", "B-1", "200", "2026-01-10", "USD"),
        ("BETA", "B-2", "1500", "2026-01-15", "JPY"),
        ("BETA", "B-3", "80", "2026-01-31", "USD"),
    ] {
        l.ok(&[
            "add-invoice",
            "--client",
            c,
            "--number",
            n,
            "--amount",
            amount,
            "--date",
            date,
            "--currency",
            cur,
        ]);
    }
    // Entered before the import, dated after most of its rows.
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "400",
        "--date",
        "2026-03-01",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "BETA",
        "--amount",
        "50",
        "--date",
        "2026-03-01",
    ]);
    l
}

#[test]
fn imported_payments_allocate_exactly_as_ar_pay_even_back_dated() {
    let by_pay = allocation_ledger();
    for line in PAYMENTS.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let mut args = vec!["pay", "--client", f[0], "--date", f[1], "--amount", f[2]];
        for (flag, v) in [("--invoice", f[3]), ("--reference", f[4]), ("--currency", f[5])] {
            if !v.is_empty() {
                args.extend([flag, v]);
            }
        }
        by_pay.ok(&args);
    }
    let by_file = allocation_ledger();
    file(&by_file, "p.csv", PAYMENTS);
    by_file.ok(&["import", "payments", "p.csv"]);
    let by_stdin = allocation_ledger();
    by_stdin
        .cmd()
        .args(["import", "payments", "-"])
        .write_stdin(PAYMENTS)
        .assert()
        .success();
    for args in [
        &["invoice", "list", "--format", "json"][..],
        &["payment", "list", "--format", "json"],
        &["invoice", "show", "A-1"],
        &["invoice", "show", "A-2"],
        &["aging", "--as-of", "2026-02-20", "--format", "json"],
        &["aging", "--as-of", "2026-03-31", "--format", "json"],
        &["days-to-pay", "--as-of", "2026-03-31", "--format", "json"],
    ] {
        same_output(&by_pay, &by_file, args);
        same_output(&by_pay, &by_stdin, args);
    }
    // And what they agree on is the back-dated replay: A-1 closed on 01-12 with the
    // discount, so the existing 400 of 03-01 moved on to A-2 (after the 300 of 02-15).
    let show = by_file.ok(&["invoice", "show", "A-1"]);
    assert!(
        show.contains("(paid)") && show.contains("discount") && show.contains("20.00"),
        "{show}"
    );
    let inv = raw_rows(&by_file.ok(&["invoice", "list", "--format", "json"]));
    let get = |n: &str, k: &str| {
        let row = inv
            .iter()
            .find(|i| raw(i, "number") == format!("\"{n}\""))
            .unwrap();
        raw(row, k).to_string()
    };
    assert_eq!(get("A-2", "open"), "0.00");
    assert_eq!(get("A-3", "open"), "0.00");
    assert_eq!(get("B-1", "open"), "0.00");
    assert_eq!(get("B-2", "open"), "500");
    let pays = raw_rows(&by_file.ok(&["payment", "list", "--format", "json"]));
    let unapplied: Vec<(String, String)> = pays
        .iter()
        .map(|p| (raw(p, "date").to_string(), raw(p, "unapplied").to_string()))
        .collect();
    // ACME: 980 + 20 discount close A-1; 300 to A-2; on 03-01 the existing 400 goes
    // oldest first (A-2 200, A-3 200), then the imported 100 named to A-3 closes it.
    // BETA: 50 to B-1; the 250 of 02-01 closes B-1 (150) and B-3 (80), 20 left over;
    // the existing 50 of 03-01 finds nothing open.
    assert_eq!(
        unapplied,
        [
            ("\"2026-01-11\"", "0.00"),
            ("\"2026-01-12\"", "0.00"),
            ("\"2026-02-01\"", "20.00"),
            ("\"2026-02-01\"", "0"),
            ("\"2026-02-15\"", "0.00"),
            ("\"2026-03-01\"", "0.00"),
            ("\"2026-03-01\"", "50.00"),
            ("\"2026-03-01\"", "0.00"),
        ]
        .map(|(d, u)| (d.to_string(), u.to_string()))
    );
}

// ---------------------------------------------------------------------------------
// 5. JSON export
// ---------------------------------------------------------------------------------

#[test]
fn a_backup_imported_back_into_its_own_ledger_is_told_to_use_a_new_one() {
    let l = small_ledger();
    l.ok(&["export", "--dir", "bk"]);
    let stderr = refused(&l, &["import", "--dir", "bk"], None);
    let last = stderr.trim_end().lines().last().unwrap();
    assert!(
        last.contains("repeat clients or invoices the ledger already holds")
            && last.contains("import it into a new ledger (--db NEW.db)"),
        "{stderr}"
    );
    // One row that is bad for another reason: the usual verdict.
    let a = std::fs::read_to_string(l.path().join("bk/clients.csv")).unwrap();
    std::fs::write(l.path().join("bk/clients.csv"), format!("{a}NEW,\n")).unwrap();
    let stderr = refused(&l, &["import", "--dir", "bk"], None);
    assert!(
        stderr.trim_end().ends_with("fix them and import again"),
        "{stderr}"
    );
}

#[test]
fn repeats_name_their_line_even_after_a_row_refused_for_its_void_reason() {
    let l = small_ledger();
    let text = "number,client,issue_date,amount,voided_on,void_reason\n\
                V1,ACME,2026-01-01,10,2026-01-02,bad\treason\n\
                A1,ACME,2026-01-01,10,,\n\
                A2,ACME,2026-01-01,10,,\n\
                A1,ACME,2026-01-01,10,,\n\
                A2,ACME,2026-01-01,10,,\n\
                V1,ACME,2026-01-01,10,,\n";
    file(&l, "i.csv", text);
    let expected = [
        (2, "void_reason", "control characters"),
        (5, "number", "`A1` repeats line 3"),
        (6, "number", "`A2` repeats line 4"),
    ];
    let rows = refused(&l, &["import", "invoices", "i.csv"], None);
    expect_errors(&rows, "i.csv", &expected);
    // The same through a pipe (bulk mode), and into a ledger without invoices (the
    // unique index down): the same list.
    let bulk = refused(&l, &["import", "invoices", "-"], Some(text));
    expect_errors(&bulk, "stdin", &expected);
    let empty = TestLedger::new();
    empty.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let bulk = refused(&empty, &["import", "invoices", "-"], Some(text));
    expect_errors(&bulk, "stdin", &expected);
    // Repeats within the file only: the usual verdict, no advice to restore.
    assert!(bulk.trim_end().ends_with("fix them and import again"), "{bulk}");
}

#[test]
fn a_quote_left_open_on_the_last_line_is_named() {
    let l = small_ledger();
    file(&l, "q.csv", "code,name\nA,Aye\nB,\"Bee\n");
    let stderr = refused(&l, &["import", "clients", "q.csv"], None);
    expect_errors(
        &stderr,
        "q.csv",
        &[(3, "name", "not closed before the end of the file")],
    );
}

#[test]
fn export_to_a_dir_that_is_a_file_says_so() {
    let l = small_ledger();
    file(&l, "afile", "not a directory");
    let err = l.fails(&["export", "--dir", "afile"], 1);
    assert!(
        err.contains("afile exists and is not a directory: give --dir a directory"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(l.path().join("afile")).unwrap(),
        "not a directory"
    );
}

#[test]
fn json_export_is_one_document_with_exact_amounts() {
    let a = hand_built();
    let text = a.ok(&["export", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["settings"]["default_currency"], "EUR");
    assert_eq!(doc["settings"]["default_terms"], "net 45");
    assert_eq!(doc["clients"].as_array().unwrap().len(), 3);
    assert_eq!(doc["invoices"].as_array().unwrap().len(), 5);
    assert_eq!(doc["payments"].as_array().unwrap().len(), 4);
    let top = raw_object(&text);
    let invoices = raw_rows(raw(&top, "invoices"));
    let amounts: Vec<&str> = invoices.iter().map(|i| raw(i, "amount")).collect();
    assert_eq!(amounts, ["1000.00", "500.00", "125000", "1.234", "99.99"]);
    let payments = raw_rows(raw(&top, "payments"));
    let amounts: Vec<&str> = payments.iter().map(|p| raw(p, "amount")).collect();
    assert_eq!(amounts, ["980.00", "100000", "0.500", "10.01"]);
    let clients = raw_rows(raw(&top, "clients"));
    assert_eq!(raw(&clients[0], "credit_limit"), "20000.00");
    // An empty ledger is a document too, with empty sections.
    let empty = TestLedger::new();
    let doc: serde_json::Value = serde_json::from_str(&empty.ok(&["export", "--format", "json"])).unwrap();
    for k in ["clients", "invoices", "payments"] {
        assert_eq!(doc[k], serde_json::json!([]), "{k}");
    }
    // CSV is several files: without --dir it is refused.
    a.fails(&["export"], 1);
    a.fails(&["export", "--format", "csv"], 1);
}

// ---------------------------------------------------------------------------------
// 6. A killed import
// ---------------------------------------------------------------------------------

#[test]
fn an_import_killed_mid_way_leaves_the_ledger_as_it_was() {
    let l = small_ledger();
    let (before, schema_before) = (l.dump(), schema(&l.db));
    let mut child = l
        .process()
        .args(["import", "invoices", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ar import");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"number,client,issue_date,amount\n").unwrap();
    // Write rows until the import has been busy with them for a while: writes
    // block once the pipe is full, so the child has read (and inserted) most of
    // what was written when they return.
    let started = Instant::now();
    let mut i = 0u32;
    while started.elapsed() < Duration::from_millis(700) || i < 5_000 {
        let mut chunk = String::new();
        for _ in 0..500 {
            i += 1;
            let client = if i.is_multiple_of(2) { "ACME" } else { "BETA" };
            chunk.push_str(&format!(
                "K-{i:07},{client},2026-02-{:02},{}.{:02}\n",
                1 + i % 28,
                i,
                i % 100
            ));
        }
        stdin.write_all(chunk.as_bytes()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import must still be running (waiting for the rest of its input)"
    );
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(before, l.dump(), "a killed import left rows behind");
    assert_eq!(
        schema_before,
        schema(&l.db),
        "a killed import left the schema changed"
    );
    let conn = rusqlite::Connection::open(&l.db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    // The ledger works on: a small import goes through and counts.
    file(
        &l,
        "ok.csv",
        "number,client,issue_date,amount\nAFTER-1,ACME,2026-03-01,10\n",
    );
    let out = l.ok(&["import", "invoices", "ok.csv"]);
    assert!(out.contains("imported 1 invoices"), "{out}");
    let list = l.ok(&["invoice", "list", "--format", "csv"]);
    assert!(list.contains("AFTER-1") && !list.contains("K-0000001"), "{list}");
}

/// A copy of `from`'s ledger in a new test directory (the ledger is closed: `ar` has
/// exited, so the database file holds everything).
fn copy_ledger(from: &TestLedger) -> TestLedger {
    let to = TestLedger::new();
    std::fs::copy(&from.db, &to.db).expect("copy ledger");
    for ext in ["db-wal", "db-shm"] {
        let side = from.db.with_extension(ext);
        if side.exists() {
            std::fs::copy(&side, to.db.with_extension(ext)).expect("copy ledger side file");
        }
    }
    to
}

/// Kill `ar import --dir` at several moments: each time the ledger is either as
/// before or fully imported, never in between. With `bulk`, the bulk path (rollback
/// journal instead of WAL, indexes dropped and rebuilt, whole-ledger replay).
fn killed_dir_import_is_all_or_nothing(bulk: bool) {
    let bulk_from = if bulk { "0" } else { "100000000" };
    let base = TestLedger::new();
    let g = base.path().join("gen");
    gen_ledger(&g, 1500, 11);
    base.ok(&["import", "clients", g.join("clients.csv").to_str().unwrap()]);
    std::fs::remove_file(g.join("clients.csv")).unwrap();
    let before = base.dump();
    // The whole import, timed: invoices and payments in one transaction.
    let full = copy_ledger(&base);
    let started = Instant::now();
    full.cmd()
        .env("AR_BULK_BYTES", bulk_from)
        .args(["import", "--dir", g.to_str().unwrap()])
        .assert()
        .success();
    let took = started.elapsed();
    let after = full.dump();
    assert_ne!(before, after);
    let mut killed_mid_way = 0;
    for tenth in [1, 3, 5, 7, 9] {
        let l = copy_ledger(&base);
        let mut child = l
            .process()
            .args(["import", "--dir", g.to_str().unwrap()])
            .env("AR_BULK_BYTES", bulk_from)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ar import");
        std::thread::sleep(took * tenth / 10);
        let running = child.try_wait().unwrap().is_none();
        child.kill().ok();
        child.wait().unwrap();
        assert_eq!(integrity(&l.db), "ok");
        let now = l.dump();
        assert!(
            now == before || now == after,
            "killed after {tenth}/10 of the import: the ledger is neither as before nor fully imported"
        );
        if running && now == before {
            killed_mid_way += 1;
        }
    }
    assert!(killed_mid_way > 0, "no kill landed while the import was running");
}

#[test]
fn a_file_import_killed_at_any_moment_is_all_or_nothing() {
    killed_dir_import_is_all_or_nothing(false);
}

#[test]
fn a_bulk_import_killed_at_any_moment_is_all_or_nothing() {
    killed_dir_import_is_all_or_nothing(true);
}

// ---------------------------------------------------------------------------------
// 7. The bulk path (large files and pipes) stores what the row-by-row path stores
// ---------------------------------------------------------------------------------

/// What the replay derives, without row ids (a bulk load writes allocations in
/// another order): allocations, and invoices' and payments' derived columns.
fn derived(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).expect("open ledger");
    let mut out = String::new();
    for sql in [
        "SELECT invoice_id, payment_id, kind, date, amount, held FROM allocations ORDER BY 1, 2, 3, 4, 5",
        "SELECT id, settled, closed_on FROM invoices ORDER BY id",
        "SELECT id, unapplied, applied_on FROM payments ORDER BY id",
    ] {
        out.push_str(&rows_text(&conn, sql));
        out.push_str("--\n");
    }
    out
}

/// `ar import KIND -` with `text` on stdin: the bulk path.
fn import_stdin(l: &TestLedger, kind: &str, text: &str) -> String {
    let out = l
        .cmd()
        .args(["import", kind, "-"])
        .write_stdin(text.to_string())
        .output()
        .expect("run ar");
    assert!(
        out.status.success(),
        "ar import {kind} -: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The header and every other data row (from `first`), of a CSV without quoted
/// line breaks.
fn every_other(text: &str, first: usize) -> String {
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines.skip(first).step_by(2) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A back-dated invoice for every client: unnamed payments entered earlier but dated
/// later can reach it, oldest first, which moves what they had settled.
fn late_invoices(clients: &str) -> String {
    let mut out = String::from("number,client,issue_date,amount\n");
    for (i, line) in clients.lines().skip(1).enumerate() {
        let code = line.split(',').next().unwrap();
        out.push_str(&format!("LATE-{i},{code},2024-07-01,{}.25\n", 40 + i));
    }
    out
}

#[test]
fn bulk_imports_store_exactly_what_row_by_row_imports_store() {
    let rows = TestLedger::new();
    let g = rows.path().join("gen");
    gen_ledger(&g, 2500, 23);
    let read = |name: &str| std::fs::read_to_string(g.join(name)).unwrap();
    let (clients, invoices, payments) = (read("clients.csv"), read("invoices.csv"), read("payments.csv"));
    for kind in ["clients", "invoices", "payments"] {
        rows.ok(&["import", kind, g.join(format!("{kind}.csv")).to_str().unwrap()]);
    }
    // Each file through a pipe: one bulk load each.
    let bulk = TestLedger::new();
    import_stdin(&bulk, "clients", &clients);
    import_stdin(&bulk, "invoices", &invoices);
    let out = import_stdin(&bulk, "payments", &payments);
    assert!(
        out.starts_with("imported ") && out.contains(" payments for "),
        "{out}"
    );
    // Halves of each file, interleaved in time: the second invoice load goes into a
    // table that has rows (the unique index stays up), the second payment load is
    // back-dated against the first and must move allocations the first made. Entry
    // order decides ties, so they are compared with the same halves loaded row by row.
    let halves = [
        ("clients", clients.clone()),
        ("invoices", every_other(&invoices, 0)),
        ("invoices", every_other(&invoices, 1)),
        ("payments", every_other(&payments, 1)),
        ("payments", every_other(&payments, 0)),
        // Invoices entered after the payments, dated before most of them.
        ("invoices", late_invoices(&clients)),
    ];
    let (rows_halves, bulk_halves) = (TestLedger::new(), TestLedger::new());
    for (i, (kind, text)) in halves.iter().enumerate() {
        let path = file(&rows_halves, &format!("half-{i}.csv"), text);
        rows_halves.ok(&["import", kind, path.to_str().unwrap()]);
        import_stdin(&bulk_halves, kind, text);
    }
    // And all of it in one bulk transaction.
    let dir = TestLedger::new();
    dir.cmd()
        .env("AR_BULK_BYTES", "0")
        .args(["import", "--dir", g.to_str().unwrap()])
        .assert()
        .success();

    let expected = derived(&rows.db);
    assert!(expected.matches('\n').count() > 5000, "a ledger with allocations");
    for (name, a, b) in [
        ("pipes", &rows, &bulk),
        ("--dir", &rows, &dir),
        ("halves", &rows_halves, &bulk_halves),
    ] {
        assert_eq!(
            schema(&b.db),
            schema(&a.db),
            "{name}: indexes as the schema has them"
        );
        assert_eq!(integrity(&b.db), "ok", "{name}");
        assert_eq!(derived(&b.db), derived(&a.db), "{name}: allocations differ");
        for args in [
            &["aging", "--as-of", "2026-06-30", "--format", "json"][..],
            &["aging", "--as-of", "2025-09-30", "--format", "json"],
            &["days-to-pay", "--as-of", "2026-06-30", "--format", "json"],
            &["client", "list", "--format", "csv"],
        ] {
            same_output(a, b, args);
        }
    }
    // Single entries after a bulk load find what it left: numbers, clients, credit.
    for l in [&rows, &bulk] {
        l.ok(&[
            "pay",
            "--client",
            "C000001",
            "--amount",
            "5000",
            "--date",
            "2026-06-30",
        ]);
        l.ok(&[
            "add-invoice",
            "--client",
            "C000001",
            "--amount",
            "7",
            "--date",
            "2026-06-30",
            "--number",
            "LATE-1",
        ]);
    }
    assert_eq!(derived(&bulk.db), derived(&rows.db));
    same_output(
        &rows,
        &bulk,
        &["aging", "--as-of", "2026-06-30", "--format", "json"],
    );
}

#[test]
fn a_bulk_dir_import_of_an_export_rebuilds_voids_terms_settings_and_texts() {
    let a = hand_built();
    let e1 = a.path().join("e1");
    a.ok(&["export", "--dir", e1.to_str().unwrap()]);
    let b = TestLedger::new();
    b.cmd()
        .env("AR_BULK_BYTES", "0")
        .args(["import", "--dir", e1.to_str().unwrap()])
        .assert()
        .success();
    let e2 = b.path().join("e2");
    b.ok(&["export", "--dir", e2.to_str().unwrap()]);
    assert_eq!(
        files(&e1),
        files(&e2),
        "export → bulk import --dir → export differs"
    );
    assert_eq!(derived(&b.db), derived(&a.db));
    for args in [
        &["invoice", "list", "--format", "json"][..],
        &["payment", "list", "--format", "json"],
        &["aging", "--as-of", "2026-10-07", "--format", "json"],
        &["days-to-pay", "--as-of", "2026-11-23", "--format", "json"],
    ] {
        same_output(&a, &b, args);
    }
}

#[test]
fn bulk_imports_refuse_what_row_by_row_imports_refuse() {
    let l = small_ledger();
    // Into a table with rows: the unique index catches repeats of the ledger's own.
    let invoices = "number,client,issue_date,amount\n\
                    N-1,ACME,2026-02-01,10\n\
                    n-1,BETA,2026-02-01,10\n\
                    inv-9,ACME,2026-02-01,10\n\
                    N-2,NOPE,2026-02-01,10\n";
    let stderr = refused(&l, &["import", "invoices", "-"], Some(invoices));
    expect_errors(
        &stderr,
        "stdin",
        &[
            (3, "number", "`n-1` repeats line 2"),
            (4, "number", "`inv-9` is already in the ledger"),
            (5, "client", "NOPE"),
        ],
    );
    let payments = "client,date,amount,invoice\n\
                    ACME,2026-02-01,5,NOPE-9\n\
                    ACME,2026-02-01,5,b-1\n\
                    ACME,2026-02-01,5,INV-9\n";
    let stderr = refused(&l, &["import", "payments", "-"], Some(payments));
    expect_errors(
        &stderr,
        "stdin",
        &[
            (
                2,
                "invoice",
                "unknown invoice `NOPE-9`: import it first (invoices.csv)",
            ),
            (3, "invoice", "belongs to client"),
        ],
    );
    // Into an empty ledger the unique index is down during the load: the load's own
    // check finds repeats in any letter case.
    let empty = TestLedger::new();
    empty.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let invoices = "number,client,issue_date,amount\n\
                    X-1,ACME,2026-02-01,10\n\
                    X-2,ACME,2026-02-01,10\n\
                    x-1,ACME,2026-02-01,10\n\
                    X-ü,ACME,2026-02-01,10\n\
                    X-Ü,ACME,2026-02-01,10\n";
    let stderr = refused(&empty, &["import", "invoices", "-"], Some(invoices));
    // SQLite's NOCASE folds ASCII letters only: X-ü and X-Ü are two numbers.
    expect_errors(&stderr, "stdin", &[(4, "number", "`x-1` repeats line 2")]);
    // A row refused for another reason does not take its number: the row after it
    // may use it, in bulk mode as row by row.
    let invoices = "number,client,issue_date,amount\n\
                    Y-1,ACME,2026-02-01,abc\n\
                    Y-1,ACME,2026-02-01,10\n\
                    Y-2,ACME,2026-02-01,-1\n";
    let bulk = refused(&empty, &["import", "invoices", "-"], Some(invoices));
    expect_errors(&bulk, "stdin", &[(2, "amount", "abc"), (4, "amount", "-1")]);
    file(&empty, "y.csv", invoices);
    let rows = refused(&empty, &["import", "invoices", "y.csv"], None);
    assert_eq!(
        error_lines(&rows, "y.csv").len(),
        error_lines(&bulk, "stdin").len()
    );
}

#[test]
fn other_commands_still_read_the_ledger_while_a_bulk_import_runs() {
    let l = small_ledger();
    let before = l.ok(&["client", "list", "--format", "csv"]);
    let mut child = l
        .process()
        .args(["import", "invoices", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ar import");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"number,client,issue_date,amount\n").unwrap();
    for i in 0..2000 {
        stdin
            .write_all(format!("P-{i},ACME,2026-02-01,{}.00\n", i + 1).as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    // The import is under way (its transaction open, the ledger in rollback-journal
    // mode) and waits for more rows: a report reads the ledger as it was.
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "the import ended early");
    let during = l.run(&["client", "list", "--format", "csv"]);
    assert_eq!(
        String::from_utf8_lossy(&during.stdout),
        before,
        "while a bulk import runs: {}",
        String::from_utf8_lossy(&during.stderr)
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(l.ok(&["invoice", "list"]).contains("P-1999"));
}
