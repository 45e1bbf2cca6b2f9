//! Days to pay (spec: Days to pay): how long clients take to settle invoices, against
//! their terms, over a window of closing dates; and DSO per currency.
//!
//! A fold over closed invoices the store streams. Figures stay exact ([`Ratio`]) until
//! printed. No SQL, no clock, no printing.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use serde::Serialize;

use super::ratio::Ratio;
use super::rows::{ClientRef, ClosedItem};
use super::spec::{DaysToPayBy, DaysToPaySpec};
use crate::domain::{Currency, Date, LedgerError, Total};

/// Integer sums behind the figures, so groups can be merged exactly.
#[derive(Debug, Clone, Default)]
struct Sums {
    count: i64,
    days: i64,
    beyond: i64,
    on_time: i64,
    /// Per currency: (currency, Σ amount, Σ amount × days) for the weighted mean.
    /// A list, not a map: there is nearly always one currency, and this is touched
    /// three times for each of hundreds of thousands of invoices.
    weighted: Vec<(Currency, i128, i128)>,
}

impl Sums {
    fn add(&mut self, item: &ClosedItem) {
        let days = (item.closed_on - item.issue_date).num_days();
        let beyond = (item.closed_on - item.due_date).num_days();
        self.count += 1;
        self.days += days;
        self.beyond += beyond;
        self.on_time += i64::from(beyond <= 0);
        let amount = i128::from(item.amount);
        match self.weighted.iter_mut().find(|w| w.0 == item.currency) {
            Some(w) => {
                w.1 += amount;
                w.2 += amount * i128::from(days);
            }
            None => self
                .weighted
                .push((item.currency, amount, amount * i128::from(days))),
        }
    }

    fn figures(&self) -> Figures {
        let n = i128::from(self.count);
        // Amounts in different currencies cannot be added, so a weighted mean exists
        // only over one currency.
        let weighted = match self.weighted.as_slice() {
            [(_, amount, amount_days)] => Ratio::new(*amount_days, *amount),
            _ => None,
        };
        Figures {
            invoices_paid: self.count,
            mean_days_to_pay: Ratio::new(i128::from(self.days), n),
            weighted_days_to_pay: weighted,
            mean_days_beyond_terms: Ratio::new(i128::from(self.beyond), n),
            paid_on_time_pct: Ratio::new(i128::from(self.on_time) * 100, n),
        }
    }
}

