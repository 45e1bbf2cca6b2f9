//! The one definition of the spec's replay (spec: Payments and allocation;
//! Corrections and adjustments).
//!
//! `replay` takes a client's invoices as they stood just before a date, and the
//! payments and corrections dated from then on, and says where every amount goes:
//! all of them in one sequence ordered by (date, entry order). It is pure: no SQL,
//! no clock. The store materializes its outcome; `ar check` compares the two.
//!
//! Work is O(entries × log invoices): every step takes an invoice from an ordered
//! queue or a source of credit from the front of a list.

use std::collections::{BTreeMap, VecDeque};

use crate::domain::entities::{AllocationKind, CorrectionKind};
use crate::domain::terms::discount_minor;
use crate::domain::{Currency, Date};

/// An invoice as it stood just before the replay's first entry.
#[derive(Debug, Clone)]
pub struct ReplayInvoice<'a> {
    pub id: i64,
    /// (Borrowed by a whole-ledger replay: a million numbers need not be copied.)
    pub number: std::borrow::Cow<'a, str>,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: i64,
    /// Payment allocations dated before the replay start.
    pub paid_before: i64,
    /// Adjustments (discounts, credit notes, write-offs) dated before the replay start.
    pub adjusted_before: i64,
    /// Of those, credit notes (an early-payment discount is on the amount less them).
    pub noted_before: i64,
    /// What reversals dated before the start opened again.
    pub reopened_before: i64,
    /// Whether an early-payment discount stood granted at the start.
    pub discounted_before: bool,
    /// Closed before the start (on that day; by an adjustment?): in the scope only
    /// for a reversal to open it again.
    pub closed_before: Option<(Date, bool)>,
    pub discount_bp: u32,
    pub discount_days: u32,
    /// The day its void takes effect, if it is void.
    pub void_from: Option<Date>,
}

#[derive(Debug, Clone)]
pub struct ReplayPayment {
    pub id: i64,
    pub date: Date,
    pub currency: Currency,
    pub amount: i64,
    pub invoice_id: Option<i64>,
    /// A payment dated before the replay start, in the scope for what it still
    /// holds or what a reversal in the scope takes back: its state then. Not replayed.
    pub prior: Option<Box<PriorPayment>>,
}

/// A payment's state at the start of a replay that begins after its date.
#[derive(Debug, Clone, Default)]
pub struct PriorPayment {
    /// Credit it held then.
    pub left: i64,
    /// When it had none left, as stored (kept when it still has none).
    pub applied_on: Option<Date>,
    /// What it had settled before the start: (invoice, amount, whether a discount),
    /// for a reversal to undo.
    pub settled: Vec<(i64, i64, bool)>,
    /// Refunds dated before the start that paid its credit out.
    pub refunds: Vec<i64>,
}

/// A correction, as the replay takes it.
#[derive(Debug, Clone)]
pub struct ReplayCorrection {
    pub id: i64,
    pub kind: CorrectionKind,
    pub date: Date,
    pub currency: Currency,
    /// The stated amount; `None`: whatever is open, or all that fits.
    pub amount: Option<i64>,
    pub invoice_id: Option<i64>,
    /// The payment a reversal reverses.
    pub payment_id: Option<i64>,
    /// The largest payment id when it was entered: its place among the payments in
    /// entry order (a correction comes after that payment and before the next).
    pub after_payment: i64,
    /// What the last saved replay said it did (`None` until a replay has saved it):
    /// a write that changes what a stated amount does is refused, one that leaves
    /// it as it was is not.
    pub stored_done: Option<i64>,
    /// A credit note dated before the replay start that holds credit then: (what it
    /// holds then, its stored day of none left). Not replayed.
    pub prior_left: Option<(i64, Option<Date>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The invoice it moved onto (none for a refund or a lapse of credit).
    pub invoice_id: Option<i64>,
    /// The payment whose money it is (a payment, its discount, its credit applied,
    /// refunded, lapsed or reversed).
    pub payment_id: Option<i64>,
    /// The credit note whose credit it is.
    pub note_id: Option<i64>,
    /// The correction that made it (none for a payment and its discount).
    pub correction_id: Option<i64>,
    pub kind: AllocationKind,
    pub date: Date,
    pub amount: i64,
    /// Whether its source (payment or credit note) kept unapplied credit after its
    /// own date: the store indexes only these by source.
    pub held: bool,
}

/// Final state of an invoice after the replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceState {
    pub id: i64,
    /// Every allocation but reversals: zero means nothing was ever allocated.
    pub settled: i64,
    /// The day its balance last reached zero (and stayed there), or its void date.
    pub closed_on: Option<Date>,
    /// Whether that closing came from a credit note, a write-off or a void (days to
    /// pay leaves such an invoice out).
    pub closed_by_adjustment: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub id: i64,
    pub unapplied: i64,
    /// The day nothing was left unapplied (the payment date when fully allocated).
    pub applied_on: Option<Date>,
}

