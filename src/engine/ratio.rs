//! Exact ratios for day figures (means, percentages, DSO): computed from integer sums,
//! rounded to 2 decimals only when printed (spec: Days to pay).

use std::fmt;

use serde::{Serialize, Serializer};

/// `num / den`, kept exact. Serializes as a JSON number with 2 decimals, or `null`
/// when there is nothing to divide by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    num: i128,
    den: i128,
}

impl Ratio {
    pub fn new(num: i128, den: i128) -> Option<Ratio> {
        (den != 0).then_some(Ratio { num, den })
    }

    /// Hundredths, rounded half away from zero.
    pub fn hundredths(&self) -> i128 {
        let (num, den) = if self.den < 0 {
            (-self.num, -self.den)
        } else {
            (self.num, self.den)
        };
        let scaled = num * 100;
        let half = den / 2;
        if scaled >= 0 {
            (scaled + half) / den
        } else {
            -((-scaled + half) / den)
        }
    }

    /// `34.20`
    pub fn fixed2(&self) -> String {
        let h = self.hundredths();
        let sign = if h < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", h.abs() / 100, h.abs() % 100)
    }

    /// `34.2`, `30`: 2 decimals without trailing zeros, for sentences.
    pub fn short(&self) -> String {
        let s = self.fixed2();
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }

    pub fn minus(&self, whole: i64) -> Ratio {
        Ratio {
            num: self.num - i128::from(whole) * self.den,
            den: self.den,
        }
    }

    pub fn is_positive(&self) -> bool {
        self.hundredths() > 0
    }

    pub fn is_negative(&self) -> bool {
        self.hundredths() < 0
    }

    pub fn abs(&self) -> Ratio {
        Ratio {
            num: self.num.abs(),
            den: self.den.abs(),
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fixed2())
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw =
            serde_json::value::RawValue::from_string(self.fixed2()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Ratio::new(1, 3).unwrap().fixed2(), "0.33");
        assert_eq!(Ratio::new(2, 3).unwrap().fixed2(), "0.67");
        assert_eq!(Ratio::new(1, 200).unwrap().fixed2(), "0.01");
        assert_eq!(Ratio::new(-1, 200).unwrap().fixed2(), "-0.01");
        assert_eq!(Ratio::new(-7, 2).unwrap().fixed2(), "-3.50");
        assert_eq!(Ratio::new(342, 10).unwrap().short(), "34.2");
        assert_eq!(Ratio::new(30, 1).unwrap().short(), "30");
        assert!(Ratio::new(1, 0).is_none());
    }
}
