//! The aging report (spec: Aging): open balances by client, currency and age bucket
//! at an as-of date, with unapplied credit and totals per currency.
//!
//! A fold over rows the store streams: memory grows with clients (or, per invoice,
//! with the invoices listed), never with the ledger. No SQL, no clock, no printing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::rows::{ClientRef, CreditItem, OpenItem};
use super::spec::{AgingSpec, Basis};
use crate::domain::{Currency, Date, LedgerError, Money, Total};

#[derive(Debug, Clone, Serialize)]
pub struct AgingReport {
    pub as_of: Date,
    pub basis: Basis,
    /// Bucket labels in order: also the amount keys of every row and total.
    pub buckets: Arc<Vec<String>>,
    /// Per client and currency, or per invoice with `by_invoice`.
    pub rows: AgingRows,
    pub totals: Vec<AgingAmounts>,
    /// The most days past due of any listed invoice, whatever the basis (for
    /// `--fail-if-over`, which alerts on lateness).
    #[serde(skip)]
    pub max_days_overdue: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum AgingRows {
    Clients(Vec<AgingClientRow>),
    Invoices(Vec<AgingInvoiceRow>),
}

/// Bucket amounts with their total, unapplied credit and net, in one currency.
#[derive(Debug, Clone)]
pub struct AgingAmounts {
    pub currency: Currency,
    pub labels: Arc<Vec<String>>,
    pub buckets: Vec<Money>,
    pub total: Money,
    pub unapplied: Money,
    /// `total` − `unapplied`: what is owed after the credit held.
    pub net: Money,
}

#[derive(Debug, Clone)]
pub struct AgingClientRow {
    pub client: String,
    pub name: String,
    pub amounts: AgingAmounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgingInvoiceRow {
    pub number: String,
    pub client: String,
    pub name: String,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub days_overdue: i64,
    pub open: Money,
    pub bucket: String,
}

/// Bucket sums of one row while the fold runs: wide, so that no ledger overflows
/// them; turned into [`AgingAmounts`] (or refused) at the end.
#[derive(Debug, Clone)]
struct Sums {
    currency: Currency,
    buckets: Vec<Total>,
    total: Total,
    unapplied: Total,
}

impl Sums {
    fn new(currency: Currency, buckets: usize) -> Sums {
        Sums {
            currency,
            buckets: vec![Total::default(); buckets],
            total: Total::default(),
            unapplied: Total::default(),
        }
    }

    fn add(&mut self, other: &Sums) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            a.add_total(*b);
        }
        self.total.add_total(other.total);
        self.unapplied.add_total(other.unapplied);
    }

    fn amounts(&self, labels: &Arc<Vec<String>>) -> Result<AgingAmounts, LedgerError> {
        let c = self.currency;
        Ok(AgingAmounts {
            currency: c,
            labels: labels.clone(),
            buckets: self
                .buckets
                .iter()
                .map(|b| b.to_money(c, "aged balances"))
                .collect::<Result<_, _>>()?,
            total: self.total.to_money(c, "open balances")?,
            unapplied: self.unapplied.to_money(c, "unapplied credits")?,
            net: {
                let mut net = self.total;
                net.sub_total(self.unapplied);
                net.to_money(c, "net balances")?
            },
        })
    }
}

impl AgingAmounts {
    fn serialize_into<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        for (label, amount) in self.labels.iter().zip(&self.buckets) {
            map.serialize_entry(label, amount)?;
        }
        map.serialize_entry("total", &self.total)?;
        map.serialize_entry("unapplied", &self.unapplied)?;
        map.serialize_entry("net", &self.net)
    }
}

impl Serialize for AgingAmounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("currency", &self.currency)?;
        self.serialize_into(&mut map)?;
        map.end()
    }
}

impl Serialize for AgingClientRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("client", &self.client)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("currency", &self.amounts.currency)?;
        self.amounts.serialize_into(&mut map)?;
        map.end()
    }
}

/// The aging fold: feed it open items and credits, then `finish`.
pub struct AgingFold<'a> {
    spec: &'a AgingSpec,
    labels: Arc<Vec<String>>,
    clients: HashMap<i64, &'a ClientRef>,
    per_client: HashMap<(i64, Currency), Sums>,
    invoices: Vec<AgingInvoiceRow>,
    max_days_overdue: Option<i64>,
}

