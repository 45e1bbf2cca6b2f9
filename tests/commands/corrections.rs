//! Corrections and adjustments (spec: "Corrections and adjustments (schema 2)"): credit
//! notes, write-offs, credit applications, refunds, payment reversals and dated voids,
//! on small hand-made ledgers whose figures are computed by hand in the comments.
//!
//! Every fact is checked in `ar aging --format json` as of a date before it, on it and
//! after it (each correction takes effect from its own date, so an earlier aging is
//! unchanged). Figures are compared as raw JSON text (`250.00`, never `250.0`), in
//! the order of [`figures`]: `current 1-30 31-60 61-90 90+ | total unapplied net`.
//!
//! Today is 2026-11-23 (tests/common); every date here is before it. Clients have
//! net 30 unless said, so an invoice issued 09-01 is due 10-01.

use crate::common::{
    TestLedger, acme, add_client, add_invoice, compact, field, invoice_json, pay, raw, raw_object, raw_rows,
};

// ---------------------------------------------------------------------------------
// Helpers.

/// One aging row (`client`, in `currency`) as of `as_of`, as its raw JSON figures:
/// `"current 1-30 31-60 61-90 90+ | total unapplied net"`, or `"none"` when the client
/// has no row (nothing open and no credit).
fn figures_in(l: &TestLedger, as_of: &str, client: &str, currency: &str) -> String {
    let report = raw_object(&l.ok(&["aging", "--as-of", as_of, "--format", "json"]));
    let rows = raw_rows(raw(&report, "rows"));
    let quoted = |s: &str| format!("\"{s}\"");
    let matching: Vec<_> = rows
        .iter()
        .filter(|r| raw(r, "client") == quoted(client) && raw(r, "currency") == quoted(currency))
        .collect();
    match matching.as_slice() {
        [] => "none".to_string(),
        [row] => {
            let buckets = ["current", "1-30", "31-60", "61-90", "90+"]
                .map(|k| raw(row, k).to_string())
                .join(" ");
            format!(
                "{buckets} | {} {} {}",
                raw(row, "total"),
                raw(row, "unapplied"),
                raw(row, "net")
            )
        }
        more => panic!("{} rows for {client} {currency} as of {as_of}", more.len()),
    }
}

/// [`figures_in`] for the ledger's default currency, USD.
fn figures(l: &TestLedger, as_of: &str, client: &str) -> String {
    figures_in(l, as_of, client, "USD")
}

/// The per-currency totals row as of `as_of`, in the same layout as [`figures`].
fn total_figures(l: &TestLedger, as_of: &str, currency: &str) -> String {
    let report = raw_object(&l.ok(&["aging", "--as-of", as_of, "--format", "json"]));
    let totals = raw_rows(raw(&report, "totals"));
    let row = totals
        .iter()
        .find(|r| raw(r, "currency") == format!("\"{currency}\""))
        .unwrap_or_else(|| panic!("no {currency} totals as of {as_of}"));
    let buckets = ["current", "1-30", "31-60", "61-90", "90+"]
        .map(|k| raw(row, k).to_string())
        .join(" ");
    format!(
        "{buckets} | {} {} {}",
        raw(row, "total"),
        raw(row, "unapplied"),
        raw(row, "net")
    )
}

