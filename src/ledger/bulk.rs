//! The whole-ledger work of a bulk import, done in memory from front-to-back reads:
//! an invoice directory that payment rows look their invoice up in, and the replay
//! of every client at the end of the load.
//!
//! A million random look-ups into SQLite (by number for each payment row, by client
//! for each replay) cost more than reading both tables in entry order once. The
//! allocation rules stay in `engine::replay`; this module only groups and compares.

use anyhow::{Result, bail};
use hashbrown::HashTable;

use crate::engine::replay::{InvoiceState, PaymentState, ReplayInvoice, ReplayPayment, replay};
use std::sync::mpsc::SyncSender;

use crate::engine::replay::Allocation;
use crate::store::{Db, InvoiceRef, StoredInvoice, StoredPayment};

/// Allocations are written this many at a time (bounded memory, one statement).
const ALLOCATION_CHUNK: usize = 16_384;

/// Every invoice of the ledger, found by number.
pub(super) struct InvoiceDirectory {
    invoices: Vec<StoredInvoice>,
    numbers: NumberIndex,
}

impl InvoiceDirectory {
    /// Read every invoice. `known`: the numbers of every invoice in the ledger, in
    /// entry order, when the caller has them (a bulk load into an empty table, with
    /// its own index of the numbers it loaded): kept instead of built again.
    pub(super) fn load(db: &Db, known: Option<NumberIndex>) -> Result<InvoiceDirectory> {
        let count = db.invoice_count()?;
        let mut invoices = Vec::with_capacity(count);
        let known = known.filter(|k| k.len() == count);
        let mut numbers = NumberIndex::with_capacity(if known.is_some() { 0 } else { count });
        let mut agree = true;
        db.scan_invoices(|inv, number| {
            match &known {
                Some(k) => agree &= k.get(invoices.len()) == number,
                // Numbers in the ledger are distinct (its unique index, or a bulk
                // load's own check while that is down): each is added without a
                // look-up first, and lands at its row's place.
                None => numbers.add_distinct(number),
            }
            invoices.push(inv);
        })?;
        let numbers = match known {
            Some(k) if agree => k,
            Some(_) => bail!("internal error: a bulk load's invoice numbers differ from the ledger's"),
            None => numbers,
        };
        Ok(InvoiceDirectory { invoices, numbers })
    }

    pub(super) fn numbers(&self) -> &NumberIndex {
        &self.numbers
    }

    /// The numbers, for the load to check new invoices against again.
    pub(super) fn into_numbers(self) -> NumberIndex {
        self.numbers
    }

    /// The invoice numbered `number` (any letter case), as a payment sees it.
    pub(super) fn get(&self, number: &str) -> Option<InvoiceRef<'_>> {
        self.position(number).map(|i| self.at(i))
    }

    /// Where the invoice numbered `number` is (any letter case), for [`Self::at`].
    pub(super) fn position(&self, number: &str) -> Option<usize> {
        self.numbers.find(number.trim())
    }

    /// The invoice at `i`, a [`Self::position`].
    pub(super) fn at(&self, i: usize) -> InvoiceRef<'_> {
        InvoiceRef {
            number: self.numbers.get(i).into(),
            ..self.at_unnamed(i)
        }
    }

    /// [`Self::at`] without the number (left empty): one memory read less.
    pub(super) fn at_unnamed(&self, i: usize) -> InvoiceRef<'static> {
        let inv = &self.invoices[i];
        InvoiceRef {
            id: inv.id,
            number: "".into(),
            client_id: inv.client_id,
            currency: inv.currency,
            issue_date: inv.issue_date,
            void: inv.void,
        }
    }
}

/// What [`NumberIndex::probe`] found, and the number's hash (so that adding the
/// number after a look-up hashes it once).
pub(super) struct Probe {
    hash: u32,
    pub(super) found: Option<usize>,
}

