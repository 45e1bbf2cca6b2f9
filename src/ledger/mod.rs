//! Ledger operations: what a user can do to the ledger, each one transaction.
//!
//! Owns validation (the spec's refusals), defaults (currency, terms, numbering, due
//! dates) and keeping derived allocations equal to a fresh replay after every write.
//! Holds no SQL (that is `store`) and prints nothing (that is `render`).

mod batch;
mod bulk;
mod clients;
pub mod export;
pub mod import;
mod invoices;
mod payments;
pub mod reports;
pub mod sample;

use std::path::Path;

use anyhow::{Result, bail};

pub use batch::Batch;
pub use clients::{ClientBalance, ClientDetail, ClientPatch, ClientSummary, NewClient};
pub use invoices::{InvoiceDetail, NewInvoice};
pub use payments::{NewPayment, PaymentReceipt};

use crate::domain::entities::Client;
use crate::domain::{Currency, Date, LedgerError, Terms};
use crate::engine::replay::replay;
use crate::store::{Db, Store};

pub(crate) const KEY_CURRENCY: &str = "default_currency";
pub(crate) const KEY_TERMS: &str = "default_terms";
pub(crate) const KEY_PREFIX: &str = "invoice_prefix";
pub(crate) const KEY_NEXT: &str = "next_invoice_seq";
pub(crate) const KEY_DEMO: &str = "demo";

/// The client an invoice or payment row names: its code as typed, or (a bulk import
/// resolves codes while reading) the client itself.
pub(crate) enum ClientRef {
    Code(String),
    Found(std::sync::Arc<Client>),
}

/// Clients by code, compared as the store's NOCASE does (ASCII letters only): a
/// batch's cache of the clients its rows named, or every client of the ledger for a
/// bulk import's reader thread.
#[derive(Default)]
pub(crate) struct ClientBook {
    /// By upper-cased code (hashbrown's default hasher: several times faster than
    /// std's for short keys; an import looks one up per row).
    by_code: hashbrown::HashMap<String, std::sync::Arc<Client>>,
}

impl ClientBook {
    fn load(db: &Db, limit_currency: Currency) -> Result<ClientBook> {
        Ok(ClientBook::of(db.list_clients(limit_currency)?))
    }

    fn of(clients: Vec<Client>) -> ClientBook {
        let mut book = ClientBook::default();
        for c in clients {
            book.insert(std::sync::Arc::new(c));
        }
        book
    }

    pub(crate) fn insert(&mut self, client: std::sync::Arc<Client>) {
        self.by_code.insert(client.code.to_ascii_uppercase(), client);
    }

    /// The client with `code` (surrounding white space ignored), if in the book.
    pub(crate) fn get(&self, code: &str) -> Option<&std::sync::Arc<Client>> {
        let code = code.trim();
        // Upper-cased on the stack for the usual short code (no allocation per row).
        let mut buf = [0u8; 32];
        match buf.get_mut(..code.len()) {
            // (Upper-casing ASCII bytes leaves UTF-8 valid.)
            Some(key) => {
                key.copy_from_slice(code.as_bytes());
                key.make_ascii_uppercase();
                std::str::from_utf8(key).ok().and_then(|k| self.by_code.get(k))
            }
            None => self.by_code.get(&code.to_ascii_uppercase()),
        }
    }

    /// The client with `code`, or the refusal [`resolve_client`] gives.
    pub(crate) fn resolve(&self, code: &str) -> Result<ClientRef, LedgerError> {
        match self.get(code) {
            Some(c) => Ok(ClientRef::Found(std::sync::Arc::clone(c))),
            None => Err(LedgerError::UnknownClient(code.trim().into())),
        }
    }
}

/// Ledger-wide settings, fixed at `ar init`.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub currency: Currency,
    /// Terms of new clients, and the standard term reports compare against.
    pub terms: Terms,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            currency: Currency::parse("USD").expect("USD is known"),
            terms: Terms::net(30),
        }
    }
}

pub struct Ledger {
    store: Store,
    settings: Settings,
}

impl Ledger {
    /// Open the ledger at `path`, creating it with default settings on first use.
    pub fn open(path: &Path) -> Result<Ledger> {
        Ledger::from_store(Store::open(path)?)
    }

    pub fn open_in_memory() -> Result<Ledger> {
        Ledger::from_store(Store::open_in_memory()?)
    }

    fn from_store(mut store: Store) -> Result<Ledger> {
        // Read first: a ledger that has its settings (every ledger but a new one) is
        // not written by merely opening it, so a read-only ledger can still be read.
        let settings = match store.read(read_settings)? {
            Some(s) => s,
            None => store.write(|db| match read_settings(db)? {
                Some(s) => Ok(s),
                None => {
                    let s = Settings::default();
                    write_settings(db, &s)?;
                    Ok(s)
                }
            })?,
        };
        Ok(Ledger { store, settings })
    }

