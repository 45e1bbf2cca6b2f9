//! Import of the CSV layouts (spec: Import): settings, clients, invoices, payments.
//!
//! All or nothing: every file of one command goes through one [`Batch`] (one
//! transaction); any bad row means nothing is written, and the first errors are
//! reported with file, line, column and reason. Rows are streamed, never loaded
//! whole: a reader thread parses each file ([`csv_reader`], strict RFC 4180) and
//! checks each row as far as it can without the ledger (`NewInvoice::check`,
//! `NewPayment::check`: the checks the single commands make), while this thread
//! enters the rows through the batch, in file order.
//!
//! A file whose exact bytes were imported into the ledger before is refused (unless
//! asked to import it again): a payments file imported twice would double every
//! payment. Payments that repeat another's client, date, amount and reference are
//! entered, with a warning.

pub mod csv_reader;

use std::fmt;
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::Result;
use sha2::{Digest, Sha256};

use self::csv_reader::{CsvErrorKind, CsvReader, Record};
use super::export::{
    CLIENT_CHANGE_HEADER, CLIENT_HEADER, CORRECTION_HEADER, INVOICE_HEADER, PAYMENT_HEADER, SETTINGS_HEADER,
};
use super::invoices::CheckedInvoice;
use super::payments::CheckedPayment;
use super::{Batch, Ledger, NewClient, NewCorrection, NewInvoice, NewPayment, Settings};
use crate::domain::entities::{CorrectionKind, Entered};
use crate::domain::{Date, Field, LedgerError, Terms, parse_date};
use crate::store::{ImportRecord, InvoiceLookup, WriteHint};

/// Errors listed before the rest are only counted (spec: up to the first 20).
pub const MAX_LISTED: usize = 20;

/// About how many bytes a row of the layouts takes, to tell the store how many
/// entries a file holds.
const BYTES_PER_ROW: u64 = 48;

/// How many entries' work a correction row counts as, for the store's hint.
const CORRECTION_WEIGHT: u64 = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// `ledger.csv` of an export: key,value settings.
    Settings,
    Clients,
    Invoices,
    Payments,
    /// `corrections.csv` of an export: credit notes, write-offs, credit applied,
    /// refunds and reversals.
    Corrections,
    /// `client_changes.csv` of an export: the audit trail's changes of clients.
    ClientChanges,
}

impl ImportKind {
    pub fn noun(&self) -> &'static str {
        match self {
            ImportKind::Settings => "settings",
            ImportKind::Clients => "clients",
            ImportKind::Invoices => "invoices",
            ImportKind::Payments => "payments",
            ImportKind::Corrections => "corrections",
            ImportKind::ClientChanges => "client changes",
        }
    }

    /// (required columns, every column read) by header name. The full layouts are
    /// export's headers: what `ar export` writes is exactly what import reads.
    fn columns(&self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            ImportKind::Settings => (&["key", "value"], &SETTINGS_HEADER),
            ImportKind::Clients => (&["code", "name"], &CLIENT_HEADER),
            ImportKind::Invoices => (&["number", "client", "issue_date", "amount"], &INVOICE_HEADER),
            ImportKind::Payments => (&["client", "date", "amount"], &PAYMENT_HEADER),
            ImportKind::Corrections => (&["kind", "client", "date"], &CORRECTION_HEADER),
            ImportKind::ClientChanges => (&["client", "field"], &CLIENT_CHANGE_HEADER),
        }
    }
}

/// One file to import: a display name for messages (`invoices.csv`, `stdin`) and its
/// bytes.
pub struct ImportSource {
    pub kind: ImportKind,
    pub name: String,
    /// `Send`: rows are read and checked on a thread of their own.
    pub reader: Box<dyn Read + Send>,
    /// Size in bytes when known (files, not pipes).
    pub size: Option<u64>,
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Validate everything, write nothing.
    pub dry_run: bool,
    /// Import a file even if its exact content was imported before.
    pub again: bool,
    /// The time to record the import under (UTC, `2026-11-23T09:15:02Z`).
    pub now: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    /// Line in the file (the header is line 1); 0 when the file itself is unusable.
    pub line: u64,
    pub column: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column.is_empty()) {
            (0, _) => write!(f, "{}: {}", self.file, self.reason),
            (_, true) => write!(f, "{}:{}: {}", self.file, self.line, self.reason),
            (_, false) => write!(f, "{}:{}: {}: {}", self.file, self.line, self.column, self.reason),
        }
    }
}

/// Why an import wrote nothing: the first errors and how many there were.
#[derive(Debug, Clone)]
pub struct ImportErrors {
    pub errors: Vec<RowError>,
    pub total: usize,
    /// How many of them repeat a client or invoice the ledger held before.
    pub duplicates: usize,
}

