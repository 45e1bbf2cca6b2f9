//! Entry point: hand binutils-style calls to the system archiver, else parse, run, and
//! decide the exit code. The only place the process exits.
//!
//! Exit codes: 0 success; 1 refused operation or bad data (nothing written); 2 usage;
//! 3 `--fail-if-over` tripped. A closed pipe (`ar aging | head`) exits 0 quietly.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use ar::cli::{self, Cli, ThresholdExceeded};

mod archiver;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if archiver::is_binutils_call(&args) {
        return archiver::forward(&args);
    }
    // `AR_DB=` (set but empty) means "no ledger chosen", as for most tools' variables,
    // not a usage error about --db: fall back to the default ledger.
    if std::env::var_os("AR_DB").is_some_and(|v| v.is_empty()) {
        // SAFETY: first thing in `main`, before any other thread exists.
        unsafe { std::env::remove_var("AR_DB") };
    }
    keep_malloc_from_hoarding();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", one_line(&err));
            if err.downcast_ref::<ThresholdExceeded>().is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// The message and its causes on one line: "cannot create ...: permission denied".
fn one_line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for (i, cause) in err.chain().enumerate() {
        let s = cause.to_string();
        if i > 0 {
            if text.contains(&s) {
                continue;
            }
            text.push_str(": ");
        }
        text.push_str(&s);
    }
    text.replace('\n', " ")
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// glibc's malloc raises its mmap threshold each time a large block is freed (up to
/// 32 MB), after which large blocks come from the heap and stay with the process
/// when freed. A bulk import allocates and frees many large buffers (chunks of rows,
/// growing tables), and the RSS of a 1M-invoice `ar import --dir` stayed 16 MB above
/// what it used: a fixed threshold (glibc's default, 128 KiB) returns them.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_malloc_from_hoarding() {
    // SAFETY: mallopt only sets an allocator parameter; called before any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_malloc_from_hoarding() {}