/// Per-invoice aging as of `as_of`: `(number, open)` of each open invoice.
fn open_invoices(l: &TestLedger, as_of: &str) -> Vec<(String, String)> {
    let report = raw_object(&l.ok(&["aging", "--by", "invoice", "--as-of", as_of, "--format", "json"]));
    let mut rows: Vec<(String, String)> = raw_rows(raw(&report, "rows"))
        .iter()
        .map(|r| {
            (
                raw(r, "number").trim_matches('"').to_string(),
                raw(r, "open").to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// `ar check` finds the ledger sound.
fn sound(l: &TestLedger) {
    let out = l.ok(&["check"]);
    assert!(out.contains("is sound"), "{out}");
}

/// The as-of dates [`refused`] compares the aging at.
const PROBES: [&str; 5] = [
    "2026-09-15",
    "2026-09-30",
    "2026-10-15",
    "2026-10-31",
    "2026-11-23",
];

/// `ar args` is refused: exit 1 with a one-line `error: ...`, nothing written (the
/// dump of every table is unchanged, `TestLedger::fails`) and no aging changed.
/// Returns stderr.
fn refused(l: &TestLedger, args: &[&str]) -> String {
    let aging = |l: &TestLedger| -> Vec<String> {
        PROBES
            .iter()
            .map(|d| l.ok(&["aging", "--as-of", d, "--format", "json"]))
            .collect()
    };
    let before = aging(l);
    let err = l.fails(args, 1);
    assert_eq!(before, aging(l), "ar {args:?} was refused but an aging changed");
    err
}

/// `ar pay ...`, returning the payment's id from `Payment #N from ...`.
fn pay_id(l: &TestLedger, client: &str, amount: &str, date: &str, extra: &[&str]) -> String {
    let out = pay(l, client, amount, date, extra);
    let rest = out
        .split_once("Payment #")
        .unwrap_or_else(|| panic!("no payment id in {out:?}"))
        .1;
    rest.chars().take_while(char::is_ascii_digit).collect()
}

fn credit_note(l: &TestLedger, client: &str, amount: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "credit-note",
        "--client",
        client,
        "--amount",
        amount,
        "--date",
        date,
        "--reason",
        "test",
    ];
    args.extend_from_slice(extra);
    l.ok(&args)
}

fn write_off(l: &TestLedger, number: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec!["write-off", number, "--date", date, "--reason", "test"];
    args.extend_from_slice(extra);
    l.ok(&args)
}

fn apply_credit(l: &TestLedger, client: &str, date: &str, extra: &[&str]) -> String {
    let mut args = vec!["apply-credit", "--client", client, "--date", date];
    args.extend_from_slice(extra);
    l.ok(&args)
}

fn refund(l: &TestLedger, client: &str, amount: &str, date: &str) -> String {
    l.ok(&[
        "refund",
        "--client",
        client,
        "--amount",
        amount,
        "--date",
        date,
        "--reference",
        "bank 991",
    ])
}

fn reverse(l: &TestLedger, id: &str, date: &str) -> String {
    l.ok(&[
        "payment",
        "reverse",
        id,
        "--date",
        date,
        "--reason",
        "cheque bounced",
    ])
}

fn void(l: &TestLedger, number: &str, date: &str) -> String {
    l.ok(&[
        "invoice",
        "void",
        number,
        "--date",
        date,
        "--reason",
        "issued twice",
    ])
}

/// `ar days-to-pay --as-of D --format json`, compacted (see `common::compact`).
fn days_to_pay(l: &TestLedger, as_of: &str) -> String {
    compact(&l.ok(&["days-to-pay", "--as-of", as_of, "--format", "json"]))
}

// ---------------------------------------------------------------------------------
// Credit notes.

#[test]
fn credit_note_on_an_invoice_reduces_its_balance_from_its_date() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "1000", "2026-09-01", &[]); // INV-0001, due 10-01
    let out = l.ok(&[
        "credit-note",
        "--client",
        "ACME",
        "--amount",
        "150",
        "--invoice",
        "INV-0001",
        "--date",
        "2026-10-10",
        "--reason",
        "damaged goods",
    ]);
    assert!(out.contains("INV-0001"), "{out}");
    // Before: 1,000 open, 8 days overdue (1-30).
    assert_eq!(
        figures(&l, "2026-10-09", "ACME"),
        "0.00 1000.00 0.00 0.00 0.00 | 1000.00 0.00 1000.00"
    );
    // On its date: 1,000 − 150 = 850, 9 days overdue.
    assert_eq!(
        figures(&l, "2026-10-10", "ACME"),
        "0.00 850.00 0.00 0.00 0.00 | 850.00 0.00 850.00"
    );
    // After: 11-15 − 10-01 = 45 days overdue (31-60).
    assert_eq!(
        figures(&l, "2026-11-15", "ACME"),
        "0.00 0.00 850.00 0.00 0.00 | 850.00 0.00 850.00"
    );
    assert_eq!(
        total_figures(&l, "2026-11-15", "USD"),
        "0.00 0.00 850.00 0.00 0.00 | 850.00 0.00 850.00"
    );
    // A credit note never reduces "invoiced" in DSO: as of 10-10, open 850 ÷ invoiced
    // in (07-12, 10-10] 1,000 × 90 = 76.50.
    assert!(
        days_to_pay(&l, "2026-10-10").contains(r#""dso": 76.50}"#),
        "{}",
        days_to_pay(&l, "2026-10-10")
    );
    sound(&l);
}

#[test]
fn credit_note_beyond_the_open_balance_becomes_unapplied_credit() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]); // INV-0001, due 10-31
    pay(&l, "ACME", "40", "2026-10-05", &["--invoice", "INV-0001"]); // 60 open
    // 100 against 60 open: 60 onto INV-0001, 40 held as credit.
    credit_note(&l, "ACME", "100", "2026-10-12", &["--invoice", "INV-0001"]);
    assert_eq!(
        figures(&l, "2026-10-11", "ACME"),
        "60.00 0.00 0.00 0.00 0.00 | 60.00 0.00 60.00"
    );
    // Nothing open; net = 0 − 40.
    assert_eq!(
        figures(&l, "2026-10-12", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 40.00 -40.00"
    );
    assert_eq!(
        figures(&l, "2026-11-20", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 40.00 -40.00"
    );
    assert_eq!(field(&l, "INV-0001", "open"), "0.00");
    sound(&l);
}

#[test]
fn credit_note_without_an_invoice_is_all_unapplied_credit() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "500", "2026-09-01", &[]); // INV-0001, due 10-01
    credit_note(&l, "ACME", "200", "2026-10-05", &[]);
    // Before: 500, 3 days overdue.
    assert_eq!(
        figures(&l, "2026-10-04", "ACME"),
        "0.00 500.00 0.00 0.00 0.00 | 500.00 0.00 500.00"
    );
    // On: the invoice is untouched, 200 credit, net 500 − 200 = 300.
    assert_eq!(
        figures(&l, "2026-10-05", "ACME"),
        "0.00 500.00 0.00 0.00 0.00 | 500.00 200.00 300.00"
    );
    // After: 40 days overdue (31-60); the credit is not applied by itself.
    assert_eq!(
        figures(&l, "2026-11-10", "ACME"),
        "0.00 0.00 500.00 0.00 0.00 | 500.00 200.00 300.00"
    );
    assert_eq!(field(&l, "INV-0001", "open"), "500.00");
    sound(&l);
}

