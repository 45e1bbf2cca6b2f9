//! Payment operations: record (and allocate) a payment, list payments.

use anyhow::{Result, bail};
use serde::Serialize;

use super::bulk::InvoiceDirectory;
use super::{ClientRef, Ledger, clean_text, replay_client, resolve_client};
use crate::domain::entities::{AllocationLine, Client, Payment};
use crate::domain::{Currency, Date, LedgerError, Money};
use crate::store::{Db, InvoiceRef, NewPaymentRow, PaymentFilter, StoredPayment};

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
            let checked = new.check(default_currency, None)?;
            let StoredPayment {
                id, client_id, date, ..
            } = record_payment(db, &client, default_currency, checked, None)?;
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

/// A [`NewPayment`] whose own fields are parsed and checked: what is left to check
/// needs the ledger (its client, the invoice it names). Checking needs no store, so
/// a bulk import checks rows on a second thread.
pub(crate) struct CheckedPayment {
    pub client: ClientRef,
    /// As given; else the named invoice's, else the ledger's.
    pub currency: Option<Currency>,
    pub date: Date,
    pub invoice: NamedInvoice,
    amount_text: String,
    /// The amount parsed in the payment's currency as far as it is known: right
    /// unless a named invoice, not yet looked up, is in another currency (then it
    /// is parsed again). An error waits for the checks of the invoice, which come
    /// first (as in `ar pay`), and so does one of the reference.
    amount: Result<Money, LedgerError>,
    reference: Result<Option<String>, LedgerError>,
}

/// The invoice a payment names.
pub(crate) enum NamedInvoice {
    None,
    /// Its number (trimmed, not empty), to look up.
    Number(String),
    /// Not in the bulk load's [`InvoiceDirectory`]: refused once the client is
    /// known to exist (an unknown client is said first).
    Unknown(String),
    /// Found at `position` of the bulk load's [`InvoiceDirectory`]: `invoice` is a
    /// copy without its number (read from the directory only for a message), so the
    /// thread that writes the payment need not touch the directory at all.
    Found {
        position: usize,
        invoice: InvoiceRef<'static>,
    },
}

impl NewPayment {
    /// Check the payment's own fields; with a bulk load's `directory`, also find the
    /// invoice it names (the other checks against that invoice wait for the client).
    pub(super) fn check(
        self,
        default_currency: Currency,
        directory: Option<&InvoiceDirectory>,
    ) -> Result<CheckedPayment, LedgerError> {
        let currency = match self.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => Some(Currency::parse(code)?),
            None => None,
        };
        let reference = self
            .reference
            .map(|r| clean_text("reference", &r, 200))
            .transpose();
        let number = self.invoice.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let (invoice, invoice_currency) = match (number, directory) {
            (None, _) => (NamedInvoice::None, None),
            (Some(n), None) => (NamedInvoice::Number(n.to_string()), None),
            (Some(n), Some(d)) => match d.position(n) {
                Some(position) => {
                    let invoice = d.at_unnamed(position);
                    let currency = invoice.currency;
                    (NamedInvoice::Found { position, invoice }, Some(currency))
                }
                None => (NamedInvoice::Unknown(n.to_string()), None),
            },
        };
        let amount = Money::parse_positive(
            &self.amount,
            currency.or(invoice_currency).unwrap_or(default_currency),
        );
        // Kept only while the currency may still change.
        let amount_text = match invoice {
            NamedInvoice::Number(_) if currency.is_none() => self.amount,
            _ => String::new(),
        };
        Ok(CheckedPayment {
            client: ClientRef::Code(self.client),
            currency,
            date: self.date,
            invoice,
            reference,
            amount_text,
            amount,
        })
    }
}

/// Check against the ledger and insert one payment (spec rule 1's refusals); the
/// caller replays. The invoice it names is looked up in `directory` when given (a
/// bulk load), else in the ledger. Returns the payment as stored.
pub(crate) fn record_payment(
    db: &Db,
    client: &Client,
    default_currency: Currency,
    new: CheckedPayment,
    directory: Option<&InvoiceDirectory>,
) -> Result<StoredPayment> {
    let given_currency = new.currency;
    let (found, position) = match (new.invoice, directory) {
        (NamedInvoice::None, _) => (None, None),
        (NamedInvoice::Found { position, invoice }, _) => (Some(invoice), Some(position)),
        (NamedInvoice::Unknown(number), _) => bail!(LedgerError::UnknownInvoice(number)),
        (NamedInvoice::Number(number), directory) => (
            Some(
                match directory {
                    Some(d) => d.get(&number),
                    None => db.invoice_ref(&number)?,
                }
                .ok_or(LedgerError::UnknownInvoice(number))?,
            ),
            None,
        ),
    };
    let invoice = match found {
        Some(invoice) => {
            let number = || match (position, directory) {
                (Some(i), Some(d)) => d.at(i).number.into_owned(),
                _ => invoice.number.to_string(),
            };
            if invoice.client_id != client.id {
                bail!(LedgerError::InvoiceOfOtherClient {
                    invoice: number(),
                    owner: db.client_code(invoice.client_id)?,
                    client: client.code.clone()
                });
            }
            if invoice.void {
                bail!(LedgerError::PaymentToVoid(number()));
            }
            if let Some(c) = given_currency.filter(|c| *c != invoice.currency) {
                bail!(LedgerError::CurrencyMismatch {
                    invoice: number(),
                    invoice_currency: invoice.currency.to_string(),
                    payment_currency: c.to_string(),
                });
            }
            if invoice.issue_date > new.date {
                bail!(LedgerError::InvoiceIssuedAfterPayment {
                    invoice: number(),
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
    let amount = match new.amount {
        Ok(m) if m.currency == currency => m,
        Err(e) if new.amount_text.is_empty() => return Err(e.into()),
        _ => Money::parse_positive(&new.amount_text, currency)?,
    };
    let reference = new.reference?;
    db.insert_payment(&NewPaymentRow {
        client_id: client.id,
        currency,
        date: new.date,
        amount: amount.minor,
        invoice_id: invoice.map(|i| i.id),
        reference: reference.as_deref(),
    })
}
