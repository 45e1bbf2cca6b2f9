//! Calendar dates as the spec uses them: ISO `YYYY-MM-DD`, day counts in calendar days.
//!
//! No clock here: "today" is resolved by the CLI layer and passed in.

use chrono::NaiveDate;

use super::error::{Field, LedgerError};

pub type Date = NaiveDate;

/// Parse an ISO `YYYY-MM-DD` date, refusing anything else with a message that says how.
pub fn parse_date(text: &str) -> Result<Date, LedgerError> {
    let input = text.trim();
    let bad = |reason: &str| LedgerError::BadDate {
        field: Field::Date,
        input: input.to_string(),
        reason: reason.to_string(),
    };
    let b = input.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) || !digits(5..7) || !digits(8..10) {
        return Err(bad("write dates as YYYY-MM-DD, like 2026-11-23"));
    }
    // Digits checked above; chrono's general parser is slow for a million-row import.
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'));
    let date = NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))
        .ok_or_else(|| bad("no such day in the calendar"))?;
    in_range(date)
}

/// Dates the ledger can hold: up to 9999-12-30 (the store marks "not yet" with
/// 9999-12-31, and ISO text has four year digits).
pub fn in_range(date: Date) -> Result<Date, LedgerError> {
    if date > end_of_time() {
        return Err(LedgerError::BadDate {
            field: Field::Date,
            input: date.to_string(),
            reason: "dates must be on or before 9999-12-30".into(),
        });
    }
    Ok(date)
}

/// `date` plus `days` calendar days, or an error when that leaves the dates the
/// ledger can hold.
pub fn add_days(date: Date, days: i64) -> Result<Date, LedgerError> {
    let sum = date
        .checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(|| LedgerError::BadDate {
            field: Field::Date,
            input: date.to_string(),
            reason: format!("adding {days} days leaves the calendar"),
        })?;
    in_range(sum)
}

/// A date later than any entry: "as of now, with every entry counted". It sorts before
/// the store's "not yet" marker (9999-12-31), so invoices open now are open at it.
pub fn end_of_time() -> Date {
    NaiveDate::from_ymd_opt(9999, 12, 30).expect("valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_dates_only() {
        assert_eq!(parse_date("2026-02-28").unwrap().to_string(), "2026-02-28");
        assert_eq!(parse_date(" 2028-02-29 ").unwrap().to_string(), "2028-02-29");
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "+999-01-01",
            "9999-12-31",
            "2026-1a-01",
            "2026-1-1",
            "26-01-01",
            "01/02/2026",
            "",
            "2026-00-10",
            "yesterday",
            "2026-01-01T00:00",
        ] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn counts_calendar_days() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!((d("2026-03-01") - d("2026-01-31")).num_days(), 29);
        assert_eq!(add_days(d("2026-12-15"), 30).unwrap(), d("2027-01-14"));
    }
}
