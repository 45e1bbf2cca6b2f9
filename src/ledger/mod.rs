//! Ledger operations: what a user can do to the ledger and what they can ask of it.
//!
//! Owns every rule: validation (the spec's refusals), defaults (currency, terms,
//! numbering, due dates), and keeping the derived allocations equal to a fresh replay.
//! Every write goes through one path, a [`Batch`] (one transaction; a single command
//! is a batch of one), and every allocation through one driver (`replay.rs`) over
//! the one definition (`engine::replay`). Holds no SQL (that is `store`) and prints
//! nothing (that is `render`).

mod batch;
pub mod check;
mod clients;
mod corrections;
pub mod export;
pub mod generate;
pub mod import;
mod invoices;
mod payments;
mod replay;
pub mod reports;
pub mod sample;

use std::path::Path;

use anyhow::Result;

pub use batch::{Batch, Entered, Recorded};
pub use clients::{ClientBalance, ClientDetail, ClientPatch, ClientSummary, NewClient};
pub use corrections::{CorrectionReceipt, NewCorrection};
pub use invoices::{InvoiceDetail, InvoiceEntry, NewInvoice};
pub use payments::{NewPayment, PaymentDetail, PaymentReceipt};

use crate::domain::entities::{Client, LogEntry};
use crate::domain::text::fold_case;
use crate::domain::{Currency, LedgerError, Terms};
use crate::store::sqlite::{Access, Location, SqliteStore};
use crate::store::{Author, ReadTxn, Store, WriteHint, WriteTxn};

/// How many times a write the server asks again for is tried again.
const WRITE_ATTEMPTS: u64 = 5;

pub(crate) const KEY_CURRENCY: &str = "default_currency";
pub(crate) const KEY_TERMS: &str = "default_terms";
pub(crate) const KEY_PREFIX: &str = "invoice_prefix";
pub(crate) const KEY_NEXT: &str = "next_invoice_seq";
pub(crate) const KEY_DEMO: &str = "demo";

/// Ledger-wide settings, fixed at `ar init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    store: Box<dyn Store>,
    /// Who writes, and with which command (the audit trail); `None`: this
    /// program's library, now.
    author: Option<Author>,
}

impl Ledger {
    /// Open the ledger file at `path` (see [`SqliteStore::open`]).
    pub fn open(path: &Path, access: Access, location: Location) -> Result<Ledger> {
        Ok(Ledger::from_store(Box::new(SqliteStore::open(
            path, access, location,
        )?)))
    }

    /// A new ledger in memory, with its schema and default settings.
    pub fn open_in_memory() -> Result<Ledger> {
        let mut ledger = Ledger::from_store(Box::new(SqliteStore::open_in_memory()?));
        ledger.write(WriteHint::ONE, |_| Ok(()))?;
        Ok(ledger)
    }

    pub fn from_store(store: Box<dyn Store>) -> Ledger {
        Ledger { store, author: None }
    }

    /// Who enters what this ledger writes from now on, and when (see `Author`).
    pub fn set_author(&mut self, author: Author) {
        self.author = Some(author);
    }

    /// Where the ledger is, as messages show it.
    pub fn address(&self) -> &str {
        self.store.address()
    }

    /// Run `f` on one consistent snapshot of the ledger.
    pub fn read<T>(&mut self, mut f: impl FnMut(&mut dyn ReadTxn, Settings) -> Result<T>) -> Result<T> {
        // A store that reads without locks says when what it read may be torn: then
        // read again (a writer rarely runs into the same moment twice).
        for _ in 0..3 {
            let store = &mut self.store;
            let value = (|| {
                let mut txn = store.read()?;
                let settings = read_settings(&mut *txn)?;
                f(&mut *txn, settings.unwrap_or_default())
            })()
            .map_err(|e| self.store.explain(e))?;
            if !self.store.read_again() {
                return Ok(value);
            }
        }
        Err(crate::domain::error::Busy::changing(self.address()).into())
    }

