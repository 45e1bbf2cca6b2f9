//! `ar demo`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::Context;
use super::report::{AgingArgs, DaysToPayArgs, run_aging, run_days_to_pay};
use crate::domain::LedgerError;
use crate::ledger::Ledger;
use crate::ledger::sample::build_sample;

/// Build a sample ledger and show its aging and days to pay
///
/// The sample lives in its own file (never your ledger): a dozen clients with
/// realistic payment habits and two years of invoices up to today. Explore it
/// afterwards with the --db path it prints.
///
/// Example: ar demo
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the sample ledger; rebuilt on every run
    #[arg(long, value_name = "PATH")]
    path: Option<PathBuf>,
}

pub fn run_demo(ctx: &mut Context, args: DemoArgs) -> Result<()> {
    let path = args
        .path
        .unwrap_or_else(|| std::env::temp_dir().join("ar-demo").join("ledger.db"));
    if path.exists() {
        if !Ledger::open(&path)?.is_demo()? {
            return Err(LedgerError::Invalid(format!(
                "{} exists and is not a demo ledger: ar demo only rebuilds its own sample; give another --path",
                path.display()
            ))
            .into());
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    let mut ledger = Ledger::open(&path)?;
    let (invoices, payments) = build_sample(&mut ledger, ctx.today)?;
    drop(ledger);
    writeln!(
        ctx.out,
        "Sample ledger: {} ({invoices} invoices, {payments} payments)\n",
        path.display()
    )?;
    ctx.db_path = path.clone();
    run_aging(ctx, AgingArgs::for_today())?;
    writeln!(ctx.out)?;
    run_days_to_pay(ctx, DaysToPayArgs::for_today())?;
    writeln!(
        ctx.out,
        "\nExplore it: ar --db {} aging --by invoice   (or: export AR_DB={})",
        path.display(),
        path.display()
    )?;
    Ok(())
}
