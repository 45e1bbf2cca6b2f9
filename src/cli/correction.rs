//! `ar credit-note`, `ar apply-credit`, `ar write-off`, `ar refund`, and the
//! receipt every correction prints (`ar payment reverse` too).

use anyhow::Result;
use clap::Args;

use super::Context;
use crate::domain::Field;
use crate::domain::entities::CorrectionKind;
use crate::ledger::{CorrectionReceipt, NewCorrection};
use crate::store::sqlite::Access;

/// Issue a credit note: it reduces the invoice it names from its date; what exceeds
/// the invoice's open balance (or all of it, without --invoice) is held as credit
///
/// Example: ar credit-note --client ACME --amount 150 --invoice INV-0007 --date 2026-11-25 --reason "damaged goods"
#[derive(Debug, Args)]
pub struct CreditNoteArgs {
    /// Client code
    #[arg(long)]
    client: String,
    /// Positive amount: 1234.56, 1,234.56 or 1234
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// The invoice it credits; without, the credit is held on account
    #[arg(long)]
    invoice: Option<String>,
    /// Date (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Why it was issued, kept with it
    #[arg(long, allow_hyphen_values = true)]
    reason: Option<String>,
    /// ISO 4217 currency; default the invoice's, else the ledger's
    #[arg(long)]
    currency: Option<String>,
}

/// Apply a client's unapplied credit to its open invoices, oldest first (or to one)
///
/// Credit held on the date (from payments and credit notes, oldest first) moves onto
/// the invoice, dated on that date. Without --amount: all that fits.
///
/// Example: ar apply-credit --client ACME --invoice INV-0009 --amount 50 --date 2026-11-30
#[derive(Debug, Args)]
pub struct ApplyCreditArgs {
    /// Client code
    #[arg(long)]
    client: String,
    /// Only onto this invoice
    #[arg(long)]
    invoice: Option<String>,
    /// At most this much; default all that fits
    #[arg(long, allow_hyphen_values = true)]
    amount: Option<String>,
    /// Date (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// ISO 4217 currency of the credit, without --invoice; default the ledger's
    #[arg(long)]
    currency: Option<String>,
}

/// Write off what is left of an invoice (or part of it): it reduces the open balance
/// from the date, and the invoice leaves days to pay
///
/// Without --amount, whatever is open on the date is written off.
///
/// Example: ar write-off INV-0003 --date 2026-12-01 --reason "client insolvent"
#[derive(Debug, Args)]
pub struct WriteOffArgs {
    /// The invoice's number (any letter case)
    number: String,
    /// At most what is open then; default all of it
    #[arg(long, allow_hyphen_values = true)]
    amount: Option<String>,
    /// Date (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Why, kept with it
    #[arg(long, allow_hyphen_values = true)]
    reason: Option<String>,
}

/// Pay unapplied credit back to a client: from the date its credit is that much less
///
/// Example: ar refund --client ACME --amount 20.97 --date 2026-12-02 --reference "bank 991"
#[derive(Debug, Args)]
pub struct RefundArgs {
    /// Client code
    #[arg(long)]
    client: String,
    /// Positive amount, at most the credit held then
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// Date (YYYY-MM-DD); default today
    #[arg(long, value_name = "DATE")]
    date: Option<String>,
    /// Bank reference or note
    #[arg(long, allow_hyphen_values = true)]
    reference: Option<String>,
    /// ISO 4217 currency of the credit; default the ledger's
    #[arg(long)]
    currency: Option<String>,
}

pub fn run_credit_note(ctx: &mut Context, args: CreditNoteArgs) -> Result<()> {
    let date = ctx.date_or_today(args.date.as_deref(), Field::Date)?;
    record(
        ctx,
        NewCorrection {
            kind: Some(CorrectionKind::CreditNote),
            client: Some(args.client),
            amount: Some(args.amount),
            currency: super::currency_option(args.currency)?,
            date: Some(date),
            invoice: args.invoice,
            reason: args.reason,
            ..NewCorrection::default()
        },
    )
}

pub fn run_apply_credit(ctx: &mut Context, args: ApplyCreditArgs) -> Result<()> {
    let date = ctx.date_or_today(args.date.as_deref(), Field::Date)?;
    record(
        ctx,
        NewCorrection {
            kind: Some(CorrectionKind::CreditApplication),
            client: Some(args.client),
            amount: args.amount,
            currency: super::currency_option(args.currency)?,
            date: Some(date),
            invoice: args.invoice,
            ..NewCorrection::default()
        },
    )
}

pub fn run_write_off(ctx: &mut Context, args: WriteOffArgs) -> Result<()> {
    let date = ctx.date_or_today(args.date.as_deref(), Field::Date)?;
    record(
        ctx,
        NewCorrection {
            kind: Some(CorrectionKind::WriteOff),
            amount: args.amount,
            date: Some(date),
            invoice: Some(args.number),
            reason: args.reason,
            ..NewCorrection::default()
        },
    )
}

pub fn run_refund(ctx: &mut Context, args: RefundArgs) -> Result<()> {
    let date = ctx.date_or_today(args.date.as_deref(), Field::Date)?;
    record(
        ctx,
        NewCorrection {
            kind: Some(CorrectionKind::Refund),
            client: Some(args.client),
            amount: Some(args.amount),
            currency: super::currency_option(args.currency)?,
            date: Some(date),
            reference: args.reference,
            ..NewCorrection::default()
        },
    )
}

/// Enter one correction and print what it did.
pub(super) fn record(ctx: &mut Context, new: NewCorrection) -> Result<()> {
    let receipt = ctx.open_ledger(Access::Write)?.record_correction(new)?;
    print_receipt(ctx, &receipt)
}

fn print_receipt(ctx: &mut Context, receipt: &CorrectionReceipt) -> Result<()> {
    let c = &receipt.correction;
    let mut noun = c.kind.noun().to_string();
    if let Some(first) = noun.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let amount = match (c.amount, c.kind) {
        (Some(m), _) => format!(": {m}"),
        (None, CorrectionKind::Reversal) => match c.payment_id {
            Some(p) => format!(" of payment {p}"),
            None => String::new(),
        },
        (None, _) => format!(": {}", c.done),
    };
    let note = c
        .reason
        .as_deref()
        .or(c.reference.as_deref())
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    writeln!(
        ctx.out,
        "{noun} {} for {}{amount} on {}{note}",
        c.id, c.client, c.date
    )?;
    for a in &receipt.allocations {
        writeln!(ctx.out, "  {}", a.describe())?;
    }
    if c.kind == CorrectionKind::CreditNote && c.unapplied.minor > 0 {
        writeln!(ctx.out, "  {} held as unapplied credit", c.unapplied.grouped())?;
    }
    Ok(())
}