impl ImportErrors {
    /// The one-line summary that heads the list.
    pub fn headline(&self) -> String {
        let rows = crate::domain::text::counted(self.total as u64, "row");
        if self.duplicates == self.total {
            // Typically a backup imported back into the ledger it came from.
            return format!(
                "nothing imported: {rows} repeat{} clients or invoices the ledger already holds; to restore a backup, import it into a new ledger (--db NEW.db)",
                if self.total == 1 { "s" } else { "" }
            );
        }
        let bad = crate::domain::text::counted(self.total as u64, "bad row");
        format!(
            "nothing imported: {bad}; fix {} and import again",
            if self.total == 1 { "it" } else { "them" }
        )
    }
}

impl fmt::Display for ImportErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        for e in &self.errors {
            write!(f, "\n  {e}")?;
        }
        if self.total > self.errors.len() {
            write!(f, "\n  … and {} more", self.total - self.errors.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportErrors {}

#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub clients: u64,
    pub invoices: u64,
    pub payments: u64,
    pub corrections: u64,
    /// Distinct clients the invoices and payments belong to.
    pub for_clients: u64,
    pub dry_run: bool,
    pub elapsed: Duration,
    /// Rows entered that look like a mistake (the first [`MAX_LISTED`]) and how
    /// many there were.
    pub warnings: Vec<RowError>,
    pub warning_count: usize,
}

/// Rows read so far and bytes consumed, for a progress bar.
pub type Progress<'a> = &'a mut dyn FnMut(&str, u64);

#[derive(Default)]
struct Collector {
    errors: Vec<RowError>,
    total: usize,
    duplicates: usize,
    /// Lines of the clients and invoices entered so far, in entry order: a repeated
    /// code or number is then told which line it repeats.
    client_lines: Vec<u64>,
    invoice_lines: Vec<u64>,
}

impl Collector {
    fn push(&mut self, e: RowError) {
        self.total += 1;
        if self.errors.len() < MAX_LISTED {
            self.errors.push(e);
        }
    }
}

/// Dry runs roll back by failing the transaction with this marker.
#[derive(Debug)]
struct DryRunDone(ImportSummary);

impl fmt::Display for DryRunDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("dry run")
    }
}

impl std::error::Error for DryRunDone {}

impl Ledger {
    /// Import `sources` in order in one transaction.
    pub fn import(
        &mut self,
        sources: Vec<ImportSource>,
        options: &ImportOptions,
        progress: Progress,
    ) -> Result<ImportSummary> {
        let started = Instant::now();
        // A dry run is hinted as one entry: a store's fast mode may change the file
        // to get ready (SQLite's switches the journal mode, which rewrites the
        // header), and a dry run must leave it as it was. Both ways check every row
        // with the same rules and give the same error list (a test compares them).
        let entries = if options.dry_run {
            1
        } else {
            sources
                .iter()
                .map(|s| {
                    // A correction replays its client from its first entry: a few
                    // thousand of them are work like a load of the whole ledger.
                    let per_row = if s.kind == ImportKind::Corrections {
                        CORRECTION_WEIGHT
                    } else {
                        1
                    };
                    s.size
                        .map_or(u64::MAX, |n| (n / BYTES_PER_ROW).saturating_mul(per_row))
                })
                .fold(0u64, u64::saturating_add)
        };
        // The files are read as they are imported, so an import runs once: it locks
        // the whole ledger, so no other writer can make the server ask it again.
        let mut sources = Some(sources);
        let result = self.write(WriteHint { entries }, |batch| {
            let sources = sources
                .take()
                .ok_or_else(|| crate::internal!("an import was asked to run a second time"))?;
            batch.importing = true;
            let mut summary = ImportSummary {
                dry_run: options.dry_run,
                ..ImportSummary::default()
            };
            let mut errors = Collector::default();
            for source in sources {
                import_file(batch, source, options, &mut summary, &mut errors, progress)?;
            }
            let entered = batch.entered();
            (
                summary.clients,
                summary.invoices,
                summary.payments,
                summary.corrections,
            ) = (
                entered.clients,
                entered.invoices,
                entered.payments,
                entered.corrections,
            );
            summary.for_clients = batch.clients_entered() as u64;
            if errors.total > 0 {
                return Err(ImportErrors {
                    errors: errors.errors,
                    total: errors.total,
                    duplicates: errors.duplicates,
                }
                .into());
            }
            if options.dry_run {
                return Err(DryRunDone(summary).into());
            }
            Ok(summary)
        });
        // Timed to the end of the transaction: the replay, index rebuilds and commit
        // that follow the last row are part of the import.
        let mut summary = match result {
            Err(e) if e.is::<DryRunDone>() => match e.downcast::<DryRunDone>() {
                Ok(DryRunDone(summary)) => summary,
                Err(e) => return Err(e),
            },
            other => other?,
        };
        summary.elapsed = started.elapsed();
        Ok(summary)
    }
}