/// Invoice numbers stored end to end (one allocation for a million), found
/// case-insensitively as the unique index compares them: ASCII letters only.
#[derive(Default)]
pub(super) struct NumberIndex {
    text: String,
    ends: Vec<usize>,
    /// (position in `ends`, hash of the upper-cased number), hashed by the latter:
    /// the hash beside the position spares growing and probing the table a read of
    /// the numbers themselves (or of another array).
    table: HashTable<(u32, u32)>,
}

impl NumberIndex {
    fn with_capacity(n: usize) -> NumberIndex {
        NumberIndex {
            text: String::with_capacity(n * 12),
            ends: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
        }
    }

    /// Add `number`, or say where it already is.
    #[cfg(test)]
    fn insert(&mut self, number: &str) -> Result<usize, usize> {
        let probe = self.probe(number);
        match probe.found {
            Some(i) => Err(i),
            None => Ok(self.add_absent(number, probe)),
        }
    }

    /// Where `number` was added (0 for the first), if it was.
    pub(super) fn find(&self, number: &str) -> Option<usize> {
        self.probe(number).found
    }

    /// Add a number known to be unlike every number here (in any ASCII case).
    fn add_distinct(&mut self, number: &str) {
        debug_assert!(self.find(number).is_none(), "{number} is already in the index");
        let probe = Probe {
            hash: fold_hash(number),
            found: None,
        };
        self.add_absent(number, probe);
    }

    /// Look `number` up, keeping its hash for an [`NumberIndex::add_absent`] of it.
    pub(super) fn probe(&self, number: &str) -> Probe {
        let hash = fold_hash(number);
        Probe {
            hash,
            found: self.find_hashed(number, hash),
        }
    }

    /// Add `number`, which `probe` (of it, with nothing added since) did not find;
    /// returns its position.
    pub(super) fn add_absent(&mut self, number: &str, probe: Probe) -> usize {
        debug_assert!(
            probe.found.is_none() && probe.hash == fold_hash(number),
            "{number} was already in the index, or probed as another number"
        );
        let i = self.ends.len();
        self.text.push_str(number);
        self.ends.push(self.text.len());
        self.table
            .insert_unique(spread(probe.hash), (i as u32, probe.hash), |&(_, h)| spread(h));
        i
    }

    fn find_hashed(&self, number: &str, hash: u32) -> Option<usize> {
        self.table
            .find(spread(hash), |&(i, h)| {
                h == hash && self.get(i as usize).eq_ignore_ascii_case(number)
            })
            .map(|&(i, _)| i as usize)
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        number_at(&self.text, &self.ends, i)
    }

    /// Keep the numbers by position, drop what finds them (memory back).
    fn forget_lookups(&mut self) {
        self.table = HashTable::new();
    }
}

fn number_at<'t>(text: &'t str, ends: &[usize], i: usize) -> &'t str {
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

/// FNV-1a over the ASCII-upper-cased bytes, equal for numbers the index calls equal,
/// then mixed (murmur3's finalizer) so that numbers differing in one digit differ
/// in every bit. 32 bits: equal hashes only cost a comparison of the numbers.
fn fold_hash(s: &str) -> u32 {
    let mut h = s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b.to_ascii_uppercase())).wrapping_mul(0x0100_0000_01b3)
    });
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h ^ (h >> 29)) as u32
}

/// The table's 64-bit hash from a number's 32: it takes buckets from the low bits
/// and a tag from the top seven, so both must vary.
fn spread(h: u32) -> u64 {
    u64::from(h) << 32 | u64::from(h)
}

