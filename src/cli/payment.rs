//! `ar pay`, `ar payment list`

use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Context;
use crate::domain::entities::AllocationKind;
use crate::ledger::NewPayment;
use crate::render::{self, Format, payments_sheet};

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
/// Example: ar payment list --client ACME --format csv
#[derive(Debug, Args)]
pub struct PaymentListArgs {
    /// Only this client's payments
    #[arg(long)]
    client: Option<String>,
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
    let date = ctx.date_or_today(args.date.as_deref())?;
    let mut ledger = ctx.open_ledger()?;
    let receipt = ledger.record_payment(NewPayment {
        client: args.client,
        amount: args.amount,
        currency: args.currency,
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
            "  dated before {} later payment(s) of {}: their allocation was recomputed in date order",
            receipt.reallocated_later, p.client
        )?;
    }
    Ok(())
}

fn run_payment_list(ctx: &mut Context, args: PaymentListArgs) -> Result<()> {
    let payments = ctx.open_ledger()?.payments(args.client.as_deref())?;
    render::write(&mut ctx.out, args.format, ctx.style, &payments, || {
        payments_sheet(&payments)
    })
}
