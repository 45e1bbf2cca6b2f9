//! The one definition of the spec's allocation rules (spec: Payments and allocation).
//!
//! `replay` takes a client's invoices as they stood just before a date and the payments
//! dated from then on, and says where every payment goes. It is pure: no SQL, no clock.
//! The store materializes its outcome; `ar check`-style tests compare the two.

use std::collections::BTreeMap;

use crate::domain::entities::AllocationKind;
use crate::domain::terms::discount_minor;
use crate::domain::{Currency, Date};

/// An invoice as it stood just before the replay's first payment.
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
    /// Adjustments (discounts) dated before the replay start.
    pub adjusted_before: i64,
    pub discount_bp: u32,
    pub discount_days: u32,
}

#[derive(Debug, Clone)]
pub struct ReplayPayment {
    pub id: i64,
    pub date: Date,
    pub currency: Currency,
    pub amount: i64,
    pub invoice_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub invoice_id: i64,
    pub payment_id: i64,
    pub kind: AllocationKind,
    pub date: Date,
    pub amount: i64,
    /// Whether the payment kept unapplied credit after this replay (applied in full
    /// later than its date, or not yet): the store indexes only these by payment.
    pub held: bool,
}

/// Final state of an invoice after the replay: `settled` counts every allocation,
/// `closed_on` is the day its balance reached zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceState {
    pub id: i64,
    pub settled: i64,
    pub closed_on: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentState {
    pub id: i64,
    pub unapplied: i64,
    /// The day nothing was left unapplied (the payment date when fully allocated).
    pub applied_on: Option<Date>,
}

#[derive(Debug, Default)]
pub struct ReplayOutcome {
    pub allocations: Vec<Allocation>,
    pub invoices: Vec<InvoiceState>,
    pub payments: Vec<PaymentState>,
}

struct Open<'a> {
    inv: ReplayInvoice<'a>,
    paid: i64,
    adjusted: i64,
    closed_on: Option<Date>,
}

impl Open<'_> {
    fn open(&self) -> i64 {
        self.inv.amount - self.paid - self.adjusted
    }
}

/// Oldest-first order of rule 2: (due date, issue date, number), per currency. The
/// number enters as its rank among this replay's invoices (same order, no copies).
type QueueKey = (Currency, Date, Date, u32);

fn queue_key(inv: &ReplayInvoice<'_>, number_rank: u32) -> QueueKey {
    (inv.currency, inv.due_date, inv.issue_date, number_rank)
}

/// Replay `payments` (any order; they are put in (date, entry order)) over `invoices`.
/// Work is O((invoices + payments) log invoices).
pub fn replay(invoices: Vec<ReplayInvoice<'_>>, mut payments: Vec<ReplayPayment>) -> ReplayOutcome {
    payments.sort_by_key(|p| (p.date, p.id));
    let mut open: Vec<Open> = invoices
        .into_iter()
        .map(|inv| Open {
            paid: inv.paid_before,
            adjusted: inv.adjusted_before,
            closed_on: None,
            inv,
        })
        .collect();
    // Invoices join the queue as the replay reaches their issue date.
    let mut by_issue: Vec<usize> = (0..open.len()).collect();
    by_issue.sort_by_key(|&i| std::cmp::Reverse((open[i].inv.issue_date, open[i].inv.id)));
    let mut by_id: Vec<(i64, usize)> = open.iter().enumerate().map(|(i, o)| (o.inv.id, i)).collect();
    by_id.sort_unstable();
    let find = |id: i64| {
        by_id
            .binary_search_by_key(&id, |&(id, _)| id)
            .ok()
            .map(|k| by_id[k].1)
    };
    let mut by_number: Vec<usize> = (0..open.len()).collect();
    by_number.sort_by(|&a, &b| open[a].inv.number.cmp(&open[b].inv.number));
    let mut rank = vec![0u32; open.len()];
    for (r, &i) in by_number.iter().enumerate() {
        rank[i] = r as u32;
    }
    let mut queue: BTreeMap<QueueKey, usize> = BTreeMap::new();
    let mut out = ReplayOutcome::default();

    for p in &payments {
        while let Some(&i) = by_issue.last() {
            if open[i].inv.issue_date > p.date {
                break;
            }
            by_issue.pop();
            if open[i].open() > 0 {
                queue.insert(queue_key(&open[i].inv, rank[i]), i);
            }
        }
        let mut left = p.amount;
        let first_allocation = out.allocations.len();
        match p.invoice_id {
            // spec rule 1: a named invoice takes the payment up to its open balance. An
            // invoice missing here was closed before the replay start: nothing is open.
            Some(id) => {
                if let Some(i) = find(id)
                    && open[i].inv.issue_date <= p.date
                    && open[i].inv.currency == p.currency
                {
                    left = settle(&mut open[i], p, left, &mut out.allocations);
                    if open[i].closed_on.is_some() {
                        queue.remove(&queue_key(&open[i].inv, rank[i]));
                    }
                }
            }
            // spec rule 2: oldest first over open invoices issued on or before the date.
            None => {
                while left > 0 {
                    let Some((key, &i)) = queue.range((p.currency, Date::MIN, Date::MIN, 0)..).next() else {
                        break;
                    };
                    if key.0 != p.currency {
                        break;
                    }
                    left = settle(&mut open[i], p, left, &mut out.allocations);
                    if open[i].closed_on.is_some() {
                        queue.remove(&queue_key(&open[i].inv, rank[i]));
                    }
                }
            }
        }
        // spec rule 3: what is left is unapplied credit.
        for a in &mut out.allocations[first_allocation..] {
            a.held = left > 0;
        }
        out.payments.push(PaymentState {
            id: p.id,
            unapplied: left,
            applied_on: (left == 0).then_some(p.date),
        });
    }
    out.invoices = open
        .iter()
        .map(|o| InvoiceState {
            id: o.inv.id,
            settled: o.paid + o.adjusted,
            closed_on: o.closed_on,
        })
        .collect();
    out
}

