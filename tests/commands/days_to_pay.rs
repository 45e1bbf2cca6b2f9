//! `ar days-to-pay`, on a small hand-made ledger whose figures are computed by hand in
//! the comments. Today is 2026-11-23 (tests/common).

use crate::common::{TestLedger, add_client, compact, invoice_due, pay, snapshot_ledger};

/// Days to pay on a small ledger, standard term 30:
/// - A1 100.00 issued 09-01 due 10-01, paid 09-21: 20 days, 10 early, on time
/// - A2 300.00 issued 09-01 due 10-01, paid 10-11: 40 days, 10 late
/// - B1 200.00 issued 10-01 due 10-31, paid 100 on 11-05 and 100 on 11-16: closed 11-16,
///   46 days, 16 late
/// - B2 600.00 issued 11-01, open
/// - C1 50.00 issued 2025-01-01 due 2025-01-31, paid 2025-02-10: 40 days, 10 late,
///   outside the default 365-day window
fn days_to_pay_ledger() -> TestLedger {
    let l = TestLedger::new();
    add_client(&l, "ALPHA", "Alpha Ltd");
    add_client(&l, "BETA", "Beta Ltd");
    invoice_due(&l, "A1", "ALPHA", "100", "2026-09-01", "2026-10-01");
    invoice_due(&l, "A2", "ALPHA", "300", "2026-09-01", "2026-10-01");
    invoice_due(&l, "B1", "BETA", "200", "2026-10-01", "2026-10-31");
    invoice_due(&l, "B2", "BETA", "600", "2026-11-01", "2026-12-01");
    invoice_due(&l, "C1", "ALPHA", "50", "2025-01-01", "2025-01-31");
    pay(&l, "ALPHA", "100", "2026-09-21", &["--invoice", "A1"]);
    pay(&l, "ALPHA", "300", "2026-10-11", &["--invoice", "A2"]);
    pay(&l, "BETA", "100", "2026-11-05", &["--invoice", "B1"]);
    pay(&l, "BETA", "100", "2026-11-16", &[]);
    pay(&l, "ALPHA", "50", "2025-02-10", &["--invoice", "C1"]);
    l
}