/// Column positions of one file, by header name.
struct Header {
    index: Vec<(&'static str, usize)>,
    /// How many fields the header has: every row must have as many.
    fields: usize,
}

impl Header {
    fn has(&self, column: &str) -> bool {
        self.index.iter().any(|(c, _)| *c == column)
    }

    /// The trimmed cell, without the `'` that `ar export` puts before a text a
    /// spreadsheet would run as a formula (or before a text that itself begins with
    /// `'`, so that one survives the round trip); `None` when empty.
    fn get<'r>(&self, record: &'r Record, column: &str) -> Option<&'r str> {
        let &(_, i) = self.index.iter().find(|(c, _)| *c == column)?;
        let value = crate::domain::text::unguard(record.get(i)?.trim());
        (!value.is_empty()).then_some(value)
    }
}

/// Rows the reader thread hands over at a time (one channel send per chunk).
const READ_CHUNK: usize = 1_024;

fn import_file(
    batch: &mut Batch,
    source: ImportSource,
    options: &ImportOptions,
    summary: &mut ImportSummary,
    errors: &mut Collector,
    progress: Progress,
) -> Result<()> {
    let file = source.name.clone();
    let kind = source.kind;
    if kind == ImportKind::Payments {
        // Payments repeat nothing: the lines kept to name repeats are done with
        // (8 MB for a million invoices, at the import's peak of memory).
        errors.client_lines = Vec::new();
        errors.invoice_lines = Vec::new();
    }
    let settings = batch.settings();
    // Payment rows find their invoice while being read, when the store offers a view
    // of the invoices for that (a bulk load): half the writer's work otherwise.
    let invoices = match kind {
        ImportKind::Payments => batch.txn().invoice_lookup()?,
        _ => None,
    };
    let mut rows = 0u64;
    let mut digest = None;
    // Who entered the rows (an export's audit columns), as last told to the store.
    let mut author: Option<Option<Entered>> = None;
    let mut apply = |item: Item| -> Result<()> {
        match item {
            Item::Row { line, row, entered } => {
                rows += 1;
                if let Some(entered) = entered
                    && author.as_ref() != Some(&entered)
                {
                    batch.enter_as(entered.as_ref())?;
                    author = Some(entered);
                }
                apply_row(batch, &file, line, row, summary, errors)
            }
            Item::Refused(e) => {
                errors.push(e);
                Ok(())
            }
            Item::Progress(bytes) => {
                progress(&file, bytes);
                Ok(())
            }
            Item::End { sha256 } => {
                digest = Some(sha256);
                Ok(())
            }
        }
    };
    // One thread reads the CSV and checks each row as far as it can without the
    // ledger, while this one checks the rest and writes. Rows go over in chunks, in
    // file order, so errors are listed in line order.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<()> {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Item>>(4);
        let stop = &stop;
        let reader = scope.spawn(move || {
            let mut chunk = Vec::with_capacity(READ_CHUNK);
            read_file(source, settings, invoices.as_deref(), &mut |item| {
                // (The writer failed: stop at once, not a chunk later; from a slow
                // pipe, that could be a long wait.)
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return false;
                }
                chunk.push(item);
                chunk.len() < READ_CHUNK
                    || send
                        .send(std::mem::replace(&mut chunk, Vec::with_capacity(READ_CHUNK)))
                        .is_ok()
            });
            // (A failed send means the writer stopped, with an error of its own.)
            let _ = send.send(chunk);
        });
        let mut outcome = Ok(());
        'chunks: for chunk in receive.iter() {
            for item in chunk {
                if let Err(e) = apply(item) {
                    outcome = Err(e);
                    break 'chunks;
                }
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        drop(receive); // (and a reader waiting to send stops there)
        reader
            .join()
            .map_err(|_| crate::internal!("the CSV reader thread panicked"))?;
        outcome
    })?;
    if author.is_some() {
        batch.enter_as_self()?;
    }
    // What corrections do is the replay's: one refused is refused for the import.
    if kind == ImportKind::Corrections && errors.total == 0 {
        batch.replay()?;
    }
    let Some(sha256) = digest.filter(|_| rows > 0) else {
        return Ok(());
    };
    let digest = format!("sha256:{sha256}");
    if !options.again
        && let Some(earlier) = batch.txn().find_import(&digest)?
    {
        // Said instead of the row errors (repeated clients and invoices) it explains.
        return Err(LedgerError::AlreadyImported {
            file,
            earlier: earlier.file,
            when: shown_time(&earlier.imported_at),
            rows: earlier.rows,
            kind: earlier.kind,
        }
        .into());
    }
    if !options.dry_run {
        batch.txn().record_import(&ImportRecord {
            digest,
            kind: kind.noun().to_string(),
            file,
            rows,
            imported_at: options.now.clone(),
        })?;
    }
    Ok(())
}

