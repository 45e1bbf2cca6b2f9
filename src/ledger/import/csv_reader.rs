//! Strict, streaming CSV reader for `ar import`.
//!
//! Owns: splitting a byte stream into records and fields (RFC 4180, `,` separator), unquoting,
//! physical line numbers for every record and error, UTF-8 checking, and recovery after a bad
//! record so the caller can report every problem in one run.
//!
//! Must not: interpret fields (no trimming, no header handling, no field-count check — the caller
//! compares with the header), add a `file:line:` prefix to messages (the caller does), or let
//! memory grow with the input size: it is bounded by the longest record.
//!
//! Memory: one read buffer (256 KiB, grown only to hold a record longer than that, since a
//! record is parsed in one piece) plus the caller's [`Record`].
//!
//! Strictness: text after a closing quote (`"x"y`), an unclosed quote and invalid UTF-8 are
//! errors, because silently "fixing" them changes a bookkeeper's data. Harmless variations are
//! accepted: a UTF-8 byte-order mark, `\r\n` line ends, blank lines, spaces or tabs after a
//! closing quote, a `"` inside an unquoted field (`5" pipe`), and a missing final line break.

use std::fmt;
use std::io::{ErrorKind, Read};

use memchr::memchr2;

/// The read buffer's starting size: big enough that a read system call is rare compared with
/// the parsing work, small enough to be irrelevant next to the rest of the program.
const READ_BUFFER_SIZE: usize = 256 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One record, as a reusable buffer: reading a million records reuses the same two allocations.
#[derive(Debug, Default)]
pub struct Record {
    /// The record's lines as read, with each quoted field unquoted in place: fields are not
    /// copied apart. The bytes between them (quotes, commas, blanks after a closing quote, `\r`)
    /// stay, and are all ASCII, so every field boundary is a char boundary.
    text: String,
    /// Byte range in `text` of each field.
    fields: Vec<(usize, usize)>,
    line: u64,
    end_line: u64,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Field `i` (0-based), or `None` past the last field.
    pub fn get(&self, i: usize) -> Option<&str> {
        let &(start, end) = self.fields.get(i)?;
        self.text.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Physical line (1-based) where the record starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Physical line where the record ends; later than `line()` when a quoted field holds line
    /// breaks.
    pub fn end_line(&self) -> u64 {
        self.end_line
    }
}

#[derive(Debug)]
pub struct CsvError {
    /// Physical line (1-based) the error is about: see each [`CsvErrorKind`].
    pub line: u64,
    pub kind: CsvErrorKind,
}

#[derive(Debug)]
pub enum CsvErrorKind {
    /// A field is not valid UTF-8 (`column` is the 0-based field index). `line` is where the
    /// record starts.
    NotUtf8 { column: usize },
    /// A quote opened on `line` is never closed before the end of the input.
    UnclosedQuote,
    /// Text follows the closing quote of field `column` (0-based) (`"x"y`). `line` is where that
    /// text is.
    TextAfterQuote { column: usize },
    /// Reading the input failed; the reader's position is then unspecified.
    Io(std::io::Error),
}

impl fmt::Display for CsvError {
    /// A short reason without a line prefix; field numbers are shown 1-based, as a person counts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CsvErrorKind::NotUtf8 { column } => {
                write!(
                    f,
                    "field {} is not valid UTF-8: save the file as UTF-8",
                    column + 1
                )
            }
            CsvErrorKind::UnclosedQuote => {
                write!(
                    f,
                    "a quote \" opened here is not closed before the end of the file: close it"
                )
            }
            CsvErrorKind::TextAfterQuote { column } => write!(
                f,
                "text after the closing quote of field {}: put the whole value inside the quotes \
                 (\"x y\") or remove the quotes",
                column + 1
            ),
            CsvErrorKind::Io(err) => write!(
                f,
                "cannot read the file: {}",
                crate::domain::error::io_reason(err)
            ),
        }
    }
}

impl std::error::Error for CsvError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CsvErrorKind::Io(err) => Some(err),
            _ => None,
        }
    }
}

pub struct CsvReader<R: Read> {
    inner: R,
    buffer: Vec<u8>,
    /// Unconsumed input is `buffer[pos..end]`; while a record is being parsed, it starts at `pos`.
    pos: usize,
    end: usize,
    /// Physical line (1-based) of the input parsed so far.
    line: u64,
    total_read: u64,
    bom_checked: bool,
    /// `inner` said end of input; never ask again (a terminal would wait for more).
    input_finished: bool,
    /// A second error found in the same record (an unclosed quote after text after a quote),
    /// returned by the next call so neither is lost.
    queued_error: Option<CsvError>,
}

impl<R: Read> CsvReader<R> {
    pub fn new(inner: R) -> CsvReader<R> {
        Self::with_buffer_size(inner, READ_BUFFER_SIZE)
    }

    /// Tests use tiny buffers to push records across refills and growth.
    fn with_buffer_size(inner: R, size: usize) -> CsvReader<R> {
        CsvReader {
            inner,
            // At least the length of a BOM, so it can be recognised in one buffer.
            buffer: vec![0; size.max(UTF8_BOM.len())],
            pos: 0,
            end: 0,
            line: 1,
            total_read: 0,
            bom_checked: false,
            input_finished: false,
            queued_error: None,
        }
    }

