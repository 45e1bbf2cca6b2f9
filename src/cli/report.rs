//! `ar aging`, `ar days-to-pay`

use std::io::Write;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::Context;
use crate::domain::Field;
use crate::domain::error::ThresholdExceeded;
use crate::engine::spec::{AgingSpec, Basis, Buckets, DaysToPayBy, DaysToPaySpec};
use crate::render::{self, Format, aging_sheet, days_to_pay_sheet, dso_sheet};
use crate::store::sqlite::Access;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgingBy {
    Client,
    Invoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BasisArg {
    Due,
    Issue,
}

/// Show who owes what and how late, by age bucket
///
/// Amounts open at the as-of date, per client and currency, in buckets of days past
/// due (or since issue with --basis issue), with unapplied credit and totals per
/// currency. Entries dated after --as-of are ignored, so a past date shows what the
/// report said then.
///
/// Examples:
///   ar aging --as-of 2026-06-30 --format json
///   ar aging --by invoice --client ACME
///   ar aging --buckets 15,30,60,90,120 --format csv > aging.csv
///   ar aging --fail-if-over 90        # exit 3 when anything is over 90 days overdue
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct AgingArgs {
    /// Age the ledger as of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// One row per client and currency, or per invoice
    #[arg(long, value_enum, default_value_t = AgingBy::Client)]
    by: AgingBy,
    /// Only this client
    #[arg(long)]
    client: Option<String>,
    /// Bucket boundaries in days
    #[arg(long, default_value = "30,60,90", value_name = "DAYS,...", value_parser = buckets_arg)]
    buckets: Buckets,
    /// Count age from the due date or the issue date
    #[arg(long, value_enum, default_value_t = BasisArg::Due)]
    basis: BasisArg,
    /// Only invoices more than this many days old
    #[arg(long, value_name = "DAYS")]
    min_days: Option<u32>,
    /// Exit with status 3 when any invoice listed is more than DAYS days past due (for cron alerts)
    #[arg(long, value_name = "DAYS")]
    fail_if_over: Option<u32>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// clap value parser for `--buckets`: a bad list is a usage error (exit 2), like a bad date.
fn buckets_arg(text: &str) -> Result<Buckets, String> {
    // (clap names the flag and the value itself: only the reason is added.)
    Buckets::parse(text).map_err(|e| match e {
        crate::domain::LedgerError::BadValue { reason, .. } => reason,
        other => other.to_string(),
    })
}

impl AgingArgs {
    /// The defaults, as `ar aging --as-of DATE` with no other flags.
    pub fn as_of(as_of: Option<&str>) -> Result<AgingArgs> {
        with_defaults(as_of)
    }
}

/// Arguments as clap makes them from `--as-of DATE` alone: the defaults are the
/// ones the flags declare, never a second copy of them.
fn with_defaults<T: clap::Args + clap::FromArgMatches>(as_of: Option<&str>) -> Result<T> {
    let command = T::augment_args(clap::Command::new("ar"));
    let args = std::iter::once("ar").chain(as_of.map(|d| ["--as-of", d]).into_iter().flatten());
    let matches = command
        .try_get_matches_from(args)
        .map_err(|e| crate::internal!("the report's defaults: {e}"))?;
    Ok(T::from_arg_matches(&matches).map_err(|e| crate::internal!("the report's defaults: {e}"))?)
}

pub fn run_aging(ctx: &mut Context, args: AgingArgs) -> Result<()> {
    let spec = AgingSpec {
        as_of: ctx.date_or_today(args.as_of.as_deref(), Field::Date)?,
        basis: match args.basis {
            BasisArg::Due => Basis::Due,
            BasisArg::Issue => Basis::Issue,
        },
        buckets: args.buckets,
        by_invoice: args.by == AgingBy::Invoice,
        min_days: args.min_days.map(i64::from),
    };
    let report = ctx
        .open_ledger(Access::Read)?
        .aging(&spec, args.client.as_deref())?;
    if args.format == Format::Table {
        writeln!(
            ctx.out,
            "Aging as of {} (days past {})",
            report.as_of,
            if spec.basis == Basis::Due { "due" } else { "issue" }
        )?;
    }
    render::write(&mut ctx.out, args.format, ctx.style, &report, || {
        aging_sheet(&report)
    })?;
    if let (Some(limit), Some(late)) = (args.fail_if_over, report.max_days_overdue)
        && late > i64::from(limit)
    {
        return Err(ThresholdExceeded(format!(
            "an invoice is {late} days overdue, over the --fail-if-over limit of {limit}"
        ))
        .into());
    }
    Ok(())
}

/// Show how many days clients take to pay, against their terms
///
/// Over invoices settled in the window before --as-of: mean and amount-weighted days
/// to pay, days beyond terms, share paid on time, per client (or per month with
/// --by month), and DSO per currency.
///
/// Examples:
///   ar days-to-pay
///   ar days-to-pay --by month --window 730
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct DaysToPayArgs {
    /// Measure as of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Days of closing dates to look back over
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    window: u32,
    /// Days of invoicing DSO compares open receivables with
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    dso_days: u32,
    /// One row per client, or per month of settlement (the trend)
    #[arg(long, value_enum, default_value_t = ByArg::Client)]
    by: ByArg,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    Client,
    Month,
}

impl DaysToPayArgs {
    /// The defaults, as `ar days-to-pay --as-of DATE` with no other flags.
    pub fn as_of(as_of: Option<&str>) -> Result<DaysToPayArgs> {
        with_defaults(as_of)
    }
}

pub fn run_days_to_pay(ctx: &mut Context, args: DaysToPayArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), Field::Date)?;
    let mut ledger = ctx.open_ledger(Access::Read)?;
    let spec = DaysToPaySpec {
        as_of,
        window_days: args.window,
        dso_days: args.dso_days,
        term_days: ledger.settings()?.terms.net_days,
        by: match args.by {
            ByArg::Client => DaysToPayBy::Client,
            ByArg::Month => DaysToPayBy::Month,
        },
    };
    let report = ledger.days_to_pay(&spec)?;
    match args.format {
        Format::Table => {
            let out = &mut ctx.out;
            writeln!(
                out,
                "Days to pay as of {}, invoices settled in the last {} days",
                report.as_of, report.window_days
            )?;
            match report.verdict() {
                Some(v) => writeln!(out, "{v}")?,
                None => writeln!(out, "No invoice was settled in the window.")?,
            }
            writeln!(out)?;
            render::write_table(&mut **out, &days_to_pay_sheet(&report), ctx.style)?;
            writeln!(out)?;
            render::write_table(&mut **out, &dso_sheet(&report), ctx.style)?;
            Ok(())
        }
        format => render::write(&mut ctx.out, format, ctx.style, &report, || {
            days_to_pay_sheet(&report)
        }),
    }
}
