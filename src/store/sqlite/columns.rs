//! How values are stored in SQLite columns: dates as ISO text (with a marker for
//! "not yet"), currencies as codes; parsed without chrono's general formatter on the
//! hot paths (a report reads two dates a row over hundreds of thousands of rows).

use crate::domain::entities::AllocationKind;
use crate::domain::{Currency, Date, LedgerError};

/// Stored in place of a date for "not yet" (an open invoice's `closed_on`): it sorts
/// after every real date, so "open at D" is the single range `closed_on > D`.
pub(super) const NOT_YET: &str = match std::str::from_utf8(&NOT_YET_TEXT.0) {
    Ok(text) => text,
    Err(_) => panic!("a date is ASCII"),
};
const NOT_YET_TEXT: DateText = DateText(*b"9999-12-31");

/// Columns hold codes this program wrote; a bad one means the file was edited by hand.
pub(super) fn currency_column(code: &str) -> rusqlite::Result<Currency> {
    // Rows repeat the same code: remember the last one parsed.
    thread_local!(static LAST: std::cell::Cell<Option<Currency>> = const { std::cell::Cell::new(None) });
    if let Some(c) = LAST.get().filter(|c| c.code() == code) {
        return Ok(c);
    }
    let parsed = currency_column_uncached(code)?;
    LAST.set(Some(parsed));
    Ok(parsed)
}

/// An allocation's kind, as the replay wrote it.
pub(super) fn kind_column(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<AllocationKind> {
    let text = value.as_str()?;
    AllocationKind::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown allocation kind `{text}`").into(),
        )
    })
}

fn currency_column_uncached(code: &str) -> rusqlite::Result<Currency> {
    Currency::parse(code)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// A stored `YYYY-MM-DD` date, parsed without chrono's general formatter: report
/// queries read two dates a row over hundreds of thousands of rows.
pub(super) fn date_column(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Date> {
    stored_date(value.as_str()?)
}

/// A date column that may be NULL (a void's dates).
pub(super) fn optional_date_column(value: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Option<Date>> {
    match value {
        rusqlite::types::ValueRef::Null => Ok(None),
        value => date_column(value).map(Some),
    }
}

fn stored_date(text: &str) -> rusqlite::Result<Date> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let parsed = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| Date::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?))
        .flatten();
    parsed.ok_or_else(|| {
        let e = LedgerError::BadDate {
            field: crate::domain::Field::Date,
            input: text.to_string(),
            reason: "stored date is malformed".into(),
        };
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn date_or_not_yet(text: &str) -> rusqlite::Result<Option<Date>> {
    if text == NOT_YET {
        return Ok(None);
    }
    stored_date(text).map(Some)
}

/// A date bound as `YYYY-MM-DD` text without chrono's general formatter (rusqlite's
/// own binding goes through it): a bulk load binds millions of dates.
pub(super) struct DateText([u8; 10]);

impl DateText {
    pub(super) fn new(date: Date) -> DateText {
        use chrono::Datelike;
        let mut b = *b"0000-00-00";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        // Ledger dates have four-digit years (`dates::parse_date`).
        put(0, 4, date.year().clamp(0, 9999) as u32);
        put(5, 2, date.month());
        put(8, 2, date.day());
        DateText(b)
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a date is ASCII digits and dashes")
    }

    /// A derived date column: `None` is [`NOT_YET`].
    pub(super) fn or_not_yet(date: Option<Date>) -> DateText {
        match date {
            Some(d) => DateText::new(d),
            None => NOT_YET_TEXT,
        }
    }
}

impl rusqlite::ToSql for DateText {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(&self.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_yet_sorts_after_every_date_the_ledger_holds() {
        let last = DateText::new(crate::domain::dates::end_of_time());
        assert!(NOT_YET > last.as_str(), "{NOT_YET} vs {}", last.as_str());
        assert_eq!(DateText::or_not_yet(None).as_str(), NOT_YET);
    }

    #[test]
    fn dates_bind_as_iso_text_and_read_back() {
        for text in ["0001-01-01", "2024-02-29", "2026-11-23", "9999-12-30"] {
            let date = stored_date(text).unwrap();
            assert_eq!(std::str::from_utf8(&DateText::new(date).0).unwrap(), text);
            assert_eq!(date.to_string(), text);
        }
        assert_eq!(&DateText::or_not_yet(None).0, NOT_YET.as_bytes());
    }
}
