//! Credit terms: net days and an optional early-payment discount (`2/10 net 30`).
//!
//! Owns parsing, printing and the discount arithmetic. No I/O.

use std::fmt;

use super::error::{Field, LedgerError};

/// Net days, plus an optional discount of `discount_bp` basis points (200 = 2 %) when
/// paid within `discount_days` of the issue date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub net_days: u32,
    pub discount_bp: u32,
    pub discount_days: u32,
}

/// The longest net term accepted: ten years covers every real contract.
const MAX_DAYS: u32 = 3650;

impl Terms {
    pub fn net(net_days: u32) -> Terms {
        Terms {
            net_days,
            discount_bp: 0,
            discount_days: 0,
        }
    }

    /// Parse `30`, `net 30`, `2/10 net 30`, `2/10 n30`, `1.5/10 net 45`.
    pub fn parse(text: &str) -> Result<Terms, LedgerError> {
        let bad = || LedgerError::BadTerms {
            field: Field::Terms,
            input: text.trim().to_string(),
        };
        let lower = text.trim().to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let days = |s: &str| -> Result<u32, LedgerError> {
            let s = s.strip_prefix('n').unwrap_or(s);
            let d: u32 = s.parse().map_err(|_| bad())?;
            if d > MAX_DAYS { Err(bad()) } else { Ok(d) }
        };
        let terms = match words.as_slice() {
            [n] if !n.contains('/') => Terms::net(days(n)?),
            ["net", n] => Terms::net(days(n)?),
            [disc, rest @ ..] if disc.contains('/') => {
                let net = match rest {
                    ["net", n] => days(n)?,
                    [n] => days(n)?,
                    _ => return Err(bad()),
                };
                let (pct, within) = disc.split_once('/').ok_or_else(bad)?;
                let within: u32 = within.parse().map_err(|_| bad())?;
                let bp = parse_percent_bp(pct.trim_end_matches('%')).ok_or_else(bad)?;
                if bp == 0 || bp >= 10_000 || within > net {
                    return Err(bad());
                }
                Terms {
                    net_days: net,
                    discount_bp: bp,
                    discount_days: within,
                }
            }
            _ => return Err(bad()),
        };
        Ok(terms)
    }

    pub fn has_discount(&self) -> bool {
        self.discount_bp > 0
    }
}

/// `amount * bp / 10000`, rounded half up, in i128 so it cannot overflow.
pub fn discount_minor(amount: i64, bp: u32) -> i64 {
    ((i128::from(amount) * i128::from(bp) + 5_000) / 10_000) as i64
}

/// `2` → 200, `1.5` → 150, `0.25` → 25 basis points.
fn parse_percent_bp(text: &str) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(frac)
}

impl fmt::Display for Terms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.has_discount() {
            let (w, r) = (self.discount_bp / 100, self.discount_bp % 100);
            if r == 0 {
                write!(f, "{w}/{} net {}", self.discount_days, self.net_days)
            } else {
                let frac = format!("{r:02}");
                write!(
                    f,
                    "{w}.{}/{} net {}",
                    frac.trim_end_matches('0'),
                    self.discount_days,
                    self.net_days
                )
            }
        } else {
            write!(f, "net {}", self.net_days)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_net_and_discount_terms() {
        assert_eq!(Terms::parse("30").unwrap(), Terms::net(30));
        assert_eq!(Terms::parse("Net 45").unwrap(), Terms::net(45));
        assert_eq!(
            Terms::parse("2/10 net 30").unwrap(),
            Terms {
                net_days: 30,
                discount_bp: 200,
                discount_days: 10
            }
        );
        assert_eq!(Terms::parse("1.5/10 n30").unwrap().discount_bp, 150);
        assert_eq!(Terms::parse("2%/10 net 30").unwrap().discount_bp, 200);
        assert_eq!(Terms::parse("0").unwrap(), Terms::net(0));
    }

    #[test]
    fn refuses_bad_terms() {
        for bad in [
            "",
            "-5",
            "thirty",
            "2/10",
            "2/40 net 30",
            "0/10 net 30",
            "100/10 net 30",
            "2/x net 30",
            "99999",
            "2/10 net",
            "1.234/10 net 30",
        ] {
            assert!(Terms::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prints_round_trip() {
        for t in ["net 30", "2/10 net 30", "1.5/10 net 45", "0.25/5 net 14"] {
            assert_eq!(Terms::parse(t).unwrap().to_string(), t);
        }
    }

    #[test]
    fn discount_rounds_half_up() {
        assert_eq!(discount_minor(100_000, 200), 2_000);
        assert_eq!(discount_minor(25, 200), 1); // 0.5 cent rounds up
        assert_eq!(discount_minor(24, 200), 0);
        assert_eq!(discount_minor(1_000_000_000_000, 9_999), 999_900_000_000);
    }
}
