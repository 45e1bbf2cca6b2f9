//! Bulk import of the spec's CSV layouts (spec: Import): clients, invoices, payments.
//!
//! All or nothing: every file of one command goes through one [`Batch`] (one
//! transaction); any bad row means nothing is written, and the first errors are
//! reported with file, line, column and reason. Rows are streamed, never loaded whole,
//! and validated by the same code the single-entry commands use.

use std::fmt;
use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::bulk::InvoiceDirectory;
use super::export::{CLIENT_HEADER, INVOICE_HEADER, PAYMENT_HEADER, SETTINGS_HEADER};
use super::invoices::CheckedInvoice;
use super::payments::CheckedPayment;
use super::{Batch, ClientBook, Ledger, NewClient, NewInvoice, NewPayment, Settings};
use crate::domain::{Date, LedgerError, Terms, parse_date};
use crate::store::BulkLoad;

/// From this size (or from a pipe, size unknown) an import loads in bulk mode
/// (`ledger::bulk`): rebuilding indexes and replaying the whole ledger once beats
/// doing both row by row from about 300k rows.
pub const BULK_BYTES: u64 = 16 << 20;

/// How an import runs.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Validate everything, write nothing.
    pub dry_run: bool,
    /// Load in bulk mode when a source has at least this many bytes, or an unknown
    /// size (a pipe). [`BULK_BYTES`] but in tests.
    pub bulk_from_bytes: u64,
}

/// Errors listed before the rest are only counted (spec: up to the first 20).
pub const MAX_LISTED_ERRORS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// `ledger.csv` of an export: key,value settings.
    Settings,
    Clients,
    Invoices,
    Payments,
}

impl ImportKind {
    pub fn noun(&self) -> &'static str {
        match self {
            ImportKind::Settings => "settings",
            ImportKind::Clients => "clients",
            ImportKind::Invoices => "invoices",
            ImportKind::Payments => "payments",
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
        }
    }
}