    /// Run `f` as one write transaction: all of it is written, with the allocations
    /// it moved replayed, or (on any error) none of it. A new ledger gets its default
    /// settings in the same transaction.
    ///
    /// A server that asks for the transaction again (a deadlock, a serialization
    /// failure: PostgreSQL's 40P01 and 40001) gets it again, whole, a few times:
    /// `f` may run more than once, each time on a fresh transaction.
    pub fn write<T>(&mut self, hint: WriteHint, mut f: impl FnMut(&mut Batch) -> Result<T>) -> Result<T> {
        let store = &mut self.store;
        let author = self.author.clone().unwrap_or_else(|| Author {
            entered_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            entered_by: "ar".into(),
            command: "library".into(),
        });
        let mut run = |txn: &mut dyn WriteTxn| -> Result<T> {
            txn.set_author(Some(&author))?;
            let settings = match read_settings(txn)? {
                Some(s) => s,
                None => {
                    let s = Settings::default();
                    write_settings(txn, &s)?;
                    s
                }
            };
            let mut batch = Batch::new(txn, settings, author.clone());
            let value = f(&mut batch)?;
            batch.finish()?;
            Ok(value)
        };
        let mut attempt = 0;
        let result = loop {
            let result = (|| {
                let mut txn = store.write(hint)?;
                let value = run(&mut *txn)?;
                txn.commit()?;
                Ok(value)
            })();
            match result {
                Err(e) if attempt < WRITE_ATTEMPTS && crate::store::pg::is_retryable(&e) => {
                    attempt += 1;
                    // Apart again at random, so the writers that met do not meet again.
                    let jitter = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::from(d.subsec_nanos()) % 20);
                    std::thread::sleep(std::time::Duration::from_millis(10 * attempt + jitter));
                }
                other => break other,
            }
        };
        result.map_err(|e| self.store.explain(e))
    }

    /// The audit trail (of one client, or all; entered on or after `since`).
    pub fn log(&mut self, client: Option<&str>, since: Option<crate::domain::Date>) -> Result<Vec<LogEntry>> {
        self.read(|txn, settings| {
            let client_id = client
                .map(|c| clients::find_client(txn, c, settings.currency).map(|c| c.id))
                .transpose()?;
            let mut out = Vec::new();
            txn.log(client_id, since, &mut |e| {
                out.push(e);
                Ok(())
            })?;
            Ok(out)
        })
    }

    /// The ledger's settings.
    pub fn settings(&mut self) -> Result<Settings> {
        self.read(|_, settings| Ok(settings))
    }

    /// Set the ledger's default currency and terms. Refused once the ledger holds
    /// clients or invoices with other settings: amounts already recorded mean them.
    pub fn init(&mut self, wanted: InitSettings) -> Result<(Settings, InitOutcome)> {
        let address = self.address().to_string();
        self.write(WriteHint::ONE, |b| {
            let current = b.settings();
            let settings = Settings {
                currency: wanted.currency.unwrap_or(current.currency),
                terms: wanted.terms.unwrap_or(current.terms),
            };
            match b.change_settings(settings)? {
                SettingsChange::Same => Ok((settings, InitOutcome::AlreadySet)),
                SettingsChange::Made => Ok((settings, InitOutcome::Set)),
                SettingsChange::Fixed => Err(LedgerError::SettingsFixed {
                    path: address.clone(),
                    currency: current.currency.to_string(),
                    terms: current.terms.to_string(),
                }
                .into()),
            }
        })
    }

    /// Whether `ar demo` built this ledger (only such a file may be rebuilt by it).
    pub fn is_demo(&mut self) -> Result<bool> {
        self.read(|txn, _| Ok(txn.setting(KEY_DEMO)?.as_deref() == Some("1")))
    }
}

