//! What spans the commands: refusals of every command in one table, usage errors,
//! values that look like flags, and the three output formats of every list.

use crate::common::{TestLedger, acme, add_invoice, pay, raw, raw_object, raw_rows};

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

    let add = |more: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["add-invoice", "--client", "ACME", "--amount", "5"];
        args.extend_from_slice(more);
        args
    };
    let pay_acme = |more: &[&'static str]| -> Vec<&'static str> {
        let mut args = vec!["pay", "--client", "ACME", "--amount", "5"];
        args.extend_from_slice(more);
        args
    };
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec!["add-invoice", "--client", "NOPE", "--amount", "5"],
            &["unknown client `NOPE`", "ar client add NOPE"],
        ),
        (
            vec!["pay", "--client", "nope", "--amount", "5"],
            &["unknown client `nope`"],
        ),
        (vec!["client", "show", "NOPE"], &["unknown client `NOPE`"]),
        (
            vec!["client", "edit", "NOPE", "--name", "x"],
            &["unknown client `NOPE`"],
        ),
        (
            vec!["invoice", "list", "--client", "NOPE"],
            &["unknown client `NOPE`"],
        ),
        (
            vec!["payment", "list", "--client", "NOPE"],
            &["unknown client `NOPE`"],
        ),
        (
            vec!["client", "add", "acme", "--name", "Again"],
            &["client `acme` already exists", "ar client edit"],
        ),
        (
            vec!["client", "add", "A B", "--name", "x"],
            &["client code `A B` contains spaces"],
        ),
        (
            vec!["client", "add", "X", "--name", "x", "--email", "nope"],
            &["invalid email `nope`"],
        ),
        (
            vec!["client", "add", "X", "--name", "x", "--terms", "thirty"],
            &["invalid terms `thirty`", "2/10 net 30"],
        ),
        (
            vec!["client", "add", "X", "--name", "x", "--terms", "-5"],
            &["invalid terms `-5`"],
        ),
        (
            vec!["client", "add", "X", "--name", "x", "--terms", "2/40 net 30"],
            &["invalid terms `2/40 net 30`"],
        ),
        (
            vec!["client", "edit", "ACME", "--terms", "99999"],
            &["invalid terms `99999`"],
        ),
        (vec!["init", "--terms", "x"], &["invalid terms `x`"]),
        (
            add(&["--date", "2026-02-30"]),
            &["invalid issue date `2026-02-30`", "no such day"],
        ),
        (
            add(&["--date", "2026-13-01"]),
            &["invalid issue date `2026-13-01`"],
        ),
        (
            add(&["--date", "01/02/2026"]),
            &["invalid issue date `01/02/2026`", "YYYY-MM-DD"],
        ),
        (add(&["--due", "2026-11-31"]), &["invalid due date `2026-11-31`"]),
        (
            pay_acme(&["--date", "2026-02-29"]),
            &["invalid date `2026-02-29`"],
        ),
        (
            vec!["invoice", "void", "INV-0001", "--date", "yesterday"],
            &["invalid void date `yesterday`"],
        ),
        (
            vec!["aging", "--as-of", "2026-13-01"],
            &["invalid date `2026-13-01`"],
        ),
        (
            vec!["client", "list", "--as-of", "2026-11-31"],
            &["invalid date `2026-11-31`"],
        ),
        (
            add(&["--date", "2026-11-10", "--due", "2026-11-09"]),
            &["due date 2026-11-09 is before the issue date 2026-11-10"],
        ),
        (
            add(&["--currency", "XYZ"]),
            &["unknown currency `XYZ`", "ISO 4217"],
        ),
        (
            pay_acme(&["--currency", "dollars"]),
            &["unknown currency `dollars`"],
        ),
        (vec!["init", "--currency", "ABC"], &["unknown currency `ABC`"]),
        (
            vec![
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
            pay_acme(&["--invoice", "INV-0002", "--date", "2026-11-09"]),
            &["invoice `INV-0002` was issued on 2026-11-10, after the payment date 2026-11-09"],
        ),
        (
            pay_acme(&["--invoice", "INV-0002", "--currency", "USD"]),
            &[
                "invoice `INV-0002` is in EUR, the payment in USD",
                "--currency EUR",
            ],
        ),
        (
            pay_acme(&["--invoice", "INV-9999"]),
            &["unknown invoice `INV-9999`"],
        ),
        (
            vec!["invoice", "show", "INV-9999"],
            &["unknown invoice `INV-9999`"],
        ),
        (
            vec!["invoice", "void", "INV-9999"],
            &["unknown invoice `INV-9999`"],
        ),
        (
            vec!["client", "add", "X", "--name", "x", "--credit-limit", "-5"],
            &["invalid credit limit `-5`: it must not be negative"],
        ),
        (
            vec!["add-invoice", "--client", "ACME", "--amount", "-5"],
            &["invalid amount `-5`: the amount must be positive"],
        ),
        (
            add(&["--currency", ""]),
            &["error: --currency is empty: give an ISO 4217 code"],
        ),
        // Only the culprit is escaped: the rest reads as typed.
        (
            vec!["client", "add", "X", "--name", "Café \u{202e}lbat"],
            &["the name `Café \\u{202e}lbat` contains invisible formatting characters"],
        ),
        (
            vec!["client", "add", "X", "--name", "Café\tBar"],
            &["the name `Café\\tBar` contains control characters"],
        ),
        (
            vec!["demo", "--end", "0001-06-01"],
            &[
                "a sample of 730 days ending on 0001-06-01 would hold dates the ledger cannot",
                "give an --end between 0004-02-05 and 9998-11-25",
            ],
        ),
    ];
    for (args, parts) in &cases {
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
        &["frobnicate"],
    ] {
        let err = l.fails(args, 2);
        assert!(err.starts_with("error:"), "{args:?}: {err}");
    }
    // A group without its subcommand: clap shows the group's help, on stderr.
    let err = l.fails(&["client"], 2);
    assert!(
        err.contains("Usage: ar client") && err.contains("\n  add "),
        "{err}"
    );
    let out = l.run(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("Usage: ar") && out.stderr.is_empty(),
        "{out:?}"
    );
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
        "+evil@example.com",
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
    // net = open - unapplied: what the client owes after its credit.
    assert_eq!(raw(&bal[0], "net"), "-50.00");
    assert_eq!(
        l.ok(&["client", "list", "--format", "csv"]),
        "code,name,email,terms,credit_limit,currency,open,overdue,unapplied,net\n\
         EVIL,\"'=HYPERLINK(\"\"x\"\")\",'+evil@example.com,net 30,1000.00,USD,0.00,0.00,50.00,-50.00\n"
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
    l.ok(&["init"]);
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

// ---------------------------------------------------------------------------------
// Output that cannot be written: the user's to fix (a full disk behind `>`), exit 1.

/// Standard output on a full disk.
struct FullDisk;

impl std::io::Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn output_that_cannot_be_written_is_refused_not_a_bug() {
    let l = TestLedger::new();
    acme(&l, "30");
    add_invoice(&l, "ACME", "100", "2026-11-01", &[]);
    for args in [
        &["aging"][..],
        &["aging", "--format", "json"],
        &["client", "list", "--format", "csv"],
        &["export", "--format", "json"],
    ] {
        let (code, err) = l.run_writing_to(args, &mut FullDisk);
        assert_eq!(
            (code, err.as_str()),
            (1, "error: cannot write the output: the disk is full\n"),
            "ar {args:?}"
        );
    }
    // A write commits before its receipt is printed: the message says it is there.
    let (code, err) = l.run_writing_to(
        &["add-invoice", "--client", "ACME", "--amount", "5"],
        &mut FullDisk,
    );
    assert_eq!(
        (code, err.as_str()),
        (
            1,
            "error: cannot write the output: the disk is full (anything it entered is recorded: check before running it again)\n"
        )
    );
    let out = l.ok(&["invoice", "list", "--format", "csv"]);
    assert_eq!(out.lines().count(), 3, "{out}");
}
