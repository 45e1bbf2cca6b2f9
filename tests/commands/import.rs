//! `ar import`: every refused row named by file, line and column with nothing
//! written, the CSV dialects users hand us (and the strict reader's refusals),
//! allocation equal to `ar pay`, files imported twice, and the bulk path (pipes and
//! large files) storing and refusing exactly what the row-by-row path does.

use crate::common::{
    TestLedger, derived, files, generated_csv, hand_built, integrity, raw, raw_rows, same_output, schema,
    small_ledger,
};

/// The hidden switch that sends every write of a command down the bulk path.
const BULK: (&str, &str) = ("AR_BULK_ENTRIES", "0");

/// Run an import that must be refused: exit 1, no panic, nothing on stdout, and the
/// ledger's rows and schema exactly as before. Returns stderr (the error list).
fn refused(l: &TestLedger, args: &[&str], stdin: Option<&str>) -> String {
    refused_with(l, args, stdin, &[])
}

/// [`refused`] with variables set (`AR_BULK_ENTRIES`).
fn refused_with(l: &TestLedger, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> String {
    let (before, schema_before) = (l.dump(), schema(&l.db));
    let out = l.run_in(env, args, stdin.unwrap_or_default().as_bytes());
    let stderr = out.stderr;
    assert_eq!(out.code, 1, "ar {args:?}: exit 1 expected:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "ar {args:?} printed on stdout although refused"
    );
    assert_eq!(before, l.dump(), "ar {args:?} wrote rows although it was refused");
    assert_eq!(
        schema_before,
        schema(&l.db),
        "ar {args:?} left the schema changed"
    );
    stderr
}

/// The `file:line: column: reason` lines of an error list.
fn error_lines<'a>(stderr: &'a str, file: &str) -> Vec<&'a str> {
    let prefix = format!("{file}:");
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// Require exactly these errors, in this order: (line, column, a word of the reason).
/// The last line of stderr is the one-line verdict with the count.
fn expect_errors(stderr: &str, file: &str, expected: &[(u64, &str, &str)]) {
    let lines = error_lines(stderr, file);
    let got: Vec<String> = lines
        .iter()
        .map(|l| {
            l[file.len()..]
                .splitn(4, ": ")
                .take(2)
                .collect::<Vec<_>>()
                .join(": ")
        })
        .collect();
    let want: Vec<String> = expected
        .iter()
        .map(|(line, column, _)| format!(":{line}: {column}"))
        .collect();
    assert_eq!(got, want, "errors (file:line: column) differ; stderr:\n{stderr}");
    for (line, (_, _, word)) in lines.iter().zip(expected) {
        assert!(
            line.to_lowercase().contains(&word.to_lowercase()),
            "`{word}` expected in `{line}`"
        );
    }
    expect_verdict(stderr, expected.len());
}

/// The last line of stderr: the verdict, with the count of bad rows.
fn expect_verdict(stderr: &str, n: usize) {
    let last = stderr.trim_end().lines().last().unwrap_or_default();
    let rows = if n == 1 { "row" } else { "rows" };
    // (When every row repeats a client or invoice, the verdict says that instead.)
    assert!(
        last.starts_with("error: nothing imported: ")
            && (last.contains(&format!(" {n} bad {rows};")) || last.contains(&format!(" {n} {rows} repeat"))),
        "verdict with the count expected last:\n{stderr}"
    );
}

// ---------------------------------------------------------------------------------
// Refused rows: file, line, column, reason, and nothing written

#[test]
fn every_bad_invoice_row_is_named_by_line_and_column_and_nothing_is_written() {
    let l = small_ledger();
    let inv = l.write_file(
        "inv.csv",
        "number,client,issue_date,due_date,amount,currency\n\
         OK-1,ACME,2026-02-01,,10.00,USD\n\
         A-1,ACME,2026-01-01,,12x,USD\n\
         A-2,ACME,2026-01-01,,1.234,USD\n\
         A-3,ACME,2026-13-01,,1,USD\n\
         A-4,ACME,2026-02-01,2026-01-31,1,USD\n\
         A-5,ACME,2026-01-01,,1,XYZ\n\
         A-6,NOPE,2026-01-01,,1,USD\n\
         A-7,ACME,2026-01-01,,1,USD\n\
         a-7,BETA,2026-01-01,,1,USD\n\
         inv-9,ACME,2026-01-01,,1,USD\n\
         A-8,ACME,2026-01-01,,0,USD\n\
         A-9,ACME,2026-01-01,,-5,USD\n\
         A-10,ACME,2026-01-01,,1.5,JPY\n\
         A-11,,2026-01-01,,1,USD\n\
         A-12,ACME,2026-01-01,01/02/2026,1,USD\n\
         A-13,ACME,2026-01-01,,\"1,000.0001\",KWD\n\
         A-14,NOPE,2026-01-01,,12x,XYZ\n\
         OK-2,ACME,2026-02-01,,\"1,000.001\",KWD\n",
    );
    let stderr = refused(&l, &["import", "invoices", &inv], None);
    expect_errors(
        &stderr,
        &inv,
        &[
            (3, "amount", "12x"),
            (4, "amount", "2 decimal"),
            (5, "issue_date", "2026-13-01"),
            (6, "due_date", "before the issue date"),
            (7, "currency", "XYZ"),
            (8, "client", "NOPE"),
            (10, "number", "a-7"),
            (11, "number", "inv-9"),
            (12, "amount", "greater than zero"),
            (13, "amount", "-5"),
            (14, "amount", "JPY"),
            (15, "client", "required"),
            (16, "due_date", "01/02/2026"),
            (17, "amount", "KWD"),
            // An unknown client is said first, as `ar add-invoice` says it.
            (18, "client", "NOPE"),
        ],
    );
    // The same file with --dry-run: the same list, still nothing written.
    let dry = refused(&l, &["import", "invoices", &inv, "--dry-run"], None);
    assert_eq!(error_lines(&dry, &inv), error_lines(&stderr, &inv));
    // In bulk mode (rows read and checked on a second thread): the same list.
    let bulk = refused_with(&l, &["import", "invoices", &inv], None, &[BULK]);
    assert_eq!(bulk, stderr);
}

