//! The replay's side of the store on PostgreSQL: the scope a replay of one client
//! starts from, saving what it derived, and what `ar check` compares.

use anyhow::Result;

use super::PgTxn;
use crate::domain::Date;
use crate::store::*;

impl PgTxn<'_> {
    /// [`ReadTxn::replay_scope`].
    pub(super) fn scope(&mut self, client: ClientId, from: Date) -> Result<ReplayScope> {
        todo!("scope {client} {from}")
    }

    /// [`ReadTxn::derived_state`].
    pub(super) fn stored_derived(&mut self, client: ClientId) -> Result<StoredDerived> {
        todo!("derived {client}")
    }

    /// [`WriteTxn::save_replay`].
    pub(super) fn save(&mut self, client: ClientId, scope_from: Date, outcome: ReplayOutcome) -> Result<()> {
        todo!("save {client} {scope_from} {}", outcome.allocations.len())
    }
}
