//! `ar aging`, on small hand-made ledgers whose figures are computed by hand in the
//! comments. Today is 2026-11-23 (tests/common).
//!
//! JSON amounts are checked in the raw text: serde_json::Value would turn 250.00 into
//! 250.0 and hide a float on the path of an amount.

use crate::common::{TestLedger, add_client, compact, invoice_due, pay, snapshot_ledger};

/// One invoice per bucket edge, each amount a power of two so every bucket sum tells
/// which invoices it holds. Due dates are today minus 0, 1, 30, 31, 60, 61, 90, 91 days.
fn edges_ledger() -> TestLedger {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    for (number, amount, due) in [
        ("E00", "1", "2026-11-23"),   // 0 days overdue: current
        ("E01", "2", "2026-11-22"),   // 1: 1-30
        ("E30", "4", "2026-10-24"),   // 30: 1-30
        ("E31", "8", "2026-10-23"),   // 31: 31-60
        ("E60", "16", "2026-09-24"),  // 60: 31-60
        ("E61", "32", "2026-09-23"),  // 61: 61-90
        ("E90", "64", "2026-08-25"),  // 90: 61-90
        ("E91", "128", "2026-08-24"), // 91: 90+
    ] {
        invoice_due(&l, number, "ACME", amount, "2026-08-01", due);
    }
    l
}