#[test]
fn every_bad_payment_row_is_named_by_line_and_column_and_nothing_is_written() {
    let l = small_ledger();
    l.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "1000",
        "--currency",
        "JPY",
        "--date",
        "2026-01-05",
        "--number",
        "J-1",
    ]);
    let pay = l.write_file(
        "pay.csv",
        "client,date,amount,invoice,reference,currency\n\
         ACME,2026-02-01,10,INV-9,fine,\n\
         ACME,2026-02-01,10,NOPE-1,,\n\
         ACME,2026-02-01,10,B-1,,\n\
         ACME,2026-01-02,10,INV-9,,\n\
         ACME,2026-02-01,10,INV-9,,EUR\n\
         ACME,2026-02-01,10,J-1,,USD\n\
         NOPE,2026-02-01,10,,,\n\
         ACME,2026-02-31,10,,,\n\
         ACME,2026-02-01,1.001,,,\n\
         ACME,2026-02-01,10,,,ZZZ\n\
         ACME,2026-02-01,,,,\n\
         ACME,2026-02-01,10.5,J-1,,\n\
         NOPE,2026-02-01,x,NOPE-1,,ZZZ\n\
         ACME,2026-02-01,x,B-1,\"bad\treference\",\n\
         acme,2026-02-01,10,inv-9,lower case is fine,\n",
    );
    let stderr = refused(&l, &["import", "payments", &pay], None);
    expect_errors(
        &stderr,
        &pay,
        &[
            (3, "invoice", "NOPE-1"),
            (4, "invoice", "BETA"),
            (5, "invoice", "after the payment date"),
            (6, "currency", "EUR"),
            (7, "currency", "JPY"),
            (8, "client", "NOPE"),
            (9, "date", "2026-02-31"),
            (10, "amount", "1.001"),
            (11, "currency", "ZZZ"),
            (12, "amount", "required"),
            (13, "amount", "JPY"),
            // First the client, then the invoice, the amount, the reference (as
            // `ar pay` checks them).
            (14, "client", "NOPE"),
            (15, "invoice", "BETA"),
        ],
    );
    // In bulk mode (rows read, checked and their invoices found on a second
    // thread): the same list.
    let bulk = refused_with(&l, &["import", "payments", &pay], None, &[BULK]);
    assert_eq!(bulk, stderr);
}

#[test]
fn bad_client_rows_and_duplicates_in_the_file_or_the_ledger_any_case() {
    let l = small_ledger();
    let c = l.write_file(
        "c.csv",
        "code,name,email,terms_days,credit_limit\n\
         NEW,New Ltd,,30,\n\
         acme,Acme again,,,\n\
         new,New again,,,\n\
         X1,,,,\n\
         Y1,Y,not-an-email,,\n\
         Z1,Z,,abc,\n\
         W1,W,,,1.234\n\
         V1,V,,,-5\n\
         =SUM(A1),Formula,,,\n\
         U1,Bidi \u{202E}txt.exe,,,\n",
    );
    let stderr = refused(&l, &["import", "clients", &c], None);
    expect_errors(
        &stderr,
        &c,
        &[
            (3, "code", "acme"),
            (4, "code", "new"),
            (5, "name", "required"),
            (6, "email", "not-an-email"),
            (7, "terms_days", "abc"),
            (8, "credit_limit", "1.234"),
            (9, "credit_limit", "-5"),
            (10, "code", "must start with a letter or digit"),
            (11, "name", "invisible formatting characters"),
        ],
    );
}

#[test]
fn a_quote_left_open_is_named_as_such_at_its_line() {
    // The strict reader names the line where the quote opened, without a column
    // (the rest of the file is one run-on field).
    let l = small_ledger();
    let q = l.write_file("q.csv", "code,name\nA,Aye\nB,\"unterminated\nC,Cee\nD,Dee\n");
    let stderr = refused(&l, &["import", "clients", &q], None);
    assert_eq!(
        error_lines(&stderr, &q),
        [format!(
            "{q}:3: a quote \" opened here is not closed before the end of the file: close it"
        )]
    );
    expect_verdict(&stderr, 1);
}

#[test]
fn a_quote_left_open_on_the_last_line_is_named() {
    let l = small_ledger();
    let q = l.write_file("q.csv", "code,name\nA,Aye\nB,\"Bee\n");
    let stderr = refused(&l, &["import", "clients", &q], None);
    assert_eq!(
        error_lines(&stderr, &q),
        [format!(
            "{q}:3: a quote \" opened here is not closed before the end of the file: close it"
        )]
    );
    expect_verdict(&stderr, 1);
}