impl<'a> AgingFold<'a> {
    pub fn new(spec: &'a AgingSpec, clients: &'a [ClientRef]) -> AgingFold<'a> {
        AgingFold {
            labels: Arc::new(spec.buckets.labels(spec.basis)),
            clients: clients.iter().map(|c| (c.id, c)).collect(),
            per_client: HashMap::new(),
            invoices: Vec::new(),
            max_days_overdue: None,
            spec,
        }
    }

    /// Age of an item in days on the spec's basis.
    fn age(&self, item: &OpenItem) -> i64 {
        let from = match self.spec.basis {
            Basis::Due => item.due_date,
            Basis::Issue => item.issue_date,
        };
        (self.spec.as_of - from).num_days()
    }

    pub fn add_open(&mut self, item: OpenItem) {
        // spec: only invoices issued on or before as-of with a positive balance count.
        if item.open <= 0 || item.issue_date > self.spec.as_of {
            return;
        }
        let days = self.age(&item);
        if self.spec.min_days.is_some_and(|min| days <= min) {
            return;
        }
        // spec: days_overdue = as_of - due_date, on either basis (the basis only
        // decides the bucket and what --min-days compares).
        let overdue = (self.spec.as_of - item.due_date).num_days();
        self.max_days_overdue = Some(self.max_days_overdue.map_or(overdue, |d| d.max(overdue)));
        let bucket = self.spec.buckets.index(days, self.spec.basis);
        let n = self.labels.len();
        let row = self
            .per_client
            .entry((item.client_id, item.currency))
            .or_insert_with(|| Sums::new(item.currency, n));
        row.buckets[bucket].add(item.open);
        row.total.add(item.open);
        if self.spec.by_invoice {
            let (client, name) = self.client_names(item.client_id);
            self.invoices.push(AgingInvoiceRow {
                number: item.number.unwrap_or_default(),
                client,
                name,
                currency: item.currency,
                issue_date: item.issue_date,
                due_date: item.due_date,
                days_overdue: overdue,
                open: Money::new(item.open, item.currency),
                bucket: self.labels[bucket].clone(),
            });
        }
    }

    pub fn add_credit(&mut self, credit: CreditItem) {
        if credit.unapplied <= 0 {
            return;
        }
        // With a day filter, credit shows only beside the rows that passed it.
        let key = (credit.client_id, credit.currency);
        if self.spec.min_days.is_some() && !self.per_client.contains_key(&key) {
            return;
        }
        let n = self.labels.len();
        let row = self
            .per_client
            .entry(key)
            .or_insert_with(|| Sums::new(credit.currency, n));
        row.unapplied.add(credit.unapplied);
    }

    fn client_names(&self, id: i64) -> (String, String) {
        self.clients.get(&id).map_or_else(
            || (format!("#{id}"), String::new()),
            |c| (c.code.clone(), c.name.clone()),
        )
    }

    /// The report; refused (never wrapped) when a sum is larger than an amount can be.
    pub fn finish(self) -> Result<AgingReport, LedgerError> {
        let mut totals: BTreeMap<Currency, Sums> = BTreeMap::new();
        for sums in self.per_client.values() {
            totals
                .entry(sums.currency)
                .or_insert_with(|| Sums::new(sums.currency, self.labels.len()))
                .add(sums);
        }
        let rows = if self.spec.by_invoice {
            let mut invoices = self.invoices;
            invoices.sort_by(|a, b| {
                (a.client.to_lowercase(), a.currency, a.due_date, &a.number).cmp(&(
                    b.client.to_lowercase(),
                    b.currency,
                    b.due_date,
                    &b.number,
                ))
            });
            AgingRows::Invoices(invoices)
        } else {
            let mut rows: Vec<AgingClientRow> = self
                .per_client
                .iter()
                .map(|(&(id, _), sums)| {
                    let (client, name) = self.client_names(id);
                    Ok(AgingClientRow {
                        client,
                        name,
                        amounts: sums.amounts(&self.labels)?,
                    })
                })
                .collect::<Result<_, LedgerError>>()?;
            rows.sort_by(|a, b| {
                (a.client.to_lowercase(), a.amounts.currency)
                    .cmp(&(b.client.to_lowercase(), b.amounts.currency))
            });
            AgingRows::Clients(rows)
        };
        let totals = totals
            .values()
            .map(|sums| sums.amounts(&self.labels))
            .collect::<Result<_, _>>()?;
        Ok(AgingReport {
            as_of: self.spec.as_of,
            basis: self.spec.basis,
            buckets: self.labels,
            rows,
            totals,
            max_days_overdue: self.max_days_overdue,
        })
    }
}

