//! The one replay driver: for each client a write touched, read the facts its replay
//! needs from the store, run `engine::replay` (the one definition of allocation),
//! and hand the outcome back to the store. Every write path ends here; so does
//! `ar check`, which runs the same replay from the beginning and compares.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::domain::Date;
use crate::engine::replay::{ReplayOutcome, replay};
use crate::store::{ClientId, ReadTxn, ReplayScope, WriteTxn};

/// Replay every client of `plan` from its date (clients in id order), saving the
/// outcomes. The clients were locked by the batch that entered their facts.
pub(super) fn replay_plan(txn: &mut dyn WriteTxn, plan: BTreeMap<ClientId, Date>) -> Result<()> {
    for (client, from) in plan {
        let scope = txn.replay_scope(client, from)?;
        // No payment dated from then on: nothing can have moved (allocations come
        // from payments only), and the store holds no allocation from then on.
        if scope.payments.is_empty() {
            continue;
        }
        let from = scope.from;
        txn.save_replay(client, from, replay_scope(scope))?;
    }
    Ok(())
}

/// The replay of one scope.
pub(super) fn replay_scope(scope: ReplayScope) -> ReplayOutcome {
    replay(scope.invoices, scope.payments)
}

/// What a fresh replay of `client` from the beginning derives: from its facts
/// alone, whatever the store holds as derived.
pub(super) fn fresh_replay(txn: &mut dyn ReadTxn, client: ClientId) -> Result<ReplayOutcome> {
    let scope = txn.replay_scope(client, Date::MIN)?;
    Ok(replay_scope(scope))
}
