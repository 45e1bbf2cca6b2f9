//! `ar check`

use anyhow::Result;
use clap::Args;

use super::Context;
use crate::domain::LedgerError;
use crate::domain::text::counted;
use crate::render;
use crate::store::sqlite::Access;

/// Verify the ledger: its storage, and every derived value against a fresh replay
///
/// Runs the database's own integrity check, checks every reference, and replays
/// each client's facts from the beginning through the same allocation rules every
/// write uses, comparing what the ledger stores (allocations, what each invoice has
/// settled and when it closed, the credit each payment holds) with what the replay
/// gives. Only reads. Exit 0 with a one-line summary when the ledger is sound; exit
/// 1 naming each difference (client, entry, stored value, replayed value) when not.
///
/// Example: ar check
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output: lines for people, or JSON for programs
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    format: CheckFormat,
}

/// What check reports is a list of sentences, not a table: no CSV of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    Table,
    Json,
}

pub fn run_check(ctx: &mut Context, args: CheckArgs) -> Result<()> {
    let mut ledger = ctx.open_ledger(Access::Read)?;
    let report = ledger.check()?;
    match args.format {
        CheckFormat::Json => render::write_json(&mut ctx.out, &report)?,
        CheckFormat::Table => {
            for problem in &report.integrity {
                writeln!(ctx.out, "integrity: {problem}")?;
            }
            for d in &report.differences {
                writeln!(ctx.out, "{d}")?;
            }
            if report.is_sound() {
                let corrections = if report.corrections > 0 {
                    format!(", {}", counted(report.corrections, "correction"))
                } else {
                    String::new()
                };
                writeln!(
                    ctx.out,
                    "The ledger {} is sound: {}, {}, {}{corrections}, {}; every derived value equals a fresh replay",
                    ledger.address(),
                    counted(report.clients, "client"),
                    counted(report.invoices, "invoice"),
                    counted(report.payments, "payment"),
                    counted(report.allocations, "allocation"),
                )?;
            }
        }
    }
    if report.is_sound() {
        return Ok(());
    }
    Err(LedgerError::NotSound {
        path: ledger.address().to_string(),
        integrity: report.integrity.len(),
        differences: report.differences.len(),
    }
    .into())
}