/// Replay every client from its first entry: all allocations are written afresh, and
/// invoices and payments whose derived columns moved are updated. Equal, by
/// definition, to replaying each client alone (`ledger::replay_client`).
///
/// `entered`: the payments this load entered, as stored (the last ones of the
/// ledger); the others are read.
pub(super) fn replay_ledger(
    db: &Db,
    directory: Option<InvoiceDirectory>,
    entered: Vec<StoredPayment>,
) -> Result<()> {
    let InvoiceDirectory {
        mut invoices,
        mut numbers,
    } = match directory {
        Some(d) => d,
        None => InvoiceDirectory::load(db, None)?,
    };
    numbers.forget_lookups();
    if !entered.is_sorted_by_key(|p| p.id) {
        bail!("internal error: a bulk load's payments out of entry order");
    }
    // The ledger's payments before the load's (ids are given in entry order) are
    // read in after the load's, which are then rotated to the end: one list, sized
    // once, in entry order.
    let first_entered = entered.first().map(|p| p.id);
    let entered_count = entered.len();
    let mut payments = entered;
    payments.reserve_exact(db.payment_count()?.saturating_sub(entered_count));
    db.scan_payments(first_entered, |p| payments.push(p))?;
    payments.rotate_left(entered_count);
    db.clear_all_allocations()?;

    // Rows whose derived columns the replay moved: the new values are written into
    // the rows read, and the updates made at the end in entry order. The replay runs
    // on a second thread while this one writes the allocations it hands over, so
    // computing and writing overlap on two cores.
    let mut invoice_moved = vec![false; invoices.len()];
    let mut payment_moved = vec![false; payments.len()];
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Allocation>>(4);
    std::thread::scope(|scope| -> Result<()> {
        let replayer = scope.spawn(|| {
            replay_clients(
                ClientRows {
                    invoices: &mut invoices,
                    payments: &mut payments,
                    numbers: &numbers,
                    invoice_moved: &mut invoice_moved,
                    payment_moved: &mut payment_moved,
                },
                send,
            )
        });
        // An error here drops the receiver, which stops the replayer at its next send.
        for allocations in receive {
            db.insert_allocations(&allocations)?;
        }
        replayer
            .join()
            .map_err(|_| anyhow::anyhow!("internal error: the replay thread panicked"))?
    })?;
    drop(numbers);
    // Rows were read in entry order: the updates sweep each table front to back.
    db.update_payment_states(
        payments
            .iter()
            .zip(&payment_moved)
            .filter(|(_, moved)| **moved)
            .map(|(p, _)| PaymentState {
                id: p.id,
                unapplied: p.unapplied,
                applied_on: p.applied_on,
            }),
    )?;
    drop(payments); // (memory for the list of moved invoices)
    let moved: Vec<InvoiceState> = invoices
        .iter()
        .zip(&invoice_moved)
        .filter(|(_, moved)| **moved)
        .map(|(inv, _)| InvoiceState {
            id: inv.id,
            settled: inv.settled,
            closed_on: inv.closed_on,
        })
        .collect();
    if moved.len() >= invoices.len() / 4 {
        db.sweep_invoice_states(moved)?;
    } else {
        db.update_invoice_states(moved)?;
    }
    Ok(())
}

/// What [`replay_clients`] reads and updates.
struct ClientRows<'a> {
    invoices: &'a mut [StoredInvoice],
    payments: &'a mut [StoredPayment],
    numbers: &'a NumberIndex,
    invoice_moved: &'a mut [bool],
    payment_moved: &'a mut [bool],
}

