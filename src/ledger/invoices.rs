//! Invoice operations: add (numbering, terms, due date) and void through a
//! [`Batch`]; list and show as of a date.

use anyhow::Result;
use serde::Serialize;

use super::{Batch, KEY_PREFIX, Ledger};
use crate::domain::dates::add_days;
use crate::domain::entities::{AllocationKind, AllocationLine, Invoice};
use crate::domain::text::clean_text;
use crate::domain::{Currency, Date, Field, LedgerError, Money, Terms};
use crate::store::{ClientId, InvoiceFilter, InvoiceId, NewInvoiceRow, ReadTxn, WriteHint};

#[derive(Clone)]
pub struct NewInvoice {
    pub client: String,
    /// As typed: parsed in the invoice's currency.
    pub amount: String,
    pub currency: Option<String>,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    /// Terms in force when issued (an import of an export); default the client's.
    pub terms: Option<Terms>,
    pub number: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceDetail {
    pub as_of: Date,
    #[serde(flatten)]
    pub invoice: Invoice,
    pub allocations: Vec<AllocationLine>,
    /// Every entry on it by `as_of`, dated, with the open balance after each.
    pub entries: Vec<InvoiceEntry>,
}

/// One entry on an invoice: its issue, an allocation (payment, discount, credit
/// note, credit applied, write-off, reversal) or its void.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceEntry {
    pub date: Date,
    /// `issued`, `void`, or the allocation's kind.
    pub entry: &'static str,
    pub payment_id: Option<i64>,
    pub correction_id: Option<i64>,
    /// What it did to the open balance (negative: it reduced it).
    pub change: Money,
    /// The open balance after it.
    pub open: Money,
}

/// The entries of `invoice`, from its allocations dated by `as_of`.
fn invoice_entries(invoice: &Invoice, lines: &[AllocationLine], as_of: Date) -> Vec<InvoiceEntry> {
    let currency = invoice.currency;
    let mut open = invoice.amount.minor;
    let mut entries = vec![InvoiceEntry {
        date: invoice.issue_date,
        entry: "issued",
        payment_id: None,
        correction_id: None,
        change: invoice.amount,
        open: invoice.amount,
    }];
    for a in lines {
        let change = if a.kind == AllocationKind::Reversal {
            a.amount.minor
        } else {
            -a.amount.minor
        };
        open += change;
        entries.push(InvoiceEntry {
            date: a.date,
            entry: a.kind.as_str(),
            payment_id: a.payment_id,
            correction_id: a.correction_id,
            change: Money::new(change, currency),
            open: Money::new(open, currency),
        });
    }
    if let Some(from) = invoice.void_from.filter(|d| *d <= as_of) {
        entries.push(InvoiceEntry {
            date: from,
            entry: "void",
            payment_id: None,
            correction_id: None,
            change: Money::new(-open, currency),
            open: Money::new(0, currency),
        });
    }
    entries
}

/// A [`NewInvoice`] whose own fields are parsed and checked: what is left to check
/// needs the ledger (its client, the number's uniqueness, the due date from terms).
/// Checking needs no ledger, so an import checks rows on a thread of their own.
pub struct CheckedInvoice {
    pub(super) client: String,
    pub(super) currency: Currency,
    pub(super) amount: Money,
    pub(super) issue_date: Date,
    pub(super) due_date: Option<Date>,
    pub(super) terms: Option<Terms>,
    /// Cleaned; `None` for the next number of the ledger's sequence.
    pub(super) number: Option<String>,
    pub(super) description: Option<String>,
}