    /// The reader underneath (after the last record: what it read, it read whole).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Bytes of the input consumed so far (for a progress bar).
    pub fn bytes_read(&self) -> u64 {
        self.total_read - (self.end - self.pos) as u64
    }

    /// Read the next record into `record`; Ok(false) at the end of the input.
    /// After an Err (other than Io), the reader has skipped to the start of the next record,
    /// so the caller can go on and report further errors.
    pub fn read_record(&mut self, record: &mut Record) -> Result<bool, CsvError> {
        record.text.clear();
        record.fields.clear();
        if let Some(err) = self.queued_error.take() {
            return Err(err);
        }
        if !self.bom_checked {
            self.skip_bom()?;
        }
        let mut parse = RecordParse {
            state: ParseState::RecordStart,
            read: 0,
            field_start: 0,
            write: 0,
            quoted_end: 0,
            field_was_quoted: false,
            quote_line: self.line,
            first_error: None,
        };
        record.line = self.line;
        loop {
            match parse.advance(&mut self.buffer[self.pos..self.end], &mut self.line, record) {
                Advance::RecordEnded { len } => return self.take_record(len, record, parse.first_error),
                Advance::BlankLine { len } => {
                    self.pos += len;
                    record.line = self.line;
                }
                Advance::NeedMore => {
                    if self.read_more()? == 0 {
                        let len = self.end - self.pos;
                        let input = &mut self.buffer[self.pos..self.end];
                        let (ended, second_error) = parse.finish_at_end_of_input(input, self.line, record);
                        self.queued_error = second_error;
                        return match ended {
                            Ok(true) => self.take_record(len, record, None),
                            Ok(false) => {
                                self.pos = self.end;
                                Ok(false)
                            }
                            Err(err) => {
                                // The rest of the input belongs to this record.
                                self.pos = self.end;
                                Err(err)
                            }
                        };
                    }
                }
            }
        }
    }

    /// Consumes the record of `len` bytes at `pos` and copies its text into `record`, unless
    /// it is in error.
    fn take_record(
        &mut self,
        len: usize,
        record: &mut Record,
        first_error: Option<CsvError>,
    ) -> Result<bool, CsvError> {
        let raw = &self.buffer[self.pos..self.pos + len];
        self.pos += len;
        if let Some(err) = first_error {
            record.fields.clear();
            return Err(err);
        }
        match std::str::from_utf8(raw) {
            Ok(text) => {
                record.text.push_str(text);
                Ok(true)
            }
            Err(utf8_error) => {
                // Only field bytes can be non-ASCII, so the first bad byte is inside a field.
                let bad_byte = utf8_error.valid_up_to();
                let column = record.fields.partition_point(|&(_, end)| end <= bad_byte);
                record.fields.clear();
                Err(CsvError {
                    line: record.line,
                    kind: CsvErrorKind::NotUtf8 { column },
                })
            }
        }
    }

    fn skip_bom(&mut self) -> Result<(), CsvError> {
        while self.end - self.pos < UTF8_BOM.len() && self.read_more()? > 0 {}
        if self.buffer[self.pos..self.end].starts_with(UTF8_BOM) {
            self.pos += UTF8_BOM.len();
        }
        self.bom_checked = true;
        Ok(())
    }

    /// Reads more input after `end`, keeping `buffer[pos..end]` (the record being parsed) in one
    /// piece: when the buffer is full it is moved to the front, or if it fills the whole buffer,
    /// the buffer grows. Returns the number of bytes added; 0 means the end of the input.
    fn read_more(&mut self) -> Result<usize, CsvError> {
        if self.input_finished {
            return Ok(0);
        }
        if self.end == self.buffer.len() {
            if self.pos == 0 {
                self.buffer.resize(self.buffer.len() * 2, 0);
            } else {
                self.buffer.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            }
        }
        let free = &mut self.buffer[self.end..];
        let free_len = free.len();
        loop {
            match self.inner.read(free) {
                Ok(0) => {
                    self.input_finished = true;
                    return Ok(0);
                }
                Ok(count) => {
                    // `min` guards against a faulty `Read` claiming more than it was given.
                    let count = count.min(free_len);
                    self.end += count;
                    self.total_read += count as u64;
                    return Ok(count);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => {
                    return Err(CsvError {
                        line: self.line,
                        kind: CsvErrorKind::Io(err),
                    });
                }
            }
        }
    }
}

/// Where the parser is inside a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ParseState {
    /// Nothing of the record seen yet: end of input here means no record.
    RecordStart,
    /// Just after a `,`: end of input here means one more empty field.
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` seen inside a quoted field: either the first half of `""` or the closing quote.
    QuoteInQuoted,
    /// After the closing quote, where only blanks, `,` or a line end may follow.
    AfterClosingQuote,
    /// A `\r` after the closing quote: fine only as part of `\r\n` (or at the end of input).
    AfterClosingQuoteCr,
}

/// What [`RecordParse::advance`] got to.
enum Advance {
    /// The record is the first `len` bytes of the input, up to and including its `\n`.
    RecordEnded { len: usize },
    /// The first `len` bytes were a blank line, to be skipped; parsing starts again after it.
    BlankLine { len: usize },
    /// The input ended inside the record: the caller reads more (keeping what was parsed) and
    /// calls again.
    NeedMore,
}

/// The parser's progress through one record, kept across reads. Positions are offsets from
/// the record's first byte, so they stay right when the reader moves the record in its buffer.
struct RecordParse {
    state: ParseState,
    /// Where parsing goes on.
    read: usize,
    /// Where the current field's text starts (after its opening quote, if quoted).
    field_start: usize,
    /// In a quoted field, where the next text byte belongs: behind `read` once a `""` has been
    /// turned into one `"`.
    write: usize,
    /// After a closing quote, where the quoted field's text ends.
    quoted_end: usize,
    field_was_quoted: bool,
    /// Where the current quoted field opened, for `UnclosedQuote`.
    quote_line: u64,
    /// The first structural error of the record; parsing goes on to the record's real end so
    /// the next record starts in the right place.
    first_error: Option<CsvError>,
}

