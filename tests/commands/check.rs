//! `ar check`: a sound ledger passes with a one-line summary; a derived value
//! changed behind ar's back, or a broken reference, is named and exits 1; the check
//! only reads.

use crate::common::TestLedger;

/// A small ledger with allocations, a discount, credit and a void.
fn ledger() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd"]);
    l.ok(&[
        "client",
        "add",
        "GLOBEX",
        "--name",
        "Globex",
        "--terms",
        "2/10 net 30",
    ]);
    for (client, amount, date) in [
        ("ACME", "100", "2026-10-01"),
        ("ACME", "250", "2026-10-15"),
        ("GLOBEX", "1000", "2026-11-01"),
        ("GLOBEX", "40", "2026-11-02"),
    ] {
        l.ok(&[
            "add-invoice",
            "--client",
            client,
            "--amount",
            amount,
            "--date",
            date,
        ]);
    }
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "150",
        "--date",
        "2026-10-20",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "GLOBEX",
        "--amount",
        "980",
        "--invoice",
        "INV-0003",
        "--date",
        "2026-11-05",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "500",
        "--date",
        "2026-11-10",
    ]);
    l.ok(&["invoice", "void", "INV-0004", "--reason", "issued twice"]);
    l
}

fn sql(l: &TestLedger, statement: &str) {
    let conn = rusqlite::Connection::open(&l.db).expect("open ledger");
    let changed = conn.execute(statement, []).expect("corrupt");
    assert!(changed > 0, "{statement} changed nothing");
}

#[test]
fn a_sound_ledger_passes_with_one_line_and_is_not_changed() {
    let l = ledger();
    let before = l.dump();
    let out = l.ok(&["check"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("is sound: 2 clients, 4 invoices, 3 payments")
            && out.contains("every derived value equals a fresh replay"),
        "{out}"
    );
    assert_eq!(before, l.dump(), "check only reads");
    let json = l.json(&["check"]);
    assert_eq!(json["differences"].as_array().map(Vec::len), Some(0), "{json}");
    assert_eq!(json["integrity"].as_array().map(Vec::len), Some(0), "{json}");
}

#[test]
fn a_settled_amount_changed_behind_ars_back_is_named() {
    let l = ledger();
    sql(
        &l,
        "UPDATE invoices SET settled = settled + 1 WHERE number = 'INV-0002'",
    );
    let before = l.dump();
    let out = l.run(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stdout.trim(),
        "client ACME: invoice INV-0002 settled: stored 250.01 USD, replayed 250.00 USD"
    );
    assert!(
        out.stderr.starts_with("error: the ledger ")
            && out
                .stderr
                .contains("is not sound: 0 integrity problems and 1 derived value"),
        "{}",
        out.stderr
    );
    assert_eq!(
        before,
        l.dump(),
        "check only reads, even a ledger that is not sound"
    );
}

#[test]
fn a_closing_day_a_credit_and_an_allocation_changed_are_each_named() {
    let l = ledger();
    sql(
        &l,
        "UPDATE invoices SET closed_on = '2026-10-21' WHERE number = 'INV-0001'",
    );
    sql(&l, "UPDATE payments SET unapplied = 7 WHERE id = 3");
    sql(
        &l,
        "UPDATE allocations SET amount = amount - 100 WHERE payment_id = 2 AND kind = 'payment'",
    );
    let out = l.run(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    for expected in [
        "client ACME: invoice INV-0001 closed_on: stored 2026-10-21, replayed 2026-10-20",
        "client ACME: payment 3 unapplied: stored 0.07 USD, replayed 300.00 USD",
        "client GLOBEX: allocation of payment 2 to INV-0003 (payment, 2026-11-05) amount: stored 979.00 USD, replayed none",
        "client GLOBEX: allocation of payment 2 to INV-0003 (payment, 2026-11-05) amount: stored none, replayed 980.00 USD",
    ] {
        assert!(
            lines.contains(&expected),
            "missing {expected:?} in:\n{}",
            out.stdout
        );
    }
}

#[test]
fn a_lost_allocation_and_a_broken_reference_are_named() {
    let l = ledger();
    sql(
        &l,
        "DELETE FROM allocations WHERE payment_id = 1 AND invoice_id = 2",
    );
    sql(
        &l,
        "INSERT INTO allocations (invoice_id, payment_id, kind, date, amount) VALUES (99, 1, 'payment', '2026-10-20', 5)",
    );
    let out = l.run(&["check"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("integrity: allocation 8 refers to invoice id 99, which does not exist")
            || out
                .stdout
                .contains("refers to invoice id 99, which does not exist"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("client ACME: allocation of payment 1 to INV-0002 (payment, 2026-10-20) amount: stored none, replayed 50.00 USD"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_ledger_that_is_not_there_is_refused_and_not_created() {
    let l = TestLedger::new();
    let err = l.fails(&["check"], 1);
    assert!(err.contains("no ledger at"), "{err}");
    assert!(!l.db.exists());
}

#[test]
fn check_speaks_lines_or_json_only() {
    let l = ledger();
    let json = l.json(&["check"]);
    assert_eq!(json["integrity"], serde_json::json!([]), "{json}");
    let err = l.fails(&["check", "--format", "csv"], 2);
    assert!(err.contains("invalid value 'csv'"), "{err}");
}