/// `2026-11-23T09:15:02Z` as `2026-11-23 09:15 UTC`.
fn shown_time(utc: &str) -> String {
    match (utc.get(..10), utc.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => utc.to_string(),
    }
}

/// What reading a file yields, in file order. (Rows are nearly every item: boxing
/// them would cost an allocation per row for the few others' sake.)
#[allow(clippy::large_enum_variant)]
enum Item {
    /// A row checked as far as it can be without the ledger, and who entered it
    /// (when the file says: an export; `Some(None)` for a fact entered before the
    /// audit trail).
    Row {
        line: u64,
        row: ReadRow,
        entered: Option<Option<Entered>>,
    },
    /// A row (or the file) refused before it reached the ledger.
    Refused(RowError),
    /// Bytes of the file read so far.
    Progress(u64),
    /// The whole file was read: the hex SHA-256 of its bytes.
    End { sha256: String },
}

/// A row as the reader checked it, for the writer to enter.
enum ReadRow {
    Setting {
        key: String,
        value: String,
    },
    Client(NewClient),
    Invoice {
        invoice: CheckedInvoice,
        /// (from, given on, reason)
        voided: Option<(Date, Date, Option<String>)>,
    },
    Payment {
        payment: CheckedPayment,
        /// Its id in the exported ledger (corrections.csv refers to it).
        exported_id: Option<i64>,
    },
    Correction(NewCorrection),
    ClientChange {
        client: String,
        field: String,
        old: Option<String>,
        new: Option<String>,
    },
    /// An invoice or payment row whose own fields are refused: reported unless its
    /// client is unknown, which is said first (as a single command does).
    Refused {
        client: String,
        refusal: Refusal,
    },
}

/// Why a row was refused before it reached the ledger: (column, reason).
type Refusal = (String, String);

/// Enter one row into the batch, or collect why it cannot be.
fn apply_row(
    batch: &mut Batch,
    file: &str,
    line: u64,
    row: ReadRow,
    summary: &mut ImportSummary,
    errors: &mut Collector,
) -> Result<()> {
    let outcome = match row {
        ReadRow::Setting { key, value } => batch.import_setting(&key, &value).map_err(classify),
        ReadRow::Client(new) => batch
            .add_client(new)
            .map(|_| errors.client_lines.push(line))
            .map_err(classify),
        ReadRow::Invoice { invoice, voided } => {
            let (number, issued, client) =
                (invoice.number.clone(), invoice.issue_date, invoice.client.clone());
            batch
                .add_checked_invoice(invoice)
                .and_then(|id| match voided {
                    Some((from, given_on, reason)) => batch.client(&client).and_then(|c| {
                        batch.void_entered_invoice(
                            id,
                            c.id,
                            number.as_deref().unwrap_or(""),
                            issued,
                            from,
                            given_on,
                            reason.as_deref(),
                        )
                    }),
                    None => Ok(()),
                })
                .map(|()| errors.invoice_lines.push(line))
                .map_err(classify)
        }
        ReadRow::Correction(mut new) => {
            // Payments by their ids in the exported ledger, when this import entered them.
            new.payment = new.payment.map(|id| batch.imported_payment(id));
            new.after_payment = new.after_payment.map(|id| batch.imported_payment_before(id));
            batch.record_correction(new).map(|_| ()).map_err(classify)
        }
        ReadRow::ClientChange {
            client,
            field,
            old,
            new,
        } => batch
            .import_client_change(&client, &field, old, new)
            .map_err(classify),
        ReadRow::Payment {
            payment: new,
            exported_id,
        } => {
            let referenced = new.has_reference();
            match batch.record_checked_payment(new) {
                Ok(recorded) => {
                    if let Some(old) = exported_id {
                        batch.imported_payments.insert(old, recorded.id);
                    }
                    if recorded.repeats > 0 {
                        summary.warning_count += 1;
                        if summary.warnings.len() < MAX_LISTED {
                            summary.warnings.push(RowError {
                            file: file.to_string(),
                            line,
                            column: String::new(),
                            reason: format!(
                                "this payment has the same client, date, amount and {} as one already entered (in the ledger or earlier in the file): if it is the same payment, it is now counted twice",
                                if referenced { "reference" } else { "no reference" }
                            ),
                        });
                        }
                    }
                    Ok(())
                }
                Err(e) => Err(classify(e)),
            }
        }
        ReadRow::Refused {
            client,
            refusal: (column, reason),
        } => match batch.find_client(&client) {
            Ok(()) => Err(RowFailure::Bad {
                column,
                reason,
                duplicate: None,
            }),
            Err(e) => Err(classify(e)),
        },
    };
    match outcome {
        Ok(()) => {}
        Err(RowFailure::Bad {
            column,
            reason,
            duplicate,
        }) => {
            let reason = match duplicate {
                Some(repeated) => {
                    let (reason, of_ledger) = repeated.reason(batch, errors)?;
                    errors.duplicates += usize::from(of_ledger);
                    reason
                }
                None => reason,
            };
            errors.push(RowError {
                file: file.to_string(),
                line,
                column,
                reason,
            });
        }
        Err(RowFailure::Fatal(e)) => return Err(e),
    }
    Ok(())
}

