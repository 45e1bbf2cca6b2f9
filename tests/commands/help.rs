//! `--help` of `ar` and of every subcommand, as snapshots: a change to any help text
//! shows in review. The commands are found by walking `ar::cli::command()`, so a new
//! one gets a snapshot (which must then be reviewed and committed) without editing
//! this file.

use crate::common::TestLedger;

/// The width help is wrapped at: clap's own when it finds no terminal.
const WIDTH: usize = 100;

/// Every command's words below `ar`: `[]`, `["client"]`, `["client", "add"]`, ...
fn command_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    out.push(prefix.to_vec());
    for sub in cmd.get_subcommands() {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        command_paths(sub, &path, out);
    }
}

/// What `ar WORDS... --help` prints. Parsed as `ar::cli::run` parses it, with the
/// wrap width fixed: clap takes the width from the test process's terminal and
/// `COLUMNS`, not from the environment handed to `run` (see
/// `help_is_wrapped_at_the_width_handed_in`).
fn help_text(words: &[String]) -> String {
    let argv = std::iter::once("ar".to_string())
        .chain(words.iter().cloned())
        .chain(std::iter::once("--help".to_string()));
    let err = ar::cli::command()
        .term_width(WIDTH)
        .try_get_matches_from(argv)
        .expect_err("--help stops the parse");
    assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{words:?}");
    err.render().to_string()
}

#[test]
fn help_of_every_command() {
    let mut paths = Vec::new();
    command_paths(&ar::cli::command(), &[], &mut paths);
    assert!(paths.len() > 20, "the walk found the commands: {paths:?}");
    let l = TestLedger::new();
    for words in &paths {
        let text = help_text(words);
        let name = std::iter::once("ar")
            .chain(words.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        insta::assert_snapshot!(format!("help_{name}"), text);
        // What `run` prints is that text (but for its wrapping): on stdout, exit 0,
        // touching no ledger.
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let out = l.run(&args);
        assert_eq!((out.code, out.stderr.as_str()), (0, ""), "ar {args:?}");
        assert_eq!(squeeze(&out.stdout), squeeze(&text), "ar {args:?}");
    }
    assert!(!l.db.exists(), "help created a ledger");
}

/// The words of a text, whatever its wrapping.
fn squeeze(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

#[test]
fn help_is_wrapped_at_the_width_handed_in() {
    let mut l = TestLedger::new();
    l.set_env("COLUMNS", "60");
    let out = l.run(&["import", "--help"]);
    assert_eq!(out.code, 0);
    for line in out.stdout.lines() {
        assert!(line.chars().count() <= 60, "wider than COLUMNS=60: {line:?}");
    }
}

#[test]
fn demo_help_says_where_the_sample_goes() {
    // --db is global, so its help line is every command's; it says what it means
    // for demo, and demo's own text that it never builds in AR_DB's ledger.
    let text = help_text(&["demo".to_string()]);
    let db = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--db "))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('-'))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        db.contains("for `ar demo`, the sample's file, default ~/.cache/ar/demo.db"),
        "{db}"
    );
    assert!(text.contains("never your ledger"), "{text}");
}

#[test]
fn import_help_names_every_column_export_writes() {
    let l = TestLedger::new();
    let help = l.ok(&["import", "--help"]);
    // Whole words: `id` must not pass because the help says "did".
    let words: std::collections::BTreeSet<&str> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    use ar::ledger::export::{
        CLIENT_CHANGE_HEADER, CLIENT_HEADER, CORRECTION_HEADER, INVOICE_HEADER, PAYMENT_HEADER,
    };
    let missing: Vec<&str> = CLIENT_HEADER
        .iter()
        .chain(&INVOICE_HEADER)
        .chain(&PAYMENT_HEADER)
        .chain(&CORRECTION_HEADER)
        .chain(&CLIENT_CHANGE_HEADER)
        .copied()
        .filter(|column| !words.contains(column))
        .collect();
    assert!(
        missing.is_empty(),
        "columns `ar export` writes but ar import --help does not name: {missing:?}\n{help}"
    );
}