/// What a correction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionState {
    pub id: i64,
    /// The amount it moved: credited onto the named invoice (credit note), written
    /// off, applied, refunded, or opened again (reversal).
    pub done: i64,
    /// A credit note's credit left over, and the day none was left (as a payment's).
    pub unapplied: i64,
    pub applied_on: Option<Date>,
}

/// A closing that a reversal undid: days to pay as of a date between the two still
/// counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub invoice_id: i64,
    pub closed_on: Date,
    pub reopened_on: Date,
    pub by_adjustment: bool,
}

/// The entry that did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRef {
    Payment(i64),
    Correction(i64),
}

/// What makes a replay's outcome unacceptable: the write that led to it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A correction with a stated amount could do only `done` of it (a refund above
    /// the credit held, a write-off above what is open, ...), and that is not what
    /// the ledger held before (`stored` is what the last saved replay said).
    Short {
        correction_id: i64,
        kind: CorrectionKind,
        stated: i64,
        done: i64,
        stored: Option<i64>,
    },
    /// A correction just entered that finds nothing to do (a write-off of an invoice
    /// with nothing open, credit applied where there is none or nowhere to go).
    NothingDone {
        correction_id: i64,
        kind: CorrectionKind,
    },
    /// Something was allocated to an invoice before its void date.
    VoidTaken {
        invoice_id: i64,
        void_from: Date,
        by: EntryRef,
    },
    /// A reversal of a payment whose credit an earlier refund paid out.
    RefundUnfunded {
        reversal_id: i64,
        payment_id: i64,
        refund_id: i64,
    },
}

#[derive(Debug, Default)]
pub struct ReplayOutcome {
    pub allocations: Vec<Allocation>,
    pub invoices: Vec<InvoiceState>,
    pub payments: Vec<PaymentState>,
    pub corrections: Vec<CorrectionState>,
    pub closings: Vec<Closing>,
    pub problems: Vec<Problem>,
}

struct Open<'a> {
    inv: ReplayInvoice<'a>,
    /// Every allocation but reversals.
    gross: i64,
    /// Reversals: opened again.
    reopened: i64,
    /// Credit notes applied (an early-payment discount is on the amount less these).
    noted: i64,
    discounted: bool,
    void: bool,
    closed_on: Option<Date>,
    closed_by_adjustment: bool,
    first_taker: Option<EntryRef>,
}

impl Open<'_> {
    fn open(&self) -> i64 {
        if self.void {
            0
        } else {
            self.inv.amount - self.gross + self.reopened
        }
    }
}

/// Oldest-first order of rule 2: (due date, issue date, number), per currency. The
/// number enters as its rank among this replay's invoices (same order, no copies).
type QueueKey = (Currency, Date, Date, u32);

/// Where credit comes from: a payment or a credit note with some left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceRef {
    Payment(usize),
    Note(usize),
}

/// Entry order: a payment by its id; a correction after the payment it followed.
/// (date, payment id, 0 for the payment itself / 1 for a correction, correction id)
type EntryKey = (Date, i64, u8, i64);

#[derive(Clone, Copy)]
enum Event {
    Payment(usize),
    Correction(usize),
}

struct State<'a> {
    open: Vec<Open<'a>>,
    by_issue: Vec<usize>,
    by_void: Vec<usize>,
    by_id: Vec<(i64, usize)>,
    rank: Vec<u32>,
    queue: BTreeMap<QueueKey, usize>,
    /// Sources of credit per currency, oldest first (some may be spent: skipped).
    credit: hashbrown::HashMap<Currency, VecDeque<SourceRef>>,
    /// Per payment: what is left of it, and the day it reached zero.
    pay_left: Vec<i64>,
    pay_applied_on: Vec<Option<Date>>,
    /// Per correction: what is left of a credit note, the day it reached zero, and
    /// what each did.
    note_left: Vec<i64>,
    note_applied_on: Vec<Option<Date>>,
    done: Vec<i64>,
    /// Per payment: what it settled (payment, discount, credit applied from it):
    /// (invoice, amount, whether a discount), for a reversal to undo.
    settled_by: Vec<Vec<(i64, i64, bool)>>,
    /// Per payment: the refunds that paid its credit out.
    refunded_by: Vec<Vec<i64>>,
    out: ReplayOutcome,
}

