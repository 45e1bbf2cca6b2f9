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
            // payments_client_date serves the replay only, which runs after the rows
            // are in: it is rebuilt first (`restore_for_replay`).
            BulkLoad::Payments => &["invoices_open_at", "payments_credit_at", "payments_client_date"],
        }
    }
}

/// Indexes the replay reads: restored before it runs.
const REPLAY_INDEXES: &[&str] = &["payments_client_date"];

/// The DDL of the dropped indexes, as the schema itself had it.
pub struct DroppedIndexes(Vec<(String, String)>);

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
                ddl.push((name.to_string(), sql));
            }
        }
        // A larger page cache while the ledger is rewritten wholesale, and both cores
        // for the sorts that rebuild the indexes.
        self.conn.pragma_update(None, "cache_size", -96_000)?;
        self.conn.pragma_update(None, "threads", 2)?;
        Ok(DroppedIndexes(ddl))
    }

    /// Rebuild the dropped indexes the replay needs; the rest stay dropped.
    pub fn restore_for_replay(&self, dropped: &mut DroppedIndexes) -> Result<()> {
        let (now, later): (Vec<_>, Vec<_>) = dropped
            .0
            .drain(..)
            .partition(|(name, _)| REPLAY_INDEXES.contains(&name.as_str()));
        for (_, sql) in now {
            self.conn.execute_batch(&sql)?;
        }
        dropped.0 = later;
        Ok(())
    }

    pub fn restore_indexes(&self, dropped: DroppedIndexes) -> Result<()> {
        for (_, sql) in dropped.0 {
            self.conn.execute_batch(&sql)?;
        }
        self.conn.pragma_update(None, "cache_size", -32_000)?;
        self.conn.pragma_update(None, "threads", 0)?;
        Ok(())
    }
}
