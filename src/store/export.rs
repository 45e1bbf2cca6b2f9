//! Streaming every fact of the ledger out, in entry order, for `ar export`.

use anyhow::Result;

use super::Db;
use super::clients::{CLIENT_COLUMNS, client_row};
use super::invoices::{INVOICE_COLUMNS, invoice_row};
use super::payments::{PAYMENT_COLUMNS, payment_row};
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

    /// Every invoice, void ones included, in entry order.
    pub fn each_invoice(&self, mut f: impl FnMut(Invoice) -> Result<()>) -> Result<()> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices i JOIN clients c ON c.id = i.client_id ORDER BY i.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(invoice_row(r)?.0)?;
        }
        Ok(())
    }

    /// Every payment in entry order (the tie-break of the replay order).
    pub fn each_payment(&self, mut f: impl FnMut(Payment) -> Result<()>) -> Result<()> {
        let sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments p JOIN clients c ON c.id = p.client_id
             LEFT JOIN invoices i ON i.id = p.invoice_id ORDER BY p.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(payment_row(r)?)?;
        }
        Ok(())
    }
}