/// Replay `payments` and `corrections` (any order; they are put in (date, entry
/// order)) over `invoices`.
pub fn replay(
    invoices: Vec<ReplayInvoice<'_>>,
    payments: Vec<ReplayPayment>,
    corrections: Vec<ReplayCorrection>,
) -> ReplayOutcome {
    let open: Vec<Open> = invoices
        .into_iter()
        .map(|inv| Open {
            gross: inv.paid_before + inv.adjusted_before,
            reopened: inv.reopened_before,
            noted: inv.noted_before,
            discounted: inv.discounted_before,
            void: false,
            closed_on: inv.closed_before.map(|(d, _)| d),
            closed_by_adjustment: inv.closed_before.is_some_and(|(_, by)| by),
            first_taker: None,
            inv,
        })
        .collect();
    // Invoices join the queue as the replay reaches their issue date, and leave it
    // at their void date.
    let mut by_issue: Vec<usize> = (0..open.len()).collect();
    by_issue.sort_by_key(|&i| std::cmp::Reverse((open[i].inv.issue_date, open[i].inv.id)));
    let mut by_void: Vec<usize> = (0..open.len())
        .filter(|&i| open[i].inv.void_from.is_some())
        .collect();
    by_void.sort_by_key(|&i| std::cmp::Reverse(open[i].inv.void_from));
    let mut by_id: Vec<(i64, usize)> = open.iter().enumerate().map(|(i, o)| (o.inv.id, i)).collect();
    by_id.sort_unstable();
    let mut by_number: Vec<usize> = (0..open.len()).collect();
    by_number.sort_by(|&a, &b| open[a].inv.number.cmp(&open[b].inv.number));
    let mut rank = vec![0u32; open.len()];
    for (r, &i) in by_number.iter().enumerate() {
        rank[i] = r as u32;
    }
    // A payment reversed on its own date never counted.
    let mut reversed_same_day: hashbrown::HashSet<i64> = hashbrown::HashSet::new();
    let payment_dates: hashbrown::HashMap<i64, Date> = payments.iter().map(|p| (p.id, p.date)).collect();
    for c in &corrections {
        if c.kind == CorrectionKind::Reversal
            && let Some(p) = c.payment_id
            && payment_dates.get(&p) == Some(&c.date)
        {
            reversed_same_day.insert(p);
        }
    }

    // Entries dated before the start are not replayed: what they hold then is given.
    let mut events: Vec<(EntryKey, Event)> = Vec::with_capacity(payments.len() + corrections.len());
    let mut prior: Vec<(EntryKey, SourceRef)> = Vec::new();
    for (i, p) in payments.iter().enumerate() {
        let key = (p.date, p.id, 0, 0);
        match &p.prior {
            None => events.push((key, Event::Payment(i))),
            Some(state) if state.left > 0 => prior.push((key, SourceRef::Payment(i))),
            Some(_) => {}
        }
    }
    for (i, c) in corrections.iter().enumerate() {
        let key = (c.date, c.after_payment, 1, c.id);
        match c.prior_left {
            None => events.push((key, Event::Correction(i))),
            Some((left, _)) if left > 0 => prior.push((key, SourceRef::Note(i))),
            Some(_) => {}
        }
    }
    events.sort_unstable_by_key(|e| e.0);
    prior.sort_unstable_by_key(|e| e.0);

    let mut st = State {
        open,
        by_issue,
        by_void,
        by_id,
        rank,
        queue: BTreeMap::new(),
        credit: hashbrown::HashMap::new(),
        pay_left: payments
            .iter()
            .map(|p| p.prior.as_ref().map_or(p.amount, |s| s.left))
            .collect(),
        // (A source holding credit at the start has none left only when the replay
        // uses it up; one holding none keeps the day it had none left.)
        pay_applied_on: payments
            .iter()
            .map(|p| {
                p.prior
                    .as_ref()
                    .filter(|s| s.left == 0)
                    .and_then(|s| s.applied_on)
            })
            .collect(),
        note_left: corrections
            .iter()
            .map(|c| match (c.prior_left, c.kind) {
                (Some((left, _)), _) => left,
                (None, CorrectionKind::CreditNote) => c.amount.unwrap_or(0),
                _ => 0,
            })
            .collect(),
        note_applied_on: corrections
            .iter()
            .map(|c| c.prior_left.filter(|(left, _)| *left == 0).and_then(|(_, a)| a))
            .collect(),
        done: corrections
            .iter()
            .map(|c| {
                if c.prior_left.is_some() {
                    c.stored_done.unwrap_or(0)
                } else {
                    0
                }
            })
            .collect(),
        settled_by: payments
            .iter()
            .map(|p| p.prior.as_ref().map(|s| s.settled.clone()).unwrap_or_default())
            .collect(),
        refunded_by: payments
            .iter()
            .map(|p| p.prior.as_ref().map(|s| s.refunds.clone()).unwrap_or_default())
            .collect(),
        out: ReplayOutcome::default(),
    };
    // The credit held at the start, oldest source first (all older than any the
    // replay makes).
    for (_, source) in prior {
        let currency = match source {
            SourceRef::Payment(k) => payments[k].currency,
            SourceRef::Note(k) => corrections[k].currency,
        };
        st.credit.entry(currency).or_default().push_back(source);
    }
    let pay_index: hashbrown::HashMap<i64, usize> =
        payments.iter().enumerate().map(|(i, p)| (p.id, i)).collect();

    for &(_, event) in &events {
        match event {
            Event::Payment(k) => {
                let p = &payments[k];
                if reversed_same_day.contains(&p.id) {
                    st.pay_left[k] = 0;
                    st.pay_applied_on[k] = Some(p.date);
                    continue;
                }
                st.advance(p.date);
                st.payment(k, p);
            }
            Event::Correction(k) => {
                let c = &corrections[k];
                st.advance(c.date);
                match c.kind {
                    CorrectionKind::CreditNote => st.credit_note(k, c),
                    CorrectionKind::WriteOff => st.write_off(k, c),
                    CorrectionKind::CreditApplication => st.apply_credit(k, c, &payments, &corrections),
                    CorrectionKind::Refund => st.refund(k, c, &payments, &corrections),
                    CorrectionKind::Reversal => {
                        if let Some(&pk) = c.payment_id.and_then(|id| pay_index.get(&id))
                            && !reversed_same_day.contains(&payments[pk].id)
                        {
                            st.reverse(k, c, pk, &payments[pk]);
                        }
                    }
                }
            }
        }
    }
    st.advance(Date::MAX);
    st.finish(&payments, &corrections)
}

