//! Issue 2: the ledger and its first commands.

use crate::common::{RawObject, TestLedger, raw, raw_object, raw_rows};

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

// ---------------------------------------------------------------------------------
// Helpers: read the ledger back through the binary, keeping amounts as raw JSON text.

/// `ar invoice show NUMBER --format json`, members as raw text.
fn invoice(l: &TestLedger, number: &str) -> RawObject {
    raw_object(&l.ok(&["invoice", "show", number, "--format", "json"]))
}

/// One member of an invoice as raw JSON, e.g. `field(l, "INV-0001", "open") == "250.00"`.
fn field(l: &TestLedger, number: &str, key: &str) -> String {
    raw(&invoice(l, number), key).to_string()
}

/// How an invoice was settled: `(payment id, kind, date, amount)`, raw JSON text.
fn allocations(l: &TestLedger, number: &str) -> Vec<(String, String, String, String)> {
    let inv = invoice(l, number);
    raw_rows(raw(&inv, "allocations"))
        .iter()
        .map(|a| {
            (
                raw(a, "payment_id").to_string(),
                raw(a, "kind").trim_matches('"').to_string(),
                raw(a, "date").trim_matches('"').to_string(),
                raw(a, "amount").to_string(),
            )
        })
        .collect()
}

fn alloc(payment: &str, kind: &str, date: &str, amount: &str) -> (String, String, String, String) {
    (payment.into(), kind.into(), date.into(), amount.into())
}

/// A client's balances from `ar client show CODE --format json`:
/// `(currency, open, overdue, unapplied)` per currency.
fn balances(l: &TestLedger, code: &str) -> Vec<(String, String, String, String)> {
    let c = raw_object(&l.ok(&["client", "show", code, "--format", "json"]));
    raw_rows(raw(&c, "balances"))
        .iter()
        .map(|b| {
            (
                raw(b, "currency").trim_matches('"').to_string(),
                raw(b, "open").to_string(),
                raw(b, "overdue").to_string(),
                raw(b, "unapplied").to_string(),
            )
        })
        .collect()
}

fn bal(currency: &str, open: &str, overdue: &str, unapplied: &str) -> (String, String, String, String) {
    (currency.into(), open.into(), overdue.into(), unapplied.into())
}

/// `ar add-invoice --client C --amount A --date D [extra...]`, returns stdout.
fn add_invoice(l: &TestLedger, client: &str, amount: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "add-invoice",
        "--client",
        client,
        "--amount",
        amount,
        "--date",
        date,
    ];
    args.extend_from_slice(extra);
    l.ok(&args)
}

/// `ar pay --client C --amount A --date D [extra...]`, returns stdout.
fn pay(l: &TestLedger, client: &str, amount: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec!["pay", "--client", client, "--amount", amount, "--date", date];
    args.extend_from_slice(extra);
    l.ok(&args)
}

fn acme(l: &TestLedger, terms: &str) {
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd", "--terms", terms]);
}

// ---------------------------------------------------------------------------------
// The walkthrough of issue 2, command by command.

