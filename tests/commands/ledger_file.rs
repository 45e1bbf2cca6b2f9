//! Where the ledger lives, how it is opened, created and migrated, and the files it
//! refuses to touch: not ledgers, newer schemas, permissions, empty files.

use std::path::{Path, PathBuf};

use crate::common::{TestLedger, open_existing};

/// Every file in `dir` (recursively) with its bytes: equal snapshots mean nothing in
/// the directory was written, created or removed.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                // A file this user cannot read is compared by size and mtime.
                let bytes = std::fs::read(&path).unwrap_or_else(|_| {
                    let m = std::fs::metadata(&path).expect("metadata");
                    format!("unreadable: {} bytes, {:?}", m.len(), m.modified().ok()).into_bytes()
                });
                out.push((path, bytes));
            }
        }
    }
    out.sort();
    out
}

/// Run `ar args`, require exit 1 with a one-line `error:` and no panic, and require
/// that no file under the test's directory changed. Returns the message.
fn refused_untouched(l: &TestLedger, args: &[&str]) -> String {
    let before = snapshot(l.path());
    let out = l.run(args);
    let stderr = out.stderr;
    assert_eq!(out.code, 1, "ar {args:?}:\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line expected:\n{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing on stdout when refused");
    assert!(
        snapshot(l.path()) == before,
        "ar {args:?} changed a file although it was refused"
    );
    stderr
}

/// `PRAGMA name` of a ledger (`user_version`, `application_id`).
fn pragma(db: &Path, name: &str) -> i64 {
    open_existing(db)
        .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .expect("pragma")
}

/// The schema version this build writes, read from a fresh ledger.
fn current_schema() -> i64 {
    let l = TestLedger::new();
    l.ok(&["init"]);
    pragma(&l.db, "user_version")
}

#[test]
fn ledger_path_is_db_flag_then_ar_db_then_home() {
    let l = TestLedger::new();
    std::fs::create_dir(l.path().join("flag")).unwrap();
    let flag_db = l.path().join("flag").join("by-flag.db");
    // --db beats AR_DB (the harness sets AR_DB to l.db).
    l.ok(&[
        "--db",
        flag_db.to_str().unwrap(),
        "client",
        "add",
        "FLAG",
        "--name",
        "By flag",
    ]);
    assert!(flag_db.exists());
    assert!(!l.db.exists(), "AR_DB was not used when --db was given");
    // --db after the subcommand works too (a global flag).
    let out = l.ok(&["client", "list", "--db", flag_db.to_str().unwrap()]);
    assert!(out.contains("FLAG"), "{out}");

    // AR_DB alone.
    l.ok(&["client", "add", "ENV", "--name", "By env"]);
    assert!(l.db.exists());
    let out = l.ok(&["client", "list"]);
    assert!(out.contains("ENV") && !out.contains("FLAG"), "{out}");

    // Neither (an empty AR_DB is not a path): ~/.local/share/ar/ledger.db under HOME,
    // its directories created.
    let no_ar_db = [("AR_DB", "")];
    let home_db = l.path().join(".local/share/ar/ledger.db");
    l.ok_in(&no_ar_db, &["client", "add", "HOME", "--name", "By home"]);
    assert!(home_db.exists(), "ledger expected at {}", home_db.display());
    let out = l.ok_in(&no_ar_db, &["client", "list"]);
    assert!(out.contains("HOME") && !out.contains("ENV"), "{out}");

    // $XDG_DATA_HOME wins over HOME for the default location.
    let xdg = l.path().join("xdg-data");
    let xdg_env = [("AR_DB", ""), ("XDG_DATA_HOME", xdg.to_str().unwrap())];
    l.ok_in(&xdg_env, &["client", "add", "XDG", "--name", "By XDG"]);
    assert!(xdg.join("ar/ledger.db").exists());
    let out = l.ok_in(&xdg_env, &["client", "list"]);
    assert!(out.contains("XDG") && !out.contains("HOME"), "{out}");
}

