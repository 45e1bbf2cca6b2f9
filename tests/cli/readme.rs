//! The README's tour and report examples, run verbatim: the front door stays true.

use crate::common::TestLedger;

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
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let l = TestLedger::new();
    let tour = commands_after(&readme, "## A tour");
    assert!(tour.len() >= 10, "the tour lost its commands: {tour:?}");
    for args in &tour {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        l.ok(&args);
    }
    // What the tour promises: the oldest-first payment left 250.00 open on INV-0001,
    // INV-7 is paid, and the voided invoice no longer counts.
    let raw = l.ok(&["invoice", "list", "--open", "--format", "json"]);
    assert!(
        raw.contains(r#""number": "INV-0001""#) && raw.contains(r#""open": 250.00"#),
        "{raw}"
    );
    assert!(!raw.contains("INV-7") && !raw.contains("INV-0002"), "{raw}");
    for args in &commands_after(&readme, "### Reports") {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = l.cmd().args(&args).output().expect("run ar");
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "ar {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