    /// Set the ledger's default currency and terms. Refused once the ledger holds
    /// clients or invoices with other settings: amounts already recorded mean them.
    pub fn init(&mut self, settings: Settings) -> Result<InitOutcome> {
        let current = self.settings;
        let path = self.store_path();
        let outcome = self.store.write(|db| {
            if current.currency == settings.currency && current.terms == settings.terms {
                return Ok(InitOutcome::AlreadySet);
            }
            if !db.is_empty()? {
                bail!(LedgerError::Invalid(format!(
                    "the ledger {} already holds entries in {} with {} terms: its settings cannot change; use another --db for a new ledger",
                    path,
                    current.currency,
                    current.terms
                )));
            }
            write_settings(db, &settings)?;
            Ok(InitOutcome::Set)
        });
        let outcome = outcome?;
        self.settings = settings;
        Ok(outcome)
    }

    /// Whether `ar demo` built this ledger (only such a file may be rebuilt by it).
    pub fn is_demo(&mut self) -> Result<bool> {
        self.store
            .read(|db| Ok(db.setting(KEY_DEMO)?.as_deref() == Some("1")))
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn store_path(&self) -> String {
        self.store.path().display().to_string()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum InitOutcome {
    Set,
    AlreadySet,
}

fn read_settings(db: &Db) -> Result<Option<Settings>> {
    let (Some(currency), Some(terms)) = (db.setting(KEY_CURRENCY)?, db.setting(KEY_TERMS)?) else {
        return Ok(None);
    };
    Ok(Some(Settings {
        currency: Currency::parse(&currency)?,
        terms: Terms::parse(&terms)?,
    }))
}

fn write_settings(db: &Db, s: &Settings) -> Result<()> {
    db.set_setting(KEY_CURRENCY, s.currency.code())?;
    db.set_setting(KEY_TERMS, &s.terms.to_string())?;
    if db.setting(KEY_PREFIX)?.is_none() {
        db.set_setting(KEY_PREFIX, "INV-")?;
        db.set_setting(KEY_NEXT, "1")?;
    }
    Ok(())
}

/// Rebuild `client_id`'s allocations from `from` on (spec: a payment entered with an
/// earlier date is placed in order). Reads only invoices still open at `from` and
/// payments dated from then, so the work stays linear in what can change.
pub(crate) fn replay_client(db: &Db, client_id: i64, from: Date) -> Result<()> {
    db.clear_allocations_from(client_id, from)?;
    let invoices = db.replay_invoices(client_id, from)?;
    let payments = db.replay_payments(client_id, from)?;
    let outcome = replay(invoices, payments);
    db.save_replay(&outcome)
}

/// The client a command names, or the spec's refusal.
pub(crate) fn resolve_client(db: &Db, code: &str, limit_currency: Currency) -> Result<Client> {
    Ok(db
        .find_client(code, limit_currency)?
        .ok_or_else(|| LedgerError::UnknownClient(code.trim().into()))?)
}

/// Text a user typed for a name, number or code: trimmed, not empty, no control
/// characters, at most `max` characters.
pub(crate) fn clean_text(what: &str, text: &str, max: usize) -> Result<String, LedgerError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(LedgerError::Invalid(format!("the {what} is empty: give a value")));
    }
    if t.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(format!(
            "the {what} `{}` contains control characters: remove them",
            t.escape_default()
        )));
    }
    if t.chars().count() > max {
        return Err(LedgerError::Invalid(format!(
            "the {what} is longer than {max} characters: shorten it"
        )));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_book_finds_codes_as_the_store_compares_them() {
        let client = |id: i64, code: &str| Client {
            id,
            code: code.into(),
            name: "n".into(),
            email: None,
            credit_limit: None,
            terms: Terms::net(30),
        };
        let long = "a-client-code-longer-than-thirty-two-bytes";
        let book = ClientBook::of(vec![client(1, "Acme"), client(2, "ä-1"), client(3, long)]);
        let id = |code: &str| match book.resolve(code) {
            Ok(ClientRef::Found(c)) => Some(c.id),
            Ok(ClientRef::Code(_)) => panic!("not resolved"),
            Err(LedgerError::UnknownClient(c)) => {
                assert_eq!(c, code.trim());
                None
            }
            Err(e) => panic!("{e}"),
        };
        assert_eq!(id(" ACME "), Some(1));
        assert_eq!(id("acme"), Some(1));
        assert_eq!(id("ä-1"), Some(2));
        assert_eq!(id("Ä-1"), None, "NOCASE folds ASCII letters only");
        assert_eq!(id(&long.to_uppercase()), Some(3));
        assert_eq!(id("acm"), None);
    }
}