#[test]
fn early_payment_discount_is_computed_on_the_amount_less_earlier_credit_notes() {
    let l = TestLedger::new();
    acme(&l, "2/10 net 30");
    for _ in 0..3 {
        add_invoice(&l, "ACME", "1000", "2026-09-01", &[]); // INV-0001..3, due 10-01
    }
    // INV-0001: credit note 100 on 09-03, so the discount is 2 % of 900 = 18.00 and
    // 900 − 18 = 882.00 paid on day 7 closes it.
    credit_note(&l, "ACME", "100", "2026-09-03", &["--invoice", "INV-0001"]);
    pay(&l, "ACME", "882", "2026-09-08", &["--invoice", "INV-0001"]);
    // INV-0002: the same note, 881.00 is one short of 882.00: no discount,
    // 1,000 − 100 − 881 = 19.00 open.
    credit_note(&l, "ACME", "100", "2026-09-03", &["--invoice", "INV-0002"]);
    pay(&l, "ACME", "881", "2026-09-08", &["--invoice", "INV-0002"]);
    // INV-0003: paid 980 on 09-05 with a 20.00 discount (on the full 1,000); a credit
    // note dated after the payment is not in the base, and with nothing open it is
    // all credit.
    pay(&l, "ACME", "980", "2026-09-05", &["--invoice", "INV-0003"]);
    credit_note(&l, "ACME", "100", "2026-09-06", &["--invoice", "INV-0003"]);
    // As of 09-08: INV-0002 19.00 (current, due 10-01); credit 100; net 19 − 100.
    // (A discount on the full 1,000 would need only 880: INV-0001 and INV-0002 would
    // both close, with 2.00 and 1.00 over as credit: total 0.00, unapplied 103.00.)
    assert_eq!(
        figures(&l, "2026-09-08", "ACME"),
        "19.00 0.00 0.00 0.00 0.00 | 19.00 100.00 -81.00"
    );
    // Before the payments: 900 + 900 + 1,000 open, INV-0003's note not yet dated.
    assert_eq!(
        figures(&l, "2026-09-04", "ACME"),
        "2800.00 0.00 0.00 0.00 0.00 | 2800.00 0.00 2800.00"
    );
    assert_eq!(field(&l, "INV-0001", "open"), "0.00");
    let inv = invoice_json(&l, "INV-0001");
    let discounts: Vec<String> = raw_rows(raw(&inv, "allocations"))
        .iter()
        .filter(|a| raw(a, "kind") == r#""discount""#)
        .map(|a| raw(a, "amount").to_string())
        .collect();
    assert_eq!(discounts, ["18.00"], "{inv:?}");
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Write-offs.

#[test]
fn write_off_without_amount_takes_what_is_open_at_its_point_of_the_replay() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "300", "2026-08-01", &[]); // INV-0001, due 08-31
    pay(&l, "ACME", "100", "2026-09-10", &[]); // 200 open
    l.ok(&[
        "write-off",
        "INV-0001",
        "--date",
        "2026-10-01",
        "--reason",
        "client insolvent",
    ]);
    // Before: 200 open, 30 days overdue.
    assert_eq!(
        figures(&l, "2026-09-30", "ACME"),
        "0.00 200.00 0.00 0.00 0.00 | 200.00 0.00 200.00"
    );
    // On and after: nothing open and no credit, so no row.
    assert_eq!(figures(&l, "2026-10-01", "ACME"), "none");
    assert_eq!(figures(&l, "2026-11-01", "ACME"), "none");
    // A payment entered later but dated before the write-off shrinks it: 150 open on
    // 10-01 is written off, and the payment is not turned into credit.
    pay(&l, "ACME", "50", "2026-09-20", &[]);
    // 09-25: 300 − 100 − 50 = 150, 25 days overdue.
    assert_eq!(
        figures(&l, "2026-09-25", "ACME"),
        "0.00 150.00 0.00 0.00 0.00 | 150.00 0.00 150.00"
    );
    assert_eq!(figures(&l, "2026-10-01", "ACME"), "none");
    assert_eq!(figures(&l, "2026-11-01", "ACME"), "none");
    sound(&l);
}

#[test]
fn write_off_with_amount_reduces_the_balance_by_that_much() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100.05", "2026-09-01", &[]); // INV-0001, due 10-01
    l.ok(&[
        "write-off",
        "INV-0001",
        "--amount",
        "0.05",
        "--date",
        "2026-10-15",
        "--reason",
        "rounding",
    ]);
    // Before: 100.05, 13 days overdue.
    assert_eq!(
        figures(&l, "2026-10-14", "ACME"),
        "0.00 100.05 0.00 0.00 0.00 | 100.05 0.00 100.05"
    );
    // On: 100.05 − 0.05, 14 days overdue.
    assert_eq!(
        figures(&l, "2026-10-15", "ACME"),
        "0.00 100.00 0.00 0.00 0.00 | 100.00 0.00 100.00"
    );
    // After: 35 days overdue.
    assert_eq!(
        figures(&l, "2026-11-05", "ACME"),
        "0.00 0.00 100.00 0.00 0.00 | 100.00 0.00 100.00"
    );
    // A back-dated payment that leaves at least 0.05 open on 10-15 is accepted:
    // 100.05 − 60 = 40.05 then, 40.00 after the write-off (10-20: 19 days overdue).
    pay(&l, "ACME", "60", "2026-10-01", &[]);
    assert_eq!(
        figures(&l, "2026-10-20", "ACME"),
        "0.00 40.00 0.00 0.00 0.00 | 40.00 0.00 40.00"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Credit applications.

#[test]
fn apply_credit_without_an_invoice_goes_onto_open_invoices_oldest_first() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    add_invoice(&l, "ACME", "200", "2026-09-15", &[]); // INV-0002, due 10-15
    add_invoice(&l, "ACME", "50", "2026-10-20", &[]); // INV-0003, due 11-19
    // On 09-05 only INV-0001 is issued: 100 to it, 230 held as credit.
    pay(&l, "ACME", "330", "2026-09-05", &[]);
    // 10-25: INV-0002 200, 10 days overdue; INV-0003 50 current; net 250 − 230.
    let before = "50.00 200.00 0.00 0.00 0.00 | 250.00 230.00 20.00";
    assert_eq!(figures(&l, "2026-10-25", "ACME"), before);
    apply_credit(&l, "ACME", "2026-10-26", &[]);
    assert_eq!(
        figures(&l, "2026-10-25", "ACME"),
        before,
        "earlier aging unchanged"
    );
    // Oldest first by due date: INV-0002 (due 10-15) takes 200, INV-0003 (due 11-19)
    // the remaining 30 and keeps 20. Net is unchanged by applying credit.
    // (Newest first would leave 20 on INV-0002, in 1-30.)
    assert_eq!(
        figures(&l, "2026-10-26", "ACME"),
        "20.00 0.00 0.00 0.00 0.00 | 20.00 0.00 20.00"
    );
    // After: INV-0003 is 1 day overdue on 11-20.
    assert_eq!(
        figures(&l, "2026-11-20", "ACME"),
        "0.00 20.00 0.00 0.00 0.00 | 20.00 0.00 20.00"
    );
    assert_eq!(
        open_invoices(&l, "2026-10-26"),
        [("INV-0003".to_string(), "20.00".to_string())]
    );
    sound(&l);
}

#[test]
fn back_dated_invoice_takes_its_place_in_an_earlier_credit_application() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    pay(&l, "ACME", "150", "2026-09-02", &[]); // 100 to INV-0001, 50 credit
    add_invoice(&l, "ACME", "50", "2026-09-20", &[]); // INV-0002, due 10-20
    apply_credit(&l, "ACME", "2026-09-25", &[]); // all that fits: 50 onto INV-0002
    assert_eq!(open_invoices(&l, "2026-09-30"), []);
    // Entered later, issued 09-05 and due 10-05: on 09-25 it is older than INV-0002,
    // so a credit application stated as "all that fits" puts the 50 on it instead
    // (it follows the replay; only one with --amount keeps its figures).
    add_invoice(&l, "ACME", "50", "2026-09-05", &[]); // INV-0003, due 10-05
    assert_eq!(
        open_invoices(&l, "2026-09-30"),
        [("INV-0002".to_string(), "50.00".to_string())]
    );
    assert_eq!(field(&l, "INV-0003", "open"), "0.00");
    assert_eq!(field(&l, "INV-0002", "open"), "50.00");
    // Before the application both are open; the credit is held.
    assert_eq!(
        figures(&l, "2026-09-24", "ACME"),
        "100.00 0.00 0.00 0.00 0.00 | 100.00 50.00 50.00"
    );
    sound(&l);
}

