//! `ar` is also binutils' archiver: with our binary first on PATH, build tools that run
//! `ar cq lib.a x.o` must still get a working static library.

use std::path::Path;
use std::process::Command;

use crate::common::TestLedger;

/// Run `program args` in `dir` with `path` as PATH, require success, return stdout.
fn run(dir: &Path, path: &str, program: &str, args: &[&str]) -> String {
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

    // `ar` on this PATH is ours.
    let version = run(dir, &path, "sh", &["-c", "ar --version"]);
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
    run(dir, &path, "cc", &["-c", "x.c", "-o", "x.o"]);
    run(dir, &path, "sh", &["-c", "ar cq libx.a x.o"]);
    run(dir, &path, "sh", &["-c", "ar s libx.a"]);
    let members = run(dir, &path, "sh", &["-c", "ar t libx.a"]);
    assert_eq!(members, "x.o\n");
    run(dir, &path, "cc", &["main.c", "-L.", "-lx", "-o", "main"]);
    let out = run(dir, &path, dir.join("main").to_str().unwrap(), &[]);
    assert_eq!(out, "answer=42\n");

    // `rcs` (what cc-rs and make use) replaces members in place.
    run(dir, &path, "sh", &["-c", "ar rcs libx.a x.o"]);
    assert_eq!(run(dir, &path, "sh", &["-c", "ar t libx.a"]), "x.o\n");

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
    let out = l.ok(&["payment", "list"]);
    assert!(out.contains("amount"), "{out}");
    let err = l.fails(&["t"], 2);
    assert!(err.contains("error:"), "{err}");
}
