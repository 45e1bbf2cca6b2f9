//! Exact money: integer minor units tagged with an ISO 4217 currency.
//!
//! Owns parsing of user-typed amounts and printing them back. Never uses floating
//! point (spec: Money). Must not do I/O.

use std::fmt;

use serde::{Serialize, Serializer};

use super::error::{Field, LedgerError};

/// An ISO 4217 currency the ledger knows, with its number of minor-unit digits: an
/// index into [`CURRENCIES`], one byte (a million-row bulk load holds one per row).
/// The table is in code order, so currencies order by code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(u8);

/// ISO 4217's list of current currency codes with their minor-unit digits (funds codes
/// such as BOV and CLF included; precious metals, SDRs and the testing and "no
/// currency" codes, which have no minor unit, left out). Codes not listed are refused
/// rather than guessed: a wrong digit count would scale every amount by ten. Codes
/// withdrawn recently (BGN, HRK's successor EUR aside) stay, so a ledger that holds
/// them can still be read.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2), ("BHD", 3), ("BIF", 0),
    ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2),
    ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHE", 2), ("CHF", 2), ("CHW", 2), ("CLF", 4),
    ("CLP", 0), ("CNY", 2), ("COP", 2), ("COU", 2), ("CRC", 2), ("CUC", 2), ("CUP", 2), ("CVE", 2),
    ("CZK", 2), ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2),
    ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2),
    ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2),
    ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3), ("JPY", 0),
    ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2),
    ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2),
    ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2),
    ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2),
    ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2),
    ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2),
    ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2), ("SHP", 2),
    ("SLE", 2), ("SLL", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2),
    ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2),
    ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("USN", 2), ("UYI", 0), ("UYU", 2),
    ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0),
    ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
    ("ZWL", 2),
];

impl Currency {
    /// Parse a currency code, case-insensitively.
    pub fn parse(text: &str) -> Result<Currency, LedgerError> {
        let text = text.trim();
        // The table is sorted by code: a binary search on the upper-cased code (an
        // import parses one per row).
        let mut key = [0u8; 3];
        if text.len() == key.len() {
            key.copy_from_slice(text.as_bytes());
            key.make_ascii_uppercase();
        }
        CURRENCIES
            .binary_search_by(|(code, _)| code.as_bytes().cmp(&key[..]))
            .map(|i| Currency(i as u8))
            .map_err(|_| LedgerError::UnknownCurrency {
                field: Field::Currency,
                code: text.to_string(),
            })
    }

