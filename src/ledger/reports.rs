//! Reports over the ledger: stream the rows SQL pre-filters into the pure engines.

use std::collections::BTreeMap;

use anyhow::Result;

use super::Ledger;
use crate::domain::dates::add_days;
use crate::domain::{Currency, LedgerError};
use crate::engine::aging::{AgingFold, AgingReport};
use crate::engine::days_to_pay::{DaysToPayFold, DaysToPayReport};
use crate::engine::spec::{AgingSpec, DaysToPaySpec};

impl Ledger {
    /// The aging report; `client` narrows it to one client's rows.
    pub fn aging(&mut self, spec: &AgingSpec, client: Option<&str>) -> Result<AgingReport> {
        let currency = self.settings.currency;
        self.store.read(|db| {
            let client_id = match client {
                Some(code) => Some(
                    db.find_client(code, currency)?
                        .ok_or_else(|| LedgerError::UnknownClient(code.trim().into()))?
                        .id,
                ),
                None => None,
            };
            let clients = db.client_refs()?;
            let mut fold = AgingFold::new(spec, &clients);
            db.open_items(spec.as_of, client_id, spec.by_invoice, |item| fold.add_open(item))?;
            db.credit_items(spec.as_of, client_id, |credit| fold.add_credit(credit))?;
            Ok(fold.finish())
        })
    }

    pub fn days_to_pay(&mut self, spec: &DaysToPaySpec) -> Result<DaysToPayReport> {
        self.store.read(|db| {
            let clients = db.client_refs()?;
            let mut fold = DaysToPayFold::new(spec);
            let (after, until) = fold.window();
            db.closed_items(after, until, |item| fold.add_closed(item))?;
            let mut open: BTreeMap<Currency, i64> = BTreeMap::new();
            db.open_items(spec.as_of, None, false, |item| {
                *open.entry(item.currency).or_default() += item.open
            })?;
            let dso_start = add_days(spec.as_of, -i64::from(spec.dso_days))?;
            let invoiced = db.invoiced_between(dso_start, spec.as_of)?;
            let open: Vec<(Currency, i64)> = open.into_iter().collect();
            Ok(fold.finish(&clients, &open, &invoiced))
        })
    }
}
