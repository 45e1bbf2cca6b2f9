//! `ar add-invoice` and `ar invoice list|show|void`: amounts and their currencies,
//! numbering, dates, terms, voids, and what the lists and the detail show.

use crate::common::{
    TestLedger, acme, add_invoice, alloc, allocations, bal, balances, compact, field, invoice_json, pay, raw,
    raw_object, raw_rows, snapshot_ledger,
};

// ---------------------------------------------------------------------------------
// The walkthrough of the first commands, kept whole: each step's figures follow from
// the ones before.

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
    assert_eq!(
        out,
        "Invoice INV-7 for ACME: 99.95 NZD, issued 2026-11-23, due 2026-12-15 (22 days after issue, as given)\n",
        "issue date defaults to today (AR_TODAY); a given due date is said as given"
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
    assert!(show.contains("INV-7 — ACME (paid as of 2026-11-23)"), "{show}");
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
    assert!(err.contains("invalid credit limit `-1`"), "{err}");
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
// Dates and terms.

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
    // (The same date and amount as the payment before, and no reference: `ar pay`
    // warns that it may be that payment entered twice.)
    let out = l.run(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "980",
        "--date",
        "2026-11-05",
        "--invoice",
        "INV-0002",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("warning: ACME already had a payment with the same date"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("discount"), "{}", out.stdout);
    assert_eq!(field(&l, "INV-0002", "open"), "20.00");
    // A given due date wins over the terms, and is said to be the one given.
    let out = add_invoice(&l, "ACME", "1", "2026-11-01", &["--due", "2026-11-15"]);
    assert!(
        out.contains("due 2026-11-15 (14 days after issue, as given)"),
        "{out}"
    );
    // ... and so does `invoice show`, not the terms that did not set it.
    let number = out.split_whitespace().nth(1).unwrap();
    let shown = l.ok(&["invoice", "show", number]);
    assert!(
        shown.contains("due:     2026-11-15 (14 days after issue, as given"),
        "{shown}"
    );
    let shown = l.ok(&["invoice", "show", "INV-0002"]);
    assert!(!shown.contains("as given"), "{shown}");
    let out = add_invoice(&l, "ACME", "1", "2026-11-01", &["--due", "2026-11-01"]);
    assert!(
        out.contains("due 2026-11-01 (0 days after issue, as given)"),
        "{out}"
    );
}

#[test]
fn a_due_date_past_9999_12_30_is_refused_and_the_ledger_stays_readable() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    // Net 30 from 9999-12-20 would be due in the year 10000.
    let err = l.fails(
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "100",
            "--date",
            "9999-12-20",
        ],
        1,
    );
    assert!(
        err.contains("`9999-12-20`") && err.contains("would fall after 9999-12-30"),
        "the message names the date the user typed and the limit: {err}"
    );
    let list = l.ok(&["client", "list"]);
    assert!(list.contains("ACME"), "{list}");
    l.ok(&["invoice", "list"]);
}

#[test]
fn the_date_9999_12_31_is_refused() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let err = l.fails(
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "100",
            "--date",
            "9999-12-31",
        ],
        1,
    );
    assert_eq!(
        err.trim_end(),
        "error: invalid issue date `9999-12-31`: dates must be on or before 9999-12-30"
    );
}

