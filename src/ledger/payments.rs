//! Payment operations: record a payment through a [`Batch`] (spec rule 1's
//! refusals), list payments as of a date.

use anyhow::Result;
use serde::Serialize;

use super::{Batch, Ledger, Recorded};
use crate::domain::entities::{AllocationLine, Correction, Payment};
use crate::domain::text::clean_text;
use crate::domain::{Currency, Date, Field, LedgerError, Money};
use crate::store::{InvoiceLookup, InvoiceRef, NewPaymentRow, PaymentFilter, PaymentKey, WriteHint};

#[derive(Clone)]
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
    pub reallocated_later: u64,
    /// Payments the ledger already held with the same client, date, amount and
    /// reference: perhaps this one was entered twice.
    pub repeats: u64,
}

/// A payment, where it went (its allocations, the reversal's among them) and its
/// reversal.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentDetail {
    #[serde(flatten)]
    pub payment: Payment,
    pub allocations: Vec<AllocationLine>,
    pub reversal: Option<Correction>,
    pub entered_at: Option<String>,
    pub entered_by: Option<String>,
}

/// The invoice a payment names.
enum NamedInvoice {
    None,
    /// Its number (trimmed, not empty), to look up.
    Number(String),
    /// Looked up already (in a view the store offered: see `WriteTxn::invoice_lookup`).
    Found(InvoiceRef),
    /// Looked up already, and not there: refused once the client is known to exist
    /// (an unknown client is said first).
    Unknown(String),
}

/// A [`NewPayment`] whose own fields are parsed and checked: what is left to check
/// needs the ledger (its client, the invoice it names). Checking needs no ledger, so
/// an import checks rows on a thread of their own.
pub struct CheckedPayment {
    client: String,
    /// As given; else the named invoice's, else the ledger's.
    currency: Option<Currency>,
    date: Date,
    invoice: NamedInvoice,
    /// The amount as typed, kept while the currency may still change (a named
    /// invoice in another currency than the ledger's).
    amount_text: String,
    /// The amount parsed in the currency known so far. An error waits for the
    /// checks of the invoice, which come first (as in `ar pay`), and so does one
    /// of the reference.
    amount: Result<Money, LedgerError>,
    reference: Result<Option<String>, LedgerError>,
}

impl CheckedPayment {
    /// Whether it carries a reference (what a repeat warning compares).
    pub(crate) fn has_reference(&self) -> bool {
        matches!(&self.reference, Ok(Some(_)))
    }
}

impl NewPayment {
    /// Check the payment's own fields; with `invoices` (a view of the ledger's
    /// invoices), also find the invoice it names.
    pub fn check(
        self,
        default_currency: Currency,
        invoices: Option<&dyn InvoiceLookup>,
    ) -> Result<CheckedPayment, LedgerError> {
        let currency = match self.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => Some(Currency::parse(code)?),
            None => None,
        };
        let reference = self
            .reference
            .map(|r| clean_text(Field::Reference, &r, 200))
            .transpose();
        let number = self.invoice.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let invoice = match (number, invoices) {
            (None, _) => NamedInvoice::None,
            (Some(n), None) => NamedInvoice::Number(n.to_string()),
            (Some(n), Some(view)) => match view.find(n) {
                Some(found) => NamedInvoice::Found(found),
                None => NamedInvoice::Unknown(n.to_string()),
            },
        };
        // A payment naming an invoice is in the invoice's currency unless told otherwise.
        let known_currency = match &invoice {
            NamedInvoice::Found(found) => Some(found.currency),
            _ => None,
        };
        let amount = Money::parse_positive(
            &self.amount,
            currency.or(known_currency).unwrap_or(default_currency),
        );
        // Kept only while the currency may still change.
        let amount_text = match invoice {
            NamedInvoice::Number(_) if currency.is_none() => self.amount,
            _ => String::new(),
        };
        Ok(CheckedPayment {
            client: self.client,
            currency,
            date: self.date,
            invoice,
            amount_text,
            amount,
            reference,
        })
    }
}