    pub fn code(&self) -> &'static str {
        CURRENCIES[usize::from(self.0)].0
    }

    /// Number of digits after the decimal point (USD 2, JPY 0, KWD 3).
    pub fn digits(&self) -> u8 {
        CURRENCIES[usize::from(self.0)].1
    }

    fn scale(&self) -> i64 {
        10i64.pow(u32::from(self.digits()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The largest amount one entry may carry, in minor units (9,999,999,999,999.99 USD).
/// Far above any real invoice, and low enough that the sums reports fold (every
/// invoice of a client or of the ledger in one currency) stay far inside `i64`:
/// without it two near-`i64::MAX` invoices overflowed `ar client list` and `ar aging`.
pub const MAX_MINOR: i64 = 999_999_999_999_999;

/// An exact amount: `minor` units of `currency` (cents for USD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Parse a strictly positive amount as a user types it: `1234.56`, `1,234.56`,
    /// `1234`, `1234.5`. Refuses signs, letters, misplaced separators, more decimals
    /// than the currency has, zero, and values that overflow.
    pub fn parse_positive(text: &str, currency: Currency) -> Result<Money, LedgerError> {
        if text.trim().starts_with('-') {
            return Err(LedgerError::BadAmount {
                field: Field::Amount,
                input: text.trim().to_string(),
                reason: "the amount must be positive".into(),
            });
        }
        let money = Money::parse(text, currency)?;
        if money.minor == 0 {
            return Err(LedgerError::BadAmount {
                field: Field::Amount,
                input: text.trim().to_string(),
                reason: "the amount must be greater than zero".into(),
            });
        }
        Ok(money)
    }

    /// Parse a non-negative amount (zero allowed), same syntax as [`Money::parse_positive`].
    pub fn parse(text: &str, currency: Currency) -> Result<Money, LedgerError> {
        let input = text.trim();
        let bad = |reason: &str| LedgerError::BadAmount {
            field: Field::Amount,
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if input.is_empty() {
            return Err(bad("the amount is empty; write it like 1234.56"));
        }
        if input.starts_with('-') {
            return Err(bad("it must not be negative"));
        }
        let (whole, frac) = match input.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (input, None),
        };
        let whole_digits = parse_grouped_integer(whole).ok_or_else(|| {
            bad("write digits with an optional decimal point and thousands commas, like 1,234.56")
        })?;
        let frac = frac.unwrap_or("");
        if input.contains('.') && frac.is_empty() {
            return Err(bad("digits are missing after the decimal point"));
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "write digits with an optional decimal point and thousands commas, like 1,234.56",
            ));
        }
        let digits = usize::from(currency.digits());
        if frac.len() > digits {
            return Err(bad(&format!(
                "{} allows {} decimal place{}",
                currency.code(),
                digits,
                if digits == 1 { "" } else { "s" }
            )));
        }
        let overflow = || {
            bad(&format!(
                "the amount is too large: at most {} {}",
                format_minor(MAX_MINOR, currency.digits(), true),
                currency.code()
            ))
        };
        let whole: i64 = whole_digits.parse().map_err(|_| overflow())?;
        let mut frac_minor: i64 = 0;
        for (i, b) in frac.bytes().enumerate() {
            frac_minor += i64::from(b - b'0') * 10i64.pow((digits - i - 1) as u32);
        }
        let minor = whole
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(frac_minor))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(overflow)?;
        Ok(Money { minor, currency })
    }

    /// Plain decimal, no grouping: `1234.50`, `-3.00`, `1200` (JPY). The form used in
    /// JSON and CSV.
    pub fn plain(&self) -> String {
        format_minor(self.minor, self.currency.digits(), false)
    }

    /// Decimal with thousands separators: `1,234.50`. The form used in tables.
    pub fn grouped(&self) -> String {
        format_minor(self.minor, self.currency.digits(), true)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.grouped(), self.currency.code())
    }
}

