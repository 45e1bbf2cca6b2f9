//! Client operations: add and edit (through a [`Batch`]), list and show with balances
//! as of a date.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Result;
use serde::Serialize;

use super::{Batch, Ledger};
use crate::domain::entities::{Client, Invoice, Payment};
use crate::domain::text::{clean_text, client_code, email};
use crate::domain::{Currency, Date, Field, LedgerError, Money, Terms, Total};
use crate::store::{ClientChange, InvoiceFilter, PaymentFilter, ReadTxn, WriteHint};

#[derive(Clone)]
pub struct NewClient {
    pub code: String,
    pub name: String,
    pub email: Option<String>,
    pub terms: Option<Terms>,
    pub credit_limit: Option<String>,
}

#[derive(Default, Clone)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub terms: Option<Terms>,
    pub credit_limit: Option<String>,
}

/// A client's position in one currency at a date.
#[derive(Debug, Clone, Serialize)]
pub struct ClientBalance {
    pub currency: Currency,
    /// Open balance of its invoices.
    pub open: Money,
    /// The part of `open` past its due date.
    pub overdue: Money,
    /// Credit held from payments and credit notes not yet applied.
    pub unapplied: Money,
    /// What the client owes after its credit: `open` − `unapplied`.
    pub net: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientSummary {
    #[serde(flatten)]
    pub client: Client,
    pub balances: Vec<ClientBalance>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientDetail {
    pub as_of: Date,
    #[serde(flatten)]
    pub summary: ClientSummary,
    pub open_invoices: Vec<Invoice>,
    pub credits: Vec<Payment>,
    /// Credit notes holding credit at `as_of` (their `unapplied` as of then).
    pub credit_notes: Vec<crate::domain::entities::Correction>,
}

impl Batch<'_> {
    pub fn add_client(&mut self, new: NewClient) -> Result<Client> {
        let currency = self.settings.currency;
        let code = client_code(&new.code)?;
        let mut client = Client {
            id: 0,
            name: clean_text(Field::Name, &new.name, 200)?,
            email: email(new.email.as_deref())?,
            credit_limit: match new.credit_limit.as_deref() {
                Some(limit) => parse_limit(limit, currency)?,
                None => None,
            },
            terms: new.terms.unwrap_or(self.settings.terms),
            code,
            entered: None,
        };
        client.id = self.txn.insert_client(&client)?;
        self.first_client_id.get_or_insert(client.id);
        self.entered.clients += 1;
        self.clients.insert(Arc::new(client.clone()));
        Ok(client)
    }

    pub fn edit_client(&mut self, code: &str, patch: ClientPatch) -> Result<Client> {
        let before = Client::clone(&*self.client(code)?);
        let mut client = before.clone();
        if let Some(name) = patch.name {
            client.name = clean_text(Field::Name, &name, 200)?;
        }
        if let Some(e) = patch.email {
            client.email = email(Some(&e))?;
        }
        if let Some(terms) = patch.terms {
            client.terms = terms; // spec: existing invoices keep the terms they were issued with
        }
        if let Some(limit) = patch.credit_limit {
            client.credit_limit = parse_limit(&limit, self.settings.currency)?;
        }
        self.txn.update_client(&client)?;
        // The audit trail: each field that changed, with its old and new values.
        let limit = |c: &Client| c.credit_limit.map(|m| m.to_string());
        let changes = [
            ("name", Some(before.name.clone()), Some(client.name.clone())),
            ("email", before.email.clone(), client.email.clone()),
            (
                "terms",
                Some(before.terms.to_string()),
                Some(client.terms.to_string()),
            ),
            ("credit_limit", limit(&before), limit(&client)),
        ];
        for (field, old, new) in changes {
            if old != new {
                self.txn.record_client_change(&ClientChange {
                    client_id: client.id,
                    field,
                    old,
                    new,
                })?;
            }
        }
        self.clients.insert(Arc::new(client.clone()));
        Ok(client)
    }
}

impl Ledger {
    pub fn add_client(&mut self, new: NewClient) -> Result<Client> {
        self.write(WriteHint::ONE, |b| b.add_client(new.clone()))
    }

