//! Payment operations: record (and allocate) a payment, list payments.

use anyhow::{Result, bail};
use serde::Serialize;

use super::bulk::InvoiceDirectory;
use super::{Ledger, clean_text, replay_client, resolve_client};
use crate::domain::entities::{AllocationLine, Client, Payment};
use crate::domain::{Currency, Date, LedgerError, Money};
use crate::store::{Db, NewPaymentRow, PaymentFilter};

pub struct NewPayment {
    pub client: String,
    /// As typed: parsed in the payment's currency.
    pub amount: String,
    pub currency: Option<String>,
    pub date: Date,
    pub invoice: Option<String>,
    pub reference: Option<String>,
}

/// What recording a payment did.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentReceipt {
    pub payment: Payment,
    /// Where this payment went.
    pub allocations: Vec<AllocationLine>,
    /// Payments dated after this one whose allocation was recomputed (a back-dated entry).
    pub reallocated_later: i64,
}

impl Ledger {
    pub fn record_payment(&mut self, new: NewPayment) -> Result<PaymentReceipt> {
        let default_currency = self.settings.currency;
        self.store.write(|db| {
            let client = resolve_client(db, &new.client, default_currency)?;
            let (id, client_id, date) = record_payment(db, &client, default_currency, new, None)?;
            replay_client(db, client_id, date)?;
            let payment = db.payment(id)?;
            Ok(PaymentReceipt {
                allocations: db.payment_allocations(id, payment.currency)?,
                reallocated_later: db.count_payments_after(client_id, date, id)?,
                payment,
            })
        })
    }

    pub fn payments(&mut self, client: Option<&str>) -> Result<Vec<Payment>> {
        let client_id = client.map(|c| self.client_id(c)).transpose()?;
        self.store.read(|db| {
            db.list_payments(&PaymentFilter {
                client_id,
                with_credit: false,
            })
        })
    }
}

/// Validate and insert one payment (spec rule 1's refusals); the caller replays.
/// The invoice it names is looked up in `directory` when given (a bulk load), else
/// in the ledger. Returns the payment id, its client id and date.
pub(crate) fn record_payment(
    db: &Db,
    client: &Client,
    default_currency: Currency,
    new: NewPayment,
    directory: Option<&InvoiceDirectory>,
) -> Result<(i64, i64, Date)> {
    let given_currency = match new.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Some(Currency::parse(code)?),
        None => None,
    };
    let invoice = match new.invoice.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(number) => {
            let invoice = match directory {
                Some(d) => d.get(number),
                None => db.invoice_ref(number)?,
            }
            .ok_or_else(|| LedgerError::UnknownInvoice(number.into()))?;
            if invoice.client_id != client.id {
                bail!(LedgerError::InvoiceOfOtherClient {
                    invoice: invoice.number,
                    owner: db.client_code(invoice.client_id)?,
                    client: client.code.clone()
                });
            }
            if invoice.void {
                bail!(LedgerError::PaymentToVoid(invoice.number));
            }
            if let Some(c) = given_currency.filter(|c| *c != invoice.currency) {
                bail!(LedgerError::CurrencyMismatch {
                    invoice: invoice.number,
                    invoice_currency: invoice.currency.to_string(),
                    payment_currency: c.to_string(),
                });
            }
            if invoice.issue_date > new.date {
                bail!(LedgerError::InvoiceIssuedAfterPayment {
                    invoice: invoice.number,
                    issued: invoice.issue_date.to_string(),
                    paid: new.date.to_string(),
                });
            }
            Some(invoice)
        }
        None => None,
    };
    // A payment naming an invoice is in the invoice's currency unless told otherwise.
    let currency = given_currency
        .or(invoice.as_ref().map(|i| i.currency))
        .unwrap_or(default_currency);
    let amount = Money::parse_positive(&new.amount, currency)?;
    let reference = new
        .reference
        .map(|r| clean_text("reference", &r, 200))
        .transpose()?;
    let id = db.insert_payment(&NewPaymentRow {
        client_id: client.id,
        currency,
        date: new.date,
        amount: amount.minor,
        invoice_id: invoice.map(|i| i.id),
        reference: reference.as_deref(),
    })?;
    Ok((id, client.id, new.date))
}
