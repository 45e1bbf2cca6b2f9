//! The one write path. Every write (`ar pay`, a row of an import, a million rows of
//! a bulk import, `ar demo`) is entered through a [`Batch`]: one transaction, the
//! same checks, numbering and refusals for every entry, and the allocation replay
//! done once per client the batch touched, from the earliest date it touched, at the
//! end (or when the batch asks, to read what an entry did).
//!
//! How a large batch is made fast is the store's business: the batch only tells it,
//! up front, about how many entries to expect ([`crate::store::WriteHint`]).

use std::sync::Arc;

use anyhow::Result;

use super::{ClientBook, Settings};
use crate::domain::entities::Client;
use crate::domain::{Date, LedgerError};
use crate::store::{Author, ClientChange, ClientId, WriteTxn};

/// What one batch entered (for an import's summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Entered {
    pub clients: u64,
    pub invoices: u64,
    pub payments: u64,
    pub corrections: u64,
}

/// A payment as entered: its id, and how many payments alike (same client, date,
/// currency, amount and reference) the ledger already held: a file imported twice,
/// or a payment typed twice, shows here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub id: i64,
    pub client_id: ClientId,
    pub repeats: u64,
}

pub struct Batch<'t> {
    pub(super) txn: &'t mut dyn WriteTxn,
    pub(super) settings: Settings,
    /// Clients this batch locked, by code: an import names one on every row.
    pub(super) clients: ClientBook,
    /// The replay plan: each client with entries that can move its allocations, and
    /// the earliest date they can move from (spec: a payment entered with an earlier
    /// date is placed in order).
    plan: hashbrown::HashMap<ClientId, Date>,
    pub(super) entered: Entered,
    /// Clients the invoices and payments of this batch were entered for.
    pub(super) entered_for: hashbrown::HashSet<ClientId>,
    /// Ids of the first client and invoice this batch entered: ids are given in entry
    /// order, so an id tells which of the batch's entries it is.
    pub(super) first_client_id: Option<i64>,
    pub(super) first_invoice_id: Option<i64>,
    pub(super) first_payment_id: Option<i64>,
    pub(super) first_correction_id: Option<i64>,
    /// The batch entered a payment reversal (see [`Batch::refuse`]).
    pub(super) entered_reversal: bool,
    /// The batch is an import (see [`Batch::refuse`]).
    pub(super) importing: bool,
    /// Who writes the batch, and when (the audit trail).
    author: Author,
    /// Payments an import entered: their ids in the exported ledger, and here.
    pub(super) imported_payments: std::collections::BTreeMap<i64, i64>,
}