#[test]
fn rows_the_strict_reader_cannot_read_for_sure_are_refused() {
    let l = small_ledger();
    // A row with more or fewer fields than the header: a shifted column would put
    // values under the wrong names.
    let p = l.write_file(
        "p.csv",
        "client,date,amount,reference\n\
         ACME,2026-02-01,10,ok\n\
         ACME,2026-02-01,10,a,b\n\
         ACME,2026-02-01\n",
    );
    let stderr = refused(&l, &["import", "payments", &p], None);
    let lines = error_lines(&stderr, &p);
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("{p}:3: ")) && lines[0].contains("this row has 5 fields, the header 4"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with(&format!("{p}:4: ")) && lines[1].contains("this row has 2 fields, the header 4"),
        "{stderr}"
    );
    // Text after a closing quote.
    let q = l.write_file("q.csv", "code,name\nA,\"x\"y\n");
    let stderr = refused(&l, &["import", "clients", &q], None);
    let lines = error_lines(&stderr, &q);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with(&format!("{q}:2: ")), "{stderr}");
    // A header naming a column twice: which one is meant?
    let h = l.write_file("h.csv", "code,name,Name\nA,Aye,Bee\n");
    let stderr = refused(&l, &["import", "clients", &h], None);
    let lines = error_lines(&stderr, &h);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with(&format!("{h}:1: ")), "{stderr}");
}

#[test]
fn missing_required_columns_are_named_on_the_header_line() {
    let l = small_ledger();
    let c = l.write_file("c.csv", "name,email\nAcme,a@b.example\n");
    let e = refused(&l, &["import", "clients", &c], None);
    expect_errors(&e, &c, &[(1, "code", "missing")]);
    let i = l.write_file("i.csv", "number,client,amount,due_date\nX-1,ACME,10,2026-01-01\n");
    let e = refused(&l, &["import", "invoices", &i], None);
    expect_errors(&e, &i, &[(1, "issue_date", "missing")]);
    let p = l.write_file("p.csv", "client,when,amount\nACME,2026-01-01,10\n");
    let e = refused(&l, &["import", "payments", &p], None);
    expect_errors(&e, &p, &[(1, "date", "missing")]);
    // An empty file has no header row at all.
    let empty = l.write_file("empty.csv", "");
    let e = refused(&l, &["import", "payments", &empty], None);
    assert_eq!(
        error_lines(&e, &empty),
        [format!(
            "{empty}:1: is empty: the first line must name the columns (a header row)"
        )]
    );
}

#[test]
fn twenty_five_bad_rows_list_the_first_twenty_and_count_the_rest() {
    let l = small_ledger();
    let mut csv = String::from("number,client,issue_date,amount\n");
    for i in 0..25 {
        csv.push_str(&format!("Z-{i},ACME,2026-03-01,{i}.999\n"));
    }
    let many = l.write_file("many.csv", &csv);
    let e = refused(&l, &["import", "invoices", &many], None);
    let listed = error_lines(&e, &many);
    assert_eq!(listed.len(), 20, "{e}");
    for (i, line) in listed.iter().enumerate() {
        assert!(line.starts_with(&format!("{many}:{}: amount: ", i + 2)), "{line}");
    }
    assert!(e.contains("… and 5 more"), "{e}");
    assert!(e.contains("25 bad rows"), "{e}");
    assert!(!e.contains(&format!("{many}:22:")), "{e}");
}

#[test]
fn dry_run_checks_every_row_and_writes_nothing() {
    let l = small_ledger();
    let ok = l.write_file(
        "ok.csv",
        "number,client,issue_date,amount\nD-1,ACME,2026-03-01,10\nD-2,BETA,2026-03-02,20\nD-3,ACME,2026-03-03,30\n",
    );
    let (before, schema_before) = (l.dump(), schema(&l.db));
    let out = l.ok(&["import", "invoices", &ok, "--dry-run"]);
    assert!(
        out.starts_with("checked (dry run, nothing written) 3 invoices for 2 clients in "),
        "{out}"
    );
    assert_eq!(before, l.dump(), "--dry-run wrote to the ledger");
    assert_eq!(schema_before, schema(&l.db));
    // The same through stdin (the bulk path), and for payments.
    let out = l.ok_with_stdin(
        &["import", "payments", "-", "--dry-run"],
        b"client,date,amount\nACME,2026-03-01,5\n",
    );
    assert!(
        out.starts_with("checked (dry run, nothing written) 1 payment for 1 client in "),
        "{out}"
    );
    assert_eq!(before, l.dump(), "--dry-run from stdin wrote to the ledger");
    assert_eq!(schema_before, schema(&l.db));
    // And for real: the rows arrive (a dry run does not count as an import of the file).
    let out = l.ok(&["import", "invoices", &ok]);
    assert!(out.contains("imported 3 invoices for 2 clients"), "{out}");
    assert_ne!(before, l.dump());
    // A dry run into no ledger at all checks against an empty one and creates none.
    let none = TestLedger::new();
    let c = none.write_file("c.csv", "code,name\nA,Aye\n");
    let out = none.ok(&["import", "clients", &c, "--dry-run"]);
    assert!(
        out.starts_with("checked (dry run, nothing written) 1 client in "),
        "{out}"
    );
    assert!(!none.db.exists());
}

