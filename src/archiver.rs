//! `ar` is also binutils' archiver, and build tools (cc-rs: `ar cq lib.a x.o`) find
//! whichever `ar` is first on PATH. When ours is, a call in binutils' syntax is handed
//! to the system archiver unchanged, so installing this tool never breaks a build.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Our subcommands; anything else whose first word is a binutils key goes to binutils.
const OURS: &[&str] = &[
    "init",
    "client",
    "add-invoice",
    "pay",
    "invoice",
    "payment",
    "credit-note",
    "apply-credit",
    "write-off",
    "refund",
    "log",
    "aging",
    "days-to-pay",
    "check",
    "demo",
    "import",
    "export",
    "help",
];

/// binutils `ar` keys: one operation letter (dmpqrstx) with modifier letters, with or
/// without a leading dash (`cq`, `rcs`, `-crs`, `s`, `t`, `x`).
fn is_key(word: &str) -> bool {
    let key = word.strip_prefix('-').unwrap_or(word);
    !key.is_empty()
        && key.chars().all(|c| "dmpqrstxabcDfilNoOPSTuUvV".contains(c))
        && key.chars().filter(|c| "dmpqrtx".contains(*c)).count() <= 1
        && key.chars().any(|c| "dmpqrstx".contains(c))
}

pub fn is_binutils_call(args: &[OsString]) -> bool {
    let Some(first) = args.get(1).and_then(|a| a.to_str()) else {
        return false;
    };
    if OURS.contains(&first) {
        return false;
    }
    // `ar --plugin NAME rcs lib.a` and `ar -X32_64 ...` are binutils-only spellings.
    first == "--plugin"
        || first.starts_with("-X")
        || first == "--target"
        || first.starts_with("--target=")
        || (is_key(first) && args.len() >= 3)
}

/// The first `ar` on PATH that is not this program, else /usr/bin/ar.
fn system_archiver() -> Option<PathBuf> {
    let me = std::env::current_exe().ok().and_then(|p| p.canonicalize().ok());
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("ar"))
        .chain([PathBuf::from("/usr/bin/ar"), PathBuf::from("/bin/ar")])
        .find(|candidate| is_other_executable(candidate, me.as_deref()))
}

fn is_other_executable(candidate: &Path, me: Option<&Path>) -> bool {
    let Ok(real) = candidate.canonicalize() else {
        return false;
    };
    if Some(real.as_path()) == me {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        real.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    real.is_file()
}

pub fn forward(args: &[OsString]) -> ExitCode {
    let Some(archiver) = system_archiver() else {
        eprintln!(
            "error: this looks like a binutils `ar` call, but no system archiver was found on PATH: install binutils"
        );
        return ExitCode::from(1);
    };
    let rest: Vec<&OsStr> = args[1..].iter().map(OsString::as_os_str).collect();
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(&archiver).args(&rest).exec();
        eprintln!(
            "error: cannot run {}: {}",
            archiver.display(),
            ar::domain::error::io_reason(&err)
        );
        ExitCode::from(1)
    }
    #[cfg(not(unix))]
    match std::process::Command::new(&archiver).args(&rest).status() {
        Ok(s) => ExitCode::from(s.code().unwrap_or(1) as u8),
        Err(err) => {
            eprintln!(
                "error: cannot run {}: {}",
                archiver.display(),
                ar::domain::error::io_reason(&err)
            );
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_lists_every_subcommand() {
        let mut names: Vec<String> = ar::cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .chain(["help".to_string()])
            .collect();
        names.sort();
        let mut ours: Vec<&str> = OURS.to_vec();
        ours.sort_unstable();
        assert_eq!(names, ours);
    }

    fn call(words: &[&str]) -> bool {
        let args: Vec<OsString> = std::iter::once("ar")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        is_binutils_call(&args)
    }

    #[test]
    fn recognises_binutils_calls() {
        assert!(call(&["cq", "lib.a", "x.o"]));
        assert!(call(&["rcs", "lib.a", "x.o"]));
        assert!(call(&["-crs", "lib.a", "x.o"]));
        assert!(call(&["s", "lib.a"]));
        assert!(call(&["t", "lib.a"]));
        assert!(call(&["--plugin", "p.so", "rcs", "lib.a"]));
    }

    #[test]
    fn leaves_our_commands_alone() {
        assert!(!call(&["import", "clients", "c.csv"]));
        assert!(!call(&["pay", "--client", "A"]));
        assert!(!call(&["aging"]));
        assert!(!call(&["--db", "x.db", "aging"]));
        assert!(!call(&["--help"]));
        assert!(!call(&["--version"]));
        assert!(!call(&[]));
    }
}