#[test]
fn apply_credit_to_a_named_invoice_with_an_amount() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    add_invoice(&l, "ACME", "200", "2026-09-02", &[]); // INV-0002, due 10-02
    // 180 naming INV-0001: 100 to it, 80 credit.
    pay(&l, "ACME", "180", "2026-09-03", &["--invoice", "INV-0001"]);
    let before = "0.00 200.00 0.00 0.00 0.00 | 200.00 80.00 120.00";
    assert_eq!(figures(&l, "2026-10-09", "ACME"), before); // 7 days overdue
    apply_credit(
        &l,
        "ACME",
        "2026-10-10",
        &["--invoice", "INV-0002", "--amount", "50"],
    );
    assert_eq!(figures(&l, "2026-10-09", "ACME"), before);
    // On: 200 − 50 = 150 open, 80 − 50 = 30 credit; net still 120.
    assert_eq!(
        figures(&l, "2026-10-10", "ACME"),
        "0.00 150.00 0.00 0.00 0.00 | 150.00 30.00 120.00"
    );
    // After: 34 days overdue.
    assert_eq!(
        figures(&l, "2026-11-05", "ACME"),
        "0.00 0.00 150.00 0.00 0.00 | 150.00 30.00 120.00"
    );
    sound(&l);
}

#[test]
fn credit_is_used_oldest_source_first_by_date_not_entry_order() {
    let l = TestLedger::new();
    acme(&l, "30");
    // Entered first, dated 09-10: 100 of credit (nothing open yet).
    let p1 = pay_id(&l, "ACME", "100", "2026-09-10", &[]);
    // Entered second, dated 09-05: 60 of credit.
    credit_note(&l, "ACME", "60", "2026-09-05", &[]);
    add_invoice(&l, "ACME", "100", "2026-09-15", &[]); // INV-0001, due 10-15
    // 100 onto INV-0001: 60 from the note (09-05), then 40 from the payment (09-10),
    // which keeps 60.
    apply_credit(&l, "ACME", "2026-09-20", &[]);
    assert_eq!(
        figures(&l, "2026-09-30", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 60.00 -60.00"
    );
    // The payment bounces: the 40 applied from it is open again, its 60 is gone.
    // (Taking the payment's credit first would reopen 100 and keep the note's 60:
    // total 100.00, unapplied 60.00.)
    reverse(&l, &p1, "2026-10-01");
    assert_eq!(
        figures(&l, "2026-10-01", "ACME"),
        "40.00 0.00 0.00 0.00 0.00 | 40.00 0.00 40.00"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Refunds.

#[test]
fn refund_pays_credit_back_from_its_date() {
    let l = TestLedger::new();
    acme(&l, "30");
    pay(&l, "ACME", "100", "2026-10-01", &[]); // nothing open: 100 credit
    add_invoice(&l, "ACME", "40", "2026-10-05", &[]); // INV-0001, due 11-04
    l.ok(&[
        "refund",
        "--client",
        "ACME",
        "--amount",
        "20.97",
        "--date",
        "2026-10-10",
        "--reference",
        "bank 991",
    ]);
    // Before: 40 current, 100 credit, net −60.
    assert_eq!(
        figures(&l, "2026-10-09", "ACME"),
        "40.00 0.00 0.00 0.00 0.00 | 40.00 100.00 -60.00"
    );
    // On: 100 − 20.97 = 79.03 credit, net 40 − 79.03.
    assert_eq!(
        figures(&l, "2026-10-10", "ACME"),
        "40.00 0.00 0.00 0.00 0.00 | 40.00 79.03 -39.03"
    );
    // After: INV-0001 6 days overdue.
    assert_eq!(
        figures(&l, "2026-11-10", "ACME"),
        "0.00 40.00 0.00 0.00 0.00 | 40.00 79.03 -39.03"
    );
    // The rest of it back: no credit from 11-12.
    refund(&l, "ACME", "79.03", "2026-11-12");
    assert_eq!(
        figures(&l, "2026-11-12", "ACME"),
        "0.00 40.00 0.00 0.00 0.00 | 40.00 0.00 40.00"
    );
    assert_eq!(
        figures(&l, "2026-11-11", "ACME"),
        "0.00 40.00 0.00 0.00 0.00 | 40.00 79.03 -39.03"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Payment reversals.

#[test]
fn payment_reversal_reopens_what_it_paid_and_drops_its_credit_from_its_date() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "300", "2026-09-01", &[]); // INV-0001, due 10-01
    // 300 to INV-0001, 100 credit.
    let p = pay_id(&l, "ACME", "400", "2026-09-20", &[]);
    l.ok(&[
        "payment",
        "reverse",
        &p,
        "--date",
        "2026-10-05",
        "--reason",
        "cheque bounced",
    ]);
    assert_eq!(
        figures(&l, "2026-09-19", "ACME"),
        "300.00 0.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    // Between the payment and its reversal: paid, 100 credit.
    assert_eq!(
        figures(&l, "2026-10-04", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 100.00 -100.00"
    );
    // From the reversal: 300 open again (4 days overdue) and the credit gone.
    assert_eq!(
        figures(&l, "2026-10-05", "ACME"),
        "0.00 300.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    // After: 35 days overdue.
    assert_eq!(
        figures(&l, "2026-11-05", "ACME"),
        "0.00 0.00 300.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    sound(&l);
}

#[test]
fn reversal_on_the_payment_date_means_the_payment_never_counted() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    add_invoice(&l, "ACME", "70", "2026-09-02", &[]); // INV-0002, due 10-02
    let p1 = pay_id(&l, "ACME", "100", "2026-09-20", &[]); // INV-0001
    pay(&l, "ACME", "70", "2026-09-20", &[]); // entered second: INV-0002
    reverse(&l, &p1, "2026-09-20");
    // P1 never counted, so the second payment of 09-20 goes oldest first: 70 to
    // INV-0001 (30 left), INV-0002 untouched. (Taking P1 back only at the reversal's
    // place in the sequence would leave INV-0001 100 open and INV-0002 paid.)
    let expected = vec![
        ("INV-0001".to_string(), "30.00".to_string()),
        ("INV-0002".to_string(), "70.00".to_string()),
    ];
    assert_eq!(open_invoices(&l, "2026-09-20"), expected);
    assert_eq!(open_invoices(&l, "2026-09-25"), expected);
    assert_eq!(
        figures(&l, "2026-09-20", "ACME"),
        "100.00 0.00 0.00 0.00 0.00 | 100.00 0.00 100.00"
    );
    // No invoice ever reached zero.
    let dtp = days_to_pay(&l, "2026-09-30");
    assert!(dtp.contains(r#""overall": {"invoices_paid": 0,"#), "{dtp}");
    sound(&l);
}

#[test]
fn reversal_takes_back_the_early_payment_discount() {
    let l = TestLedger::new();
    acme(&l, "2/10 net 30");
    add_invoice(&l, "ACME", "1000", "2026-09-01", &[]); // INV-0001, due 10-01
    // Day 7: 980 with a 20.00 discount closes it.
    let p = pay_id(&l, "ACME", "980", "2026-09-08", &["--invoice", "INV-0001"]);
    assert_eq!(figures(&l, "2026-09-14", "ACME"), "none");
    reverse(&l, &p, "2026-09-15");
    assert_eq!(figures(&l, "2026-09-14", "ACME"), "none", "before the reversal");
    // 980 paid and the 20 discount both open again: 1,000 (current).
    assert_eq!(
        figures(&l, "2026-09-15", "ACME"),
        "1000.00 0.00 0.00 0.00 0.00 | 1000.00 0.00 1000.00"
    );
    // After: 9 days overdue.
    assert_eq!(
        figures(&l, "2026-10-10", "ACME"),
        "0.00 1000.00 0.00 0.00 0.00 | 1000.00 0.00 1000.00"
    );
    sound(&l);
}

#[test]
fn reversal_reopens_an_invoice_paid_with_credit_applied_from_that_payment() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    add_invoice(&l, "ACME", "200", "2026-09-20", &[]); // INV-0002, due 10-20
    // 09-10: INV-0002 not issued yet: 100 to INV-0001, 150 credit.
    let p = pay_id(&l, "ACME", "250", "2026-09-10", &[]);
    // 150 of that credit onto INV-0002: 50 left.
    apply_credit(&l, "ACME", "2026-09-25", &[]);
    let before = "50.00 0.00 0.00 0.00 0.00 | 50.00 0.00 50.00";
    assert_eq!(figures(&l, "2026-10-04", "ACME"), before);
    reverse(&l, &p, "2026-10-05");
    assert_eq!(figures(&l, "2026-10-04", "ACME"), before, "before the reversal");
    // From 10-05: INV-0001 100 open again (4 days overdue) and INV-0002 200 (the 150
    // applied from the payment, current).
    assert_eq!(
        figures(&l, "2026-10-05", "ACME"),
        "200.00 100.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    // 10-25: INV-0001 24 days, INV-0002 5 days overdue.
    assert_eq!(
        figures(&l, "2026-10-25", "ACME"),
        "0.00 300.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Voids with a date.

#[test]
fn void_dated_after_a_report_date_leaves_earlier_agings_unchanged() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    add_invoice(&l, "ACME", "200", "2026-09-01", &[]); // INV-0002, due 10-01
    add_invoice(&l, "ACME", "50", "2026-09-10", &[]); // INV-0003, due 10-10
    void(&l, "INV-0002", "2026-10-15");
    // Voided on its issue date: removed from every date.
    void(&l, "INV-0003", "2026-09-10");
    // Before the void: INV-0001 + INV-0002 = 300, 13 days overdue (INV-0003 would
    // add 50 more in 1-30).
    assert_eq!(
        figures(&l, "2026-10-14", "ACME"),
        "0.00 300.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    assert_eq!(
        figures(&l, "2026-09-10", "ACME"),
        "300.00 0.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    // On and after: INV-0001 only (14 days; 40 days overdue on 11-10).
    assert_eq!(
        figures(&l, "2026-10-15", "ACME"),
        "0.00 100.00 0.00 0.00 0.00 | 100.00 0.00 100.00"
    );
    assert_eq!(
        figures(&l, "2026-11-10", "ACME"),
        "0.00 0.00 100.00 0.00 0.00 | 100.00 0.00 100.00"
    );
    // An unnamed payment after the void passes over it: 100 to INV-0001, 50 credit.
    pay(&l, "ACME", "150", "2026-10-20", &[]);
    assert_eq!(
        figures(&l, "2026-10-20", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 50.00 -50.00"
    );
    assert_eq!(
        figures(&l, "2026-10-14", "ACME"),
        "0.00 300.00 0.00 0.00 0.00 | 300.00 0.00 300.00"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Days to pay.

#[test]
fn days_to_pay_leaves_out_invoices_closed_by_a_credit_note_or_a_write_off() {
    let l = TestLedger::new();
    acme(&l, "30");
    l.ok(&[
        "client",
        "add",
        "GLOBEX",
        "--name",
        "Globex",
        "--terms",
        "2/10 net 30",
    ]);
    // All issued 09-01, due 10-01.
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0002
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0003
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0004
    add_invoice(&l, "GLOBEX", "1000", "2026-09-01", &[]); // INV-0005, 2/10 net 30
    // INV-0001 closed by a payment on 09-21: 20 days, 10 early.
    pay(&l, "ACME", "100", "2026-09-21", &["--invoice", "INV-0001"]);
    // INV-0002 closed by a credit note: left out.
    credit_note(&l, "ACME", "100", "2026-09-25", &["--invoice", "INV-0002"]);
    // INV-0003 part paid, the rest written off on 10-11: left out.
    pay(&l, "ACME", "60", "2026-09-11", &["--invoice", "INV-0003"]);
    write_off(&l, "INV-0003", "2026-10-11", &[]);
    // INV-0004 part paid, closed by credit (a note on account) applied on 10-06:
    // 35 days, 5 late.
    pay(&l, "ACME", "50", "2026-09-15", &["--invoice", "INV-0004"]);
    credit_note(&l, "ACME", "50", "2026-09-10", &[]);
    apply_credit(&l, "ACME", "2026-10-06", &["--invoice", "INV-0004"]);
    // INV-0005 closed by a payment and its discount on day 10: 10 days, 20 early.
    pay(&l, "GLOBEX", "980", "2026-09-11", &["--invoice", "INV-0005"]);
    // Counted: 20, 35, 10 days. Mean 65 / 3 = 21.67; weighted
    // (100·20 + 100·35 + 1000·10) / 1200 = 12.92; beyond (−10 + 5 − 20) / 3 = −8.33;
    // on time 2 of 3 = 66.67 %.
    let raw = days_to_pay(&l, "2026-10-31");
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 3,"mean_days_to_pay": 21.67,"weighted_days_to_pay": 12.92,"mean_days_beyond_terms": -8.33,"paid_on_time_pct": 66.67,"#),
        "{raw}"
    );
    // ACME: 20 and 35 days: mean and weighted 27.50, beyond (−10 + 5) / 2 = −2.50,
    // on time 1 of 2.
    assert!(
        raw.contains(r#""client": "ACME","name": "Acme Ltd","term_days": 30,"invoices_paid": 2,"mean_days_to_pay": 27.50,"weighted_days_to_pay": 27.50,"mean_days_beyond_terms": -2.50,"paid_on_time_pct": 50.00}"#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""client": "GLOBEX","name": "Globex","term_days": 30,"invoices_paid": 1,"mean_days_to_pay": 10.00,"weighted_days_to_pay": 10.00,"mean_days_beyond_terms": -20.00,"paid_on_time_pct": 100.00}"#),
        "{raw}"
    );
    // Nothing is open on 10-31.
    assert_eq!(figures(&l, "2026-10-31", "ACME"), "none");
    assert_eq!(figures(&l, "2026-10-31", "GLOBEX"), "none");
    sound(&l);
}

#[test]
fn days_to_pay_counts_a_reopened_invoice_at_its_next_close() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    let p = pay_id(&l, "ACME", "100", "2026-09-11", &[]); // closed on day 10
    reverse(&l, &p, "2026-09-20");
    pay(&l, "ACME", "100", "2026-10-11", &[]); // closed again on day 40
    // As of 09-15 (before the reversal) it had been paid in 10 days, 20 early.
    let raw = days_to_pay(&l, "2026-09-15");
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 1,"mean_days_to_pay": 10.00,"weighted_days_to_pay": 10.00,"mean_days_beyond_terms": -20.00,"paid_on_time_pct": 100.00,"#),
        "{raw}"
    );
    // As of 10-31: one invoice, closed on 10-11: 40 days, 10 late.
    let raw = days_to_pay(&l, "2026-10-31");
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 1,"mean_days_to_pay": 40.00,"weighted_days_to_pay": 40.00,"mean_days_beyond_terms": 10.00,"paid_on_time_pct": 0.00,"#),
        "{raw}"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Refusals: exit 1, one line, nothing written, no aging changed (`refused`).

#[test]
fn credit_note_for_an_invoice_of_another_client_or_currency_or_issued_later_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_client(&l, "BETA", "Beta Ltd");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]); // INV-0001, USD
    add_invoice(&l, "BETA", "100", "2026-10-01", &[]); // INV-0002
    let cn = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "credit-note",
            "--client",
            "ACME",
            "--amount",
            "10",
            "--reason",
            "test",
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    for (extra, why) in [
        (
            &["--invoice", "INV-0002", "--date", "2026-10-10"][..],
            "another client's invoice",
        ),
        (
            &[
                "--invoice",
                "INV-0001",
                "--currency",
                "EUR",
                "--date",
                "2026-10-10",
            ],
            "another currency",
        ),
        (
            &["--invoice", "INV-0001", "--date", "2026-09-30"],
            "issued after the note",
        ),
    ] {
        let args = cn(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = refused(&l, &args);
        let number = extra[1];
        assert!(err.contains(number), "{why}: {err}");
    }
    // The same note, well formed, is accepted.
    credit_note(&l, "ACME", "10", "2026-10-10", &["--invoice", "INV-0001"]);
    sound(&l);
}

#[test]
fn write_off_above_what_is_open_or_of_nothing_open_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001
    add_invoice(&l, "ACME", "50", "2026-09-01", &[]); // INV-0002
    pay(&l, "ACME", "60", "2026-10-05", &["--invoice", "INV-0001"]); // 40 open from 10-05
    pay(&l, "ACME", "50", "2026-09-20", &["--invoice", "INV-0002"]); // paid
    let wo = |number: &str, date: &str, amount: Option<&str>| {
        let mut args = vec!["write-off", number, "--date", date, "--reason", "test"];
        if let Some(a) = amount {
            args.extend(["--amount", a]);
        }
        refused(&l, &args)
    };
    // 40.00 open on 10-10.
    wo("INV-0001", "2026-10-10", Some("40.01"));
    // 100.00 open on 10-01, before the payment.
    wo("INV-0001", "2026-10-01", Some("100.01"));
    // Nothing open on INV-0002 from 09-20.
    wo("INV-0002", "2026-10-10", None);
    // Exactly what is open is accepted.
    write_off(&l, "INV-0001", "2026-10-10", &["--amount", "40"]);
    assert_eq!(figures(&l, "2026-10-10", "ACME"), "none");
    sound(&l);
}

#[test]
fn apply_credit_without_credit_or_anything_open_or_above_what_fits_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_client(&l, "BETA", "Beta Ltd");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]); // INV-0001
    add_invoice(&l, "ACME", "20", "2026-10-02", &[]); // INV-0002
    credit_note(&l, "ACME", "50", "2026-10-15", &[]); // 50 credit from 10-15
    // No credit held on 10-14.
    refused(&l, &["apply-credit", "--client", "ACME", "--date", "2026-10-14"]);
    // No EUR credit.
    refused(
        &l,
        &[
            "apply-credit",
            "--client",
            "ACME",
            "--currency",
            "EUR",
            "--date",
            "2026-10-20",
        ],
    );
    // More than the 50 of credit.
    refused(
        &l,
        &[
            "apply-credit",
            "--client",
            "ACME",
            "--invoice",
            "INV-0001",
            "--amount",
            "50.01",
            "--date",
            "2026-10-20",
        ],
    );
    // More than INV-0002's 20 open.
    refused(
        &l,
        &[
            "apply-credit",
            "--client",
            "ACME",
            "--invoice",
            "INV-0002",
            "--amount",
            "30",
            "--date",
            "2026-10-20",
        ],
    );
    // BETA holds credit but has nothing open.
    credit_note(&l, "BETA", "30", "2026-10-01", &[]);
    refused(&l, &["apply-credit", "--client", "BETA", "--date", "2026-10-20"]);
    // What fits is accepted.
    apply_credit(
        &l,
        "ACME",
        "2026-10-20",
        &["--invoice", "INV-0002", "--amount", "20"],
    );
    // 10-20: INV-0001 100 current (due 10-31), credit 50 − 20 = 30.
    assert_eq!(
        figures(&l, "2026-10-20", "ACME"),
        "100.00 0.00 0.00 0.00 0.00 | 100.00 30.00 70.00"
    );
    sound(&l);
}

#[test]
fn refund_above_the_credit_held_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    pay(&l, "ACME", "50", "2026-10-15", &[]); // 50 credit from 10-15
    let rf = |amount: &str, date: &str, extra: &[&str]| {
        let mut args = vec!["refund", "--client", "ACME", "--amount", amount, "--date", date];
        args.extend_from_slice(extra);
        refused(&l, &args)
    };
    rf("50.01", "2026-10-20", &[]);
    rf("10", "2026-10-14", &[]); // before the credit
    rf("10", "2026-10-20", &["--currency", "EUR"]);
    refund(&l, "ACME", "50", "2026-10-20");
    rf("0.01", "2026-10-21", &[]); // all of it paid back
    assert_eq!(figures(&l, "2026-10-20", "ACME"), "none");
    sound(&l);
}

#[test]
fn reversing_a_payment_twice_or_before_its_date_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]);
    let p = pay_id(&l, "ACME", "100", "2026-09-20", &[]);
    let rev = |id: &str, date: &str| {
        refused(
            &l,
            &["payment", "reverse", id, "--date", date, "--reason", "test"],
        )
    };
    rev(&p, "2026-09-19");
    rev("99", "2026-10-01"); // no such payment
    reverse(&l, &p, "2026-10-01");
    rev(&p, "2026-10-05");
    rev(&p, "2026-10-01");
    sound(&l);
}

#[test]
fn reversal_that_would_leave_a_refund_without_its_credit_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    let p = pay_id(&l, "ACME", "100", "2026-10-01", &[]); // nothing open: 100 credit
    refund(&l, "ACME", "100", "2026-10-10");
    for date in ["2026-10-05", "2026-10-01"] {
        let err = refused(
            &l,
            &[
                "payment",
                "reverse",
                &p,
                "--date",
                date,
                "--reason",
                "cheque bounced",
            ],
        );
        assert!(err.to_lowercase().contains("refund"), "names the refund: {err}");
    }
    sound(&l);
}

#[test]
fn back_dated_writes_that_would_shrink_a_stated_write_off_are_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001
    write_off(&l, "INV-0001", "2026-10-10", &["--amount", "40"]); // 100 open then
    // Each would leave less than 40 open on 10-10.
    refused(
        &l,
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "70",
            "--invoice",
            "INV-0001",
            "--date",
            "2026-10-05",
        ],
    );
    refused(
        &l,
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "70",
            "--date",
            "2026-10-05",
        ],
    );
    refused(
        &l,
        &[
            "credit-note",
            "--client",
            "ACME",
            "--amount",
            "61",
            "--invoice",
            "INV-0001",
            "--date",
            "2026-10-01",
            "--reason",
            "test",
        ],
    );
    // 60 leaves exactly 40: accepted, and the invoice is closed from 10-10.
    pay(&l, "ACME", "60", "2026-10-05", &[]);
    assert_eq!(
        figures(&l, "2026-10-09", "ACME"),
        "0.00 40.00 0.00 0.00 0.00 | 40.00 0.00 40.00"
    );
    assert_eq!(figures(&l, "2026-10-10", "ACME"), "none");
    sound(&l);
}

