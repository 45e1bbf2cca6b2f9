//! `ar client add|edit|list|show`: what a client may be called, its balances, and
//! what the list and the detail show.

use crate::common::{
    TestLedger, acme, add_invoice, bal, balances, pay, raw, raw_object, raw_rows, snapshot_ledger,
};

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

#[test]
fn codes_emails_and_names_that_would_mislead_are_refused() {
    let l = TestLedger::new();
    l.ok(&["init"]);
    for (code, reason) in [
        (
            "=SUM(A1)",
            "client code `=SUM(A1)` must start with a letter or digit",
        ),
        ("a/b", "client code `a/b` contains `/`"),
        ("_X", "must start with a letter or digit"),
    ] {
        let err = l.fails(&["client", "add", code, "--name", "x"], 1);
        assert!(err.contains(reason), "{code}: {err}");
    }
    for email in ["@", "@evil@example.com", "a@b", "a@b@c.example", "@b.example"] {
        let err = l.fails(&["client", "add", "X", "--name", "x", "--email", email], 1);
        assert!(
            err.contains(&format!("invalid email `{email}`")),
            "{email}: {err}"
        );
    }
    // An invisible character in an email is shown escaped, never as itself.
    let err = l.fails(
        &[
            "client",
            "add",
            "X",
            "--name",
            "x",
            "--email",
            "a\u{202E}@b.example",
        ],
        1,
    );
    assert!(err.contains("invalid email `a\\u{202e}@b.example`"), "{err}");
    let err = l.fails(&["client", "add", "X", "--name", "Acme\u{202E}dtL"], 1);
    assert!(err.contains("invisible formatting characters"), "{err}");
    // What is allowed: letters, digits, `-`, `_`, `.`; any name without controls.
    let out = l.ok(&[
        "client",
        "add",
        "a-b_c.9",
        "--name",
        "Ærø & Sons, \"Ltd\"",
        "--email",
        "x@y.example",
    ]);
    assert!(
        out.starts_with("Added client a-b_c.9 (Ærø & Sons, \"Ltd\")"),
        "{out}"
    );
}

#[test]
fn client_list_and_show_count_only_entries_dated_up_to_as_of() {
    let l = snapshot_ledger();
    // On 09-30: INV-0001 250.00 open (the 1,000.00 of 09-20 paid the rest) and 400.00
    // EUR of INV-0003 not yet due; INV-0002 (issued 10-01) did not exist yet.
    let c = raw_object(&l.ok(&[
        "client",
        "show",
        "ACME",
        "--as-of",
        "2026-09-30",
        "--format",
        "json",
    ]));
    assert_eq!(raw(&c, "as_of"), r#""2026-09-30""#);
    let show = l.ok(&["client", "show", "ACME", "--as-of", "2026-09-30"]);
    assert!(show.contains("\n  as of:        2026-09-30\n"), "{show}");
    assert!(!show.contains("INV-0002"), "{show}");
    let list = raw_rows(&l.ok(&["client", "list", "--as-of", "2026-09-30", "--format", "json"]));
    let acme = list
        .iter()
        .find(|c| raw(c, "code") == r#""ACME""#)
        .expect("ACME listed");
    let balances: Vec<(String, String)> = raw_rows(raw(acme, "balances"))
        .iter()
        .map(|b| (raw(b, "currency").to_string(), raw(b, "open").to_string()))
        .collect();
    assert_eq!(
        balances,
        [
            (r#""EUR""#.to_string(), "400.00".to_string()),
            (r#""USD""#.to_string(), "250.00".to_string())
        ]
    );
    l.fails(&["client", "show", "ACME", "--as-of", "yesterday"], 1);
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
