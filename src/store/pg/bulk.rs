//! Bulk mode on PostgreSQL: a large write into an empty ledger keeps its rows in
//! memory, replays them there, and copies them in with their final derived values.

use anyhow::Result;

use super::PgTxn;
use crate::domain::Date;
use crate::store::*;

pub(super) struct Bulk {}

impl Bulk {
    /// Bulk mode for the write transaction `tx`, if the ledger is empty.
    pub(super) fn start(_tx: &mut postgres::Transaction<'_>) -> Result<Option<Bulk>> {
        Ok(None)
    }
}

impl PgTxn<'_> {
    /// Write out whatever bulk mode holds in memory and leave bulk mode, so the
    /// tables answer every question (a no-op outside bulk mode).
    pub(super) fn settle(&mut self) -> Result<()> {
        Ok(())
    }

    /// [`WriteTxn::replay_clients`] in bulk mode.
    pub(super) fn bulk_replay(&mut self, plan: &[(ClientId, Date)], replay: &ReplayFn<'_>) -> Result<()> {
        self.settle()?;
        replay_each(self, plan, replay)
    }
}