/// One file to import: a display name for messages (`invoices.csv`, `stdin`) and its
/// bytes.
pub struct ImportSource {
    pub kind: ImportKind,
    pub name: String,
    /// `Send`: a bulk import reads and checks rows on a thread of their own.
    pub reader: Box<dyn Read + Send>,
    /// Size in bytes when known (files, not pipes): for the progress bar.
    pub size: Option<u64>,
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
        let rows = if self.total == 1 { "row" } else { "rows" };
        if self.duplicates == self.total {
            // Typically a backup imported back into the ledger it came from.
            return format!(
                "nothing imported: {} {rows} repeat{} clients or invoices the ledger already holds; to restore a backup, import it into a new ledger (--db NEW.db)",
                self.total,
                if self.total == 1 { "s" } else { "" }
            );
        }
        format!(
            "nothing imported: {} bad {rows}; fix {} and import again",
            self.total,
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
    /// Distinct clients the invoices and payments belong to.
    pub for_clients: u64,
    pub dry_run: bool,
    pub elapsed: Duration,
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
        if self.errors.len() < MAX_LISTED_ERRORS {
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
        options: ImportOptions,
        progress: Progress,
    ) -> Result<ImportSummary> {
        let started = Instant::now();
        let dry_run = options.dry_run;
        let bulk = sources
            .iter()
            .any(|s| s.size.is_none_or(|n| n >= options.bulk_from_bytes));
        let load = if sources.iter().all(|s| s.kind == ImportKind::Payments) {
            BulkLoad::Payments
        } else {
            BulkLoad::Invoices
        };
        let result = self.batch_with(bulk && !dry_run, |batch| {
            if bulk && !dry_run {
                batch.enter_bulk_mode(load)?;
            }
            let mut summary = ImportSummary {
                dry_run,
                ..ImportSummary::default()
            };
            let mut errors = Collector::default();
            for source in sources {
                import_file(batch, source, &mut summary, &mut errors, progress)?;
            }
            summary.for_clients = batch.clients_entered() as u64;
            if errors.total > 0 {
                return Err(ImportErrors {
                    errors: errors.errors,
                    total: errors.total,
                    duplicates: errors.duplicates,
                }
                .into());
            }
            if dry_run {
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
}

impl Header {
    /// The trimmed cell, without the `'` that `ar export` puts before a text a
    /// spreadsheet would run as a formula (or before a text that itself begins with
    /// `'`, so that one survives the round trip); `None` when empty.
    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let &(_, i) = self.index.iter().find(|(c, _)| *c == column)?;
        let value = record.get(i)?.trim();
        let value = match value.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) => rest,
            _ => value,
        };
        (!value.is_empty()).then_some(value)
    }
}

/// Rows a reader thread hands over at a time (one channel send per chunk).
const READ_CHUNK: usize = 1_024;

fn import_file(
    batch: &mut Batch,
    source: ImportSource,
    summary: &mut ImportSummary,
    errors: &mut Collector,
    progress: Progress,
) -> Result<()> {
    let file = source.name.clone();
    if source.kind == ImportKind::Payments {
        // Payments repeat nothing: the lines kept to name repeats are done with
        // (8 MB for a million invoices, at the import's peak of memory).
        errors.client_lines = Vec::new();
        errors.invoice_lines = Vec::new();
    }
    let settings = batch.settings();
    let threaded = batch.in_bulk_mode() && matches!(source.kind, ImportKind::Invoices | ImportKind::Payments);
    // In bulk mode invoice rows find their client, and payment rows their invoice,
    // while being read.
    let directory = match source.kind {
        ImportKind::Payments => batch.invoice_directory()?,
        _ => None,
    };
    // (Payment rows leave their client to the writer: finding their invoice is the
    // reader's larger share, and this keeps the two threads about as busy.)
    let clients = if threaded && source.kind == ImportKind::Invoices {
        Some(batch.client_book()?)
    } else {
        None
    };
    let found = Found {
        clients: clients.as_ref(),
        invoices: directory.as_deref(),
    };
    let mut apply = |item: Item| apply_item(batch, &file, item, summary, errors, progress);
    if !threaded {
        let mut outcome = Ok(());
        read_file(source, settings, found, &mut |item| match apply(item) {
            Ok(()) => true,
            Err(e) => {
                outcome = Err(e);
                false
            }
        });
        return outcome;
    }
    // A large load: one thread reads the CSV and checks each row as far as it can
    // without the ledger (`NewInvoice::check`, `NewPayment::check`) while this one
    // checks the rest and writes. Rows go over in chunks, in file order, so errors
    // are listed in line order as they are row by row.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Item>>(4);
        let stop = &stop;
        let reader = scope.spawn(move || {
            let mut chunk = Vec::with_capacity(READ_CHUNK);
            read_file(source, settings, found, &mut |item| {
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
            .map_err(|_| anyhow::anyhow!("internal error: the CSV reader thread panicked"))?;
        outcome
    })
}

/// What reading a file yields, in file order.
enum Item {
    /// A row checked as far as it can be without the ledger.
    Row { line: u64, row: ReadRow },
    /// A row (or the file) refused before it reached the ledger.
    Refused(RowError),
    /// Bytes of the file read so far.
    Progress(u64),
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
        voided: Option<(Date, Option<String>)>,
    },
    Payment(CheckedPayment),
    /// An invoice or payment row whose own fields are refused: reported unless its
    /// client is unknown, which is said first (as a single command does).
    Refused {
        client: String,
        refusal: Refusal,
    },
}

/// Enter one item into the batch, or collect why it cannot be.
fn apply_item(
    batch: &mut Batch,
    file: &str,
    item: Item,
    summary: &mut ImportSummary,
    errors: &mut Collector,
    progress: Progress,
) -> Result<()> {
    let (line, row) = match item {
        Item::Row { line, row } => (line, row),
        Item::Refused(e) => {
            errors.push(e);
            return Ok(());
        }
        Item::Progress(bytes) => {
            progress(file, bytes);
            return Ok(());
        }
    };
    let outcome = match row {
        ReadRow::Setting { key, value } => batch
            .import_setting(&key, &value)
            .map_err(|e| classify(e, setting_column)),
        ReadRow::Client(new) => batch
            .add_client(new)
            .map(|_| {
                summary.clients += 1;
                errors.client_lines.push(line);
            })
            .map_err(|e| classify(e, client_column)),
        ReadRow::Invoice { invoice, voided } => batch
            .add_checked_invoice(invoice)
            .map_err(|e| classify(e, invoice_column))
            .and_then(|id| match voided {
                Some((on, reason)) => batch
                    .void_new_invoice(id, on, reason.as_deref())
                    .map_err(|e| classify(e, |_| "void_reason")),
                None => Ok(()),
            })
            .map(|()| {
                summary.invoices += 1;
                errors.invoice_lines.push(line);
            }),
        ReadRow::Payment(new) => batch
            .record_checked_payment(new)
            .map(|_| summary.payments += 1)
            .map_err(|e| classify(e, payment_column)),
        ReadRow::Refused {
            client,
            refusal: (column, reason),
        } => match batch.find_client(&client) {
            Ok(()) => Err(RowFailure::Bad {
                column,
                reason,
                duplicate: None,
            }),
            Err(e) => Err(classify(e, |_| "client")),
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
                column: column.to_string(),
                reason,
            });
        }
        Err(RowFailure::Fatal(e)) => return Err(e),
    }
    Ok(())
}

/// What a reader can look rows up in (bulk mode).
#[derive(Clone, Copy)]
struct Found<'a> {
    clients: Option<&'a ClientBook>,
    invoices: Option<&'a InvoiceDirectory>,
}

