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

use super::columns::date_or_not_yet;
use super::rows::{
    REPLAY_CORRECTION_COLUMNS, StoredInvoice, StoredPayment, replay_correction, scan_invoices, scan_payments,
};
use super::txn::{ALLOCATION_COLUMNS, allocation_row, closing_row};
use crate::domain::Date;
use crate::engine::replay::{Allocation, Closing, InvoiceState, PaymentState, ReplayCorrection};
use crate::store::{
    ClientId, ReplayScope, StoredCorrectionState, StoredDerived, StoredInvoiceState, StoredPaymentState,
};

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

    // Corrections (few) by client, with what they derived.
    let mut corrections: hashbrown::HashMap<ClientId, Vec<(ReplayCorrection, StoredCorrectionState)>> =
        hashbrown::HashMap::new();
    let mut correction_client: hashbrown::HashMap<i64, ClientId> = hashbrown::HashMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT client_id, {REPLAY_CORRECTION_COLUMNS}, unapplied, applied_on FROM corrections ORDER BY id"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let client: ClientId = r.get(0)?;
        let id: i64 = r.get(1)?;
        correction_client.insert(id, client);
        corrections.entry(client).or_default().push((
            replay_correction(r, 1)?,
            StoredCorrectionState {
                id,
                done: r.get(9)?,
                unapplied: r.get(10)?,
                applied_on: date_or_not_yet(r.get_ref(11)?.as_str()?)?,
            },
        ));
    }
    drop(rows);
    drop(stmt);

    // Allocations by the client of their invoice, or of their correction (one that
    // points nowhere is the integrity check's to report).
    let mut allocations: Vec<(ClientId, Allocation)> = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {ALLOCATION_COLUMNS} FROM allocations a ORDER BY a.id"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let a = allocation_row(r)?;
        let client = match a.invoice_id {
            Some(id) => position(id).map(|i| owner(&invoices[i])),
            None => a.correction_id.and_then(|c| correction_client.get(&c).copied()),
        };
        if let Some(client) = client {
            allocations.push((client, a));
        }
    }
    drop(rows);
    drop(stmt);
    let mut closings: hashbrown::HashMap<ClientId, Vec<Closing>> = hashbrown::HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT invoice_id, closed_on, reopened_on, by_adjustment FROM closings ORDER BY invoice_id, closed_on",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let c = closing_row(r)?;
        if let Some(i) = position(c.invoice_id) {
            closings.entry(owner(&invoices[i])).or_default().push(c);
        }
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
                            closed_by_adjustment: inv.closed_by_adjustment,
                        },
                        number: number(k as usize).to_string(),
                        currency: inv.currency,
                        void: inv.void(),
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
            corrections: Vec::new(),
            closings: closings.remove(&client).unwrap_or_default(),
        };
        let (client_corrections, stored): (Vec<ReplayCorrection>, Vec<StoredCorrectionState>) = corrections
            .remove(&client)
            .unwrap_or_default()
            .into_iter()
            .unzip();
        let derived = StoredDerived {
            corrections: stored,
            ..derived
        };
        // The scope of a replay from the beginning: facts alone (see `replay_scope`).
        client_payments.sort_by_key(|p| (p.date, p.id));
        let client_invoices = &inv_order[ia..ib];
        let any_void = client_invoices.iter().any(|&k| invoices[k as usize].void());
        let scope = ReplayScope {
            from: Date::MIN,
            invoices: if client_payments.is_empty() && client_corrections.is_empty() && !any_void {
                Vec::new()
            } else {
                client_invoices
                    .iter()
                    .map(|&k| invoices[k as usize].replay_invoice(number(k as usize).to_string()))
                    .collect()
            },
            payments: client_payments.iter().map(|p| p.replay_payment()).collect(),
            corrections: client_corrections,
        };
        f(client, scope, derived)?;
    }
    Ok(())
}