impl RecordParse {
    /// Parses on through `input`, which starts with the record, unquoting fields in place and
    /// adding their ranges to `record`. `line` is kept up to date.
    ///
    /// Nothing is copied here: the caller copies the finished record in one piece, which on
    /// short fields is much faster than a copy per field.
    fn advance(&mut self, input: &mut [u8], line: &mut u64, record: &mut Record) -> Advance {
        loop {
            match self.state {
                ParseState::RecordStart | ParseState::FieldStart => {
                    let Some(&byte) = input.get(self.read) else {
                        return Advance::NeedMore;
                    };
                    // RFC 4180: only a quote as the very first byte makes a quoted field.
                    self.field_was_quoted = byte == b'"';
                    if self.field_was_quoted {
                        self.read += 1;
                        self.quote_line = *line;
                        self.write = self.read;
                        self.state = ParseState::Quoted;
                    } else {
                        self.state = ParseState::Unquoted;
                    }
                    self.field_start = self.read;
                }
                ParseState::Unquoted => {
                    let rest = input.get(self.read..).unwrap_or_default();
                    let Some(offset) = find_either(rest, b',', b'\n') else {
                        self.read = input.len();
                        return Advance::NeedMore;
                    };
                    let stop = self.read + offset;
                    self.read = stop + 1;
                    if input[stop] == b',' {
                        record.fields.push((self.field_start, stop));
                        // Stay in this state for another unquoted field: one tight loop per
                        // unquoted line, the common case.
                        if input.get(self.read).is_some_and(|&byte| byte != b'"') {
                            self.field_start = self.read;
                            self.field_was_quoted = false;
                        } else {
                            self.state = ParseState::FieldStart;
                        }
                        continue;
                    }
                    let field_end = without_final_cr(input, self.field_start, stop);
                    if !self.field_was_quoted && record.fields.is_empty() && field_end == self.field_start {
                        // A blank line: skip it, but count it.
                        *line += 1;
                        let len = self.read;
                        self.read = 0;
                        self.state = ParseState::RecordStart;
                        return Advance::BlankLine { len };
                    }
                    record.fields.push((self.field_start, field_end));
                    return self.end_record_at_line_break(line, record);
                }
                ParseState::Quoted => {
                    let Some(stop) = self.scan_quoted_text(input) else {
                        return Advance::NeedMore;
                    };
                    if input[stop] == b'"' {
                        self.state = ParseState::QuoteInQuoted;
                    } else {
                        // A line break inside quotes is text; it was kept with the rest.
                        *line += 1;
                    }
                }
                ParseState::QuoteInQuoted => {
                    let Some(&byte) = input.get(self.read) else {
                        return Advance::NeedMore;
                    };
                    if byte == b'"' {
                        // `""` is one `"`: keep the first, drop the second.
                        input[self.write] = b'"';
                        self.write += 1;
                        self.read += 1;
                        self.state = ParseState::Quoted;
                    } else {
                        // The quote was the closing one; this byte is the first after it.
                        self.close_quoted_field(input, self.read - 1);
                    }
                }
                ParseState::AfterClosingQuote => {
                    let Some(&byte) = input.get(self.read) else {
                        return Advance::NeedMore;
                    };
                    match byte {
                        b' ' | b'\t' => self.read += 1,
                        b',' => {
                            self.read += 1;
                            record.fields.push((self.field_start, self.quoted_end));
                            self.state = ParseState::FieldStart;
                        }
                        b'\n' => {
                            self.read += 1;
                            record.fields.push((self.field_start, self.quoted_end));
                            return self.end_record_at_line_break(line, record);
                        }
                        b'\r' => {
                            self.read += 1;
                            self.state = ParseState::AfterClosingQuoteCr;
                        }
                        _ => self.note_text_after_quote(*line, record),
                    }
                }
                ParseState::AfterClosingQuoteCr => {
                    let Some(&byte) = input.get(self.read) else {
                        return Advance::NeedMore;
                    };
                    if byte == b'\n' {
                        self.read += 1;
                        record.fields.push((self.field_start, self.quoted_end));
                        return self.end_record_at_line_break(line, record);
                    }
                    self.note_text_after_quote(*line, record);
                }
            }
        }
    }

