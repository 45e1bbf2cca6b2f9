//! [`ReadTxn::each_client_state`](crate::store::ReadTxn::each_client_state) for a
//! whole ledger: each table read once, front to back, and grouped by client in
//! memory. Client by client through the indexes, a million-invoice ledger took half
//! a minute of random page reads; front to back it takes a few seconds.
//!
//! ## Memory
//! The rows of a bulk load's picture (`rows.rs`: 48 bytes an invoice or a payment,
//! and each invoice's number), and 32 bytes an allocation, are held at once.

use anyhow::Result;
use rusqlite::Connection;

use super::columns::{date_column, kind_column};
use super::rows::{StoredInvoice, StoredPayment, scan_invoices, scan_payments};
use crate::domain::Date;
use crate::engine::replay::{Allocation, InvoiceState, PaymentState};
use crate::store::{ClientId, ReplayScope, StoredDerived, StoredInvoiceState, StoredPaymentState};

pub(super) fn each_client_state(
    conn: &Connection,
    f: &mut dyn FnMut(ClientId, ReplayScope, StoredDerived) -> Result<()>,
) -> Result<()> {
    // Invoices in id order, their numbers in one arena.
    let mut invoices: Vec<StoredInvoice> = Vec::new();
    let (mut text, mut ends) = (String::new(), Vec::<usize>::new());
    scan_invoices(conn, |invoice, number| {
        invoices.push(invoice);
        text.push_str(number);
        ends.push(text.len());
    })?;
    let number = |i: usize| &text[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];
    let position = |id: i64| invoices.binary_search_by_key(&id, |inv| inv.id).ok();
    let owner = |inv: &StoredInvoice| ClientId::from(inv.client_id);

    let mut payments: Vec<StoredPayment> = Vec::new();
    scan_payments(conn, i64::MAX, |p| payments.push(p))?;

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
            owner(&invoices[i]),
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
    inv_order.sort_by_key(|&i| owner(&invoices[i as usize]));
    let mut pay_order: Vec<u32> = (0..payments.len() as u32).collect();
    pay_order.sort_by_key(|&p| ClientId::from(payments[p as usize].client_id));
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
        let (ia, ib) = take(&inv_order, a, &|k| owner(&invoices[k as usize]));
        let (pa, pb) = take(&pay_order, b, &|k| ClientId::from(payments[k as usize].client_id));
        let ca = c + allocations[c..].iter().take_while(|(x, _)| *x < client).count();
        let cb = ca + allocations[ca..].iter().take_while(|(x, _)| *x == client).count();
        (a, b, c) = (ib, pb, cb);

        let mut client_payments: Vec<&StoredPayment> =
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
                            closed_on: inv.closed_on.get(),
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
                        applied_on: p.applied_on.get(),
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
                    .map(|&k| invoices[k as usize].replay_invoice(number(k as usize).to_string()))
                    .collect()
            },
            payments: client_payments.iter().map(|p| p.replay_payment()).collect(),
        };
        f(client, scope, derived)?;
    }
    Ok(())
}
