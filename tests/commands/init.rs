//! `ar init`: the ledger's default currency and terms.

use crate::common::{TestLedger, add_invoice};

#[test]
fn init_is_optional_and_defaults_to_usd_net_30() {
    let l = TestLedger::new();
    assert!(!l.db.exists());
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd"]);
    assert!(l.db.exists(), "the first write creates the ledger");
    let out = add_invoice(&l, "ACME", "10", "2026-01-31", &[]);
    assert!(
        out.contains("10.00 USD") && out.contains("due 2026-03-02 (net 30)"),
        "{out}"
    );
    // Re-running init with the same settings is fine; changing them once entries exist is not.
    let out = l.ok(&["init"]);
    assert!(out.contains("is ready"), "{out}");
    let err = l.fails(&["init", "--currency", "EUR"], 1);
    assert!(err.contains("cannot change") && err.contains("--db"), "{err}");
}
