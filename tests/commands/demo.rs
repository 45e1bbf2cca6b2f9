//! `ar demo`: a sample ledger of its own (never the user's), its reports, and the
//! generator's CSV files.

use crate::common::{TestLedger, add_client, generated_csv};

#[test]
fn demo_builds_its_own_ledger_and_never_touches_ar_db() {
    let l = TestLedger::new();
    std::fs::create_dir(l.path().join("sample")).unwrap();
    let path_s = l.file("sample/demo.db");
    let out = l.ok(&["demo", "--db", &path_s]);
    assert!(out.starts_with(&format!("Sample ledger: {path_s} (")), "{out}");
    assert!(
        out.contains("\nAging as of 2026-11-23 (days past due)\n"),
        "{out}"
    );
    assert!(
        out.contains("\nDays to pay as of 2026-11-23, invoices settled in the last 365 days\n"),
        "{out}"
    );
    assert!(out.contains(" days to pay against a 30-day term: "), "{out}");
    assert!(out.contains("\n TOTAL "), "{out}");
    assert!(!l.db.exists(), "ar demo created AR_DB");
    // The sample is a real ledger: reports on it agree with the demo's own output.
    let aging = l.ok(&["--db", &path_s, "aging"]);
    assert!(out.contains(&aging), "{out}\n---\n{aging}");
    // Rebuilt on every run, to the same figures.
    assert_eq!(l.ok(&["demo", "--db", &path_s]), out);
    // It refuses the user's ledger, which stays unchanged (fails() checks AR_DB).
    add_client(&l, "ACME", "Acme Ltd");
    let db = l.db.to_str().unwrap().to_string();
    let err = l.fails(&["demo", "--db", &db], 1);
    assert!(err.contains("is not a demo ledger"), "{err}");
    assert!(l.ok(&["client", "list"]).contains("ACME"));
    // A --db whose directory does not exist is refused, as for every command.
    let err = l.fails(&["demo", "--db", &l.file("nowhere/demo.db")], 1);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!l.path().join("nowhere").exists());
}

#[test]
fn demo_with_ar_db_set_leaves_that_ledger_alone() {
    let l = TestLedger::new();
    add_client(&l, "ACME", "Acme Ltd");
    let before = l.dump();
    // Without --db the sample goes to the cache directory: ~/.cache/ar/demo.db (its
    // directories created), never AR_DB.
    let out = l.ok(&["demo"]);
    let cached = l.path().join(".cache/ar/demo.db");
    assert!(
        out.starts_with(&format!("Sample ledger: {} (", cached.display())),
        "{out}"
    );
    assert!(cached.exists());
    assert_eq!(before, l.dump());
    assert!(!l.ok(&["aging", "--format", "csv"]).contains("GLOBEX"));
    // $XDG_CACHE_HOME wins over HOME.
    let xdg = l.path().join("xdg-cache");
    let out = l.ok_in(&[("XDG_CACHE_HOME", xdg.to_str().unwrap())], &["demo"]);
    assert!(
        out.starts_with(&format!("Sample ledger: {} (", xdg.join("ar/demo.db").display())),
        "{out}"
    );
    assert_eq!(before, l.dump());
}

#[test]
fn demo_options_shape_the_sample() {
    let l = TestLedger::new();
    let db = l.file("demo.db");
    let out = l.ok(&[
        "demo",
        "--db",
        &db,
        "--invoices",
        "40",
        "--clients",
        "3",
        "--seed",
        "5",
        "--end",
        "2026-06-30",
        "--days",
        "90",
    ]);
    assert!(
        out.starts_with(&format!("Sample ledger: {db} (3 clients, 40 invoices, ")),
        "{out}"
    );
    assert!(
        out.contains("\nAging as of 2026-06-30 (days past due)\n"),
        "{out}"
    );
    // The same seed gives the same ledger, another seed another one.
    let again = l.ok(&[
        "demo",
        "--db",
        &db,
        "--invoices",
        "40",
        "--clients",
        "3",
        "--seed",
        "5",
        "--end",
        "2026-06-30",
        "--days",
        "90",
    ]);
    assert_eq!(out, again);
    let other = l.ok(&[
        "demo",
        "--db",
        &db,
        "--invoices",
        "40",
        "--clients",
        "3",
        "--seed",
        "6",
        "--end",
        "2026-06-30",
        "--days",
        "90",
    ]);
    assert_ne!(out, other);
    let first = l.ok(&["--db", &db, "invoice", "list", "--format", "csv"]);
    let issued: Vec<&str> = first
        .lines()
        .skip(1)
        .map(|r| r.split(',').nth(3).unwrap())
        .collect();
    assert!(
        issued.iter().all(|d| ("2026-04-01".."2026-07-01").contains(d)),
        "--days 90 before --end: {issued:?}"
    );
    l.fails(&["demo", "--db", &db, "--invoices", "0"], 2);
    l.fails(&["demo", "--db", &db, "--end", "2026-02-30"], 1);
}

#[test]
fn demo_csv_writes_the_four_import_files_and_no_ledger() {
    let l = TestLedger::new();
    let dir = l.path().join("gen");
    generated_csv(&l, &dir, 60, 3);
    let names: Vec<String> = crate::common::files(&dir).into_keys().collect();
    assert_eq!(
        names,
        ["clients.csv", "corrections.csv", "invoices.csv", "payments.csv"]
    );
    let invoices = std::fs::read_to_string(dir.join("invoices.csv")).unwrap();
    assert_eq!(invoices.lines().count(), 61, "a header and 60 invoices");
    // A few of them corrected, in the import layout of corrections.
    let corrections = std::fs::read_to_string(dir.join("corrections.csv")).unwrap();
    let mut lines = corrections.lines();
    let header = lines.next().expect("a header");
    assert!(header.starts_with("kind,client,date,amount,"), "{header}");
    let rows = lines.count();
    assert!((1..=60).contains(&rows), "{corrections}");
    assert!(
        !l.db.exists() && !l.path().join(".cache").exists(),
        "no ledger written"
    );
    // The same seed writes the same bytes; the files import as they are.
    let again = l.path().join("again");
    generated_csv(&l, &again, 60, 3);
    assert_eq!(crate::common::files(&dir), crate::common::files(&again));
    let out = l.ok(&["import", "--dir", dir.to_str().unwrap()]);
    assert!(out.starts_with("imported 12 clients, 60 invoices, "), "{out}");
    assert!(out.contains(&format!(" payments, {rows} corrections ")), "{out}");
    assert!(l.ok(&["check"]).contains("is sound"));
}