/// Apply up to `left` of payment `p` to one invoice; returns what is left of the payment.
fn settle(o: &mut Open, p: &ReplayPayment, left: i64, allocations: &mut Vec<Allocation>) -> i64 {
    let open = o.open();
    if open <= 0 || left <= 0 {
        return left;
    }
    let mut push = |kind, amount| {
        if amount > 0 {
            allocations.push(Allocation {
                invoice_id: o.inv.id,
                payment_id: p.id,
                kind,
                date: p.date,
                amount,
                held: false, // set once the payment is done
            });
        }
    };
    // spec rule 4: inside the discount window, paying `amount - discount` closes it.
    let in_window = o.inv.discount_bp > 0
        && o.adjusted == 0
        && (p.date - o.inv.issue_date).num_days() <= i64::from(o.inv.discount_days);
    if in_window {
        let discount = discount_minor(o.inv.amount, o.inv.discount_bp);
        let to_pay = (o.inv.amount - discount - o.paid).max(0);
        if left >= to_pay {
            push(AllocationKind::Payment, to_pay);
            push(AllocationKind::Discount, open - to_pay);
            o.paid += to_pay;
            o.adjusted += open - to_pay;
            o.closed_on = Some(p.date);
            return left - to_pay;
        }
    }
    let take = left.min(open);
    push(AllocationKind::Payment, take);
    o.paid += take;
    if take == open {
        o.closed_on = Some(p.date);
    }
    left - take
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
        }
    }
    fn pay(id: i64, date: &str, amount: i64, invoice_id: Option<i64>) -> ReplayPayment {
        ReplayPayment {
            id,
            date: d(date),
            currency: usd(),
            amount,
            invoice_id,
        }
    }

    #[test]
    fn unnamed_payments_go_oldest_due_first_and_leave_credit() {
        let out = replay(
            vec![
                inv(1, "2026-01-10", "2026-03-01", 500),
                inv(2, "2026-01-05", "2026-02-04", 300),
            ],
            vec![pay(10, "2026-02-10", 1000, None)],
        );
        let allocs: Vec<_> = out.allocations.iter().map(|a| (a.invoice_id, a.amount)).collect();
        assert_eq!(allocs, vec![(2, 300), (1, 500)]);
        assert_eq!(out.payments[0].unapplied, 200);
        assert_eq!(out.payments[0].applied_on, None);
    }

    #[test]
    fn invoices_issued_after_the_payment_are_not_touched() {
        let out = replay(
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
        let out = replay(
            vec![
                inv(1, "2026-01-10", "2026-02-09", 500),
                inv(2, "2026-01-01", "2026-01-31", 300),
            ],
            vec![pay(10, "2026-02-01", 600, Some(1))],
        );
        assert_eq!(
            out.allocations,
            vec![Allocation {
                invoice_id: 1,
                payment_id: 10,
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
        let out = replay(
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
        assert_eq!(allocs, vec![(11, 1), (10, 2)]);
    }

    #[test]
    fn discount_inside_window_closes_the_invoice() {
        let mut i = inv(1, "2026-01-01", "2026-01-31", 100_000);
        i.discount_bp = 200;
        i.discount_days = 10;
        let out = replay(vec![i.clone()], vec![pay(10, "2026-01-11", 98_000, None)]);
        assert_eq!(out.allocations.len(), 2);
        assert_eq!(out.allocations[1].kind, AllocationKind::Discount);
        assert_eq!(out.allocations[1].amount, 2_000);
        assert_eq!(out.invoices[0].closed_on, Some(d("2026-01-11")));
        // One day late: no discount, 2,000 still open.
        let out = replay(vec![i], vec![pay(10, "2026-01-12", 98_000, None)]);
        assert_eq!(out.allocations.len(), 1);
        assert_eq!(out.invoices[0].closed_on, None);
        assert_eq!(out.invoices[0].settled, 98_000);
    }

    #[test]
    fn discount_after_instalments_inside_window() {
        let mut i = inv(1, "2026-01-01", "2026-01-31", 10_000);
        i.discount_bp = 200;
        i.discount_days = 10;
        let out = replay(
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
