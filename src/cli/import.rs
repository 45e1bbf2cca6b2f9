//! `ar import`

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::Context;
use crate::domain::LedgerError;
use crate::domain::error::io_reason;
use crate::domain::text::counted;
use crate::ledger::Ledger;
use crate::ledger::import::{ImportErrors, ImportKind, ImportOptions, ImportSource, ImportSummary};
use crate::store::sqlite::Access;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Clients,
    Invoices,
    Payments,
    Corrections,
}

/// Import clients, invoices, payments or corrections from CSV, all or nothing
///
/// Columns are matched by header name (extra columns are ignored):
///   clients:  code, name, [email, terms_days, credit_limit, discount]
///   invoices: number, client, issue_date, amount, [due_date, currency, description,
///             terms_days, discount, voided_on, void_reason, void_from,
///             void_entered_at, void_entered_by]
///   payments: client, date, amount, [invoice, reference, currency, id]
///   corrections: kind, client, date, [amount, currency, invoice, payment,
///             after_payment, reason, reference]
///   client changes (--dir: client_changes.csv): client, field, [old, new]
/// (the layouts `ar export` writes, each with entered_at and entered_by; --dir also
/// reads its ledger.csv: key, value)
/// Any bad row means nothing is written; the first 20 errors are listed with their
/// line and column. Payments are allocated as `ar pay` would, in date and row order.
/// A file whose exact content was imported into this ledger before is refused
/// (unless --again), and a payment that repeats another's client, date, amount and
/// reference is imported with a warning.
///
/// Examples:
///   ar import clients clients.csv
///   cat payments.csv | ar import payments -
///   ar import --dir exported/              # clients, invoices, payments, corrections
///   ar import invoices big.csv --dry-run   # validate only
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ImportArgs {
    /// What the file holds
    #[arg(value_enum, required_unless_present = "dir", requires = "file")]
    kind: Option<KindArg>,
    /// CSV file, or - for standard input
    #[arg(requires = "kind")]
    file: Option<PathBuf>,
    /// Import ledger.csv (settings), clients.csv, invoices.csv, payments.csv, corrections.csv
    /// and client_changes.csv from this directory
    #[arg(long, conflicts_with_all = ["kind", "file"], value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Check every row and report every error, but write nothing
    #[arg(long)]
    dry_run: bool,
    /// Import a file even though its exact content was imported into this ledger before
    #[arg(long)]
    again: bool,
}

pub fn run_import(ctx: &mut Context, args: ImportArgs) -> Result<()> {
    let sources = match (&args.dir, args.kind, &args.file) {
        (Some(dir), _, _) => dir_sources(dir)?,
        (None, Some(kind), Some(file)) => vec![open_source(ctx, kind_of(kind), file)?],
        _ => return Err(LedgerError::Refused("give a kind and a file, or --dir".into()).into()),
    };
    // A dry run writes nothing, so it creates no ledger either: with none there yet,
    // the rows are checked against an empty one.
    let (path, _) = ctx.ledger_path()?;
    let on_server = path.to_str().is_some_and(crate::store::pg::is_server_address);
    let mut ledger = if args.dry_run && !on_server && !path.exists() {
        Ledger::open_in_memory()?
    } else if args.dry_run {
        match ctx.open_ledger(Access::Read) {
            // A server's database with no ledger yet: checked against an empty one.
            Err(e) if on_server && matches!(e.downcast_ref(), Some(LedgerError::NoLedger { .. })) => {
                Ledger::open_in_memory()?
            }
            other => other?,
        }
    } else {
        ctx.open_ledger(Access::Write)?
    };
    let mut bar = ProgressBar::new(&sources, ctx.err_is_terminal);
    let options = ImportOptions {
        dry_run: args.dry_run,
        again: args.again,
        now: ctx.now.clone(),
    };
    let summary = ledger.import(sources, &options, &mut |file, bytes| bar.update(file, bytes));
    bar.finish();
    let summary = summary.map_err(|e| list_errors(ctx, e))?;
    for w in &summary.warnings {
        writeln!(ctx.err, "warning: {w}")?;
    }
    if summary.warning_count > summary.warnings.len() {
        writeln!(
            ctx.err,
            "warning: … and {} more such payments",
            summary.warning_count - summary.warnings.len()
        )?;
    }
    writeln!(ctx.out, "{}", summary_line(&summary))?;
    Ok(())
}

/// The error list goes to stderr one error per line, then the one-line reason the
/// command failed: the caller prints errors on a single line, which would run 20
/// errors together into one unreadable line.
fn list_errors(ctx: &mut Context, e: anyhow::Error) -> anyhow::Error {
    let Some(list) = e.downcast_ref::<ImportErrors>() else {
        return e;
    };
    for row in &list.errors {
        let _ = writeln!(ctx.err, "{row}");
    }
    if list.total > list.errors.len() {
        let _ = writeln!(ctx.err, "… and {} more", list.total - list.errors.len());
    }
    LedgerError::Refused(list.headline()).into()
}

