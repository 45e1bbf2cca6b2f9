//! Bulk-load mode: a large import drops the secondary indexes and rebuilds them once
//! at the end inside the same transaction (building an index by sorting a million
//! rows once is several times faster than updating it a million times), and the
//! replay that follows reads whole tables front to back instead of a client at a time.

use anyhow::Result;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};

use super::{DateText, Db, currency_column, date_column, date_or_not_yet};
use crate::domain::{Currency, Date};
use crate::engine::replay::{Allocation, InvoiceState, PaymentState};

/// What a bulk load writes, which decides the indexes it drops.
pub enum BulkLoad {
    /// Invoices (and perhaps payments): every secondary index changes.
    Invoices,
    /// Payments only: invoices' numbers and issue dates stay as they are.
    Payments,
}

impl BulkLoad {
    fn indexes(&self) -> &'static [&'static str] {
        match self {
            BulkLoad::Invoices => &[
                "invoices_open_at",
                "invoices_client",
                "payments_client_date",
                "payments_credit_at",
                "allocations_invoice",
                "allocations_held",
            ],
            // The replay moves invoices' closing dates, payments' credit and every
            // allocation; invoices' clients and numbers stay.
            BulkLoad::Payments => &[
                "invoices_open_at",
                "payments_client_date",
                "payments_credit_at",
                "allocations_invoice",
                "allocations_held",
            ],
        }
    }
}

/// `PRAGMA cache_size` while a bulk load runs and rebuilds its indexes: 8 MB.
const BULK_CACHE_SIZE: i64 = -8_000;

/// The SQL function [`Db::sweep_invoice_states`] defines while it runs.
const STATE_FUNCTION: &str = "ar_invoice_state";

/// Allocations per insert statement (6 parameters each; SQLite allows 32,766).
const ALLOCATION_ROWS: usize = 64;

/// The unique index on invoice numbers (migrations/0001_init.sql).
const INVOICE_NUMBERS: &str = "invoices_number";

