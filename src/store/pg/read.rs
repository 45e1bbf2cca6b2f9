//! The questions of [`ReadTxn`], in PostgreSQL's SQL: the SQLite ledger's queries
//! (`sqlite/txn.rs`), row for row, with PostgreSQL's types (BIGINT sums cast back
//! from NUMERIC, DATE columns, BOOLEAN flags) and codes and numbers compared by
//! `lower()` (ASCII letters only, as SQLite's NOCASE).

use anyhow::Result;
use postgres::Row;

use super::PgTxn;
use super::rows;
use crate::domain::entities::{
    AllocationLine, Client, ClientChangeEntry, Correction, Entered, Invoice, InvoiceStatus, LogEntry, Payment,
};
use crate::domain::{Currency, Date, Money};
use crate::internal;
use crate::store::*;

/// What allocations net of reversals (which open an amount again) add up to, over
/// the allocations `a` the query picks.
macro_rules! net {
    () => {
        "CAST(SUM(CASE WHEN a.kind = 'reversal' THEN -a.amount ELSE a.amount END) AS BIGINT)"
    };
}

/// What was allocated to invoice `i`: `as_of` the date in `$1`, net; or `net`, after
/// every entry (closed for good: all of it; only the few open ones are summed).
macro_rules! settled {
    (as_of) => {
        concat!(
            "COALESCE((SELECT ",
            net!(),
            " FROM allocations a WHERE a.invoice_id = i.id AND a.date <= $1), 0)"
        )
    };
    (net) => {
        concat!(
            "CASE WHEN i.settled = 0 THEN 0
                  WHEN i.closed_on <> DATE '9999-12-31' AND i.voided_on IS NULL THEN i.amount
                  ELSE COALESCE((SELECT ",
            net!(),
            " FROM allocations a WHERE a.invoice_id = i.id), 0) END"
        )
    };
}

/// The columns of [`invoice_row`] over invoices `i`, the client named by `$client`
/// and the allocated amount by `settled!($settled)`.
macro_rules! invoice_columns {
    ($client:literal, $settled:ident) => {
        concat!(
            "i.id, i.number, ",
            $client,
            ", i.currency, i.issue_date, i.due_date, i.amount, ",
            settled!($settled),
            ", i.terms_days, i.discount_bp, i.discount_days, i.description, i.closed_on, i.voided_on,
             i.void_reason, i.client_id, i.void_from"
        )
    };
}

/// The credit payment `p` held: `as_of` the end of the date in `$1` (what is left of
/// it after its allocations dated by then; only payments that ever held credit have
/// any to subtract: the others were applied in full on their date), or as `stored`.
macro_rules! unapplied {
    (as_of) => {
        "CASE WHEN p.applied_on <= $1 THEN 0 ELSE p.amount - COALESCE((SELECT CAST(SUM(a.amount) AS BIGINT)
             FROM allocations a WHERE a.payment_id = p.id AND a.held
             AND a.kind IN ('payment', 'credit', 'refund', 'lapsed') AND a.date <= $1), 0) END"
    };
    (stored) => {
        "p.unapplied"
    };
}

/// The columns of [`payment_row`] over payments `p`.
macro_rules! payment_columns {
    ($client:literal, $invoice:literal, $unapplied:ident) => {
        concat!(
            "p.id, ",
            $client,
            ", p.currency, p.date, p.amount, ",
            $invoice,
            ", p.reference, ",
            unapplied!($unapplied)
        )
    };
}

/// A correction with its client's code, its invoice's number and its batch (the
/// columns of [`correction_row`]).
macro_rules! correction_select {
    () => {
        "SELECT n.id, n.kind, c.code, n.currency, n.date, n.amount, i.number, n.payment_id,
                n.reason, n.reference, COALESCE(n.done, 0), n.unapplied, n.after_payment, b.entered_at, b.entered_by
         FROM corrections n JOIN clients c ON c.id = n.client_id LEFT JOIN invoices i ON i.id = n.invoice_id
         LEFT JOIN batches b ON b.id = n.batch"
    };
}

/// Columns of [`allocation_line`], over allocations `a` LEFT JOINed to invoices `i`.
macro_rules! line_columns {
    () => {
        "i.number, a.payment_id, a.correction_id, a.kind, a.date, a.amount"
    };
}

/// [`ReadTxn::open_items`]: invoices still open at `$1` (none of the closed
/// majority), their numbers when `$2`; `$filter` picks the client. Nothing
/// allocated at all (`settled` is every allocation): nothing to subtract. Invoices
/// void from a later date count as they were, open in full.
macro_rules! open_items_sql {
    ($filter:literal) => {
        concat!(
            "SELECT ",
            open_item_columns!(),
            " FROM invoices i WHERE i.closed_on > $1 AND i.issue_date <= $1 AND i.voided_on IS NULL ",
            $filter,
            " UNION ALL SELECT ",
            open_item_columns!(),
            " FROM invoices i WHERE i.void_from > $1 AND i.issue_date <= $1 AND i.voided_on IS NOT NULL ",
            $filter
        )
    };
}