/// The aging report as one pure function of its spec and rows.
pub fn aging_report(
    spec: &AgingSpec,
    clients: &[ClientRef],
    open: impl IntoIterator<Item = OpenItem>,
    credits: impl IntoIterator<Item = CreditItem>,
) -> Result<AgingReport, LedgerError> {
    let mut fold = AgingFold::new(spec, clients);
    open.into_iter().for_each(|i| fold.add_open(i));
    credits.into_iter().for_each(|c| fold.add_credit(c));
    fold.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_date;
    use crate::engine::spec::Buckets;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn spec(as_of: &str) -> AgingSpec {
        AgingSpec {
            as_of: d(as_of),
            basis: Basis::Due,
            buckets: Buckets::default(),
            by_invoice: false,
            min_days: None,
        }
    }

    fn item(client_id: i64, due: &str, open: i64) -> OpenItem {
        OpenItem {
            client_id,
            currency: Currency::parse("USD").unwrap(),
            issue_date: d("2026-01-01"),
            due_date: d(due),
            open,
            number: None,
        }
    }

    #[test]
    fn buckets_sum_to_total_per_client_and_currency() {
        let clients = vec![ClientRef {
            id: 1,
            code: "ACME".into(),
            name: "Acme".into(),
            terms_days: 30,
        }];
        let report = aging_report(
            &spec("2026-06-30"),
            &clients,
            vec![
                item(1, "2026-06-30", 100),
                item(1, "2026-06-29", 200),
                item(1, "2026-03-31", 400),
            ],
            vec![CreditItem {
                client_id: 1,
                currency: Currency::parse("USD").unwrap(),
                unapplied: 50,
            }],
        )
        .unwrap();
        let AgingRows::Clients(rows) = &report.rows else {
            panic!("client rows")
        };
        let minors: Vec<i64> = rows[0].amounts.buckets.iter().map(|m| m.minor).collect();
        assert_eq!(minors, vec![100, 200, 0, 0, 400]);
        assert_eq!(rows[0].amounts.total.minor, 700);
        assert_eq!(rows[0].amounts.unapplied.minor, 50);
        assert_eq!(report.max_days_overdue, Some(91));
        let json = serde_json::to_string(&report.rows).unwrap();
        assert!(json.contains(r#""current":1.00,"1-30":2.00,"31-60":0.00,"61-90":0.00,"90+":4.00,"total":7.00,"unapplied":0.50,"net":6.50"#), "{json}");
    }

    #[test]
    fn sums_too_large_for_an_amount_are_refused_not_wrapped() {
        let max = crate::domain::money::MAX_MINOR;
        let items = (0..9_300).map(|_| item(1, "2026-06-01", max));
        let err = aging_report(&spec("2026-06-30"), &[], items, vec![]).unwrap_err();
        assert!(matches!(err, LedgerError::Overflow { .. }), "{err}");
        // Just below the limit, the figure is exact.
        let items = (0..9_000).map(|_| item(1, "2026-06-01", max));
        let report = aging_report(&spec("2026-06-30"), &[], items, vec![]).unwrap();
        assert_eq!(report.totals[0].total.minor, 9_000 * max);
    }

    #[test]
    fn min_days_keeps_only_older_items() {
        let mut s = spec("2026-06-30");
        s.min_days = Some(60);
        let report = aging_report(
            &s,
            &[],
            vec![item(1, "2026-05-01", 100), item(1, "2026-04-30", 200)],
            vec![],
        )
        .unwrap();
        assert_eq!(report.totals[0].total.minor, 200);
    }
}