impl<'t> Batch<'t> {
    pub(super) fn new(txn: &'t mut dyn WriteTxn, settings: Settings, author: Author) -> Batch<'t> {
        Batch {
            txn,
            settings,
            clients: ClientBook::default(),
            plan: hashbrown::HashMap::new(),
            entered: Entered::default(),
            entered_for: hashbrown::HashSet::new(),
            first_client_id: None,
            first_invoice_id: None,
            first_payment_id: None,
            first_correction_id: None,
            entered_reversal: false,
            importing: false,
            author,
            imported_payments: std::collections::BTreeMap::new(),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub(super) fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// The transaction, to read what the batch wrote (after [`Batch::replay`]).
    pub(super) fn txn(&mut self) -> &mut dyn WriteTxn {
        &mut *self.txn
    }

    pub fn entered(&self) -> Entered {
        self.entered
    }

    /// How many clients the invoices and payments entered so far belong to.
    pub fn clients_entered(&self) -> usize {
        self.entered_for.len()
    }

    /// The client `code` names, locked for the rest of the batch (see
    /// [`WriteTxn::lock_client`]), or the spec's refusal.
    pub(super) fn client(&mut self, code: &str) -> Result<Arc<Client>> {
        if let Some(c) = self.clients.get(code) {
            return Ok(Arc::clone(c));
        }
        let client = self
            .txn
            .lock_client(code, self.settings.currency)?
            .ok_or_else(|| LedgerError::UnknownClient {
                code: code.trim().to_string(),
            })?;
        let client = Arc::new(client);
        self.clients.insert(Arc::clone(&client));
        Ok(client)
    }

    /// Refuse an unknown client code (with the message `ar` gives for one).
    pub(super) fn find_client(&mut self, code: &str) -> Result<()> {
        self.client(code).map(drop)
    }

    /// Note that `client`'s allocations may have moved from `from` on.
    pub(super) fn mark(&mut self, client: ClientId, from: Date) {
        self.plan
            .entry(client)
            .and_modify(|d| *d = (*d).min(from))
            .or_insert(from);
    }

    /// Replay what the batch has entered so far, so the transaction reads the
    /// allocations as they will be committed; refused (the whole batch) when the
    /// outcome breaks a rule of the spec (see [`Batch::refuse`]).
    pub fn replay(&mut self) -> Result<()> {
        let mut plan: Vec<(ClientId, Date)> = std::mem::take(&mut self.plan).into_iter().collect();
        plan.sort_unstable();
        let problems = super::replay::replay_plan(&mut *self.txn, plan)?;
        self.refuse(problems)
    }

    /// Replay only `client`, if the batch marked it.
    pub(super) fn replay_client(&mut self, client: ClientId) -> Result<()> {
        if let Some(from) = self.plan.remove(&client) {
            let problems = super::replay::replay_plan(&mut *self.txn, vec![(client, from)])?;
            self.refuse(problems)?;
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> Result<()> {
        self.replay()
    }

    /// Which of this batch's invoices (0 for the first it entered) is numbered
    /// `number`, if one is: for saying which row a repeated number repeats.
    pub(super) fn entered_invoice(&mut self, number: &str) -> Result<Option<usize>> {
        let id = self.txn.invoice_ref(number)?.map(|i| i.id);
        Ok(entry_index(id, self.first_invoice_id))
    }

    /// Which of this batch's clients (0 for the first it entered) has `code`.
    pub(super) fn entered_client(&mut self, code: &str) -> Result<Option<usize>> {
        let id = self
            .txn
            .client_by_code(code.trim(), self.settings.currency)?
            .map(|c| c.id);
        Ok(entry_index(id, self.first_client_id))
    }
}

impl Batch<'_> {
    /// Enter what follows as entered by someone else, at another time (an import of
    /// an export's audit columns), or (`None`) before the audit trail began.
    pub(super) fn enter_as(
        &mut self,
        entered: Option<&crate::domain::entities::Entered>,
    ) -> anyhow::Result<()> {
        match entered {
            Some(e) => self.txn.set_author(Some(&Author {
                entered_at: e.entered_at.clone(),
                entered_by: e.entered_by.clone(),
                command: self.author.command.clone(),
            })),
            None => self.txn.set_author(None),
        }
    }

    /// Enter what follows as this batch's own author again.
    pub(super) fn enter_as_self(&mut self) -> anyhow::Result<()> {
        self.txn.set_author(Some(&self.author))
    }

    /// The id here of the payment an export numbered `id` (as it is, when this
    /// import did not enter it).
    pub(super) fn imported_payment(&self, id: i64) -> i64 {
        self.imported_payments.get(&id).copied().unwrap_or(id)
    }

    /// The place among payments here of what came after the exported payment `id`
    /// (0: before every one of the export's).
    pub(super) fn imported_payment_before(&self, id: i64) -> i64 {
        if self.imported_payments.is_empty() {
            return id;
        }
        match self.imported_payments.range(..=id).next_back() {
            Some((_, &here)) => here,
            None => self.imported_payments.values().min().map_or(0, |first| first - 1),
        }
    }

    /// Record a change of a client's master data from the audit trail of an export.
    pub(super) fn import_client_change(
        &mut self,
        code: &str,
        field: &str,
        old: Option<String>,
        new: Option<String>,
    ) -> anyhow::Result<()> {
        let client = self.client(code)?;
        let field = ["name", "email", "terms", "credit_limit"]
            .into_iter()
            .find(|f| *f == field)
            .ok_or_else(|| LedgerError::BadValue {
                what: "client change field".into(),
                input: field.to_string(),
                reason: "one of name, email, terms, credit_limit".into(),
            })?;
        self.txn.record_client_change(&ClientChange {
            client_id: client.id,
            field,
            old,
            new,
        })
    }
}

/// The position among a batch's entries of the row `id`, given the batch's first id.
fn entry_index(id: Option<i64>, first: Option<i64>) -> Option<usize> {
    let (id, first) = (id?, first?);
    usize::try_from(id - first).ok()
}