    pub fn edit_client(&mut self, code: &str, patch: ClientPatch) -> Result<Client> {
        self.write(WriteHint::ONE, |b| b.edit_client(code, patch.clone()))
    }

    /// Every client with its balances as of `as_of` (what `ar aging` counts then).
    pub fn clients(&mut self, as_of: Date) -> Result<Vec<ClientSummary>> {
        self.read(|txn, settings| {
            let clients = txn.clients(settings.currency)?;
            let mut balances = balances_by_client(txn, as_of, None)?;
            Ok(clients
                .into_iter()
                .map(|client| {
                    let balances = balances.remove(&client.id).unwrap_or_default();
                    ClientSummary { client, balances }
                })
                .collect())
        })
    }

    pub fn client_detail(&mut self, code: &str, as_of: Date) -> Result<ClientDetail> {
        self.read(|txn, settings| {
            let client = find_client(txn, code, settings.currency)?;
            let balances = balances_by_client(txn, as_of, Some(client.id))?
                .remove(&client.id)
                .unwrap_or_default();
            let mut open_invoices = Vec::new();
            txn.invoices(
                &InvoiceFilter {
                    client_id: Some(client.id),
                    open_only: true,
                    as_of,
                },
                &mut |i| {
                    open_invoices.push(i);
                    Ok(())
                },
            )?;
            let mut credits = Vec::new();
            txn.payments(
                &PaymentFilter {
                    client_id: Some(client.id),
                    with_credit: true,
                    as_of,
                },
                &mut |p| {
                    credits.push(p);
                    Ok(())
                },
            )?;
            let credit_notes = txn.notes_with_credit(client.id, as_of)?;
            Ok(ClientDetail {
                as_of,
                summary: ClientSummary { client, balances },
                open_invoices,
                credits,
                credit_notes,
            })
        })
    }
}

/// The client with `code`, or the spec's refusal.
pub(super) fn find_client(txn: &mut dyn ReadTxn, code: &str, limit_currency: Currency) -> Result<Client> {
    Ok(txn
        .client_by_code(code, limit_currency)?
        .ok_or_else(|| LedgerError::UnknownClient {
            code: code.trim().to_string(),
        })?)
}

/// A credit limit: an amount of zero or more in the ledger currency; empty clears it.
fn parse_limit(text: &str, currency: Currency) -> Result<Option<Money>, LedgerError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Money::parse(text, currency)
        .map(Some)
        .map_err(|e| e.in_field(Field::CreditLimit))
}

/// Open, overdue and unapplied amounts per client and currency as of `as_of`: the
/// rows `ar aging` folds, so the two always agree.
fn balances_by_client(
    txn: &mut dyn ReadTxn,
    as_of: Date,
    client_id: Option<i64>,
) -> Result<BTreeMap<i64, Vec<ClientBalance>>> {
    #[derive(Default)]
    struct Sums {
        open: Total,
        overdue: Total,
        unapplied: Total,
    }
    let mut map: BTreeMap<(i64, Currency), Sums> = BTreeMap::new();
    txn.open_items(as_of, client_id, false, &mut |item| {
        let b = map.entry((item.client_id, item.currency)).or_default();
        b.open.add(item.open);
        if item.due_date < as_of {
            b.overdue.add(item.open);
        }
        Ok(())
    })?;
    txn.credit_items(as_of, client_id, &mut |credit| {
        map.entry((credit.client_id, credit.currency))
            .or_default()
            .unapplied
            .add(credit.unapplied);
        Ok(())
    })?;
    let mut out: BTreeMap<i64, Vec<ClientBalance>> = BTreeMap::new();
    for ((id, currency), b) in map {
        let mut net = b.open;
        net.sub_total(b.unapplied);
        out.entry(id).or_default().push(ClientBalance {
            currency,
            open: b.open.to_money(currency, "open balances")?,
            overdue: b.overdue.to_money(currency, "overdue balances")?,
            unapplied: b.unapplied.to_money(currency, "unapplied credits")?,
            net: net.to_money(currency, "net balances")?,
        });
    }
    Ok(out)
}
