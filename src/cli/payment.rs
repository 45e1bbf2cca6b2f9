//! `ar pay`, `ar payment list`

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Context, currency_option};
use crate::domain::Field;
use crate::domain::entities::AllocationKind;
use crate::domain::text::counted;
use crate::ledger::NewPayment;
use crate::render::{self, Format, payments_sheet};
use crate::store::sqlite::Access;

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Same as `ar pay`
    Add(PayArgs),
    List(PaymentListArgs),
}

/// Record a payment; prints how it was allocated
///
/// With --invoice it goes to that invoice up to its open balance; without, to the
/// client's open invoices oldest first. What is left is held as unapplied credit.
/// A payment dated before others is placed in date order and later ones re-allocated.
///
/// Example: ar pay --client ACME --amount 1000 --date 2026-11-20 --reference "bank 123"
#[derive(Debug, Args)]
pub struct PayArgs {
    /// Client code
    #[arg(long)]
    client: String,
    /// Positive amount: 1234.56, 1,234.56 or 1234
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Payment date (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Apply to this invoice
    #[arg(long)]
    invoice: Option<String>,
    /// Bank reference or note
    #[arg(long, allow_hyphen_values = true)]
    reference: Option<String>,
    /// ISO 4217 currency; default the invoice's, else the ledger's
    #[arg(long)]
    currency: Option<String>,
}

/// List payments in date order
///
/// Payments dated on or before --as-of (default today), with the credit each held then.
///
/// Example: ar payment list --client ACME --format csv
#[derive(Debug, Args)]
pub struct PaymentListArgs {
    /// As of this date (YYYY-MM-DD); default today
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<String>,
    /// Only this client's payments
    #[arg(long)]
    client: Option<String>,
    /// Output: a table for people, JSON or CSV for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub fn run(ctx: &mut Context, cmd: PaymentCommand) -> Result<()> {
    match cmd {
        PaymentCommand::Add(args) => run_pay(ctx, args),
        PaymentCommand::List(args) => run_payment_list(ctx, args),
    }
}

pub fn run_pay(ctx: &mut Context, args: PayArgs) -> Result<()> {
    let date = ctx.date_or_today(args.date.as_deref(), Field::Date)?;
    let currency = currency_option(args.currency)?;
    let mut ledger = ctx.open_ledger(Access::Write)?;
    let receipt = ledger.record_payment(NewPayment {
        client: args.client,
        amount: args.amount,
        currency,
        date,
        invoice: args.invoice,
        reference: args.reference,
    })?;
    let p = &receipt.payment;
    let reference = p
        .reference
        .as_deref()
        .map(|r| format!(" (ref {r})"))
        .unwrap_or_default();
    writeln!(
        ctx.out,
        "Payment #{} from {}: {} on {}{reference}",
        p.id, p.client, p.amount, p.date
    )?;
    for a in &receipt.allocations {
        match a.kind {
            AllocationKind::Payment => writeln!(ctx.out, "  {} to {}", a.amount.grouped(), a.invoice)?,
            AllocationKind::Discount => writeln!(
                ctx.out,
                "  {} early-payment discount granted on {}",
                a.amount.grouped(),
                a.invoice
            )?,
        }
    }
    if p.unapplied.minor > 0 {
        writeln!(ctx.out, "  {} held as unapplied credit", p.unapplied.grouped())?;
    }
    if receipt.reallocated_later > 0 {
        writeln!(
            ctx.out,
            "  dated before {} of {}: {} recomputed in date order",
            counted(receipt.reallocated_later as u64, "later payment"),
            p.client,
            if receipt.reallocated_later == 1 {
                "its allocation was"
            } else {
                "their allocations were"
            }
        )?;
    }
    if receipt.repeats > 0 {
        writeln!(
            ctx.err,
            "warning: {} already had {} with the same date, amount and {}: if this is the same payment entered twice, it is now counted twice",
            p.client,
            if receipt.repeats == 1 {
                "a payment".to_string()
            } else {
                format!("{} payments", receipt.repeats)
            },
            if p.reference.is_some() {
                "reference"
            } else {
                "no reference"
            }
        )?;
    }
    Ok(())
}

fn run_payment_list(ctx: &mut Context, args: PaymentListArgs) -> Result<()> {
    let as_of = ctx.date_or_today(args.as_of.as_deref(), Field::Date)?;
    let payments = ctx
        .open_ledger(Access::Read)?
        .payments(args.client.as_deref(), as_of)?;
    render::write(&mut ctx.out, args.format, ctx.style, &payments, || {
        payments_sheet(&payments)
    })
}
