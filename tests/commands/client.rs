//! `ar client add|edit|list|show`: what a client may be called, its balances, and
//! what the list and the detail show.

use crate::common::{TestLedger, acme, add_invoice, bal, balances, pay};

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