/// Read `source` row by row, handing each to `emit` checked as far as it can be
/// without the ledger; stop when `emit` says so (`false`).
fn read_file(source: ImportSource, settings: Settings, found: Found, emit: &mut dyn FnMut(Item) -> bool) {
    let file = source.name;
    let refused = |line: u64, column: String, reason: String| {
        Item::Refused(RowError {
            file: file.clone(),
            line,
            column,
            reason,
        })
    };
    // Line numbers are counted here, from the bytes: the csv crate's own count skips
    // blank lines, and with the default terminator (`\r`, `\n` or `\r\n`) it puts
    // the `\n` of a `\r\n` into the next record. Records end at `\n`; the `\r` left
    // at the end of the last cell is trimmed like any other surrounding white space.
    let (counter, mut lines) = LineCounter::new(source.reader);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(counter);
    let (required, all) = source.kind.columns();
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let line = e.position().map_or(1, |p| lines.at(p.byte()));
            emit(refused(line, String::new(), csv_reason(&e)));
            return;
        }
    };
    let names: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
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
        let line = header.position().map_or(1, |p| lines.at(p.byte()));
        emit(refused(
            line,
            missing.join(", "),
            format!(
                "required column{} missing from the header row (it has: {})",
                if missing.len() == 1 { " is" } else { "s are" },
                names.join(", ")
            ),
        ));
        return;
    }
    let header = Header { index };
    let mut record = csv::StringRecord::new();
    let mut rows: u64 = 0;
    loop {
        let at = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = lines.at(e.position().map_or(at, |p| p.byte()));
                let io = matches!(e.kind(), csv::ErrorKind::Io(_));
                if !emit(refused(line, String::new(), csv_reason(&e))) || io {
                    return;
                }
                continue;
            }
        }
        let line = lines.at(record.position().map_or(at, |p| p.byte()));
        rows += 1;
        if rows.is_multiple_of(65_536) && !emit(Item::Progress(reader.position().byte())) {
            return;
        }
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank line
        }
        // Ledger texts are single lines, so a value the ledger reads with a line break
        // in it is always an error, and nearly always a quote that was never closed:
        // say that, rather than what the swallowed lines look like as text. (Columns
        // the ledger does not read may hold anything.)
        let broken = header
            .index
            .iter()
            .find_map(|&(_, i)| record.get(i).filter(|v| v.contains('\n')).map(|v| (i, v)));
        let item = if let Some((i, value)) = broken {
            // (A quote left open on the last line takes only its final line break.)
            let breaks = value.trim_end_matches(['\r', '\n']).matches('\n').count() as u64;
            let reason = if breaks == 0 {
                "a quote \" opened here is not closed before the end of the file: close it".to_string()
            } else {
                format!(
                    "the value runs on to line {} (a quote \" opened here and not closed, or a line break inside quotes): close the quote, or keep the value on one line",
                    line + breaks
                )
            };
            refused(line, names.get(i).cloned().unwrap_or_default(), reason)
        } else {
            let row = match source.kind {
                ImportKind::Settings => read_setting(&header, &record),
                ImportKind::Clients => read_client(&header, &record, settings),
                ImportKind::Invoices => read_invoice(&header, &record, settings, found.clients),
                ImportKind::Payments => read_payment(&header, &record, settings, found.invoices),
            };
            match row {
                Ok(row) => Item::Row { line, row },
                Err((column, reason)) => refused(line, column.to_string(), reason),
            }
        };
        if !emit(item) {
            return;
        }
    }
    emit(Item::Progress(reader.position().byte()));
}

/// Where the lines that hold something start, as (byte offset, line number), for
/// the bytes read so far and not yet passed by a record.
type LineStarts = std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<(u64, u64)>>>;

