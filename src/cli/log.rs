//! `ar log`: the audit trail.

use anyhow::Result;
use clap::Args;

use super::Context;
use crate::domain::Field;
use crate::render::{self, Format, log_sheet};
use crate::store::sqlite::Access;

/// Show the audit trail: every fact and change, who entered it and when
///
/// Entries in the order they were entered: clients, client changes (old and new
/// values), invoices, voids, payments and corrections. Each says when (UTC) and by
/// whom (`--user`, else $AR_USER, else the login name) it was entered.
///
/// Example: ar log --client ACME --since 2026-11-01
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this client's entries
    #[arg(long)]
    client: Option<String>,
    /// Only entries entered on or after this day (UTC, YYYY-MM-DD)
    #[arg(long, value_name = "YYYY-MM-DD")]
    since: Option<String>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run_log(ctx: &mut Context, args: LogArgs) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|s| ctx.date_or_today(Some(s), Field::Date))
        .transpose()?;
    let entries = ctx
        .open_ledger(Access::Read)?
        .log(args.client.as_deref(), since)?;
    render::write(&mut ctx.out, args.format, ctx.style, &entries, || {
        log_sheet(&entries)
    })
}