#[test]
fn issue_walkthrough_in_nzd() {
    let l = TestLedger::new();
    let out = l.ok(&["init", "--currency", "NZD"]);
    assert!(out.contains("currency NZD") && out.contains("net 30"), "{out}");
    let out = l.ok(&[
        "client",
        "add",
        "ACME",
        "--name",
        "Acme Ltd",
        "--email",
        "accounts@acme.example",
        "--terms",
        "30",
        "--credit-limit",
        "20000",
    ]);
    assert_eq!(
        out,
        "Added client ACME (Acme Ltd), terms net 30, credit limit 20,000.00 NZD\n"
    );

    let out = add_invoice(&l, "acme", "1,250.00", "2026-11-01", &[]);
    assert_eq!(
        out,
        "Invoice INV-0001 for ACME: 1,250.00 NZD, issued 2026-11-01, due 2026-12-01 (net 30)\n"
    );
    let out = l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "99.95",
        "--number",
        "INV-7",
        "--due",
        "2026-12-15",
    ]);
    assert!(
        out.starts_with("Invoice INV-7 for ACME: 99.95 NZD, issued 2026-11-23, due 2026-12-15"),
        "issue date defaults to today (AR_TODAY): {out}"
    );

    let out = pay(&l, "ACME", "1000", "2026-11-20", &["--reference", "bank 123"]);
    assert_eq!(
        out,
        "Payment #1 from ACME: 1,000.00 NZD on 2026-11-20 (ref bank 123)\n  1,000.00 to INV-0001\n"
    );
    let out = l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "99.95",
        "--invoice",
        "INV-7",
    ]);
    assert_eq!(
        out,
        "Payment #2 from ACME: 99.95 NZD on 2026-11-23\n  99.95 to INV-7\n"
    );

    let list = l.ok(&["client", "list"]);
    let row = list.lines().find(|r| r.contains("ACME")).expect("ACME listed");
    assert!(
        row.contains("Acme Ltd") && row.contains("20,000.00") && row.contains("250.00"),
        "{list}"
    );
    let show = l.ok(&["client", "show", "ACME"]);
    assert!(
        show.contains("balance:      250.00 NZD open (0.00 overdue), 0.00 unapplied credit"),
        "{show}"
    );
    assert!(show.contains("INV-0001") && !show.contains("INV-7 "), "{show}");
    assert_eq!(balances(&l, "acme"), vec![bal("NZD", "250.00", "0.00", "0.00")]);

    let rows = raw_rows(&l.ok(&[
        "invoice", "list", "--open", "--client", "ACME", "--format", "json",
    ]));
    assert_eq!(rows.len(), 1, "only INV-0001 is open");
    assert_eq!(raw(&rows[0], "number"), r#""INV-0001""#);
    assert_eq!(raw(&rows[0], "currency"), r#""NZD""#);
    assert_eq!(raw(&rows[0], "amount"), "1250.00");
    assert_eq!(raw(&rows[0], "settled"), "1000.00");
    assert_eq!(raw(&rows[0], "open"), "250.00");
    assert_eq!(raw(&rows[0], "due_date"), r#""2026-12-01""#);

    let show = l.ok(&["invoice", "show", "INV-7"]);
    assert!(show.contains("INV-7 — ACME (paid)"), "{show}");
    assert!(show.contains("2026-11-23") && show.contains("99.95"), "{show}");
    assert_eq!(
        allocations(&l, "inv-7"),
        vec![alloc("2", "payment", "2026-11-23", "99.95")]
    );

    let err = l.fails(&["invoice", "void", "INV-8"], 1);
    assert!(
        err.contains("unknown invoice `INV-8`") && err.contains("ar invoice list"),
        "{err}"
    );

    assert_eq!(
        l.ok(&["payment", "list", "--format", "csv"]),
        "id,date,client,currency,amount,invoice,reference,unapplied\n\
         1,2026-11-20,ACME,NZD,1000.00,,bank 123,0.00\n\
         2,2026-11-23,ACME,NZD,99.95,INV-7,,0.00\n"
    );
}

#[test]
fn init_is_optional_and_defaults_to_usd_net_30() {
    let l = TestLedger::new();
    assert!(!l.db.exists());
    l.ok(&["client", "add", "ACME", "--name", "Acme Ltd"]);
    assert!(l.db.exists(), "the first command creates the ledger");
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

// ---------------------------------------------------------------------------------
// Money: exact minor units, digits per currency.

#[test]
fn money_is_exact_for_zero_two_and_three_digit_currencies() {
    let jpy = TestLedger::new();
    jpy.ok(&["init", "--currency", "JPY"]);
    acme(&jpy, "30");
    let out = add_invoice(&jpy, "ACME", "1,200", "2026-11-01", &[]);
    assert!(out.contains("1,200 JPY"), "{out}");
    assert_eq!(field(&jpy, "INV-0001", "amount"), "1200");
    let err = jpy.fails(&["add-invoice", "--client", "ACME", "--amount", "1200.5"], 1);
    assert!(
        err.contains("`1200.5`") && err.contains("JPY allows 0 decimal places"),
        "{err}"
    );
    pay(&jpy, "ACME", "1,199", "2026-11-02", &[]);
    assert_eq!(field(&jpy, "INV-0001", "open"), "1");

    let kwd = TestLedger::new();
    kwd.ok(&["init", "--currency", "KWD"]);
    acme(&kwd, "30");
    add_invoice(&kwd, "ACME", "1.234", "2026-11-01", &[]);
    add_invoice(&kwd, "ACME", "0.1", "2026-11-01", &[]);
    assert_eq!(field(&kwd, "INV-0001", "amount"), "1.234");
    assert_eq!(field(&kwd, "INV-0002", "amount"), "0.100");
    let err = kwd.fails(&["add-invoice", "--client", "ACME", "--amount", "1.2345"], 1);
    assert!(err.contains("KWD allows 3 decimal places"), "{err}");
    let out = pay(&kwd, "ACME", "1.333", "2026-11-02", &[]);
    assert!(
        out.contains("1.234 to INV-0001") && out.contains("0.099 to INV-0002"),
        "{out}"
    );
    assert_eq!(field(&kwd, "INV-0002", "open"), "0.001");

    // USD, plus invoices in other currencies in the same ledger: never added together.
    let usd = TestLedger::new();
    acme(&usd, "30");
    add_invoice(&usd, "ACME", "1234.5", "2026-11-01", &[]);
    add_invoice(&usd, "ACME", "0.01", "2026-11-01", &[]);
    add_invoice(&usd, "ACME", "1,000,000", "2026-11-01", &["--currency", "jpy"]);
    add_invoice(&usd, "ACME", "2.5", "2026-11-01", &["--currency", "KWD"]);
    assert_eq!(field(&usd, "INV-0001", "amount"), "1234.50");
    assert_eq!(field(&usd, "INV-0002", "amount"), "0.01");
    assert_eq!(field(&usd, "INV-0003", "amount"), "1000000");
    assert_eq!(field(&usd, "INV-0003", "currency"), r#""JPY""#);
    assert_eq!(field(&usd, "INV-0004", "amount"), "2.500");
    assert_eq!(
        balances(&usd, "ACME"),
        vec![
            bal("JPY", "1000000", "0", "0"),
            bal("KWD", "2.500", "0.000", "0.000"),
            bal("USD", "1234.51", "0.00", "0.00"),
        ]
    );
    // An unnamed payment in USD only reaches USD invoices.
    let out = pay(&usd, "ACME", "2000", "2026-11-02", &[]);
    assert!(out.contains("765.49 held as unapplied credit"), "{out}");
    assert_eq!(field(&usd, "INV-0003", "open"), "1000000");
}

#[test]
fn bad_amounts_are_refused_with_the_reason() {
    let l = TestLedger::new();
    acme(&l, "30");
    for (amount, reason) in [
        ("-5", "must be positive"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("", "empty"),
        ("abc", "like 1,234.56"),
        ("12a", "like 1,234.56"),
        ("1e5", "like 1,234.56"),
        ("1,23.00", "like 1,234.56"),
        ("1.", "digits are missing after the decimal point"),
        ("1.234", "USD allows 2 decimal places"),
        ("99999999999999999999", "too large"),
        ("92233720368547758.07", "too large"),
        (
            "10,000,000,000,000",
            "too large: at most 9,999,999,999,999.99 USD",
        ),
    ] {
        let err = l.fails(&["add-invoice", "--client", "ACME", "--amount", amount], 1);
        assert!(
            err.contains(&format!("invalid amount `{amount}`")) && err.contains(reason),
            "{amount:?}: {err}"
        );
        let err = l.fails(&["pay", "--client", "ACME", "--amount", amount], 1);
        assert!(err.contains(reason), "pay {amount:?}: {err}");
    }
    let err = l.fails(&["client", "add", "X", "--name", "X", "--credit-limit", "-1"], 1);
    assert!(err.contains("invalid amount `-1`"), "{err}");
}

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
// Invoice numbering.

#[test]
fn invoice_numbers_follow_the_sequence_and_skip_given_ones() {
    let l = TestLedger::new();
    acme(&l, "30");
    let number = |out: String| out.split_whitespace().nth(1).unwrap().to_string();
    assert_eq!(
        number(add_invoice(&l, "ACME", "1", "2026-11-01", &[])),
        "INV-0001"
    );
    assert_eq!(
        number(add_invoice(&l, "ACME", "1", "2026-11-01", &[])),
        "INV-0002"
    );
    // Numbers given by hand, one of them the sequence's next (in other case).
    assert_eq!(
        number(add_invoice(
            &l,
            "ACME",
            "1",
            "2026-11-01",
            &["--number", "inv-0003"]
        )),
        "inv-0003"
    );
    assert_eq!(
        number(add_invoice(
            &l,
            "ACME",
            "1",
            "2026-11-01",
            &["--number", "SPECIAL-1"]
        )),
        "SPECIAL-1"
    );
    assert_eq!(
        number(add_invoice(&l, "ACME", "1", "2026-11-01", &[])),
        "INV-0004"
    );

    for dup in ["INV-0001", "inv-0001", "Special-1", " INV-0004 "] {
        let err = l.fails(
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--number",
                dup,
            ],
            1,
        );
        assert!(
            err.contains(&format!("invoice `{}` already exists", dup.trim()))
                && err.contains("leave out --number"),
            "{dup}: {err}"
        );
    }
    let err = l.fails(
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "5",
            "--number",
            "  ",
        ],
        1,
    );
    assert!(err.contains("invoice number is empty"), "{err}");
    // A refused number does not use up a number of the sequence.
    assert_eq!(
        number(add_invoice(&l, "ACME", "1", "2026-11-01", &[])),
        "INV-0005"
    );
}

// ---------------------------------------------------------------------------------
// Allocation (spec: Payments and allocation).

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
            bal("USD", "40.00", "40.00", "70.00"),
        ]
    );
}