impl<'a> State<'a> {
    fn find(&self, id: i64) -> Option<usize> {
        self.by_id
            .binary_search_by_key(&id, |&(id, _)| id)
            .ok()
            .map(|k| self.by_id[k].1)
    }

    fn key(&self, i: usize) -> QueueKey {
        let inv = &self.open[i].inv;
        (inv.currency, inv.due_date, inv.issue_date, self.rank[i])
    }

    /// Bring the invoices to `date`: voids dated by then take effect, invoices
    /// issued by then join the queue.
    fn advance(&mut self, date: Date) {
        while let Some(&i) = self.by_void.last() {
            let Some(from) = self.open[i].inv.void_from.filter(|&v| v <= date) else {
                break;
            };
            self.by_void.pop();
            let key = self.key(i);
            self.queue.remove(&key);
            // (Whether anything was allocated to it by then, net of reversals dated
            // by then, is judged at the end: a reversal on the void's own day counts.)
            let o = &mut self.open[i];
            o.void = true;
            o.closed_on = Some(from);
            o.closed_by_adjustment = true;
        }
        while let Some(&i) = self.by_issue.last() {
            if self.open[i].inv.issue_date > date || date == Date::MAX {
                break;
            }
            self.by_issue.pop();
            if self.open[i].open() > 0 {
                let key = self.key(i);
                self.queue.insert(key, i);
            }
        }
    }

    /// The first invoice in rule 2's order open in `currency`.
    fn oldest(&self, currency: Currency) -> Option<usize> {
        let (key, &i) = self.queue.range((currency, Date::MIN, Date::MIN, 0)..).next()?;
        (key.0 == currency).then_some(i)
    }

    /// Whether invoice `i` can take an entry dated `date` in `currency`.
    fn takes(&self, i: usize, date: Date, currency: Currency) -> bool {
        let o = &self.open[i];
        o.inv.issue_date <= date && o.inv.currency == currency && !o.void && o.open() > 0
    }

    /// Record an allocation onto invoice `i`, and close the invoice when it reaches
    /// zero.
    fn allocate(&mut self, i: usize, a: Allocation, by: EntryRef) {
        let adjustment = matches!(a.kind, AllocationKind::CreditNote | AllocationKind::WriteOff);
        let date = a.date;
        let o = &mut self.open[i];
        o.gross += a.amount;
        o.first_taker.get_or_insert(by);
        if a.kind == AllocationKind::Discount {
            o.discounted = true;
        }
        if a.kind == AllocationKind::CreditNote {
            o.noted += a.amount;
        }
        let closes = o.open() <= 0;
        if closes {
            o.closed_on = Some(date);
            o.closed_by_adjustment = adjustment;
            let key = self.key(i);
            self.queue.remove(&key);
        }
        self.out.allocations.push(a);
    }