#[test]
fn a_bad_file_in_a_dir_import_writes_none_of_the_files() {
    let a = hand_built();
    let e = a.path().join("e");
    a.ok(&["export", "--dir", e.to_str().unwrap()]);
    // Break the last row of the last file: clients and invoices are fine.
    let p = e.join("payments.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let n = text.lines().count();
    std::fs::write(
        &p,
        text.replace("beta,2026-10-21,10.01", "beta,2026-10-21,10.011"),
    )
    .unwrap();
    let b = TestLedger::new();
    b.ok(&["init", "--currency", "EUR", "--terms", "45"]);
    let stderr = refused(&b, &["import", "--dir", e.to_str().unwrap()], None);
    expect_errors(&stderr, p.to_str().unwrap(), &[(n as u64, "amount", "10.011")]);
}

// ---------------------------------------------------------------------------------
// What files users hand us

#[test]
fn bom_crlf_quoting_extra_columns_and_any_column_order() {
    let l = TestLedger::new();
    let clients = l.write_file(
        "clients.csv",
        "\u{feff}name,notes,code,terms_days\r\n\
         \"Acme, \"\"the\"\" Co\",\"multi\r\nline, with \"\"quotes\"\"\",ACME,14\r\n\
         Beta,,BETA,\r\n\
         \r\n",
    );
    l.ok(&["import", "clients", &clients]);
    let list = l.ok(&["client", "list", "--format", "json"]);
    assert!(
        list.contains("\"Acme, \\\"the\\\" Co\"") && list.contains("\"net 14\""),
        "{list}"
    );
    assert!(!list.contains("notes") && !list.contains('\u{feff}'), "{list}");
    // Invoices: BOM, CRLF, columns in another order, an extra column with a quoted
    // newline; the row after it is still numbered by its real line.
    let inv = l.write_file(
        "inv.csv",
        "\u{feff}amount,Extra,issue_date,client,number\r\n\
         \"1,234.50\",\"a\r\nb\",2026-01-01,acme,Q-1\r\n\
         12x,,2026-01-01,BETA,Q-2\r\n",
    );
    let e = refused(&l, &["import", "invoices", &inv], None);
    expect_errors(&e, &inv, &[(4, "amount", "12x")]);
    let inv = l.write_file(
        "inv.csv",
        "\u{feff}amount,Extra,issue_date,client,number\r\n\
         \"1,234.50\",\"a\r\nb\",2026-01-01,acme,Q-1\r\n\
         12,,2026-01-01,BETA,Q-2\r\n",
    );
    l.ok(&["import", "invoices", &inv]);
    let inv = l.json(&["invoice", "list"]);
    let inv = inv.as_array().unwrap();
    assert_eq!(inv.len(), 2);
    let q1 = inv.iter().find(|i| i["number"] == "Q-1").unwrap();
    assert_eq!(q1["client"], "ACME");
    assert_eq!(q1["due_date"], "2026-01-15", "ACME's 14 days");
    let raw_inv = raw_rows(&l.ok(&["invoice", "list", "--format", "json"]));
    let q1 = raw_inv.iter().find(|i| raw(i, "number") == "\"Q-1\"").unwrap();
    assert_eq!(raw(q1, "amount"), "1234.50");
    // CRLF without a BOM: line numbers still count every line.
    let p = l.write_file(
        "p.csv",
        "client,date,amount\r\nACME,2026-02-01,10\r\nACME,2026-02-01,x\r\n",
    );
    let e = refused(&l, &["import", "payments", &p], None);
    expect_errors(&e, &p, &[(3, "amount", "x")]);
}

#[test]
fn stdin_is_read_with_a_dash() {
    let l = small_ledger();
    let out = l.ok_with_stdin(
        &["import", "payments", "-"],
        b"client,date,amount,reference\r\nBETA,2026-02-01,60,by stdin\r\n",
    );
    assert!(out.starts_with("imported 1 payment for 1 client in "), "{out}");
    let pays = l.ok(&["payment", "list", "--format", "csv"]);
    assert!(pays.contains("BETA,USD,60.00,,by stdin"), "{pays}");
    let e = refused(
        &l,
        &["import", "payments", "-"],
        Some("client,date,amount\nBETA,2026-02-01,1.111\n"),
    );
    expect_errors(&e, "stdin", &[(2, "amount", "1.111")]);
    // Blank lines count as lines (the csv crate's own count skips them).
    let e = refused(
        &l,
        &["import", "payments", "-"],
        Some("\nclient,date,amount\n\nBETA,2026-02-01,1\n\n\nBETA,2026-02-01,x\nBETA,2026-02-01,y"),
    );
    expect_errors(&e, "stdin", &[(7, "amount", "x"), (8, "amount", "y")]);
    let e = refused(
        &l,
        &["import", "payments", "-"],
        Some("\u{feff}\n\nclient,amount\n"),
    );
    expect_errors(&e, "stdin", &[(3, "date", "missing")]);
}

// ---------------------------------------------------------------------------------
// The same file twice, and payments that look entered twice

#[test]
fn the_same_file_imported_again_is_refused_unless_again() {
    let l = small_ledger();
    let p = l.write_file(
        "p.csv",
        "client,date,amount,reference\nBETA,2026-02-01,60,first\n",
    );
    l.ok(&["import", "payments", &p]);
    let err = refused(&l, &["import", "payments", &p], None);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        err,
        format!(
            "error: {p} was already imported into this ledger on 2026-11-23 12:00 UTC (1 row): \
             importing it again would enter its payments twice; if that is what you want, add --again\n"
        )
    );
    // The same bytes by another name, or through a pipe: the same file, named.
    let copy = l.write_file("copy.csv", &std::fs::read_to_string(&p).unwrap());
    let err = refused(&l, &["import", "payments", &copy], None);
    assert!(
        err.starts_with(&format!(
            "error: {copy} has the same bytes as {p}, imported into this ledger on"
        )),
        "{err}"
    );
    let text = std::fs::read_to_string(&p).unwrap();
    let err = refused(&l, &["import", "payments", "-"], Some(&text));
    assert!(
        err.starts_with(&format!("error: stdin has the same bytes as {p}, imported")),
        "{err}"
    );
    // Clients again: nothing would be entered twice, and nothing is to be done.
    let c = l.write_file("c.csv", "code,name\nNEWCO,New Co\nOTHER,Other\n");
    l.ok(&["import", "clients", &c]);
    let err = refused(&l, &["import", "clients", &c], None);
    assert!(
        err.ends_with("(2 rows): its clients are in the ledger already: nothing to do\n"),
        "{err}"
    );
    // A dry run of it says the same, and writes nothing either.
    let err = refused(&l, &["import", "payments", &p, "--dry-run"], None);
    assert!(err.contains("was already imported"), "{err}");
    // With --again it goes in, and its payment is now there twice (with a warning).
    let out = l.run(&["import", "payments", &p, "--again"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("imported 1 payment for 1 client in "),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.starts_with(&format!("warning: {p}:2: ")),
        "{}",
        out.stderr
    );
    let pays = l.ok(&["payment", "list", "--client", "BETA", "--format", "csv"]);
    assert_eq!(pays.matches(",first,").count(), 2, "{pays}");
    // Another file, even of the same rows in another order of columns, is new.
    let other = l.write_file(
        "other.csv",
        "reference,client,date,amount\nsecond,BETA,2026-02-02,1\n",
    );
    l.ok(&["import", "payments", &other]);
}

#[test]
fn a_payment_that_repeats_another_is_imported_with_a_warning() {
    let l = small_ledger();
    // Same client, date, amount and reference as the ledger's payment of 01-20, and
    // a row repeating the row before it: both go in, both are named.
    let p = l.write_file(
        "p.csv",
        "client,date,amount,reference\n\
         ACME,2026-01-20,40,\n\
         BETA,2026-02-01,5,r1\n\
         BETA,2026-02-01,5,r1\n\
         BETA,2026-02-01,6,r1\n",
    );
    let before = l.dump();
    let out = l.run(&["import", "payments", &p]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("imported 4 payments for 2 clients in "),
        "{}",
        out.stdout
    );
    let warnings: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{}", out.stderr);
    for ((line, what), w) in [(2, "and no reference as"), (4, "and reference as")]
        .iter()
        .zip(&warnings)
    {
        assert!(
            w.starts_with(&format!("warning: {p}:{line}: "))
                && w.contains(&format!("same client, date, amount {what} one already entered")),
            "{}",
            out.stderr
        );
    }
    assert_ne!(before, l.dump());
}

// ---------------------------------------------------------------------------------
// Allocation on import equals `ar pay`, back-dated payments included

const PAYMENTS: &str = "client,date,amount,invoice,reference,currency\n\
    ACME,2026-01-12,980,A-1,back-dated: inside A-1's discount window,\n\
    acme,2026-02-15,300,,unnamed: oldest first,\n\
    ACME,2026-03-01,100,A-3,same day as the existing one,\n\
    BETA,2026-02-01,250,,overpays: credit,\n\
    BETA,2026-02-01,1000,,yen,JPY\n\
    BETA,2026-01-11,50,B-1,,\n";

/// Both ledgers: the same clients, invoices and earlier payments.
fn allocation_ledger() -> TestLedger {
    let l = TestLedger::new();
    l.ok(&[
        "client",
        "add",
        "ACME",
        "--name",
        "Acme",
        "--terms",
        "2/10 net 30",
    ]);
    l.ok(&["client", "add", "BETA", "--name", "Beta"]);
    for (c, n, amount, date, cur) in [
        ("ACME", "A-1", "1000", "2026-01-05", "USD"),
        ("ACME", "A-2", "500", "2026-01-20", "USD"),
        ("ACME", "A-3", "300", "2026-02-10", "USD"),
        ("BETA", "B-1", "200", "2026-01-10", "USD"),
        ("BETA", "B-2", "1500", "2026-01-15", "JPY"),
        ("BETA", "B-3", "80", "2026-01-31", "USD"),
    ] {
        l.ok(&[
            "add-invoice",
            "--client",
            c,
            "--number",
            n,
            "--amount",
            amount,
            "--date",
            date,
            "--currency",
            cur,
        ]);
    }
    // Entered before the import, dated after most of its rows.
    l.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "400",
        "--date",
        "2026-03-01",
    ]);
    l.ok(&[
        "pay",
        "--client",
        "BETA",
        "--amount",
        "50",
        "--date",
        "2026-03-01",
    ]);
    l
}

