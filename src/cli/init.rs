//! `ar init`

use std::io::Write;

use anyhow::Result;
use clap::Args;

use super::Context;
use crate::domain::{Currency, Terms};
use crate::ledger::{InitOutcome, Settings};

/// Create the ledger and set its default currency and terms
///
/// Optional: any command creates a ledger with USD and net 30 on first use.
///
/// Example: ar init --currency NZD --terms 30
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Default currency of invoices and payments (ISO 4217)
    #[arg(long, default_value = "USD")]
    currency: String,
    /// Default terms of new clients, and the standard term reports compare against
    #[arg(long, default_value = "30", value_name = "TERMS")]
    terms: String,
}

pub fn run_init(ctx: &mut Context, args: InitArgs) -> Result<()> {
    let settings = Settings {
        currency: Currency::parse(&args.currency)?,
        terms: Terms::parse(&args.terms)?,
    };
    let mut ledger = ctx.open_ledger()?;
    let outcome = ledger.init(settings)?;
    let verb = if outcome == InitOutcome::AlreadySet {
        "is ready"
    } else {
        "initialised"
    };
    writeln!(
        ctx.out,
        "Ledger {} {verb}: currency {}, terms {}",
        ledger.store_path(),
        settings.currency,
        settings.terms
    )?;
    Ok(())
}
