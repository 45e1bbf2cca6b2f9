//! `ar add-invoice`, `ar invoice list|show|void`

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Context, currency_option};
use crate::domain::{Field, parse_date};
use crate::ledger::NewInvoice;
use crate::render::{self, Format, invoice_entries_sheet, invoices_sheet};
use crate::store::sqlite::Access;

#[derive(Debug, Subcommand)]
pub enum InvoiceCommand {
    /// Same as `ar add-invoice`
    Add(InvoiceAddArgs),
    List(InvoiceListArgs),
    Show(InvoiceShowArgs),
    Void(InvoiceVoidArgs),
}

/// Record an invoice; prints its number and due date
///
/// The due date is --due, else the issue date plus the client's net days. The number
/// is --number, else the next of the ledger's sequence (INV-0001, ...).
///
/// Example: ar add-invoice --client ACME --amount 1,250.00 --date 2026-11-01
#[derive(Debug, Args)]
pub struct InvoiceAddArgs {
    /// Client code
    #[arg(long)]
    client: String,
    /// Positive amount: 1234.56, 1,234.56 or 1234
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Issue date (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Due date (YYYY-MM-DD); default the issue date plus the client's net days
    #[arg(long, value_name = "DATE")]
    due: Option<String>,
    /// Invoice number; default the next in the ledger's sequence
    #[arg(long)]
    number: Option<String>,
    /// ISO 4217 currency; default the ledger's
    #[arg(long)]
    currency: Option<String>,
    /// What was sold, as the invoice list and statements show it
    #[arg(long, allow_hyphen_values = true)]
    description: Option<String>,
}

/// List invoices
///
/// Invoices issued on or before --as-of (default today), with what was open then.
///
/// Example: ar invoice list --open --client ACME --format json
#[derive(Debug, Args)]
pub struct InvoiceListArgs {
    /// As of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Only invoices with an open balance
    #[arg(long)]
    open: bool,
    /// Only this client's invoices
    #[arg(long)]
    client: Option<String>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Show an invoice with how it was settled
///
/// As of --as-of (default today): payments dated later are not counted.
///
/// Example: ar invoice show INV-0007
#[derive(Debug, Args)]
pub struct InvoiceShowArgs {
    /// The invoice's number (any letter case)
    number: String,
    /// As of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Void an invoice from a date: it keeps its row, and counts for nothing from then on
///
/// Reports as of an earlier date still count it; a void dated on the issue date
/// removes it from every date. Refused while anything is allocated to it on or
/// before the date (reverse the payments or issue a credit note), or for a date
/// before its issue date.
///
/// Example: ar invoice void INV-0011 --date 2026-12-03 --reason "issued twice"
#[derive(Debug, Args)]
pub struct InvoiceVoidArgs {
    /// The invoice's number (any letter case)
    number: String,
    /// Why it is void, kept with it
    #[arg(long, allow_hyphen_values = true)]
    reason: Option<String>,
    /// Date of the void (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
}

pub fn run(ctx: &mut Context, cmd: InvoiceCommand) -> Result<()> {
    match cmd {
        InvoiceCommand::Add(args) => run_invoice_add(ctx, args),
        InvoiceCommand::List(args) => run_invoice_list(ctx, args),
        InvoiceCommand::Show(args) => run_invoice_show(ctx, args),
        InvoiceCommand::Void(args) => run_invoice_void(ctx, args),
    }
}

pub fn run_invoice_add(ctx: &mut Context, args: InvoiceAddArgs) -> Result<()> {
    let issue_date = ctx.date_or_today(args.date.as_deref(), Field::IssueDate)?;
    let due_date = args
        .due
        .as_deref()
        .map(|d| parse_date(d).map_err(|e| e.in_field(Field::DueDate)))
        .transpose()?;
    let currency = currency_option(args.currency)?;
    let mut ledger = ctx.open_ledger(Access::Write)?;
    let inv = ledger.add_invoice(NewInvoice {
        client: args.client,
        amount: args.amount,
        currency,
        issue_date,
        due_date,
        terms: None,
        number: args.number,
        description: args.description,
    })?;
    let due_from = due_from(&inv);
    writeln!(
        ctx.out,
        "Invoice {} for {}: {}, issued {}, due {} ({due_from})",
        inv.number, inv.client, inv.amount, inv.issue_date, inv.due_date
    )?;
    if inv.settled.minor > 0 {
        writeln!(
            ctx.out,
            "  {} of earlier payments allocated to it; {} open",
            inv.settled.grouped(),
            inv.open.grouped()
        )?;
    }
    Ok(())
}

fn run_invoice_list(ctx: &mut Context, args: InvoiceListArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), Field::Date)?;
    let invoices = ctx
        .open_ledger(Access::Read)?
        .invoices(args.client.as_deref(), args.open, as_of)?;
    render::write(&mut ctx.out, args.format, ctx.style, &invoices, || {
        invoices_sheet(&invoices)
    })
}

fn run_invoice_show(ctx: &mut Context, args: InvoiceShowArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), Field::Date)?;
    let detail = ctx
        .open_ledger(Access::Read)?
        .invoice_detail(&args.number, as_of)?;
    match args.format {
        Format::Json => render::write_json(&mut ctx.out, &detail),
        Format::Csv => render::write_csv(&mut ctx.out, &invoice_entries_sheet(&detail.entries)),
        Format::Table => {
            let i = &detail.invoice;
            let out = &mut ctx.out;
            writeln!(
                out,
                "{} — {} ({} as of {})",
                i.number,
                i.client,
                i.status.as_str(),
                detail.as_of
            )?;
            writeln!(out, "  issued:  {}", i.issue_date)?;
            writeln!(out, "  due:     {} ({})", i.due_date, due_from(i))?;
            writeln!(out, "  amount:  {}", i.amount)?;
            writeln!(out, "  settled: {}", i.settled.grouped())?;
            writeln!(out, "  open:    {}", i.open.grouped())?;
            if let Some(d) = &i.description {
                writeln!(out, "  note:    {d}")?;
            }
            if let (Some(on), Some(from)) = (i.voided_on, i.void_from) {
                let given = if on == from {
                    String::new()
                } else {
                    format!(", given {on}")
                };
                writeln!(
                    out,
                    "  void:    from {from}{given}{}",
                    i.void_reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                )?;
            }
            writeln!(out, "\nEntries")?;
            render::write_table(out, &invoice_entries_sheet(&detail.entries), ctx.style)?;
            Ok(())
        }
    }
}