#[test]
fn imported_payments_allocate_exactly_as_ar_pay_even_back_dated() {
    let by_pay = allocation_ledger();
    for line in PAYMENTS.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let mut args = vec!["pay", "--client", f[0], "--date", f[1], "--amount", f[2]];
        for (flag, v) in [("--invoice", f[3]), ("--reference", f[4]), ("--currency", f[5])] {
            if !v.is_empty() {
                args.extend([flag, v]);
            }
        }
        by_pay.ok(&args);
    }
    let by_file = allocation_ledger();
    let p = by_file.write_file("p.csv", PAYMENTS);
    by_file.ok(&["import", "payments", &p]);
    let by_stdin = allocation_ledger();
    by_stdin.ok_with_stdin(&["import", "payments", "-"], PAYMENTS.as_bytes());
    for args in [
        &["invoice", "list", "--format", "json"][..],
        &["payment", "list", "--format", "json"],
        &["invoice", "show", "A-1"],
        &["invoice", "show", "A-2"],
        &["aging", "--as-of", "2026-02-20", "--format", "json"],
        &["aging", "--as-of", "2026-03-31", "--format", "json"],
        &["days-to-pay", "--as-of", "2026-03-31", "--format", "json"],
    ] {
        same_output(&by_pay, &by_file, args);
        same_output(&by_pay, &by_stdin, args);
    }
    // And what they agree on is the back-dated replay: A-1 closed on 01-12 with the
    // discount, so the existing 400 of 03-01 moved on to A-2 (after the 300 of 02-15).
    let show = by_file.ok(&["invoice", "show", "A-1"]);
    assert!(
        show.contains("(paid as of 2026-11-23)") && show.contains("discount") && show.contains("20.00"),
        "{show}"
    );
    let inv = raw_rows(&by_file.ok(&["invoice", "list", "--format", "json"]));
    let get = |n: &str, k: &str| {
        let row = inv
            .iter()
            .find(|i| raw(i, "number") == format!("\"{n}\""))
            .unwrap();
        raw(row, k).to_string()
    };
    assert_eq!(get("A-2", "open"), "0.00");
    assert_eq!(get("A-3", "open"), "0.00");
    assert_eq!(get("B-1", "open"), "0.00");
    assert_eq!(get("B-2", "open"), "500");
    let pays = raw_rows(&by_file.ok(&["payment", "list", "--format", "json"]));
    let unapplied: Vec<(String, String)> = pays
        .iter()
        .map(|p| (raw(p, "date").to_string(), raw(p, "unapplied").to_string()))
        .collect();
    // ACME: 980 + 20 discount close A-1; 300 to A-2; on 03-01 the existing 400 goes
    // oldest first (A-2 200, A-3 200), then the imported 100 named to A-3 closes it.
    // BETA: 50 to B-1; the 250 of 02-01 closes B-1 (150) and B-3 (80), 20 left over;
    // the existing 50 of 03-01 finds nothing open.
    assert_eq!(
        unapplied,
        [
            ("\"2026-01-11\"", "0.00"),
            ("\"2026-01-12\"", "0.00"),
            ("\"2026-02-01\"", "20.00"),
            ("\"2026-02-01\"", "0"),
            ("\"2026-02-15\"", "0.00"),
            ("\"2026-03-01\"", "0.00"),
            ("\"2026-03-01\"", "50.00"),
            ("\"2026-03-01\"", "0.00"),
        ]
        .map(|(d, u)| (d.to_string(), u.to_string()))
    );
}

