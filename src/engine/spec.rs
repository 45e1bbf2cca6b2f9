//! Resolved report specifications: every choice made, "today" included. Engines see
//! only these, never command-line values or a clock.

use serde::Serialize;

use crate::domain::{Date, LedgerError};

/// What an invoice's age is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Days past the due date (spec default).
    Due,
    /// Days since the issue date.
    Issue,
}

/// Bucket boundaries in days, strictly increasing and positive: `30,60,90` gives
/// `current`, `1-30`, `31-60`, `61-90`, `90+` on the due-date basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    bounds: Vec<u32>,
}

impl Default for Buckets {
    fn default() -> Buckets {
        Buckets {
            bounds: vec![30, 60, 90],
        }
    }
}

impl Buckets {
    pub fn parse(text: &str) -> Result<Buckets, LedgerError> {
        let bad = |why: &str| {
            // clap names the flag and the value; this says what is wrong and the fix.
            LedgerError::BadValue {
                what: "--buckets".into(),
                input: text.to_string(),
                reason: format!("{why}; write increasing day counts like 30,60,90"),
            }
        };
        let mut bounds = Vec::new();
        for part in text.split(',') {
            let n: u32 = part
                .trim()
                .parse()
                .map_err(|_| bad(&format!("`{}` is not a whole number of days", part.trim())))?;
            if n == 0 || n > 36_500 {
                return Err(bad("boundaries must be between 1 and 36500"));
            }
            if bounds.last().is_some_and(|&last| n <= last) {
                return Err(bad("boundaries must increase"));
            }
            bounds.push(n);
        }
        if bounds.len() > 12 {
            return Err(bad("at most 12 boundaries"));
        }
        Ok(Buckets { bounds })
    }

    /// Labels, in order. Due basis: `current`, `1-30`, …, `90+`; issue basis (an age is
    /// never negative there): `0-30`, `31-60`, …, `90+`.
    pub fn labels(&self, basis: Basis) -> Vec<String> {
        let mut labels = Vec::with_capacity(self.bounds.len() + 2);
        let mut low = match basis {
            Basis::Due => {
                labels.push("current".to_string());
                1
            }
            Basis::Issue => 0,
        };
        for &b in &self.bounds {
            labels.push(format!("{low}-{b}"));
            low = b + 1;
        }
        labels.push(format!("{}+", self.bounds.last().copied().unwrap_or(0)));
        labels
    }

    /// Index of the bucket that `days` falls in, matching [`Buckets::labels`].
    pub fn index(&self, days: i64, basis: Basis) -> usize {
        let offset = match basis {
            Basis::Due if days <= 0 => return 0,
            Basis::Due => 1,
            Basis::Issue => 0,
        };
        offset + self.bounds.iter().take_while(|&&b| days > i64::from(b)).count()
    }
}

#[derive(Debug, Clone)]
pub struct AgingSpec {
    pub as_of: Date,
    pub basis: Basis,
    pub buckets: Buckets,
    /// One row per invoice instead of per client.
    pub by_invoice: bool,
    /// Keep only invoices aged more than this many days.
    pub min_days: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DaysToPayBy {
    Client,
    Month,
}

#[derive(Debug, Clone)]
pub struct DaysToPaySpec {
    pub as_of: Date,
    pub window_days: u32,
    pub dso_days: u32,
    /// The ledger's standard term, the figure the report compares against.
    pub term_days: u32,
    pub by: DaysToPayBy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_boundaries() {
        let b = Buckets::parse("15,30,60,90,120").unwrap();
        assert_eq!(
            b.labels(Basis::Due),
            ["current", "1-15", "16-30", "31-60", "61-90", "91-120", "120+"]
        );
        assert_eq!(
            Buckets::default().labels(Basis::Issue),
            ["0-30", "31-60", "61-90", "90+"]
        );
    }

    #[test]
    fn edges_fall_in_the_right_bucket() {
        let b = Buckets::default();
        let due = |d| b.labels(Basis::Due)[b.index(d, Basis::Due)].clone();
        for (days, label) in [
            (-5, "current"),
            (0, "current"),
            (1, "1-30"),
            (30, "1-30"),
            (31, "31-60"),
            (60, "31-60"),
            (61, "61-90"),
            (90, "61-90"),
            (91, "90+"),
        ] {
            assert_eq!(due(days), label, "{days}");
        }
        let issue = |d| b.labels(Basis::Issue)[b.index(d, Basis::Issue)].clone();
        assert_eq!(issue(0), "0-30");
        assert_eq!(issue(30), "0-30");
        assert_eq!(issue(31), "31-60");
        assert_eq!(issue(91), "90+");
    }

    #[test]
    fn refuses_bad_boundaries() {
        for bad in ["", "30,30", "60,30", "0,30", "a,b", "30,,60", "-1"] {
            assert!(Buckets::parse(bad).is_err(), "{bad:?}");
        }
    }
}