#[test]
fn days_to_pay_figures_by_hand() {
    let l = days_to_pay_ledger();
    // Overall: mean (20+40+46)/3 = 35.33; weighted (100·20+300·40+200·46)/600 = 38.67;
    // beyond (-10+10+16)/3 = 5.33; on time 1/3 = 33.33 %.
    // DSO: open 600 ÷ invoiced in (08-25, 11-23] 1,200 × 90 = 45.
    // ALPHA: mean 30, weighted (2000+12000)/400 = 35, beyond 0, on time 50 %.
    let out = l.ok(&["days-to-pay"]);
    assert_eq!(
        out,
        "\
Days to pay as of 2026-11-23, invoices settled in the last 365 days
35.33 days to pay against a 30-day term: 5.33 days late

 client  name       term days  invoices paid  mean days to pay  weighted days to pay  mean days beyond terms  paid on time pct
 ALPHA   Alpha Ltd         30              2             30.00                 35.00                    0.00             50.00
 BETA    Beta Ltd          30              1             46.00                 46.00                   16.00              0.00
 ALL                       30              3             35.33                 38.67                    5.33             33.33

 currency    open  invoiced last 90 days    dso
 USD       600.00               1,200.00  45.00
"
    );
    let raw = compact(&l.ok(&["days-to-pay", "--format", "json"]));
    assert!(
        raw.starts_with(r#"{"as_of": "2026-11-23","window_days": 365,"term_days": 30,"#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 3,"mean_days_to_pay": 35.33,"weighted_days_to_pay": 38.67,"mean_days_beyond_terms": 5.33,"paid_on_time_pct": 33.33,"dso": 45.00}"#),
        "{raw}"
    );
    assert!(
        raw.contains(r#"{"client": "BETA","name": "Beta Ltd","term_days": 30,"invoices_paid": 1,"mean_days_to_pay": 46.00,"weighted_days_to_pay": 46.00,"mean_days_beyond_terms": 16.00,"paid_on_time_pct": 0.00}"#),
        "{raw}"
    );
    assert!(raw.contains(r#""open": 600.00,"invoiced": 1200.00"#), "{raw}");
    // As of 10-15 only A1 and A2 had closed: mean 30, weighted 35, exactly on term.
    // Open then: B1 200 (issued 10-01); invoiced in (07-17, 10-15]: 600. DSO 30.
    let raw = compact(&l.ok(&["days-to-pay", "--as-of", "2026-10-15", "--format", "json"]));
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 2,"mean_days_to_pay": 30.00,"weighted_days_to_pay": 35.00,"mean_days_beyond_terms": 0.00,"paid_on_time_pct": 50.00,"dso": 30.00}"#),
        "{raw}"
    );
    let out = l.ok(&["days-to-pay", "--as-of", "2026-10-15"]);
    assert!(
        out.contains("\n30 days to pay against a 30-day term: on term\n"),
        "{out}"
    );
    // Early: only A1 (20 days) by 09-30.
    let out = l.ok(&["days-to-pay", "--as-of", "2026-09-30"]);
    assert!(
        out.contains("\n20 days to pay against a 30-day term: 10 days early\n"),
        "{out}"
    );
    let out = l.ok(&["days-to-pay", "--as-of", "2026-08-01"]);
    assert!(out.contains("\nNo invoice was settled in the window.\n"), "{out}");
    // The window is (as_of - window, as_of]: as of 11-16, --window 37 starts after
    // 10-10 and holds A2 (closed 10-11) and B1 (11-16); --window 36 starts after 10-11
    // and holds B1 only.
    let raw = compact(&l.ok(&[
        "days-to-pay",
        "--as-of",
        "2026-11-16",
        "--window",
        "37",
        "--format",
        "json",
    ]));
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 2,"mean_days_to_pay": 43.00"#),
        "{raw}"
    );
    let raw = compact(&l.ok(&[
        "days-to-pay",
        "--as-of",
        "2026-11-16",
        "--window",
        "36",
        "--format",
        "json",
    ]));
    assert!(
        raw.contains(r#""overall": {"invoices_paid": 1,"mean_days_to_pay": 46.00"#),
        "{raw}"
    );
}

#[test]
fn days_to_pay_by_month_is_the_trend() {
    let l = days_to_pay_ledger();
    let csv = l.ok(&[
        "days-to-pay",
        "--by",
        "month",
        "--window",
        "730",
        "--format",
        "csv",
    ]);
    assert_eq!(
        csv,
        "\
month,invoices_paid,mean_days_to_pay,weighted_days_to_pay,mean_days_beyond_terms,paid_on_time_pct
2025-02,1,40.00,40.00,10.00,0.00
2026-09,1,20.00,20.00,-10.00,100.00
2026-10,1,40.00,40.00,10.00,0.00
2026-11,1,46.00,46.00,16.00,0.00
"
    );
    // With C1 in the window: mean (20+40+46+40)/4 = 36.5; weighted
    // (50·40+100·20+300·40+200·46)/650 = 38.77; beyond (10-10+10+16)/4 = 6.5; 1 of 4 on time.
    let out = l.ok(&["days-to-pay", "--by", "month", "--window", "730"]);
    assert!(
        out.contains("\n36.5 days to pay against a 30-day term: 6.5 days late\n"),
        "{out}"
    );
    assert!(
        out.contains("\n ALL                  4             36.50                 38.77                    6.50             25.00\n"),
        "{out}"
    );
    let csv = l.ok(&["days-to-pay", "--by", "month", "--format", "csv"]);
    assert!(!csv.contains("2025-02"), "{csv}");
}

#[test]
fn days_to_pay_dso_per_currency() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "300000",
        "--currency",
        "JPY",
        "--date",
        "2026-10-01",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "100",
        "--date",
        "2026-10-01",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "300",
        "--date",
        "2026-11-01",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "100000",
        "--currency",
        "JPY",
        "--date",
        "2026-11-01",
    ]);
    // JPY: 200,000 open ÷ 300,000 invoiced × 90 = 60; USD: 400 ÷ 400 × 90 = 90.
    let raw = compact(&l.ok(&["days-to-pay", "--format", "json"]));
    assert!(
        raw.contains(r#""dso": null}"#),
        "no single DSO over two currencies: {raw}"
    );
    assert!(raw.contains(r#""currency": "JPY","invoices_paid": 0,"mean_days_to_pay": null,"weighted_days_to_pay": null,"mean_days_beyond_terms": null,"paid_on_time_pct": null,"dso": 60.00,"open": 200000,"invoiced": 300000}"#), "{raw}");
    assert!(raw.contains(r#""currency": "USD","invoices_paid": 0,"mean_days_to_pay": null,"weighted_days_to_pay": null,"mean_days_beyond_terms": null,"paid_on_time_pct": null,"dso": 90.00,"open": 400.00,"invoiced": 400.00}"#), "{raw}");
    // --dso-days 30: only USD invoiced 300 in (10-24, 11-23]; 400 ÷ 300 × 30 = 40.
    let raw = compact(&l.ok(&["days-to-pay", "--dso-days", "30", "--format", "json"]));
    assert!(
        raw.contains(r#""dso": 40.00,"open": 400.00,"invoiced": 300.00}"#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""dso": null,"open": 200000,"invoiced": 0}"#),
        "{raw}"
    );
}

// ---------------------------------------------------------------------------------
// What a user sees: the fixed snapshot ledger (tests/common), today 2026-11-23.

#[test]
fn days_to_pay_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!("days_to_pay_table", l.ok(&["days-to-pay"]));
    insta::assert_snapshot!("days_to_pay_json", l.ok(&["days-to-pay", "--format", "json"]));
    insta::assert_snapshot!("days_to_pay_csv", l.ok(&["days-to-pay", "--format", "csv"]));
}

#[test]
fn days_to_pay_by_month_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!(
        "days_to_pay_by_month_table",
        l.ok(&["days-to-pay", "--by", "month"])
    );
    insta::assert_snapshot!(
        "days_to_pay_by_month_json",
        l.ok(&["days-to-pay", "--by", "month", "--format", "json"])
    );
    insta::assert_snapshot!(
        "days_to_pay_by_month_csv",
        l.ok(&["days-to-pay", "--by", "month", "--format", "csv"])
    );
}