#[test]
fn bucket_edges_fall_on_the_right_side() {
    let l = edges_ledger();
    let raw = compact(&l.ok(&["aging", "--format", "json"]));
    // current 1; 1-30: 2+4; 31-60: 8+16; 61-90: 32+64; 90+: 128; total 255.
    assert!(
        raw.contains(
            r#""client": "ACME","name": "Acme Ltd","currency": "USD","current": 1.00,"1-30": 6.00,"31-60": 24.00,"61-90": 96.00,"90+": 128.00,"total": 255.00,"unapplied": 0.00,"net": 255.00}"#
        ),
        "{raw}"
    );
    assert!(raw.contains(r#""totals": [{"currency": "USD","current": 1.00,"1-30": 6.00,"31-60": 24.00,"61-90": 96.00,"90+": 128.00,"total": 255.00,"unapplied": 0.00,"net": 255.00}]"#), "{raw}");
}

#[test]
fn per_invoice_rows_give_days_overdue_and_bucket() {
    let l = edges_ledger();
    let csv = l.ok(&["aging", "--by", "invoice", "--format", "csv"]);
    assert_eq!(
        csv,
        "\
number,client,name,currency,issue_date,due_date,days_overdue,open,bucket
E91,ACME,Acme Ltd,USD,2026-08-01,2026-08-24,91,128.00,90+ days
E90,ACME,Acme Ltd,USD,2026-08-01,2026-08-25,90,64.00,61-90 days
E61,ACME,Acme Ltd,USD,2026-08-01,2026-09-23,61,32.00,61-90 days
E60,ACME,Acme Ltd,USD,2026-08-01,2026-09-24,60,16.00,31-60 days
E31,ACME,Acme Ltd,USD,2026-08-01,2026-10-23,31,8.00,31-60 days
E30,ACME,Acme Ltd,USD,2026-08-01,2026-10-24,30,4.00,1-30 days
E01,ACME,Acme Ltd,USD,2026-08-01,2026-11-22,1,2.00,1-30 days
E00,ACME,Acme Ltd,USD,2026-08-01,2026-11-23,0,1.00,current
"
    );
    // The table keeps the bare labels people read.
    let table = l.ok(&["aging", "--by", "invoice", "--client", "acme"]);
    assert_eq!(
        table,
        "\
Aging as of 2026-11-23 (days past due)
 number  client  name      currency  issue date  due date    days overdue    open  bucket
 E91     ACME    Acme Ltd  USD       2026-08-01  2026-08-24            91  128.00  90+
 E90     ACME    Acme Ltd  USD       2026-08-01  2026-08-25            90   64.00  61-90
 E61     ACME    Acme Ltd  USD       2026-08-01  2026-09-23            61   32.00  61-90
 E60     ACME    Acme Ltd  USD       2026-08-01  2026-09-24            60   16.00  31-60
 E31     ACME    Acme Ltd  USD       2026-08-01  2026-10-23            31    8.00  31-60
 E30     ACME    Acme Ltd  USD       2026-08-01  2026-10-24            30    4.00  1-30
 E01     ACME    Acme Ltd  USD       2026-08-01  2026-11-22             1    2.00  1-30
 E00     ACME    Acme Ltd  USD       2026-08-01  2026-11-23             0    1.00  current
 TOTAL                     USD                                             255.00
"
    );
}

#[test]
fn by_invoice_client_narrows_to_that_client() {
    let l = edges_ledger();
    add_client(&l, "GLOBEX", "Globex");
    invoice_due(&l, "G1", "GLOBEX", "500", "2026-11-01", "2026-12-01");
    let raw = compact(&l.ok(&[
        "aging", "--by", "invoice", "--client", "globex", "--format", "json",
    ]));
    assert!(
        raw.contains(r#""rows": [{"number": "G1","client": "GLOBEX","name": "Globex","currency": "USD","issue_date": "2026-11-01","due_date": "2026-12-01","days_overdue": -8,"open": 500.00,"bucket": "current"}]"#),
        "{raw}"
    );
    assert!(!raw.contains("ACME"), "{raw}");
    assert!(raw.contains(r#""total": 500.00"#), "{raw}");
    let err = l.fails(&["aging", "--client", "NOPE"], 1);
    assert!(err.contains("NOPE"), "{err}");
}

#[test]
fn buckets_flag_moves_edges_and_labels() {
    let l = edges_ledger();
    // 15,30,60,90,120: E00 current; E01 1-15; E30 16-30; E31,E60 31-60; E61,E90 61-90;
    // E91 91-120; nothing 120+.
    let raw = compact(&l.ok(&["aging", "--buckets", "15,30,60,90,120", "--format", "json"]));
    assert!(
        raw.contains(r#""current": 1.00,"1-15": 2.00,"16-30": 4.00,"31-60": 24.00,"61-90": 96.00,"91-120": 128.00,"120+": 0.00,"total": 255.00"#),
        "{raw}"
    );
    let csv = l.ok(&["aging", "--buckets", "15,30,60,90,120", "--format", "csv"]);
    assert_eq!(
        csv,
        "\
client,name,currency,current,1-15 days,16-30 days,31-60 days,61-90 days,91-120 days,120+ days,total,unapplied,net
ACME,Acme Ltd,USD,1.00,2.00,4.00,24.00,96.00,128.00,0.00,255.00,0.00,255.00
"
    );
    let table = l.ok(&["aging", "--buckets", "45"]);
    // 0 days: E00 current; 1..=45: E01+E30+E31 = 14; over 45: 16+32+64+128 = 240.
    assert!(
        table.contains("\n client  name      currency  current   1-45     45+   total  unapplied     net\n"),
        "{table}"
    );
    assert!(
        table.contains("\n ACME    Acme Ltd  USD          1.00  14.00  240.00  255.00       0.00  255.00\n"),
        "{table}"
    );
    for bad in ["30,20", "0,30", "x", "30,,60"] {
        let err = l.fails(&["aging", "--buckets", bad], 2);
        assert!(err.contains("--buckets"), "{err}");
    }
}

#[test]
fn min_days_keeps_only_what_is_older() {
    let l = edges_ledger();
    // Over 60 days past due: E61 32 + E90 64 in 61-90, E91 128 in 90+.
    let raw = compact(&l.ok(&["aging", "--min-days", "60", "--format", "json"]));
    assert!(
        raw.contains(
            r#""current": 0.00,"1-30": 0.00,"31-60": 0.00,"61-90": 96.00,"90+": 128.00,"total": 224.00"#
        ),
        "{raw}"
    );
    let csv = l.ok(&["aging", "--min-days", "90", "--by", "invoice", "--format", "csv"]);
    assert_eq!(csv.lines().skip(1).map(|r| &r[..3]).collect::<Vec<_>>(), ["E91"]);
}

#[test]
fn issue_basis_ages_from_the_invoice_date() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    // Issued 2026-10-24 (30 days ago), due 2027-01-01: current on the due basis,
    // 0-30 on the issue basis. Issued 2026-08-24 (91 days ago), due 2026-11-30.
    invoice_due(&l, "I1", "ACME", "10", "2026-10-24", "2027-01-01");
    invoice_due(&l, "I2", "ACME", "20", "2026-10-23", "2027-01-01");
    invoice_due(&l, "I3", "ACME", "40", "2026-08-24", "2026-11-30");
    let due = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(due.contains(r#""current": 70.00,"1-30": 0.00"#), "{due}");
    let issue = compact(&l.ok(&["aging", "--basis", "issue", "--format", "json"]));
    assert!(issue.contains(r#""basis": "issue""#), "{issue}");
    assert!(
        issue.contains(r#""0-30": 10.00,"31-60": 20.00,"61-90": 0.00,"90+": 40.00,"total": 70.00"#),
        "{issue}"
    );
    let table = l.ok(&["aging", "--basis", "issue"]);
    assert!(
        table.starts_with("Aging as of 2026-11-23 (days past issue)\n"),
        "{table}"
    );
    // Per invoice, days_overdue stays as_of - due (spec: Dates), the bucket follows
    // the basis.
    let csv = l.ok(&["aging", "--basis", "issue", "--by", "invoice", "--format", "csv"]);
    assert!(csv.starts_with("number,client,name,currency,issue_date,due_date,days_overdue,open,bucket\n"));
    assert!(
        csv.contains("I3,ACME,Acme Ltd,USD,2026-08-24,2026-11-30,-7,40.00,90+ days\n"),
        "{csv}"
    );
    assert!(
        csv.contains("I1,ACME,Acme Ltd,USD,2026-10-24,2027-01-01,-39,10.00,0-30 days\n"),
        "{csv}"
    );
    // Nothing is past due, so an alert on lateness does not trip on the issue basis.
    l.ok(&["aging", "--basis", "issue", "--fail-if-over", "30"]);
    // --min-days compares the basis age: only I3 is more than 60 days from issue.
    let csv = l.ok(&[
        "aging",
        "--basis",
        "issue",
        "--min-days",
        "60",
        "--by",
        "invoice",
        "--format",
        "csv",
    ]);
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("\nI3,"), "{csv}");
}

#[test]
fn payments_go_oldest_first_partially_and_by_name() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    invoice_due(&l, "A1", "ACME", "100", "2026-06-01", "2026-07-01");
    invoice_due(&l, "A2", "ACME", "200", "2026-05-15", "2026-07-15");
    invoice_due(&l, "A3", "ACME", "300", "2026-07-01", "2026-07-31");
    // Unnamed 250 on 08-01: oldest due first, A1 100 then A2 150 (A2 50 left).
    pay(&l, "ACME", "250", "2026-08-01", &[]);
    // Named 100 to A3 on 08-05: A3 200 left although A2 is older.
    pay(&l, "ACME", "100", "2026-08-05", &["--invoice", "A3"]);
    // As of 08-20: A2 due 07-15 is 36 days overdue (31-60, 50); A3 due 07-31 is 20 (1-30, 200).
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-08-20", "--format", "json"]));
    assert!(
        raw.contains(r#""current": 0.00,"1-30": 200.00,"31-60": 50.00,"61-90": 0.00,"90+": 0.00,"total": 250.00,"unapplied": 0.00,"net": 250.00"#),
        "{raw}"
    );
    // As of 08-03, between the two payments: A3 still 300 (3 days overdue).
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-08-03", "--format", "json"]));
    assert!(raw.contains(r#""1-30": 350.00,"31-60": 0.00"#), "{raw}");
    // Today: A2 131 and A3 115 days overdue, both 90+.
    let raw = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(
        raw.contains(r#""90+": 250.00,"total": 250.00,"unapplied": 0.00,"net": 250.00"#),
        "{raw}"
    );
}

#[test]
fn ties_on_due_date_go_by_issue_date_then_number() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    // All due 2026-09-30. Oldest first: T-B (issued 06-01), then T-A and T-C (both
    // issued 07-01) by number.
    invoice_due(&l, "T-C", "ACME", "100", "2026-07-01", "2026-09-30");
    invoice_due(&l, "T-A", "ACME", "100", "2026-07-01", "2026-09-30");
    invoice_due(&l, "T-B", "ACME", "100", "2026-06-01", "2026-09-30");
    pay(&l, "ACME", "150", "2026-10-01", &[]);
    let csv = l.ok(&["aging", "--by", "invoice", "--format", "csv"]);
    assert_eq!(
        csv.lines()
            .skip(1)
            .map(|r| r
                .split(',')
                .take(1)
                .chain(r.split(',').skip(7).take(1))
                .collect::<Vec<_>>()
                .join(" "))
            .collect::<Vec<_>>(),
        ["T-A 50.00", "T-C 100.00"]
    );
}

#[test]
fn credit_shows_as_unapplied_and_settled_clients_drop_out() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    add_client(&l, "PAID", "Paid Up");
    add_client(&l, "IDLE", "No Entries");
    invoice_due(&l, "A1", "ACME", "100", "2026-10-01", "2026-10-31");
    pay(&l, "ACME", "130.50", "2026-11-01", &["--invoice", "A1"]);
    invoice_due(&l, "P1", "PAID", "80", "2026-10-01", "2026-10-31");
    pay(&l, "PAID", "80", "2026-10-15", &[]);
    // The credit is not applied to a later invoice by itself (spec rule 3).
    invoice_due(&l, "A2", "ACME", "40", "2026-11-10", "2026-12-10");
    let raw = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(
        raw.contains(r#""rows": [{"client": "ACME","name": "Acme Ltd","currency": "USD","current": 40.00,"1-30": 0.00,"31-60": 0.00,"61-90": 0.00,"90+": 0.00,"total": 40.00,"unapplied": 30.50,"net": 9.50}]"#),
        "{raw}"
    );
    // Before the overpayment, A1 is open and there is no credit; PAID still owes.
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-10-31", "--format", "json"]));
    assert!(
        raw.contains(r#""client": "ACME","name": "Acme Ltd","currency": "USD","current": 100.00"#),
        "{raw}"
    );
    assert!(!raw.contains(r#""client": "PAID""#), "{raw}");
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-10-14", "--format", "json"]));
    assert!(
        raw.contains(r#""client": "PAID","name": "Paid Up","currency": "USD","current": 80.00"#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""totals": [{"currency": "USD","current": 180.00"#),
        "{raw}"
    );
    // A client with only credit gets a row of zeros and its credit.
    add_client(&l, "PRE", "Prepaid");
    pay(&l, "PRE", "25", "2026-11-20", &[]);
    let raw = compact(&l.ok(&["aging", "--client", "PRE", "--format", "json"]));
    assert!(raw.contains(r#""client": "PRE","name": "Prepaid","currency": "USD","current": 0.00,"1-30": 0.00,"31-60": 0.00,"61-90": 0.00,"90+": 0.00,"total": 0.00,"unapplied": 25.00,"net": -25.00}"#), "{raw}");
    assert!(!l.ok(&["aging"]).contains("IDLE"));
}

#[test]
fn back_dated_payment_is_replayed_in_date_order() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    invoice_due(&l, "B1", "ACME", "100", "2026-06-01", "2026-07-01");
    invoice_due(&l, "B2", "ACME", "100", "2026-07-01", "2026-08-01");
    pay(&l, "ACME", "100", "2026-09-10", &["--invoice", "B2"]);
    // Entered later, dated earlier: on 09-01 it pays B1 100 and B2 50, so the named
    // payment of 09-10 finds only 50 open on B2 and leaves 50 as credit.
    pay(&l, "ACME", "150", "2026-09-01", &[]);
    let raw = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(
        raw.contains(r#""total": 0.00,"unapplied": 50.00,"net": -50.00"#),
        "{raw}"
    );
    // Before both: B1 61 days overdue (61-90), B2 30 (1-30).
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-08-31", "--format", "json"]));
    assert!(raw.contains(r#""current": 0.00,"1-30": 100.00,"31-60": 0.00,"61-90": 100.00,"90+": 0.00,"total": 200.00,"unapplied": 0.00,"net": 200.00"#), "{raw}");
    // Between them: B2 has 50 open, 35 days overdue.
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-09-05", "--format", "json"]));
    assert!(raw.contains(r#""current": 0.00,"1-30": 0.00,"31-60": 50.00,"61-90": 0.00,"90+": 0.00,"total": 50.00,"unapplied": 0.00,"net": 50.00"#), "{raw}");
    // Before any entry: an empty report, not an error.
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-01-01", "--format", "json"]));
    assert!(
        raw.contains(r#""as_of": "2026-01-01""#) && raw.contains(r#""rows": [],"totals": []"#),
        "{raw}"
    );
    // An invoice issued after the as-of date does not count yet.
    invoice_due(&l, "B3", "ACME", "70", "2026-11-01", "2026-12-01");
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-10-31", "--format", "json"]));
    assert!(
        raw.contains(r#""total": 0.00,"unapplied": 50.00,"net": -50.00"#),
        "{raw}"
    );
}

#[test]
fn void_invoice_leaves_the_aging() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    invoice_due(&l, "V1", "ACME", "100", "2026-09-01", "2026-10-01");
    invoice_due(&l, "V2", "ACME", "200", "2026-09-01", "2026-10-01");
    l.ok(&[
        "invoice",
        "void",
        "V2",
        "--date",
        "2026-11-01",
        "--reason",
        "issued twice",
    ]);
    let raw = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(
        raw.contains(r#""1-30": 0.00,"31-60": 100.00,"61-90": 0.00,"90+": 0.00,"total": 100.00"#),
        "{raw}"
    );
    // A void takes effect from its date: as of an earlier date V2 counts as it did.
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-10-15", "--format", "json"]));
    assert!(
        raw.contains(r#""1-30": 300.00,"31-60": 0.00,"61-90": 0.00,"90+": 0.00,"total": 300.00"#),
        "{raw}"
    );
    // Dated on its issue date, a void removes the invoice from every date.
    l.ok(&["invoice", "void", "V1", "--date", "2026-09-01"]);
    let raw = compact(&l.ok(&["aging", "--as-of", "2026-10-15", "--format", "json"]));
    assert!(raw.contains(r#""total": 200.00"#), "{raw}");
    invoice_due(&l, "V3", "ACME", "100", "2026-09-01", "2026-10-01");
    // An unnamed payment dated from the void on never reaches the void one.
    pay(&l, "ACME", "250", "2026-11-01", &[]);
    let raw = compact(&l.ok(&["aging", "--format", "json"]));
    assert!(
        raw.contains(r#""total": 0.00,"unapplied": 150.00,"net": -150.00"#),
        "{raw}"
    );
}

#[test]
fn currencies_get_their_own_rows_and_totals() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    add_client(&l, "KUWA", "Kuwait Trading");
    let add = |n: &str, c: &str, amount: &str, cur: &str, due: &str| {
        l.ok(&[
            "add-invoice",
            "--client",
            c,
            "--number",
            n,
            "--amount",
            amount,
            "--currency",
            cur,
            "--date",
            "2026-08-01",
            "--due",
            due,
        ]);
    };
    add("U1", "ACME", "1,234.50", "USD", "2026-11-30");
    add("J1", "ACME", "150000", "JPY", "2026-10-01"); // 53 days overdue
    add("K1", "KUWA", "12.345", "KWD", "2026-08-15"); // 100 days overdue
    add("U2", "KUWA", "0.05", "USD", "2026-11-13"); // 10 days overdue
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "50000",
        "--currency",
        "JPY",
        "--date",
        "2026-11-01",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "KUWA",
        "--amount",
        "0.005",
        "--currency",
        "KWD",
        "--date",
        "2026-11-02",
        "--invoice",
        "K1",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "KUWA",
        "--amount",
        "2000",
        "--currency",
        "JPY",
        "--date",
        "2026-11-02",
    ]);
    let raw = l.ok(&["aging", "--format", "json"]);
    let expected = r#"{
  "as_of": "2026-11-23",
  "basis": "due",
  "buckets": [
    "current",
    "1-30",
    "31-60",
    "61-90",
    "90+"
  ],
  "rows": [
    {
      "client": "ACME",
      "name": "Acme Ltd",
      "currency": "JPY",
      "current": 0,
      "1-30": 0,
      "31-60": 100000,
      "61-90": 0,
      "90+": 0,
      "total": 100000,
      "unapplied": 0,
      "net": 100000
    },
    {
      "client": "ACME",
      "name": "Acme Ltd",
      "currency": "USD",
      "current": 1234.50,
      "1-30": 0.00,
      "31-60": 0.00,
      "61-90": 0.00,
      "90+": 0.00,
      "total": 1234.50,
      "unapplied": 0.00,
      "net": 1234.50
    },
    {
      "client": "KUWA",
      "name": "Kuwait Trading",
      "currency": "JPY",
      "current": 0,
      "1-30": 0,
      "31-60": 0,
      "61-90": 0,
      "90+": 0,
      "total": 0,
      "unapplied": 2000,
      "net": -2000
    },
    {
      "client": "KUWA",
      "name": "Kuwait Trading",
      "currency": "KWD",
      "current": 0.000,
      "1-30": 0.000,
      "31-60": 0.000,
      "61-90": 0.000,
      "90+": 12.340,
      "total": 12.340,
      "unapplied": 0.000,
      "net": 12.340
    },
    {
      "client": "KUWA",
      "name": "Kuwait Trading",
      "currency": "USD",
      "current": 0.00,
      "1-30": 0.05,
      "31-60": 0.00,
      "61-90": 0.00,
      "90+": 0.00,
      "total": 0.05,
      "unapplied": 0.00,
      "net": 0.05
    }
  ],
  "totals": [
    {
      "currency": "JPY",
      "current": 0,
      "1-30": 0,
      "31-60": 100000,
      "61-90": 0,
      "90+": 0,
      "total": 100000,
      "unapplied": 2000,
      "net": 98000
    },
    {
      "currency": "KWD",
      "current": 0.000,
      "1-30": 0.000,
      "31-60": 0.000,
      "61-90": 0.000,
      "90+": 12.340,
      "total": 12.340,
      "unapplied": 0.000,
      "net": 12.340
    },
    {
      "currency": "USD",
      "current": 1234.50,
      "1-30": 0.05,
      "31-60": 0.00,
      "61-90": 0.00,
      "90+": 0.00,
      "total": 1234.55,
      "unapplied": 0.00,
      "net": 1234.55
    }
  ]
}
"#;
    assert_eq!(raw, expected);
    let table = l.ok(&["aging"]);
    assert_eq!(
        table,
        "\
Aging as of 2026-11-23 (days past due)
 client  name            currency   current   1-30    31-60  61-90     90+     total  unapplied       net
 ACME    Acme Ltd        JPY              0      0  100,000      0       0   100,000          0   100,000
 ACME    Acme Ltd        USD       1,234.50   0.00     0.00   0.00    0.00  1,234.50       0.00  1,234.50
 KUWA    Kuwait Trading  JPY              0      0        0      0       0         0      2,000    -2,000
 KUWA    Kuwait Trading  KWD          0.000  0.000    0.000  0.000  12.340    12.340      0.000    12.340
 KUWA    Kuwait Trading  USD           0.00   0.05     0.00   0.00    0.00      0.05       0.00      0.05
 TOTAL                   JPY              0      0  100,000      0       0   100,000      2,000    98,000
 TOTAL                   KWD          0.000  0.000    0.000  0.000  12.340    12.340      0.000    12.340
 TOTAL                   USD       1,234.50   0.05     0.00   0.00    0.00  1,234.55       0.00  1,234.55
"
    );
}

#[test]
fn csv_guards_text_cells_that_a_spreadsheet_would_run() {
    let l = TestLedger::new();
    add_client(&l, "HYPER", "=HYPERLINK(\"http://x\",\"y\")");
    add_client(&l, "MINUS", "-Minus Ltd");
    add_client(&l, "PLAIN", "Plain, \"Quoted\" Co");
    invoice_due(&l, "H1", "HYPER", "1,000.10", "2026-11-01", "2026-12-01");
    invoice_due(&l, "-M1", "MINUS", "20", "2026-09-01", "2026-10-01");
    invoice_due(&l, "@P1", "PLAIN", "3", "2026-11-01", "2026-11-20");
    let csv = l.ok(&["aging", "--format", "csv"]);
    assert_eq!(
        csv,
        "\
client,name,currency,current,1-30 days,31-60 days,61-90 days,90+ days,total,unapplied,net
HYPER,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",USD,1000.10,0.00,0.00,0.00,0.00,1000.10,0.00,1000.10
MINUS,'-Minus Ltd,USD,0.00,0.00,20.00,0.00,0.00,20.00,0.00,20.00
PLAIN,\"Plain, \"\"Quoted\"\" Co\",USD,0.00,3.00,0.00,0.00,0.00,3.00,0.00,3.00
"
    );
    let csv = l.ok(&["aging", "--by", "invoice", "--format", "csv"]);
    assert!(
        csv.contains("\n'-M1,MINUS,'-Minus Ltd,USD,2026-09-01,2026-10-01,53,20.00,31-60 days\n"),
        "{csv}"
    );
    assert!(csv.contains("\n'@P1,PLAIN,"), "{csv}");
    // JSON and the table carry the names as they are.
    let raw = l.ok(&["aging", "--format", "json"]);
    assert!(raw.contains(r#""name": "-Minus Ltd""#), "{raw}");
    assert!(
        raw.contains(r#""name": "=HYPERLINK(\"http://x\",\"y\")""#),
        "{raw}"
    );
    assert!(l.ok(&["aging"]).contains(" MINUS   -Minus Ltd "));
}

#[test]
fn fail_if_over_exits_3_only_when_something_is_that_late() {
    let l = edges_ledger();
    // The oldest is 91 days overdue.
    let out = l.run(&["aging", "--fail-if-over", "90"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout.contains("255.00"),
        "the report is still printed: {}",
        out.stdout
    );
    let err = l.fails(&["aging", "--fail-if-over", "90", "--format", "json"], 3);
    assert_eq!(
        err,
        "error: an invoice is 91 days overdue, over the --fail-if-over limit of 90\n"
    );
    l.ok(&["aging", "--fail-if-over", "91"]);
    // As of a day earlier, E91 is 90 days overdue: not over 90.
    l.ok(&["aging", "--fail-if-over", "90", "--as-of", "2026-11-22"]);
    // Paying the oldest off removes the alert.
    pay(&l, "ACME", "128", "2026-11-23", &["--invoice", "E91"]);
    l.ok(&["aging", "--fail-if-over", "90"]);
    l.fails(&["aging", "--fail-if-over", "89"], 3);
    // An empty ledger never trips.
    let empty = TestLedger::new();
    empty.ok(&["init"]);
    empty.ok(&["aging", "--fail-if-over", "0"]);
}

#[test]
fn aging_of_a_missing_ledger_is_refused_and_creates_nothing() {
    let l = TestLedger::new();
    let err = l.fails(&["aging"], 1);
    assert_eq!(
        err,
        format!(
            "error: no ledger at {}: create it with `ar init` (or any command that writes), or check --db / AR_DB\n",
            l.db.display()
        )
    );
    assert!(!l.db.exists());
}

// ---------------------------------------------------------------------------------
// What a user sees: the fixed snapshot ledger (tests/common), today 2026-11-23.

#[test]
fn aging_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!("aging_table", l.ok(&["aging"]));
    insta::assert_snapshot!("aging_json", l.ok(&["aging", "--format", "json"]));
    insta::assert_snapshot!("aging_csv", l.ok(&["aging", "--format", "csv"]));
}

#[test]
fn aging_by_invoice_snapshots() {
    let l = snapshot_ledger();
    insta::assert_snapshot!("aging_by_invoice_table", l.ok(&["aging", "--by", "invoice"]));
    insta::assert_snapshot!(
        "aging_by_invoice_json",
        l.ok(&["aging", "--by", "invoice", "--format", "json"])
    );
    insta::assert_snapshot!(
        "aging_by_invoice_csv",
        l.ok(&["aging", "--by", "invoice", "--format", "csv"])
    );
}

#[test]
fn sums_too_large_to_show_are_refused_never_wrapped() {
    // 9,300 invoices of the largest amount add up to more than an i64 of cents: the
    // old sums wrapped to a negative total. Now every sum is widened, and one too
    // large to show is refused in one line.
    let l = TestLedger::new();
    add_client(&l, "BIG", "Big");
    let mut csv = String::from("number,client,issue_date,amount\n");
    for i in 0..9_300 {
        csv.push_str(&format!("N{i},BIG,2026-11-01,\"9,999,999,999,999.99\"\n"));
    }
    let file = l.write_file("big.csv", &csv);
    l.ok(&["import", "invoices", &file]);
    for args in [
        &["aging"][..],
        &["aging", "--by", "invoice"],
        &["client", "list"],
        &["days-to-pay"],
    ] {
        let err = l.fails(args, 1);
        assert!(
            err.contains("add up to more than ar can count") && err.contains("USD"),
            "{args:?}: {err}"
        );
    }
    // What needs no sum is shown, exactly.
    let out = l.ok(&["invoice", "list", "--open", "--format", "csv"]);
    assert_eq!(
        out.lines().filter(|r| r.contains(",9999999999999.99,")).count(),
        9_300
    );
}

#[test]
fn amounts_never_wrap_on_a_narrow_terminal() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Holdings International Limited");
    invoice_due(&l, "A-1", "ACME", "1,234,567.89", "2026-08-01", "2026-08-31");
    invoice_due(&l, "A-2", "ACME", "98,765.43", "2026-10-01", "2026-10-31");
    let out = l.run_on_terminal(&["aging"], 60);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for figure in ["1,234,567.89", "98,765.43", "1,333,333.32"] {
        assert!(
            out.stdout.contains(figure),
            "{figure} cut at 60 columns:\n{}",
            out.stdout
        );
    }
}
