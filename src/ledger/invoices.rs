//! Invoice operations: add (numbering, terms, due date), void, list and show.

use anyhow::{Result, bail};
use serde::Serialize;

use super::{ClientRef, KEY_NEXT, KEY_PREFIX, Ledger, clean_text, replay_client, resolve_client};
use crate::domain::dates::add_days;
use crate::domain::entities::Client;
use crate::domain::entities::{AllocationLine, Invoice, InvoiceStatus};
use crate::domain::{Currency, Date, LedgerError, Money, Terms};
use crate::store::{Db, InvoiceFilter, NewInvoiceRow};

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
    #[serde(flatten)]
    pub invoice: Invoice,
    pub allocations: Vec<AllocationLine>,
}

impl Ledger {
    pub fn add_invoice(&mut self, new: NewInvoice) -> Result<Invoice> {
        let default_currency = self.settings.currency;
        self.store.write(|db| {
            let client = resolve_client(db, &new.client, default_currency)?;
            let added = add_invoice(db, &client, new.check(default_currency)?, true)?;
            if let Some(from) = added.replay_from {
                replay_client(db, added.client_id, from)?;
            }
            db.find_invoice_by_id(added.id)
        })
    }

    /// Void an invoice: it keeps its row and leaves every balance. Refused while
    /// payments are allocated to it (spec: Invoices).
    pub fn void_invoice(&mut self, number: &str, on: Date, reason: Option<&str>) -> Result<Invoice> {
        self.store.write(|db| {
            let (invoice, _) = db
                .find_invoice(number)?
                .ok_or_else(|| LedgerError::UnknownInvoice(number.trim().into()))?;
            if invoice.status == InvoiceStatus::Void {
                bail!(LedgerError::AlreadyVoid(invoice.number));
            }
            if invoice.settled.minor > 0 {
                bail!(LedgerError::VoidWithPayments {
                    invoice: invoice.number,
                    allocated: invoice.settled.to_string()
                });
            }
            let reason = reason.map(|r| clean_text("void reason", r, 500)).transpose()?;
            db.void_invoice(invoice.id, on, reason.as_deref())?;
            db.find_invoice_by_id(invoice.id)
        })
    }

    pub fn invoices(&mut self, client: Option<&str>, open_only: bool) -> Result<Vec<Invoice>> {
        let client_id = client.map(|c| self.client_id(c)).transpose()?;
        self.store
            .read(|db| db.list_invoices(&InvoiceFilter { client_id, open_only }))
    }

    pub fn invoice_detail(&mut self, number: &str) -> Result<InvoiceDetail> {
        self.store.read(|db| {
            let (invoice, _) = db
                .find_invoice(number)?
                .ok_or_else(|| LedgerError::UnknownInvoice(number.trim().into()))?;
            let allocations = db.invoice_allocations(invoice.id, invoice.currency)?;
            Ok(InvoiceDetail { invoice, allocations })
        })
    }
}

/// An inserted invoice, and the date its client's allocations must be replayed from
/// when an existing payment can now reach it.
pub(crate) struct AddedInvoice {
    pub id: i64,
    pub client_id: i64,
    pub replay_from: Option<Date>,
}

/// A [`NewInvoice`] whose own fields are parsed and checked: what is left to check
/// needs the ledger (its client, the number's uniqueness, the due date from terms).
/// Checking needs no store, so a bulk import checks rows on a second thread.
pub(crate) struct CheckedInvoice {
    pub client: ClientRef,
    pub currency: Currency,
    pub amount: Money,
    pub issue_date: Date,
    pub due_date: Option<Date>,
    pub terms: Option<Terms>,
    /// Cleaned; `None` for the next number of the ledger's sequence.
    pub number: Option<String>,
    pub description: Option<String>,
}

impl NewInvoice {
    pub(crate) fn check(self, default_currency: Currency) -> Result<CheckedInvoice, LedgerError> {
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
        // Duplicates (any case) are refused by the store's unique index.
        let number = self
            .number
            .map(|n| clean_text("invoice number", &n, 64))
            .transpose()?;
        let description = self
            .description
            .map(|d| clean_text("description", &d, 500))
            .transpose()?;
        Ok(CheckedInvoice {
            client: ClientRef::Code(self.client),
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

/// Insert one checked invoice for `client` (already resolved from `new.client`);
/// the caller replays when told to.
pub(crate) fn add_invoice(
    db: &Db,
    client: &Client,
    new: CheckedInvoice,
    client_may_have_payments: bool,
) -> Result<AddedInvoice> {
    let due_date = match new.due_date {
        Some(due) => due,
        None => {
            let net = new.terms.unwrap_or(client.terms).net_days;
            add_days(new.issue_date, i64::from(net)).map_err(|_| LedgerError::BadDate {
                input: new.issue_date.to_string(),
                reason: format!(
                    "its due date ({net} days later) would fall after 9999-12-30, the last date the ledger holds: give an earlier date"
                ),
            })?
        }
    };
    let number = match new.number {
        Some(n) => n,
        None => next_number(db)?,
    };
    let currency = new.currency;
    let id = db.insert_invoice(&NewInvoiceRow {
        number: &number,
        client_id: client.id,
        currency,
        issue_date: new.issue_date,
        due_date,
        amount: new.amount.minor,
        terms: new.terms.unwrap_or(client.terms),
        description: new.description.as_deref(),
    })?;
    // An unnamed payment dated on or after the issue date may now reach this invoice.
    // (A caller that knows the client has no payments at all skips the look-up.)
    let replay_from = (client_may_have_payments
        && db.has_unnamed_payments_from(client.id, currency, new.issue_date)?)
    .then_some(new.issue_date);
    Ok(AddedInvoice {
        id,
        client_id: client.id,
        replay_from,
    })
}

/// The next free number of the ledger's sequence (`INV-0001`, ...), skipping numbers
/// that were given by hand.
fn next_number(db: &Db) -> Result<String> {
    let prefix = db.setting(KEY_PREFIX)?.unwrap_or_else(|| "INV-".into());
    let mut seq: u64 = db.setting(KEY_NEXT)?.and_then(|s| s.parse().ok()).unwrap_or(1);
    loop {
        let number = format!("{prefix}{seq:04}");
        seq += 1;
        if !db.invoice_number_taken(&number)? {
            db.set_setting(KEY_NEXT, &seq.to_string())?;
            return Ok(number);
        }
    }
}
