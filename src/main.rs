//! Entry point: hand binutils-style calls to the system archiver, else run the
//! command line on this process's arguments, environment and standard streams, and
//! exit with the code it decided (`cli::exit_code`: 0 done, 1 refused, 2 usage, 3
//! threshold, 70 internal error, 75 busy). The only place the process exits.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;

use ar::cli::{self, Env, Io};

mod archiver;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if archiver::is_binutils_call(&args) {
        return archiver::forward(&args);
    }
    keep_malloc_from_hoarding();
    let env = Env::from_process();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let (out_is_terminal, err_is_terminal) = (stdout.is_terminal(), stderr.is_terminal());
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut err = stderr.lock();
    let code = cli::run(
        args,
        &env,
        Io {
            out: &mut out,
            err: &mut err,
            stdin: Box::new(std::io::stdin()),
            out_is_terminal,
            err_is_terminal,
        },
    );
    // (A failed flush is a closed pipe: `cli::run` flushed what mattered.)
    drop(out);
    ExitCode::from(code)
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