/// What `ar init` asks for: each setting, or the ledger's as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct InitSettings {
    pub currency: Option<Currency>,
    pub terms: Option<Terms>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum InitOutcome {
    Set,
    AlreadySet,
}

fn read_settings(txn: &mut dyn ReadTxn) -> Result<Option<Settings>> {
    if txn.schema_version()? == 0 {
        return Ok(None);
    }
    let (Some(currency), Some(terms)) = (txn.setting(KEY_CURRENCY)?, txn.setting(KEY_TERMS)?) else {
        return Ok(None);
    };
    Ok(Some(Settings {
        currency: Currency::parse(&currency)?,
        terms: Terms::parse(&terms)?,
    }))
}

/// What [`Batch::change_settings`] did.
pub(super) enum SettingsChange {
    /// They were the ledger's already.
    Same,
    Made,
    /// Refused: the ledger holds entries, whose amounts mean the settings they have.
    Fixed,
}

impl Batch<'_> {
    /// Make `wanted` the ledger's currency and terms, written in their standard form
    /// (`ar init`, and an import's `ledger.csv`): only while the ledger is empty.
    pub(super) fn change_settings(&mut self, wanted: Settings) -> Result<SettingsChange> {
        if wanted == self.settings() {
            return Ok(SettingsChange::Same);
        }
        if !self.txn().is_empty()? {
            return Ok(SettingsChange::Fixed);
        }
        write_settings(self.txn(), &wanted)?;
        self.set_settings(wanted);
        Ok(SettingsChange::Made)
    }
}

fn write_settings(txn: &mut dyn WriteTxn, s: &Settings) -> Result<()> {
    txn.set_setting(KEY_CURRENCY, s.currency.code())?;
    txn.set_setting(KEY_TERMS, &s.terms.to_string())?;
    if txn.setting(KEY_PREFIX)?.is_none() {
        txn.set_setting(KEY_PREFIX, "INV-")?;
        txn.set_setting(KEY_NEXT, "1")?;
    }
    Ok(())
}

/// Clients by code, compared as the ledger compares codes (`fold_case`): a batch's
/// cache of the clients it locked.
#[derive(Default)]
pub(crate) struct ClientBook {
    /// By folded code (hashbrown's default hasher: several times faster than std's
    /// for short keys; an import looks one up per row).
    by_code: hashbrown::HashMap<String, std::sync::Arc<Client>>,
}

impl ClientBook {
    pub(crate) fn insert(&mut self, client: std::sync::Arc<Client>) {
        self.by_code.insert(fold_case(&client.code).into_owned(), client);
    }

    /// The client with `code` (surrounding white space ignored), if in the book.
    pub(crate) fn get(&self, code: &str) -> Option<&std::sync::Arc<Client>> {
        let code = code.trim();
        // Folded on the stack for the usual short code (no allocation per row).
        let mut buf = [0u8; 32];
        match buf.get_mut(..code.len()) {
            // (Upper-casing ASCII bytes leaves UTF-8 valid.)
            Some(key) => {
                key.copy_from_slice(code.as_bytes());
                key.make_ascii_uppercase();
                std::str::from_utf8(key).ok().and_then(|k| self.by_code.get(k))
            }
            None => self.by_code.get(fold_case(code).as_ref()),
        }
    }
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
            entered: None,
        };
        let long = "a-client-code-longer-than-thirty-two-bytes";
        let mut book = ClientBook::default();
        for c in [client(1, "Acme"), client(2, "ä-1"), client(3, long)] {
            book.insert(std::sync::Arc::new(c));
        }
        let id = |code: &str| book.get(code).map(|c| c.id);
        assert_eq!(id(" ACME "), Some(1));
        assert_eq!(id("acme"), Some(1));
        assert_eq!(id("ä-1"), Some(2));
        assert_eq!(id("Ä-1"), None, "folds ASCII letters only");
        assert_eq!(id(&long.to_uppercase()), Some(3));
        assert_eq!(id("acm"), None);
    }
}