    fn payment(&mut self, k: usize, p: &ReplayPayment) {
        let mut left = p.amount;
        match p.invoice_id {
            // spec rule 1: a named invoice takes the payment up to its open balance. An
            // invoice missing here was closed before the replay start: nothing is open.
            Some(id) => {
                if let Some(i) = self.find(id)
                    && self.takes(i, p.date, p.currency)
                {
                    left = self.settle(i, k, p, left);
                }
            }
            // spec rule 2: oldest first over open invoices issued on or before the date.
            None => {
                while left > 0 {
                    let Some(i) = self.oldest(p.currency) else {
                        break;
                    };
                    left = self.settle(i, k, p, left);
                }
            }
        }
        // spec rule 3: what is left is unapplied credit.
        self.pay_left[k] = left;
        if left == 0 {
            self.pay_applied_on[k] = Some(p.date);
        } else {
            self.credit
                .entry(p.currency)
                .or_default()
                .push_back(SourceRef::Payment(k));
        }
    }

    /// Apply up to `left` of payment `p` to invoice `i`; returns what is left of it.
    fn settle(&mut self, i: usize, k: usize, p: &ReplayPayment, left: i64) -> i64 {
        let o = &self.open[i];
        let open = o.open();
        if open <= 0 || left <= 0 {
            return left;
        }
        let allocation = |kind, amount| Allocation {
            invoice_id: Some(o.inv.id),
            payment_id: Some(p.id),
            note_id: None,
            correction_id: None,
            kind,
            date: p.date,
            amount,
            held: false, // set at the end, from the payment's final state
        };
        // spec rule 4: inside the discount window, paying what is open less the
        // discount (on the amount less credit notes so far) closes it.
        let in_window = o.inv.discount_bp > 0
            && !o.discounted
            && (p.date - o.inv.issue_date).num_days() <= i64::from(o.inv.discount_days);
        let mut moves = Vec::with_capacity(2);
        let mut rest = left;
        if in_window {
            let discount = discount_minor(o.inv.amount - o.noted, o.inv.discount_bp).min(open);
            let to_pay = open - discount;
            if left >= to_pay {
                if to_pay > 0 {
                    moves.push(allocation(AllocationKind::Payment, to_pay));
                }
                if discount > 0 {
                    moves.push(allocation(AllocationKind::Discount, discount));
                }
                rest = left - to_pay;
            }
        }
        if moves.is_empty() {
            let take = left.min(open);
            moves.push(allocation(AllocationKind::Payment, take));
            rest = left - take;
        }
        for a in moves {
            self.settled_by[k].push((self.open[i].inv.id, a.amount, a.kind == AllocationKind::Discount));
            self.allocate(i, a, EntryRef::Payment(p.id));
        }
        rest
    }

    fn credit_note(&mut self, k: usize, c: &ReplayCorrection) {
        let amount = c.amount.unwrap_or(0);
        let mut left = amount;
        if let Some(i) = c.invoice_id.and_then(|id| self.find(id))
            && self.takes(i, c.date, c.currency)
        {
            let take = left.min(self.open[i].open());
            let a = Allocation {
                invoice_id: Some(self.open[i].inv.id),
                payment_id: None,
                note_id: Some(c.id),
                correction_id: Some(c.id),
                kind: AllocationKind::CreditNote,
                date: c.date,
                amount: take,
                held: false,
            };
            self.allocate(i, a, EntryRef::Correction(c.id));
            left -= take;
            self.done[k] = take;
        }
        self.note_left[k] = left;
        if left == 0 {
            self.note_applied_on[k] = Some(c.date);
        } else {
            self.credit
                .entry(c.currency)
                .or_default()
                .push_back(SourceRef::Note(k));
        }
    }

    fn write_off(&mut self, k: usize, c: &ReplayCorrection) {
        let Some(i) = c.invoice_id.and_then(|id| self.find(id)) else {
            self.stated(k, c, 0);
            return;
        };
        let open = if self.takes(i, c.date, c.currency) {
            self.open[i].open()
        } else {
            0
        };
        let take = c.amount.unwrap_or(open).min(open);
        if take > 0 {
            let a = Allocation {
                invoice_id: Some(self.open[i].inv.id),
                payment_id: None,
                note_id: None,
                correction_id: Some(c.id),
                kind: AllocationKind::WriteOff,
                date: c.date,
                amount: take,
                held: false,
            };
            self.allocate(i, a, EntryRef::Correction(c.id));
        }
        self.stated(k, c, take);
    }

    /// Record what correction `k` did, and whether that is a problem.
    fn stated(&mut self, k: usize, c: &ReplayCorrection, done: i64) {
        self.done[k] = done;
        match c.amount {
            Some(stated) if done < stated && c.stored_done != Some(done) => {
                self.out.problems.push(Problem::Short {
                    correction_id: c.id,
                    kind: c.kind,
                    stated,
                    done,
                    stored: c.stored_done,
                })
            }
            None if done == 0 && c.stored_done.is_none() => self.out.problems.push(Problem::NothingDone {
                correction_id: c.id,
                kind: c.kind,
            }),
            _ => {}
        }
    }