/// A row refused (the import goes on to find more), or a failure that stops it.
enum RowFailure {
    Bad {
        column: String,
        reason: String,
        /// The row repeats a client or invoice (see [`ImportErrors::headline`]).
        duplicate: Option<Repeated>,
    },
    Fatal(anyhow::Error),
}

/// A client code or invoice number the ledger or the file already has.
enum Repeated {
    Client(String),
    Invoice(String),
}

impl Repeated {
    /// Which: a row of this import (by its line), or the ledger as it was (then
    /// `true`).
    fn reason(&self, batch: &mut Batch, collected: &Collector) -> Result<(String, bool)> {
        let (what, key, rule, entered, lines) = match self {
            Repeated::Client(code) => (
                "client",
                code,
                "codes",
                batch.entered_client(code)?,
                &collected.client_lines,
            ),
            Repeated::Invoice(number) => (
                "invoice",
                number,
                "numbers",
                batch.entered_invoice(number)?,
                &collected.invoice_lines,
            ),
        };
        Ok(match entered.and_then(|i| lines.get(i)) {
            Some(line) => (
                format!(
                    "{what} `{key}` repeats line {line}: {rule} are unique (in any letter case); remove one of the two rows"
                ),
                false,
            ),
            None => (
                format!("{what} `{key}` is already in the ledger: {rule} are unique (in any letter case)"),
                true,
            ),
        })
    }
}

/// Sort an error from the ledger's checks into the column it concerns: the refusal
/// says which field it is about.
fn classify(e: anyhow::Error) -> RowFailure {
    match e.downcast::<LedgerError>() {
        Ok(le) => RowFailure::Bad {
            column: le.field().map(Field::column).unwrap_or_default().to_string(),
            reason: row_reason(&le),
            duplicate: match &le {
                LedgerError::DuplicateInvoice { number } => Some(Repeated::Invoice(number.clone())),
                LedgerError::DuplicateClient { code } => Some(Repeated::Client(code.clone())),
                _ => None,
            },
        },
        Err(e) => RowFailure::Fatal(e),
    }
}

/// [`classify`] for the checks made while reading (no repeats, nothing fatal).
fn refusal(le: LedgerError) -> Refusal {
    (
        le.field().map(Field::column).unwrap_or_default().to_string(),
        row_reason(&le),
    )
}

/// The ledger's refusal, reworded where its advice is for the command line. (A repeated
/// code or number is worded by [`Repeated::reason`], which knows the file's lines.)
fn row_reason(le: &LedgerError) -> String {
    match le {
        LedgerError::UnknownClient { code } => {
            format!("unknown client `{code}`: import it first (clients.csv) or add it with `ar client add`")
        }
        LedgerError::UnknownInvoice { number, .. } => format!(
            "unknown invoice `{number}`: import it first (invoices.csv), fix the number, or leave invoice empty to pay the oldest invoices"
        ),
        LedgerError::InvoiceOfOtherClient {
            invoice,
            owner,
            client,
        } => format!(
            "invoice `{invoice}` belongs to client `{owner}`, not `{client}`: fix the client or invoice column, or leave invoice empty"
        ),
        LedgerError::CurrencyMismatch {
            invoice,
            invoice_currency,
            payment_currency,
        } => format!(
            "invoice `{invoice}` is in {invoice_currency}, the payment in {payment_currency}: fix the currency column or leave it empty"
        ),
        LedgerError::VoidBeforeIssue {
            invoice,
            issued,
            date,
        } => format!(
            "invoice `{invoice}` was issued on {issued}: a void dated {date} would be before it; fix voided_on or issue_date"
        ),
        LedgerError::PaymentToVoid { number } => {
            format!(
                "invoice `{number}` is void and takes no payments: name another invoice or leave invoice empty"
            )
        }
        other => other.to_string(),
    }
}