#[test]
fn a_year_must_have_four_digits() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let err = l.fails(
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "100",
            "--date",
            "+999-01-01",
        ],
        1,
    );
    assert_eq!(
        err.trim_end(),
        "error: invalid issue date `+999-01-01`: write dates as YYYY-MM-DD, like 2026-11-23"
    );
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
    // Dated on its issue date, the void removes it from every date.
    let out = l.ok(&[
        "invoice",
        "void",
        "inv-0001",
        "--date",
        "2026-10-01",
        "--reason",
        "-issued twice",
    ]);
    assert_eq!(
        out,
        "Voided invoice INV-0001 for ACME (100.00 USD); it no longer counts in any balance on any date\n"
    );
    let inv = invoice_json(&l, "INV-0001");
    assert_eq!(raw(&inv, "status"), r#""void""#);
    assert_eq!(raw(&inv, "amount"), "100.00");
    assert_eq!(raw(&inv, "open"), "0.00");
    assert_eq!(raw(&inv, "voided_on"), r#""2026-10-01""#);
    assert_eq!(raw(&inv, "void_from"), r#""2026-10-01""#);
    assert_eq!(raw(&inv, "void_reason"), r#""-issued twice""#);
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "250.00", "250.00", "0.00")]);
    // Past reports leave it out too: on 10-15 only INV-0002 was open.
    let past = raw_rows(&l.ok(&[
        "invoice",
        "list",
        "--open",
        "--as-of",
        "2026-10-15",
        "--format",
        "json",
    ]));
    let numbers: Vec<&str> = past.iter().map(|r| raw(r, "number")).collect();
    assert_eq!(numbers, [r#""INV-0002""#]);
    let inv = raw_object(&l.ok(&[
        "invoice",
        "show",
        "INV-0001",
        "--as-of",
        "2026-10-15",
        "--format",
        "json",
    ]));
    assert_eq!(raw(&inv, "status"), r#""void""#);
    assert_eq!(raw(&inv, "open"), "0.00");
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
    assert_eq!(
        err.trim_end(),
        "error: invoice `INV-0002` has 250.00 USD allocated to it on or before 2026-11-23 and \
         cannot be void from then: reverse the payments (`ar payment reverse ID`) or issue a \
         credit note (`ar credit-note --invoice INV-0002`)"
    );
}

#[test]
fn void_takes_effect_from_its_date_today_by_default() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    add_invoice(&l, "ACME", "250", "2026-10-02", &[]);
    let out = l.ok(&["invoice", "void", "INV-0001"]);
    assert_eq!(
        out,
        "Voided invoice INV-0001 for ACME (100.00 USD); it no longer counts in any balance \
         from 2026-11-23 on (reports as of earlier dates still count it)\n"
    );
    let inv = invoice_json(&l, "INV-0001");
    assert_eq!(raw(&inv, "status"), r#""void""#);
    assert_eq!(raw(&inv, "open"), "0.00");
    assert_eq!(raw(&inv, "voided_on"), r#""2026-11-23""#);
    assert_eq!(raw(&inv, "void_from"), r#""2026-11-23""#);
    assert_eq!(balances(&l, "ACME"), vec![bal("USD", "250.00", "250.00", "0.00")]);
    // The day before, it counts as it did.
    let inv = raw_object(&l.ok(&[
        "invoice",
        "show",
        "INV-0001",
        "--as-of",
        "2026-11-22",
        "--format",
        "json",
    ]));
    assert_eq!(raw(&inv, "status"), r#""open""#);
    assert_eq!(raw(&inv, "open"), "100.00");
    let open = raw_rows(&l.ok(&[
        "invoice",
        "list",
        "--open",
        "--as-of",
        "2026-11-22",
        "--format",
        "json",
    ]));
    assert_eq!(open.len(), 2, "{open:?}");
    let aging = compact(&l.ok(&["aging", "--as-of", "2026-11-22", "--format", "json"]));
    assert!(
        aging.contains(r#""total": 350.00,"unapplied": 0.00,"net": 350.00"#),
        "{aging}"
    );
    let aging = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(
        aging.contains(r#""total": 250.00,"unapplied": 0.00,"net": 250.00"#),
        "{aging}"
    );
    // A payment from the void's date on passes over it.
    let out = pay(&l, "ACME", "300", "2026-11-23", &[]);
    assert!(
        out.contains("250.00 to INV-0002") && out.contains("50.00 held as unapplied credit"),
        "{out}"
    );
    assert!(!out.contains("INV-0001"), "{out}");
}

#[test]
fn void_of_a_partly_or_discount_paid_invoice_is_refused() {
    let l = TestLedger::new();
    acme(&l, "2/10 net 30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    pay(&l, "ACME", "0.01", "2026-10-05", &["--invoice", "INV-0001"]);
    let err = l.fails(&["invoice", "void", "INV-0001"], 1);
    assert!(
        err.contains("invoice `INV-0001` has 0.01 USD allocated to it on or before 2026-11-23")
            && err.contains("cannot be void from then"),
        "{err}"
    );
    // On the payment's own date too; only a void dated before it (here the
    // issue date) would be possible.
    let err = l.fails(&["invoice", "void", "INV-0001", "--date", "2026-10-05"], 1);
    assert!(
        err.contains("has 0.01 USD allocated to it on or before 2026-10-05"),
        "{err}"
    );
    // 98.00 paid and 2.00 discount: 100.00 allocated.
    pay(&l, "ACME", "98", "2026-10-05", &["--invoice", "INV-0002"]);
    let err = l.fails(&["invoice", "void", "INV-0002"], 1);
    assert!(
        err.contains("invoice `INV-0002` has 100.00 USD allocated to it on or before 2026-11-23")
            && err.contains("cannot be void from then"),
        "{err}"
    );
}

#[test]
fn void_with_allocations_does_not_point_at_a_missing_command() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    add_invoice(&l, "ACME", "100", "2026-11-01", &[]);
    add_invoice(&l, "ACME", "100", "2026-11-01", &[]);
    pay(&l, "ACME", "50", "2026-11-05", &[]);
    pay(&l, "ACME", "30", "2026-11-06", &["--invoice", "INV-0002"]);
    let err = l.fails(&["invoice", "void", "INV-0001"], 1);
    assert_eq!(
        err.trim_end(),
        "error: invoice `INV-0001` has 50.00 USD allocated to it on or before 2026-11-23 and \
         cannot be void from then: reverse the payments (`ar payment reverse ID`) or issue a \
         credit note (`ar credit-note --invoice INV-0001`)"
    );
    // Both ways out exist and work. Reversed, the payment leaves nothing allocated
    // (net of its reversal) and the void goes through.
    l.ok(&[
        "payment",
        "reverse",
        "1",
        "--date",
        "2026-11-10",
        "--reason",
        "bounced",
    ]);
    let out = l.ok(&["invoice", "void", "INV-0001"]);
    assert!(out.starts_with("Voided invoice INV-0001"), "{out}");
    // A credit note for what is open settles the invoice instead of a void.
    l.ok(&[
        "credit-note",
        "--client",
        "ACME",
        "--invoice",
        "INV-0002",
        "--amount",
        "70",
        "--date",
        "2026-11-10",
        "--reason",
        "issued in error",
    ]);
    assert_eq!(field(&l, "INV-0002", "open"), "0.00");
}

// ---------------------------------------------------------------------------------
// As of a date.

#[test]
fn invoice_list_and_show_count_only_what_is_dated_up_to_as_of() {
    let l = snapshot_ledger();
    // On 09-30: INV-0001 had 1,000.00 of the payment of 09-20; INV-0003 was not yet
    // paid (10-30); INV-0002 (issued 10-01) did not exist yet.
    let rows = raw_rows(&l.ok(&[
        "invoice",
        "list",
        "--client",
        "ACME",
        "--as-of",
        "2026-09-30",
        "--format",
        "json",
    ]));
    let numbers: Vec<&str> = rows.iter().map(|r| raw(r, "number")).collect();
    assert_eq!(numbers, [r#""INV-0001""#, r#""INV-0003""#]);
    assert_eq!(raw(&rows[0], "open"), "250.00");
    assert_eq!(raw(&rows[1], "open"), "400.00");
    let show = l.ok(&["invoice", "show", "INV-0003", "--as-of", "2026-09-30"]);
    assert!(
        show.starts_with("INV-0003 — ACME (open as of 2026-09-30)\n"),
        "{show}"
    );
    // Its entries up to that date: the issue alone, with what was open after it.
    let entries = show.split_once("\nEntries\n").expect("an Entries table").1;
    let rows: Vec<Vec<&str>> = entries
        .lines()
        .skip(1)
        .map(|r| r.split_whitespace().collect())
        .collect();
    assert_eq!(rows, [["2026-09-15", "issued", "400.00", "400.00"]], "{show}");
    let show = l.ok(&["invoice", "show", "INV-0003"]);
    assert!(
        show.starts_with("INV-0003 — ACME (paid as of 2026-11-23)\n"),
        "{show}"
    );
    // Today the payment of 10-30 (payment 2) is in it too, and leaves nothing open.
    let entries = show.split_once("\nEntries\n").expect("an Entries table").1;
    let rows: Vec<Vec<&str>> = entries
        .lines()
        .skip(1)
        .map(|r| r.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["2026-09-15", "issued", "400.00", "400.00"],
            vec!["2026-10-30", "payment", "2", "-400.00", "0.00"],
        ],
        "{show}"
    );
    // Before its issue date an invoice is not listed at all.
    let early = l.ok(&["invoice", "list", "--as-of", "2026-04-30", "--format", "json"]);
    assert_eq!(early.trim(), "[]");
    l.fails(&["invoice", "list", "--as-of", "2026-02-30"], 1);
}

// ---------------------------------------------------------------------------------
// What a user sees: the fixed snapshot ledger (tests/common), today 2026-11-23.

#[test]
fn invoice_list_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!("invoice_list_table", l.ok(&["invoice", "list"]));
    insta::assert_snapshot!(
        "invoice_list_json",
        l.ok(&["invoice", "list", "--format", "json"])
    );
    insta::assert_snapshot!("invoice_list_csv", l.ok(&["invoice", "list", "--format", "csv"]));
}

#[test]
fn invoice_show_snapshots() {
    let l = snapshot_ledger();
    // A payment and the discount it earned.
    insta::assert_snapshot!("invoice_show_table", l.ok(&["invoice", "show", "INV-0005"]));
    insta::assert_snapshot!(
        "invoice_show_json",
        l.ok(&["invoice", "show", "INV-0005", "--format", "json"])
    );
    insta::assert_snapshot!(
        "invoice_show_csv",
        l.ok(&["invoice", "show", "INV-0005", "--format", "csv"])
    );
    // Partly paid, overdue; and a void with its reason.
    insta::assert_snapshot!(
        "invoice_show_partly_paid_table",
        l.ok(&["invoice", "show", "INV-0001"])
    );
    insta::assert_snapshot!("invoice_show_void_table", l.ok(&["invoice", "show", "INV-0004"]));
}

#[test]
fn a_void_dated_before_the_issue_date_is_refused() {
    let l = crate::common::small_ledger();
    let err = l.fails(&["invoice", "void", "B-1", "--date", "2026-01-04"], 1);
    assert!(
        err.contains("invoice `B-1` was issued on 2026-01-05: a void dated 2026-01-04 would be before it"),
        "{err}"
    );
    let out = l.ok(&["invoice", "void", "B-1", "--date", "2026-01-05"]);
    assert!(out.starts_with("Voided invoice B-1"), "{out}");
}