#[test]
fn invoice_entered_late_but_issued_before_a_payment_takes_its_credit() {
    // Allocations are what a replay in (date, entry order) gives (spec): the invoice
    // was issued before the payment, so the payment reaches it.
    let l = TestLedger::new();
    acme(&l, "30");
    pay(&l, "ACME", "100", "2026-10-10", &[]);
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "0.00", "0.00", "100.00")]);
    let out = add_invoice(&l, "ACME", "60", "2026-10-01", &[]);
    assert!(
        out.contains("60.00 of earlier payments allocated to it; 0.00 open"),
        "{out}"
    );
    assert_eq!(
        allocations(&l, "INV-0001"),
        vec![alloc("1", "payment", "2026-10-10", "60.00")]
    );
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "0.00", "0.00", "40.00")]);
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
         \x20 dated before 1 later payment(s) of ACME: their allocation was recomputed in date order\n"
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
fn invoices_keep_the_terms_they_were_issued_with() {
    let l = TestLedger::new();
    acme(&l, "2/10 net 30");
    add_invoice(&l, "ACME", "1000", "2026-11-01", &[]);
    let out = l.ok(&["client", "edit", "acme", "--terms", "45"]);
    assert!(out.contains("terms net 45"), "{out}");
    assert_eq!(field(&l, "INV-0001", "due_date"), r#""2026-12-01""#);
    assert_eq!(field(&l, "INV-0001", "terms"), r#""2/10 net 30""#);
    let out = add_invoice(&l, "ACME", "1000", "2026-11-01", &[]);
    assert!(out.contains("due 2026-12-16 (net 45)"), "{out}");
    // The old invoice still has its discount window; the new one has none.
    let out = pay(&l, "ACME", "980", "2026-11-05", &["--invoice", "INV-0001"]);
    assert!(
        out.contains("20.00 early-payment discount granted on INV-0001"),
        "{out}"
    );
    let out = pay(&l, "ACME", "980", "2026-11-05", &["--invoice", "INV-0002"]);
    assert!(!out.contains("discount"), "{out}");
    assert_eq!(field(&l, "INV-0002", "open"), "20.00");
    // A given due date wins over the terms; the default client terms are the ledger's.
    let out = add_invoice(&l, "ACME", "1", "2026-11-01", &["--due", "2026-11-01"]);
    assert!(out.contains("due 2026-11-01"), "{out}");
}

// ---------------------------------------------------------------------------------
// Voids.

#[test]
fn void_keeps_the_row_and_leaves_every_balance() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    add_invoice(&l, "ACME", "250", "2026-10-02", &[]);
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "350.00", "350.00", "0.00")]);
    let out = l.ok(&["invoice", "void", "inv-0001", "--reason", "-issued twice"]);
    assert_eq!(
        out,
        "Voided invoice INV-0001 for ACME (100.00 USD); it no longer counts in any balance\n"
    );
    let inv = invoice(&l, "INV-0001");
    assert_eq!(raw(&inv, "status"), r#""void""#);
    assert_eq!(raw(&inv, "amount"), "100.00");
    assert_eq!(raw(&inv, "open"), "0.00");
    assert_eq!(raw(&inv, "voided_on"), r#""2026-11-23""#);
    assert_eq!(raw(&inv, "void_reason"), r#""-issued twice""#);
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "250.00", "250.00", "0.00")]);
    let all = raw_rows(&l.ok(&["invoice", "list", "--format", "json"]));
    assert_eq!(all.len(), 2, "a void invoice is never deleted");
    let open = raw_rows(&l.ok(&["invoice", "list", "--open", "--format", "json"]));
    assert_eq!(open.len(), 1);
    assert_eq!(raw(&open[0], "number"), r#""INV-0002""#);
    // Unnamed payments pass over it.
    let out = pay(&l, "ACME", "300", "2026-10-05", &[]);
    assert!(
        out.contains("250.00 to INV-0002") && out.contains("50.00 held as unapplied credit"),
        "{out}"
    );
    assert!(!out.contains("INV-0001"), "{out}");
    // Its number stays taken.
    let err = l.fails(
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "1",
            "--number",
            "INV-0001",
        ],
        1,
    );
    assert!(err.contains("already exists"), "{err}");

    let err = l.fails(&["invoice", "void", "INV-0001"], 1);
    assert!(err.contains("invoice `INV-0001` is already void"), "{err}");
    let err = l.fails(
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "5",
            "--invoice",
            "INV-0001",
        ],
        1,
    );
    assert!(
        err.contains("invoice `INV-0001` is void") && err.contains("leave out --invoice"),
        "{err}"
    );
    let err = l.fails(&["invoice", "void", "INV-0002"], 1);
    assert!(
        err.contains("invoice `INV-0002` has 250.00 USD of payments allocated")
            && err.contains("cannot be voided"),
        "{err}"
    );
}