#[test]
fn a_given_path_in_a_missing_directory_is_refused_and_nothing_is_made() {
    // Only the default location has its directories made: a --db or AR_DB typed
    // wrong must not quietly grow a tree.
    let l = TestLedger::new();
    let missing = l.file("typo/ledger.db");
    let err = refused_untouched(&l, &["--db", &missing, "client", "add", "ACME", "--name", "Acme"]);
    assert!(
        err.contains(&format!(
            "the directory {} does not exist",
            l.path().join("typo").display()
        )) && err.contains("--db"),
        "{err}"
    );
    let out = l.run_in(&[("AR_DB", &missing)], &["init"], b"");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    assert!(!l.path().join("typo").exists());
}

#[test]
fn reads_of_a_missing_ledger_are_refused_and_create_nothing() {
    let l = TestLedger::new();
    let expected = format!(
        "error: no ledger at {}: create it with `ar init` (or any command that writes), or check --db / AR_DB\n",
        l.db.display()
    );
    for args in [
        &["aging"][..],
        &["days-to-pay"],
        &["client", "list"],
        &["client", "show", "ACME"],
        &["invoice", "list"],
        &["invoice", "show", "INV-0001"],
        &["payment", "list"],
        &["export", "--format", "json"],
        &["export", "--dir", &l.file("bk")],
    ] {
        let err = refused_untouched(&l, args);
        assert_eq!(err, expected, "ar {args:?}");
    }
    assert!(!l.path().join("bk").exists());
    // A read of a missing ledger in a missing directory says the same.
    let err = refused_untouched(&l, &["--db", &l.file("nowhere/l.db"), "client", "list"]);
    assert!(err.starts_with("error: no ledger at "), "{err}");
}

#[cfg(unix)]
#[test]
fn a_new_ledger_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let l = TestLedger::new();
    l.ok(&["init"]);
    let mode = std::fs::metadata(&l.db).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    // Its WAL companions, while they exist, are no more open than the ledger.
    for side in ["ledger.db-wal", "ledger.db-shm"] {
        let p = l.path().join(side);
        if p.exists() {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{side} mode {mode:o}");
        }
    }
}

#[test]
fn a_new_ledger_is_migrated_to_the_latest_schema_and_marked_as_ours() {
    let l = TestLedger::new();
    l.ok(&["init"]);
    // One version per file in migrations/.
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count() as i64;
    assert_eq!(pragma(&l.db, "user_version"), migrations);
    assert_eq!(pragma(&l.db, "user_version"), ar::store::sqlite::schema_version());
    assert_eq!(pragma(&l.db, "application_id"), 1_634_890_355);
    let conn = open_existing(&l.db);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "allocations",
            "batches",
            "client_changes",
            "clients",
            "closings",
            "corrections",
            "imports",
            "invoices",
            "payments",
            "settings"
        ]
    );
    drop(conn);
    // Opening again neither re-runs nor fails the migration.
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    l.ok(&["client", "list"]);
    assert_eq!(pragma(&l.db, "user_version"), migrations);
}

#[test]
fn a_ledger_with_a_newer_schema_is_refused_and_left_byte_for_byte() {
    let current = current_schema();
    let newer = current + 1;
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    l.ok(&["add-invoice", "--client", "ACME", "--amount", "10"]);
    {
        let conn = rusqlite::Connection::open(&l.db).unwrap();
        conn.pragma_update(None, "user_version", newer).unwrap();
    }
    assert_eq!(pragma(&l.db, "user_version"), newer);
    for args in [
        &["client", "list"][..],
        &["aging"],
        &["client", "add", "NEW", "--name", "New"],
        &["add-invoice", "--client", "ACME", "--amount", "5"],
        &["pay", "--client", "ACME", "--amount", "5"],
        &["invoice", "void", "INV-0001"],
        &["init", "--currency", "EUR"],
    ] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("newer version of ar")
                && err.contains(&format!("schema {newer}"))
                && err.contains(&format!("knows up to {current}"))
                && err.contains("upgrade ar")
                && err.contains("not changed"),
            "{err}"
        );
    }
}

