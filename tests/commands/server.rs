//! A ledger on a PostgreSQL server, through the commands: the same figures as a
//! file ledger, a round trip between the two, the roles of a team, and refusals of
//! databases that are not ledgers. Skipped, with a note, without a server (see
//! `ar::store::pg::testing`); under `CI=true` they run.

use ar::store::pg::testing;

use crate::common::*;

/// A ledger on a new database of the test server, or `None` (skip).
fn server_ledger() -> Option<TestLedger> {
    Some(TestLedger::at(&testing::fresh_database()?))
}

#[test]
fn the_tour_runs_on_a_server_with_the_figures_of_a_file() {
    let Some(pg) = server_ledger() else { return };
    let file = TestLedger::file_ledger();
    for l in [&pg, &file] {
        l.ok(&["init", "--currency", "NZD"]);
        l.ok(&["client", "add", "ACME", "--name", "Acme Ltd", "--terms", "net 30"]);
        l.ok(&["client", "add", "beta", "--name", "Beta & Co"]);
        l.ok(&[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "1,250.00",
            "--date",
            "2026-09-01",
        ]);
        l.ok(&[
            "add-invoice",
            "--client",
            "acme",
            "--amount",
            "300.00",
            "--date",
            "2026-10-01",
        ]);
        l.ok(&[
            "add-invoice",
            "--client",
            "BETA",
            "--amount",
            "99.99",
            "--date",
            "2026-10-15",
        ]);
        l.ok(&[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "1,400.00",
            "--date",
            "2026-10-20",
        ]);
        l.ok(&[
            "credit-note",
            "--client",
            "BETA",
            "--amount",
            "9.99",
            "--date",
            "2026-10-20",
            "--reason",
            "damaged",
        ]);
    }
    for args in [
        &["aging", "--format", "json"][..],
        &["aging", "--as-of", "2026-10-10"],
        &["days-to-pay", "--format", "json"],
        &["invoice", "list", "--format", "json"],
        &["client", "list"],
        &["log", "--format", "json"],
        &["check"],
    ] {
        assert_eq!(
            pg.ok(args).replace(&pg.db.display().to_string(), "LEDGER"),
            file.ok(args).replace(&file.db.display().to_string(), "LEDGER"),
            "ar {args:?}"
        );
    }
    // Codes and numbers are unique in any ASCII letter case, as in a file.
    let refused = pg.fails(&["client", "add", "Acme", "--name", "Again"], 1);
    assert!(refused.contains("ACME") || refused.contains("Acme"), "{refused}");
}

#[test]
fn a_file_ledger_moves_to_a_server_and_back_byte_for_byte() {
    let Some(pg) = server_ledger() else { return };
    let file = TestLedger::file_ledger();
    let csv = file.path().join("generated");
    generated_csv(&file, &csv, 400, 7);
    let csv_text = csv.to_str().unwrap();
    file.ok(&["import", "--dir", csv_text]);
    let exported = file.path().join("exported");
    file.ok(&["export", "--dir", exported.to_str().unwrap()]);

    pg.ok(&["import", "--dir", exported.to_str().unwrap()]);
    let from_server = pg.path().join("from-server");
    pg.ok(&["export", "--dir", from_server.to_str().unwrap()]);
    assert_eq!(files(&exported), files(&from_server), "the exports differ");

    let back = TestLedger::file_ledger();
    back.ok(&["import", "--dir", from_server.to_str().unwrap()]);
    for args in [
        &["aging", "--format", "json", "--as-of", "2026-06-30"][..],
        &["aging", "--format", "csv", "--as-of", "2026-03-31"],
        &["days-to-pay", "--format", "json", "--as-of", "2026-06-30"],
        &["client", "list", "--format", "json"],
    ] {
        let want = file.ok(args);
        assert_eq!(pg.ok(args), want, "ar {args:?} on the server");
        assert_eq!(back.ok(args), want, "ar {args:?} back in a file");
    }
    assert!(pg.ok(&["check"]).contains("sound") || pg.ok(&["check"]).contains("ok"));
}

#[test]
fn the_same_import_row_by_row_and_in_bulk_gives_the_same_ledger() {
    let Some(bulk) = server_ledger() else { return };
    let Some(rows) = server_ledger() else { return };
    let file = TestLedger::file_ledger();
    let csv = file.path().join("generated");
    generated_csv(&file, &csv, 300, 3);
    let dir = csv.to_str().unwrap();
    bulk.ok_in(&[("AR_BULK_ENTRIES", "1")], &["import", "--dir", dir]);
    rows.ok_in(&[("AR_BULK_ENTRIES", "100000000")], &["import", "--dir", dir]);
    file.ok(&["import", "--dir", dir]);
    for args in [
        &["aging", "--format", "json", "--as-of", "2026-06-30"][..],
        &["days-to-pay", "--format", "json", "--as-of", "2026-06-30"],
        &["invoice", "list", "--format", "csv"],
    ] {
        let want = file.ok(args);
        assert_eq!(bulk.ok(args), want, "ar {args:?} after a bulk import");
        assert_eq!(rows.ok(args), want, "ar {args:?} after an import row by row");
    }
    bulk.ok(&["check"]);
    rows.ok(&["check"]);
}

