//! The refusals reworded or added from the errors audit (docs/errors.md, commit
//! 74b1f4d): dates the ledger can hold, CSV advice in import row reasons, void of a
//! paid invoice, a busy ledger and a failed `export --dir`. Each test fails if its
//! fix is reverted.

use std::path::Path;

use crate::common::TestLedger;

fn with_client(code: &str) -> TestLedger {
    let l = TestLedger::new();
    l.ok(&["client", "add", code, "--name", "Acme"]);
    l
}

// ---- Dates beyond what the ledger can hold ----

#[test]
fn a_due_date_past_9999_12_30_is_refused_and_the_ledger_stays_readable() {
    let l = with_client("ACME");
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
    let l = with_client("ACME");
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
        "error: invalid date `9999-12-31`: dates must be on or before 9999-12-30"
    );
}

#[test]
fn a_year_must_have_four_digits() {
    let l = with_client("ACME");
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
        "error: invalid date `+999-01-01`: write dates as YYYY-MM-DD, like 2026-11-23"
    );
}

// ---- Import row reasons speak CSV, not command-line flags ----

/// Run an import that must be refused with nothing written; return its stderr.
fn import_refused(l: &TestLedger, kind: &str, name: &str, csv: &str) -> String {
    let path = l.path().join(name);
    std::fs::write(&path, csv).expect("write csv");
    let before = l.dump();
    let out = l.run(&["import", kind, path.to_str().expect("utf-8 path")]);
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "{stderr}");
    assert_eq!(before, l.dump(), "a refused import changed the ledger");
    stderr
}

/// The reason given for `line` of `file`, without the `FILE:LINE: COLUMN: ` prefix.
fn reason<'a>(stderr: &'a str, file: &str, line: u32, column: &str) -> &'a str {
    let prefix = format!("{file}:{line}: {column}: ");
    stderr
        .lines()
        .find_map(|l| l.split_once(&prefix).map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no `{prefix}` line in:\n{stderr}"))
}

fn no_flag_advice(reason: &str) {
    for flag in ["--number", "--invoice", "--currency", "ar client edit"] {
        assert!(
            !reason.contains(flag),
            "command-line advice `{flag}` in a CSV reason: {reason}"
        );
    }
}

#[test]
fn import_reasons_for_invoices_name_csv_fixes() {
    let l = with_client("ACME");
    let err = import_refused(
        &l,
        "invoices",
        "i.csv",
        "number,client,issue_date,amount\n\
         N-1,NOPE,2026-11-01,100\n\
         I-9,ACME,2026-11-01,100\n\
         I-9,ACME,2026-11-01,100\n",
    );
    let p = l.path().join("i.csv").display().to_string();

    let unknown = reason(&err, &p, 2, "client");
    assert_eq!(
        unknown,
        "unknown client `NOPE`: import it first (clients.csv) or add it with `ar client add`"
    );
    no_flag_advice(unknown);

    // I-9 is not in the ledger: it repeats line 3 of the same file.
    let dup = reason(&err, &p, 4, "number");
    assert_eq!(
        dup,
        "invoice `I-9` repeats line 3: numbers are unique (in any letter case); remove one of the two rows"
    );
    no_flag_advice(dup);
    assert!(!err.contains(&format!("{p}:3:")), "line 3 is fine:\n{err}");
}

#[test]
fn import_reasons_for_payments_name_csv_fixes() {
    let l = with_client("ACME");
    l.ok(&["client", "add", "BETA", "--name", "Beta"]);
    l.ok(&[
        "add-invoice",
        "--client",
        "BETA",
        "--amount",
        "100",
        "--date",
        "2026-11-01",
        "--number",
        "B-1",
    ]);
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "100",
        "--date",
        "2026-11-01",
        "--number",
        "VV",
    ]);
    l.ok(&["invoice", "void", "VV"]);
    let err = import_refused(
        &l,
        "payments",
        "p.csv",
        "client,date,amount,invoice,currency\n\
         ACME,2026-11-05,10,B-1,\n\
         ACME,2026-11-05,10,VV,\n\
         BETA,2026-11-05,10,B-1,JPY\n",
    );
    let p = l.path().join("p.csv").display().to_string();

    let other = reason(&err, &p, 2, "invoice");
    assert_eq!(
        other,
        "invoice `B-1` belongs to client `BETA`, not `ACME`: fix the client or invoice column, or leave invoice empty"
    );
    no_flag_advice(other);

    let void = reason(&err, &p, 3, "invoice");
    assert_eq!(
        void,
        "invoice `VV` is void and takes no payments: name another invoice or leave invoice empty"
    );
    no_flag_advice(void);

    let currency = reason(&err, &p, 4, "currency");
    assert_eq!(
        currency,
        "invoice `B-1` is in USD, the payment in JPY: fix the currency column or leave it empty"
    );
    no_flag_advice(currency);
}

// ---- Void of a paid invoice ----

#[test]
fn void_with_allocations_does_not_point_at_a_missing_command() {
    let l = with_client("ACME");
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "100",
        "--date",
        "2026-11-01",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "50",
        "--date",
        "2026-11-05",
    ]);
    let err = l.fails(&["invoice", "void", "INV-0001"], 1);
    assert_eq!(
        err.trim_end(),
        "error: invoice `INV-0001` has 50.00 USD of payments allocated to it and cannot be voided: \
         only an invoice nothing has been allocated to can be voided"
    );
}

// ---- A ledger another program keeps locked ----

#[test]
fn a_busy_ledger_is_named_and_nothing_is_written() {
    let l = with_client("ACME");
    let before = l.dump();
    let holder = rusqlite::Connection::open(&l.db).expect("open ledger");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");

    // ar waits 5 s for the lock, then gives up.
    let err = l.fails(&["client", "add", "X", "--name", "Y"], 1);
    assert!(err.contains("is busy"), "{err}");
    assert!(
        err.contains(&l.db.display().to_string()),
        "names the ledger: {err}"
    );
    assert!(!err.contains("Error code"), "{err}");

    holder.execute_batch("ROLLBACK").expect("release the lock");
    drop(holder);
    assert_eq!(before, l.dump(), "a refused write changed the ledger");
    let list = l.ok(&["client", "list"]);
    assert!(!list.contains(" X "), "{list}");
}

// ---- A failed export --dir ----

fn partial_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read export dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

#[test]
fn a_failed_export_dir_leaves_no_partial_files() {
    let l = with_client("ACME");
    let dir = l.path().join("bk");
    std::fs::create_dir_all(dir.join("invoices.csv")).expect("block invoices.csv");
    std::fs::write(dir.join("clients.csv"), "OLD\n").expect("earlier backup");

    let err = l.fails(&["export", "--dir", dir.to_str().expect("utf-8 path")], 1);
    assert!(err.contains("invoices.csv: it is a directory"), "{err}");
    assert_eq!(partial_files(&dir), Vec::<String>::new());
    assert!(dir.join("invoices.csv").is_dir());
    // Every target is checked before the first is replaced: the earlier backup stays
    // whole instead of becoming a mix of old and new files.
    assert_eq!(
        std::fs::read_to_string(dir.join("clients.csv")).expect("kept"),
        "OLD\n"
    );
    assert!(!dir.join("ledger.csv").exists());
}
