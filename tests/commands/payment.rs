//! `ar pay` and `ar payment list`: allocation (spec: Payments and allocation),
//! discounts, back-dated payments, and what the list shows.

use crate::common::{
    TestLedger, acme, add_invoice, alloc, allocations, bal, balances, field, pay, raw, raw_rows,
    snapshot_ledger,
};

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

#[test]
fn named_invoice_takes_up_to_its_open_balance_and_the_rest_is_credit() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]); // older: would come first unnamed
    add_invoice(&l, "ACME", "300", "2026-10-05", &[]);
    let out = pay(&l, "ACME", "450", "2026-10-10", &["--invoice", "inv-0002"]);
    assert_eq!(
        out,
        "Payment #1 from ACME: 450.00 USD on 2026-10-10\n  300.00 to INV-0002\n  150.00 held as unapplied credit\n"
    );
    assert_eq!(
        field(&l, "INV-0001", "open"),
        "100.00",
        "credit is not applied by itself"
    );
    assert_eq!(field(&l, "INV-0002", "open"), "0.00");
    assert_eq!(field(&l, "INV-0002", "status"), r#""paid""#);
    assert_eq!(field(&l, "INV-0002", "closed_on"), r#""2026-10-10""#);
    assert_eq!(
        balances(&l, "ACME"),
        vec![bal("USD", "100.00", "100.00", "150.00")]
    );
    let show = l.ok(&["client", "show", "ACME"]);
    assert!(show.contains("Payments holding unapplied credit"), "{show}");
    // A second payment naming the paid invoice is all credit.
    let out = pay(&l, "ACME", "5", "2026-10-11", &["--invoice", "INV-0002"]);
    assert!(out.ends_with("  5.00 held as unapplied credit\n"), "{out}");
    assert_eq!(
        balances(&l, "ACME"),
        vec![bal("USD", "100.00", "100.00", "155.00")]
    );
}

#[test]
fn unnamed_payment_goes_oldest_first_by_due_issue_number() {
    let l = TestLedger::new();
    acme(&l, "30");
    // Entry order is deliberately not the allocation order.
    add_invoice(
        &l,
        "ACME",
        "100",
        "2026-10-05",
        &["--due", "2026-10-20", "--number", "B-2"],
    );
    add_invoice(
        &l,
        "ACME",
        "100",
        "2026-10-01",
        &["--due", "2026-10-31", "--number", "A-1"],
    );
    add_invoice(
        &l,
        "ACME",
        "100",
        "2026-10-02",
        &["--due", "2026-10-20", "--number", "C-3"],
    );
    add_invoice(
        &l,
        "ACME",
        "100",
        "2026-10-05",
        &["--due", "2026-10-20", "--number", "B-1"],
    );
    add_invoice(
        &l,
        "ACME",
        "100",
        "2026-10-09",
        &["--due", "2026-10-09", "--number", "LATE"],
    );
    add_invoice(
        &l,
        "ACME",
        "100",
        "2026-10-01",
        &["--currency", "EUR", "--number", "EUR-1"],
    );
    // Paid on 10-08: LATE (due first, but issued 10-09) is out of reach, and so is EUR-1.
    let out = pay(&l, "ACME", "350", "2026-10-08", &[]);
    assert_eq!(
        out,
        "Payment #1 from ACME: 350.00 USD on 2026-10-08\n\
         \x20 100.00 to C-3\n\
         \x20 100.00 to B-1\n\
         \x20 100.00 to B-2\n\
         \x20 50.00 to A-1\n"
    );
    assert_eq!(field(&l, "LATE", "open"), "100.00");
    assert_eq!(field(&l, "EUR-1", "open"), "100.00");
    assert_eq!(field(&l, "A-1", "open"), "50.00");
    // Paid on 10-09: LATE is now issued and due first.
    let out = pay(&l, "ACME", "120", "2026-10-09", &[]);
    assert_eq!(
        out,
        "Payment #2 from ACME: 120.00 USD on 2026-10-09\n  100.00 to LATE\n  20.00 to A-1\n"
    );
    // More than everything open: the rest is credit, and it stays credit when a later
    // invoice arrives (spec rule 3).
    let out = pay(&l, "ACME", "100", "2026-10-10", &[]);
    assert!(
        out.contains("30.00 to A-1") && out.contains("70.00 held as unapplied credit"),
        "{out}"
    );
    let out = add_invoice(&l, "ACME", "40", "2026-10-11", &[]);
    assert!(!out.contains("allocated"), "{out}");
    assert_eq!(
        balances(&l, "ACME"),
        vec![
            bal("EUR", "100.00", "100.00", "0.00"),
            bal("USD", "40.00", "40.00", "70.00")
        ]
    );
}

#[test]
fn back_dated_payment_reallocates_later_ones_in_date_order() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    add_invoice(&l, "ACME", "100", "2026-10-02", &[]);
    add_invoice(&l, "ACME", "100", "2026-10-03", &[]);
    pay(&l, "ACME", "150", "2026-10-20", &[]);
    assert_eq!(
        allocations(&l, "INV-0001"),
        vec![alloc("1", "payment", "2026-10-20", "100.00")]
    );
    // Entered second, dated first: it takes the oldest invoice, and payment 1 moves on.
    let out = pay(&l, "ACME", "120", "2026-10-10", &[]);
    assert_eq!(
        out,
        "Payment #2 from ACME: 120.00 USD on 2026-10-10\n\
         \x20 100.00 to INV-0001\n\
         \x20 20.00 to INV-0002\n\
         \x20 dated before 1 later payment of ACME: its allocation was recomputed in date order\n"
    );
    assert_eq!(
        allocations(&l, "INV-0001"),
        vec![alloc("2", "payment", "2026-10-10", "100.00")]
    );
    assert_eq!(
        allocations(&l, "INV-0002"),
        vec![
            alloc("2", "payment", "2026-10-10", "20.00"),
            alloc("1", "payment", "2026-10-20", "80.00"),
        ]
    );
    assert_eq!(
        allocations(&l, "INV-0003"),
        vec![alloc("1", "payment", "2026-10-20", "70.00")]
    );
    assert_eq!(field(&l, "INV-0002", "closed_on"), r#""2026-10-20""#);

    // The same facts entered in date order give the same invoices.
    let fresh = TestLedger::new();
    acme(&fresh, "30");
    add_invoice(&fresh, "ACME", "100", "2026-10-01", &[]);
    add_invoice(&fresh, "ACME", "100", "2026-10-02", &[]);
    add_invoice(&fresh, "ACME", "100", "2026-10-03", &[]);
    pay(&fresh, "ACME", "120", "2026-10-10", &[]);
    pay(&fresh, "ACME", "150", "2026-10-20", &[]);
    let list = |l: &TestLedger| l.ok(&["invoice", "list", "--format", "json"]);
    assert_eq!(list(&l), list(&fresh));
    assert_eq!(balances(&l, "ACME"), balances(&fresh, "ACME"));
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "30.00", "30.00", "0.00")]);

    // Same date as an existing payment: entry order decides, the earlier entry first.
    let out = pay(&l, "ACME", "10", "2026-10-20", &[]);
    assert_eq!(
        out,
        "Payment #3 from ACME: 10.00 USD on 2026-10-20\n  10.00 to INV-0003\n"
    );
    assert_eq!(field(&l, "INV-0003", "open"), "20.00");

    // Dated before all three: the count and its noun agree.
    let out = pay(&l, "ACME", "1", "2026-10-05", &[]);
    assert!(
        out.contains(
            "dated before 3 later payments of ACME: their allocations were recomputed in date order"
        ),
        "{out}"
    );
}