impl NewInvoice {
    pub fn check(self, default_currency: Currency) -> Result<CheckedInvoice, LedgerError> {
        let currency = match self.currency.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => Currency::parse(code)?,
            None => default_currency,
        };
        let amount = Money::parse_positive(&self.amount, currency)?;
        if let Some(due) = self.due_date
            && due < self.issue_date
        {
            return Err(LedgerError::DueBeforeIssue {
                issue: self.issue_date.to_string(),
                due: due.to_string(),
            });
        }
        // Duplicates (any case) are refused by the store.
        let number = self
            .number
            .map(|n| clean_text(Field::Number, &n, 64))
            .transpose()?;
        let description = self
            .description
            .map(|d| clean_text(Field::Description, &d, 500))
            .transpose()?;
        Ok(CheckedInvoice {
            client: self.client,
            currency,
            amount,
            issue_date: self.issue_date,
            due_date: self.due_date,
            terms: self.terms,
            number,
            description,
        })
    }
}

impl Batch<'_> {
    pub fn add_invoice(&mut self, new: NewInvoice) -> Result<InvoiceId> {
        // The client first, as an unknown one is what `ar add-invoice` says first.
        self.find_client(&new.client)?;
        let checked = new.check(self.settings.currency)?;
        self.add_checked_invoice(checked)
    }

    /// [`Batch::add_invoice`] of a row already checked (by [`NewInvoice::check`]).
    pub(super) fn add_checked_invoice(&mut self, new: CheckedInvoice) -> Result<InvoiceId> {
        let client = self.client(&new.client)?;
        let terms = new.terms.unwrap_or(client.terms);
        let due_date = match new.due_date {
            Some(due) => due,
            None => add_days(new.issue_date, i64::from(terms.net_days)).map_err(|_| LedgerError::BadDate {
                field: Field::IssueDate,
                input: new.issue_date.to_string(),
                reason: format!(
                    "its due date ({} days later) would fall after 9999-12-30, the last date the ledger holds: give an earlier date",
                    terms.net_days
                ),
            })?,
        };
        let number = match new.number {
            Some(n) => n,
            None => self.next_number()?,
        };
        let id = self.txn.insert_invoice(&NewInvoiceRow {
            number: &number,
            client_id: client.id,
            currency: new.currency,
            issue_date: new.issue_date,
            due_date,
            amount: new.amount.minor,
            terms,
            description: new.description.as_deref(),
        })?;
        // spec rule 2: an unnamed payment in its currency, dated on or after its issue
        // date, may now reach this invoice; nothing else can move.
        if self
            .txn
            .unnamed_payments_from(client.id, new.currency, new.issue_date)?
        {
            self.mark(client.id, new.issue_date);
        }
        self.entered.invoices += 1;
        self.entered_for.insert(client.id);
        self.first_invoice_id.get_or_insert(id);
        Ok(id)
    }

    /// The next free number of the ledger's sequence (`INV-0001`, ...), skipping
    /// numbers that were given by hand.
    fn next_number(&mut self) -> Result<String> {
        let prefix = self.txn.setting(KEY_PREFIX)?.unwrap_or_else(|| "INV-".into());
        loop {
            let number = format!("{prefix}{:04}", self.txn.take_invoice_seq()?);
            if !self.txn.invoice_number_taken(&number)? {
                return Ok(number);
            }
        }
    }

    /// Void an invoice from `on`: it keeps its row, and counts for nothing from then
    /// on (spec: Corrections and adjustments). Refused while anything is allocated
    /// to it on or before `on`, or before its issue date.
    pub fn void_invoice(&mut self, number: &str, on: Date, reason: Option<&str>) -> Result<InvoiceId> {
        let found = self
            .txn
            .invoice_ref(number)?
            .ok_or_else(|| LedgerError::UnknownInvoice {
                field: Field::Number,
                number: number.trim().to_string(),
            })?;
        // Locked before anything of it is read for the decision.
        let code = self.client_code_of(found.client_id)?;
        self.find_client(&code)?;
        self.replay_client(found.client_id)?;
        if found.void {
            return Err(LedgerError::AlreadyVoid {
                number: self.txn.invoice_number(found.id)?,
            }
            .into());
        }
        // What is allocated by the void's date (net of reversals).
        let invoice = self
            .txn
            .invoice(found.id, on.max(found.issue_date))?
            .ok_or_else(|| crate::internal!("invoice {} vanished", found.id))?;
        if invoice.settled.minor > 0 && on >= invoice.issue_date {
            return Err(LedgerError::VoidWithPayments {
                invoice: invoice.number,
                allocated: invoice.settled.to_string(),
                date: on.to_string(),
            }
            .into());
        }
        self.void_entered_invoice(
            found.id,
            found.client_id,
            &invoice.number,
            invoice.issue_date,
            on,
            on,
            reason,
        )?;
        Ok(found.id)
    }

    /// Void an invoice this batch just entered (an import of an export's void
    /// invoice): only its own fields are checked, since nothing can be allocated to
    /// an invoice that is void from its entry on.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn void_entered_invoice(
        &mut self,
        id: InvoiceId,
        client_id: ClientId,
        number: &str,
        issued: Date,
        on: Date,
        given_on: Date,
        reason: Option<&str>,
    ) -> Result<()> {
        if on < issued {
            return Err(LedgerError::VoidBeforeIssue {
                invoice: number.to_string(),
                issued: issued.to_string(),
                date: on.to_string(),
            }
            .into());
        }
        let reason = reason
            .map(|r| clean_text(Field::VoidReason, r, 500))
            .transpose()?;
        self.txn.void_invoice(id, on, given_on, reason.as_deref())?;
        // The replay derives what the void does from its date on.
        self.mark(client_id, on);
        Ok(())
    }
}

