//! Reports over the ledger: stream the rows the store pre-filters into the pure
//! engines.

use std::collections::BTreeMap;

use anyhow::Result;

use super::Ledger;
use super::clients::find_client;
use crate::domain::dates::add_days;
use crate::domain::{Currency, Total};
use crate::engine::aging::{AgingFold, AgingReport};
use crate::engine::days_to_pay::{DaysToPayFold, DaysToPayReport};
use crate::engine::spec::{AgingSpec, DaysToPaySpec};

impl Ledger {
    /// The aging report; `client` narrows it to one client's rows.
    pub fn aging(&mut self, spec: &AgingSpec, client: Option<&str>) -> Result<AgingReport> {
        self.read(|txn, settings| {
            let client_id = client
                .map(|code| find_client(txn, code, settings.currency).map(|c| c.id))
                .transpose()?;
            let clients = txn.client_refs()?;
            let mut fold = AgingFold::new(spec, &clients);
            txn.open_items(spec.as_of, client_id, spec.by_invoice, &mut |item| {
                fold.add_open(item);
                Ok(())
            })?;
            txn.credit_items(spec.as_of, client_id, &mut |credit| {
                fold.add_credit(credit);
                Ok(())
            })?;
            Ok(fold.finish()?)
        })
    }

    pub fn days_to_pay(&mut self, spec: &DaysToPaySpec) -> Result<DaysToPayReport> {
        self.read(|txn, _| {
            let clients = txn.client_refs()?;
            let mut fold = DaysToPayFold::new(spec);
            let (after, until) = fold.window();
            txn.closed_items(after, until, &mut |item| {
                fold.add_closed(item);
                Ok(())
            })?;
            let mut open: BTreeMap<Currency, Total> = BTreeMap::new();
            txn.open_items(spec.as_of, None, false, &mut |item| {
                open.entry(item.currency).or_default().add(item.open);
                Ok(())
            })?;
            let dso_start = add_days(spec.as_of, -i64::from(spec.dso_days))?;
            let mut invoiced: BTreeMap<Currency, Total> = BTreeMap::new();
            txn.issued_amounts(dso_start, spec.as_of, &mut |currency, amount| {
                invoiced.entry(currency).or_default().add(amount);
                Ok(())
            })?;
            Ok(fold.finish(&clients, &open, &invoiced)?)
        })
    }
}
