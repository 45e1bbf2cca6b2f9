//! `ar check`: a ledger that checks itself. The store's own integrity checks, then,
//! client by client, every derived value the store holds (allocations, what each
//! invoice has settled and when it closed, what each payment holds as credit and
//! until when) against a fresh replay of the facts alone, through the same replay
//! every write uses. It only reads.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;

use super::Ledger;
use super::replay::replay_scope;
use crate::domain::{Currency, Date, Money};
use crate::engine::replay::{Allocation, CorrectionState, InvoiceState, PaymentState};
use crate::store::{ReplayScope, StoredDerived, StoredInvoiceState};

/// What `ar check` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub clients: u64,
    pub invoices: u64,
    pub payments: u64,
    pub allocations: u64,
    pub corrections: u64,
    /// Problems the store found in its own storage.
    pub integrity: Vec<String>,
    /// Derived values that differ from a fresh replay.
    pub differences: Vec<Difference>,
}

impl CheckReport {
    pub fn is_sound(&self) -> bool {
        self.integrity.is_empty() && self.differences.is_empty()
    }
}

/// One stored derived value that a fresh replay does not give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub client: String,
    /// `invoice INV-0007`, `payment 42`, `allocation of payment 42 to INV-0007`.
    pub entry: String,
    /// `settled`, `closed_on`, `unapplied`, `applied_on`, or `amount` for allocations.
    pub field: &'static str,
    /// As stored, and as the replay derives it (`none` where there is none).
    pub stored: String,
    pub replayed: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "client {}: {} {}: stored {}, replayed {}",
            self.client, self.entry, self.field, self.stored, self.replayed
        )
    }
}

impl Ledger {
    /// Check the ledger (see the module doc).
    pub fn check(&mut self) -> Result<CheckReport> {
        self.read(|txn, _| {
            let mut report = CheckReport {
                integrity: txn.integrity_problems()?,
                ..CheckReport::default()
            };
            let codes: HashMap<i64, String> =
                txn.client_refs()?.into_iter().map(|c| (c.id, c.code)).collect();
            txn.each_client_state(&mut |client, scope, stored| {
                let code = codes
                    .get(&client)
                    .map_or_else(|| format!("#{client}"), String::clone);
                check_client(&code, scope, &stored, &mut report);
                Ok(())
            })?;
            Ok(report)
        })
    }
}