/// The roles of docs: an owner (the schema), a bookkeeper (writes), a report role
/// (reads only).
#[test]
fn a_report_role_reads_and_is_refused_a_write_in_one_line() {
    let Some(owner) = server_ledger() else { return };
    owner.ok(&["init", "--currency", "NZD"]);
    acme(&owner, "net 30");
    add_invoice(&owner, "ACME", "100.00", "2026-10-01", &[]);
    let n = std::process::id();
    let (bookkeeper, report) = (format!("ar_bookkeeper_{n}"), format!("ar_report_{n}"));
    testing::admin(&format!(
        "DROP ROLE IF EXISTS {bookkeeper}; DROP ROLE IF EXISTS {report};
         CREATE ROLE {bookkeeper} LOGIN; CREATE ROLE {report} LOGIN;"
    ));
    let address = owner.db.to_str().unwrap().to_string();
    testing::admin_on(
        &address,
        &format!(
            "GRANT USAGE ON SCHEMA public TO {bookkeeper}, {report};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {bookkeeper};
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {bookkeeper};
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO {report};"
        ),
    );
    let before = owner.dump();
    let as_report = TestLedger::at(&format!("{address} user={report}"));
    let aging = as_report.ok(&["aging", "--format", "json"]);
    assert!(aging.contains("100.00"), "{aging}");
    as_report.ok(&["check"]);
    let refused = as_report.fails(&["pay", "--client", "ACME", "--amount", "10.00"], 1);
    assert_eq!(refused.lines().count(), 1, "{refused}");
    assert!(refused.contains("read-only"), "{refused}");
    assert_eq!(owner.dump(), before, "a refused write changed the ledger");

    let as_bookkeeper = TestLedger::at(&format!("{address} user={bookkeeper}"));
    as_bookkeeper.ok(&[
        "pay",
        "--client",
        "ACME",
        "--amount",
        "10.00",
        "--date",
        "2026-10-05",
    ]);
    as_bookkeeper.ok(&[
        "add-invoice",
        "--client",
        "ACME",
        "--amount",
        "5.00",
        "--date",
        "2026-10-06",
    ]);
    let aging = as_report.ok(&["aging", "--format", "json"]);
    assert!(aging.contains("95.00"), "{aging}");
    owner.ok(&["check"]);
}

#[test]
fn a_database_of_another_program_is_refused_untouched() {
    let Some(other) = server_ledger() else { return };
    let address = other.db.to_str().unwrap().to_string();
    testing::admin_on(
        &address,
        "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1);",
    );
    let before = other.dump();
    let refused = other.fails(&["init"], 1);
    assert!(refused.contains("not an ar ledger"), "{refused}");
    other.fails(&["aging"], 1);
    assert_eq!(other.dump(), before);
}

#[test]
fn a_ledger_of_a_newer_ar_is_refused_untouched() {
    let Some(l) = server_ledger() else { return };
    l.ok(&["init"]);
    let address = l.db.to_str().unwrap().to_string();
    testing::admin_on(&address, "UPDATE ar_meta SET schema_version = 99");
    let before = l.dump();
    for args in [&["aging"][..], &["pay", "--client", "X", "--amount", "1"]] {
        let refused = l.fails(args, 1);
        assert!(refused.contains("newer version of ar"), "{refused}");
    }
    assert_eq!(l.dump(), before);
}

#[test]
fn a_read_of_an_empty_database_says_there_is_no_ledger_and_creates_none() {
    let Some(l) = server_ledger() else { return };
    let refused = l.fails(&["aging"], 1);
    assert!(refused.contains("no ledger at"), "{refused}");
    assert_eq!(l.dump(), "<no ledger>");
}

#[test]
fn messages_never_show_the_password() {
    let Some(base) = testing::server() else { return };
    let address = testing::with_database(base, "no_such_database_here");
    let l = TestLedger::at(&format!("{address} password=s3cret-pw"));
    let refused = l.fails(&["aging"], 1);
    assert!(!refused.contains("s3cret-pw"), "{refused}");
    assert!(refused.contains("password=***"), "{refused}");
    let l = TestLedger::at("postgresql://ar:s3cret-pw@/x?host=/nonexistent/socket/dir");
    let refused = l.fails(&["aging"], 1);
    assert!(!refused.contains("s3cret-pw"), "{refused}");
    assert!(refused.contains("ar:***@"), "{refused}");
}