/// The reader under the CSV parser: notes where each non-blank line starts, so
/// [`Lines`] can tell the line of a record from its byte offset. (A record's offset
/// is where the parser began looking for it, before any blank lines it skipped.)
struct LineCounter<R> {
    inner: R,
    offset: u64,
    line: u64,
    at_line_start: bool,
    starts: LineStarts,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> (LineCounter<R>, Lines) {
        let starts = LineStarts::default();
        let lines = Lines {
            starts: starts.clone(),
            last: 1,
        };
        let counter = LineCounter {
            inner,
            offset: 0,
            line: 1,
            at_line_start: true,
            starts,
        };
        (counter, lines)
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = &buf[..n];
        let mut starts = self.starts.borrow_mut();
        let mut i = 0;
        // A byte-order mark is not content.
        const BOM: &[u8] = b"\xef\xbb\xbf";
        while i < n && self.offset + (i as u64) < 3 && bytes[i] == BOM[self.offset as usize + i] {
            i += 1;
        }
        // Line by line (memchr: several bytes at a time).
        while i < n {
            if self.at_line_start && bytes[i] != b'\n' {
                starts.push_back((self.offset + i as u64, self.line));
                self.at_line_start = false;
            }
            match memchr::memchr(b'\n', &bytes[i..]) {
                Some(k) => {
                    self.line += 1;
                    self.at_line_start = true;
                    i += k + 1;
                }
                None => break,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Line numbers (from 1) of records' byte offsets, asked in increasing order.
struct Lines {
    starts: LineStarts,
    last: u64,
}

impl Lines {
    /// The line of the first non-blank line starting at or after `byte`.
    fn at(&mut self, byte: u64) -> u64 {
        let mut starts = self.starts.borrow_mut();
        while let Some(&(offset, line)) = starts.front() {
            if offset >= byte {
                self.last = line;
                return line;
            }
            starts.pop_front();
        }
        self.last
    }
}

/// A row refused (the import goes on to find more), or a failure that stops it.
enum RowFailure {
    Bad {
        column: &'static str,
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
    fn reason(&self, batch: &Batch, collected: &Collector) -> Result<(String, bool)> {
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

/// Why a row was refused before it reached the ledger: (column, reason).
type Refusal = (&'static str, String);

fn bad(column: &'static str, e: LedgerError) -> Refusal {
    (column, e.to_string())
}

/// Sort an error from the ledger's checks into the column it concerns.
fn classify(e: anyhow::Error, column_of: fn(&LedgerError) -> &'static str) -> RowFailure {
    match e.downcast::<LedgerError>() {
        Ok(le) => RowFailure::Bad {
            column: column_of(&le),
            reason: row_reason(&le),
            duplicate: match &le {
                LedgerError::DuplicateInvoice(n) => Some(Repeated::Invoice(n.clone())),
                LedgerError::DuplicateClient(c) => Some(Repeated::Client(c.clone())),
                _ => None,
            },
        },
        Err(e) => RowFailure::Fatal(e),
    }
}

/// [`classify`] for the checks made while reading (no repeats, nothing fatal).
fn refusal(le: LedgerError, column_of: fn(&LedgerError) -> &'static str) -> Refusal {
    (column_of(&le), row_reason(&le))
}

fn setting_column(_: &LedgerError) -> &'static str {
    "value"
}

fn client_column(le: &LedgerError) -> &'static str {
    match le {
        LedgerError::BadAmount { .. } => "credit_limit",
        LedgerError::Invalid(m) if m.contains("email") => "email",
        LedgerError::Invalid(m) if m.contains("name") => "name",
        _ => "code",
    }
}

fn invoice_column(le: &LedgerError) -> &'static str {
    match le {
        LedgerError::BadAmount { .. } => "amount",
        LedgerError::UnknownCurrency(_) => "currency",
        LedgerError::UnknownClient(_) => "client",
        LedgerError::DueBeforeIssue { .. } => "due_date",
        // Dates were parsed already: what is left is a due date out of range.
        LedgerError::BadDate { .. } => "issue_date",
        LedgerError::Invalid(m) if m.contains("description") => "description",
        _ => "number",
    }
}

fn payment_column(le: &LedgerError) -> &'static str {
    match le {
        LedgerError::BadAmount { .. } => "amount",
        LedgerError::UnknownCurrency(_) | LedgerError::CurrencyMismatch { .. } => "currency",
        LedgerError::UnknownClient(_) => "client",
        LedgerError::Invalid(m) if m.contains("reference") => "reference",
        _ => "invoice",
    }
}

/// The ledger's refusal, reworded where its advice is for the command line. (A repeated
/// code or number is worded by [`Repeated::reason`], which knows the file's lines.)
fn row_reason(le: &LedgerError) -> String {
    match le {
        LedgerError::UnknownClient(c) => {
            format!("unknown client `{c}`: import it first (clients.csv) or add it with `ar client add`")
        }
        LedgerError::UnknownInvoice(n) => format!(
            "unknown invoice `{n}`: import it first (invoices.csv), fix the number, or leave invoice empty to pay the oldest invoices"
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
        LedgerError::PaymentToVoid(n) => {
            format!(
                "invoice `{n}` is void and takes no payments: name another invoice or leave invoice empty"
            )
        }
        other => other.to_string(),
    }
}

fn required<'r>(h: &Header, r: &'r csv::StringRecord, column: &'static str) -> Result<&'r str, Refusal> {
    h.get(r, column)
        .ok_or((column, "is empty; a value is required".into()))
}

fn date_in(h: &Header, r: &csv::StringRecord, column: &'static str) -> Result<Option<Date>, Refusal> {
    h.get(r, column)
        .map(|v| parse_date(v).map_err(|e| bad(column, e)))
        .transpose()
}

/// Terms from the `terms_days` and `discount` (`2/10`) columns, when either is given.
fn terms_in(h: &Header, r: &csv::StringRecord, default_days: u32) -> Result<Option<Terms>, Refusal> {
    match (h.get(r, "terms_days"), h.get(r, "discount")) {
        (None, None) => Ok(None),
        (days, discount) => {
            let days = days.map_or(default_days.to_string(), str::to_string);
            let text = match discount {
                Some(d) => format!("{d} net {days}"),
                None => days,
            };
            let column = if discount.is_some() {
                "discount"
            } else {
                "terms_days"
            };
            Terms::parse(&text).map(Some).map_err(|e| bad(column, e))
        }
    }
}

fn read_setting(h: &Header, r: &csv::StringRecord) -> Result<ReadRow, Refusal> {
    Ok(ReadRow::Setting {
        key: required(h, r, "key")?.to_string(),
        value: required(h, r, "value")?.to_string(),
    })
}

fn read_client(h: &Header, r: &csv::StringRecord, settings: Settings) -> Result<ReadRow, Refusal> {
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

fn read_invoice(
    h: &Header,
    r: &csv::StringRecord,
    settings: Settings,
    clients: Option<&ClientBook>,
) -> Result<ReadRow, Refusal> {
    let number = required(h, r, "number")?;
    let client = required(h, r, "client")?;
    let issue_date = parse_date(required(h, r, "issue_date")?).map_err(|e| bad("issue_date", e))?;
    let due_date = date_in(h, r, "due_date")?;
    let amount = required(h, r, "amount")?;
    let terms = terms_in(h, r, settings.terms.net_days)?;
    let voided_on = date_in(h, r, "voided_on")?;
    // Checked before the insert: a row must not be entered and then refused.
    let void_reason = match voided_on {
        Some(_) => h
            .get(r, "void_reason")
            .map(|t| super::clean_text("void reason", t, 500))
            .transpose()
            .map_err(|e| bad("void_reason", e))?,
        None => None,
    };
    // The client is looked up before the row's own fields are checked, as
    // `ar add-invoice` does: here when a client book is at hand, else by the writer.
    let found = clients
        .map(|book| book.resolve(client).map_err(|e| refusal(e, invoice_column)))
        .transpose()?;
    let invoice = NewInvoice {
        client: if found.is_some() {
            String::new()
        } else {
            client.to_string()
        },
        amount: amount.to_string(),
        currency: h.get(r, "currency").map(str::to_string),
        issue_date,
        due_date,
        terms,
        number: Some(number.to_string()),
        description: h.get(r, "description").map(str::to_string),
    }
    .check(settings.currency);
    let mut invoice = match invoice {
        Ok(invoice) => invoice,
        Err(e) if found.is_some() => return Err(refusal(e, invoice_column)),
        Err(e) => {
            return Ok(ReadRow::Refused {
                client: client.to_string(),
                refusal: refusal(e, invoice_column),
            });
        }
    };
    if let Some(found) = found {
        invoice.client = found;
    }
    Ok(ReadRow::Invoice {
        invoice,
        voided: voided_on.map(|on| (on, void_reason)),
    })
}

fn read_payment(
    h: &Header,
    r: &csv::StringRecord,
    settings: Settings,
    invoices: Option<&InvoiceDirectory>,
) -> Result<ReadRow, Refusal> {
    let client = required(h, r, "client")?;
    let date = parse_date(required(h, r, "date")?).map_err(|e| bad("date", e))?;
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
    // The writer looks the client up first, as `ar pay` does.
    Ok(match payment {
        Ok(payment) => ReadRow::Payment(payment),
        Err(e) => ReadRow::Refused {
            client: client.to_string(),
            refusal: refusal(e, payment_column),
        },
    })
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "is not valid UTF-8: save the file as UTF-8".into(),
        csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => format!("is not valid CSV: {e}"),
    }
}
