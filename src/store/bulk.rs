//! Bulk-load mode: a large import drops the indexes only reports read, and rebuilds
//! them at the end inside the same transaction. Building an index by sorting a
//! million rows once is several times faster than updating it a million times.

use anyhow::Result;

use super::Db;

/// Indexes no write path reads: reports only. Lookups the import itself needs
/// (numbers, codes, a client's open invoices and payments) keep theirs. Which are
/// dropped depends on what is loaded: an index the load does not change is kept.
pub enum BulkLoad {
    /// Invoices (and perhaps payments): every report index changes.
    Invoices,
    /// Payments only: the replay moves invoices' closing dates and payments' credit.
    Payments,
}

impl BulkLoad {
    fn indexes(&self) -> &'static [&'static str] {
        match self {
            BulkLoad::Invoices => &["invoices_open_at", "invoices_issued", "payments_credit_at"],
            BulkLoad::Payments => &["invoices_open_at", "payments_credit_at"],
        }
    }
}

/// The DDL of the dropped indexes, as the schema itself had it.
pub struct DroppedIndexes(Vec<String>);

impl Db<'_> {
    pub fn drop_report_indexes(&self, load: BulkLoad) -> Result<DroppedIndexes> {
        let mut ddl = Vec::new();
        for name in load.indexes() {
            let sql: Option<String> = self
                .conn
                .query_row(
                    "SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .ok();
            if let Some(sql) = sql {
                self.conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
                ddl.push(sql);
            }
        }
        // A larger page cache while the ledger is rewritten wholesale.
        self.conn.pragma_update(None, "cache_size", -96_000)?;
        Ok(DroppedIndexes(ddl))
    }

    pub fn restore_indexes(&self, dropped: DroppedIndexes) -> Result<()> {
        for sql in dropped.0 {
            self.conn.execute_batch(&sql)?;
        }
        self.conn.pragma_update(None, "cache_size", -32_000)?;
        Ok(())
    }
}