    /// The oldest source of credit in `currency` with some left.
    fn oldest_source(&mut self, currency: Currency) -> Option<SourceRef> {
        let (pay_left, note_left) = (&self.pay_left, &self.note_left);
        let list = self.credit.get_mut(&currency)?;
        while let Some(&s) = list.front() {
            let left = match s {
                SourceRef::Payment(k) => pay_left[k],
                SourceRef::Note(k) => note_left[k],
            };
            if left > 0 {
                return Some(s);
            }
            list.pop_front();
        }
        None
    }

    fn source_left(&self, s: SourceRef) -> i64 {
        match s {
            SourceRef::Payment(k) => self.pay_left[k],
            SourceRef::Note(k) => self.note_left[k],
        }
    }

    /// Take `amount` from source `s` on `date`.
    fn draw(&mut self, s: SourceRef, amount: i64, date: Date) {
        let (left, applied_on) = match s {
            SourceRef::Payment(k) => (&mut self.pay_left[k], &mut self.pay_applied_on[k]),
            SourceRef::Note(k) => (&mut self.note_left[k], &mut self.note_applied_on[k]),
        };
        *left -= amount;
        if *left == 0 {
            *applied_on = Some(date);
        }
    }

    fn source_ids(
        s: SourceRef,
        payments: &[ReplayPayment],
        corrections: &[ReplayCorrection],
    ) -> (Option<i64>, Option<i64>) {
        match s {
            SourceRef::Payment(k) => (Some(payments[k].id), None),
            SourceRef::Note(k) => (None, Some(corrections[k].id)),
        }
    }

    fn apply_credit(
        &mut self,
        k: usize,
        c: &ReplayCorrection,
        payments: &[ReplayPayment],
        corrections: &[ReplayCorrection],
    ) {
        let mut budget = c.amount.unwrap_or(i64::MAX);
        let named = c.invoice_id.map(|id| self.find(id));
        let mut done = 0;
        while budget > 0 {
            let target = match named {
                Some(Some(i)) if self.takes(i, c.date, c.currency) => i,
                Some(_) => break,
                None => match self.oldest(c.currency) {
                    Some(i) => i,
                    None => break,
                },
            };
            let Some(source) = self.oldest_source(c.currency) else {
                break;
            };
            let m = budget.min(self.source_left(source)).min(self.open[target].open());
            let (payment_id, note_id) = Self::source_ids(source, payments, corrections);
            self.draw(source, m, c.date);
            if let SourceRef::Payment(pk) = source {
                self.settled_by[pk].push((self.open[target].inv.id, m, false));
            }
            let a = Allocation {
                invoice_id: Some(self.open[target].inv.id),
                payment_id,
                note_id,
                correction_id: Some(c.id),
                kind: AllocationKind::Credit,
                date: c.date,
                amount: m,
                held: false,
            };
            self.allocate(target, a, EntryRef::Correction(c.id));
            budget -= m;
            done += m;
        }
        self.stated(k, c, done);
    }

    fn refund(
        &mut self,
        k: usize,
        c: &ReplayCorrection,
        payments: &[ReplayPayment],
        corrections: &[ReplayCorrection],
    ) {
        let mut budget = c.amount.unwrap_or(0);
        let mut done = 0;
        while budget > 0 {
            let Some(source) = self.oldest_source(c.currency) else {
                break;
            };
            let m = budget.min(self.source_left(source));
            let (payment_id, note_id) = Self::source_ids(source, payments, corrections);
            self.draw(source, m, c.date);
            if let SourceRef::Payment(pk) = source {
                self.refunded_by[pk].push(c.id);
            }
            self.out.allocations.push(Allocation {
                invoice_id: None,
                payment_id,
                note_id,
                correction_id: Some(c.id),
                kind: AllocationKind::Refund,
                date: c.date,
                amount: m,
                held: false,
            });
            budget -= m;
            done += m;
        }
        self.stated(k, c, done);
    }

