//! The sample ledgers of `ar demo`: what the generator (`generate.rs`) makes,
//! entered through the one write path, as an import would enter it.

use anyhow::Result;

use super::generate::Generated;
use super::{Batch, KEY_DEMO, KEY_NEXT, Ledger, NewClient, NewInvoice, NewPayment};
use crate::domain::Terms;
use crate::domain::money::format_minor;
use crate::store::WriteHint;

/// Counts of what a sample holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleCounts {
    pub clients: usize,
    pub invoices: usize,
    pub payments: usize,
}

/// Enter `g` into `ledger` (empty), in one transaction, marked as a demo ledger.
pub fn build_sample(ledger: &mut Ledger, g: &Generated) -> Result<SampleCounts> {
    let entries = (g.clients.len() + g.invoices.len() + g.payments.len()) as u64;
    ledger.write(WriteHint { entries }, |b| {
        b.txn().set_setting(KEY_DEMO, "1")?;
        enter(b, g)?;
        b.txn()
            .set_setting(KEY_NEXT, &(g.invoices.len() as u64 + 1).to_string())?;
        Ok(SampleCounts {
            clients: g.clients.len(),
            invoices: g.invoices.len(),
            payments: g.payments.len(),
        })
    })
}

fn enter(b: &mut Batch, g: &Generated) -> Result<()> {
    let digits = b.settings().currency.digits();
    let amount = |minor: i64| format_minor(minor, digits, false);
    for c in &g.clients {
        let terms = match c.discount {
            Some((bp, days)) => Terms {
                net_days: c.net_days,
                discount_bp: bp,
                discount_days: days,
            },
            None => Terms::net(c.net_days),
        };
        b.add_client(NewClient {
            code: c.code.clone(),
            name: c.name.clone(),
            email: Some(c.email.clone()),
            terms: Some(terms),
            credit_limit: c.credit_limit.map(amount),
        })?;
    }
    for (i, inv) in g.invoices.iter().enumerate() {
        b.add_invoice(NewInvoice {
            client: g.clients[inv.client as usize].code.clone(),
            amount: amount(inv.amount),
            currency: None,
            issue_date: inv.issue,
            due_date: inv.due,
            terms: None,
            number: Some(g.invoice_number(i as u32)),
            description: None,
        })?;
    }
    for (k, p) in g.payments.iter().enumerate() {
        b.record_payment(NewPayment {
            client: g.clients[p.client as usize].code.clone(),
            amount: amount(p.amount),
            currency: None,
            date: p.date,
            invoice: p.invoice.map(|i| g.invoice_number(i)),
            reference: Some(g.payment_reference(k)),
        })?;
    }
    Ok(())
}
