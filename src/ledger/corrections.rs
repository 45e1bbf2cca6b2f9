//! Corrections (spec: Corrections and adjustments): credit notes, write-offs,
//! credit applied, refunds and payment reversals, entered through a [`Batch`] as
//! dated facts. What each does is the replay's (`engine::replay`); here are the
//! checks of its own fields, and the refusals the replay's problems become.

use anyhow::Result;
use serde::Serialize;

use super::{Batch, Ledger};
use crate::domain::entities::{AllocationLine, Correction, CorrectionKind};
use crate::domain::text::clean_text;
use crate::domain::{Currency, Date, Field, LedgerError, Money};
use crate::engine::replay::{EntryRef, Problem};
use crate::store::{CorrectionId, InvoiceRef, NewCorrectionRow, ReadTxn, WriteHint};

/// A correction as typed (amounts as text: parsed in the currency it turns out to
/// be in).
#[derive(Debug, Clone, Default)]
pub struct NewCorrection {
    pub kind: Option<CorrectionKind>,
    pub client: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub date: Option<Date>,
    pub invoice: Option<String>,
    /// The payment a reversal reverses.
    pub payment: Option<i64>,
    pub reason: Option<String>,
    pub reference: Option<String>,
    /// Its place among payments in entry order (an import of an export); `None`:
    /// after every payment entered so far.
    pub after_payment: Option<i64>,
}

/// What entering a correction did.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionReceipt {
    pub correction: Correction,
    /// What it moved.
    pub allocations: Vec<AllocationLine>,
}