/// Replay each client in turn: derived columns go into the rows (marked moved when
/// they change), allocations to `send` a chunk at a time.
fn replay_clients(rows: ClientRows, send: SyncSender<Vec<Allocation>>) -> Result<()> {
    let ClientRows {
        invoices,
        payments,
        numbers,
        invoice_moved,
        payment_moved,
    } = rows;
    // Entry order within each client; the replay wants payments in (date, entry) order.
    let mut inv_order: Vec<u32> = (0..invoices.len() as u32)
        .filter(|&i| !invoices[i as usize].void)
        .collect();
    inv_order.sort_by_key(|&i| invoices[i as usize].client_id);
    let mut pay_order: Vec<u32> = (0..payments.len() as u32).collect();
    pay_order.sort_unstable_by_key(|&i| {
        let p = &payments[i as usize];
        (p.client_id, p.date, p.id)
    });

    let mut allocations = Vec::with_capacity(2 * ALLOCATION_CHUNK);
    let (mut a, mut b) = (0, 0);
    while a < inv_order.len() || b < pay_order.len() {
        let client = match (inv_order.get(a), pay_order.get(b)) {
            (Some(&i), Some(&p)) => invoices[i as usize].client_id.min(payments[p as usize].client_id),
            (Some(&i), None) => invoices[i as usize].client_id,
            (None, Some(&p)) => payments[p as usize].client_id,
            (None, None) => unreachable!("loop condition"),
        };
        let inv_end = a + inv_order[a..]
            .iter()
            .take_while(|&&i| invoices[i as usize].client_id == client)
            .count();
        let pay_end = b + pay_order[b..]
            .iter()
            .take_while(|&&p| payments[p as usize].client_id == client)
            .count();
        let client_invoices = &inv_order[a..inv_end];
        let client_payments = &pay_order[b..pay_end];
        (a, b) = (inv_end, pay_end);

        let outcome = replay(
            client_invoices
                .iter()
                .map(|&i| {
                    let inv = &invoices[i as usize];
                    ReplayInvoice {
                        id: inv.id,
                        number: numbers.get(i as usize).into(),
                        currency: inv.currency,
                        issue_date: inv.issue_date,
                        due_date: inv.due_date,
                        amount: inv.amount,
                        paid_before: 0,
                        adjusted_before: 0,
                        discount_bp: inv.discount_bp,
                        discount_days: inv.discount_days,
                    }
                })
                .collect(),
            client_payments
                .iter()
                .map(|&p| {
                    let p = &payments[p as usize];
                    ReplayPayment {
                        id: p.id,
                        date: p.date,
                        currency: p.currency,
                        amount: p.amount,
                        invoice_id: p.invoice_id.map(i64::from),
                    }
                })
                .collect(),
        );
        // The replay reports invoices in the order given and payments in (date,
        // entry) order: the order of both lists here.
        for (&i, state) in client_invoices.iter().zip(outcome.invoices) {
            let stored = &mut invoices[i as usize];
            if stored.id != state.id {
                bail!(
                    "internal error: replay returned invoice {} for {}",
                    state.id,
                    stored.id
                );
            }
            if (stored.settled, stored.closed_on) != (state.settled, state.closed_on) {
                (stored.settled, stored.closed_on) = (state.settled, state.closed_on);
                invoice_moved[i as usize] = true;
            }
        }
        for (&p, state) in client_payments.iter().zip(outcome.payments) {
            let stored = &mut payments[p as usize];
            if stored.id != state.id {
                bail!(
                    "internal error: replay returned payment {} for {}",
                    state.id,
                    stored.id
                );
            }
            if (stored.unapplied, stored.applied_on) != (state.unapplied, state.applied_on) {
                (stored.unapplied, stored.applied_on) = (state.unapplied, state.applied_on);
                payment_moved[p as usize] = true;
            }
        }
        allocations.extend(outcome.allocations);
        if allocations.len() >= ALLOCATION_CHUNK {
            let full = std::mem::replace(&mut allocations, Vec::with_capacity(2 * ALLOCATION_CHUNK));
            if send.send(full).is_err() {
                return Ok(()); // the writer failed and says why
            }
        }
    }
    // (A failed send means the writer stopped with an error of its own.)
    let _ = send.send(allocations);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_hash_alike_in_any_ascii_case() {
        assert_eq!(fold_hash("inv-001a"), fold_hash("INV-001A"));
        assert_ne!(fold_hash("INV-001"), fold_hash("INV-002"));
    }

    #[test]
    fn numbers_are_found_in_any_ascii_case_only() {
        let mut index = NumberIndex::default();
        for (i, n) in ["A-1", "", "äb-22", "a-2"].into_iter().enumerate() {
            assert_eq!(index.insert(n), Ok(i));
        }
        assert_eq!(index.insert("a-1"), Err(0));
        assert_eq!(index.find("ÄB-22"), None, "SQLite's NOCASE folds ASCII only");
        assert_eq!(index.find("äB-22"), Some(2));
        assert_eq!((index.get(0), index.get(1), index.get(3)), ("A-1", "", "a-2"));
        for i in 0..10_000 {
            assert!(index.insert(&format!("INV-{i}")).is_ok());
        }
        assert_eq!(index.find("inv-9999").map(|i| index.get(i)), Some("INV-9999"));
    }
}
