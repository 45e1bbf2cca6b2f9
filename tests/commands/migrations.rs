//! Schema upgrades: ledgers written by earlier releases, kept with the reports those
//! releases printed for them, read the same, are not changed by reading, and are
//! brought to the current schema by the first write, inside that write's
//! transaction.
//!
//! - tests/fixtures/release-0.1: schema 1.
//! - tests/fixtures/release-0.2: schema 2, with a void of INV-0003 given on
//!   2026-11-05, which in that release removed the invoice from every date (see its
//!   README.md for how it was made).
//!
//! What this release prints beyond what those releases printed, and which the
//! comparisons below leave out (every other key and column must be the same, figure
//! for figure):
//! - `net` (= `total` − `unapplied`; for clients `open` − `unapplied`) after
//!   `unapplied`, in aging rows and totals (JSON and CSV) and in client balances
//!   (client list JSON and CSV);
//! - `void_from` (the day a void takes effect) after `voided_on`, in invoice JSON.
//!
//! The `net` figures are checked on their own: each is its row's total less its
//! unapplied credit.

use std::path::Path;

use crate::common::{TestLedger, raw, raw_object, raw_rows, rows_text, schema};

const RELEASE_1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/release-0.1");
const RELEASE_2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/release-0.2");

/// A temporary ledger holding a copy of the ledger of the release in `fixtures`.
fn old_ledger(fixtures: &str) -> TestLedger {
    let l = TestLedger::new();
    std::fs::copy(format!("{fixtures}/ledger.sqlite"), &l.db).expect("copy the fixture");
    l
}

fn fixture(fixtures: &str, name: &str) -> String {
    std::fs::read_to_string(format!("{fixtures}/{name}")).expect("fixture file")
}

fn user_version(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

// ---------------------------------------------------------------------------------
// Comparing this release's reports with an earlier one's.

/// `json` (as ar prints it: one member a line) without the members named `keys`,
/// and without the comma those left behind when one was an object's last member.
fn without_members(json: &str, keys: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut strip_comma = Vec::new();
    for line in json.lines() {
        let member = line.trim_start();
        if keys.iter().any(|k| member.starts_with(&format!("\"{k}\": "))) {
            if !line.ends_with(',') {
                // It was the last member: the one before it is now.
                let prev = out.len().checked_sub(1).expect("a member before it");
                assert!(out[prev].ends_with(','), "{json}");
                strip_comma.push(prev);
            }
            continue;
        }
        out.push(line);
    }
    let mut lines: Vec<String> = out.iter().map(|l| l.to_string()).collect();
    for i in strip_comma {
        lines[i].pop();
    }
    let mut text = lines.join("\n");
    if json.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// `csv` without its last column, which must be headed `last`.
fn without_last_column(csv: &str, last: &str) -> String {
    let header = csv.lines().next().expect("a header row");
    assert!(
        header.ends_with(&format!(",{last}")),
        "`{last}` is not the last column: {header}"
    );
    csv.lines()
        .map(|line| {
            let (rest, _) = line.rsplit_once(',').expect("two columns or more");
            format!("{rest}\n")
        })
        .collect()
}

/// An amount as printed (`-1,234.50` never: `-1234.50`, `20000`) in minor units,
/// with its number of decimals.
fn minor(amount: &str) -> (i64, usize) {
    let decimals = amount.split_once('.').map_or(0, |(_, d)| d.len());
    let digits: String = amount.chars().filter(|c| *c != '.').collect();
    (
        digits.parse().unwrap_or_else(|_| panic!("an amount: {amount}")),
        decimals,
    )
}

/// `net` is `from` less `unapplied`, to the minor unit and printed with as many
/// decimals.
fn assert_net(from: &str, unapplied: &str, net: &str, context: &str) {
    let (a, da) = minor(from);
    let (u, du) = minor(unapplied);
    let (n, dn) = minor(net);
    assert!(
        da == du && du == dn && n == a - u,
        "net {net} is not {from} - {unapplied}: {context}"
    );
}

/// In an aging's JSON, every row and total has `net` = `total` − `unapplied`, as
/// the member right after `unapplied`.
fn assert_aging_json_nets(json: &str) {
    let lines: Vec<&str> = json.lines().map(str::trim_start).collect();
    let mut nets = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("\"net\": ") {
            assert!(lines[i - 1].starts_with("\"unapplied\": "), "{json}");
            nets += 1;
        }
    }
    let report = raw_object(json);
    let mut rows = 0;
    for part in ["rows", "totals"] {
        for row in raw_rows(raw(&report, part)) {
            assert_net(
                raw(&row, "total"),
                raw(&row, "unapplied"),
                raw(&row, "net"),
                &format!("{row:?}"),
            );
            rows += 1;
        }
    }
    assert_eq!(nets, rows, "one `net` a row and a total: {json}");
}

/// In a CSV with `from`, `unapplied` and a last column `net`: `net` = `from` −
/// `unapplied` on every row.
fn assert_csv_nets(csv: &str, from: &str) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {header:?}"))
    };
    let (a, u, n) = (col(from), col("unapplied"), col("net"));
    assert_eq!(n, header.len() - 1, "`net` is the last column: {header:?}");
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        assert_net(&record[a], &record[u], &record[n], &format!("{record:?}"));
        rows += 1;
    }
    assert!(rows > 0, "{csv}");
}