#[test]
fn void_of_a_partly_or_discount_paid_invoice_is_refused() {
    let l = TestLedger::new();
    acme(&l, "2/10 net 30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    pay(&l, "ACME", "0.01", "2026-10-05", &["--invoice", "INV-0001"]);
    let err = l.fails(&["invoice", "void", "INV-0001"], 1);
    assert!(err.contains("0.01 USD of payments allocated"), "{err}");
    pay(&l, "ACME", "98", "2026-10-05", &["--invoice", "INV-0002"]);
    let err = l.fails(&["invoice", "void", "INV-0002"], 1);
    assert!(err.contains("cannot be voided"), "{err}");
}

// ---------------------------------------------------------------------------------
// Refusals: one line, exit 1, ledger unchanged (checked by `fails`).

#[test]
fn refusals_name_the_object_and_the_fix() {
    let l = TestLedger::new();
    acme(&l, "30");
    l.ok(&["client", "add", "GLOBEX", "--name", "Globex"]);
    add_invoice(&l, "ACME", "100", "2026-11-01", &[]);
    add_invoice(&l, "ACME", "100", "2026-11-10", &["--currency", "EUR"]);
    add_invoice(&l, "GLOBEX", "100", "2026-11-01", &[]);

    let cases: &[(&[&str], &[&str])] = &[
        (
            &["add-invoice", "--client", "NOPE", "--amount", "5"],
            &["unknown client `NOPE`", "ar client add NOPE"],
        ),
        (
            &["pay", "--client", "nope", "--amount", "5"],
            &["unknown client `nope`"],
        ),
        (&["client", "show", "NOPE"], &["unknown client `NOPE`"]),
        (
            &["client", "edit", "NOPE", "--name", "x"],
            &["unknown client `NOPE`"],
        ),
        (
            &["invoice", "list", "--client", "NOPE"],
            &["unknown client `NOPE`"],
        ),
        (
            &["payment", "list", "--client", "NOPE"],
            &["unknown client `NOPE`"],
        ),
        (
            &["client", "add", "acme", "--name", "Again"],
            &["client `acme` already exists", "ar client edit"],
        ),
        (
            &["client", "add", "A B", "--name", "x"],
            &["client code `A B` contains spaces"],
        ),
        (
            &["client", "add", "X", "--name", "x", "--email", "nope"],
            &["invalid email `nope`"],
        ),
        (
            &["client", "add", "X", "--name", "x", "--terms", "thirty"],
            &["invalid terms `thirty`", "2/10 net 30"],
        ),
        (
            &["client", "add", "X", "--name", "x", "--terms", "-5"],
            &["invalid terms `-5`"],
        ),
        (
            &["client", "add", "X", "--name", "x", "--terms", "2/40 net 30"],
            &["invalid terms `2/40 net 30`"],
        ),
        (
            &["client", "edit", "ACME", "--terms", "99999"],
            &["invalid terms `99999`"],
        ),
        (&["init", "--terms", "x"], &["invalid terms `x`"]),
        (
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--date",
                "2026-02-30",
            ],
            &["invalid date `2026-02-30`", "no such day"],
        ),
        (
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--date",
                "2026-13-01",
            ],
            &["invalid date `2026-13-01`"],
        ),
        (
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--date",
                "01/02/2026",
            ],
            &["invalid date `01/02/2026`", "YYYY-MM-DD"],
        ),
        (
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--due",
                "2026-11-31",
            ],
            &["invalid date `2026-11-31`"],
        ),
        (
            &["pay", "--client", "ACME", "--amount", "5", "--date", "2026-02-29"],
            &["invalid date `2026-02-29`"],
        ),
        (
            &["invoice", "void", "INV-0001", "--date", "yesterday"],
            &["invalid date `yesterday`"],
        ),
        (
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--date",
                "2026-11-10",
                "--due",
                "2026-11-09",
            ],
            &["due date 2026-11-09 is before the issue date 2026-11-10"],
        ),
        (
            &[
                "add-invoice",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--currency",
                "XYZ",
            ],
            &["unknown currency `XYZ`", "ISO 4217"],
        ),
        (
            &[
                "pay",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--currency",
                "dollars",
            ],
            &["unknown currency `dollars`"],
        ),
        (&["init", "--currency", "ABC"], &["unknown currency `ABC`"]),
        (
            &[
                "pay",
                "--client",
                "GLOBEX",
                "--amount",
                "5",
                "--invoice",
                "INV-0001",
            ],
            &[
                "invoice `INV-0001` belongs to client `ACME`, not `GLOBEX`",
                "leave out --invoice",
            ],
        ),
        (
            &[
                "pay",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--invoice",
                "INV-0002",
                "--date",
                "2026-11-09",
            ],
            &["invoice `INV-0002` was issued on 2026-11-10, after the payment date 2026-11-09"],
        ),
        (
            &[
                "pay",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--invoice",
                "INV-0002",
                "--currency",
                "USD",
            ],
            &[
                "invoice `INV-0002` is in EUR, the payment in USD",
                "--currency EUR",
            ],
        ),
        (
            &[
                "pay",
                "--client",
                "ACME",
                "--amount",
                "5",
                "--invoice",
                "INV-9999",
            ],
            &["unknown invoice `INV-9999`"],
        ),
        (&["invoice", "show", "INV-9999"], &["unknown invoice `INV-9999`"]),
        (&["invoice", "void", "INV-9999"], &["unknown invoice `INV-9999`"]),
    ];
    for (args, parts) in cases {
        let err = l.fails(args, 1);
        for part in *parts {
            assert!(err.contains(part), "ar {args:?}: `{part}` missing from:\n{err}");
        }
    }
    // A payment naming an invoice in its own currency works without --currency.
    let out = pay(&l, "ACME", "5", "2026-11-10", &["--invoice", "INV-0002"]);
    assert!(out.contains("5.00 EUR"), "{out}");
}

