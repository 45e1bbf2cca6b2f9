//! The rows reports fold, streamed and pre-filtered by SQL so that a report reads only
//! what can matter at its as-of date (an invoice closed before it never can).

use anyhow::Result;
use rusqlite::params;

use super::{Db, currency_column, date_column};
use crate::domain::{Currency, Date};
pub use crate::engine::rows::{ClientRef, ClosedItem, CreditItem, OpenItem};

impl Db<'_> {
    /// Stream every non-void invoice issued on or before `as_of` and still open then,
    /// with its balance at `as_of` (spec: Aging).
    pub fn open_items(
        &self,
        as_of: Date,
        client_id: Option<i64>,
        with_numbers: bool,
        mut f: impl FnMut(OpenItem),
    ) -> Result<()> {
        let number = if with_numbers { "i.number" } else { "NULL" };
        let client = if client_id.is_some() {
            "AND i.client_id = ?2"
        } else {
            "AND ?2 IS NULL"
        };
        let sql = format!(
            "SELECT i.client_id, i.currency, i.issue_date, i.due_date,
                    i.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a WHERE a.invoice_id = i.id AND a.date <= ?1), 0),
                    {number}
             FROM invoices i INDEXED BY invoices_open_at
             WHERE i.closed_on > ?1 AND i.issue_date <= ?1 AND i.voided_on IS NULL {client}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![as_of, client_id])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            let open: i64 = r.get(4)?;
            if open <= 0 {
                continue;
            }
            f(OpenItem {
                client_id: r.get(0)?,
                currency: currencies.get(r.get_ref(1)?.as_str()?)?,
                issue_date: date_column(r.get_ref(2)?)?,
                due_date: date_column(r.get_ref(3)?)?,
                open,
                number: r.get(5)?,
            });
        }
        Ok(())
    }

    /// Unapplied credit per client and currency at `as_of`.
    /// Stream the unapplied credit of each payment still holding some at `as_of`
    /// (the report folds them per client and currency: grouping here would sort).
    pub fn credit_items(
        &self,
        as_of: Date,
        client_id: Option<i64>,
        mut f: impl FnMut(CreditItem),
    ) -> Result<()> {
        let client = if client_id.is_some() {
            "AND p.client_id = ?2"
        } else {
            "AND ?2 IS NULL"
        };
        // `applied_on > date` follows from the other two conditions; stated, it lets
        // the partial index (payments that were ever credit) serve the query. Such a
        // payment's allocations are `held`, the partial index by payment.
        let sql = format!(
            "SELECT p.client_id, p.currency,
                    p.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
                        WHERE a.payment_id = p.id AND a.held = 1 AND a.kind = 'payment' AND a.date <= ?1), 0)
             FROM payments p INDEXED BY payments_credit_at
             WHERE p.applied_on > ?1 AND p.date <= ?1 AND p.applied_on > p.date {client}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![as_of, client_id])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            let unapplied: i64 = r.get(2)?;
            if unapplied > 0 {
                f(CreditItem {
                    client_id: r.get(0)?,
                    currency: currencies.get(r.get_ref(1)?.as_str()?)?,
                    unapplied,
                });
            }
        }
        Ok(())
    }

    /// Stream invoices whose balance reached zero in `(after, until]`.
    pub fn closed_items(&self, after: Date, until: Date, mut f: impl FnMut(ClosedItem)) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT client_id, currency, issue_date, due_date, closed_on, amount FROM invoices INDEXED BY invoices_open_at
             WHERE closed_on > ?1 AND closed_on <= ?2 AND voided_on IS NULL",
        )?;
        let mut rows = stmt.query(params![after, until])?;
        let mut currencies = CurrencyCache::default();
        while let Some(r) = rows.next()? {
            f(ClosedItem {
                client_id: r.get(0)?,
                currency: currencies.get(r.get_ref(1)?.as_str()?)?,
                issue_date: date_column(r.get_ref(2)?)?,
                due_date: date_column(r.get_ref(3)?)?,
                closed_on: date_column(r.get_ref(4)?)?,
                amount: r.get(5)?,
            });
        }
        Ok(())
    }

    /// Amount invoiced per currency with issue dates in `(after, until]` (DSO).
    pub fn invoiced_between(&self, after: Date, until: Date) -> Result<Vec<(Currency, i64)>> {
        // Summed here rather than with GROUP BY, which would sort every row. An invoice
        // closes on or after its issue date, so `closed_on > ?1` holds for every one
        // issued in the window and lets the aging index serve (no index of its own:
        // one less for every write and every bulk load to maintain).
        let mut stmt = self.conn.prepare_cached(
            "SELECT currency, amount FROM invoices INDEXED BY invoices_open_at
             WHERE closed_on > ?1 AND issue_date > ?1 AND issue_date <= ?2 AND voided_on IS NULL",
        )?;
        let mut rows = stmt.query(params![after, until])?;
        let mut currencies = CurrencyCache::default();
        let mut sums: Vec<(Currency, i64)> = Vec::new();
        while let Some(r) = rows.next()? {
            let currency = currencies.get(r.get_ref(0)?.as_str()?)?;
            let amount: i64 = r.get(1)?;
            match sums.iter_mut().find(|(c, _)| *c == currency) {
                Some((_, sum)) => *sum += amount,
                None => sums.push((currency, amount)),
            }
        }
        sums.sort_by_key(|(c, _)| *c);
        Ok(sums)
    }

    /// Every client, as reports name them, ordered by id.
    pub fn client_refs(&self) -> Result<Vec<ClientRef>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, code, name, terms_days FROM clients ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(ClientRef {
                id: r.get(0)?,
                code: r.get(1)?,
                name: r.get(2)?,
                terms_days: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Currency codes repeat on every row; parse each distinct one once.
#[derive(Default)]
struct CurrencyCache(Vec<(String, Currency)>);

impl CurrencyCache {
    fn get(&mut self, code: &str) -> rusqlite::Result<Currency> {
        if let Some((_, c)) = self.0.iter().find(|(k, _)| k == code) {
            return Ok(*c);
        }
        let c = currency_column(code)?;
        self.0.push((code.to_string(), c));
        Ok(c)
    }
}
