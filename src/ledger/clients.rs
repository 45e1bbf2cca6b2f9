//! Client operations: add, edit, list and show with balances.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{Ledger, clean_text};
use crate::domain::entities::{Client, Invoice, Payment};
use crate::domain::{Currency, Date, LedgerError, Money, Terms};
use crate::store::{Db, InvoiceFilter, PaymentFilter};

pub struct NewClient {
    pub code: String,
    pub name: String,
    pub email: Option<String>,
    pub terms: Option<Terms>,
    pub credit_limit: Option<String>,
}

#[derive(Default)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub terms: Option<Terms>,
    pub credit_limit: Option<String>,
}

/// A client's position in one currency now.
#[derive(Debug, Clone, Serialize)]
pub struct ClientBalance {
    pub currency: Currency,
    /// Open balance of its invoices.
    pub open: Money,
    /// The part of `open` past its due date at the reference date.
    pub overdue: Money,
    /// Credit held from payments not yet applied.
    pub unapplied: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientSummary {
    #[serde(flatten)]
    pub client: Client,
    pub balances: Vec<ClientBalance>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientDetail {
    #[serde(flatten)]
    pub summary: ClientSummary,
    pub open_invoices: Vec<Invoice>,
    pub credits: Vec<Payment>,
}

fn validate_code(code: &str) -> Result<String, LedgerError> {
    let code = clean_text("client code", code, 40)?;
    if code.chars().any(char::is_whitespace) {
        return Err(LedgerError::Invalid(format!(
            "client code `{code}` contains spaces: use letters, digits, `-` or `_`"
        )));
    }
    Ok(code)
}

fn validate_email(email: Option<&str>) -> Result<Option<String>, LedgerError> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(e) if e.contains('@') && !e.chars().any(char::is_whitespace) && e.len() <= 254 => {
            Ok(Some(e.to_string()))
        }
        Some(e) => Err(LedgerError::Invalid(format!(
            "invalid email `{e}`: write it like accounts@example.com"
        ))),
    }
}

impl Ledger {
    pub fn add_client(&mut self, new: NewClient) -> Result<Client> {
        let settings = self.settings;
        self.store
            .write(|db| add_client(db, settings.currency, settings.terms, new))
    }

    pub fn edit_client(&mut self, code: &str, patch: ClientPatch) -> Result<Client> {
        let currency = self.settings.currency;
        self.store.write(|db| {
            let mut client = db
                .find_client(code, currency)?
                .ok_or_else(|| LedgerError::UnknownClient(code.trim().into()))?;
            if let Some(name) = patch.name {
                client.name = clean_text("client name", &name, 200)?;
            }
            if let Some(email) = patch.email {
                client.email = validate_email(Some(&email))?;
            }
            if let Some(terms) = patch.terms {
                client.terms = terms; // spec: existing invoices keep the terms they were issued with
            }
            if let Some(limit) = patch.credit_limit {
                client.credit_limit = parse_limit(&limit, currency)?;
            }
            db.update_client(&client)?;
            Ok(client)
        })
    }

    pub fn clients(&mut self, today: Date) -> Result<Vec<ClientSummary>> {
        let currency = self.settings.currency;
        self.store.read(|db| {
            let clients = db.list_clients(currency)?;
            let mut balances = balances_by_client(db, today, None)?;
            Ok(clients
                .into_iter()
                .map(|client| {
                    let balances = balances.remove(&client.id).unwrap_or_default();
                    ClientSummary { client, balances }
                })
                .collect())
        })
    }

    pub fn client_detail(&mut self, code: &str, today: Date) -> Result<ClientDetail> {
        let currency = self.settings.currency;
        self.store.read(|db| {
            let client = db
                .find_client(code, currency)?
                .ok_or_else(|| LedgerError::UnknownClient(code.trim().into()))?;
            let balances = balances_by_client(db, today, Some(client.id))?
                .remove(&client.id)
                .unwrap_or_default();
            let open_invoices = db.list_invoices(&InvoiceFilter {
                client_id: Some(client.id),
                open_only: true,
            })?;
            let credits = db.list_payments(&PaymentFilter {
                client_id: Some(client.id),
                with_credit: true,
            })?;
            Ok(ClientDetail {
                summary: ClientSummary { client, balances },
                open_invoices,
                credits,
            })
        })
    }

    /// Resolve a client code to its id for filters; unknown codes are refused.
    pub fn client_id(&mut self, code: &str) -> Result<i64> {
        let currency = self.settings.currency;
        self.store.read(|db| {
            Ok(db
                .find_client(code, currency)?
                .ok_or_else(|| LedgerError::UnknownClient(code.trim().into()))?
                .id)
        })
    }
}

pub(crate) fn add_client(
    db: &Db,
    currency: Currency,
    default_terms: Terms,
    new: NewClient,
) -> Result<Client> {
    let code = validate_code(&new.code)?;
    if db.find_client(&code, currency)?.is_some() {
        bail!(LedgerError::DuplicateClient(code));
    }
    let mut client = Client {
        id: 0,
        name: clean_text("client name", &new.name, 200)?,
        email: validate_email(new.email.as_deref())?,
        credit_limit: match new.credit_limit.as_deref() {
            Some(limit) => parse_limit(limit, currency)?,
            None => None,
        },
        terms: new.terms.unwrap_or(default_terms),
        code,
    };
    client.id = db.insert_client(&client)?;
    Ok(client)
}

/// A credit limit: an amount of zero or more in the ledger currency; empty clears it.
fn parse_limit(text: &str, currency: Currency) -> Result<Option<Money>, LedgerError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Money::parse(text, currency).map(Some)
}

/// Open, overdue and unapplied amounts per client and currency, now.
fn balances_by_client(
    db: &Db,
    today: Date,
    client_id: Option<i64>,
) -> Result<BTreeMap<i64, Vec<ClientBalance>>> {
    let mut map: BTreeMap<(i64, Currency), ClientBalance> = BTreeMap::new();
    let far = crate::domain::dates::end_of_time();
    fn entry(
        map: &mut BTreeMap<(i64, Currency), ClientBalance>,
        client_id: i64,
        currency: Currency,
    ) -> &mut ClientBalance {
        map.entry((client_id, currency)).or_insert_with(|| ClientBalance {
            currency,
            open: Money::zero(currency),
            overdue: Money::zero(currency),
            unapplied: Money::zero(currency),
        })
    }
    db.open_items(far, client_id, false, |item| {
        let b = entry(&mut map, item.client_id, item.currency);
        b.open.minor += item.open;
        if item.due_date < today {
            b.overdue.minor += item.open;
        }
    })?;
    db.credit_items(far, client_id, |credit| {
        entry(&mut map, credit.client_id, credit.currency).unapplied.minor += credit.unapplied;
    })?;
    let mut out: BTreeMap<i64, Vec<ClientBalance>> = BTreeMap::new();
    for ((id, _), b) in map {
        out.entry(id).or_default().push(b);
    }
    Ok(out)
}