#[test]
fn back_dated_writes_that_would_shrink_a_stated_credit_application_are_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]); // INV-0001, due 10-31
    credit_note(&l, "ACME", "80", "2026-10-15", &[]); // 80 credit
    apply_credit(
        &l,
        "ACME",
        "2026-10-20",
        &["--invoice", "INV-0001", "--amount", "50"],
    );
    // A payment leaving only 40 open on 10-20.
    refused(
        &l,
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "60",
            "--invoice",
            "INV-0001",
            "--date",
            "2026-10-18",
        ],
    );
    // A refund leaving only 40 of credit on 10-20.
    refused(
        &l,
        &[
            "refund",
            "--client",
            "ACME",
            "--amount",
            "40",
            "--date",
            "2026-10-16",
        ],
    );
    // 50 leaves exactly 50 open: accepted.
    pay(&l, "ACME", "50", "2026-10-18", &["--invoice", "INV-0001"]);
    // 10-20: nothing open, 80 − 50 = 30 credit.
    assert_eq!(
        figures(&l, "2026-10-20", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 30.00 -30.00"
    );
    sound(&l);
}

#[test]
fn writes_that_would_take_the_credit_an_earlier_refund_paid_back_are_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    pay(&l, "ACME", "50", "2026-10-15", &[]); // nothing open: 50 credit
    refund(&l, "ACME", "50", "2026-10-20");
    // An invoice issued before the payment would take it (rule 2), leaving the
    // refund without credit.
    refused(
        &l,
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "100",
            "--date",
            "2026-10-01",
        ],
    );
    // Issued after the payment, it is accepted: the payment stays credit.
    add_invoice(&l, "ACME", "30", "2026-10-16", &[]); // INV-0001
    // Applying 30 of the credit on 10-17 would leave the refund 20 short.
    refused(&l, &["apply-credit", "--client", "ACME", "--date", "2026-10-17"]);
    assert_eq!(
        figures(&l, "2026-10-17", "ACME"),
        "30.00 0.00 0.00 0.00 0.00 | 30.00 50.00 -20.00"
    );
    assert_eq!(
        figures(&l, "2026-10-20", "ACME"),
        "30.00 0.00 0.00 0.00 0.00 | 30.00 0.00 30.00"
    );
    sound(&l);
}