/// The dropped indexes by name, with their DDL as the schema itself had it.
pub struct DroppedIndexes(Vec<(&'static str, String)>);

impl DroppedIndexes {
    /// Whether the unique index on invoice numbers is down: the load then checks
    /// numbers itself, and nothing may look an invoice up by number in SQL.
    pub fn without_invoice_numbers(&self) -> bool {
        self.0.iter().any(|(name, _)| *name == INVOICE_NUMBERS)
    }
}

/// An invoice as the whole-ledger replay reads it: compact, since a million are held.
pub struct StoredInvoice {
    pub id: i64,
    pub client_id: i64,
    pub amount: i64,
    pub settled: i64,
    pub issue_date: Date,
    pub due_date: Date,
    pub closed_on: Option<Date>,
    pub discount_bp: u32,
    pub discount_days: u32,
    pub currency: Currency,
    pub void: bool,
}

/// A payment as the whole-ledger replay reads it.
pub struct StoredPayment {
    pub id: i64,
    pub client_id: i64,
    pub amount: i64,
    pub unapplied: i64,
    /// (Row ids start at 1: the niche keeps a million of these 8 bytes smaller.)
    pub invoice_id: Option<std::num::NonZeroI64>,
    pub date: Date,
    pub applied_on: Option<Date>,
    pub currency: Currency,
}

impl Db<'_> {
    /// Drop the indexes `load` changes. The unique index on invoice numbers goes too
    /// when the invoices table is empty (a first load): it is then rebuilt by one sort,
    /// and a duplicate number fails that rebuild if the caller's own check missed it.
    pub fn drop_secondary_indexes(&self, load: BulkLoad) -> Result<DroppedIndexes> {
        let mut names: Vec<&'static str> = load.indexes().to_vec();
        if matches!(load, BulkLoad::Invoices)
            && !self.conn.prepare("SELECT 1 FROM invoices LIMIT 1")?.exists([])?
        {
            names.push(INVOICE_NUMBERS);
        }
        let mut ddl = Vec::new();
        for name in names {
            let sql: Option<String> = self
                .conn
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(sql) = sql {
                self.conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
                ddl.push((name, sql));
            }
        }
        // Rows are appended and then swept in order, so a small page cache does: the
        // memory goes to the load's own tables (see ledger::bulk).
        self.conn.pragma_update(None, "cache_size", BULK_CACHE_SIZE)?;
        Ok(DroppedIndexes(ddl))
    }

    pub fn restore_indexes(&self, dropped: DroppedIndexes) -> Result<()> {
        // Both cores for the sorts that rebuild the indexes, and still the small cache
        // of the load: the sorter sizes its in-memory runs by the cache, and with
        // 8 MB runs two threads sort in parallel and merge; the indexes of the 1M
        // ledger built in three quarters of the time they took with 32 MB.
        self.conn.pragma_update(None, "threads", 2)?;
        for (_, sql) in dropped.0 {
            self.conn.execute_batch(&sql)?;
        }
        self.conn.pragma_update(None, "threads", 0)?;
        self.conn.pragma_update(None, "cache_size", super::CACHE_SIZE)?;
        Ok(())
    }

    /// How many invoices the ledger holds (to size what a scan fills).
    pub fn invoice_count(&self) -> Result<usize> {
        self.count("invoices")
    }

    /// How many payments the ledger holds (to size what a scan fills).
    pub fn payment_count(&self) -> Result<usize> {
        // (Also what scan_payments(None, ..) passes over.)
        self.count("payments")
    }

    fn count(&self, table: &str) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Every invoice in entry order, its number handed over separately (borrowed).
    pub fn scan_invoices(&self, mut f: impl FnMut(StoredInvoice, &str)) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, client_id, amount, settled, issue_date, due_date, closed_on, discount_bp, discount_days,
                    currency, voided_on IS NOT NULL, number FROM invoices ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(
                StoredInvoice {
                    id: r.get(0)?,
                    client_id: r.get(1)?,
                    amount: r.get(2)?,
                    settled: r.get(3)?,
                    issue_date: date_column(r.get_ref(4)?)?,
                    due_date: date_column(r.get_ref(5)?)?,
                    closed_on: date_or_not_yet(r.get_ref(6)?.as_str()?)?,
                    discount_bp: r.get(7)?,
                    discount_days: r.get(8)?,
                    currency: currency_column(r.get_ref(9)?.as_str()?)?,
                    void: r.get(10)?,
                },
                r.get_ref(11)?.as_str()?,
            );
        }
        Ok(())
    }

    /// Every payment with an id below `below` (all without it) in entry order.
    pub fn scan_payments(&self, below: Option<i64>, mut f: impl FnMut(StoredPayment)) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT id, client_id, amount, unapplied, invoice_id, date, applied_on, currency FROM payments
             WHERE id < ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query([below.unwrap_or(i64::MAX)])?;
        while let Some(r) = rows.next()? {
            f(StoredPayment {
                id: r.get(0)?,
                client_id: r.get(1)?,
                amount: r.get(2)?,
                unapplied: r.get(3)?,
                invoice_id: r.get::<_, Option<i64>>(4)?.and_then(std::num::NonZeroI64::new),
                date: date_column(r.get_ref(5)?)?,
                applied_on: date_or_not_yet(r.get_ref(6)?.as_str()?)?,
                currency: currency_column(r.get_ref(7)?.as_str()?)?,
            });
        }
        Ok(())
    }

    /// Forget every allocation: a whole-ledger replay writes them all again.
    pub fn clear_all_allocations(&self) -> Result<()> {
        self.conn.execute_batch("DELETE FROM allocations")?;
        Ok(())
    }

    /// Insert allocations in order, [`ALLOCATION_ROWS`] per statement: a million
    /// single-row inserts spent a third of their time starting and ending statements.
    /// (`OR FAIL`: see [`Db::sweep_invoice_states`].)
    pub fn insert_allocations(&self, allocations: &[Allocation]) -> Result<()> {
        const COLUMNS: usize = 6;
        let sql = |rows: usize| {
            let values = vec!["(?, ?, ?, ?, ?, ?)"; rows].join(", ");
            format!(
                "INSERT OR FAIL INTO allocations (invoice_id, payment_id, kind, date, amount, held) VALUES {values}"
            )
        };
        let mut many = self.conn.prepare_cached(&sql(ALLOCATION_ROWS))?;
        let mut one = self.conn.prepare_cached(&sql(1))?;
        let chunks = allocations.chunks_exact(ALLOCATION_ROWS);
        let rest = chunks.remainder();
        let bind = |stmt: &mut rusqlite::Statement, at: usize, a: &Allocation| -> rusqlite::Result<()> {
            let i = at * COLUMNS;
            stmt.raw_bind_parameter(i + 1, a.invoice_id)?;
            stmt.raw_bind_parameter(i + 2, a.payment_id)?;
            stmt.raw_bind_parameter(i + 3, a.kind.as_str())?;
            stmt.raw_bind_parameter(i + 4, DateText::new(a.date))?;
            stmt.raw_bind_parameter(i + 5, a.amount)?;
            stmt.raw_bind_parameter(i + 6, a.held)
        };
        for chunk in chunks {
            for (at, a) in chunk.iter().enumerate() {
                bind(&mut many, at, a)?;
            }
            many.raw_execute()?;
        }
        for a in rest {
            bind(&mut one, 0, a)?;
            one.raw_execute()?;
        }
        Ok(())
    }

    pub fn update_invoice_states(&self, states: impl IntoIterator<Item = InvoiceState>) -> Result<()> {
        let mut update = self
            .conn
            .prepare_cached("UPDATE invoices SET settled = ?2, closed_on = ?3 WHERE id = ?1")?;
        for i in states {
            update.execute(params![i.id, i.settled, DateText::or_not_yet(i.closed_on)])?;
        }
        Ok(())
    }

    /// [`Db::update_invoice_states`] for a good part of the table (a first payments
    /// load moves nearly every invoice): one UPDATE sweeps the table and asks a
    /// function of this call for each row's new values. It runs in about half the
    /// time of an UPDATE per row, which starts a statement and seeks its row a
    /// million times. `states` must be in id order.
    ///
    /// `OR FAIL` rather than the default `ABORT`: an aborting statement inside a
    /// transaction first copies every page it changes to a statement journal, to
    /// undo itself alone; here that was a second write of the whole table. A failure
    /// fails the whole transaction anyway, which rolls everything back.
    pub fn sweep_invoice_states(&self, states: Vec<InvoiceState>) -> Result<()> {
        if !states.is_sorted_by_key(|s| s.id) {
            anyhow::bail!("internal error: invoice states out of id order");
        }
        // ar_invoice_state(id, 0): whether the row moved; (id, 1): its `settled`;
        // (id, 2): its `closed_on`. The three calls for a row come one after the
        // other, so the position found by the first serves the others.
        let at = std::cell::Cell::new(0usize);
        self.conn.create_scalar_function(
            STATE_FUNCTION,
            2,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DIRECTONLY,
            move |ctx| -> rusqlite::Result<Value> {
                let (id, what): (i64, i64) = (ctx.get(0)?, ctx.get(1)?);
                let state = match states.get(at.get()) {
                    Some(s) if s.id == id => s,
                    _ => match states.binary_search_by_key(&id, |s| s.id) {
                        Ok(k) => {
                            at.set(k);
                            &states[k]
                        }
                        Err(_) => return Ok(Value::Integer(0)),
                    },
                };
                Ok(match what {
                    0 => Value::Integer(1),
                    1 => Value::Integer(state.settled),
                    _ => Value::Text(DateText::or_not_yet(state.closed_on).as_str().to_string()),
                })
            },
        )?;
        let updated = self.conn.execute(
            &format!(
                "UPDATE OR FAIL invoices SET settled = {STATE_FUNCTION}(id, 1), closed_on = {STATE_FUNCTION}(id, 2)
                 WHERE {STATE_FUNCTION}(id, 0)"
            ),
            [],
        );
        let removed = self.conn.remove_function(STATE_FUNCTION, 2);
        updated?;
        removed?;
        Ok(())
    }

    pub fn update_payment_states(&self, states: impl IntoIterator<Item = PaymentState>) -> Result<()> {
        let mut update = self
            .conn
            .prepare_cached("UPDATE payments SET unapplied = ?2, applied_on = ?3 WHERE id = ?1")?;
        for p in states {
            update.execute(params![p.id, p.unapplied, DateText::or_not_yet(p.applied_on)])?;
        }
        Ok(())
    }
}