#[test]
fn usage_errors_exit_2_and_write_nothing() {
    let l = TestLedger::new();
    acme(&l, "30");
    for args in [
        &["add-invoice", "--client", "ACME"][..],
        &["pay", "--amount", "5"],
        &["add-invoice", "--client", "ACME", "--amount", "5", "--bogus"],
        &["invoice", "list", "--format", "xml"],
        &["client"],
        &["frobnicate"],
    ] {
        let err = l.fails(args, 2);
        assert!(err.starts_with("error:"), "{args:?}: {err}");
    }
    let out = l.cmd().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn text_that_starts_with_a_dash_is_a_value_not_a_flag() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "NEG", "--name", "-5 Ltd"]);
    add_invoice(&l, "NEG", "10", "2026-11-01", &["--description", "-discounted"]);
    pay(&l, "NEG", "10", "2026-11-02", &["--reference", "-123"]);
    let csv = l.ok(&["payment", "list", "--format", "csv"]);
    assert!(csv.contains(",'-123,"), "{csv}");
    let csv = l.ok(&["client", "list", "--format", "csv"]);
    assert!(csv.contains("NEG,'-5 Ltd,"), "{csv}");
}

// ---------------------------------------------------------------------------------
// Output formats.

#[test]
fn every_list_speaks_table_json_and_csv() {
    let l = TestLedger::new();
    l.ok(&[
        "client",
        "add",
        "EVIL",
        "--name",
        "=HYPERLINK(\"x\")",
        "--email",
        "@evil@example.com",
        "--credit-limit",
        "1,000",
    ]);
    add_invoice(
        &l,
        "EVIL",
        "250",
        "2026-10-01",
        &["--number", "+1", "--description", "@sum"],
    );
    pay(
        &l,
        "EVIL",
        "300",
        "2026-10-02",
        &["--reference", "=cmd|' /C calc'!A0"],
    );

    // client list
    let table = l.ok(&["client", "list"]);
    assert!(table.contains("=HYPERLINK") && table.contains("50.00"), "{table}");
    let rows = raw_rows(&l.ok(&["client", "list", "--format", "json"]));
    assert_eq!(rows.len(), 1);
    assert_eq!(raw(&rows[0], "credit_limit"), "1000.00");
    let bal = raw_rows(raw(&rows[0], "balances"));
    assert_eq!(raw(&bal[0], "open"), "0.00");
    assert_eq!(raw(&bal[0], "unapplied"), "50.00");
    assert_eq!(
        l.ok(&["client", "list", "--format", "csv"]),
        "code,name,email,terms,credit_limit,currency,open,overdue,unapplied\n\
         EVIL,\"'=HYPERLINK(\"\"x\"\")\",'@evil@example.com,net 30,1000.00,USD,0.00,0.00,50.00\n"
    );

    // invoice list
    let table = l.ok(&["invoice", "list"]);
    assert!(
        table.contains("+1") && table.contains("250.00") && table.contains("paid"),
        "{table}"
    );
    let rows = raw_rows(&l.ok(&["invoice", "list", "--format", "json"]));
    assert_eq!(raw(&rows[0], "amount"), "250.00");
    assert_eq!(raw(&rows[0], "open"), "0.00");
    assert_eq!(
        l.ok(&["invoice", "list", "--format", "csv"]),
        "number,client,currency,issue_date,due_date,amount,open,status,terms,description\n\
         '+1,EVIL,USD,2026-10-01,2026-10-31,250.00,0.00,paid,net 30,'@sum\n"
    );
    assert_eq!(
        l.ok(&["invoice", "list", "--open", "--format", "csv"]),
        "number,client,currency,issue_date,due_date,amount,open,status,terms,description\n"
    );
    assert_eq!(
        l.ok(&["invoice", "list", "--open", "--format", "json"]).trim(),
        "[]"
    );

    // payment list
    let table = l.ok(&["payment", "list"]);
    assert!(table.contains("300.00") && table.contains("50.00"), "{table}");
    let rows = raw_rows(&l.ok(&["payment", "list", "--format", "json"]));
    assert_eq!(raw(&rows[0], "amount"), "300.00");
    assert_eq!(raw(&rows[0], "unapplied"), "50.00");
    assert_eq!(raw(&rows[0], "invoice"), "null");
    assert_eq!(
        l.ok(&["payment", "list", "--client", "evil", "--format", "csv"]),
        "id,date,client,currency,amount,invoice,reference,unapplied\n\
         1,2026-10-02,EVIL,USD,300.00,,'=cmd|' /C calc'!A0,50.00\n"
    );

    // invoice show and client show too
    let csv = l.ok(&["invoice", "show", "+1", "--format", "csv"]);
    assert!(csv.lines().nth(1).unwrap().contains("250.00"), "{csv}");
    let show = raw_object(&l.ok(&["client", "show", "EVIL", "--format", "json"]));
    let credits = raw_rows(raw(&show, "credits"));
    assert_eq!(raw(&credits[0], "unapplied"), "50.00");
    let csv = l.ok(&["client", "show", "EVIL", "--format", "csv"]);
    assert!(csv.contains(",50.00"), "{csv}");
}

#[test]
fn empty_ledger_lists_are_empty_not_errors() {
    let l = TestLedger::new();
    for list in [
        &["client", "list"][..],
        &["invoice", "list"],
        &["payment", "list"],
    ] {
        let mut json = list.to_vec();
        json.extend(["--format", "json"]);
        assert_eq!(l.ok(&json).trim(), "[]", "{list:?}");
        let mut csv = list.to_vec();
        csv.extend(["--format", "csv"]);
        assert_eq!(l.ok(&csv).lines().count(), 1, "{list:?}: header only");
    }
}
