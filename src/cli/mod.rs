//! The command line: clap arguments, resolved into one ledger operation or report and
//! a render. Holds no SQL and no money arithmetic. [`run`] is the whole program but
//! for the process itself: tests call it in-process with a context of their own.

mod check;
mod client;
mod context;
mod correction;
mod demo;
mod export;
mod import;
mod init;
mod invoice;
mod log;
mod payment;
mod report;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use context::{Context, Env, Io, cache_dir, data_dir};

use crate::domain::LedgerError;
use crate::domain::error::{ErrorKind, io_reason, kind_of};

/// A command-line accounts-receivable tracker: clients, invoices, payments and who owes
/// what, how late.
#[derive(Debug, Parser)]
#[command(name = "ar", version, about, long_about = None, after_help = "\
Examples:
  ar demo                                           build a sample ledger and show its aging
  ar client add ACME --name \"Acme Ltd\" --terms 30
  ar add-invoice --client ACME --amount 1,250.00 --date 2026-11-01
  ar pay --client ACME --amount 1000 --date 2026-11-20
  ar aging --as-of 2026-11-30
  ar check                                          verify the ledger

The ledger is --db PATH, else $AR_DB, else ~/.local/share/ar/ledger.db; a
postgresql:// address (or host=... dbname=...) is a ledger on a PostgreSQL server.
Exit codes: 0 done; 1 refused (nothing written); 2 usage; 3 --fail-if-over tripped;
70 internal error (a bug: please report it); 75 ledger busy (try again later).")]
pub struct Cli {
    /// Ledger file, or a PostgreSQL address (postgresql://user@host/db, host=... dbname=...)
    /// (default: $AR_DB, else ~/.local/share/ar/ledger.db; for `ar demo`, the sample's file,
    /// default ~/.cache/ar/demo.db)
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Who is entering what this command writes (the audit trail; default: $AR_USER,
    /// else the login name)
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(init::InitArgs),
    /// Add, edit, list and show clients
    #[command(subcommand)]
    Client(client::ClientCommand),
    AddInvoice(invoice::InvoiceAddArgs),
    Pay(payment::PayArgs),
    /// Add, list, show and void invoices
    #[command(subcommand)]
    Invoice(invoice::InvoiceCommand),
    /// Record, list, show and reverse payments
    #[command(subcommand)]
    Payment(payment::PaymentCommand),
    CreditNote(correction::CreditNoteArgs),
    ApplyCredit(correction::ApplyCreditArgs),
    WriteOff(correction::WriteOffArgs),
    Refund(correction::RefundArgs),
    Log(log::LogArgs),
    Aging(report::AgingArgs),
    DaysToPay(report::DaysToPayArgs),
    Check(check::CheckArgs),
    Demo(demo::DemoArgs),
    Import(import::ImportArgs),
    Export(export::ExportArgs),
}

/// The exit code of each kind of failure (the one mapping; `main` only exits).
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Refused => 1,
        ErrorKind::Usage => 2,
        ErrorKind::Threshold => 3,
        ErrorKind::Internal => 70, // EX_SOFTWARE
        ErrorKind::Busy => 75,     // EX_TEMPFAIL: a cron wrapper may retry
    }
}

/// Parse `args`, run the command and say how it went: the exit code. Output and
/// messages go to `io`; nothing is read from the process but what `env` and `io`
/// hand in.
pub fn run<'a>(args: Vec<OsString>, env: &'a Env, io: Io<'a>) -> u8 {
    let mut command = command();
    // Help is wrapped at the width handed in (else clap asks the terminal).
    if let Some(width) = env.get("COLUMNS").and_then(|c| c.parse().ok()) {
        command = command.term_width(width);
    }
    let matches = command.try_get_matches_from(&args);
    // The command's name, as the audit trail records it: `payment reverse`.
    let mut name = Vec::new();
    if let Ok(matches) = &matches {
        let mut m = matches;
        while let Some((sub, next)) = m.subcommand() {
            name.push(sub.to_string());
            m = next;
        }
    }
    let parsed = matches.and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout and exit 0; usage errors to stderr, 2.
            let text = e.render().to_string();
            let to = if e.use_stderr() { io.err } else { io.out };
            let _ = to.write_all(text.as_bytes()).and_then(|()| to.flush());
            return if e.use_stderr() {
                exit_code(ErrorKind::Usage)
            } else {
                0
            };
        }
    };
    let clock = match context::clock(env) {
        Ok(clock) => clock,
        Err(e) => return report_error(io.err, &e),
    };
    // Standard output is watched: a failure to write it (a full disk behind `>`) is
    // the user's to fix, not a bug, whichever layer's error carries it up.
    let Io {
        out,
        err,
        stdin,
        out_is_terminal,
        err_is_terminal,
    } = io;
    let mut out = Watched {
        inner: out,
        failed: None,
    };
    let result = {
        let io = Io {
            out: &mut out,
            err: &mut *err,
            stdin,
            out_is_terminal,
            err_is_terminal,
        };
        let mut ctx = Context::new(cli.db.clone(), env, io, clock);
        ctx.command = name.join(" ");
        ctx.user = context::user(cli.user.as_deref(), env);
        let result = execute(&mut ctx, cli.command).and_then(|()| Ok(ctx.out.flush()?));
        (result, ctx.opened_for_write.get())
    };
    let (result, opened_for_write) = result;
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = out.flush();
            match out.failed.take() {
                Some(failure)
                    if failure.kind() != std::io::ErrorKind::BrokenPipe
                        && kind_of(&e) == ErrorKind::Internal =>
                {
                    let mut reason = io_reason(&failure);
                    if opened_for_write {
                        reason.push_str(" (anything it entered is recorded: check before running it again)");
                    }
                    let refused = LedgerError::File {
                        action: "write",
                        path: "the output".into(),
                        reason,
                    };
                    report_error(err, &refused.into())
                }
                _ => report_error(err, &e),
            }
        }
    }
}