/// The aging as JSON, as an earlier release printed it: checks the `net` members
/// and leaves them out.
fn aging_json(l: &TestLedger, as_of: &[&str]) -> String {
    let mut args = vec!["aging", "--format", "json"];
    args.extend_from_slice(as_of);
    let json = l.ok(&args);
    assert_aging_json_nets(&json);
    without_members(&json, &["net"])
}

/// The client list as CSV, as an earlier release printed it: checks the `net`
/// column and leaves it out.
fn clients_csv(l: &TestLedger) -> String {
    let csv = l.ok(&["client", "list", "--format", "csv"]);
    assert_csv_nets(&csv, "open");
    without_last_column(&csv, "net")
}

/// The invoice list as JSON as of `as_of`, as an earlier release printed it:
/// leaves out `void_from`, after checking it is `voids`' (number, date) and null
/// for every other invoice.
fn invoices_json(l: &TestLedger, as_of: &str, voids: &[(&str, &str)]) -> String {
    let json = l.ok(&["invoice", "list", "--as-of", as_of, "--format", "json"]);
    for inv in raw_rows(&json) {
        let number = raw(&inv, "number").trim_matches('"');
        let expected = voids
            .iter()
            .find(|(n, _)| *n == number)
            .map_or("null".to_string(), |(_, d)| format!("\"{d}\""));
        assert_eq!(raw(&inv, "void_from"), expected, "{number}");
    }
    without_members(&json, &["void_from"])
}

#[test]
fn the_comparison_helpers_leave_out_exactly_the_new_members_and_columns() {
    let json = "{\n  \"rows\": [\n    {\n      \"total\": 1.50,\n      \"unapplied\": 2.00,\n      \"net\": -0.50\n    }\n  ],\n  \"a\": 1\n}\n";
    assert_eq!(
        without_members(json, &["net"]),
        "{\n  \"rows\": [\n    {\n      \"total\": 1.50,\n      \"unapplied\": 2.00\n    }\n  ],\n  \"a\": 1\n}\n"
    );
    let json =
        "[\n  {\n    \"voided_on\": null,\n    \"void_from\": null,\n    \"void_reason\": null\n  }\n]\n";
    assert_eq!(
        without_members(json, &["void_from"]),
        "[\n  {\n    \"voided_on\": null,\n    \"void_reason\": null\n  }\n]\n"
    );
    assert_eq!(
        without_last_column("a,b,net\n\"x, y\",1.00,-1.00\n", "net"),
        "a,b\n\"x, y\",1.00\n"
    );
    assert_net("1.50", "2.00", "-0.50", "");
    assert_net("20000", "0", "20000", "");
    assert!(std::panic::catch_unwind(|| assert_net("1.50", "2.00", "0.50", "")).is_err());
    assert!(std::panic::catch_unwind(|| assert_net("1.50", "0.00", "1.5", "")).is_err());
}

// ---------------------------------------------------------------------------------
// Release 0.1 (schema 1).

#[test]
fn a_release_1_ledger_reads_exactly_as_that_release_printed_it_and_is_not_changed() {
    let l = old_ledger(RELEASE_1);
    let before = std::fs::read(&l.db).unwrap();
    assert_eq!(user_version(&l.db), 1);
    assert_eq!(aging_json(&l, &[]), fixture(RELEASE_1, "aging.json"));
    assert_eq!(
        l.ok(&["aging", "--by", "invoice", "--format", "csv"]),
        fixture(RELEASE_1, "aging-inv.csv")
    );
    assert_eq!(
        l.ok(&["days-to-pay", "--format", "json"]),
        fixture(RELEASE_1, "dtp.json")
    );
    assert_eq!(clients_csv(&l), fixture(RELEASE_1, "clients.csv"));
    assert!(l.ok(&["check"]).contains("is sound"));
    assert_eq!(user_version(&l.db), 1, "reading never upgrades");
    assert_eq!(std::fs::read(&l.db).unwrap(), before, "reading never writes");
}