#[test]
fn void_before_the_issue_date_or_of_an_invoice_with_allocations_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001
    add_invoice(&l, "ACME", "200", "2026-09-01", &[]); // INV-0002
    let vd = |number: &str, date: &str| {
        refused(
            &l,
            &["invoice", "void", number, "--date", date, "--reason", "test"],
        )
    };
    vd("INV-0001", "2026-08-31");
    pay(&l, "ACME", "50", "2026-09-10", &["--invoice", "INV-0001"]);
    vd("INV-0001", "2026-09-15"); // paid on 09-10, before the void date
    vd("INV-0001", "2026-09-10"); // paid on the void date
    credit_note(&l, "ACME", "20", "2026-09-12", &["--invoice", "INV-0002"]);
    vd("INV-0002", "2026-09-20"); // a credit note allocated before it
    sound(&l);
}

#[test]
fn back_dated_payment_onto_an_invoice_voided_later_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-09-01", &[]); // INV-0001, due 10-01
    void(&l, "INV-0001", "2026-10-15");
    // Unnamed, it would go onto INV-0001 before its void; named, likewise.
    refused(
        &l,
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "50",
            "--date",
            "2026-10-01",
        ],
    );
    refused(
        &l,
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "50",
            "--invoice",
            "INV-0001",
            "--date",
            "2026-10-01",
        ],
    );
    // After the void the invoice counts for nothing: the payment is all credit.
    pay(&l, "ACME", "50", "2026-10-20", &[]);
    assert_eq!(
        figures(&l, "2026-10-14", "ACME"),
        "0.00 100.00 0.00 0.00 0.00 | 100.00 0.00 100.00"
    );
    assert_eq!(
        figures(&l, "2026-10-20", "ACME"),
        "0.00 0.00 0.00 0.00 0.00 | 0.00 50.00 -50.00"
    );
    sound(&l);
}

