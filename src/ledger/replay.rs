//! The one replay driver: the clients a write touched, each with the earliest date
//! its allocations can have moved from, handed to the store with `engine::replay`
//! (the one definition of allocation) to run on the facts it holds and to save.
//! Every write path ends here; `ar check` runs the same replay from the beginning
//! and compares.
//!
//! How the store runs the replays it is handed is its own business: a bulk load
//! replays the whole ledger from memory on a second thread (`store/sqlite/bulk.rs`).

use anyhow::Result;

use crate::domain::Date;
use crate::engine::replay::{ReplayOutcome, replay};
use crate::store::{ClientId, ReplayScope, WriteTxn};

/// Replay every client of `plan` (in id order) from its date, saving the outcomes.
/// The clients were locked by the batch that entered their facts.
pub(super) fn replay_plan(txn: &mut dyn WriteTxn, plan: Vec<(ClientId, Date)>) -> Result<()> {
    txn.replay_clients(&plan, &replay)
}

/// The replay of one scope.
pub(super) fn replay_scope(scope: ReplayScope) -> ReplayOutcome {
    replay(scope.invoices, scope.payments)
}
