//! The one replay driver: the clients a write touched, each with the earliest date
//! its allocations can have moved from, handed to the store with `engine::replay`
//! (the one definition of allocation) to run on the facts it holds and to save.
//! Every write path ends here; `ar check` runs the same replay from the beginning
//! and compares.
//!
//! How the store runs the replays it is handed is its own business: a bulk load
//! replays the whole ledger from memory on a second thread (`store/sqlite/bulk.rs`).

use std::sync::Mutex;

use anyhow::Result;

use crate::domain::Date;
use crate::engine::replay::{Problem, ReplayOutcome, replay};
use crate::store::{ClientId, ReplayScope, WriteTxn};

/// Replay every client of `plan` (in id order) from its date, saving the outcomes,
/// and say what in them a write must not do (the batch then refuses, and its
/// transaction is rolled back). The clients were locked by the batch that entered
/// their facts.
pub(super) fn replay_plan(txn: &mut dyn WriteTxn, plan: Vec<(ClientId, Date)>) -> Result<Vec<Problem>> {
    let problems = Mutex::new(Vec::new());
    txn.replay_clients(&plan, &|invoices, payments, corrections| {
        let outcome = replay(invoices, payments, corrections);
        if !outcome.problems.is_empty()
            && let Ok(mut all) = problems.lock()
        {
            all.extend(outcome.problems.iter().cloned());
        }
        outcome
    })?;
    Ok(problems.into_inner().unwrap_or_default())
}

/// The replay of one scope.
pub(super) fn replay_scope(scope: ReplayScope) -> ReplayOutcome {
    replay(scope.invoices, scope.payments, scope.corrections)
}