impl Batch<'_> {
    /// A ledger setting from an export's ledger.csv. Currency and terms can only be
    /// set on an empty ledger (or repeat what it has); unknown keys are refused.
    fn import_setting(&mut self, key: &str, value: &str) -> Result<()> {
        use super::{KEY_CURRENCY, KEY_DEMO, KEY_NEXT, KEY_PREFIX, KEY_TERMS};
        match key {
            KEY_CURRENCY | KEY_TERMS => {
                let mut wanted = self.settings();
                if key == KEY_CURRENCY {
                    wanted.currency =
                        crate::domain::Currency::parse(value).map_err(|e| e.in_field(Field::SettingValue))?;
                } else {
                    wanted.terms = Terms::parse(value).map_err(|e| e.in_field(Field::SettingValue))?;
                }
                let current = self.settings();
                if let super::SettingsChange::Fixed = self.change_settings(wanted)? {
                    return Err(LedgerError::ImportedSettingDiffers {
                        key: key.to_string(),
                        value: value.to_string(),
                        currency: current.currency.to_string(),
                        terms: current.terms.to_string(),
                    }
                    .into());
                }
            }
            KEY_PREFIX => {
                let prefix = crate::domain::text::clean_text(Field::SettingValue, value, 20)?;
                self.txn().set_setting(KEY_PREFIX, &prefix)?;
            }
            KEY_NEXT => {
                let next: u64 = value.trim().parse().map_err(|_| LedgerError::BadValue {
                    what: KEY_NEXT.to_string(),
                    input: value.to_string(),
                    reason: "not a whole number".into(),
                })?;
                let current: u64 = self
                    .txn()
                    .setting(KEY_NEXT)?
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(1);
                self.txn().set_setting(KEY_NEXT, &next.max(current).to_string())?;
            }
            KEY_DEMO => {}
            _ => {
                return Err(LedgerError::UnknownSetting { key: key.to_string() }.into());
            }
        }
        Ok(())
    }
}

/// A reader that hashes every byte it hands on (an import refuses a file whose exact
/// content was imported before).
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Read `source` row by row, handing each to `emit` checked as far as it can be
/// without the ledger; stop when `emit` says so (`false`).
fn read_file(
    source: ImportSource,
    settings: Settings,
    invoices: Option<&dyn InvoiceLookup>,
    emit: &mut dyn FnMut(Item) -> bool,
) {
    let file = source.name;
    let refused = |line: u64, column: &str, reason: String| {
        Item::Refused(RowError {
            file: file.clone(),
            line,
            column: column.to_string(),
            reason,
        })
    };
    let mut reader = CsvReader::new(Hashing {
        inner: source.reader,
        hasher: Sha256::new(),
    });
    let (required, all) = source.kind.columns();
    let mut record = Record::default();
    let names: Vec<String> = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|h| h.trim().to_ascii_lowercase()).collect(),
        Ok(false) => {
            emit(refused(
                1,
                "",
                "is empty: the first line must name the columns (a header row)".into(),
            ));
            return;
        }
        Err(e) => {
            emit(refused(e.line, "", e.to_string()));
            return;
        }
    };
    let header_line = record.line();
    if let Some(repeated) = names
        .iter()
        .enumerate()
        .find(|(i, n)| !n.is_empty() && names[..*i].contains(n))
        .map(|(_, n)| n)
    {
        emit(refused(
            header_line,
            repeated,
            "is named twice in the header row: each column once (which one was meant?)".into(),
        ));
        return;
    }
    let mut index = Vec::new();
    for &col in all {
        if let Some(i) = names.iter().position(|n| n == col) {
            index.push((col, i));
        }
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !index.iter().any(|(n, _)| n == c))
        .collect();
    if !missing.is_empty() {
        emit(refused(
            header_line,
            &missing.join(", "),
            format!(
                "required column{} missing from the header row (it has: {})",
                if missing.len() == 1 { " is" } else { "s are" },
                names.join(", ")
            ),
        ));
        return;
    }
    let header = Header {
        index,
        fields: names.len(),
    };
    let mut rows: u64 = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let io = matches!(e.kind, CsvErrorKind::Io(_));
                if !emit(refused(e.line, "", e.to_string())) || io {
                    return;
                }
                continue;
            }
        }
        let line = record.line();
        rows += 1;
        if rows.is_multiple_of(65_536) && !emit(Item::Progress(reader.bytes_read())) {
            return;
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank line, or one of commas only
        }
        let item = if record.len() != header.fields {
            // An unquoted `1,250.00` is two fields: never an amount of 1.00.
            let advice = if record.len() > header.fields {
                "put a value that holds a comma in double quotes (\"1,250.00\"), or remove the extra fields"
            } else {
                "add the missing values (an empty one as nothing between two commas)"
            };
            refused(
                line,
                "",
                format!(
                    "this row has {}, the header {}: {advice}",
                    crate::domain::text::counted(record.len() as u64, "field"),
                    header.fields
                ),
            )
        } else if let Some(&(column, _)) = header
            .index
            .iter()
            .find(|&&(_, i)| record.get(i).is_some_and(|v| v.contains('\n')))
        {
            // Ledger texts are single lines, so a value the ledger reads with a line
            // break in it is always an error, and nearly always a quote never closed.
            refused(
                line,
                column,
                format!(
                    "the value runs on to line {} (a line break inside quotes, or a quote \" opened here and closed only there): keep the value on one line",
                    record.end_line()
                ),
            )
        } else {
            let row = match source.kind {
                ImportKind::Settings => read_setting(&header, &record),
                ImportKind::Clients => read_client(&header, &record, settings),
                ImportKind::Invoices => read_invoice(&header, &record, settings),
                ImportKind::Payments => read_payment(&header, &record, settings, invoices),
                ImportKind::Corrections => read_correction(&header, &record),
                ImportKind::ClientChanges => read_client_change(&header, &record),
            };
            let entered = header.has("entered_at").then(|| {
                header
                    .get(&record, "entered_at")
                    .zip(header.get(&record, "entered_by"))
                    .map(|(at, by)| Entered {
                        entered_at: at.to_string(),
                        entered_by: by.to_string(),
                    })
            });
            match row {
                Ok(row) => Item::Row { line, row, entered },
                Err((column, reason)) => refused(line, &column, reason),
            }
        };
        if !emit(item) {
            return;
        }
    }
    if !emit(Item::Progress(reader.bytes_read())) {
        return;
    }
    let sha256 = reader.into_inner().hasher.finalize();
    emit(Item::End {
        sha256: sha256.iter().map(|b| format!("{b:02x}")).collect(),
    });
}