/// The spec's figures for one group of paid invoices.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub invoices_paid: i64,
    pub mean_days_to_pay: Option<Ratio>,
    /// Weighted by invoice amount; `null` when the group mixes currencies.
    pub weighted_days_to_pay: Option<Ratio>,
    pub mean_days_beyond_terms: Option<Ratio>,
    pub paid_on_time_pct: Option<Ratio>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overall {
    #[serde(flatten)]
    pub figures: Figures,
    /// DSO of the ledger's one currency; `null` with several (see `by_currency`).
    pub dso: Option<Ratio>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrencyFigures {
    pub currency: Currency,
    #[serde(flatten)]
    pub figures: Figures,
    /// Open receivables at as-of ÷ amount invoiced in the DSO window × its days.
    pub dso: Option<Ratio>,
    pub open: crate::domain::Money,
    pub invoiced: crate::domain::Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientFigures {
    pub client: String,
    pub name: String,
    /// The client's current net terms.
    pub term_days: u32,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM` of the closing dates.
    pub month: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum DaysToPayRows {
    Clients(Vec<ClientFigures>),
    Months(Vec<MonthFigures>),
}

#[derive(Debug, Clone, Serialize)]
pub struct DaysToPayReport {
    pub as_of: Date,
    pub window_days: u32,
    pub term_days: u32,
    pub dso_days: u32,
    pub by: DaysToPayBy,
    pub overall: Overall,
    pub by_currency: Vec<CurrencyFigures>,
    pub rows: DaysToPayRows,
}

impl DaysToPayReport {
    /// "34.2 days to pay against a 30-day term: 4.2 days late", or `None` without data.
    pub fn verdict(&self) -> Option<String> {
        let mean = self.overall.figures.mean_days_to_pay?;
        // Compare the mean as printed, so the sentence adds up: "26 days ... 4 days
        // early", never "4.01 days early" beside a mean that rounded to 26.
        let shown = Ratio::new(mean.hundredths(), 100)?;
        let diff = shown.minus(i64::from(self.term_days));
        // "1 day late", "1.5 days late".
        let days = |r: Ratio| {
            let n = r.short();
            if n == "1" {
                "1 day".to_string()
            } else {
                format!("{n} days")
            }
        };
        let tail = if diff.is_positive() {
            format!("{} late", days(diff))
        } else if diff.is_negative() {
            format!("{} early", days(diff.abs()))
        } else {
            "on term".to_string()
        };
        Some(format!(
            "{} days to pay against a {}-day term: {tail}",
            shown.short(),
            self.term_days
        ))
    }
}

/// The days-to-pay fold: feed it invoices closed in the window, then `finish` with
/// the open and invoiced amounts per currency for DSO.
pub struct DaysToPayFold<'a> {
    spec: &'a DaysToPaySpec,
    window_start: Date,
    overall: Sums,
    per_currency: BTreeMap<Currency, Sums>,
    per_client: HashMap<i64, Sums>,
    per_month: BTreeMap<(i32, u32), Sums>,
}

impl<'a> DaysToPayFold<'a> {
    pub fn new(spec: &'a DaysToPaySpec) -> DaysToPayFold<'a> {
        DaysToPayFold {
            window_start: spec.as_of - chrono::Duration::days(i64::from(spec.window_days)),
            spec,
            overall: Sums::default(),
            per_currency: BTreeMap::new(),
            per_client: HashMap::new(),
            per_month: BTreeMap::new(),
        }
    }

    /// The window `(as_of - window_days, as_of]` of closing dates, as (after, until].
    pub fn window(&self) -> (Date, Date) {
        (self.window_start, self.spec.as_of)
    }

    pub fn add_closed(&mut self, item: ClosedItem) {
        if item.closed_on <= self.window_start || item.closed_on > self.spec.as_of {
            return;
        }
        self.overall.add(&item);
        self.per_currency.entry(item.currency).or_default().add(&item);
        match self.spec.by {
            DaysToPayBy::Client => self.per_client.entry(item.client_id).or_default().add(&item),
            DaysToPayBy::Month => self
                .per_month
                .entry((item.closed_on.year(), item.closed_on.month()))
                .or_default()
                .add(&item),
        }
    }

    /// `open` and `invoiced`: per currency, receivables open at as-of and the amount
    /// invoiced in `(as_of - dso_days, as_of]`.
    /// Refused (never wrapped) when an amount to show is larger than an amount can be.
    pub fn finish(
        self,
        clients: &[ClientRef],
        open: &BTreeMap<Currency, Total>,
        invoiced: &BTreeMap<Currency, Total>,
    ) -> Result<DaysToPayReport, LedgerError> {
        let mut currencies: BTreeMap<Currency, CurrencyFigures> = BTreeMap::new();
        let all: std::collections::BTreeSet<Currency> = open
            .keys()
            .chain(invoiced.keys())
            .chain(self.per_currency.keys())
            .copied()
            .collect();
        for c in all {
            let open = open.get(&c).copied().unwrap_or_default();
            let invoiced = invoiced.get(&c).copied().unwrap_or_default();
            currencies.insert(
                c,
                CurrencyFigures {
                    currency: c,
                    figures: self
                        .per_currency
                        .get(&c)
                        .map_or_else(|| Sums::default().figures(), Sums::figures),
                    dso: Ratio::new(open.minor() * i128::from(self.spec.dso_days), invoiced.minor()),
                    open: open.to_money(c, "open balances")?,
                    invoiced: invoiced.to_money(c, "amounts invoiced")?,
                },
            );
        }
        let by_client: HashMap<i64, &ClientRef> = clients.iter().map(|c| (c.id, c)).collect();
        let rows = match self.spec.by {
            DaysToPayBy::Client => {
                let mut rows: Vec<ClientFigures> = self
                    .per_client
                    .iter()
                    .map(|(id, sums)| {
                        let c = by_client.get(id);
                        ClientFigures {
                            client: c.map_or_else(|| format!("#{id}"), |c| c.code.clone()),
                            name: c.map_or_else(String::new, |c| c.name.clone()),
                            term_days: c.map_or(0, |c| c.terms_days),
                            figures: sums.figures(),
                        }
                    })
                    .collect();
                rows.sort_by_key(|r| r.client.to_lowercase());
                DaysToPayRows::Clients(rows)
            }
            DaysToPayBy::Month => DaysToPayRows::Months(
                self.per_month
                    .iter()
                    .map(|(&(y, m), sums)| MonthFigures {
                        month: format!("{y:04}-{m:02}"),
                        figures: sums.figures(),
                    })
                    .collect(),
            ),
        };
        let single_dso = if currencies.len() == 1 {
            currencies.values().next().and_then(|c| c.dso)
        } else {
            None
        };
        Ok(DaysToPayReport {
            as_of: self.spec.as_of,
            window_days: self.spec.window_days,
            term_days: self.spec.term_days,
            dso_days: self.spec.dso_days,
            by: self.spec.by,
            overall: Overall {
                figures: self.overall.figures(),
                dso: single_dso,
            },
            by_currency: currencies.into_values().collect(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_date;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn closed(issue: &str, closed_on: &str, amount: i64) -> ClosedItem {
        ClosedItem {
            client_id: 1,
            currency: Currency::parse("USD").unwrap(),
            issue_date: d(issue),
            due_date: d(issue) + chrono::Duration::days(30),
            closed_on: d(closed_on),
            amount,
        }
    }

    fn report(items: Vec<ClosedItem>) -> DaysToPayReport {
        let spec = DaysToPaySpec {
            as_of: d("2026-11-23"),
            window_days: 365,
            dso_days: 90,
            term_days: 30,
            by: DaysToPayBy::Client,
        };
        let mut fold = DaysToPayFold::new(&spec);
        items.into_iter().for_each(|i| fold.add_closed(i));
        fold.finish(&[], &BTreeMap::new(), &BTreeMap::new()).unwrap()
    }

    #[test]
    fn verdict_adds_up_with_the_rounded_mean() {
        // 199 invoices paid in 26 days and one in 25: the mean 25.995 prints as 26,
        // so the sentence must say 4 days early, not 4.01.
        let mut items = vec![closed("2026-01-01", "2026-01-26", 100)];
        for _ in 0..199 {
            items.push(closed("2026-01-01", "2026-01-27", 100));
        }
        let r = report(items);
        assert_eq!(r.overall.figures.mean_days_to_pay.unwrap().fixed2(), "26.00");
        assert_eq!(
            r.verdict().unwrap(),
            "26 days to pay against a 30-day term: 4 days early"
        );
        let r = report(vec![closed("2026-01-01", "2026-02-04", 100)]);
        assert_eq!(
            r.verdict().unwrap(),
            "34 days to pay against a 30-day term: 4 days late"
        );
        let r = report(vec![closed("2026-01-01", "2026-02-01", 100)]);
        assert_eq!(
            r.verdict().unwrap(),
            "31 days to pay against a 30-day term: 1 day late"
        );
    }
}
