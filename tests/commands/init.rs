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

#[test]
fn init_creates_the_ledger_with_its_settings() {
    let l = TestLedger::new();
    let out = l.ok(&["init", "--currency", "NZD", "--terms", "2/10 net 45"]);
    assert_eq!(
        out,
        format!(
            "Ledger {} initialised: currency NZD, terms 2/10 net 45\n",
            l.db.display()
        )
    );
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd"]);
    let out = add_invoice(&l, "ACME", "10", "2026-11-01", &[]);
    assert!(
        out.contains("10.00 NZD") && out.contains("due 2026-12-16 (2/10 net 45)"),
        "{out}"
    );
}

#[test]
fn init_without_flags_says_what_the_ledger_holds() {
    // Whatever its currency: not "initialised", and not the defaults (USD).
    let l = TestLedger::new();
    l.ok(&["init", "--currency", "NZD"]);
    let ready = format!("Ledger {} is ready: currency NZD, terms net 30\n", l.db.display());
    assert_eq!(l.ok(&["init"]), ready);
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd"]);
    add_invoice(&l, "ACME", "10", "2026-11-01", &[]);
    assert_eq!(l.ok(&["init"]), ready);
    // The same settings given again are not a change.
    assert_eq!(l.ok(&["init", "--currency", "nzd", "--terms", "30"]), ready);
}

#[test]
fn init_refuses_an_empty_currency_and_creates_nothing() {
    let l = TestLedger::new();
    let err = l.fails(&["init", "--currency", ""], 1);
    assert!(err.contains("--currency") && err.contains("is empty"), "{err}");
    assert!(!l.db.exists(), "a refused init created a ledger");
}

#[test]
fn every_current_iso_4217_code_is_a_currency_and_unknown_ones_are_refused() {
    // Codes a careful user found refused, and currencies of every minor-unit count.
    for (code, amount, shown) in [
        ("RUB", "10.5", "10.50 RUB"),
        ("MAD", "1", "1.00 MAD"),
        ("BDT", "1", "1.00 BDT"),
        ("LKR", "1", "1.00 LKR"),
        ("GHS", "1", "1.00 GHS"),
        ("KZT", "1", "1.00 KZT"),
        ("RSD", "1", "1.00 RSD"),
        ("PYG", "1500", "1,500 PYG"),
        ("RWF", "1500", "1,500 RWF"),
        ("CLF", "1.2345", "1.2345 CLF"),
        ("OMR", "1.234", "1.234 OMR"),
    ] {
        let l = TestLedger::new();
        l.ok(&["init", "--currency", code]);
        l.ok(&["client", "add", "ACME", "--name", "Acme"]);
        let out = l.ok(&["add-invoice", "--client", "ACME", "--amount", amount]);
        assert!(out.contains(&format!(": {shown}, issued")), "{code}: {out}");
    }
    let l = TestLedger::new();
    for code in ["XXX", "ABC", "US", "EURO"] {
        let err = l.fails(&["init", "--currency", code], 1);
        assert!(err.contains(&format!("unknown currency `{code}`")), "{err}");
    }
    assert!(!l.db.exists());
}
