//! `ar init`

use anyhow::Result;
use clap::Args;

use super::{Context, currency_option};
use crate::domain::{Currency, Terms};
use crate::ledger::{InitOutcome, InitSettings};
use crate::store::sqlite::Access;

/// Create the ledger and set its default currency and terms
///
/// Any command that writes creates a ledger with USD and net 30 on first use; run
/// this first if those are not yours. On an existing ledger it says what it holds,
/// and changes the settings only while the ledger is empty.
///
/// Example: ar init --currency NZD --terms 30
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Default currency of invoices and payments (ISO 4217); a new ledger: USD
    #[arg(long)]
    currency: Option<String>,
    /// Default terms of new clients, and the standard term reports compare against; a new ledger: 30
    #[arg(long, value_name = "TERMS", allow_hyphen_values = true)]
    terms: Option<String>,
}

pub fn run_init(ctx: &mut Context, args: InitArgs) -> Result<()> {
    let wanted = InitSettings {
        currency: currency_option(args.currency)?
            .map(|c| Currency::parse(&c))
            .transpose()?,
        terms: args.terms.as_deref().map(Terms::parse).transpose()?,
    };
    let mut ledger = ctx.open_ledger(Access::Write)?;
    let (settings, outcome) = ledger.init(wanted)?;
    let verb = if outcome == InitOutcome::AlreadySet {
        "is ready"
    } else {
        "initialised"
    };
    writeln!(
        ctx.out,
        "Ledger {} {verb}: currency {}, terms {}",
        ledger.address(),
        settings.currency,
        settings.terms
    )?;
    Ok(())
}
