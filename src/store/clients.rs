//! Client rows.

use anyhow::Result;
use rusqlite::{OptionalExtension, Row, params};

use super::Db;
use crate::domain::entities::Client;
use crate::domain::{Currency, Money, Terms};

pub(super) const CLIENT_COLUMNS: &str =
    "id, code, name, email, credit_limit, terms_days, discount_bp, discount_days";

pub(super) fn client_row(row: &Row, limit_currency: Currency) -> rusqlite::Result<Client> {
    Ok(Client {
        id: row.get(0)?,
        code: row.get(1)?,
        name: row.get(2)?,
        email: row.get(3)?,
        credit_limit: row
            .get::<_, Option<i64>>(4)?
            .map(|m| Money::new(m, limit_currency)),
        terms: Terms {
            net_days: row.get(5)?,
            discount_bp: row.get(6)?,
            discount_days: row.get(7)?,
        },
    })
}

impl Db<'_> {
    /// Insert a client; returns its id. The caller has checked the code is free.
    pub fn insert_client(&self, c: &Client) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO clients (code, name, email, credit_limit, terms_days, discount_bp, discount_days)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                c.code,
                c.name,
                c.email,
                c.credit_limit.map(|m| m.minor),
                c.terms.net_days,
                c.terms.discount_bp,
                c.terms.discount_days
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn update_client(&self, c: &Client) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE clients SET name = ?2, email = ?3, credit_limit = ?4, terms_days = ?5, discount_bp = ?6,
                 discount_days = ?7 WHERE id = ?1",
            )?
            .execute(params![
                c.id,
                c.name,
                c.email,
                c.credit_limit.map(|m| m.minor),
                c.terms.net_days,
                c.terms.discount_bp,
                c.terms.discount_days
            ])?;
        Ok(())
    }

    pub fn client_code(&self, id: i64) -> Result<String> {
        Ok(self
            .conn
            .prepare_cached("SELECT code FROM clients WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?)
    }

    /// Find a client by code, case-insensitively.
    pub fn find_client(&self, code: &str, limit_currency: Currency) -> Result<Option<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE code = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([code.trim()], |r| client_row(r, limit_currency))
            .optional()?)
    }

    /// Every client, ordered by code.
    pub fn list_clients(&self, limit_currency: Currency) -> Result<Vec<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY code");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| client_row(r, limit_currency))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