    /// Scans quoted text from `read` to the next `"` or `\n`, moving it down to `write` when
    /// `""` pairs made it shrink. Returns where that stop byte was, with `read` after it (a
    /// `\n` is text and is kept), or `None` with `read` at the end if the input ran out first.
    fn scan_quoted_text(&mut self, input: &mut [u8]) -> Option<usize> {
        if self.write == self.read {
            // The common case, no `""` so far: nothing moves.
            let rest = input.get(self.read..).unwrap_or_default();
            let Some(offset) = find_either(rest, b'"', b'\n') else {
                self.read = input.len();
                self.write = self.read;
                return None;
            };
            let stop = self.read + offset;
            self.read = stop + 1;
            self.write = if input[stop] == b'\n' { self.read } else { stop };
            return Some(stop);
        }
        while let Some(&byte) = input.get(self.read) {
            let stop = self.read;
            self.read += 1;
            if byte == b'"' {
                return Some(stop);
            }
            input[self.write] = byte;
            self.write += 1;
            if byte == b'\n' {
                return Some(stop);
            }
        }
        None
    }

    /// Ends the quoted field at its closing quote (at `closing_quote`).
    fn close_quoted_field(&mut self, input: &mut [u8], closing_quote: usize) {
        self.quoted_end = self.write;
        // Where `""` pairs shrank the text, the bytes left behind may be pieces of multi-byte
        // characters; blank them so the record stays valid UTF-8 as a whole.
        if let Some(left_behind) = input.get_mut(self.write..closing_quote) {
            left_behind.fill(b' ');
        }
        self.state = ParseState::AfterClosingQuote;
    }

    /// Records the error, then has the rest of the field read as unquoted text, so the record
    /// still ends at its real end (later fields may be quoted and hold line breaks).
    fn note_text_after_quote(&mut self, line: u64, record: &Record) {
        if self.first_error.is_none() {
            let column = record.fields.len();
            self.first_error = Some(CsvError {
                line,
                kind: CsvErrorKind::TextAfterQuote { column },
            });
        }
        self.state = ParseState::Unquoted;
    }

    /// Ends the record at the `\n` just read.
    fn end_record_at_line_break(&mut self, line: &mut u64, record: &mut Record) -> Advance {
        record.end_line = *line;
        *line += 1;
        Advance::RecordEnded { len: self.read }
    }

    /// How the record ends when the input does: Ok(true) if `input` is its last record, Ok(false)
    /// if there is none. The second value is an error to report on the next call (an unclosed
    /// quote after text after a quote in the same record).
    fn finish_at_end_of_input(
        mut self,
        input: &mut [u8],
        line: u64,
        record: &mut Record,
    ) -> (Result<bool, CsvError>, Option<CsvError>) {
        let field = match self.state {
            ParseState::RecordStart => return (Ok(false), None),
            ParseState::Quoted => {
                let unclosed = CsvError {
                    line: self.quote_line,
                    kind: CsvErrorKind::UnclosedQuote,
                };
                return match self.first_error {
                    Some(err) => (Err(err), Some(unclosed)),
                    None => (Err(unclosed), None),
                };
            }
            ParseState::FieldStart => (input.len(), input.len()),
            ParseState::Unquoted => {
                // A final `\r` is the rest of a `\r\n` whose `\n` is missing.
                let field_end = without_final_cr(input, self.field_start, input.len());
                let blank =
                    !self.field_was_quoted && record.fields.is_empty() && field_end == self.field_start;
                if blank {
                    return (Ok(false), None);
                }
                (self.field_start, field_end)
            }
            ParseState::QuoteInQuoted => {
                self.close_quoted_field(input, input.len().saturating_sub(1));
                (self.field_start, self.quoted_end)
            }
            ParseState::AfterClosingQuote | ParseState::AfterClosingQuoteCr => {
                (self.field_start, self.quoted_end)
            }
        };
        record.fields.push(field);
        record.end_line = line;
        match self.first_error {
            Some(err) => (Err(err), None),
            None => (Ok(true), None),
        }
    }
}

/// Offset of the first `first` or `second` byte in `haystack`.
///
/// Fields are mostly a few bytes long: a plain loop finds their end faster than a `memchr2`
/// call (measured: its set-up cost dominates). Only a long field is handed to `memchr2`.
fn find_either(haystack: &[u8], first: u8, second: u8) -> Option<usize> {
    const SHORT_FIELD: usize = 32;
    let (head, rest) = haystack.split_at(haystack.len().min(SHORT_FIELD));
    match head.iter().position(|&byte| byte == first || byte == second) {
        Some(offset) => Some(offset),
        None => memchr2(first, second, rest).map(|offset| head.len() + offset),
    }
}