// ---------------------------------------------------------------------------------
// Restores and repeats

#[test]
fn a_backup_imported_back_into_its_own_ledger_is_told_to_use_a_new_one() {
    let l = small_ledger();
    let bk = l.file("bk");
    l.ok(&["export", "--dir", &bk]);
    let stderr = refused(&l, &["import", "--dir", &bk], None);
    let last = stderr.trim_end().lines().last().unwrap();
    assert!(
        last.contains("repeat clients or invoices the ledger already holds")
            && last.contains("import it into a new ledger (--db NEW.db)"),
        "{stderr}"
    );
    // One row that is bad for another reason: the usual verdict.
    let clients = l.path().join("bk/clients.csv");
    let a = std::fs::read_to_string(&clients).unwrap();
    std::fs::write(&clients, format!("{a}NEW,\n")).unwrap();
    let stderr = refused(&l, &["import", "--dir", &bk], None);
    assert!(
        stderr.trim_end().ends_with("fix them and import again"),
        "{stderr}"
    );
}

#[test]
fn repeats_name_their_line_even_after_a_row_refused_for_its_void_reason() {
    let l = small_ledger();
    // V1's reason and V2's date are refused: neither row may go in, or the lines
    // later repeats are sent to would shift.
    let text = "number,client,issue_date,amount,voided_on,void_reason\n\
                V1,ACME,2026-01-01,10,2026-01-02,bad\treason\n\
                V2,ACME,2026-01-05,10,2026-01-02,early\n\
                A1,ACME,2026-01-01,10,,\n\
                A2,ACME,2026-01-01,10,,\n\
                A1,ACME,2026-01-01,10,,\n\
                A2,ACME,2026-01-01,10,,\n\
                V1,ACME,2026-01-01,10,,\n";
    let i = l.write_file("i.csv", text);
    let expected = [
        (2, "void_reason", "control characters"),
        (
            3,
            "voided_on",
            "a void dated 2026-01-02 would be before it; fix voided_on or issue_date",
        ),
        (6, "number", "`A1` repeats line 4"),
        (7, "number", "`A2` repeats line 5"),
    ];
    let rows = refused(&l, &["import", "invoices", &i], None);
    expect_errors(&rows, &i, &expected);
    // The same through a pipe (bulk mode), and into a ledger without invoices (the
    // unique index down): the same list.
    let bulk = refused(&l, &["import", "invoices", "-"], Some(text));
    expect_errors(&bulk, "stdin", &expected);
    let empty = TestLedger::new();
    empty.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let bulk = refused(&empty, &["import", "invoices", "-"], Some(text));
    expect_errors(&bulk, "stdin", &expected);
    // Repeats within the file only: the usual verdict, no advice to restore.
    assert!(bulk.trim_end().ends_with("fix them and import again"), "{bulk}");
}

