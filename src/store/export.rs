//! Streaming every fact of the ledger out, in entry order, for `ar export`.

use anyhow::Result;

use super::Db;
use super::clients::{CLIENT_COLUMNS, client_row};
use super::invoices::{INVOICE_COLUMNS, invoice_row_with};
use super::payments::{PAYMENT_COLUMNS, payment_row_with};
use crate::domain::Currency;
use crate::domain::entities::{Client, Invoice, Payment};

impl Db<'_> {
    /// The ledger's settings, less the marker of a demo ledger (an export of the
    /// demo imported elsewhere is a real ledger).
    pub fn settings_all(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM settings WHERE key <> 'demo' ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn each_client(
        &self,
        limit_currency: Currency,
        mut f: impl FnMut(Client) -> Result<()>,
    ) -> Result<()> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY id");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(client_row(r, limit_currency)?)?;
        }
        Ok(())
    }

    /// Every invoice, void ones included, in entry order, then every payment in entry
    /// order (the tie-break of the replay order). No joins: both tables are read
    /// front to back, with client codes and invoice numbers remembered by id (a join
    /// is a random look-up per row, most of an export's time on a large ledger).
    pub fn each_invoice_and_payment(
        &self,
        mut invoice: impl FnMut(Invoice) -> Result<()>,
        mut payment: impl FnMut(Payment) -> Result<()>,
    ) -> Result<()> {
        let codes = self.client_codes()?;
        let ids: Vec<i64> = codes.iter().map(|(id, _)| *id).collect();
        let code = |id: i64| -> rusqlite::Result<String> {
            let i = dense_index(&ids, id).ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            Ok(codes[i].1.clone())
        };

        let mut numbers = NumberTable::default();
        let columns = INVOICE_COLUMNS.replace("c.code", "i.client_id");
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {columns} FROM invoices i ORDER BY i.id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (inv, _) = invoice_row_with(r, code(r.get(2)?)?)?;
            numbers.push(inv.id, &inv.number);
            invoice(inv)?;
        }
        let columns = PAYMENT_COLUMNS
            .replace("c.code", "p.client_id")
            .replace("i.number", "p.invoice_id");
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {columns} FROM payments p ORDER BY p.id"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let number = r
                .get::<_, Option<i64>>(5)?
                .and_then(|id| numbers.get(id))
                .map(str::to_string);
            payment(payment_row_with(r, code(r.get(1)?)?, number)?)?;
        }
        Ok(())
    }

    /// (id, code) of every client, ordered by id.
    fn client_codes(&self) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare("SELECT id, code FROM clients ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Invoice numbers by id in one buffer (ids arrive in increasing order): a million
/// numbers cost ~25 MB instead of a map of strings' ~100 MB.
#[derive(Default)]
struct NumberTable {
    ids: Vec<i64>,
    ends: Vec<u32>,
    text: String,
}

impl NumberTable {
    fn push(&mut self, id: i64, number: &str) {
        self.ids.push(id);
        self.text.push_str(number);
        self.ends.push(self.text.len() as u32);
    }

    fn get(&self, id: i64) -> Option<&str> {
        let i = dense_index(&self.ids, id)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize)
    }
}

/// Position of `id` in sorted `ids`: direct when the ids run without gaps (rows are
/// never deleted, so they nearly always do), else by binary search.
fn dense_index(ids: &[i64], id: i64) -> Option<usize> {
    let first = *ids.first()?;
    let guess = usize::try_from(id - first).ok()?;
    if ids.get(guess) == Some(&id) {
        return Some(guess);
    }
    ids.binary_search(&id).ok()
}
