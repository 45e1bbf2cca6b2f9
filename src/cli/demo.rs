//! `ar demo`

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::report::{AgingArgs, DaysToPayArgs, run_aging, run_days_to_pay};
use super::{Context, cache_dir};
use crate::domain::error::io_reason;
use crate::domain::text::counted;
use crate::domain::{Date, Field, LedgerError};
use crate::ledger::generate::{GenSpec, generate, write_csv};
use crate::ledger::sample::build_sample;
use crate::store::sqlite::{Access, Location};

/// Build a sample ledger and show its aging and days to pay
///
/// The sample is generated (the same --seed gives the same ledger) with the payment
/// habits seen in practice: prompt and slow payers, instalments, payments naming an
/// invoice and payments that do not, credits, a defaulter. It lives in its own file,
/// never your ledger: in your cache directory (~/.cache/ar/demo.db), or at --db if
/// given (a file there that is not a demo ledger is refused). With --csv, it writes
/// the three CSV files of the import layout instead, to try `ar import` on.
///
/// Examples:
///   ar demo
///   ar demo --invoices 1000000 --seed 7
///   ar demo --csv sample/ && ar --db try.db import --dir sample/
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DemoArgs {
    /// Invoices to generate
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    invoices: u64,
    /// Clients to spread them over; default 12, or one per 40 invoices for 1,000 or more
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    clients: Option<u64>,
    /// Seed of the generator
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Last day of activity (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    end: Option<String>,
    /// Days of invoices before the last day
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    days: u32,
    /// Write clients.csv, invoices.csv and payments.csv into this directory instead
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
}

/// Above this many clients, the demo does not print its reports (they would scroll
/// for pages): it says how to run them.
const SHOWN_CLIENTS: usize = 50;

pub fn run_demo(ctx: &mut Context, args: DemoArgs) -> Result<()> {
    let end = ctx.date_or_today(args.end.as_deref(), Field::Date)?;
    sample_fits(end, args.days)?;
    let spec = GenSpec {
        invoices: args.invoices,
        clients: args.clients.or((args.invoices < 1_000).then_some(12)),
        seed: args.seed,
        end,
        days: args.days,
    };
    if let Some(dir) = &args.csv {
        return write_sample_csv(ctx, &spec, dir);
    }
    // Only the --db flag chooses the sample's place: AR_DB names the user's ledger.
    let (path, location) = match &ctx.db {
        Some(p) => (p.clone(), Location::Given),
        None => (cache_dir(ctx.env)?.join("demo.db"), Location::Default),
    };
    if path.exists() {
        if !ctx.open_ledger_at(&path, Access::Read, location)?.is_demo()? {
            return Err(LedgerError::Refused(format!(
                "{} exists and is not a demo ledger: ar demo only rebuilds its own sample; give --db another path",
                path.display()
            ))
            .into());
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    let generated = generate(&spec);
    let mut ledger = ctx.open_ledger_at(&path, Access::Write, location)?;
    let counts = build_sample(&mut ledger, &generated)?;
    drop(ledger);
    writeln!(
        ctx.out,
        "Sample ledger: {} ({}, {}, {})\n",
        path.display(),
        counted(counts.clients as u64, "client"),
        counted(counts.invoices as u64, "invoice"),
        counted(counts.payments as u64, "payment"),
    )?;
    let as_of = end.to_string();
    ctx.db = Some(path.clone());
    if counts.clients <= SHOWN_CLIENTS {
        run_aging(ctx, AgingArgs::as_of(Some(&as_of))?)?;
        writeln!(ctx.out)?;
        run_days_to_pay(ctx, DaysToPayArgs::as_of(Some(&as_of))?)?;
        writeln!(ctx.out)?;
    }
    writeln!(
        ctx.out,
        "Explore it: ar --db {} aging --by invoice   (or: export AR_DB={})",
        path.display(),
        path.display()
    )?;
    Ok(())
}

/// A sample's dates run from `days` before its end (and its payments a little
/// earlier still, for invoices carried in) to due dates months after it: all of them
/// must be dates the ledger holds.
fn sample_fits(end: Date, days: u32) -> Result<(), LedgerError> {
    const MARGIN: i64 = 400;
    let lo =
        Date::from_ymd_opt(1, 1, 1).expect("valid date") + chrono::Duration::days(i64::from(days) + MARGIN);
    let hi = crate::domain::dates::end_of_time() - chrono::Duration::days(MARGIN);
    if end < lo || end > hi {
        return Err(LedgerError::Refused(format!(
            "a sample of {} ending on {end} would hold dates the ledger cannot: give an --end between {lo} and {hi}",
            counted(u64::from(days), "day")
        )));
    }
    Ok(())
}

fn write_sample_csv(ctx: &mut Context, spec: &GenSpec, dir: &std::path::Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(LedgerError::File {
            action: "write the sample into",
            path: dir.display().to_string(),
            reason: "it exists and is not a directory".into(),
        }
        .into());
    }
    std::fs::create_dir_all(dir).map_err(|e| LedgerError::File {
        action: "create the directory",
        path: dir.display().to_string(),
        reason: io_reason(&e),
    })?;
    let generated = generate(spec);
    write_csv(&generated, dir, spec.seed).map_err(|e| LedgerError::File {
        action: "write the sample into",
        path: dir.display().to_string(),
        reason: io_reason(&e),
    })?;
    writeln!(
        ctx.out,
        "Wrote {} (clients.csv, invoices.csv, payments.csv, corrections.csv: {}, {}, {}); import them with: ar import --dir {}",
        dir.display(),
        counted(generated.clients.len() as u64, "client"),
        counted(generated.invoices.len() as u64, "invoice"),
        counted(generated.payments.len() as u64, "payment"),
        dir.display()
    )?;
    Ok(())
}