// ---------------------------------------------------------------------------------
// Import row reasons speak CSV, not command-line flags

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
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let p = l.write_file(
        "i.csv",
        "number,client,issue_date,amount\n\
         N-1,NOPE,2026-11-01,100\n\
         I-9,ACME,2026-11-01,100\n\
         I-9,ACME,2026-11-01,100\n",
    );
    let err = refused(&l, &["import", "invoices", &p], None);

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
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
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
    let p = l.write_file(
        "p.csv",
        "client,date,amount,invoice,currency\n\
         ACME,2026-11-05,10,B-1,\n\
         ACME,2026-11-05,10,VV,\n\
         BETA,2026-11-05,10,B-1,JPY\n",
    );
    let err = refused(&l, &["import", "payments", &p], None);

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

// ---------------------------------------------------------------------------------
// The bulk path (large files and pipes) stores what the row-by-row path stores

/// `ar import KIND -` with `text` on stdin: the bulk path.
fn import_stdin(l: &TestLedger, kind: &str, text: &str) -> String {
    l.ok_with_stdin(&["import", kind, "-"], text.as_bytes())
}

/// The header and every other data row (from `first`), of a CSV without quoted
/// line breaks.
fn every_other(text: &str, first: usize) -> String {
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines.skip(first).step_by(2) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A back-dated invoice for every client: unnamed payments entered earlier but dated
/// later can reach it, oldest first, which moves what they had settled.
fn late_invoices(clients: &str) -> String {
    let mut out = String::from("number,client,issue_date,amount\n");
    for (i, line) in clients.lines().skip(1).enumerate() {
        let code = line.split(',').next().unwrap();
        out.push_str(&format!("LATE-{i},{code},2024-07-01,{}.25\n", 40 + i));
    }
    out
}

#[test]
fn bulk_imports_store_exactly_what_row_by_row_imports_store() {
    let rows = TestLedger::new();
    let g = rows.path().join("gen");
    generated_csv(&rows, &g, 2500, 23);
    let read = |name: &str| std::fs::read_to_string(g.join(name)).unwrap();
    let (clients, invoices, payments, corrections) = (
        read("clients.csv"),
        read("invoices.csv"),
        read("payments.csv"),
        read("corrections.csv"),
    );
    for kind in ["clients", "invoices", "payments", "corrections"] {
        rows.ok(&["import", kind, g.join(format!("{kind}.csv")).to_str().unwrap()]);
    }
    // Each file through a pipe: one bulk load each.
    let bulk = TestLedger::new();
    import_stdin(&bulk, "clients", &clients);
    import_stdin(&bulk, "invoices", &invoices);
    let out = import_stdin(&bulk, "payments", &payments);
    assert!(
        out.starts_with("imported ") && out.contains(" payments for "),
        "{out}"
    );
    let out = import_stdin(&bulk, "corrections", &corrections);
    assert!(out.contains(" corrections"), "{out}");
    // Halves of each file, interleaved in time: the second invoice load goes into a
    // table that has rows (the unique index stays up), the second payment load is
    // back-dated against the first and must move allocations the first made. Entry
    // order decides ties, so they are compared with the same halves loaded row by row.
    let halves = [
        ("clients", clients.clone()),
        ("invoices", every_other(&invoices, 0)),
        ("invoices", every_other(&invoices, 1)),
        ("payments", every_other(&payments, 1)),
        ("payments", every_other(&payments, 0)),
        // Invoices entered after the payments, dated before most of them.
        ("invoices", late_invoices(&clients)),
    ];
    let (rows_halves, bulk_halves) = (TestLedger::new(), TestLedger::new());
    for (i, (kind, text)) in halves.iter().enumerate() {
        let path = rows_halves.write_file(&format!("half-{i}.csv"), text);
        rows_halves.ok(&["import", kind, &path]);
        import_stdin(&bulk_halves, kind, text);
    }
    // And all of it in one bulk transaction.
    let dir = TestLedger::new();
    dir.ok_in(&[BULK], &["import", "--dir", g.to_str().unwrap()]);

    let expected = derived(&rows.db);
    assert!(expected.matches('\n').count() > 5000, "a ledger with allocations");
    for (name, a, b) in [
        ("pipes", &rows, &bulk),
        ("--dir", &rows, &dir),
        ("halves", &rows_halves, &bulk_halves),
    ] {
        assert_eq!(
            schema(&b.db),
            schema(&a.db),
            "{name}: indexes as the schema has them"
        );
        assert_eq!(integrity(&b.db), "ok", "{name}");
        assert_eq!(derived(&b.db), derived(&a.db), "{name}: allocations differ");
        for args in [
            &["aging", "--as-of", "2026-06-30", "--format", "json"][..],
            &["aging", "--as-of", "2025-09-30", "--format", "json"],
            &["days-to-pay", "--as-of", "2026-06-30", "--format", "json"],
            &["client", "list", "--format", "csv"],
        ] {
            same_output(a, b, args);
        }
    }
    // Single entries after a bulk load find what it left: numbers, clients, credit.
    let first_client = clients.lines().nth(1).unwrap().split(',').next().unwrap();
    for l in [&rows, &bulk] {
        l.ok(&[
            "pay",
            "--client",
            first_client,
            "--amount",
            "5000",
            "--date",
            "2026-06-30",
        ]);
        l.ok(&[
            "add-invoice",
            "--client",
            first_client,
            "--amount",
            "7",
            "--date",
            "2026-06-30",
            "--number",
            "LATE-1",
        ]);
    }
    assert_eq!(derived(&bulk.db), derived(&rows.db));
    same_output(
        &rows,
        &bulk,
        &["aging", "--as-of", "2026-06-30", "--format", "json"],
    );
}

#[test]
fn a_bulk_dir_import_of_an_export_rebuilds_voids_terms_settings_and_texts() {
    let a = hand_built();
    let e1 = a.path().join("e1");
    a.ok(&["export", "--dir", e1.to_str().unwrap()]);
    let b = TestLedger::new();
    b.ok_in(&[BULK], &["import", "--dir", e1.to_str().unwrap()]);
    let e2 = b.path().join("e2");
    b.ok(&["export", "--dir", e2.to_str().unwrap()]);
    assert_eq!(
        files(&e1),
        files(&e2),
        "export → bulk import --dir → export differs"
    );
    assert_eq!(derived(&b.db), derived(&a.db));
    for args in [
        &["invoice", "list", "--format", "json"][..],
        &["payment", "list", "--format", "json"],
        &["aging", "--as-of", "2026-10-07", "--format", "json"],
        &["days-to-pay", "--as-of", "2026-11-23", "--format", "json"],
    ] {
        same_output(&a, &b, args);
    }
}

#[test]
fn bulk_imports_refuse_what_row_by_row_imports_refuse() {
    let l = small_ledger();
    // Into a table with rows: the unique index catches repeats of the ledger's own.
    let invoices = "number,client,issue_date,amount\n\
                    N-1,ACME,2026-02-01,10\n\
                    n-1,BETA,2026-02-01,10\n\
                    inv-9,ACME,2026-02-01,10\n\
                    N-2,NOPE,2026-02-01,10\n";
    let stderr = refused(&l, &["import", "invoices", "-"], Some(invoices));
    expect_errors(
        &stderr,
        "stdin",
        &[
            (3, "number", "`n-1` repeats line 2"),
            (4, "number", "`inv-9` is already in the ledger"),
            (5, "client", "NOPE"),
        ],
    );
    let payments = "client,date,amount,invoice\n\
                    ACME,2026-02-01,5,NOPE-9\n\
                    ACME,2026-02-01,5,b-1\n\
                    ACME,2026-02-01,5,INV-9\n";
    let stderr = refused(&l, &["import", "payments", "-"], Some(payments));
    expect_errors(
        &stderr,
        "stdin",
        &[
            (
                2,
                "invoice",
                "unknown invoice `NOPE-9`: import it first (invoices.csv)",
            ),
            (3, "invoice", "belongs to client"),
        ],
    );
    // Into an empty ledger the unique index is down during the load: the load's own
    // check finds repeats in any letter case.
    let empty = TestLedger::new();
    empty.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let invoices = "number,client,issue_date,amount\n\
                    X-1,ACME,2026-02-01,10\n\
                    X-2,ACME,2026-02-01,10\n\
                    x-1,ACME,2026-02-01,10\n\
                    X-ü,ACME,2026-02-01,10\n\
                    X-Ü,ACME,2026-02-01,10\n";
    let stderr = refused(&empty, &["import", "invoices", "-"], Some(invoices));
    // SQLite's NOCASE folds ASCII letters only: X-ü and X-Ü are two numbers.
    expect_errors(&stderr, "stdin", &[(4, "number", "`x-1` repeats line 2")]);
    // A row refused for another reason does not take its number: the row after it
    // may use it, in bulk mode as row by row.
    let invoices = "number,client,issue_date,amount\n\
                    Y-1,ACME,2026-02-01,abc\n\
                    Y-1,ACME,2026-02-01,10\n\
                    Y-2,ACME,2026-02-01,-1\n";
    let bulk = refused(&empty, &["import", "invoices", "-"], Some(invoices));
    expect_errors(&bulk, "stdin", &[(2, "amount", "abc"), (4, "amount", "-1")]);
    let y = empty.write_file("y.csv", invoices);
    let rows = refused(&empty, &["import", "invoices", &y], None);
    assert_eq!(error_lines(&rows, &y).len(), error_lines(&bulk, "stdin").len());
}

#[test]
fn a_directory_named_as_a_file_is_refused_with_the_way_to_import_it() {
    let l = small_ledger();
    let dir = l.path().join("csvs");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let err = refused(&l, &["import", "clients", d], None);
    assert_eq!(
        err,
        format!(
            "error: cannot import {d}: it is a directory, not a CSV file: name a file \
             (a directory of them is imported with `ar import --dir DIR`)\n"
        )
    );
}

#[test]
fn settings_from_ledger_csv_are_stored_as_ar_init_stores_them() {
    let l = TestLedger::new();
    let dir = l.path().join("bk");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("ledger.csv"),
        "key,value\ndefault_currency, eur\ndefault_terms,2/10 NET 45\n",
    )
    .unwrap();
    l.ok(&["import", "--dir", dir.to_str().unwrap()]);
    let conn = crate::common::open_existing(&l.db);
    assert_eq!(
        crate::common::rows_text(
            &conn,
            "SELECT key, value FROM settings WHERE key LIKE 'default_%' ORDER BY key"
        ),
        crate::common::rows_text(
            &rusqlite::Connection::open_in_memory().unwrap(),
            "SELECT 'default_currency', 'EUR' UNION ALL SELECT 'default_terms', '2/10 net 45'"
        ),
        "the standard form, as `ar init --currency eur --terms '2/10 NET 45'` writes"
    );
}