/// A writer that remembers its first failure.
struct Watched<'a> {
    inner: &'a mut dyn Write,
    failed: Option<std::io::Error>,
}

impl Watched<'_> {
    fn watch<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && self.failed.is_none()
        {
            self.failed = Some(io_copy(e));
        }
        result
    }
}

impl Write for Watched<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.inner.write(buf);
        self.watch(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.inner.flush();
        self.watch(result)
    }
}

fn execute(ctx: &mut Context, command: Command) -> Result<()> {
    match command {
        Command::Init(args) => init::run_init(ctx, args),
        Command::Client(cmd) => client::run(ctx, cmd),
        Command::AddInvoice(args) => invoice::run_invoice_add(ctx, args),
        Command::Pay(args) => payment::run_pay(ctx, args),
        Command::Invoice(cmd) => invoice::run(ctx, cmd),
        Command::Payment(cmd) => payment::run(ctx, cmd),
        Command::CreditNote(args) => correction::run_credit_note(ctx, args),
        Command::ApplyCredit(args) => correction::run_apply_credit(ctx, args),
        Command::WriteOff(args) => correction::run_write_off(ctx, args),
        Command::Refund(args) => correction::run_refund(ctx, args),
        Command::Log(args) => log::run_log(ctx, args),
        Command::Aging(args) => report::run_aging(ctx, args),
        Command::DaysToPay(args) => report::run_days_to_pay(ctx, args),
        Command::Check(args) => check::run_check(ctx, args),
        Command::Demo(args) => demo::run_demo(ctx, args),
        Command::Import(args) => import::run_import(ctx, args),
        Command::Export(args) => export::run_export(ctx, args),
    }
}

/// Print a failure on one line and give its exit code. A closed pipe (`ar aging |
/// head`) is not a failure: it ends quietly.
fn report_error(err: &mut dyn Write, e: &anyhow::Error) -> u8 {
    if is_broken_pipe(e) {
        return 0;
    }
    let kind = kind_of(e);
    let text = match kind {
        ErrorKind::Internal => format!(
            "internal error: {}: this is a bug in ar {}; please report it, with the command that led to it",
            one_line(e),
            env!("CARGO_PKG_VERSION")
        ),
        _ => one_line(e),
    };
    let _ = writeln!(err, "error: {text}");
    let _ = err.flush();
    exit_code(kind)
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
    io_failure(err).is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// The I/O error in `err`'s chain, if any: the writers of JSON and CSV wrap it in
/// their own.
pub(crate) fn io_failure(err: &anyhow::Error) -> Option<std::io::Error> {
    err.chain().find_map(|c| {
        c.downcast_ref::<std::io::Error>()
            .map(io_copy)
            .or_else(|| {
                c.downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind)
                    .map(std::io::Error::from)
            })
            .or_else(|| match c.downcast_ref::<csv::Error>()?.kind() {
                csv::ErrorKind::Io(io) => Some(io_copy(io)),
                _ => None,
            })
    })
}

/// An I/O error as its kind and OS code (`std::io::Error` is not `Clone`).
fn io_copy(e: &std::io::Error) -> std::io::Error {
    match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(e.kind(), e.to_string()),
    }
}

/// A currency option as typed: given, it must say something (`--currency ""` is a
/// mistake, not "the default").
pub(crate) fn currency_option(text: Option<String>) -> Result<Option<String>, LedgerError> {
    match text {
        Some(t) if t.trim().is_empty() => Err(LedgerError::Refused(
            "--currency is empty: give an ISO 4217 code such as USD, EUR or NZD, or leave the option out"
                .into(),
        )),
        other => Ok(other),
    }
}

/// Every command's clap definition, for help texts and their tests.
pub fn command() -> clap::Command {
    Cli::command()
}
