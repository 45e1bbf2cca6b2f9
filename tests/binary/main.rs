//! The thin end-to-end layer: what needs the real `ar` process. The binutils `ar`
//! passthrough, exit codes as a shell sees them, a closed pipe, the README tour as a
//! user types it, imports killed with SIGKILL, and two processes on one ledger at
//! once (a reader beside a bulk import, a writer facing a locked ledger).
//!
//! Everything else is tested in-process (tests/commands).

#[path = "../common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestLedger, generated_csv, schema, small_ledger};

/// Run the real binary, require exit 0 and an empty stderr, return stdout.
fn binary_ok(l: &TestLedger, args: &[&str]) -> String {
    let out = l.run_binary(args);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 stdout");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    assert!(
        out.status.success() && stderr.is_empty(),
        "ar {args:?} failed ({:?}):\n{stderr}\n{stdout}",
        out.status.code()
    );
    stdout
}

/// Open the ledger read-write once, as the next `ar` would: SQLite rolls back what a
/// killed writer left (a hot journal, a WAL without its commit), so the read-only
/// checks of the harness then see the file as any later command will.
fn settle(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open ledger");
    let _: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .expect("read ledger");
}

// ---------------------------------------------------------------------------------
// `ar` is also binutils' archiver: with our binary first on PATH, build tools that run
// `ar cq lib.a x.o` must still get a working static library.