    /// From the reversal's date, payment `pk` counts for nothing: what it settled
    /// (directly, with its discount, or through its credit applied) is open again,
    /// and what it still held as credit is gone.
    fn reverse(&mut self, k: usize, c: &ReplayCorrection, pk: usize, p: &ReplayPayment) {
        if let Some(&refund_id) = self.refunded_by[pk].first() {
            self.out.problems.push(Problem::RefundUnfunded {
                reversal_id: c.id,
                payment_id: p.id,
                refund_id,
            });
        }
        let mut per_invoice: BTreeMap<i64, (i64, bool)> = BTreeMap::new();
        for (id, amount, discount) in std::mem::take(&mut self.settled_by[pk]) {
            let e = per_invoice.entry(id).or_default();
            e.0 += amount;
            e.1 |= discount;
        }
        let mut done = 0;
        for (id, (amount, discount)) in per_invoice {
            let Some(i) = self.find(id) else { continue };
            self.out.allocations.push(Allocation {
                invoice_id: Some(id),
                payment_id: Some(p.id),
                note_id: None,
                correction_id: Some(c.id),
                kind: AllocationKind::Reversal,
                date: c.date,
                amount,
                held: false,
            });
            done += amount;
            let o = &mut self.open[i];
            o.reopened += amount;
            if o.void {
                // (Void from an earlier day: what it opens again is part of what was
                // allocated before the void, which the end of the replay refuses.)
                continue;
            }
            if let Some(closed_on) = o.closed_on.take() {
                self.out.closings.push(Closing {
                    invoice_id: id,
                    closed_on,
                    reopened_on: c.date,
                    by_adjustment: o.closed_by_adjustment,
                });
            }
            o.closed_by_adjustment = false;
            if discount {
                o.discounted = false;
            }
            if self.open[i].open() > 0 && self.open[i].inv.issue_date <= c.date {
                let key = self.key(i);
                self.queue.insert(key, i);
            }
        }
        let left = self.pay_left[pk];
        if left > 0 {
            self.out.allocations.push(Allocation {
                invoice_id: None,
                payment_id: Some(p.id),
                note_id: None,
                correction_id: Some(c.id),
                kind: AllocationKind::Lapsed,
                date: c.date,
                amount: left,
                held: false,
            });
            self.pay_left[pk] = 0;
            self.pay_applied_on[pk] = Some(c.date);
        }
        self.done[k] = done;
    }