impl Batch<'_> {
    /// Enter a correction: its own fields and what it names are checked here; what
    /// it does, and whether that is refused, the replay says (at the batch's next
    /// replay).
    pub fn record_correction(&mut self, new: NewCorrection) -> Result<CorrectionId> {
        let kind = new
            .kind
            .ok_or_else(|| crate::internal!("a correction without a kind"))?;
        let what = kind.noun();
        let date = new
            .date
            .ok_or_else(|| crate::internal!("a correction without a date"))?;
        // The invoice it names, or (a write-off) must name.
        let invoice = match new.invoice.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(number) => {
                Some(
                    self.txn
                        .invoice_ref(number)?
                        .ok_or_else(|| LedgerError::UnknownInvoice {
                            field: Field::Invoice,
                            number: number.to_string(),
                        })?,
                )
            }
            None => None,
        };
        // The client: named, or the invoice's (a write-off), or the payment's (a
        // reversal). Locked before anything of it is read for a decision.
        let payment = match new.payment {
            Some(id) => Some(
                self.txn
                    .payment_ref(id)?
                    .ok_or_else(|| LedgerError::UnknownPayment { id: id.to_string() })?,
            ),
            None => None,
        };
        let code = match (&new.client, &invoice, &payment) {
            (Some(code), _, _) => code.clone(),
            (None, Some(inv), _) => self.client_code_of(inv.client_id)?,
            (None, None, Some(p)) => self.client_code_of(p.client_id)?,
            (None, None, None) => return Err(crate::internal!("a {what} names no client").into()),
        };
        let client = self.client(&code)?;
        if let Some(inv) = &invoice {
            self.check_named_invoice(inv, client.id, &client.code, what, date, new.currency.as_deref())?;
        }
        let currency = match (&invoice, &payment, new.currency.as_deref().map(str::trim)) {
            (Some(inv), _, _) => inv.currency,
            (None, Some(p), _) => p.currency,
            (None, None, Some(code)) if !code.is_empty() => Currency::parse(code)?,
            _ => self.settings.currency,
        };
        let amount = match new.amount.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(text) => Some(Money::parse_positive(text, currency)?.minor),
            None => None,
        };
        let needs_amount = matches!(kind, CorrectionKind::CreditNote | CorrectionKind::Refund);
        if needs_amount && amount.is_none() {
            return Err(LedgerError::Refused(format!("a {what} needs an amount: give --amount")).into());
        }
        if kind == CorrectionKind::WriteOff && invoice.is_none() {
            return Err(LedgerError::Refused("a write-off names the invoice it writes off".into()).into());
        }
        if kind == CorrectionKind::Reversal {
            let Some(p) = &payment else {
                return Err(crate::internal!("a reversal without its payment").into());
            };
            if p.client_id != client.id {
                let owner = self.client_code_of(p.client_id)?;
                return Err(LedgerError::Refused(format!(
                    "payment {} is {owner}'s, not {}'s: name the client that paid it, or the payment",
                    p.id, client.code
                ))
                .into());
            }
            if let Some(earlier) = self.txn.reversal_of(p.id)? {
                return Err(LedgerError::AlreadyReversed {
                    payment: p.id,
                    on: earlier.date.to_string(),
                }
                .into());
            }
            if date < p.date {
                return Err(LedgerError::ReversalBeforePayment {
                    payment: p.id,
                    paid: p.date.to_string(),
                    date: date.to_string(),
                }
                .into());
            }
            self.entered_reversal = true;
        }
        let reason = new
            .reason
            .map(|r| clean_text(Field::Reason, &r, 500))
            .transpose()?;
        let reference = new
            .reference
            .map(|r| clean_text(Field::Reference, &r, 200))
            .transpose()?;
        let id = self.txn.insert_correction(&NewCorrectionRow {
            kind,
            client_id: client.id,
            currency,
            date,
            amount,
            invoice_id: invoice.map(|i| i.id),
            payment_id: payment.map(|p| p.id),
            reason: reason.as_deref(),
            reference: reference.as_deref(),
            after_payment: new.after_payment,
        })?;
        // (What it does is dated from its own date: nothing before it changes.)
        self.mark(client.id, date);
        self.first_correction_id.get_or_insert(id);
        self.entered.corrections += 1;
        self.entered_for.insert(client.id);
        Ok(id)
    }

    /// The spec's refusals of a correction naming an invoice: the same client and
    /// currency, issued by the date, not void.
    fn check_named_invoice(
        &mut self,
        inv: &InvoiceRef,
        client_id: i64,
        client: &str,
        what: &'static str,
        date: Date,
        currency: Option<&str>,
    ) -> Result<()> {
        let number = self.txn.invoice_number(inv.id)?;
        if inv.client_id != client_id {
            let owner = self.client_code_of(inv.client_id)?;
            return Err(LedgerError::InvoiceOfOtherClient {
                invoice: number,
                owner,
                client: client.to_string(),
            }
            .into());
        }
        if let Some(code) = currency.map(str::trim).filter(|c| !c.is_empty()) {
            let wanted = Currency::parse(code)?;
            if wanted != inv.currency {
                return Err(LedgerError::CorrectionCurrency {
                    what,
                    invoice: number,
                    invoice_currency: inv.currency.to_string(),
                    currency: wanted.to_string(),
                }
                .into());
            }
        }
        if inv.void {
            return Err(LedgerError::CorrectionToVoid {
                what,
                invoice: number,
            }
            .into());
        }
        if inv.issue_date > date {
            return Err(LedgerError::IssuedAfter {
                what,
                invoice: number,
                issued: inv.issue_date.to_string(),
                date: date.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// The replay's problems, as the refusal of this batch (the first of them), or
    /// nothing. A reversal may leave a stated write-off or credit application able
    /// to do less (the money really did not arrive); an import does not refuse a
    /// correction that finds nothing to do (it was entered elsewhere, where it did).
    pub(super) fn refuse(&mut self, problems: Vec<Problem>) -> Result<()> {
        let entered_reversal = self.entered_reversal;
        let importing = self.importing;
        let problem = problems.into_iter().find(|p| match p {
            Problem::Short {
                kind: CorrectionKind::WriteOff | CorrectionKind::CreditApplication,
                stored: Some(_),
                ..
            } => !entered_reversal,
            Problem::NothingDone { .. } => !importing,
            _ => true,
        });
        match problem {
            None => Ok(()),
            Some(p) => {
                Err(refusal(&mut *self.txn, p, self.first_payment_id, self.first_correction_id)?.into())
            }
        }
    }

    pub(super) fn client_code_of(&mut self, client_id: i64) -> Result<String> {
        Ok(self
            .txn
            .client_by_id(client_id, self.settings.currency)?
            .ok_or_else(|| crate::internal!("an entry of a missing client {client_id}"))?
            .code)
    }
}

/// A correction as messages name it: "write-off 7 (50.00 USD on INV-0003, 2026-12-01)".
fn describe(c: &Correction) -> String {
    let amount = match (c.amount, c.kind) {
        (Some(m), _) => m.to_string(),
        (None, CorrectionKind::CreditApplication) => "all that fits".to_string(),
        (None, CorrectionKind::Reversal) => format!("of payment {}", c.payment_id.unwrap_or_default()),
        (None, _) => "what is open".to_string(),
    };
    let on = c
        .invoice
        .as_deref()
        .map(|n| format!(" on {n}"))
        .unwrap_or_default();
    format!("{} {} ({amount}{on}, {})", c.kind.noun(), c.id, c.date)
}

/// The refusal a replay problem stands for (`new_payments`: the first id of the
/// payments the refused write entered, which messages call "this payment").
fn refusal(
    txn: &mut dyn ReadTxn,
    problem: Problem,
    new_payments: Option<i64>,
    new_corrections: Option<i64>,
) -> Result<LedgerError> {
    let correction = |txn: &mut dyn ReadTxn, id: i64| -> Result<Correction> {
        txn.correction(id)?
            .ok_or_else(|| crate::internal!("correction {id} not found").into())
    };
    Ok(match problem {
        Problem::Short {
            correction_id,
            kind,
            stated,
            done,
            stored,
        } => {
            let c = correction(txn, correction_id)?;
            let money = |m: i64| Money::new(m, c.currency).to_string();
            match stored {
                // Entered by this write: it asks for more than there is.
                None => {
                    let invoice = c.invoice.clone().unwrap_or_default();
                    let (what, available, advice) = match kind {
                        CorrectionKind::WriteOff => (
                            format!("a write-off on {invoice}"),
                            format!("the {} open on it on {}", money(done), c.date),
                            if done == 0 {
                                "there is nothing to write off then".to_string()
                            } else {
                                format!(
                                    "write off {} or less, or leave out --amount to write off what is open",
                                    money(done)
                                )
                            },
                        ),
                        CorrectionKind::CreditApplication => (
                            format!("a credit application for {}", c.client),
                            format!("the {} of credit that can be applied on {}", money(done), c.date),
                            if done == 0 {
                                "no credit, or nothing open to apply it to, then; see `ar client show`"
                                    .to_string()
                            } else {
                                format!(
                                    "apply {} or less, or leave out --amount to apply all that fits",
                                    money(done)
                                )
                            },
                        ),
                        _ => (
                            format!("a refund to {}", c.client),
                            format!("the {} of credit {} holds on {}", money(done), c.client, c.date),
                            if done == 0 {
                                "nothing to refund then; see `ar client show` for its credit".to_string()
                            } else {
                                format!("refund {} or less", money(done))
                            },
                        ),
                    };
                    LedgerError::MoreThanAvailable {
                        what,
                        stated: money(stated),
                        available,
                        advice,
                    }
                }
                // An earlier fact this write would change.
                Some(_) => LedgerError::FactWouldChange {
                    fact: describe(&c),
                    kind: kind.noun(),
                    stated: money(stated),
                    done: money(done),
                    date: c.date.to_string(),
                },
            }
        }
        Problem::NothingDone { correction_id, kind } => {
            let c = correction(txn, correction_id)?;
            match kind {
                CorrectionKind::WriteOff => LedgerError::NothingToDo {
                    what: format!(
                        "invoice `{}` has nothing open on {}",
                        c.invoice.unwrap_or_default(),
                        c.date
                    ),
                    advice: "nothing to write off".into(),
                },
                _ => LedgerError::NothingToDo {
                    what: format!(
                        "client `{}` has no credit in {} to apply on {}, or nothing open{} to apply it to",
                        c.client,
                        c.currency,
                        c.date,
                        c.invoice.map(|n| format!(" on `{n}`")).unwrap_or_default()
                    ),
                    advice: "see `ar client show` for its credit and open invoices".into(),
                },
            }
        }
        Problem::VoidTaken {
            invoice_id,
            void_from,
            by,
        } => {
            let entry = match by {
                EntryRef::Payment(id) if new_payments.is_some_and(|first| id >= first) => {
                    "this payment".to_string()
                }
                EntryRef::Payment(id) => format!("payment {id}"),
                EntryRef::Correction(id) if new_corrections.is_some_and(|first| id >= first) => {
                    format!("this {}", correction(txn, id)?.kind.noun())
                }
                EntryRef::Correction(id) => describe(&correction(txn, id)?),
            };
            LedgerError::VoidTaken {
                invoice: txn.invoice_number(invoice_id)?,
                void_from: void_from.to_string(),
                entry,
            }
        }
        Problem::RefundUnfunded {
            payment_id,
            refund_id,
            ..
        } => {
            let refund = correction(txn, refund_id)?;
            LedgerError::RefundUnfunded {
                payment: payment_id,
                refund: refund_id,
                refund_amount: refund.amount.map(|m| m.to_string()).unwrap_or_default(),
                refund_date: refund.date.to_string(),
            }
        }
    })
}

impl Ledger {
    /// Enter one correction (one transaction) and say what it did.
    pub fn record_correction(&mut self, new: NewCorrection) -> Result<CorrectionReceipt> {
        self.write(WriteHint::ONE, |b| {
            let id = b.record_correction(new.clone())?;
            b.replay()?;
            let txn = b.txn();
            let correction = txn
                .correction(id)?
                .ok_or_else(|| crate::internal!("correction {id} not found after its insert"))?;
            Ok(CorrectionReceipt {
                allocations: txn.correction_allocations(id)?,
                correction,
            })
        })
    }

    pub fn correction(&mut self, id: CorrectionId) -> Result<Option<Correction>> {
        self.read(|txn, _| txn.correction(id))
    }
}