/// Amounts serialize as exact JSON numbers written from minor units (`1234.50`), never
/// through `f64` (spec: output contract).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw =
            serde_json::value::RawValue::from_string(self.plain()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// A running total of minor units, wide enough that no ledger can overflow it (an
/// `i64` of cents overflows at 92 quadrillion: 9,300 invoices of the largest amount).
/// Turned back into [`Money`] only to be shown, and refused if it no longer fits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Total(i128);

impl Total {
    pub fn add(&mut self, minor: i64) {
        self.0 += i128::from(minor);
    }

    pub fn add_total(&mut self, other: Total) {
        self.0 += other.0;
    }

    pub fn sub_total(&mut self, other: Total) {
        self.0 -= other.0;
    }

    pub fn minor(&self) -> i128 {
        self.0
    }

    /// The total as an amount of `currency`; `what` names it in the refusal when it
    /// is too large to show ("open balances").
    pub fn to_money(self, currency: Currency, what: &str) -> Result<Money, LedgerError> {
        i64::try_from(self.0)
            .map(|minor| Money::new(minor, currency))
            .map_err(|_| LedgerError::Overflow {
                what: what.to_string(),
                currency: currency.code().to_string(),
            })
    }
}

/// Digits with optional thousands commas in groups of three (`1,234,567`).
fn parse_grouped_integer(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let groups: Vec<&str> = text.split(',').collect();
    for (i, g) in groups.iter().enumerate() {
        let ok_len = if i == 0 {
            !g.is_empty() && (groups.len() == 1 || g.len() <= 3)
        } else {
            g.len() == 3
        };
        if !ok_len || !g.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some(groups.concat())
}

/// Format minor units as a decimal string with `digits` decimals.
pub fn format_minor(minor: i64, digits: u8, grouped: bool) -> String {
    let negative = minor < 0;
    let abs = minor.unsigned_abs();
    let scale = 10u64.pow(u32::from(digits));
    let whole = (abs / scale).to_string();
    let whole = if grouped { group_thousands(&whole) } else { whole };
    let mut out = String::with_capacity(whole.len() + 6);
    if negative {
        out.push('-');
    }
    out.push_str(&whole);
    if digits > 0 {
        out.push('.');
        out.push_str(&format!("{:0width$}", abs % scale, width = usize::from(digits)));
    }
    out
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn currencies_order_by_code() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CURRENCIES.len() <= usize::from(u8::MAX));
        assert!(Currency::parse("EUR").unwrap() < usd());
        assert_eq!((usd().code(), usd().digits()), ("USD", 2));
        for (i, (code, _)) in CURRENCIES.iter().enumerate() {
            assert_eq!(Currency::parse(&code.to_lowercase()).unwrap().0, i as u8);
        }
        assert_eq!(Currency::parse(" usd ").unwrap(), usd());
        for unknown in ["", "US", "USDX", "XXX", "AAA", "ZZZ", "ÜSD", "U\0D"] {
            assert!(Currency::parse(unknown).is_err(), "{unknown}");
        }
    }

    #[test]
    fn accepts_the_spec_forms() {
        for (text, minor) in [
            ("1234.56", 123456),
            ("1,234.56", 123456),
            ("1234", 123400),
            ("1234.5", 123450),
            ("0.01", 1),
            ("1,000,000", 100000000),
        ] {
            assert_eq!(Money::parse_positive(text, usd()).unwrap().minor, minor, "{text}");
        }
    }

    #[test]
    fn follows_currency_digits() {
        let jpy = Currency::parse("jpy").unwrap();
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::parse_positive("1,200", jpy).unwrap().minor, 1200);
        assert!(Money::parse_positive("1200.5", jpy).is_err());
        assert_eq!(Money::parse_positive("1.234", kwd).unwrap().minor, 1234);
        assert_eq!(Money::parse_positive("1.2", kwd).unwrap().minor, 1200);
        assert!(Money::parse_positive("1.2345", kwd).is_err());
        assert_eq!(Money::new(1234, kwd).plain(), "1.234");
        assert_eq!(Money::new(1200, jpy).grouped(), "1,200");
    }

    #[test]
    fn rejects_bad_amounts() {
        for text in [
            "",
            "  ",
            "-5",
            "0",
            "0.00",
            "abc",
            "12a",
            "1.234",
            "1,23.00",
            "12,3456",
            ",123",
            "1.",
            ".5",
            "+5",
            "1 000",
            "99999999999999999999",
            "92233720368547758.08",
        ] {
            assert!(
                Money::parse_positive(text, usd()).is_err(),
                "{text:?} should be refused"
            );
        }
    }

    #[test]
    fn caps_amounts_so_sums_cannot_overflow() {
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            Money::parse_positive("9,999,999,999,999.99", usd())
                .unwrap()
                .minor,
            MAX_MINOR
        );
        let err = Money::parse_positive("10,000,000,000,000", usd()).unwrap_err();
        assert!(
            err.to_string().contains("at most 9,999,999,999,999.99 USD"),
            "{err}"
        );
        assert!(Money::parse_positive("999999999999999", jpy).is_ok());
        assert!(Money::parse_positive("1000000000000000", jpy).is_err());
    }

    #[test]
    fn prints_exactly() {
        assert_eq!(Money::new(123450, usd()).plain(), "1234.50");
        assert_eq!(Money::new(-5, usd()).plain(), "-0.05");
        assert_eq!(Money::new(123456789, usd()).grouped(), "1,234,567.89");
        assert_eq!(
            serde_json::to_string(&Money::new(123450, usd())).unwrap(),
            "1234.50"
        );
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("").is_err());
    }
}