    fn finish(mut self, payments: &[ReplayPayment], corrections: &[ReplayCorrection]) -> ReplayOutcome {
        // spec: an invoice with anything allocated on or before its void date (net of
        // reversals dated by then) cannot be void from then.
        let mut net_by_void: hashbrown::HashMap<i64, (Date, i64)> = self
            .open
            .iter()
            .filter_map(|o| o.inv.void_from.map(|v| (o.inv.id, (v, 0))))
            .collect();
        if !net_by_void.is_empty() {
            for a in &self.out.allocations {
                if let Some((void_from, net)) = a.invoice_id.and_then(|id| net_by_void.get_mut(&id))
                    && a.date <= *void_from
                {
                    *net += if a.kind == AllocationKind::Reversal {
                        -a.amount
                    } else {
                        a.amount
                    };
                }
            }
            for o in &self.open {
                if let (Some((void_from, net)), Some(by)) = (net_by_void.get(&o.inv.id), o.first_taker)
                    && *net > 0
                {
                    self.out.problems.push(Problem::VoidTaken {
                        invoice_id: o.inv.id,
                        void_from: *void_from,
                        by,
                    });
                }
            }
        }
        // A source "held" credit when it was not all used on its own date.
        let held_payment: hashbrown::HashSet<i64> = payments
            .iter()
            .enumerate()
            .filter(|&(k, p)| self.pay_applied_on[k] != Some(p.date))
            .map(|(_, p)| p.id)
            .collect();
        let held_note: hashbrown::HashSet<i64> = corrections
            .iter()
            .enumerate()
            .filter(|&(k, c)| c.kind == CorrectionKind::CreditNote && self.note_applied_on[k] != Some(c.date))
            .map(|(_, c)| c.id)
            .collect();
        for a in &mut self.out.allocations {
            a.held = a.payment_id.is_some_and(|p| held_payment.contains(&p))
                || a.note_id.is_some_and(|n| held_note.contains(&n));
        }
        let mut out = self.out;
        out.invoices = self
            .open
            .iter()
            .map(|o| InvoiceState {
                id: o.inv.id,
                settled: o.gross,
                closed_on: o.closed_on,
                closed_by_adjustment: o.closed_on.is_some() && o.closed_by_adjustment,
            })
            .collect();
        out.payments = payments
            .iter()
            .enumerate()
            .map(|(k, p)| PaymentState {
                id: p.id,
                unapplied: self.pay_left[k],
                applied_on: self.pay_applied_on[k],
            })
            .collect();
        out.corrections = corrections
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let note = c.kind == CorrectionKind::CreditNote;
                CorrectionState {
                    id: c.id,
                    done: self.done[k],
                    unapplied: if note { self.note_left[k] } else { 0 },
                    applied_on: if note {
                        self.note_applied_on[k]
                    } else {
                        Some(c.date)
                    },
                }
            })
            .collect();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parse_date;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }
    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }
    fn inv(id: i64, issue: &str, due: &str, amount: i64) -> ReplayInvoice<'static> {
        ReplayInvoice {
            id,
            number: format!("INV-{id}").into(),
            currency: usd(),
            issue_date: d(issue),
            due_date: d(due),
            amount,
            paid_before: 0,
            adjusted_before: 0,
            discount_bp: 0,
            discount_days: 0,
            void_from: None,
            noted_before: 0,
            reopened_before: 0,
            discounted_before: false,
            closed_before: None,
        }
    }
    fn run(invoices: Vec<ReplayInvoice<'static>>, payments: Vec<ReplayPayment>) -> ReplayOutcome {
        replay(invoices, payments, Vec::new())
    }
    fn pay(id: i64, date: &str, amount: i64, invoice_id: Option<i64>) -> ReplayPayment {
        ReplayPayment {
            id,
            date: d(date),
            currency: usd(),
            amount,
            invoice_id,
            prior: None,
        }
    }

    #[test]
    fn unnamed_payments_go_oldest_due_first_and_leave_credit() {
        let out = run(
            vec![
                inv(1, "2026-01-10", "2026-03-01", 500),
                inv(2, "2026-01-05", "2026-02-04", 300),
            ],
            vec![pay(10, "2026-02-10", 1000, None)],
        );
        let allocs: Vec<_> = out.allocations.iter().map(|a| (a.invoice_id, a.amount)).collect();
        assert_eq!(allocs, vec![(Some(2), 300), (Some(1), 500)]);
        assert_eq!(out.payments[0].unapplied, 200);
        assert_eq!(out.payments[0].applied_on, None);
    }

    #[test]
    fn invoices_issued_after_the_payment_are_not_touched() {
        let out = run(
            vec![
                inv(1, "2026-01-10", "2026-02-09", 500),
                inv(2, "2026-03-01", "2026-03-31", 300),
            ],
            vec![pay(10, "2026-02-01", 700, None)],
        );
        assert_eq!(out.allocations.len(), 1);
        assert_eq!(out.payments[0].unapplied, 200);
        assert_eq!(out.invoices[1].settled, 0);
    }

    #[test]
    fn named_payment_caps_at_open_balance() {
        let out = run(
            vec![
                inv(1, "2026-01-10", "2026-02-09", 500),
                inv(2, "2026-01-01", "2026-01-31", 300),
            ],
            vec![pay(10, "2026-02-01", 600, Some(1))],
        );
        assert_eq!(
            out.allocations,
            vec![Allocation {
                invoice_id: Some(1),
                payment_id: Some(10),
                note_id: None,
                correction_id: None,
                kind: AllocationKind::Payment,
                date: d("2026-02-01"),
                amount: 500,
                held: true,
            }]
        );
        assert_eq!(out.payments[0].unapplied, 100);
        assert_eq!(out.invoices[0].closed_on, Some(d("2026-02-01")));
        assert_eq!(out.invoices[1].closed_on, None);
    }

    #[test]
    fn replay_order_is_date_then_entry() {
        // Entered later (id 11) but dated earlier: it pays the oldest invoice first.
        let out = run(
            vec![
                inv(1, "2026-01-01", "2026-01-31", 100),
                inv(2, "2026-01-02", "2026-02-01", 100),
            ],
            vec![pay(10, "2026-02-10", 100, None), pay(11, "2026-02-05", 100, None)],
        );
        let allocs: Vec<_> = out
            .allocations
            .iter()
            .map(|a| (a.payment_id, a.invoice_id))
            .collect();
        assert_eq!(allocs, vec![(Some(11), Some(1)), (Some(10), Some(2))]);
    }

    #[test]
    fn discount_inside_window_closes_the_invoice() {
        let mut i = inv(1, "2026-01-01", "2026-01-31", 100_000);
        i.discount_bp = 200;
        i.discount_days = 10;
        let out = run(vec![i.clone()], vec![pay(10, "2026-01-11", 98_000, None)]);
        assert_eq!(out.allocations.len(), 2);
        assert_eq!(out.allocations[1].kind, AllocationKind::Discount);
        assert_eq!(out.allocations[1].amount, 2_000);
        assert_eq!(out.invoices[0].closed_on, Some(d("2026-01-11")));
        // One day late: no discount, 2,000 still open.
        let out = run(vec![i], vec![pay(10, "2026-01-12", 98_000, None)]);
        assert_eq!(out.allocations.len(), 1);
        assert_eq!(out.invoices[0].closed_on, None);
        assert_eq!(out.invoices[0].settled, 98_000);
    }

    #[test]
    fn discount_after_instalments_inside_window() {
        let mut i = inv(1, "2026-01-01", "2026-01-31", 10_000);
        i.discount_bp = 200;
        i.discount_days = 10;
        let out = run(
            vec![i],
            vec![
                pay(10, "2026-01-03", 4_000, None),
                pay(11, "2026-01-09", 6_000, None),
            ],
        );
        // 4,000 + 5,800 reach 10,000 - 200; the payment's last 200 is credit.
        assert_eq!(out.invoices[0].settled, 10_000);
        assert_eq!(out.payments[1].unapplied, 200);
    }
}
