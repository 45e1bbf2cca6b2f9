//! Issue 2: the ledger and its first commands.

use crate::common::TestLedger;

#[test]
fn invoice_then_partial_payment_leaves_the_rest_open() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd", "--terms", "30"]);
    let out = l.ok(&[
        "add-invoice",
        "--client",
        "acme",
        "--amount",
        "1,250.00",
        "--date",
        "2026-11-01",
    ]);
    assert!(
        out.contains("INV-0001") && out.contains("due 2026-12-01"),
        "{out}"
    );
    let out = l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "1000",
        "--date",
        "2026-11-20",
    ]);
    assert!(out.contains("1,000.00 to INV-0001"), "{out}");
    let raw = l.ok(&["invoice", "list", "--open", "--format", "json"]);
    assert!(
        raw.contains(r#""open": 250.00"#),
        "amounts are exact JSON numbers: {raw}"
    );
}
