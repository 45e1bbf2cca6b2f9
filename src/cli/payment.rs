//! `ar pay`, `ar payment list`

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Context, currency_option};
use crate::domain::Field;
use crate::domain::entities::CorrectionKind;
use crate::domain::text::counted;
use crate::ledger::{NewCorrection, NewPayment};
use crate::render::{self, Format, allocations_sheet, payments_sheet};
use crate::store::sqlite::Access;

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// Same as `ar pay`
    Add(PayArgs),
    List(PaymentListArgs),
    Show(PaymentShowArgs),
    Reverse(PaymentReverseArgs),
}

/// Show a payment: where it went, and its reversal
///
/// Example: ar payment show 1042
#[derive(Debug, Args)]
pub struct PaymentShowArgs {
    /// The payment's id (`ar payment list` shows them)
    id: i64,
    /// Output: a table for people, JSON (everything) or CSV (where it went) for programs
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Reverse a payment (a bounced cheque): from the date it counts for nothing
///
/// What it paid (directly, or through its credit applied elsewhere) is open again
/// from the date, with the early-payment discount it earned; what it still held as
/// credit is gone. Reversed on its own date, it never counted. Refused when its
/// credit paid a refund.
///
/// Example: ar payment reverse 1042 --date 2026-12-03 --reason "cheque bounced"
#[derive(Debug, Args)]
pub struct PaymentReverseArgs {
    /// The payment's id (`ar payment list` shows them)
    id: i64,
    /// Date of the reversal (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Why, kept with it
    #[arg(long, allow_hyphen_values = true)]
    reason: Option<String>,
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
        PaymentCommand::Show(args) => run_payment_show(ctx, args),
        PaymentCommand::Reverse(args) => run_payment_reverse(ctx, args),
    }
}

fn run_payment_reverse(ctx: &mut Context, args: PaymentReverseArgs) -> Result<()> {
    let date = ctx.date_or_today(args.date.as_deref(), Field::Date)?;
    super::correction::record(
        ctx,
        NewCorrection {
            kind: Some(CorrectionKind::Reversal),
            payment: Some(args.id),
            date: Some(date),
            reason: args.reason,
            ..NewCorrection::default()
        },
    )
}

fn run_payment_show(ctx: &mut Context, args: PaymentShowArgs) -> Result<()> {
    let detail = ctx.open_ledger(Access::Read)?.payment_detail(args.id)?;
    match args.format {
        Format::Json => render::write_json(&mut ctx.out, &detail),
        Format::Csv => render::write_csv(&mut ctx.out, &allocations_sheet(&detail.allocations)),
        Format::Table => {
            let p = &detail.payment;
            let out = &mut ctx.out;
            writeln!(
                out,
                "Payment {} from {}: {} on {}",
                p.id, p.client, p.amount, p.date
            )?;
            if let Some(i) = &p.invoice {
                writeln!(out, "  named:     {i}")?;
            }
            if let Some(r) = &p.reference {
                writeln!(out, "  reference: {r}")?;
            }
            if let (Some(at), Some(by)) = (&detail.entered_at, &detail.entered_by) {
                writeln!(out, "  entered:   {at} by {by}")?;
            }
            writeln!(
                out,
                "  credit:    {} held after every entry",
                p.unapplied.grouped()
            )?;
            if let Some(r) = &detail.reversal {
                writeln!(
                    out,
                    "  reversed:  {} (reversal {}){}",
                    r.date,
                    r.id,
                    r.reason.as_deref().map(|t| format!(": {t}")).unwrap_or_default()
                )?;
            }
            if detail.allocations.is_empty() {
                writeln!(out, "\nNothing allocated.")?;
            } else {
                writeln!(out, "\nWhere it went")?;
                render::write_table(&mut **out, &allocations_sheet(&detail.allocations), ctx.style)?;
            }
            Ok(())
        }
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
        writeln!(ctx.out, "  {}", a.describe())?;
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