/// The end of the unquoted field `input[start..end]` at a line end: a `\r` right before the
/// `\n` belongs to the line end, not to the field.
fn without_final_cr(input: &[u8], start: usize, end: usize) -> usize {
    if end > start && input.get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one `read_record` call gave, in a form tests can compare.
    #[derive(Debug, PartialEq, Eq, Clone)]
    enum Outcome {
        Record {
            fields: Vec<String>,
            line: u64,
            end_line: u64,
        },
        Error {
            line: u64,
            kind: String,
        },
    }

    fn record(line: u64, fields: &[&str]) -> Outcome {
        multiline_record(line, line, fields)
    }

    fn multiline_record(line: u64, end_line: u64, fields: &[&str]) -> Outcome {
        Outcome::Record {
            fields: fields.iter().map(|f| f.to_string()).collect(),
            line,
            end_line,
        }
    }

    fn error(line: u64, kind: &str) -> Outcome {
        Outcome::Error {
            line,
            kind: kind.to_string(),
        }
    }

    /// Gives at most `chunk` bytes per read, like a slow pipe.
    struct ChunkedReader<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl Read for ChunkedReader<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let count = self.chunk.min(out.len()).min(self.data.len());
            out[..count].copy_from_slice(&self.data[..count]);
            self.data = &self.data[count..];
            Ok(count)
        }
    }

    fn read_all_from<R: Read>(mut reader: CsvReader<R>, input_len: usize) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        let mut record = Record::default();
        // Every call consumes at least one byte or ends the input; more calls means a hang.
        for _ in 0..input_len + 3 {
            match reader.read_record(&mut record) {
                Ok(true) => outcomes.push(Outcome::Record {
                    fields: record.iter().map(str::to_string).collect(),
                    line: record.line(),
                    end_line: record.end_line(),
                }),
                Ok(false) => {
                    assert_eq!(
                        reader.bytes_read(),
                        input_len as u64,
                        "all input consumed at the end"
                    );
                    return outcomes;
                }
                Err(err) => {
                    let kind = match err.kind {
                        CsvErrorKind::NotUtf8 { column } => format!("NotUtf8 {column}"),
                        CsvErrorKind::UnclosedQuote => "UnclosedQuote".to_string(),
                        CsvErrorKind::TextAfterQuote { column } => format!("TextAfterQuote {column}"),
                        CsvErrorKind::Io(io) => panic!("unexpected io error {io}"),
                    };
                    outcomes.push(Outcome::Error { line: err.line, kind });
                }
            }
        }
        panic!("reader made no progress on {input_len} bytes");
    }

    /// Reads `input` whole, and checks that one byte per read and tiny buffers give the same.
    fn read_all(input: &[u8]) -> Vec<Outcome> {
        let whole = read_all_from(CsvReader::new(input), input.len());
        let one_byte_reads = read_all_from(
            CsvReader::new(ChunkedReader {
                data: input,
                chunk: 1,
            }),
            input.len(),
        );
        assert_eq!(whole, one_byte_reads, "one byte per read differs for {input:?}");
        for buffer_size in [1, 4, 5, 7, 16] {
            let small = read_all_from(
                CsvReader::with_buffer_size(
                    ChunkedReader {
                        data: input,
                        chunk: 3,
                    },
                    buffer_size,
                ),
                input.len(),
            );
            assert_eq!(whole, small, "buffer of {buffer_size} differs for {input:?}");
        }
        whole
    }

    #[test]
    fn reads_simple_records() {
        assert_eq!(
            read_all(b"a,b,c\n1,2,3\n"),
            vec![record(1, &["a", "b", "c"]), record(2, &["1", "2", "3"])]
        );
    }

    #[test]
    fn empty_input_has_no_records() {
        assert_eq!(read_all(b""), vec![]);
        assert_eq!(read_all(b"\n\n\r\n"), vec![]);
        assert_eq!(read_all(b"\xEF\xBB\xBF"), vec![]);
    }

    #[test]
    fn skips_byte_order_mark_only_at_the_start() {
        assert_eq!(
            read_all(b"\xEF\xBB\xBFid,name\n\xEF\xBB\xBFx\n"),
            vec![record(1, &["id", "name"]), record(2, &["\u{feff}x"])]
        );
        assert_eq!(read_all(b"\xEF\xBB\xBF\"id\",n\n"), vec![record(1, &["id", "n"])]);
    }

    #[test]
    fn crlf_line_ends_are_dropped_and_counted_once() {
        assert_eq!(
            read_all(b"a,b\r\nc,\r\n\"d\"\r\ne"),
            vec![
                record(1, &["a", "b"]),
                record(2, &["c", ""]),
                record(3, &["d"]),
                record(4, &["e"])
            ]
        );
    }

    #[test]
    fn blank_lines_are_skipped_but_counted() {
        assert_eq!(
            read_all(b"a\n\n\r\nb\n\n\"c\"\n\r\n\n"),
            vec![record(1, &["a"]), record(4, &["b"]), record(6, &["c"])]
        );
        assert_eq!(read_all(b"\n\nx"), vec![record(3, &["x"])]);
        assert_eq!(read_all(b"x\n\r"), vec![record(1, &["x"])]);
    }

    #[test]
    fn quoted_field_may_span_lines() {
        assert_eq!(
            read_all(b"1,\"two\nlines\r\nhere\",x\n2,y\n"),
            vec![
                multiline_record(1, 3, &["1", "two\nlines\r\nhere", "x"]),
                record(4, &["2", "y"])
            ]
        );
    }

    #[test]
    fn quoted_field_holds_commas_and_doubled_quotes() {
        assert_eq!(
            read_all(b"\"a,b\",\"say \"\"hi\"\"\",\"\"\"\",\"\"\n"),
            vec![record(1, &["a,b", "say \"hi\"", "\"", ""])]
        );
    }

    #[test]
    fn a_line_of_one_empty_quoted_field_is_a_record() {
        assert_eq!(read_all(b"\"\"\nx\n"), vec![record(1, &[""]), record(2, &["x"])]);
    }

    #[test]
    fn text_after_closing_quote_is_an_error_and_reading_goes_on() {
        assert_eq!(
            read_all(b"a,b\n1,\"x\"y,3\n2,z\n"),
            vec![
                record(1, &["a", "b"]),
                error(2, "TextAfterQuote 1"),
                record(3, &["2", "z"])
            ]
        );
        // The rest of the bad record is skipped honouring quotes, so its line breaks do not
        // start records; the error line is where the stray text is.
        assert_eq!(
            read_all(b"\"a\nb\"c,\"d\ne\"\nnext\n"),
            vec![error(2, "TextAfterQuote 0"), record(4, &["next"])]
        );
        assert_eq!(
            read_all(b"\"x\"\"\"y\n\"x\" \"\n"),
            vec![error(1, "TextAfterQuote 0"), error(2, "TextAfterQuote 0")]
        );
        assert_eq!(
            read_all(b"\"x\"\ry\nok"),
            vec![error(1, "TextAfterQuote 0"), record(2, &["ok"])]
        );
        assert_eq!(read_all(b"\"\"x\n"), vec![error(1, "TextAfterQuote 0")]);
    }

    #[test]
    fn blanks_after_closing_quote_are_ignored() {
        assert_eq!(
            read_all(b"\"x\" ,y\n\"a\"\t \r\n\"b\"  "),
            vec![record(1, &["x", "y"]), record(2, &["a"]), record(3, &["b"])]
        );
        assert_eq!(read_all(b"\"x\"\r"), vec![record(1, &["x"])]);
    }

    #[test]
    fn unclosed_quote_reports_the_line_it_opened_and_ends_the_input() {
        assert_eq!(
            read_all(b"a\nb,\"open\nmore\nlines\n"),
            vec![record(1, &["a"]), error(2, "UnclosedQuote")]
        );
        assert_eq!(read_all(b"\""), vec![error(1, "UnclosedQuote")]);
        // Both problems of one record are reported.
        assert_eq!(
            read_all(b"\"x\"y,\"open\n"),
            vec![error(1, "TextAfterQuote 0"), error(1, "UnclosedQuote")]
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_and_reading_goes_on() {
        assert_eq!(
            read_all(b"a,b\nok,caf\xE9\nx,\"caf\xE9\"\n\xFF\nlast\n"),
            vec![
                record(1, &["a", "b"]),
                error(2, "NotUtf8 1"),
                error(3, "NotUtf8 1"),
                error(4, "NotUtf8 0"),
                record(5, &["last"]),
            ]
        );
        // A multi-byte character cut by a separator is invalid in both halves.
        assert_eq!(read_all(b"\xC3,\xA9\n"), vec![error(1, "NotUtf8 0")]);
        assert_eq!(read_all(b"\"\xC3\",\"\xA9\"\n"), vec![error(1, "NotUtf8 0")]);
        assert_eq!(read_all("café,ü\n".as_bytes()), vec![record(1, &["café", "ü"])]);
    }

    #[test]
    fn last_record_needs_no_line_break() {
        assert_eq!(
            read_all(b"a,b\nc,d"),
            vec![record(1, &["a", "b"]), record(2, &["c", "d"])]
        );
        assert_eq!(read_all(b"a,"), vec![record(1, &["a", ""])]);
        assert_eq!(read_all(b"\"a\""), vec![record(1, &["a"])]);
        assert_eq!(read_all(b"a,\"\""), vec![record(1, &["a", ""])]);
        assert_eq!(read_all(b"a\r"), vec![record(1, &["a"])]);
    }

    #[test]
    fn lone_carriage_return_is_data() {
        assert_eq!(
            read_all(b"a\rb,c\n\r\r\n"),
            vec![record(1, &["a\rb", "c"]), record(2, &["\r"])]
        );
    }

    #[test]
    fn a_line_of_commas_is_a_record_of_empty_fields() {
        assert_eq!(
            read_all(b",,\n,\r\n"),
            vec![record(1, &["", "", ""]), record(2, &["", ""])]
        );
    }

    #[test]
    fn quote_inside_unquoted_field_is_literal() {
        assert_eq!(read_all(b"5\" pipe,x\n"), vec![record(1, &["5\" pipe", "x"])]);
        assert_eq!(read_all(b"a, \"b,c\"\n"), vec![record(1, &["a", " \"b", "c\""])]);
    }

    #[test]
    fn records_longer_than_the_buffer_are_read_whole() {
        let long_field = "x".repeat(100);
        let input = format!("{long_field},\"{long_field}\nq\"\nend\n");
        let expected = vec![
            multiline_record(1, 2, &[&long_field, &format!("{long_field}\nq")]),
            record(3, &["end"]),
        ];
        for size in [4, 10, 64] {
            let reader = CsvReader::with_buffer_size(input.as_bytes(), size);
            assert_eq!(read_all_from(reader, input.len()), expected);
        }
        assert_eq!(read_all(input.as_bytes()), expected);
    }

    #[test]
    fn record_accessors() {
        let mut reader = CsvReader::new(&b"a,,c\n"[..]);
        let mut record = Record::default();
        assert!(record.is_empty());
        assert!(reader.read_record(&mut record).unwrap());
        assert_eq!(record.len(), 3);
        assert!(!record.is_empty());
        assert_eq!(
            (record.get(0), record.get(1), record.get(2), record.get(3)),
            (Some("a"), Some(""), Some("c"), None)
        );
        assert_eq!(reader.bytes_read(), 5);
        assert!(!reader.read_record(&mut record).unwrap());
        assert!(record.is_empty());
    }

    #[test]
    fn error_messages() {
        let message = |kind| CsvError { line: 5, kind }.to_string();
        assert_eq!(
            message(CsvErrorKind::TextAfterQuote { column: 1 }),
            "text after the closing quote of field 2: put the whole value inside the quotes (\"x y\") or \
             remove the quotes"
        );
        assert_eq!(
            message(CsvErrorKind::UnclosedQuote),
            "a quote \" opened here is not closed before the end of the file: close it"
        );
        assert_eq!(
            message(CsvErrorKind::NotUtf8 { column: 0 }),
            "field 1 is not valid UTF-8: save the file as UTF-8"
        );
    }

    struct FailingReader {
        calls: usize,
    }

    impl Read for FailingReader {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            match self.calls {
                1 => Err(std::io::Error::from(ErrorKind::Interrupted)),
                2 => {
                    out[..4].copy_from_slice(b"a,b\n");
                    Ok(4)
                }
                _ => Err(std::io::Error::other("disk on fire")),
            }
        }
    }

    #[test]
    fn io_errors_are_returned_and_interruptions_retried() {
        let mut reader = CsvReader::new(FailingReader { calls: 0 });
        let mut record = Record::default();
        assert!(reader.read_record(&mut record).unwrap());
        assert_eq!(record.iter().collect::<Vec<_>>(), ["a", "b"]);
        let err = reader.read_record(&mut record).unwrap_err();
        assert!(matches!(err.kind, CsvErrorKind::Io(_)));
        assert_eq!(err.line, 2);
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn one_byte_reads_give_the_same_records_as_whole_reads() {
        let input: &[u8] =
            b"\xEF\xBB\xBFid,\"name\"\r\n\r\n1,\"a\"\"b\nc\" ,\xC3\xA9\r\n2,\"x\"y\n\xFF\n3,\"open";
        let whole = read_all_from(CsvReader::new(input), input.len());
        let one_byte_reads = read_all_from(
            CsvReader::new(ChunkedReader {
                data: input,
                chunk: 1,
            }),
            input.len(),
        );
        assert_eq!(whole, one_byte_reads);
        assert_eq!(
            whole,
            vec![
                record(1, &["id", "name"]),
                multiline_record(3, 4, &["1", "a\"b\nc", "é"]),
                error(5, "TextAfterQuote 1"),
                error(6, "NotUtf8 0"),
                error(7, "UnclosedQuote"),
            ]
        );
    }

    #[test]
    fn buffer_grows_only_for_a_record_longer_than_it() {
        let short_lines = "INV-1,C1,2025-03-04,,12.50,USD\n".repeat(10_000);
        let mut reader = CsvReader::with_buffer_size(short_lines.as_bytes(), 1024);
        let mut record = Record::default();
        while reader.read_record(&mut record).unwrap() {}
        assert_eq!(reader.buffer.len(), 1024);

        let long_line = format!("\"{}\"\n", "x".repeat(5000));
        let mut reader = CsvReader::with_buffer_size(long_line.as_bytes(), 1024);
        assert!(reader.read_record(&mut record).unwrap());
        assert_eq!(record.get(0).map(str::len), Some(5000));
        assert!(reader.buffer.len() >= 5000 && reader.buffer.len() <= 2 * long_line.len());
    }

    /// xorshift64*: enough randomness for generated inputs, and reproducible.
    struct TestRng(u64);

    impl TestRng {
        fn below(&mut self, bound: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
        }
    }

    /// Writes a field the way a careful CSV writer would: quoted when read back unquoted would
    /// change it.
    fn write_field(out: &mut Vec<u8>, field: &str, rng: &mut TestRng) {
        let needs_quotes = field.starts_with('"') || field.contains([',', '\n', '\r']);
        if needs_quotes || rng.below(4) == 0 {
            out.push(b'"');
            out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
            out.push(b'"');
            if rng.below(8) == 0 {
                out.extend_from_slice(b" \t");
            }
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }

    #[test]
    fn generated_valid_files_read_back_exactly() {
        // Includes pieces longer than the short-field scan, to reach the vectorised search.
        const PIECES: [&str; 12] = [
            "a",
            "7",
            " ",
            ",",
            "\"",
            "\n",
            "\r",
            "é",
            "€",
            "\r\n",
            "a long piece of text, longer than thirty-two bytes",
            "another long piece without any separator in it at all",
        ];
        let mut rng = TestRng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..10_000 {
            let mut input = Vec::new();
            let mut expected = Vec::new();
            let record_count = rng.below(5);
            for index in 0..record_count {
                while rng.below(4) == 0 {
                    input.extend_from_slice(if rng.below(2) == 0 { b"\n" } else { b"\r\n" });
                }
                let line = 1 + input.iter().filter(|&&b| b == b'\n').count() as u64;
                let field_count = 1 + rng.below(4);
                let fields: Vec<String> = (0..field_count)
                    .map(|_| {
                        (0..rng.below(5))
                            .map(|_| PIECES[rng.below(PIECES.len())])
                            .collect()
                    })
                    .collect();
                for (column, field) in fields.iter().enumerate() {
                    if column > 0 {
                        input.push(b',');
                    }
                    if field_count == 1 && field.is_empty() {
                        // Written bare, a lone empty field is a blank line.
                        input.extend_from_slice(b"\"\"");
                    } else {
                        write_field(&mut input, field, &mut rng);
                    }
                }
                let end_line = 1 + input.iter().filter(|&&b| b == b'\n').count() as u64;
                expected.push(Outcome::Record {
                    fields,
                    line,
                    end_line,
                });
                let is_last = index + 1 == record_count;
                if !is_last || rng.below(2) == 0 {
                    input.extend_from_slice(if rng.below(2) == 0 { b"\n" } else { b"\r\n" });
                }
            }
            assert_eq!(
                read_all(&input),
                expected,
                "input {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn generated_garbage_never_panics_and_always_ends() {
        const BYTES: [u8; 10] = [b'a', b',', b'"', b'\n', b'\r', b' ', b'\t', 0xFF, 0xC3, 0xA9];
        let mut rng = TestRng(42);
        for _ in 0..20_000 {
            let mut input: Vec<u8> = (0..rng.below(24))
                .map(|_| BYTES[rng.below(BYTES.len())])
                .collect();
            if rng.below(8) == 0 {
                input.splice(0..0, UTF8_BOM.iter().copied());
            }
            if rng.below(4) == 0 {
                // A run longer than the short-field scan.
                let at = rng.below(input.len() + 1);
                input.splice(at..at, [b'x'; 40]);
            }
            // `read_all` checks termination, full consumption and agreement across read sizes.
            for outcome in read_all(&input) {
                let line = match outcome {
                    Outcome::Record { line, end_line, .. } => {
                        assert!(line <= end_line);
                        end_line
                    }
                    Outcome::Error { line, .. } => line,
                };
                assert!(line >= 1 && line <= 1 + input.iter().filter(|&&b| b == b'\n').count() as u64);
            }
        }
    }

    /// The benchmark's files: 1M invoice lines of 6 fields, plain, or with a quoted client name
    /// holding a comma, or with a quoted 300-byte note.
    #[derive(Clone, Copy, Debug)]
    enum BenchFile {
        Plain,
        QuotedNames,
        LongNotes,
    }

    fn generated_invoices(rows: usize, kind: BenchFile) -> Vec<u8> {
        let note = format!("\"{}\"", "Paid in two parts, see letter. ".repeat(10));
        let mut data = Vec::with_capacity(rows * 64);
        for row in 0..rows {
            let client = row * 7919 % 100_000;
            let day = row % 28 + 1;
            let cents = row * 37 % 1_000_000;
            let fourth_field = match kind {
                BenchFile::Plain => String::new(),
                BenchFile::QuotedNames => format!("\"Smith {client}, John\""),
                BenchFile::LongNotes => note.clone(),
            };
            let line = format!(
                "INV-{row:07},C{client:06},2025-03-{day:02},{fourth_field},{}.{:02},USD\n",
                cents / 100,
                cents % 100
            );
            data.extend_from_slice(line.as_bytes());
        }
        data
    }

    fn seconds_for(run: impl Fn() -> usize) -> f64 {
        let started = std::time::Instant::now();
        assert_eq!(run(), 6_000_000, "fields read");
        started.elapsed().as_secs_f64()
    }

    /// `cargo test --release -- --ignored --nocapture compare_speed_with_csv_crate`
    ///
    /// Best of several alternating rounds, since a shared machine's timings wander.
    #[test]
    #[ignore = "benchmark: run in release mode"]
    fn compare_speed_with_csv_crate() {
        for kind in [BenchFile::Plain, BenchFile::QuotedNames, BenchFile::LongNotes] {
            let data = generated_invoices(1_000_000, kind);
            let megabytes = data.len() as f64 / 1e6;
            let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
            for _ in 0..7 {
                ours = ours.min(seconds_for(|| {
                    let mut reader = CsvReader::new(&data[..]);
                    let mut record = Record::default();
                    let mut fields = 0;
                    while reader.read_record(&mut record).unwrap() {
                        fields += record.len();
                    }
                    fields
                }));
                theirs = theirs.min(seconds_for(|| {
                    let mut reader = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .from_reader(&data[..]);
                    let mut record = csv::StringRecord::new();
                    let mut fields = 0;
                    while reader.read_record(&mut record).unwrap() {
                        fields += record.len();
                    }
                    fields
                }));
            }
            println!(
                "{kind:?}, {megabytes:.0} MB, 1M rows: csv_reader {:.0} MB/s, csv crate {:.0} MB/s",
                megabytes / ours,
                megabytes / theirs
            );
        }
    }
}