impl Batch<'_> {
    pub fn record_payment(&mut self, new: NewPayment) -> Result<Recorded> {
        // The client first, as an unknown one is what `ar pay` says first.
        self.find_client(&new.client)?;
        let checked = new.check(self.settings.currency, None)?;
        self.record_checked_payment(checked)
    }

    /// [`Batch::record_payment`] of a row already checked (by [`NewPayment::check`]).
    pub(super) fn record_checked_payment(&mut self, new: CheckedPayment) -> Result<Recorded> {
        let client = self.client(&new.client)?;
        let unknown = |number: String| LedgerError::UnknownInvoice {
            field: Field::Invoice,
            number,
        };
        let found = match new.invoice {
            NamedInvoice::None => None,
            NamedInvoice::Found(found) => Some(found),
            NamedInvoice::Unknown(number) => return Err(unknown(number).into()),
            NamedInvoice::Number(number) => {
                Some(self.txn.invoice_ref(&number)?.ok_or_else(|| unknown(number))?)
            }
        };
        let invoice = match found {
            None => None,
            Some(invoice) => {
                // (Messages name the invoice as stored: its number is looked up only
                // for one.)
                // spec rule 1: the same client, the same currency, issued by the date.
                if invoice.client_id != client.id {
                    let owner = self
                        .txn
                        .client_by_id(invoice.client_id, self.settings.currency)?
                        .map_or_else(|| format!("#{}", invoice.client_id), |c| c.code);
                    return Err(LedgerError::InvoiceOfOtherClient {
                        invoice: self.txn.invoice_number(invoice.id)?,
                        owner,
                        client: client.code.clone(),
                    }
                    .into());
                }
                if invoice.void {
                    return Err(LedgerError::PaymentToVoid {
                        number: self.txn.invoice_number(invoice.id)?,
                    }
                    .into());
                }
                if let Some(c) = new.currency.filter(|c| *c != invoice.currency) {
                    return Err(LedgerError::CurrencyMismatch {
                        invoice: self.txn.invoice_number(invoice.id)?,
                        invoice_currency: invoice.currency.to_string(),
                        payment_currency: c.to_string(),
                    }
                    .into());
                }
                if invoice.issue_date > new.date {
                    return Err(LedgerError::InvoiceIssuedAfterPayment {
                        invoice: self.txn.invoice_number(invoice.id)?,
                        issued: invoice.issue_date.to_string(),
                        paid: new.date.to_string(),
                    }
                    .into());
                }
                Some(invoice)
            }
        };
        // A payment naming an invoice is in the invoice's currency unless told otherwise.
        let currency = new
            .currency
            .or(invoice.as_ref().map(|i| i.currency))
            .unwrap_or(self.settings.currency);
        let amount = match new.amount {
            Ok(m) if m.currency == currency => m,
            Err(e) if new.amount_text.is_empty() => return Err(e.into()),
            _ => Money::parse_positive(&new.amount_text, currency)?,
        };
        let reference = new.reference?;
        let repeats = self.txn.similar_payments(&PaymentKey {
            client_id: client.id,
            date: new.date,
            currency,
            amount: amount.minor,
            reference: reference.clone(),
        })?;
        let id = self.txn.insert_payment(&NewPaymentRow {
            client_id: client.id,
            currency,
            date: new.date,
            amount: amount.minor,
            invoice_id: invoice.map(|i| i.id),
            reference: reference.as_deref(),
        })?;
        self.mark(client.id, new.date);
        self.first_payment_id.get_or_insert(id);
        self.entered.payments += 1;
        self.entered_for.insert(client.id);
        Ok(Recorded {
            id,
            client_id: client.id,
            repeats,
        })
    }
}

impl Ledger {
    pub fn record_payment(&mut self, new: NewPayment) -> Result<PaymentReceipt> {
        self.write(WriteHint::ONE, |b| {
            let recorded = b.record_payment(new.clone())?;
            b.replay()?;
            let txn = b.txn();
            let everything = crate::domain::dates::end_of_time();
            let payment = txn
                .payment(recorded.id, everything)?
                .ok_or_else(|| crate::internal!("payment {} not found after its insert", recorded.id))?;
            Ok(PaymentReceipt {
                allocations: txn.payment_allocations(recorded.id)?,
                reallocated_later: txn.payments_after(recorded.client_id, payment.date, recorded.id)?,
                repeats: recorded.repeats,
                payment,
            })
        })
    }

    /// A payment as it stands now: where it went, and its reversal.
    pub fn payment_detail(&mut self, id: i64) -> Result<PaymentDetail> {
        self.read(|txn, _| {
            let payment = txn
                .payment(id, crate::domain::dates::end_of_time())?
                .ok_or_else(|| LedgerError::UnknownPayment { id: id.to_string() })?;
            let (entered_at, entered_by) = txn.entered(crate::store::EntryKind::Payment, id)?.unzip();
            Ok(PaymentDetail {
                allocations: txn.payment_allocations(id)?,
                reversal: txn.reversal_of(id)?,
                entered_at,
                entered_by,
                payment,
            })
        })
    }

    /// Payments dated on or before `as_of`, each with its credit as of then.
    pub fn payments(&mut self, client: Option<&str>, as_of: Date) -> Result<Vec<Payment>> {
        self.read(|txn, settings| {
            let client_id = client
                .map(|c| super::clients::find_client(txn, c, settings.currency).map(|c| c.id))
                .transpose()?;
            let mut out = Vec::new();
            txn.payments(
                &PaymentFilter {
                    client_id,
                    with_credit: false,
                    as_of,
                },
                &mut |p| {
                    out.push(p);
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }
}
