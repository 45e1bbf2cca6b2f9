//! [`ReadTxn::each_client_state`](crate::store::ReadTxn::each_client_state) for a
//! whole ledger: each table read once, front to back, and grouped by client in
//! memory. Client by client through the indexes, a million-invoice ledger took half
//! a minute of random page reads; front to back it takes a few seconds.
//!
//! ## Memory
//! About 60 bytes per invoice, 48 per payment and 32 per allocation are held at
//! once: some 150 MB for a million of each.

use anyhow::Result;
use rusqlite::Connection;

use super::columns::{currency_column, date_column, date_or_not_yet, kind_column};
use crate::domain::{Currency, Date};
use crate::engine::replay::{Allocation, InvoiceState, PaymentState, ReplayInvoice, ReplayPayment};
use crate::store::{ClientId, ReplayScope, StoredDerived, StoredInvoiceState, StoredPaymentState};

struct Invoice {
    id: i64,
    amount: i64,
    settled: i64,
    client: ClientId,
    issue_date: Date,
    due_date: Date,
    closed_on: Option<Date>,
    discount_bp: u32,
    discount_days: u32,
    currency: Currency,
    void: bool,
}

struct Payment {
    id: i64,
    client: ClientId,
    amount: i64,
    unapplied: i64,
    invoice_id: Option<i64>,
    date: Date,
    applied_on: Option<Date>,
    currency: Currency,
}

pub(super) fn each_client_state(
    conn: &Connection,
    f: &mut dyn FnMut(ClientId, ReplayScope, StoredDerived) -> Result<()>,
) -> Result<()> {
    // Invoices in id order, their numbers in one arena.
    let mut invoices = Vec::new();
    let (mut text, mut ends) = (String::new(), Vec::<usize>::new());
    let mut stmt = conn.prepare(
        "SELECT id, client_id, amount, settled, issue_date, due_date, closed_on, discount_bp, discount_days,
                currency, voided_on IS NOT NULL, number FROM invoices ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        invoices.push(Invoice {
            id: r.get(0)?,
            client: r.get(1)?,
            amount: r.get(2)?,
            settled: r.get(3)?,
            issue_date: date_column(r.get_ref(4)?)?,
            due_date: date_column(r.get_ref(5)?)?,
            closed_on: date_or_not_yet(r.get_ref(6)?.as_str()?)?,
            discount_bp: r.get(7)?,
            discount_days: r.get(8)?,
            currency: currency_column(r.get_ref(9)?.as_str()?)?,
            void: r.get(10)?,
        });
        text.push_str(r.get_ref(11)?.as_str()?);
        ends.push(text.len());
    }
    drop(rows);
    let number = |i: usize| &text[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
    let position = |id: i64| invoices.binary_search_by_key(&id, |inv| inv.id).ok();

    let mut payments = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT id, client_id, amount, unapplied, invoice_id, date, applied_on, currency FROM payments ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        payments.push(Payment {
            id: r.get(0)?,
            client: r.get(1)?,
            amount: r.get(2)?,
            unapplied: r.get(3)?,
            invoice_id: r.get(4)?,
            date: date_column(r.get_ref(5)?)?,
            applied_on: date_or_not_yet(r.get_ref(6)?.as_str()?)?,
            currency: currency_column(r.get_ref(7)?.as_str()?)?,
        });
    }
    drop(rows);

    // Allocations by the client of their invoice (one that points nowhere is the
    // integrity check's to report).
    let mut allocations: Vec<(ClientId, Allocation)> = Vec::new();
    let mut stmt =
        conn.prepare("SELECT invoice_id, payment_id, kind, date, amount, held FROM allocations ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let invoice_id: i64 = r.get(0)?;
        let Some(i) = position(invoice_id) else {
            continue;
        };
        let kind = kind_column(r.get_ref(2)?)?;
        allocations.push((
            invoices[i].client,
            Allocation {
                invoice_id,
                payment_id: r.get(1)?,
                kind,
                date: date_column(r.get_ref(3)?)?,
                amount: r.get(4)?,
                held: r.get(5)?,
            },
        ));
    }
    drop(rows);

    // Group by client (stable: id order within a client, as the per-client reads give).
    let mut inv_order: Vec<u32> = (0..invoices.len() as u32).collect();
    inv_order.sort_by_key(|&i| invoices[i as usize].client);
    let mut pay_order: Vec<u32> = (0..payments.len() as u32).collect();
    pay_order.sort_by_key(|&p| payments[p as usize].client);
    allocations.sort_by_key(|(client, _)| *client);
    let clients: Vec<ClientId> = {
        let mut ids: Vec<ClientId> = conn
            .prepare("SELECT id FROM clients ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.dedup();
        ids
    };
    let (mut a, mut b, mut c) = (0, 0, 0);
    for client in clients {
        let take = |order: &[u32], from: usize, of: &dyn Fn(u32) -> ClientId| {
            let start = from + order[from..].iter().take_while(|&&k| of(k) < client).count();
            let end = start + order[start..].iter().take_while(|&&k| of(k) == client).count();
            (start, end)
        };
        let (ia, ib) = take(&inv_order, a, &|k| invoices[k as usize].client);
        let (pa, pb) = take(&pay_order, b, &|k| payments[k as usize].client);
        let ca = c + allocations[c..].iter().take_while(|(x, _)| *x < client).count();
        let cb = ca + allocations[ca..].iter().take_while(|(x, _)| *x == client).count();
        (a, b, c) = (ib, pb, cb);

        let mut client_payments: Vec<&Payment> =
            pay_order[pa..pb].iter().map(|&k| &payments[k as usize]).collect();
        let derived = StoredDerived {
            allocations: allocations[ca..cb].iter().map(|(_, al)| al.clone()).collect(),
            invoices: inv_order[ia..ib]
                .iter()
                .map(|&k| {
                    let inv = &invoices[k as usize];
                    StoredInvoiceState {
                        state: InvoiceState {
                            id: inv.id,
                            settled: inv.settled,
                            closed_on: inv.closed_on,
                        },
                        number: number(k as usize).to_string(),
                        currency: inv.currency,
                        void: inv.void,
                    }
                })
                .collect(),
            payments: client_payments
                .iter()
                .map(|p| StoredPaymentState {
                    state: PaymentState {
                        id: p.id,
                        unapplied: p.unapplied,
                        applied_on: p.applied_on,
                    },
                    currency: p.currency,
                })
                .collect(),
        };
        // The scope of a replay from the beginning: facts alone (see `replay_scope`).
        client_payments.sort_by_key(|p| (p.date, p.id));
        let scope = ReplayScope {
            from: Date::MIN,
            invoices: if client_payments.is_empty() {
                Vec::new()
            } else {
                inv_order[ia..ib]
                    .iter()
                    .filter(|&&k| !invoices[k as usize].void)
                    .map(|&k| {
                        let inv = &invoices[k as usize];
                        ReplayInvoice {
                            id: inv.id,
                            number: number(k as usize).to_string().into(),
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
                    .collect()
            },
            payments: client_payments
                .iter()
                .map(|p| ReplayPayment {
                    id: p.id,
                    date: p.date,
                    currency: p.currency,
                    amount: p.amount,
                    invoice_id: p.invoice_id,
                })
                .collect(),
        };
        f(client, scope, derived)?;
    }
    Ok(())
}