fn required<'r>(h: &Header, r: &'r Record, column: &'static str) -> Result<&'r str, Refusal> {
    h.get(r, column)
        .ok_or((column.to_string(), "is empty; a value is required".into()))
}

fn date_in(h: &Header, r: &Record, field: Field) -> Result<Option<Date>, Refusal> {
    h.get(r, field.column())
        .map(|v| parse_date(v).map_err(|e| refusal(e.in_field(field))))
        .transpose()
}

/// Terms from the `terms_days` and `discount` (`2/10`) columns, when either is given.
fn terms_in(h: &Header, r: &Record, default_days: u32) -> Result<Option<Terms>, Refusal> {
    match (h.get(r, "terms_days"), h.get(r, "discount")) {
        (None, None) => Ok(None),
        (days, discount) => {
            let days = days.map_or(default_days.to_string(), str::to_string);
            let text = match discount {
                Some(d) => format!("{d} net {days}"),
                None => days,
            };
            let field = if discount.is_some() {
                Field::Discount
            } else {
                Field::Terms
            };
            Terms::parse(&text)
                .map(Some)
                .map_err(|e| refusal(e.in_field(field)))
        }
    }
}

fn read_setting(h: &Header, r: &Record) -> Result<ReadRow, Refusal> {
    Ok(ReadRow::Setting {
        key: required(h, r, "key")?.to_string(),
        value: required(h, r, "value")?.to_string(),
    })
}

fn read_client(h: &Header, r: &Record, settings: Settings) -> Result<ReadRow, Refusal> {
    let code = required(h, r, "code")?;
    let name = required(h, r, "name")?;
    let terms = terms_in(h, r, settings.terms.net_days)?;
    Ok(ReadRow::Client(NewClient {
        code: code.to_string(),
        name: name.to_string(),
        email: h.get(r, "email").map(str::to_string),
        terms,
        credit_limit: h.get(r, "credit_limit").map(str::to_string),
    }))
}