#[test]
fn a_ledger_changed_outside_ar_is_refused_as_such() {
    let fresh = || {
        let l = TestLedger::new();
        l.ok(&["client", "add", "ACME", "--name", "Acme"]);
        l.ok(&["add-invoice", "--client", "ACME", "--amount", "10"]);
        l
    };
    let commands: [&[&str]; 4] = [
        &["client", "list"],
        &["aging", "--by", "invoice"],
        &["invoice", "list"],
        &["add-invoice", "--client", "ACME", "--amount", "5"],
    ];
    // Its schema version wiped: not taken for a new ledger to migrate over.
    let l = fresh();
    open_existing(&l.db)
        .pragma_update(None, "user_version", 0)
        .unwrap();
    for args in commands {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("has tables but no schema version") && err.contains("changed outside ar"),
            "ar {args:?}: {err}"
        );
    }
    // A value of another type where ar keeps dates.
    let l = fresh();
    open_existing(&l.db)
        .execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE invoices SET issue_date = '2026-02-30'")
        .unwrap();
    for args in &commands[1..3] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("holds a value ar cannot read") && err.contains("changed outside ar"),
            "ar {args:?}: {err}"
        );
    }
    // An allocation of a kind ar never writes: refused wherever it is read, never
    // shown as a payment.
    let l = fresh();
    l.ok(&["pay", "--client", "ACME", "--amount", "4"]);
    open_existing(&l.db)
        .execute_batch("PRAGMA ignore_check_constraints = ON; UPDATE allocations SET kind = 'gift'")
        .unwrap();
    for args in [&["invoice", "show", "INV-0001"][..], &["check"]] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("holds a value ar cannot read (unknown allocation kind `gift`)"),
            "ar {args:?}: {err}"
        );
    }
    // A table gone.
    let l = fresh();
    open_existing(&l.db)
        .execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE allocations")
        .unwrap();
    for args in &commands[1..] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("lacks a part of its schema (no such table: allocations)"),
            "ar {args:?}: {err}"
        );
    }
    // A column gone: refused where it is used, and `ar check` names the table.
    let l = fresh();
    open_existing(&l.db)
        .execute_batch("ALTER TABLE invoices DROP COLUMN description")
        .unwrap();
    for args in [
        &["add-invoice", "--client", "ACME", "--amount", "5"][..],
        &["invoice", "list"],
    ] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("lacks a part of its schema") && err.contains("description"),
            "{err}"
        );
    }
    let out = l.run(&["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "the table invoices is not as schema {} makes it: no column description",
            current_schema()
        )),
        "{}",
        out.stdout
    );
    // The version set back: the migration it asks for finds its work done.
    let l = fresh();
    open_existing(&l.db)
        .pragma_update(None, "user_version", 1)
        .unwrap();
    let err = refused_untouched(&l, &["add-invoice", "--client", "ACME", "--amount", "5"]);
    assert!(
        err.contains("says it has schema 1 but cannot be brought to schema 2")
            && err.contains("changed outside ar"),
        "{err}"
    );
    assert!(err.len() < 300, "one short line: {err}");
    let out = l.run(&["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    // It names what schemas 2 and on made.
    let later = out
        .stdout
        .split_once("the ledger says it has schema 1, but holds what a later schema makes (")
        .and_then(|(_, rest)| rest.split_once("): its version was set back"))
        .map(|(names, _)| names.split(", ").collect::<Vec<_>>())
        .unwrap_or_else(|| panic!("{}", out.stdout));
    for name in [
        "batches",
        "corrections",
        "imports",
        "imports_digest",
        "invoices_voided",
    ] {
        assert!(later.contains(&name), "{name} not in {later:?}");
    }
    // Set back by one schema: likewise.
    let l = fresh();
    let one_back = current_schema() - 1;
    open_existing(&l.db)
        .pragma_update(None, "user_version", one_back)
        .unwrap();
    let err = refused_untouched(&l, &["add-invoice", "--client", "ACME", "--amount", "5"]);
    assert!(
        err.contains(&format!(
            "says it has schema {one_back} but cannot be brought to schema {}",
            one_back + 1
        )) && err.contains("changed outside ar"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_untouched() {
    let l = TestLedger::new();
    std::fs::write(&l.db, "client,amount\nACME,100\n").unwrap();
    for args in [
        &["client", "list"][..],
        &["client", "add", "ACME", "--name", "Acme"],
        &["init"],
    ] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("is not an ar ledger")
                && err.contains("not a SQLite database")
                && err.contains("--db"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&l.db).unwrap(),
        "client,amount\nACME,100\n"
    );
}

#[test]
fn a_sqlite_database_of_another_program_is_refused_untouched() {
    let l = TestLedger::new();
    {
        let conn = rusqlite::Connection::open(&l.db).unwrap();
        conn.execute_batch(
            "CREATE TABLE clients (id INTEGER PRIMARY KEY, code TEXT); INSERT INTO clients (code) VALUES ('X');",
        )
        .unwrap();
    }
    for args in [
        &["client", "list"][..],
        &["client", "add", "ACME", "--name", "Acme"],
    ] {
        let err = refused_untouched(&l, args);
        assert!(
            err.contains("is not an ar ledger") && err.contains("another program"),
            "{err}"
        );
    }
    assert_eq!(pragma(&l.db, "user_version"), 0);
}

#[test]
fn unusable_ledger_paths_are_refused_with_a_fix() {
    let l = TestLedger::new();
    // A directory.
    let dir = l.path().join("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let err = refused_untouched(&l, &["--db", dir.to_str().unwrap(), "client", "list"]);
    assert!(err.contains("it is a directory") && err.contains("--db"), "{err}");
    let err = refused_untouched(&l, &["--db", dir.to_str().unwrap(), "init"]);
    assert!(err.contains("it is a directory") && err.contains("--db"), "{err}");
    // Under a regular file: nothing to read there.
    let file = l.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("ledger.db");
    let err = refused_untouched(&l, &["--db", under.to_str().unwrap(), "client", "list"]);
    assert!(
        err.contains(under.to_str().unwrap()) && err.contains("--db"),
        "{err}"
    );
}

#[test]

fn a_ledger_that_cannot_be_created_says_so() {
    let l = TestLedger::new();
    let file = l.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("ledger.db");
    let err = refused_untouched(
        &l,
        &[
            "--db",
            under.to_str().unwrap(),
            "client",
            "add",
            "ACME",
            "--name",
            "Acme",
        ],
    );
    assert!(
        err.contains(&format!("cannot create the ledger {}", under.display())) && err.contains("--db"),
        "{err}"
    );
    assert!(
        !err.contains("permissions"),
        "nothing is wrong with permissions: {err}"
    );
}

#[test]
fn an_empty_file_becomes_a_ledger() {
    // `touch ledger.db` before the first command: nothing to lose, so a write uses it.
    let l = TestLedger::new();
    std::fs::write(&l.db, "").unwrap();
    // A write that is refused leaves it empty.
    let err = refused_untouched(&l, &["add-invoice", "--client", "NOPE", "--amount", "5"]);
    assert!(err.contains("unknown client `NOPE`"), "{err}");
    assert_eq!(std::fs::metadata(&l.db).unwrap().len(), 0);
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    assert_eq!(pragma(&l.db, "user_version"), current_schema());
}

#[test]

fn a_read_of_an_empty_file_is_refused_and_leaves_it_empty() {
    let l = TestLedger::new();
    std::fs::write(&l.db, "").unwrap();
    for args in [
        &["client", "list"][..],
        &["aging"],
        &["invoice", "list"],
        &["export", "--format", "json"],
    ] {
        let err = refused_untouched(&l, args);
        assert!(err.contains(l.db.to_str().unwrap()), "{err}");
    }
    assert_eq!(std::fs::metadata(&l.db).unwrap().len(), 0);
}

#[test]
fn a_refused_command_on_a_missing_ledger_explains_itself() {
    // Bad input is rejected before the ledger is touched.
    let l = TestLedger::new();
    let err = l.fails(
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "5",
            "--date",
            "2026-02-30",
        ],
        1,
    );
    assert!(err.contains("invalid issue date `2026-02-30`"), "{err}");
    assert!(!l.db.exists(), "a refused command created no ledger");
    // So is a refusal found only once the ledger is open: the file it began goes again.
    let err = l.fails(&["add-invoice", "--client", "ACME", "--amount", "5"], 1);
    assert!(err.contains("unknown client `ACME`"), "{err}");
    assert!(!l.db.exists(), "a refused write left a ledger behind");
    let names: Vec<String> = crate::common::files(l.path()).into_keys().collect();
    assert_eq!(names, Vec::<String>::new(), "no side files either");
}

/// Permission bits do not bind root (as in some containers): there the checks below
/// cannot be made, and the test says so instead of passing vacuously on wrong grounds.
#[cfg(unix)]
fn permissions_bind(path: &Path) -> bool {
    std::fs::OpenOptions::new().write(true).open(path).is_err()
}

#[cfg(unix)]
#[test]
fn unreadable_and_read_only_ledgers_are_refused_with_the_reason() {
    use std::os::unix::fs::PermissionsExt;
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let set_mode = |mode| std::fs::set_permissions(&l.db, std::fs::Permissions::from_mode(mode)).unwrap();

    set_mode(0o400);
    if !permissions_bind(&l.db) {
        set_mode(0o600);
        // (tests/binary runs the unreadable case as another user through setpriv.)
        eprintln!("skipped: permission bits do not bind this user (root); see tests/binary");
        return;
    }
    // Read-only: reads work, writes are refused up front.
    let out = l.ok(&["client", "list"]);
    assert!(out.contains("ACME"), "{out}");
    let before = std::fs::read(&l.db).unwrap();
    for args in [
        &["client", "add", "NEW", "--name", "New"][..],
        &["add-invoice", "--client", "ACME", "--amount", "5"],
    ] {
        let out = l.run(args);
        let err = out.stderr;
        assert_eq!(out.code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: the ledger") && err.contains("is read-only") && err.contains("--db"),
            "{err}"
        );
    }
    assert!(std::fs::read(&l.db).unwrap() == before);

    // Unreadable: refused, naming the permission problem (not "not a ledger").
    set_mode(0o000);
    let err = refused_untouched(&l, &["client", "list"]);
    assert!(
        err.contains("cannot read the ledger") && err.contains("ermission denied"),
        "{err}"
    );
    set_mode(0o600);
}

#[cfg(unix)]
#[test]
fn a_symlink_to_a_ledger_not_made_yet_is_followed_and_never_removed() {
    let l = TestLedger::new();
    let link = l.path().join("books.db");
    let target = l.path().join("real").join("ledger.db");
    std::fs::create_dir(l.path().join("real")).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let link_text = link.to_str().unwrap();
    // A refused write leaves the link as it was, and creates no target.
    let out = l.run(&[
        "--db",
        link_text,
        "add-invoice",
        "--client",
        "NOBODY",
        "--amount",
        "5",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link is gone"
    );
    assert!(!target.exists(), "a refused write left a file behind");
    // A write that succeeds creates the target, through the link.
    l.ok(&["--db", link_text, "client", "add", "ACME", "--name", "Acme"]);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(target.is_file());
    assert!(l.ok(&["--db", link_text, "client", "list"]).contains("ACME"));
}

#[cfg(unix)]
#[test]
fn a_named_pipe_or_a_directory_is_refused_at_once() {
    let l = TestLedger::new();
    let fifo = l.path().join("pipe.db");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // In a thread: were it opened, the open of a named pipe would block forever.
    let fifo_text = fifo.to_str().unwrap().to_string();
    let l = std::sync::Arc::new(l);
    let shared = std::sync::Arc::clone(&l);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for args in [&["client", "list"][..], &["client", "add", "A", "--name", "A"]] {
            let mut all = vec!["--db", fifo_text.as_str()];
            all.extend_from_slice(args);
            let _ = tx.send(shared.run(&all));
        }
    });
    for _ in 0..2 {
        let out = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("ar hung on a named pipe");
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(out.stderr.contains("is not a regular file"), "{}", out.stderr);
    }
    let err = l.fails(&["--db", l.path().to_str().unwrap(), "aging"], 1);
    assert!(err.contains("it is a directory"), "{err}");
}