#[test]
fn the_first_write_upgrades_a_release_1_ledger_and_keeps_every_figure() {
    let l = old_ledger(RELEASE_1);
    l.ok(&[
        "pay",
        "--client",
        "GLOBEX",
        "--amount",
        "10",
        "--invoice",
        "INV-0003",
        "--date",
        "2026-11-23",
    ]);
    assert_eq!(user_version(&l.db), ar::store::sqlite::schema_version());
    let conn = rusqlite::Connection::open(&l.db).unwrap();
    assert_eq!(rows_text(&conn, "SELECT count(*) FROM imports"), "Integer(0)\n");
    drop(conn);
    assert!(l.ok(&["check"]).contains("is sound"));
    // INV-0003 (1,000.00, 490.00 paid) now has 500.00 open: GLOBEX's 1-30 bucket falls by 10.
    let expected = fixture(RELEASE_1, "aging.json")
        .replace("\"1-30\": 510.00,\n      \"31-60\": 0.00,\n      \"61-90\": 0.00,\n      \"90+\": 0.00,\n      \"total\": 1010.00", "\"1-30\": 500.00,\n      \"31-60\": 0.00,\n      \"61-90\": 0.00,\n      \"90+\": 0.00,\n      \"total\": 1000.00")
        .replace("\"1-30\": 510.00,\n      \"31-60\": 50.00", "\"1-30\": 500.00,\n      \"31-60\": 50.00")
        .replace("\"total\": 1435.50", "\"total\": 1425.50");
    assert_eq!(aging_json(&l, &[]), expected);
    // Nothing else moved but DSO: 1,425.50 open of 3,149.95 invoiced, × 90 = 40.73.
    assert_eq!(
        l.ok(&["days-to-pay", "--format", "json"]),
        fixture(RELEASE_1, "dtp.json").replace(
            "\"dso\": 41.01,\n      \"open\": 1435.50",
            "\"dso\": 40.73,\n      \"open\": 1425.50"
        )
    );
    assert_eq!(
        clients_csv(&l),
        fixture(RELEASE_1, "clients.csv").replace("NZD,1010.00,510.00", "NZD,1000.00,500.00")
    );
}

#[test]
fn a_refused_write_leaves_a_release_1_ledger_at_schema_1() {
    let l = old_ledger(RELEASE_1);
    let before = std::fs::read(&l.db).unwrap();
    l.fails(&["pay", "--client", "NOBODY", "--amount", "10"], 1);
    assert_eq!(user_version(&l.db), 1);
    assert_eq!(std::fs::read(&l.db).unwrap(), before);
}

// ---------------------------------------------------------------------------------
// Release 0.2 (schema 2).

const AS_OF: [&str; 2] = ["2026-10-31", "2026-11-30"];

/// Its void, as this release reads it: INV-0003's void (given on 2026-11-05) takes
/// effect from its issue date, as that release counted it.
const RELEASE_2_VOIDS: &[(&str, &str)] = &[("INV-0003", "2026-10-20")];

#[test]
fn a_release_2_ledger_reads_exactly_as_that_release_printed_it_and_is_not_changed() {
    let l = old_ledger(RELEASE_2);
    let before = std::fs::read(&l.db).unwrap();
    assert_eq!(user_version(&l.db), 2);
    for d in AS_OF {
        assert_eq!(
            aging_json(&l, &["--as-of", d]),
            fixture(RELEASE_2, &format!("aging-{d}.json")),
            "aging as of {d}"
        );
        assert_eq!(
            l.ok(&["aging", "--by", "invoice", "--as-of", d, "--format", "csv"]),
            fixture(RELEASE_2, &format!("aging-inv-{d}.csv")),
            "aging by invoice as of {d}"
        );
        assert_eq!(
            l.ok(&["days-to-pay", "--as-of", d, "--format", "json"]),
            fixture(RELEASE_2, &format!("dtp-{d}.json")),
            "days to pay as of {d}"
        );
    }
    assert_eq!(clients_csv(&l), fixture(RELEASE_2, "clients.csv"));
    assert_eq!(
        invoices_json(&l, "2026-11-30", RELEASE_2_VOIDS),
        fixture(RELEASE_2, "invoices.json")
    );
    assert_eq!(
        l.ok(&["payment", "list", "--format", "json"]),
        fixture(RELEASE_2, "payments.json")
    );
    assert!(l.ok(&["check"]).contains("is sound"));
    assert_eq!(user_version(&l.db), 2, "reading never upgrades");
    assert_eq!(std::fs::read(&l.db).unwrap(), before, "reading never writes");
}

