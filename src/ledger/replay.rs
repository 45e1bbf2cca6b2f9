//! The one replay driver: for each client a write touched, read the facts its replay
//! needs from the store, run `engine::replay` (the one definition of allocation),
//! and hand the outcome back to the store. Every write path ends here; so does
//! `ar check`, which runs the same replay from the beginning and compares.
//!
//! ## Performance
//! A large batch (an import) replays thousands of clients. The replays are pure, so
//! they run on a second thread while this one reads the next scopes and saves the
//! outcomes: the store's reads and writes, where most of the time goes, overlap the
//! computing. The store is only ever used from this thread, in client order for
//! the reads.

use anyhow::Result;

use crate::domain::Date;
use crate::engine::replay::{ReplayOutcome, replay};
use crate::store::{ClientId, ReplayScope, WriteTxn};

/// From this many clients, replays are computed on a second thread.
const PIPELINED_FROM: usize = 64;

/// Outcomes in flight between the two threads (bounded memory).
const IN_FLIGHT: usize = 32;

/// Replay every client of `plan` (in id order) from its date, saving the outcomes.
/// The clients were locked by the batch that entered their facts.
pub(super) fn replay_plan(txn: &mut dyn WriteTxn, plan: Vec<(ClientId, Date)>) -> Result<()> {
    if plan.len() < PIPELINED_FROM {
        for (client, from) in plan {
            if let Some(scope) = scope_of(txn, client, from)? {
                let from = scope.from;
                txn.save_replay(client, from, replay_scope(scope))?;
            }
        }
        return Ok(());
    }
    std::thread::scope(|threads| -> Result<()> {
        let (to_replay, scopes) = std::sync::mpsc::sync_channel::<(ClientId, ReplayScope)>(IN_FLIGHT);
        let (to_save, outcomes) = std::sync::mpsc::sync_channel::<(ClientId, Date, ReplayOutcome)>(IN_FLIGHT);
        let replayer = threads.spawn(move || {
            for (client, scope) in scopes {
                let from = scope.from;
                // (A failed send: this thread saves no more, and says why.)
                if to_save.send((client, from, replay_scope(scope))).is_err() {
                    return;
                }
            }
        });
        let mut in_flight = 0usize;
        let mut result = Ok(());
        for (client, from) in plan {
            let scope = match scope_of(txn, client, from) {
                Ok(Some(scope)) => scope,
                Ok(None) => continue,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            if to_replay.send((client, scope)).is_err() {
                break; // the replayer is gone: its join below says why
            }
            in_flight += 1;
            // Keep the replayer busy, and what waits to be saved bounded.
            while in_flight >= IN_FLIGHT / 2 {
                let Ok((client, from, outcome)) = outcomes.recv() else {
                    break;
                };
                in_flight -= 1;
                if let Err(e) = txn.save_replay(client, from, outcome) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        drop(to_replay);
        if result.is_ok() {
            for (client, from, outcome) in outcomes.iter() {
                if let Err(e) = txn.save_replay(client, from, outcome) {
                    result = Err(e);
                    break;
                }
            }
        }
        drop(outcomes);
        replayer
            .join()
            .map_err(|_| crate::internal!("the replay thread panicked"))?;
        result
    })
}

/// The scope of a replay of `client` from `from`, unless nothing can have moved: no
/// payment dated from then on (allocations come from payments only, and the store
/// holds none from then on).
fn scope_of(txn: &mut dyn WriteTxn, client: ClientId, from: Date) -> Result<Option<ReplayScope>> {
    let scope = txn.replay_scope(client, from)?;
    Ok((!scope.payments.is_empty()).then_some(scope))
}

/// The replay of one scope.
pub(super) fn replay_scope(scope: ReplayScope) -> ReplayOutcome {
    replay(scope.invoices, scope.payments)
}