// ---------------------------------------------------------------------------------
// Found by a review of the messages.

#[test]
fn a_void_on_the_day_a_reversal_opened_the_invoice_again_is_accepted() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-11-01", &[]);
    let p = pay_id(&l, "ACME", "100", "2026-11-05", &[]);
    reverse(&l, &p, "2026-11-10");
    // Net of the reversal dated the same day, nothing is allocated on 2026-11-10.
    void(&l, "INV-0001", "2026-11-10");
    assert_eq!(
        figures(&l, "2026-11-09", "ACME"),
        "none",
        "paid until the reversal"
    );
    assert_eq!(
        figures(&l, "2026-11-10", "ACME"),
        "none",
        "void from the day it reopened"
    );
    sound(&l);
}

#[test]
fn a_payment_refused_for_a_later_void_is_called_this_payment() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "50", "2026-11-02", &[]);
    void(&l, "INV-0001", "2026-11-20");
    let err = refused(
        &l,
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "10",
            "--date",
            "2026-11-06",
        ],
    );
    assert!(
        err.contains("is void from 2026-11-20, but this payment dated before that"),
        "{err}"
    );
}

#[test]
fn a_reversal_naming_another_clients_payment_is_refused() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_client(&l, "BETA", "Beta");
    add_invoice(&l, "ACME", "100", "2026-11-01", &[]);
    let p = pay_id(&l, "ACME", "100", "2026-11-05", &[]);
    let file = l.write_file(
        "c.csv",
        &format!("kind,client,date,payment\nreversal,BETA,2026-11-10,{p}\n"),
    );
    let out = l.run(&["import", "corrections", &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("c.csv:2: payment 1 is ACME's, not BETA's"),
        "{}",
        out.stderr
    );
    assert_eq!(figures(&l, "2026-11-30", "ACME"), "none");
}