#[test]
fn early_payment_discount_inside_the_window_closes_the_invoice() {
    let l = TestLedger::new();
    acme(&l, "2/10 net 30");
    let out = add_invoice(&l, "ACME", "1000", "2026-11-01", &[]);
    assert!(out.contains("due 2026-12-01 (2/10 net 30)"), "{out}");
    add_invoice(&l, "ACME", "1000", "2026-11-02", &[]);
    add_invoice(&l, "ACME", "500", "2026-11-03", &[]);
    // Day 10 of INV-0001's window: 980 settles it.
    let out = pay(&l, "ACME", "980", "2026-11-11", &["--invoice", "INV-0001"]);
    assert_eq!(
        out,
        "Payment #1 from ACME: 980.00 USD on 2026-11-11\n  980.00 to INV-0001\n  20.00 early-payment discount granted on INV-0001\n"
    );
    assert_eq!(field(&l, "INV-0001", "open"), "0.00");
    assert_eq!(field(&l, "INV-0001", "status"), r#""paid""#);
    assert_eq!(
        allocations(&l, "INV-0001"),
        vec![
            alloc("1", "payment", "2026-11-11", "980.00"),
            alloc("1", "discount", "2026-11-11", "20.00"),
        ]
    );
    // Day 11 of INV-0002's window: no discount, 20 stays open.
    let out = pay(&l, "ACME", "980", "2026-11-13", &["--invoice", "INV-0002"]);
    assert!(!out.contains("discount"), "{out}");
    assert_eq!(field(&l, "INV-0002", "open"), "20.00");
    // Instalments inside the window: the one that reaches 490 closes INV-0003 and the
    // rest of it goes on to INV-0002, oldest first.
    pay(&l, "ACME", "200", "2026-11-05", &["--invoice", "INV-0003"]);
    let out = pay(&l, "ACME", "300", "2026-11-13", &[]);
    assert_eq!(
        out,
        "Payment #4 from ACME: 300.00 USD on 2026-11-13\n  20.00 to INV-0002\n  280.00 to INV-0003\n"
    );
    // INV-0002 is due first and past its window, so it takes 20; INV-0003's window
    // (to 11-13) is still open, and 280 brings it to 480 of the 490 needed.
    assert_eq!(field(&l, "INV-0003", "open"), "20.00");
    let out = pay(&l, "ACME", "10", "2026-11-13", &[]);
    assert_eq!(
        out,
        "Payment #5 from ACME: 10.00 USD on 2026-11-13\n  10.00 to INV-0003\n  10.00 early-payment discount granted on INV-0003\n"
    );
    assert_eq!(field(&l, "INV-0003", "open"), "0.00");
    assert_eq!(balances(&l, "ACME"), vec![], "nothing open, no credit");
}

#[test]
fn payment_list_counts_only_payments_dated_up_to_as_of() {
    let l = snapshot_ledger();
    let dates = |args: &[&str]| -> Vec<String> {
        raw_rows(&l.ok(args))
            .iter()
            .map(|p| raw(p, "date").trim_matches('"').to_string())
            .collect()
    };
    assert_eq!(
        dates(&["payment", "list", "--as-of", "2026-09-30", "--format", "json"]),
        ["2026-07-01", "2026-07-15", "2026-09-20"]
    );
    assert_eq!(
        dates(&["payment", "list", "--client", "acme", "--format", "json"]),
        ["2026-09-20", "2026-10-30"]
    );
    // The credit a payment held then: ACME's 450.00 EUR of 10-30 held 50.00 from its
    // own day on.
    let rows = raw_rows(&l.ok(&[
        "payment",
        "list",
        "--client",
        "ACME",
        "--as-of",
        "2026-10-30",
        "--format",
        "json",
    ]));
    assert_eq!(raw(&rows[1], "unapplied"), "50.00");
    l.fails(&["payment", "list", "--as-of", "30/10/2026"], 1);
}

// ---------------------------------------------------------------------------------
// What a user sees: the fixed snapshot ledger (tests/common), today 2026-11-23.

#[test]
fn payment_list_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!("payment_list_table", l.ok(&["payment", "list"]));
    insta::assert_snapshot!(
        "payment_list_json",
        l.ok(&["payment", "list", "--format", "json"])
    );
    insta::assert_snapshot!("payment_list_csv", l.ok(&["payment", "list", "--format", "csv"]));
}
