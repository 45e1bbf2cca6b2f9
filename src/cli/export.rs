//! `ar export`

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::Context;
use crate::domain::LedgerError;
use crate::domain::entities::{Client, ClientChangeEntry, Correction, Invoice, Payment};
use crate::domain::error::io_reason;
use crate::domain::text::counted;
use crate::ledger::export::{
    CLIENT_CHANGE_HEADER, CLIENT_HEADER, CORRECTION_HEADER, ExportSink, INVOICE_HEADER, JsonSink,
    PAYMENT_HEADER, SETTINGS_HEADER, client_change_record, client_record, correction_record, invoice_record,
    payment_record,
};
use crate::store::sqlite::Access;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Export the whole ledger: CSV files that `ar import --dir` reads back, or JSON
///
/// --dir writes ledger.csv (settings), clients.csv, invoices.csv, payments.csv,
/// corrections.csv and client_changes.csv: the import layouts plus the columns that
/// carry the rest (terms with discounts, descriptions, voids, payment currencies and
/// ids, who entered each fact and when). Text cells a spreadsheet would run as a
/// formula are written with a leading ' and import removes it again.
///
/// Examples:
///   ar export --dir backup/
///   ar export --format json > ledger.json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ExportArgs {
    /// Write the CSV files into this directory (created if missing; files replaced)
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// json: one document on standard output; csv needs --dir
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
}

/// Make sure `dir` is a directory to write into, creating it when missing.
fn export_dir(dir: &Path) -> Result<()> {
    // Without trailing separators (`afile/` is not "missing" but "not a directory"),
    // and without following a symlink (a dangling one is not a directory either).
    let bare: PathBuf = dir.components().collect();
    if std::fs::symlink_metadata(&bare).is_ok() && !bare.is_dir() {
        return Err(LedgerError::Refused(format!(
            "{} exists and is not a directory: give --dir a directory (it is created if missing)",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        LedgerError::File {
            action: "create the directory",
            path: dir.display().to_string(),
            reason: io_reason(&e),
        }
        .into()
    })
}

/// A failure to write an export file (disk full, permissions) as a refusal that
/// names the file; the store's own errors stay as they are.
fn writing(path: &Path) -> impl Fn(anyhow::Error) -> anyhow::Error + '_ {
    move |e| {
        let io = super::io_failure(&e).map(|io| io_reason(&io));
        match io {
            Some(reason) if !e.is::<LedgerError>() => LedgerError::File {
                action: "write",
                path: path.display().to_string(),
                reason,
            }
            .into(),
            _ => e,
        }
    }
}

pub fn run_export(ctx: &mut Context, args: ExportArgs) -> Result<()> {
    let mut ledger = ctx.open_ledger(Access::Read)?;
    match (args.format, &args.dir) {
        (ExportFormat::Json, None) => {
            let mut sink = JsonSink::new(&mut ctx.out);
            ledger.export(&mut sink)?;
            sink.finish()
        }
        (ExportFormat::Json, Some(dir)) => {
            export_dir(dir)?;
            let path = dir.join("ledger.json");
            (|| {
                let mut sink = JsonSink::new(BufWriter::new(create(&path)?));
                ledger.export(&mut sink)?;
                sink.finish()
            })()
            .map_err(writing(&path))?;
            writeln!(ctx.out, "Exported the ledger to {}", path.display())?;
            Ok(())
        }
        (ExportFormat::Csv, None) => Err(LedgerError::Refused(
            "CSV export writes several files: give --dir DIR (or --format json for one document on stdout)"
                .into(),
        )
        .into()),
        (ExportFormat::Csv, Some(dir)) => {
            export_dir(dir)?;
            let written = CsvDirSink::create(dir)
                .and_then(|mut sink| {
                    let counts = ledger.export(&mut sink)?;
                    sink.finish()?;
                    Ok(counts)
                })
                .map_err(writing(dir));
            let counts = match written {
                Ok(counts) => counts,
                Err(e) => {
                    // Leave the previous backup (if any) as it was: drop what was begun.
                    for name in FILES {
                        let _ = std::fs::remove_file(dir.join(format!(".{name}.partial")));
                    }
                    return Err(e);
                }
            };
            let corrections = if counts.corrections > 0 {
                format!(", {}", counted(counts.corrections, "correction"))
            } else {
                String::new()
            };
            writeln!(
                ctx.out,
                "Exported {}, {}{corrections} and {} to {}",
                counted(counts.clients as u64, "client"),
                counted(counts.invoices as u64, "invoice"),
                counted(counts.payments as u64, "payment"),
                dir.display()
            )?;
            Ok(())
        }
    }
}

/// Create (or truncate) an export file, readable and writable by its owner only: an
/// export holds the same customers' financial data as the ledger (0600).
fn create(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| LedgerError::File {
        action: "write",
        path: path.display().to_string(),
        reason: io_reason(&e),
    })?;
    // A file that existed keeps its mode on open: make it owner-only too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    Ok(file)
}