/// Compare what the store holds for one client with a fresh replay of its facts.
fn check_client(code: &str, scope: ReplayScope, stored: &StoredDerived, report: &mut CheckReport) {
    let fresh = replay_scope(scope);
    report.clients += 1;
    report.invoices += stored.invoices.len() as u64;
    report.payments += stored.payments.len() as u64;
    report.allocations += stored.allocations.len() as u64;
    let invoices: HashMap<i64, &StoredInvoiceState> =
        stored.invoices.iter().map(|i| (i.state.id, i)).collect();
    let number = |id: i64| {
        invoices
            .get(&id)
            .map_or_else(|| format!("invoice id {id}"), |i| i.number.clone())
    };
    let money = |minor: i64, currency: Option<Currency>| match currency {
        Some(c) => Money::new(minor, c).to_string(),
        None => format!("{minor} (minor units)"),
    };
    let mut differ = |entry: String, field: &'static str, stored: String, replayed: String| {
        report.differences.push(Difference {
            client: code.to_string(),
            entry,
            field,
            stored,
            replayed,
        });
    };

    // Invoices: a replay reports those it saw; one it did not see (of a client
    // with nothing to replay) has nothing settled and is not closed.
    let replayed: HashMap<i64, &InvoiceState> = fresh.invoices.iter().map(|s| (s.id, s)).collect();
    for inv in &stored.invoices {
        let expected = match replayed.get(&inv.state.id) {
            Some(s) => (s.settled, s.closed_on, s.closed_by_adjustment),
            _ => (0, None, false),
        };
        let entry = || format!("invoice {}", inv.number);
        if inv.state.settled != expected.0 {
            let c = Some(inv.currency);
            differ(
                entry(),
                "settled",
                money(inv.state.settled, c),
                money(expected.0, c),
            );
        }
        if inv.state.closed_on != expected.1 {
            differ(entry(), "closed_on", day(inv.state.closed_on), day(expected.1));
        }
        if inv.state.closed_by_adjustment != expected.2 {
            differ(
                entry(),
                "closed_by_adjustment",
                inv.state.closed_by_adjustment.to_string(),
                expected.2.to_string(),
            );
        }
    }
    // Corrections: what each did.
    let replayed: HashMap<i64, &CorrectionState> = fresh.corrections.iter().map(|s| (s.id, s)).collect();
    for c in &stored.corrections {
        let entry = || format!("correction {}", c.id);
        match replayed.get(&c.id) {
            None => differ(entry(), "replay", "present".into(), "missing".into()),
            Some(s) => {
                if c.done != Some(s.done) {
                    let stored = c.done.map_or_else(|| "none".into(), |d| d.to_string());
                    differ(entry(), "done", stored, s.done.to_string());
                }
                if c.unapplied != s.unapplied {
                    differ(
                        entry(),
                        "unapplied",
                        c.unapplied.to_string(),
                        s.unapplied.to_string(),
                    );
                }
                if c.applied_on != s.applied_on {
                    differ(entry(), "applied_on", day(c.applied_on), day(s.applied_on));
                }
            }
        }
    }
    report.corrections += stored.corrections.len() as u64;
    // A fresh replay of facts the ledger accepted refuses none of them.
    for problem in &fresh.problems {
        differ("replay".into(), "refusal", "none".into(), format!("{problem:?}"));
    }
    // Closings a reversal undid.
    let mut fresh_closings = fresh.closings.clone();
    fresh_closings.sort_by_key(|c| (c.invoice_id, c.closed_on));
    if fresh_closings != stored.closings {
        differ(
            "closings undone".into(),
            "list",
            format!("{:?}", stored.closings),
            format!("{fresh_closings:?}"),
        );
    }
    // Payments: every payment of the client is in the replay.
    let replayed: HashMap<i64, &PaymentState> = fresh.payments.iter().map(|s| (s.id, s)).collect();
    for stored_payment in &stored.payments {
        let p = &stored_payment.state;
        let c = Some(stored_payment.currency);
        let entry = || format!("payment {}", p.id);
        match replayed.get(&p.id) {
            None => differ(entry(), "replay", "present".into(), "missing".into()),
            Some(s) => {
                if p.unapplied != s.unapplied {
                    differ(entry(), "unapplied", money(p.unapplied, c), money(s.unapplied, c));
                }
                if p.applied_on != s.applied_on {
                    differ(entry(), "applied_on", day(p.applied_on), day(s.applied_on));
                }
            }
        }
    }
    // Allocations, compared as sets.
    for (a, stored_has, replay_has) in allocation_differences(stored, &fresh.allocations) {
        let c = a.invoice_id.and_then(|i| invoices.get(&i)).map(|i| i.currency);
        let from = match (a.payment_id, a.correction_id) {
            (Some(p), _) => format!("payment {p}"),
            (None, Some(n)) => format!("correction {n}"),
            (None, None) => "nothing".into(),
        };
        let to = a.invoice_id.map_or_else(|| "no invoice".to_string(), number);
        differ(
            format!("allocation of {from} to {to} ({}, {})", a.kind.as_str(), a.date),
            "amount",
            if stored_has {
                money(a.amount, c)
            } else {
                "none".into()
            },
            if replay_has {
                money(a.amount, c)
            } else {
                "none".into()
            },
        );
    }
}

/// Allocations in one list and not the other: (allocation, stored has it, replay has it).
fn allocation_differences(stored: &StoredDerived, replayed: &[Allocation]) -> Vec<(Allocation, bool, bool)> {
    type Key = (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        &'static str,
        Date,
        i64,
        bool,
    );
    let key = |a: &Allocation| -> Key {
        (
            a.payment_id,
            a.invoice_id,
            a.note_id,
            a.correction_id,
            a.kind.as_str(),
            a.date,
            a.amount,
            a.held,
        )
    };
    let mut counts: HashMap<Key, (i64, Allocation)> = HashMap::new();
    for a in &stored.allocations {
        counts.entry(key(a)).or_insert((0, a.clone())).0 += 1;
    }
    for a in replayed {
        counts.entry(key(a)).or_insert((0, a.clone())).0 -= 1;
    }
    let mut out: Vec<(Allocation, bool, bool)> = counts
        .into_values()
        .filter(|(n, _)| *n != 0)
        .map(|(n, a)| (a, n > 0, n < 0))
        .collect();
    out.sort_by_key(|(a, _, _)| (a.payment_id, a.invoice_id, a.date, a.amount));
    out
}

fn day(d: Option<Date>) -> String {
    d.map_or_else(|| "none".into(), |d| d.to_string())
}
