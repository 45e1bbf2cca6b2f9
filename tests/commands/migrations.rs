//! Schema upgrades: a ledger written by the previous release (schema 1, kept in
//! tests/fixtures/release-0.1 with the reports it printed) reads the same, is not
//! changed by reading, and is brought to the current schema by the first write,
//! inside that write's transaction.

use crate::common::{TestLedger, rows_text};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/release-0.1");

fn old_ledger() -> TestLedger {
    let l = TestLedger::new();
    std::fs::copy(format!("{FIXTURE}/ledger.sqlite"), &l.db).expect("copy the fixture");
    l
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURE}/{name}")).expect("fixture file")
}

fn user_version(l: &TestLedger) -> i64 {
    let conn = rusqlite::Connection::open(&l.db).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_release_1_ledger_reads_exactly_as_that_release_printed_it_and_is_not_changed() {
    let l = old_ledger();
    let before = std::fs::read(&l.db).unwrap();
    assert_eq!(user_version(&l), 1);
    assert_eq!(l.ok(&["aging", "--format", "json"]), fixture("aging.json"));
    assert_eq!(
        l.ok(&["aging", "--by", "invoice", "--format", "csv"]),
        fixture("aging-inv.csv")
    );
    assert_eq!(l.ok(&["days-to-pay", "--format", "json"]), fixture("dtp.json"));
    assert_eq!(
        l.ok(&["client", "list", "--format", "csv"]),
        fixture("clients.csv")
    );
    assert!(l.ok(&["check"]).contains("is sound"));
    assert_eq!(user_version(&l), 1, "reading never upgrades");
    assert_eq!(std::fs::read(&l.db).unwrap(), before, "reading never writes");
}

#[test]
fn the_first_write_upgrades_a_release_1_ledger_and_keeps_every_figure() {
    let l = old_ledger();
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
    assert_eq!(user_version(&l), ar::store::sqlite::schema_version());
    let conn = rusqlite::Connection::open(&l.db).unwrap();
    assert_eq!(rows_text(&conn, "SELECT count(*) FROM imports"), "Integer(0)\n");
    drop(conn);
    assert!(l.ok(&["check"]).contains("is sound"));
    // INV-0003 (1,000.00, 490.00 paid) now has 500.00 open: GLOBEX's 1-30 bucket falls by 10.
    let aging = l.ok(&["aging", "--format", "json"]);
    let expected = fixture("aging.json")
        .replace("\"1-30\": 510.00,\n      \"31-60\": 0.00,\n      \"61-90\": 0.00,\n      \"90+\": 0.00,\n      \"total\": 1010.00", "\"1-30\": 500.00,\n      \"31-60\": 0.00,\n      \"61-90\": 0.00,\n      \"90+\": 0.00,\n      \"total\": 1000.00")
        .replace("\"1-30\": 510.00,\n      \"31-60\": 50.00", "\"1-30\": 500.00,\n      \"31-60\": 50.00")
        .replace("\"total\": 1435.50", "\"total\": 1425.50");
    assert_eq!(aging, expected);
}

#[test]
fn a_refused_write_leaves_a_release_1_ledger_at_schema_1() {
    let l = old_ledger();
    let before = std::fs::read(&l.db).unwrap();
    l.fails(&["pay", "--client", "NOBODY", "--amount", "10"], 1);
    assert_eq!(user_version(&l), 1);
    assert_eq!(std::fs::read(&l.db).unwrap(), before);
}
