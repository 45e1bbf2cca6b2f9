//! `ar client add|edit|list|show`

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Context;
use crate::domain::{Field, Terms};
use crate::ledger::{ClientPatch, NewClient};
use crate::render::{self, Format, clients_sheet, credit_notes_sheet, invoices_sheet, payments_sheet};
use crate::store::sqlite::Access;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    Add(ClientAddArgs),
    Edit(ClientEditArgs),
    List(ClientListArgs),
    Show(ClientShowArgs),
}

/// Add a client
///
/// Example: ar client add ACME --name "Acme Ltd" --email accounts@acme.example --terms "2/10 net 30" --credit-limit 20000
#[derive(Debug, Args)]
pub struct ClientAddArgs {
    /// Short unique code used on the command line and in CSV (matched case-insensitively;
    /// letters, digits, `-`, `_`, `.`)
    code: String,
    /// The client's name, as statements and reports show it
    #[arg(long, allow_hyphen_values = true)]
    name: String,
    /// Where reminders and statements go
    #[arg(long)]
    email: Option<String>,
    /// Net days (`30`) or a discount (`2/10 net 30`); default: the ledger's terms
    #[arg(long, value_name = "TERMS", allow_hyphen_values = true)]
    terms: Option<String>,
    /// In the ledger's currency
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    credit_limit: Option<String>,
}

/// Change a client's name, email, terms or credit limit
///
/// New terms apply to invoices issued from now on; existing invoices keep theirs.
///
/// Example: ar client edit ACME --terms 45 --credit-limit 50000
#[derive(Debug, Args)]
pub struct ClientEditArgs {
    /// The client's code
    code: String,
    /// A new name
    #[arg(long, allow_hyphen_values = true)]
    name: Option<String>,
    /// An empty value clears it
    #[arg(long)]
    email: Option<String>,
    /// Net days (`30`) or a discount (`2/10 net 30`); invoices already issued keep theirs
    #[arg(long, value_name = "TERMS", allow_hyphen_values = true)]
    terms: Option<String>,
    /// An empty value clears it
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    credit_limit: Option<String>,
}

/// List clients with what they owe
///
/// Balances as of --as-of (default today): the amounts `ar aging` shows for that date.
///
/// Example: ar client list --format csv
#[derive(Debug, Args)]
pub struct ClientListArgs {
    /// Balances as of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Show a client: terms, balances, open invoices and unapplied credit
///
/// As of --as-of (default today): entries dated later are not counted.
///
/// Example: ar client show ACME
#[derive(Debug, Args)]
pub struct ClientShowArgs {
    /// The client's code
    code: String,
    /// Balances as of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run(ctx: &mut Context, cmd: ClientCommand) -> Result<()> {
    match cmd {
        ClientCommand::Add(args) => run_client_add(ctx, args),
        ClientCommand::Edit(args) => run_client_edit(ctx, args),
        ClientCommand::List(args) => run_client_list(ctx, args),
        ClientCommand::Show(args) => run_client_show(ctx, args),
    }
}

/// Terms are data, not syntax: bad ones are a one-line refusal (exit 1), checked
/// before the ledger is opened (or created).
fn parse_terms(text: Option<&str>) -> Result<Option<Terms>> {
    Ok(text.map(Terms::parse).transpose()?)
}

fn run_client_add(ctx: &mut Context, args: ClientAddArgs) -> Result<()> {
    let terms = parse_terms(args.terms.as_deref())?;
    let mut ledger = ctx.open_ledger(Access::Write)?;
    let c = ledger.add_client(NewClient {
        code: args.code,
        name: args.name,
        email: args.email,
        terms,
        credit_limit: args.credit_limit,
    })?;
    let limit = c
        .credit_limit
        .map(|m| format!(", credit limit {m}"))
        .unwrap_or_default();
    writeln!(
        ctx.out,
        "Added client {} ({}), terms {}{limit}",
        c.code, c.name, c.terms
    )?;
    Ok(())
}

fn run_client_edit(ctx: &mut Context, args: ClientEditArgs) -> Result<()> {
    let terms = parse_terms(args.terms.as_deref())?;
    let mut ledger = ctx.open_ledger(Access::Write)?;
    let c = ledger.edit_client(
        &args.code,
        ClientPatch {
            name: args.name,
            email: args.email,
            terms,
            credit_limit: args.credit_limit,
        },
    )?;
    let limit = c
        .credit_limit
        .map_or_else(|| "none".to_string(), |m| m.to_string());
    writeln!(
        ctx.out,
        "Client {} ({}): terms {}, credit limit {limit}",
        c.code, c.name, c.terms
    )?;
    Ok(())
}

fn run_client_list(ctx: &mut Context, args: ClientListArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), Field::Date)?;
    let clients = ctx.open_ledger(Access::Read)?.clients(as_of)?;
    render::write(&mut ctx.out, args.format, ctx.style, &clients, || {
        clients_sheet(&clients)
    })
}

fn run_client_show(ctx: &mut Context, args: ClientShowArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), Field::Date)?;
    let detail = ctx.open_ledger(Access::Read)?.client_detail(&args.code, as_of)?;
    match args.format {
        Format::Json => render::write_json(&mut ctx.out, &detail),
        Format::Csv => render::write_csv(
            &mut ctx.out,
            &clients_sheet(std::slice::from_ref(&detail.summary)),
        ),
        Format::Table => {
            let c = &detail.summary.client;
            let out = &mut ctx.out;
            writeln!(out, "{} — {}", c.code, c.name)?;
            writeln!(out, "  as of:        {}", detail.as_of)?;
            writeln!(out, "  email:        {}", c.email.as_deref().unwrap_or("-"))?;
            writeln!(out, "  terms:        {}", c.terms)?;
            writeln!(
                out,
                "  credit limit: {}",
                c.credit_limit.map_or_else(|| "none".into(), |m| m.to_string())
            )?;
            if detail.summary.balances.is_empty() {
                writeln!(out, "  balance:      nothing open, no credit")?;
            }
            for b in &detail.summary.balances {
                writeln!(
                    out,
                    "  balance:      {} open ({} overdue), {} unapplied credit, {} net",
                    b.open,
                    b.overdue.grouped(),
                    b.unapplied.grouped(),
                    b.net.grouped()
                )?;
            }
            if !detail.open_invoices.is_empty() {
                writeln!(out, "\nOpen invoices")?;
                render::write_table(&mut **out, &invoices_sheet(&detail.open_invoices), ctx.style)?;
            }
            if !detail.credits.is_empty() {
                writeln!(out, "\nPayments holding unapplied credit")?;
                render::write_table(&mut **out, &payments_sheet(&detail.credits), ctx.style)?;
            }
            if !detail.credit_notes.is_empty() {
                writeln!(out, "\nCredit notes holding unapplied credit")?;
                render::write_table(&mut **out, &credit_notes_sheet(&detail.credit_notes), ctx.style)?;
            }
            Ok(())
        }
    }
}