/// Run `program args` in `dir` with `path` as PATH, require success, return stdout.
fn run_with_path(dir: &Path, path: &str, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env_remove("AR_DB")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({:?}):\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[cfg(unix)]
#[test]
fn binutils_calls_through_our_ar_build_a_working_static_library() {
    let l = TestLedger::new();
    let dir = l.path();
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("ar"), bin.join("ar")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let run = |program: &str, args: &[&str]| run_with_path(dir, &path, program, args);

    // `ar` on this PATH is ours.
    let version = run("sh", &["-c", "ar --version"]);
    assert!(
        version.starts_with("ar 0."),
        "our ar must be first on PATH: {version}"
    );

    std::fs::write(dir.join("x.c"), "int answer(void) { return 42; }\n").unwrap();
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nint answer(void);\nint main(void) { printf(\"answer=%d\\n\", answer()); return 0; }\n",
    )
    .unwrap();
    run("cc", &["-c", "x.c", "-o", "x.o"]);
    run("sh", &["-c", "ar cq libx.a x.o"]);
    run("sh", &["-c", "ar s libx.a"]);
    let members = run("sh", &["-c", "ar t libx.a"]);
    assert_eq!(members, "x.o\n");
    run("cc", &["main.c", "-L.", "-lx", "-o", "main"]);
    let out = run(dir.join("main").to_str().unwrap(), &[]);
    assert_eq!(out, "answer=42\n");

    // `rcs` (what cc-rs and make use) replaces members in place.
    run("sh", &["-c", "ar rcs libx.a x.o"]);
    assert_eq!(run("sh", &["-c", "ar t libx.a"]), "x.o\n");

    // Nothing of ours ran: no ledger was created anywhere under HOME.
    assert!(
        !dir.join(".local").exists(),
        "a binutils call must not open a ledger"
    );
    assert!(!l.db.exists());
}

#[test]
fn our_own_commands_are_not_forwarded() {
    // Words that look like archiver keys but are ours stay ours.
    let l = TestLedger::new();
    binary_ok(&l, &["init"]);
    let out = binary_ok(&l, &["payment", "list"]);
    assert!(out.contains("amount"), "{out}");
    let out = l.run_binary(&["t"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error:"), "{err}");
}

// ---------------------------------------------------------------------------------
// Exit codes and pipes, as a shell sees them

#[test]
fn exit_codes_reach_the_shell() {
    let l = TestLedger::new();
    let code = |args: &[&str]| l.run_binary(args).status.code();
    assert_eq!(code(&["client", "add", "ACME", "--name", "Acme"]), Some(0));
    assert_eq!(
        code(&[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "5",
            "--date",
            "2026-01-01"
        ]),
        Some(0)
    );
    assert_eq!(code(&["client", "show", "NOPE"]), Some(1), "refused");
    assert_eq!(code(&["frobnicate"]), Some(2), "usage");
    assert_eq!(code(&["aging", "--fail-if-over", "30"]), Some(3), "threshold");
    assert_eq!(code(&["aging", "--fail-if-over", "3650"]), Some(0));
    assert_eq!(code(&["--help"]), Some(0));
    assert_eq!(code(&["--version"]), Some(0));
    // Each refusal is one line on stderr, and nothing on stdout.
    let out = l.run_binary(&["client", "show", "NOPE"]);
    assert!(out.stdout.is_empty());
    assert_eq!(String::from_utf8(out.stderr).unwrap().lines().count(), 1);
}

/// A ledger of 3,000 generated invoices: lists of it are more than a pipe holds.
fn big_ledger() -> TestLedger {
    let l = TestLedger::new();
    let g = l.path().join("gen");
    generated_csv(&l, &g, 3000, 7);
    l.ok(&["import", "--dir", g.to_str().unwrap()]);
    l
}

/// Run `ar args` into a pipe whose reader leaves after the first line; return the
/// exit code and stderr.
fn into_closed_pipe(l: &TestLedger, args: &[&str]) -> (Option<i32>, String) {
    // More than a pipe holds, so ar is still writing when the reader leaves.
    assert!(
        l.ok(args).len() > 200_000,
        "ar {args:?} prints too little to fill a pipe"
    );
    let mut child = l
        .binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ar");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // (The reader is dropped here: the pipe is closed.)
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `ar aging | head`: the reader goes away after a line; ar stops writing and
    // exits 0 without a word (no "broken pipe" error, no panic). On tables longer
    // than a pipe holds (an aging of 3,000 invoices is not).
    let l = big_ledger();
    for args in [&["invoice", "list"][..], &["payment", "list"]] {
        assert_eq!(
            into_closed_pipe(&l, args),
            (Some(0), String::new()),
            "ar {args:?}"
        );
    }
}

#[test]

fn a_closed_pipe_ends_quietly_for_json_and_csv_too() {
    let l = big_ledger();
    for args in [
        &["invoice", "list", "--format", "json"][..],
        &["invoice", "list", "--format", "csv"],
        &["export", "--format", "json"],
    ] {
        assert_eq!(
            into_closed_pipe(&l, args),
            (Some(0), String::new()),
            "ar {args:?}"
        );
    }
}

// ---------------------------------------------------------------------------------
// The README's tour and report examples, run verbatim: the front door stays true.

/// The commands of the first ```sh block after `heading`, without comments.
fn commands_after(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    let block = &readme[start..];
    let body_start = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let body = &block[body_start..];
    let body = &body[..body.find("```").expect("closed block")];
    body.lines()
        .filter(|l| l.trim_start().starts_with("ar "))
        .map(|l| {
            let words = shell_words::split(l).expect("shell words");
            // Drop a trailing comment and any redirection.
            let end = words
                .iter()
                .position(|w| w.starts_with('#') || w == ">")
                .unwrap_or(words.len());
            words[1..end].to_vec()
        })
        .collect()
}

#[test]
fn the_tour_runs_as_written() {
    // On the tests' fixed day, and on a day long after it (the README is read then too).
    for today in [common::TODAY, "2031-07-01"] {
        tour_runs_as_written_on(today);
    }
}

fn tour_runs_as_written_on(today: &str) {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let mut l = TestLedger::new();
    l.today = today.to_string();
    let tour = commands_after(&readme, "## A tour");
    assert!(tour.len() >= 10, "the tour lost its commands: {tour:?}");
    for args in &tour {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        binary_ok(&l, &args);
    }
    // What the tour promises: the oldest-first payment left 250.00 open on INV-0001,
    // INV-7 is paid, and the voided invoice no longer counts.
    let raw = binary_ok(&l, &["invoice", "list", "--open", "--format", "json"]);
    assert!(
        raw.contains(r#""number": "INV-0001""#) && raw.contains(r#""open": 250.00"#),
        "{raw}"
    );
    assert!(!raw.contains("INV-7") && !raw.contains("INV-0002"), "{raw}");
    // The void takes effect from today: a report as of an earlier day (after
    // INV-0002's issue on 2026-11-10) still counts it.
    let raw = binary_ok(
        &l,
        &[
            "invoice",
            "list",
            "--open",
            "--as-of",
            "2026-11-15",
            "--format",
            "json",
        ],
    );
    assert!(raw.contains(r#""number": "INV-0002""#), "{raw}");
    // The corrections, as written: INV-0001's 250.00 open less the 50.00 credit note
    // and the 15.00 of credit left after the 5.00 refund is 185.00 on 2026-11-30; on
    // 2026-12-01 less the 0.05 written off, plus the 1,000.00 the reversed payment
    // had paid: 1,184.95.
    let corrections = commands_after(&readme, "### Corrections");
    assert!(
        corrections.len() >= 8,
        "the corrections lost their commands: {corrections:?}"
    );
    for args in &corrections {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        binary_ok(&l, &args);
    }
    let open_on = |day: &str| {
        let raw = binary_ok(&l, &["aging", "--as-of", day, "--format", "json"]);
        let at = raw.find(r#""client": "ACME""#).expect("ACME's row");
        raw[at..]
            .split(r#""total": "#)
            .nth(1)
            .and_then(|t| t.split(',').next())
            .map(str::to_string)
    };
    assert_eq!(open_on("2026-11-30").as_deref(), Some("185.00"));
    assert_eq!(open_on("2026-12-01").as_deref(), Some("1184.95"));
    assert!(binary_ok(&l, &["check"]).contains("is sound"));
    let log = binary_ok(&l, &["log", "--client", "ACME", "--format", "csv"]);
    assert!(
        log.contains(",reversal,") && log.contains(",credit_note,"),
        "{log}"
    );
    for args in &commands_after(&readme, "### Reports") {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = l.run_binary(&args);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "ar {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------
// Imports killed with SIGKILL leave the ledger as it was

#[test]
fn an_import_killed_mid_way_leaves_the_ledger_as_it_was() {
    let l = small_ledger();
    let (before, schema_before) = (l.dump(), schema(&l.db));
    let mut child = l
        .binary()
        .args(["import", "invoices", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ar import");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"number,client,issue_date,amount\n").unwrap();
    // Write rows until the import has been busy with them for a while: writes
    // block once the pipe is full, so the child has read (and inserted) most of
    // what was written when they return.
    let started = Instant::now();
    let mut i = 0u32;
    while started.elapsed() < Duration::from_millis(700) || i < 5_000 {
        let mut chunk = String::new();
        for _ in 0..500 {
            i += 1;
            let client = if i.is_multiple_of(2) { "ACME" } else { "BETA" };
            chunk.push_str(&format!(
                "K-{i:07},{client},2026-02-{:02},{}.{:02}\n",
                1 + i % 28,
                i,
                i % 100
            ));
        }
        stdin.write_all(chunk.as_bytes()).unwrap();
    }
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import must still be running (waiting for the rest of its input)"
    );
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    drop(stdin);
    settle(&l.db);
    assert_eq!(before, l.dump(), "a killed import left rows behind");
    assert_eq!(
        schema_before,
        schema(&l.db),
        "a killed import left the schema changed"
    );
    assert_eq!(common::integrity(&l.db), "ok");
    // The ledger works on: a small import goes through and counts.
    let ok = l.write_file(
        "ok.csv",
        "number,client,issue_date,amount\nAFTER-1,ACME,2026-03-01,10\n",
    );
    let out = l.ok(&["import", "invoices", &ok]);
    assert!(out.starts_with("imported 1 invoice for 1 client in "), "{out}");
    let list = l.ok(&["invoice", "list", "--format", "csv"]);
    assert!(list.contains("AFTER-1") && !list.contains("K-0000001"), "{list}");
}

/// A copy of `from`'s ledger in a new test directory (the ledger is closed: no
/// command runs on it, so the database file holds everything).
fn copy_ledger(from: &TestLedger) -> TestLedger {
    let to = TestLedger::new();
    std::fs::copy(&from.db, &to.db).expect("copy ledger");
    for ext in ["db-wal", "db-shm"] {
        let side = from.db.with_extension(ext);
        if side.exists() {
            std::fs::copy(&side, to.db.with_extension(ext)).expect("copy ledger side file");
        }
    }
    to
}

/// Kill `ar import --dir` at several moments: each time the ledger is either as
/// before or fully imported, never in between. With `bulk`, the bulk path (rollback
/// journal instead of WAL, indexes dropped and rebuilt, whole-ledger replay).
fn killed_dir_import_is_all_or_nothing(bulk: bool) {
    let bulk_from = if bulk { "0" } else { "18446744073709551615" };
    let base = TestLedger::new();
    let g = base.path().join("gen");
    generated_csv(&base, &g, 1500, 11);
    base.ok(&["import", "clients", g.join("clients.csv").to_str().unwrap()]);
    std::fs::remove_file(g.join("clients.csv")).unwrap();
    let before = base.dump();
    // The whole import, timed: invoices and payments in one transaction.
    let full = copy_ledger(&base);
    let started = Instant::now();
    let out = full
        .binary()
        .env("AR_BULK_ENTRIES", bulk_from)
        .args(["import", "--dir", g.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let took = started.elapsed();
    let after = full.dump();
    assert_ne!(before, after);
    let mut killed_mid_way = 0;
    for tenth in [1, 3, 5, 7, 9] {
        let l = copy_ledger(&base);
        let mut child = l
            .binary()
            .args(["import", "--dir", g.to_str().unwrap()])
            .env("AR_BULK_ENTRIES", bulk_from)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ar import");
        std::thread::sleep(took * tenth / 10);
        let running = child.try_wait().unwrap().is_none();
        child.kill().ok();
        child.wait().unwrap();
        settle(&l.db);
        assert_eq!(common::integrity(&l.db), "ok");
        let now = l.dump();
        assert!(
            now == before || now == after,
            "killed after {tenth}/10 of the import: the ledger is neither as before nor fully imported"
        );
        if running && now == before {
            killed_mid_way += 1;
        }
    }
    assert!(killed_mid_way > 0, "no kill landed while the import was running");
}

#[test]
fn a_file_import_killed_at_any_moment_is_all_or_nothing() {
    killed_dir_import_is_all_or_nothing(false);
}

#[test]
fn a_bulk_import_killed_at_any_moment_is_all_or_nothing() {
    killed_dir_import_is_all_or_nothing(true);
}

// ---------------------------------------------------------------------------------
// Two processes at once

#[test]
fn other_commands_still_read_the_ledger_while_a_bulk_import_runs() {
    let l = small_ledger();
    let before = l.ok(&["client", "list", "--format", "csv"]);
    let mut child = l
        .binary()
        .args(["import", "invoices", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ar import");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"number,client,issue_date,amount\n").unwrap();
    for i in 0..2000 {
        stdin
            .write_all(format!("P-{i},ACME,2026-02-01,{}.00\n", i + 1).as_bytes())
            .unwrap();
    }
    stdin.flush().unwrap();
    // The import is under way (its transaction open, the ledger in rollback-journal
    // mode) and waits for more rows: a report in another process reads the ledger as
    // it was.
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "the import ended early");
    let during = l.run_binary(&["client", "list", "--format", "csv"]);
    assert_eq!(
        String::from_utf8_lossy(&during.stdout),
        before,
        "while a bulk import runs: {}",
        String::from_utf8_lossy(&during.stderr)
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(l.ok(&["invoice", "list"]).contains("P-1999"));
}

#[test]
fn a_busy_ledger_is_named_and_nothing_is_written() {
    let l = TestLedger::new();
    l.ok(&["client", "add", "ACME", "--name", "Acme"]);
    let before = l.dump();
    let holder = rusqlite::Connection::open(&l.db).expect("open ledger");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");

    // ar waits 5 s for the lock, then gives up: exit 75 (EX_TEMPFAIL, a cron wrapper
    // may retry), one line naming the ledger.
    let started = Instant::now();
    let out = l.run_binary(&["client", "add", "X", "--name", "Y"]);
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "gave up before waiting"
    );
    assert_eq!(out.status.code(), Some(75));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "error: the ledger {} is busy: another program kept it locked for 5 seconds; nothing was written, try again later\n",
            l.db.display()
        )
    );

    holder.execute_batch("ROLLBACK").expect("release the lock");
    drop(holder);
    assert_eq!(before, l.dump(), "a refused write changed the ledger");
    let list = l.ok(&["client", "list"]);
    assert!(!list.contains(" X "), "{list}");
}

// ---------------------------------------------------------------------------------
// A ledger the user can only read: an auditor's copy in a read-only directory, or the
// owner's file read by another user. Reading works and leaves no -wal or -shm file
// behind (one owned by the reader would stop the owner's next write).

/// The files in `dir`, by name.
#[cfg(unix)]
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `ar args` on `db`, as the user `uid` when this test runs as root (through
/// setpriv), else as this user.
#[cfg(unix)]
fn ar_as(uid: Option<u32>, db: &Path, args: &[&str]) -> std::process::Output {
    let ar = assert_cmd::cargo::cargo_bin("ar");
    let mut cmd = match uid {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "--",
            ])
            .arg(&ar);
            c
        }
        None => Command::new(&ar),
    };
    cmd.args(args)
        .env_clear()
        .env("AR_DB", db)
        .env("AR_TODAY", common::TODAY)
        .current_dir("/")
        .output()
        .expect("run ar")
}

#[cfg(unix)]
fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

#[cfg(unix)]
fn succeeded(out: &std::process::Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {stderr}",
        out.status.code()
    );
    assert!(
        !stderr.contains("SQLite") && !stderr.contains("sqlite"),
        "{what}: {stderr}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(unix)]
#[test]
fn a_ledger_you_can_only_read_is_read_and_left_as_it_was() {
    use std::os::unix::fs::{PermissionsExt, chown};
    let root = is_root();
    if root && Command::new("setpriv").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: setpriv (util-linux) is needed"
        );
        eprintln!("skipped: running as root without setpriv to become another user");
        return;
    }
    // As root: an owner and a reader of their own. Else this user is both, and
    // read-only file modes stand for the other user.
    let (owner, reader) = if root {
        (Some(61_001), Some(61_002))
    } else {
        (None, None)
    };
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("books");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    if let Some(uid) = owner {
        chown(&dir, Some(uid), Some(uid)).unwrap();
    }
    let db = dir.join("ledger.db");
    for args in [
        &["client", "add", "ACME", "--name", "Acme"][..],
        &[
            "add-invoice",
            "--client",
            "ACME",
            "--amount",
            "100",
            "--date",
            "2026-10-01",
        ],
        &[
            "pay",
            "--client",
            "ACME",
            "--amount",
            "40",
            "--date",
            "2026-10-20",
        ],
    ] {
        succeeded(&ar_as(owner, &db, args), "the owner's write");
    }
    // Readable by others; for a single user, read-only to itself.
    let mode = if root { 0o644 } else { 0o444 };
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(mode)).unwrap();
    let before = std::fs::read(&db).unwrap();
    assert_eq!(names_in(&dir), ["ledger.db"]);

    // In a directory the reader may write in: read, nothing left behind.
    for args in [&["aging"][..], &["client", "list", "--format", "csv"], &["check"]] {
        let out = succeeded(&ar_as(reader, &db, args), "a read");
        assert!(out.contains("ACME") || out.contains("is sound"), "{out}");
        assert_eq!(names_in(&dir), ["ledger.db"], "ar {args:?} left files behind");
    }
    // A write is refused in one line, without SQLite's words.
    let out = ar_as(reader, &db, &["pay", "--client", "ACME", "--amount", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: the ledger") && stderr.contains("read-only"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // An auditor's copy: a read-only directory.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = succeeded(
        &ar_as(reader, &db, &["aging", "--format", "json"]),
        "a read in a read-only directory",
    );
    assert!(out.contains("\"1-30\": 60.00"), "{out}");
    assert_eq!(names_in(&dir), ["ledger.db"]);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();

    // Another user's owner-only ledger: refused in one line that names the
    // permission, and left as it was. (As a single user, file modes bind the owner
    // too: tests/commands/ledger_file.rs covers it in-process.)
    if root {
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = ar_as(reader, &db, &["client", "list"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("cannot read the ledger") && stderr.contains("ermission denied"),
            "{stderr}"
        );
        assert_eq!(std::fs::read(&db).unwrap(), before);
        assert_eq!(names_in(&dir), ["ledger.db"]);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    // The owner writes on as before.
    if !root {
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    succeeded(
        &ar_as(owner, &db, &["pay", "--client", "ACME", "--amount", "60"]),
        "the owner's next write",
    );
    let out = succeeded(
        &ar_as(owner, &db, &["aging", "--format", "csv"]),
        "the owner's read",
    );
    assert!(!out.contains("ACME"), "all paid: {out}");
}

/// Four `ar` processes at once on one server ledger, each entering 200 invoices,
/// payments and credit notes for the same three clients: afterwards every total is
/// exact, invoice numbers are unique, nothing was lost or refused, and `ar check`
/// is clean.
#[test]
fn four_writers_at_once_on_a_server_lose_nothing() {
    let Some(address) = ar::store::pg::testing::fresh_database() else {
        return;
    };
    let l = TestLedger::at(&address);
    binary_ok(&l, &["init", "--currency", "NZD"]);
    let clients = ["ACME", "BETA", "GAMMA"];
    for c in clients {
        binary_ok(&l, &["client", "add", c, "--name", c]);
    }
    const WRITERS: usize = 4;
    const ENTRIES: usize = 200;
    let l = std::sync::Arc::new(l);
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let l = std::sync::Arc::clone(&l);
            std::thread::spawn(move || {
                for k in 0..ENTRIES {
                    let client = clients[(w + k) % clients.len()];
                    // Whole cents: 1.01, 1.02 ... so any lost entry shows in a total.
                    let amount = format!("{}.{:02}", 1 + k % 7, 1 + (w * ENTRIES + k) % 97);
                    let args: Vec<&str> = match k % 4 {
                        0 | 1 => vec![
                            "add-invoice",
                            "--client",
                            client,
                            "--amount",
                            &amount,
                            "--date",
                            "2026-10-01",
                        ],
                        2 => vec![
                            "pay",
                            "--client",
                            client,
                            "--amount",
                            &amount,
                            "--date",
                            "2026-10-15",
                        ],
                        _ => vec![
                            "credit-note",
                            "--client",
                            client,
                            "--amount",
                            &amount,
                            "--date",
                            "2026-10-20",
                            "--reason",
                            "test",
                        ],
                    };
                    let out = l.binary().args(&args).output().expect("run ar");
                    assert!(
                        out.status.success(),
                        "writer {w}, entry {k}: ar {args:?}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a writer failed");
    }
    // The expected totals, from what was entered.
    let mut invoiced = std::collections::HashMap::<&str, i64>::new();
    let mut paid = std::collections::HashMap::<&str, i64>::new();
    for w in 0..WRITERS {
        for k in 0..ENTRIES {
            let client = clients[(w + k) % clients.len()];
            let cents = (1 + k % 7) as i64 * 100 + (1 + (w * ENTRIES + k) % 97) as i64;
            match k % 4 {
                0 | 1 => *invoiced.entry(client).or_default() += cents,
                _ => *paid.entry(client).or_default() += cents,
            }
        }
    }
    let listed = binary_ok(&l, &["invoice", "list", "--format", "json"]);
    let invoices = common::raw_rows(&listed);
    assert_eq!(invoices.len(), WRITERS * ENTRIES / 2, "invoices lost");
    let mut numbers: Vec<&str> = invoices.iter().map(|i| common::raw(i, "number")).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), WRITERS * ENTRIES / 2, "invoice numbers repeat");
    let cents = |text: &str| -> i64 {
        let (sign, digits) = match text.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, text),
        };
        let (whole, part) = digits.split_once('.').expect("two decimals");
        sign * (whole.parse::<i64>().expect("whole") * 100 + part.parse::<i64>().expect("cents"))
    };
    for c in clients {
        let total: i64 = invoices
            .iter()
            .filter(|i| common::raw(i, "client") == format!("\"{c}\""))
            .map(|i| cents(common::raw(i, "amount")))
            .sum();
        assert_eq!(total, invoiced[c], "invoiced to {c}");
        let shown = binary_ok(&l, &["client", "show", c, "--format", "json"]);
        let net = shown
            .lines()
            .find_map(|line| line.trim().strip_prefix("\"net\": "))
            .expect("a net balance");
        // Whatever the order the writers' entries went in, what the client owes is
        // what was invoiced less what was paid and credited.
        assert_eq!(
            cents(net.trim_end_matches(',')),
            invoiced[c] - paid[c],
            "{c}: {shown}"
        );
    }
    let check = binary_ok(&l, &["check"]);
    assert!(!check.contains("differ"), "{check}");
}