impl Ledger {
    pub fn add_invoice(&mut self, new: NewInvoice) -> Result<Invoice> {
        self.write(WriteHint::ONE, |b| {
            let id = b.add_invoice(new.clone())?;
            b.replay()?;
            b.txn()
                .invoice(id, crate::domain::dates::end_of_time())?
                .ok_or_else(|| crate::internal!("invoice {id} not found after its insert").into())
        })
    }

    pub fn void_invoice(&mut self, number: &str, on: Date, reason: Option<&str>) -> Result<Invoice> {
        self.write(WriteHint::ONE, |b| {
            let id = b.void_invoice(number, on, reason)?;
            b.replay()?;
            b.txn()
                .invoice(id, crate::domain::dates::end_of_time())?
                .ok_or_else(|| crate::internal!("invoice {id} not found after its void").into())
        })
    }

    /// Invoices issued on or before `as_of`, each as it stood then.
    pub fn invoices(&mut self, client: Option<&str>, open_only: bool, as_of: Date) -> Result<Vec<Invoice>> {
        self.read(|txn, settings| {
            let client_id = client
                .map(|c| super::clients::find_client(txn, c, settings.currency).map(|c| c.id))
                .transpose()?;
            let mut out = Vec::new();
            txn.invoices(
                &InvoiceFilter {
                    client_id,
                    open_only,
                    as_of,
                },
                &mut |i| {
                    out.push(i);
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }

    /// An invoice with the allocations made to it by `as_of`.
    pub fn invoice_detail(&mut self, number: &str, as_of: Date) -> Result<InvoiceDetail> {
        self.read(|txn, _| {
            let id = find_invoice(txn, number)?;
            let invoice = txn
                .invoice(id, as_of)?
                .ok_or_else(|| crate::internal!("invoice {id} vanished"))?;
            if invoice.issue_date > as_of {
                return Err(LedgerError::Refused(format!(
                    "invoice `{}` was issued on {}: as of {as_of} it did not exist yet; give an --as-of on or after its issue date",
                    invoice.number, invoice.issue_date
                ))
                .into());
            }
            let allocations = txn.invoice_allocations(id, as_of)?;
            let entries = invoice_entries(&invoice, &allocations, as_of);
            Ok(InvoiceDetail {
                as_of,
                invoice,
                allocations,
                entries,
            })
        })
    }
}

fn find_invoice(txn: &mut dyn ReadTxn, number: &str) -> Result<InvoiceId> {
    Ok(txn
        .invoice_ref(number)?
        .ok_or_else(|| LedgerError::UnknownInvoice {
            field: Field::Number,
            number: number.trim().to_string(),
        })?
        .id)
}