/// The CSV files of an export. Written under temporary names and renamed at the
/// end, so a failed export never leaves a half-written backup in place.
struct CsvDirSink {
    dir: PathBuf,
    ledger: csv::Writer<BufWriter<File>>,
    clients: csv::Writer<BufWriter<File>>,
    invoices: csv::Writer<BufWriter<File>>,
    payments: csv::Writer<BufWriter<File>>,
    corrections: csv::Writer<BufWriter<File>>,
    client_changes: csv::Writer<BufWriter<File>>,
}

/// In the order `ar import --dir` reads them back.
pub(super) const FILES: [&str; 6] = [
    "ledger.csv",
    "clients.csv",
    "invoices.csv",
    "payments.csv",
    "corrections.csv",
    "client_changes.csv",
];

impl CsvDirSink {
    fn create(dir: &Path) -> Result<CsvDirSink> {
        let open = |name: &str, header: &[&str]| -> Result<csv::Writer<BufWriter<File>>> {
            let file = create(&dir.join(format!(".{name}.partial")))?;
            let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
            w.write_record(header)?;
            Ok(w)
        };
        Ok(CsvDirSink {
            dir: dir.to_path_buf(),
            ledger: open(FILES[0], &SETTINGS_HEADER)?,
            clients: open(FILES[1], &CLIENT_HEADER)?,
            invoices: open(FILES[2], &INVOICE_HEADER)?,
            payments: open(FILES[3], &PAYMENT_HEADER)?,
            corrections: open(FILES[4], &CORRECTION_HEADER)?,
            client_changes: open(FILES[5], &CLIENT_CHANGE_HEADER)?,
        })
    }

    fn finish(self) -> Result<()> {
        for mut w in [
            self.ledger,
            self.clients,
            self.invoices,
            self.payments,
            self.corrections,
            self.client_changes,
        ] {
            w.flush()?;
        }
        // Every target must be replaceable before the first is replaced, so a backup
        // is either the old one or the new one, never a mix.
        for name in FILES {
            let target = self.dir.join(name);
            if target.is_dir() {
                return Err(LedgerError::Refused(format!(
                    "cannot write {}: it is a directory; remove it or export to another --dir",
                    target.display()
                ))
                .into());
            }
        }
        for name in FILES {
            let partial = self.dir.join(format!(".{name}.partial"));
            std::fs::rename(&partial, self.dir.join(name)).map_err(|e| LedgerError::File {
                action: "write",
                path: self.dir.join(name).display().to_string(),
                reason: io_reason(&e),
            })?;
        }
        Ok(())
    }
}

/// Guard every text cell (`guard_for_import`: import takes the guard off again);
/// amounts and dates are written plain and never start with a formula character.
/// Written field by field: only a guarded cell is copied.
fn write_guarded<W: Write>(w: &mut csv::Writer<W>, record: &[String]) -> Result<()> {
    for cell in record {
        w.write_field(crate::domain::text::guard_for_import(cell).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

impl ExportSink for CsvDirSink {
    fn settings(&mut self, settings: &[(String, String)]) -> Result<()> {
        for (k, v) in settings {
            self.ledger.write_record([k, v])?;
        }
        Ok(())
    }

    fn client(&mut self, c: &Client) -> Result<()> {
        write_guarded(&mut self.clients, &client_record(c))
    }

    fn invoice(&mut self, i: &Invoice) -> Result<()> {
        write_guarded(&mut self.invoices, &invoice_record(i))
    }

    fn payment(&mut self, p: &Payment) -> Result<()> {
        write_guarded(&mut self.payments, &payment_record(p))
    }

    fn correction(&mut self, c: &Correction) -> Result<()> {
        write_guarded(&mut self.corrections, &correction_record(c))
    }

    fn client_change(&mut self, c: &ClientChangeEntry) -> Result<()> {
        write_guarded(&mut self.client_changes, &client_change_record(c))
    }
}