fn run_invoice_void(ctx: &mut Context, args: InvoiceVoidArgs) -> Result<()> {
    let on = ctx.date_or_today(args.date.as_deref(), Field::VoidDate)?;
    let inv = ctx
        .open_ledger(Access::Write)?
        .void_invoice(&args.number, on, args.reason.as_deref())?;
    let from = inv.void_from.unwrap_or(on);
    let when = if from == inv.issue_date {
        "on any date".to_string()
    } else {
        format!("from {from} on (reports as of earlier dates still count it)")
    };
    writeln!(
        ctx.out,
        "Voided invoice {} for {} ({}); it no longer counts in any balance {when}",
        inv.number, inv.client, inv.amount
    )?;
    Ok(())
}

/// Where an invoice's due date came from: its terms, or a date given (which the
/// terms do not explain: `14 days after issue, as given`).
fn due_from(inv: &crate::domain::entities::Invoice) -> String {
    let days = (inv.due_date - inv.issue_date).num_days();
    if days == i64::from(inv.terms.net_days) {
        return inv.terms.to_string();
    }
    let discount = if inv.terms.has_discount() {
        format!("; terms {}", inv.terms)
    } else {
        String::new()
    };
    format!(
        "{} after issue, as given{discount}",
        crate::domain::text::counted(days.unsigned_abs(), "day")
    )
}
