//! `ar client add|edit|list|show`: what a client may be called, its balances, and
//! what the list and the detail show.

use crate::common::{TestLedger, acme, add_invoice, bal, balances, pay, snapshot_ledger};

/// Two amounts near the largest accepted must still add up in every balance: before
/// amounts were capped, `ar client list` panicked with an overflow here.
#[test]
fn largest_amounts_still_add_up() {
    let l = TestLedger::new();
    acme(&l, "30");
    for _ in 0..3 {
        add_invoice(&l, "ACME", "9,999,999,999,999.99", "2026-11-01", &[]);
    }
    assert_eq!(
        balances(&l, "ACME"),
        vec![bal("USD", "29999999999999.97", "0.00", "0.00")]
    );
    let list = l.ok(&["client", "list"]);
    assert!(list.contains("29,999,999,999,999.97"), "{list}");
    let out = pay(&l, "ACME", "9,999,999,999,999.99", "2026-11-02", &[]);
    assert!(out.contains("9,999,999,999,999.99 to INV-0001"), "{out}");
}

// ---------------------------------------------------------------------------------
// What a user sees: the fixed snapshot ledger (tests/common), today 2026-11-23.

#[test]
fn client_list_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!("client_list_table", l.ok(&["client", "list"]));
    insta::assert_snapshot!("client_list_json", l.ok(&["client", "list", "--format", "json"]));
    insta::assert_snapshot!("client_list_csv", l.ok(&["client", "list", "--format", "csv"]));
}

#[test]
fn client_show_snapshots() {
    let l = snapshot_ledger();
    // Open invoices in USD, unapplied credit in EUR.
    insta::assert_snapshot!("client_show_table", l.ok(&["client", "show", "ACME"]));
    insta::assert_snapshot!(
        "client_show_json",
        l.ok(&["client", "show", "ACME", "--format", "json"])
    );
    insta::assert_snapshot!(
        "client_show_csv",
        l.ok(&["client", "show", "ACME", "--format", "csv"])
    );
    // Discount terms, an open invoice 145 days overdue.
    insta::assert_snapshot!(
        "client_show_discount_terms_table",
        l.ok(&["client", "show", "GLOBEX"])
    );
}