fn kind_of(kind: KindArg) -> ImportKind {
    match kind {
        KindArg::Clients => ImportKind::Clients,
        KindArg::Invoices => ImportKind::Invoices,
        KindArg::Payments => ImportKind::Payments,
        KindArg::Corrections => ImportKind::Corrections,
    }
}

fn open_source(ctx: &mut Context, kind: ImportKind, file: &Path) -> Result<ImportSource> {
    if file.as_os_str() == "-" {
        return Ok(ImportSource {
            kind,
            name: "stdin".into(),
            reader: Box::new(std::io::BufReader::with_capacity(1 << 20, ctx.take_stdin())),
            size: None,
        });
    }
    open_file(kind, file)
}

fn open_file(kind: ImportKind, file: &Path) -> Result<ImportSource> {
    let f = File::open(file).map_err(|e| LedgerError::File {
        action: "read",
        path: file.display().to_string(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => format!("{}: check the path", io_reason(&e)),
            std::io::ErrorKind::PermissionDenied => format!("{}: check its permissions", io_reason(&e)),
            _ => io_reason(&e),
        },
    })?;
    let metadata = f.metadata().ok();
    if metadata.as_ref().is_some_and(std::fs::Metadata::is_dir) {
        return Err(LedgerError::File {
            action: "import",
            path: file.display().to_string(),
            reason: "it is a directory, not a CSV file: name a file (a directory of them is imported with `ar import --dir DIR`)".into(),
        }
        .into());
    }
    let size = metadata.map(|m| m.len());
    Ok(ImportSource {
        kind,
        name: file.display().to_string(),
        reader: Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
        size,
    })
}

/// The files of `ar export --dir` that exist in `dir`, in dependency order.
fn dir_sources(dir: &Path) -> Result<Vec<ImportSource>> {
    if !dir.is_dir() {
        return Err(LedgerError::Refused(format!(
            "{} is not a directory: give the folder `ar export --dir` wrote (clients.csv, invoices.csv, payments.csv, ...)",
            dir.display()
        ))
        .into());
    }
    let mut sources = Vec::new();
    for (kind, name) in [
        (ImportKind::Settings, "ledger.csv"),
        (ImportKind::Clients, "clients.csv"),
        (ImportKind::Invoices, "invoices.csv"),
        (ImportKind::Payments, "payments.csv"),
        (ImportKind::Corrections, "corrections.csv"),
        (ImportKind::ClientChanges, "client_changes.csv"),
    ] {
        let path = dir.join(name);
        if path.exists() {
            sources.push(open_file(kind, &path)?);
        }
    }
    if sources.is_empty() {
        return Err(LedgerError::Refused(format!(
            "{} holds none of ledger.csv, clients.csv, invoices.csv, payments.csv, corrections.csv, client_changes.csv: nothing to import",
            dir.display()
        ))
        .into());
    }
    Ok(sources)
}

fn summary_line(s: &ImportSummary) -> String {
    let mut parts = Vec::new();
    for (n, noun) in [
        (s.clients, "client"),
        (s.invoices, "invoice"),
        (s.payments, "payment"),
        (s.corrections, "correction"),
    ] {
        if n > 0 {
            parts.push(counted(n, noun));
        }
    }
    if parts.is_empty() {
        parts.push("no rows".into());
    }
    let what = parts.join(", ");
    let for_clients = if s.invoices + s.payments > 0 {
        format!(" for {}", counted(s.for_clients, "client"))
    } else {
        String::new()
    };
    let verb = if s.dry_run {
        "checked (dry run, nothing written)"
    } else {
        "imported"
    };
    format!("{verb} {what}{for_clients} in {:.1} s", s.elapsed.as_secs_f64())
}

/// A byte-based progress bar on stderr, only on a terminal and for large files.
struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    /// Bytes of the files finished before the current one.
    base: u64,
    current: String,
    current_bytes: u64,
    total: u64,
    /// Every row read: the bar became a spinner for the replay, indexes and commit.
    writing: bool,
}

impl ProgressBar {
    const LARGE: u64 = 8 << 20;

    fn new(sources: &[ImportSource], on_terminal: bool) -> ProgressBar {
        let total: u64 = sources.iter().filter_map(|s| s.size).sum();
        if !on_terminal || total < Self::LARGE {
            return ProgressBar {
                bar: None,
                base: 0,
                current: String::new(),
                current_bytes: 0,
                total,
                writing: false,
            };
        }
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>14} [{bar:40}] {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        ProgressBar {
            bar: Some(bar),
            base: 0,
            current: String::new(),
            current_bytes: 0,
            total,
            writing: false,
        }
    }

    fn update(&mut self, file: &str, bytes: u64) {
        if let Some(bar) = &self.bar {
            if file != self.current {
                self.base += self.current_bytes;
                self.current = file.to_string();
                bar.set_message(file.rsplit('/').next().unwrap_or(file).to_string());
            }
            self.current_bytes = bytes;
            bar.set_position(self.base + bytes);
            // After the last row a bulk load still allocates payments, rebuilds
            // indexes and commits, for seconds: say so rather than show a full bar.
            if self.base + bytes >= self.total && !self.writing {
                self.writing = true;
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                );
                bar.set_message("all rows read; writing the ledger (allocations, indexes)");
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