/// The first write to the release 0.2 ledger: 50.00 from GLOBEX onto INV-0005 (400.00
/// open) on 2026-11-20, after 2026-10-31 and before 2026-11-30.
fn upgraded_release_2() -> TestLedger {
    let l = old_ledger(RELEASE_2);
    let out = l.ok(&[
        "pay",
        "--client",
        "GLOBEX",
        "--amount",
        "50",
        "--invoice",
        "INV-0005",
        "--date",
        "2026-11-20",
        "--user",
        "clerk",
    ]);
    assert!(out.contains("50.00 to INV-0005"), "{out}");
    l
}

#[test]
fn the_first_write_upgrades_a_release_2_ledger_and_keeps_every_figure() {
    let l = upgraded_release_2();
    assert_eq!(user_version(&l.db), ar::store::sqlite::schema_version());
    // The schema a new ledger has, nothing more or less.
    let fresh = TestLedger::new();
    fresh.ok(&["init"]);
    assert_eq!(schema(&l.db), schema(&fresh.db));
    let conn = rusqlite::Connection::open(&l.db).unwrap();
    let texts = |sql: &str| -> Vec<Vec<String>> {
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| (0..n).map(|i| r.get::<_, String>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // The release's import is remembered; the write is the only batch.
    assert_eq!(
        texts("SELECT kind, CAST(rows AS TEXT) FROM imports"),
        [["payments", "1"]]
    );
    assert_eq!(
        texts("SELECT entered_by, command FROM batches"),
        [["clerk", "pay"]]
    );
    // The void keeps the date it was given, and takes effect from the issue date.
    assert_eq!(
        texts("SELECT number, voided_on, void_from, void_reason FROM invoices WHERE voided_on IS NOT NULL"),
        [["INV-0003", "2026-11-05", "2026-10-20", "issued twice"]]
    );
    drop(conn);
    assert!(l.ok(&["check"]).contains("is sound"));

    // As of 2026-10-31, before the new payment: every figure release 0.2 printed.
    let d = "2026-10-31";
    assert_eq!(
        aging_json(&l, &["--as-of", d]),
        fixture(RELEASE_2, "aging-2026-10-31.json")
    );
    let by_invoice = l.ok(&["aging", "--by", "invoice", "--as-of", d, "--format", "csv"]);
    assert_eq!(by_invoice, fixture(RELEASE_2, "aging-inv-2026-10-31.csv"));
    assert_eq!(
        l.ok(&["days-to-pay", "--as-of", d, "--format", "json"]),
        fixture(RELEASE_2, "dtp-2026-10-31.json")
    );
    // INV-0003 (issued 2026-10-20, void given 2026-11-05) stays absent on 2026-10-31,
    // as in release 0.2: ACME owes 150.00 of INV-0002, not 450.00.
    assert!(!by_invoice.contains("INV-0003"), "{by_invoice}");
    let inv = raw_object(&l.ok(&["invoice", "show", "INV-0003", "--as-of", d, "--format", "json"]));
    assert_eq!(raw(&inv, "status"), r#""void""#);
    assert_eq!(raw(&inv, "open"), "0.00");
    let open: Vec<String> = raw_rows(&l.ok(&["invoice", "list", "--open", "--as-of", d, "--format", "json"]))
        .iter()
        .map(|r| raw(r, "number").trim_matches('"').to_string())
        .collect();
    assert_eq!(open, ["INV-0007", "INV-0002"]);

    // As of 2026-11-30 the payment shows, and nothing else moved: INV-0005 has
    // 350.00 open instead of 400.00.
    let d = "2026-11-30";
    assert_eq!(
        aging_json(&l, &["--as-of", d]),
        fixture(RELEASE_2, "aging-2026-11-30.json")
            .replace("\"current\": 400.00", "\"current\": 350.00")
            .replace("\"total\": 400.00", "\"total\": 350.00")
    );
    assert_eq!(
        l.ok(&["aging", "--by", "invoice", "--as-of", d, "--format", "csv"]),
        fixture(RELEASE_2, "aging-inv-2026-11-30.csv").replace(",-2,400.00,", ",-2,350.00,")
    );
    // DSO: 350.00 open of 1,900.00 invoiced in 90 days, × 90 = 16.58.
    assert_eq!(
        l.ok(&["days-to-pay", "--as-of", d, "--format", "json"]),
        fixture(RELEASE_2, "dtp-2026-11-30.json").replace(
            "\"dso\": 18.95,\n      \"open\": 400.00",
            "\"dso\": 16.58,\n      \"open\": 350.00"
        )
    );
    assert_eq!(
        clients_csv(&l),
        fixture(RELEASE_2, "clients.csv").replace("USD,400.00,", "USD,350.00,")
    );
    assert_eq!(
        invoices_json(&l, d, RELEASE_2_VOIDS),
        fixture(RELEASE_2, "invoices.json").replace(
            "\"settled\": 100.00,\n    \"open\": 400.00",
            "\"settled\": 150.00,\n    \"open\": 350.00"
        )
    );
    let new_payment = ",\n  {\n    \"id\": 6,\n    \"client\": \"GLOBEX\",\n    \"currency\": \"USD\",\n    \"date\": \"2026-11-20\",\n    \"amount\": 50.00,\n    \"invoice\": \"INV-0005\",\n    \"reference\": null,\n    \"unapplied\": 0.00\n  }\n]\n";
    let payments = fixture(RELEASE_2, "payments.json");
    let payments = format!("{}{new_payment}", payments.strip_suffix("\n]\n").unwrap());
    assert_eq!(l.ok(&["payment", "list", "--format", "json"]), payments);
}

#[test]
fn a_refused_write_leaves_a_release_2_ledger_at_schema_2() {
    let l = old_ledger(RELEASE_2);
    let before = std::fs::read(&l.db).unwrap();
    // Refused before anything is entered, and refused by the rules once the
    // upgraded ledger is replayed (1,250.00 is allocated to INV-0001): both inside
    // the transaction the upgrade ran in.
    l.fails(&["pay", "--client", "NOBODY", "--amount", "10"], 1);
    let err = l.fails(&["invoice", "void", "INV-0001", "--date", "2026-11-23"], 1);
    assert!(
        err.contains("has 1,250.00 USD allocated to it on or before 2026-11-23"),
        "{err}"
    );
    let err = l.fails(&["invoice", "void", "INV-0003"], 1);
    assert!(err.contains("is already void"), "{err}");
    assert_eq!(user_version(&l.db), 2);
    assert_eq!(std::fs::read(&l.db).unwrap(), before, "byte for byte");
}

#[test]
fn the_log_of_an_upgraded_release_2_ledger_lists_its_entries_then_the_new_one() {
    let l = upgraded_release_2();
    let log = raw_rows(&l.ok(&["log", "--format", "json"]));
    let (new, old) = log.split_last().expect("entries");
    // What release 0.2 entered: 3 clients, 7 invoices, the void of INV-0003 and 5
    // payments (one imported), with no record of when or by whom.
    let kinds: Vec<&str> = old.iter().map(|e| raw(e, "entry").trim_matches('"')).collect();
    let count = |kind: &str| kinds.iter().filter(|k| **k == kind).count();
    assert_eq!(
        (
            count("client"),
            count("invoice"),
            count("void"),
            count("payment"),
            old.len()
        ),
        (3, 7, 1, 5, 16),
        "{kinds:?}"
    );
    for e in old {
        assert_eq!(
            (raw(e, "entered_at"), raw(e, "entered_by"), raw(e, "command")),
            ("null", "null", "null"),
            "{e:?}"
        );
    }
    let void = old.iter().find(|e| raw(e, "entry") == r#""void""#).unwrap();
    assert_eq!(raw(void, "invoice"), r#""INV-0003""#);
    assert!(raw(void, "detail").contains("issued twice"), "{void:?}");
    // Then the write that upgraded it: who, when (AR_TODAY fixes the time) and what.
    assert_eq!(
        (
            raw(new, "entered_at"),
            raw(new, "entered_by"),
            raw(new, "command"),
            raw(new, "entry"),
            raw(new, "id"),
            raw(new, "client"),
            raw(new, "date"),
            raw(new, "amount"),
            raw(new, "invoice"),
        ),
        (
            r#""2026-11-23T12:00:00Z""#,
            r#""clerk""#,
            r#""pay""#,
            r#""payment""#,
            "6",
            r#""GLOBEX""#,
            r#""2026-11-20""#,
            "50.00",
            r#""INV-0005""#,
        )
    );
    // The table says the same, the old entries first with no time or user.
    let table = l.ok(&["log"]);
    let last = table.lines().last().unwrap();
    assert!(
        last.trim_start().starts_with("2026-11-23T12:00:00Z  clerk") && last.contains("INV-0005"),
        "{table}"
    );
    assert_eq!(table.matches("2026-11-23T12:00:00Z").count(), 1, "{table}");
}