#[test]
fn who_entered_a_write_must_be_one_line_of_text() {
    let l = TestLedger::new();
    let err = l.fails(&["--user", "a\nb", "client", "add", "ACME", "--name", "Acme"], 1);
    assert!(err.contains("control characters"), "{err}");
    l.ok(&["--user", "alice", "client", "add", "ACME", "--name", "Acme"]);
    let log = l.ok(&["log", "--format", "csv"]);
    assert!(log.contains(",alice,client add,client,"), "{log}");
    let err = refused(
        &l,
        &[
            "credit-note",
            "--client",
            "ACME",
            "--amount",
            "5",
            "--currency",
            " ",
        ],
    );
    assert!(err.contains("--currency is empty"), "{err}");
}

#[test]
fn client_show_lists_the_credit_notes_holding_credit_as_of_its_date() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-10-01", &[]);
    credit_note(&l, "ACME", "40", "2026-10-12", &[]);
    add_invoice(&l, "ACME", "10", "2026-10-20", &[]);
    apply_credit(&l, "ACME", "2026-10-25", &[]);
    // 2026-10-20: the note's 40.00 is credit; from 2026-10-25 it is on INV-0001.
    let before = l.ok(&["client", "show", "ACME", "--as-of", "2026-10-20"]);
    assert!(
        before.contains("Credit notes holding unapplied credit") && before.contains("40.00"),
        "{before}"
    );
    let after = l.ok(&["client", "show", "ACME", "--as-of", "2026-10-25"]);
    assert!(!after.contains("Credit notes holding"), "{after}");
    let json = l.ok(&[
        "client",
        "show",
        "ACME",
        "--as-of",
        "2026-10-20",
        "--format",
        "json",
    ]);
    assert!(
        compact(&json).contains(r#""credit_notes": [{"id": 1,"kind": "credit_note""#),
        "{json}"
    );
}

#[test]
fn a_login_name_that_cannot_be_stored_is_recorded_as_unknown_and_reads_never_refuse() {
    let l = TestLedger::new();
    l.ok_in(&[("USER", "a\tb")], &["client", "add", "ACME", "--name", "Acme"]);
    let log = l.ok(&["log", "--format", "csv"]);
    assert!(log.contains(",unknown,client add,client,"), "{log}");
    // A bad --user refuses a write only.
    l.ok(&["--user", "a\tb", "client", "list"]);
}