fn read_invoice(h: &Header, r: &Record, settings: Settings) -> Result<ReadRow, Refusal> {
    let number = required(h, r, "number")?;
    let client = required(h, r, "client")?;
    let issue_date =
        parse_date(required(h, r, "issue_date")?).map_err(|e| refusal(e.in_field(Field::IssueDate)))?;
    let due_date = date_in(h, r, Field::DueDate)?;
    let amount = required(h, r, "amount")?;
    let terms = terms_in(h, r, settings.terms.net_days)?;
    let voided_on = date_in(h, r, Field::VoidDate)?;
    // (An export says when a void takes effect where that is not the day it was
    // given: a void of an earlier release, from the issue date.)
    let void_from = match voided_on {
        Some(on) => Some(date_in(h, r, Field::VoidFrom)?.unwrap_or(on)),
        None => None,
    };
    // Checked before the insert: a row must not be entered and then refused (its
    // line would not be the one later repeats are told to look at).
    if let Some(on) = void_from.filter(|&on| on < issue_date) {
        return Ok(ReadRow::Refused {
            client: client.to_string(),
            refusal: refusal(LedgerError::VoidBeforeIssue {
                invoice: number.to_string(),
                issued: issue_date.to_string(),
                date: on.to_string(),
            }),
        });
    }
    let void_reason = match voided_on {
        Some(_) => h
            .get(r, "void_reason")
            .map(|t| crate::domain::text::clean_text(Field::VoidReason, t, 500))
            .transpose()
            .map_err(refusal)?,
        None => None,
    };
    let invoice = NewInvoice {
        client: client.to_string(),
        amount: amount.to_string(),
        currency: h.get(r, "currency").map(str::to_string),
        issue_date,
        due_date,
        terms,
        number: Some(number.to_string()),
        description: h.get(r, "description").map(str::to_string),
    }
    .check(settings.currency);
    Ok(match invoice {
        Ok(invoice) => ReadRow::Invoice {
            invoice,
            voided: voided_on.zip(void_from).map(|(on, from)| (from, on, void_reason)),
        },
        // The writer looks the client up first, as `ar add-invoice` does.
        Err(e) => ReadRow::Refused {
            client: client.to_string(),
            refusal: refusal(e),
        },
    })
}

fn read_payment(
    h: &Header,
    r: &Record,
    settings: Settings,
    invoices: Option<&dyn InvoiceLookup>,
) -> Result<ReadRow, Refusal> {
    let client = required(h, r, "client")?;
    let date = parse_date(required(h, r, "date")?).map_err(|e| refusal(e.in_field(Field::Date)))?;
    let amount = required(h, r, "amount")?;
    let payment = NewPayment {
        client: client.to_string(),
        amount: amount.to_string(),
        currency: h.get(r, "currency").map(str::to_string),
        date,
        invoice: h.get(r, "invoice").map(str::to_string),
        reference: h.get(r, "reference").map(str::to_string),
    }
    .check(settings.currency, invoices);
    let exported_id = match h.get(r, "id") {
        Some(id) => Some(id.parse::<i64>().map_err(|_| {
            (
                "id".to_string(),
                format!("invalid payment id `{id}`: a whole number, as `ar export` writes it"),
            )
        })?),
        None => None,
    };
    // The writer looks the client up first, as `ar pay` does.
    Ok(match payment {
        Ok(payment) => ReadRow::Payment { payment, exported_id },
        Err(e) => ReadRow::Refused {
            client: client.to_string(),
            refusal: refusal(e),
        },
    })
}

fn read_correction(h: &Header, r: &Record) -> Result<ReadRow, Refusal> {
    let kind_text = required(h, r, "kind")?;
    let kind = CorrectionKind::parse(kind_text).ok_or_else(|| {
        (
            "kind".to_string(),
            format!(
                "unknown kind `{kind_text}`: one of {}",
                CorrectionKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        )
    })?;
    let date = parse_date(required(h, r, "date")?).map_err(|e| refusal(e.in_field(Field::Date)))?;
    let id = |column: &'static str| -> Result<Option<i64>, Refusal> {
        match h.get(r, column) {
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                (
                    column.to_string(),
                    format!("invalid payment id `{v}`: a whole number (payments.csv's id)"),
                )
            }),
            None => Ok(None),
        }
    };
    let payment = id("payment")?;
    if kind == CorrectionKind::Reversal && payment.is_none() {
        return Err((
            "payment".into(),
            "a reversal names the payment it reverses".into(),
        ));
    }
    Ok(ReadRow::Correction(NewCorrection {
        kind: Some(kind),
        // (A reversal's must be its payment's: checked when it is entered.)
        client: Some(required(h, r, "client")?.to_string()),
        amount: h.get(r, "amount").map(str::to_string),
        currency: h.get(r, "currency").map(str::to_string),
        date: Some(date),
        invoice: h.get(r, "invoice").map(str::to_string),
        payment,
        reason: h.get(r, "reason").map(str::to_string),
        reference: h.get(r, "reference").map(str::to_string),
        after_payment: id("after_payment")?,
    }))
}

fn read_client_change(h: &Header, r: &Record) -> Result<ReadRow, Refusal> {
    Ok(ReadRow::ClientChange {
        client: required(h, r, "client")?.to_string(),
        field: required(h, r, "field")?.to_string(),
        old: h.get(r, "old").map(str::to_string),
        new: h.get(r, "new").map(str::to_string),
    })
}