macro_rules! open_item_columns {
    () => {
        concat!(
            "i.client_id, i.currency, i.issue_date, i.due_date,
             CASE WHEN i.settled = 0 THEN i.amount
                  ELSE i.amount - COALESCE((SELECT ",
            net!(),
            " FROM allocations a WHERE a.invoice_id = i.id AND a.date <= $1), 0) END,
             CASE WHEN $2 THEN i.number END"
        )
    };
}

/// [`ReadTxn::credit_items`]: payments, then credit notes, holding credit at `$1`
/// (`applied_on > date` follows from the other conditions; stated, it lets the
/// partial indexes serve). Such a payment's allocations are `held`.
macro_rules! credit_items_sql {
    ($payment_filter:literal, $note_filter:literal) => {
        concat!(
            "SELECT p.client_id, p.currency,
                    p.amount - COALESCE((SELECT CAST(SUM(a.amount) AS BIGINT) FROM allocations a
                        WHERE a.payment_id = p.id AND a.held AND a.kind IN ('payment', 'credit', 'refund', 'lapsed')
                        AND a.date <= $1), 0)
             FROM payments p
             WHERE p.applied_on > $1 AND p.date <= $1 AND p.applied_on > p.date ",
            $payment_filter,
            " UNION ALL
             SELECT n.client_id, n.currency,
                    n.amount - COALESCE((SELECT CAST(SUM(a.amount) AS BIGINT) FROM allocations a
                        WHERE a.note_id = n.id AND a.date <= $1), 0)
             FROM corrections n
             WHERE n.kind = 'credit_note' AND n.applied_on > $1 AND n.date <= $1 AND n.applied_on > n.date ",
            $note_filter
        )
    };
}

const CLIENT_COLUMNS_BY_CODE: &str =
    "SELECT id, code, name, email, credit_limit, terms_days, discount_bp, discount_days
     FROM clients WHERE lower(code) = $1";

/// The audit trail: one row per fact or change, in entry order (see
/// `ReadTxn::log`). Columns: entered_at, entered_by, command, batch, entry, id,
/// client code, date, currency, amount, invoice number, payment id, detail.
const LOG_SQL: &str = "SELECT b.entered_at, b.entered_by, b.command, e.batch, e.entry, e.id, c.code, e.date,
        e.currency, e.amount, e.number, e.payment_id, e.detail
 FROM (
     SELECT batch, 0 AS rank, 'client'::text AS entry, id, id AS client_id, NULL::date AS date,
            NULL::text AS currency, NULL::bigint AS amount, NULL::text AS number, NULL::bigint AS payment_id,
            name AS detail FROM clients
     UNION ALL
     SELECT batch, 1, 'client_change', id, client_id, NULL, NULL, NULL, NULL, NULL,
            field || ': ' || COALESCE(old, '(none)') || ' -> ' || COALESCE(new, '(none)') FROM client_changes
     UNION ALL
     SELECT batch, 2, 'invoice', id, client_id, issue_date, currency, amount, number, NULL,
            'due ' || to_char(due_date, 'YYYY-MM-DD') || COALESCE('; ' || description, '') FROM invoices
     UNION ALL
     SELECT void_batch, 3, 'void', id, client_id, void_from, currency, amount, number, NULL,
            'given ' || to_char(voided_on, 'YYYY-MM-DD') || COALESCE('; ' || void_reason, '')
     FROM invoices WHERE voided_on IS NOT NULL
     UNION ALL
     SELECT p.batch, 4, 'payment', p.id, p.client_id, p.date, p.currency, p.amount, i.number, p.id, p.reference
     FROM payments p LEFT JOIN invoices i ON i.id = p.invoice_id
     UNION ALL
     SELECT n.batch, 5, n.kind, n.id, n.client_id, n.date, n.currency, n.amount, i.number, n.payment_id,
            TRIM(COALESCE(n.reason, '') || COALESCE(' ' || n.reference, ''))
     FROM corrections n LEFT JOIN invoices i ON i.id = n.invoice_id
 ) e
 JOIN clients c ON c.id = e.client_id
 LEFT JOIN batches b ON b.id = e.batch
 WHERE ($1::bigint IS NULL OR e.client_id = $1) AND ($2::text IS NULL OR b.entered_at >= $2)
 ORDER BY COALESCE(e.batch, 0), e.rank, e.id";

/// A client from `id, code, name, email, credit_limit, terms_days, discount_bp,
/// discount_days`.
fn client_row(row: &Row, limit_currency: Currency) -> Result<Client> {
    Ok(Client {
        id: row.try_get(0)?,
        code: row.try_get(1)?,
        name: row.try_get(2)?,
        email: row.try_get(3)?,
        credit_limit: row
            .try_get::<_, Option<i64>>(4)?
            .map(|m| Money::new(m, limit_currency)),
        terms: rows::terms(row, 5)?,
        entered: None,
    })
}

/// An invoice from [`invoice_columns!`], as it stood at the end of `as_of`, named
/// with `client`.
fn invoice_row(row: &Row, client: String, as_of: Date) -> Result<Invoice> {
    let currency = rows::currency(row, 3)?;
    let amount: i64 = row.try_get(6)?;
    let settled: i64 = row.try_get(7)?;
    let voided_on: Option<Date> = row.try_get(13)?;
    let void_from: Option<Date> = row.try_get(16)?;
    let void = void_from.is_some_and(|d| d <= as_of);
    let open = if void { 0 } else { amount - settled };
    // (A closing a reversal undid later is not the final one: paid, with no date.)
    let closed_on = rows::later(row, 12)?.filter(|d| *d <= as_of && !void);
    let status = if void {
        InvoiceStatus::Void
    } else if open <= 0 {
        InvoiceStatus::Paid
    } else {
        InvoiceStatus::Open
    };
    Ok(Invoice {
        id: row.try_get(0)?,
        number: row.try_get(1)?,
        client,
        currency,
        issue_date: row.try_get(4)?,
        due_date: row.try_get(5)?,
        amount: Money::new(amount, currency),
        settled: Money::new(settled, currency),
        open: Money::new(open, currency),
        terms: rows::terms(row, 8)?,
        description: row.try_get(11)?,
        status,
        closed_on,
        voided_on,
        void_from,
        void_reason: row.try_get(14)?,
        entered: None,
        void_entered: None,
    })
}

/// A payment from [`payment_columns!`], named with `client` and `invoice`.
fn payment_row(row: &Row, client: String, invoice: Option<String>) -> Result<Payment> {
    let currency = rows::currency(row, 2)?;
    Ok(Payment {
        id: row.try_get(0)?,
        client,
        currency,
        date: row.try_get(3)?,
        amount: Money::new(row.try_get(4)?, currency),
        invoice,
        reference: row.try_get(6)?,
        unapplied: Money::new(row.try_get(7)?, currency),
        entered: None,
    })
}

/// A correction from [`correction_select!`].
fn correction_row(row: &Row) -> Result<Correction> {
    let currency = rows::currency(row, 3)?;
    Ok(Correction {
        id: row.try_get(0)?,
        kind: rows::correction_kind(row, 1)?,
        client: row.try_get(2)?,
        currency,
        date: row.try_get(4)?,
        amount: row.try_get::<_, Option<i64>>(5)?.map(|a| Money::new(a, currency)),
        invoice: row.try_get(6)?,
        payment_id: row.try_get(7)?,
        reason: row.try_get(8)?,
        reference: row.try_get(9)?,
        done: Money::new(row.try_get(10)?, currency),
        unapplied: Money::new(row.try_get(11)?, currency),
        after_payment: row.try_get(12)?,
        entered_at: row.try_get(13)?,
        entered_by: row.try_get(14)?,
    })
}

/// An allocation from [`line_columns!`].
fn allocation_line(row: &Row, currency: Currency) -> Result<AllocationLine> {
    Ok(AllocationLine {
        invoice: row.try_get(0)?,
        payment_id: row.try_get(1)?,
        correction_id: row.try_get(2)?,
        kind: rows::allocation_kind(row, 3)?,
        date: row.try_get(4)?,
        amount: Money::new(row.try_get(5)?, currency),
    })
}

/// A code or number as the `lower()` indexes hold it: trimmed, ASCII letters folded
/// (`domain::text::fold_case`'s rule, as SQLite's NOCASE: nothing else folds).
fn folded(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

/// A SQL count, as the trait's.
fn count(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| internal!("a count of {n}").into())
}

/// Values by id (ids sorted, nearly always dense: rows are never deleted), held
/// compactly: an export remembers every client's code and every invoice's number.
#[derive(Default)]
struct ById {
    ids: Vec<i64>,
    ends: Vec<usize>,
    text: String,
}

impl ById {
    fn push(&mut self, id: i64, value: &str) {
        self.ids.push(id);
        self.text.push_str(value);
        self.ends.push(self.text.len());
    }

    fn get(&self, id: i64) -> Option<&str> {
        let first = *self.ids.first()?;
        let guess = usize::try_from(id - first).ok();
        let i = match guess {
            Some(g) if self.ids.get(g) == Some(&id) => g,
            _ => self.ids.binary_search(&id).ok()?,
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..self.ends[i])
    }
}

impl ReadTxn for PgTxn<'_> {
    fn schema_version(&mut self) -> Result<i64> {
        let meta: Option<String> = self.one("SELECT to_regclass('ar_meta')::text", &[])?.try_get(0)?;
        if meta.is_none() {
            return Ok(0);
        }
        Ok(match self.row("SELECT schema_version FROM ar_meta", &[])? {
            Some(r) => r.try_get(0)?,
            None => 0,
        })
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>> {
        if self.schema_version()? == 0 {
            return Ok(None);
        }
        Ok(
            match self.row("SELECT value FROM settings WHERE key = $1", &[&key])? {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            },
        )
    }

    fn settings(&mut self) -> Result<Vec<(String, String)>> {
        if self.schema_version()? == 0 {
            return Ok(Vec::new());
        }
        self.rows("SELECT key, value FROM settings ORDER BY key", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn is_empty(&mut self) -> Result<bool> {
        self.settle()?;
        let n: i64 = self
            .one(
                "SELECT (SELECT count(*) FROM clients) + (SELECT count(*) FROM invoices)",
                &[],
            )?
            .try_get(0)?;
        Ok(n == 0)
    }

    fn client_by_code(&mut self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        self.settle()?;
        self.row(CLIENT_COLUMNS_BY_CODE, &[&folded(code)])?
            .map(|r| client_row(&r, limit_currency))
            .transpose()
    }

    fn client_by_id(&mut self, id: ClientId, limit_currency: Currency) -> Result<Option<Client>> {
        self.settle()?;
        self.row(
            "SELECT id, code, name, email, credit_limit, terms_days, discount_bp, discount_days
             FROM clients WHERE id = $1",
            &[&id],
        )?
        .map(|r| client_row(&r, limit_currency))
        .transpose()
    }

    fn clients(&mut self, limit_currency: Currency) -> Result<Vec<Client>> {
        self.settle()?;
        self.rows(
            "SELECT id, code, name, email, credit_limit, terms_days, discount_bp, discount_days
             FROM clients ORDER BY lower(code), id",
            &[],
        )?
        .iter()
        .map(|r| client_row(r, limit_currency))
        .collect()
    }

    fn client_refs(&mut self) -> Result<Vec<ClientRef>> {
        self.settle()?;
        self.rows("SELECT id, code, name, terms_days FROM clients ORDER BY id", &[])?
            .iter()
            .map(|r| {
                Ok(ClientRef {
                    id: r.try_get(0)?,
                    code: r.try_get(1)?,
                    name: r.try_get(2)?,
                    terms_days: rows::small(r, 3)?,
                })
            })
            .collect()
    }

    fn invoice_ref(&mut self, number: &str) -> Result<Option<InvoiceRef>> {
        self.settle()?;
        let Some(r) = self.row(
            "SELECT id, client_id, currency, issue_date, voided_on IS NOT NULL FROM invoices
             WHERE lower(number) = $1",
            &[&folded(number)],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(InvoiceRef {
            id: r.try_get(0)?,
            client_id: r.try_get(1)?,
            currency: rows::currency(&r, 2)?,
            issue_date: r.try_get(3)?,
            void: r.try_get(4)?,
        }))
    }

    fn invoice_number(&mut self, id: InvoiceId) -> Result<String> {
        self.settle()?;
        match self.row("SELECT number FROM invoices WHERE id = $1", &[&id])? {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(internal!("no invoice has id {id}").into()),
        }
    }

    fn invoice_number_taken(&mut self, number: &str) -> Result<bool> {
        self.settle()?;
        Ok(self
            .row(
                "SELECT 1 FROM invoices WHERE lower(number) = $1",
                &[&folded(number)],
            )?
            .is_some())
    }

    fn invoice(&mut self, id: InvoiceId, as_of: Date) -> Result<Option<Invoice>> {
        self.settle()?;
        const SQL: &str = concat!(
            "SELECT ",
            invoice_columns!("c.code", as_of),
            " FROM invoices i JOIN clients c ON c.id = i.client_id WHERE i.id = $2"
        );
        self.row(SQL, &[&as_of, &id])?
            .map(|r| invoice_row(&r, r.try_get(2)?, as_of))
            .transpose()
    }

    fn invoices(&mut self, filter: &InvoiceFilter, f: &mut dyn FnMut(Invoice) -> Result<()>) -> Result<()> {
        self.settle()?;
        const SQL: &str = concat!(
            "SELECT ",
            invoice_columns!("c.code", as_of),
            " FROM invoices i JOIN clients c ON c.id = i.client_id
             WHERE i.issue_date <= $1 AND ($2::bigint IS NULL OR i.client_id = $2)
               AND (NOT $3 OR i.closed_on > $1)
             ORDER BY i.issue_date, i.id"
        );
        let as_of = filter.as_of;
        let open_only = filter.open_only;
        self.each(SQL, &[&as_of, &filter.client_id, &open_only], |r| {
            let invoice = invoice_row(r, r.try_get(2)?, as_of)?;
            // (Closed then, and open again later: not open then.)
            if open_only && invoice.status != InvoiceStatus::Open {
                return Ok(());
            }
            f(invoice)
        })
    }

    fn invoice_allocations(&mut self, id: InvoiceId, as_of: Date) -> Result<Vec<AllocationLine>> {
        self.settle()?;
        let Some(r) = self.row("SELECT currency FROM invoices WHERE id = $1", &[&id])? else {
            return Err(internal!("no invoice has id {id}").into());
        };
        let currency = rows::currency(&r, 0)?;
        const SQL: &str = concat!(
            "SELECT ",
            line_columns!(),
            " FROM allocations a JOIN invoices i ON i.id = a.invoice_id
             WHERE a.invoice_id = $1 AND a.date <= $2 ORDER BY a.date, a.id"
        );
        self.rows(SQL, &[&id, &as_of])?
            .iter()
            .map(|r| allocation_line(r, currency))
            .collect()
    }

    fn payment(&mut self, id: PaymentId, as_of: Date) -> Result<Option<Payment>> {
        self.settle()?;
        const SQL: &str = concat!(
            "SELECT ",
            payment_columns!("c.code", "i.number", as_of),
            " FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.id = $2"
        );
        self.row(SQL, &[&as_of, &id])?
            .map(|r| payment_row(&r, r.try_get(1)?, r.try_get(5)?))
            .transpose()
    }

    fn payments(&mut self, filter: &PaymentFilter, f: &mut dyn FnMut(Payment) -> Result<()>) -> Result<()> {
        self.settle()?;
        const SQL: &str = concat!(
            "SELECT * FROM (SELECT ",
            payment_columns!("c.code", "i.number", as_of),
            " AS unapplied FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id
             WHERE p.date <= $1 AND ($2::bigint IS NULL OR p.client_id = $2)) x
             WHERE NOT $3 OR x.unapplied > 0
             ORDER BY x.date, x.id"
        );
        self.each(
            SQL,
            &[&filter.as_of, &filter.client_id, &filter.with_credit],
            |r| f(payment_row(r, r.try_get(1)?, r.try_get(5)?)?),
        )
    }

    fn payment_allocations(&mut self, id: PaymentId) -> Result<Vec<AllocationLine>> {
        self.settle()?;
        let Some(r) = self.row(
            "SELECT client_id, date, currency FROM payments WHERE id = $1",
            &[&id],
        )?
        else {
            return Err(internal!("no payment has id {id}").into());
        };
        let client: ClientId = r.try_get(0)?;
        let date: Date = r.try_get(1)?;
        let currency = rows::currency(&r, 2)?;
        // Through the invoices still open at the payment's date (not void), and its
        // date (allocations_invoice): allocations are indexed by payment only for
        // payments holding credit (all of whose allocations are `held`); and its
        // reversal's.
        const SQL: &str = concat!(
            "SELECT ",
            line_columns!(),
            " FROM allocations a LEFT JOIN invoices i ON i.id = a.invoice_id
             WHERE a.id IN (
                 SELECT id FROM allocations WHERE invoice_id IN (
                     SELECT id FROM invoices WHERE client_id = $1 AND closed_on >= $2 AND voided_on IS NULL)
                     AND date = $2 AND payment_id = $3
                 UNION SELECT id FROM allocations WHERE payment_id = $3 AND held
                 UNION SELECT id FROM allocations WHERE correction_id =
                     (SELECT id FROM corrections WHERE kind = 'reversal' AND payment_id = $3))
             ORDER BY a.id"
        );
        self.rows(SQL, &[&client, &date, &id])?
            .iter()
            .map(|r| allocation_line(r, currency))
            .collect()
    }

    fn unnamed_payments_from(&mut self, client: ClientId, currency: Currency, from: Date) -> Result<bool> {
        self.settle()?;
        Ok(self
            .row(
                "SELECT 1 FROM payments
                 WHERE client_id = $1 AND date >= $2 AND invoice_id IS NULL AND currency = $3
                 UNION ALL
                 SELECT 1 FROM corrections WHERE client_id = $1 AND date >= $2 AND invoice_id IS NULL
                     AND kind = 'credit_application' AND currency = $3
                 LIMIT 1",
                &[&client, &from.max(super::replay::EARLIEST), &currency.code()],
            )?
            .is_some())
    }

    fn payments_after(&mut self, client: ClientId, date: Date, except: PaymentId) -> Result<u64> {
        self.settle()?;
        let n: i64 = self
            .one(
                "SELECT count(*) FROM payments WHERE client_id = $1 AND date > $2 AND id <> $3",
                &[&client, &date, &except],
            )?
            .try_get(0)?;
        count(n)
    }

    fn open_items(
        &mut self,
        as_of: Date,
        client: Option<ClientId>,
        with_numbers: bool,
        f: &mut dyn FnMut(OpenItem) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let mut item = |r: &Row| -> Result<()> {
            let open: i64 = r.try_get(4)?;
            if open <= 0 {
                return Ok(());
            }
            f(OpenItem {
                client_id: r.try_get(0)?,
                currency: rows::currency(r, 1)?,
                issue_date: r.try_get(2)?,
                due_date: r.try_get(3)?,
                open,
                number: r.try_get(5)?,
            })
        };
        match client {
            Some(client) => self.each(
                open_items_sql!("AND i.client_id = $3"),
                &[&as_of, &with_numbers, &client],
                &mut item,
            ),
            None => self.each(open_items_sql!(""), &[&as_of, &with_numbers], &mut item),
        }
    }

    fn credit_items(
        &mut self,
        as_of: Date,
        client: Option<ClientId>,
        f: &mut dyn FnMut(CreditItem) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let mut item = |r: &Row| -> Result<()> {
            let unapplied: i64 = r.try_get(2)?;
            if unapplied <= 0 {
                return Ok(());
            }
            f(CreditItem {
                client_id: r.try_get(0)?,
                currency: rows::currency(r, 1)?,
                unapplied,
            })
        };
        match client {
            Some(client) => self.each(
                credit_items_sql!("AND p.client_id = $2", "AND n.client_id = $2"),
                &[&as_of, &client],
                &mut item,
            ),
            None => self.each(credit_items_sql!("", ""), &[&as_of], &mut item),
        }
    }

    fn closed_items(
        &mut self,
        after: Date,
        until: Date,
        f: &mut dyn FnMut(ClosedItem) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        // Closed by a payment, a discount or credit applied (not by a credit note or
        // a write-off); and those closed in the window that a reversal opened again
        // only after it.
        self.each(
            "SELECT client_id, currency, issue_date, due_date, closed_on, amount FROM invoices
             WHERE closed_on > $1 AND closed_on <= $2 AND voided_on IS NULL AND NOT closed_by_adjustment
             UNION ALL
             SELECT i.client_id, i.currency, i.issue_date, i.due_date, c.closed_on, i.amount
             FROM closings c JOIN invoices i ON i.id = c.invoice_id
             WHERE c.closed_on > $1 AND c.closed_on <= $2 AND c.reopened_on > $2 AND NOT c.by_adjustment",
            &[&after, &until],
            |r| {
                f(ClosedItem {
                    client_id: r.try_get(0)?,
                    currency: rows::currency(r, 1)?,
                    issue_date: r.try_get(2)?,
                    due_date: r.try_get(3)?,
                    closed_on: r.try_get(4)?,
                    amount: r.try_get(5)?,
                })
            },
        )
    }

    fn issued_amounts(
        &mut self,
        after: Date,
        until: Date,
        f: &mut dyn FnMut(Currency, i64) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        // An invoice closes on or after its issue date, so `closed_on > $1` holds for
        // every one issued in the window and lets the aging index serve. Invoices
        // void only after the window's end count too.
        self.each(
            "SELECT currency, amount FROM invoices
             WHERE closed_on > $1 AND issue_date > $1 AND issue_date <= $2 AND voided_on IS NULL
             UNION ALL
             SELECT currency, amount FROM invoices
             WHERE void_from > $2 AND issue_date > $1 AND issue_date <= $2 AND voided_on IS NOT NULL",
            &[&after, &until],
            |r| f(rows::currency(r, 0)?, r.try_get(1)?),
        )
    }

    fn payment_ref(&mut self, id: PaymentId) -> Result<Option<PaymentRef>> {
        self.settle()?;
        let Some(r) = self.row(
            "SELECT client_id, currency, date FROM payments WHERE id = $1",
            &[&id],
        )?
        else {
            return Ok(None);
        };
        Ok(Some(PaymentRef {
            id,
            client_id: r.try_get(0)?,
            currency: rows::currency(&r, 1)?,
            date: r.try_get(2)?,
        }))
    }

    fn entered(&mut self, entry: EntryKind, id: i64) -> Result<Option<(String, String)>> {
        self.settle()?;
        let sql = match entry {
            EntryKind::Client => {
                "SELECT b.entered_at, b.entered_by FROM clients t JOIN batches b ON b.id = t.batch WHERE t.id = $1"
            }
            EntryKind::Invoice => {
                "SELECT b.entered_at, b.entered_by FROM invoices t JOIN batches b ON b.id = t.batch WHERE t.id = $1"
            }
            EntryKind::Payment => {
                "SELECT b.entered_at, b.entered_by FROM payments t JOIN batches b ON b.id = t.batch WHERE t.id = $1"
            }
            EntryKind::Correction => {
                "SELECT b.entered_at, b.entered_by FROM corrections t JOIN batches b ON b.id = t.batch WHERE t.id = $1"
            }
        };
        let Some(r) = self.row(sql, &[&id])? else {
            return Ok(None);
        };
        Ok(Some((r.try_get(0)?, r.try_get(1)?)))
    }

    fn correction(&mut self, id: CorrectionId) -> Result<Option<Correction>> {
        self.settle()?;
        self.row(concat!(correction_select!(), " WHERE n.id = $1"), &[&id])?
            .map(|r| correction_row(&r))
            .transpose()
    }

    fn notes_with_credit(&mut self, client: ClientId, as_of: Date) -> Result<Vec<Correction>> {
        self.settle()?;
        let notes: Vec<Correction> = self
            .rows(
                concat!(
                    correction_select!(),
                    " WHERE n.client_id = $1 AND n.kind = 'credit_note' AND n.date <= $2
                      AND n.applied_on > $2 ORDER BY n.id"
                ),
                &[&client, &as_of],
            )?
            .iter()
            .map(correction_row)
            .collect::<Result<_>>()?;
        let mut out = Vec::new();
        for mut n in notes {
            let used: i64 = self
                .one(
                    "SELECT CAST(COALESCE(SUM(a.amount), 0) AS BIGINT) FROM allocations a
                     WHERE a.note_id = $1 AND a.date <= $2",
                    &[&n.id, &as_of],
                )?
                .try_get(0)?;
            let amount = n.amount.map_or(0, |m| m.minor);
            if amount > used {
                n.unapplied = Money::new(amount - used, n.currency);
                out.push(n);
            }
        }
        Ok(out)
    }

    fn reversal_of(&mut self, payment: PaymentId) -> Result<Option<Correction>> {
        self.settle()?;
        self.row(
            concat!(
                correction_select!(),
                " WHERE n.kind = 'reversal' AND n.payment_id = $1"
            ),
            &[&payment],
        )?
        .map(|r| correction_row(&r))
        .transpose()
    }

    fn corrections(
        &mut self,
        client: Option<ClientId>,
        f: &mut dyn FnMut(Correction) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        self.each(
            concat!(
                correction_select!(),
                " WHERE $1::bigint IS NULL OR n.client_id = $1 ORDER BY n.id"
            ),
            &[&client],
            |r| f(correction_row(r)?),
        )
    }

    fn client_changes(&mut self, f: &mut dyn FnMut(ClientChangeEntry) -> Result<()>) -> Result<()> {
        self.settle()?;
        self.each(
            "SELECT c.code, x.field, x.old, x.new, b.entered_at, b.entered_by FROM client_changes x
             JOIN clients c ON c.id = x.client_id JOIN batches b ON b.id = x.batch ORDER BY x.id",
            &[],
            |r| {
                f(ClientChangeEntry {
                    client: r.try_get(0)?,
                    field: r.try_get(1)?,
                    old: r.try_get(2)?,
                    new: r.try_get(3)?,
                    entered: rows::entered(r, 4)?,
                })
            },
        )
    }

    fn correction_allocations(&mut self, id: CorrectionId) -> Result<Vec<AllocationLine>> {
        self.settle()?;
        let Some(r) = self.row("SELECT currency FROM corrections WHERE id = $1", &[&id])? else {
            return Ok(Vec::new());
        };
        let currency = rows::currency(&r, 0)?;
        const SQL: &str = concat!(
            "SELECT ",
            line_columns!(),
            " FROM allocations a LEFT JOIN invoices i ON i.id = a.invoice_id
             WHERE a.correction_id = $1 ORDER BY a.id"
        );
        self.rows(SQL, &[&id])?
            .iter()
            .map(|r| allocation_line(r, currency))
            .collect()
    }

    fn log(
        &mut self,
        client: Option<ClientId>,
        since: Option<Date>,
        f: &mut dyn FnMut(LogEntry) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let since = since.map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
        self.each(LOG_SQL, &[&client, &since], |r| {
            let currency = rows::optional_currency(r, 8)?;
            let amount: Option<i64> = r.try_get(9)?;
            f(LogEntry {
                entered_at: r.try_get(0)?,
                entered_by: r.try_get(1)?,
                command: r.try_get(2)?,
                entry: r.try_get(4)?,
                id: r.try_get(5)?,
                client: r.try_get(6)?,
                date: r.try_get(7)?,
                amount: match (amount, currency) {
                    (Some(a), Some(c)) => Some(Money::new(a, c)),
                    _ => None,
                },
                currency,
                invoice: r.try_get(10)?,
                payment_id: r.try_get(11)?,
                detail: r.try_get::<_, Option<String>>(12)?.unwrap_or_default(),
            })
        })
    }

    /// The server keeps its pages and foreign keys itself: what is left to check is
    /// what has no foreign key because it is derived. Allocations refer to what
    /// exists, and their invoice, payment, credit note and correction are of one
    /// client and currency; closings are of invoices that exist.
    fn integrity_problems(&mut self) -> Result<Vec<String>> {
        self.settle()?;
        let mut problems = Vec::new();
        let rows = self.rows(
            "SELECT a.id, COALESCE(a.invoice_id, 0), COALESCE(a.payment_id, a.note_id, a.correction_id, 0),
                    a.invoice_id IS NOT NULL AND i.id IS NULL,
                    (a.payment_id IS NOT NULL AND p.id IS NULL) OR (a.note_id IS NOT NULL AND n.id IS NULL)
                    OR (a.correction_id IS NOT NULL AND c.id IS NULL)
                    OR COALESCE(a.invoice_id, a.payment_id, a.note_id, a.correction_id) IS NULL
             FROM allocations a
             LEFT JOIN invoices i ON i.id = a.invoice_id LEFT JOIN payments p ON p.id = a.payment_id
             LEFT JOIN corrections n ON n.id = a.note_id LEFT JOIN corrections c ON c.id = a.correction_id
             WHERE (a.invoice_id IS NOT NULL AND i.id IS NULL) OR (a.payment_id IS NOT NULL AND p.id IS NULL)
                OR (a.note_id IS NOT NULL AND n.id IS NULL) OR (a.correction_id IS NOT NULL AND c.id IS NULL)
                OR COALESCE(a.invoice_id, a.payment_id, a.note_id, a.correction_id) IS NULL
                OR COALESCE(i.client_id, p.client_id, n.client_id, c.client_id) <>
                   COALESCE(p.client_id, n.client_id, c.client_id, i.client_id)
                OR COALESCE(i.currency, p.currency, n.currency, c.currency) <>
                   COALESCE(p.currency, n.currency, c.currency, i.currency)
             ORDER BY a.id",
            &[],
        )?;
        for r in &rows {
            let (id, invoice, payment): (i64, i64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            let (no_invoice, no_payment): (bool, bool) = (r.try_get(3)?, r.try_get(4)?);
            problems.push(if no_invoice {
                format!("allocation {id} refers to invoice id {invoice}, which does not exist")
            } else if no_payment {
                format!("allocation {id} refers to a payment or correction (id {payment}) that does not exist")
            } else {
                format!("allocation {id} puts payment {payment} on invoice id {invoice} of another client or currency")
            });
        }
        let rows = self.rows(
            "SELECT c.invoice_id, c.closed_on FROM closings c LEFT JOIN invoices i ON i.id = c.invoice_id
             WHERE i.id IS NULL ORDER BY c.invoice_id, c.closed_on",
            &[],
        )?;
        for r in &rows {
            let (invoice, closed_on): (i64, Date) = (r.try_get(0)?, r.try_get(1)?);
            problems.push(format!(
                "a closing on {closed_on} refers to invoice id {invoice}, which does not exist"
            ));
        }
        Ok(problems)
    }

    fn each_client(
        &mut self,
        limit_currency: Currency,
        f: &mut dyn FnMut(Client) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        self.each(
            "SELECT c.id, c.code, c.name, c.email, c.credit_limit, c.terms_days, c.discount_bp, c.discount_days,
                    b.entered_at, b.entered_by
             FROM clients c LEFT JOIN batches b ON b.id = c.batch ORDER BY c.id",
            &[],
            |r| {
                let mut client = client_row(r, limit_currency)?;
                client.entered = rows::entered(r, 8)?;
                f(client)
            },
        )
    }

    /// No joins: both tables are read front to back in id order, with client codes,
    /// invoice numbers and batches remembered by id (a join would be a sort of the
    /// whole table, or a look-up per row).
    fn each_invoice_and_payment(
        &mut self,
        invoice: &mut dyn FnMut(Invoice) -> Result<()>,
        payment: &mut dyn FnMut(Payment) -> Result<()>,
    ) -> Result<()> {
        self.settle()?;
        let mut codes = ById::default();
        self.each("SELECT id, code FROM clients ORDER BY id", &[], |r| {
            codes.push(r.try_get(0)?, r.try_get(1)?);
            Ok(())
        })?;
        let code = |id: i64| -> Result<String> {
            codes
                .get(id)
                .map(str::to_string)
                .ok_or_else(|| internal!("no client has id {id}").into())
        };
        // (Batches are few: one a command.)
        let mut batches: hashbrown::HashMap<i64, Entered> = hashbrown::HashMap::new();
        self.each("SELECT id, entered_at, entered_by FROM batches", &[], |r| {
            batches.insert(
                r.try_get(0)?,
                Entered {
                    entered_at: r.try_get(1)?,
                    entered_by: r.try_get(2)?,
                },
            );
            Ok(())
        })?;
        let batch = |r: &Row, at: usize| -> Result<Option<Entered>> {
            Ok(r.try_get::<_, Option<i64>>(at)?
                .and_then(|b| batches.get(&b).cloned()))
        };
        let everything = crate::domain::dates::end_of_time();
        let mut numbers = ById::default();
        const INVOICES: &str = concat!(
            "SELECT ",
            invoice_columns!("i.client_id", net),
            ", i.batch, i.void_batch FROM invoices i ORDER BY i.id"
        );
        self.each(INVOICES, &[], |r| {
            let mut inv = invoice_row(r, code(r.try_get(2)?)?, everything)?;
            inv.entered = batch(r, 17)?;
            inv.void_entered = batch(r, 18)?;
            numbers.push(inv.id, &inv.number);
            invoice(inv)
        })?;
        const PAYMENTS: &str = concat!(
            "SELECT ",
            payment_columns!("p.client_id", "p.invoice_id", stored),
            ", p.batch FROM payments p ORDER BY p.id"
        );
        self.each(PAYMENTS, &[], |r| {
            let number = r
                .try_get::<_, Option<i64>>(5)?
                .and_then(|id| numbers.get(id))
                .map(str::to_string);
            let mut p = payment_row(r, code(r.try_get(1)?)?, number)?;
            p.entered = batch(r, 8)?;
            payment(p)
        })
    }

    fn replay_scope(&mut self, client: ClientId, from: Date) -> Result<ReplayScope> {
        self.scope(client, from)
    }

    fn derived_state(&mut self, client: ClientId) -> Result<StoredDerived> {
        self.stored_derived(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_id_are_found_dense_or_not() {
        let mut by_id = ById::default();
        for (id, v) in [(1, "a"), (2, "bc"), (5, ""), (9, "def")] {
            by_id.push(id, v);
        }
        assert_eq!(by_id.get(1), Some("a"));
        assert_eq!(by_id.get(2), Some("bc"));
        assert_eq!(by_id.get(5), Some(""));
        assert_eq!(by_id.get(9), Some("def"));
        assert_eq!(by_id.get(3), None);
        assert_eq!(by_id.get(0), None);
        assert_eq!(ById::default().get(1), None);
        assert_eq!(rows::NOT_YET.to_string(), "9999-12-31");
    }
}
