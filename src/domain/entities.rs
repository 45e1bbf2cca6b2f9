//! The records of the ledger as the rest of the program sees them.
//!
//! Plain data: the store fills them, operations and reports read them.

use serde::Serialize;

use super::{Currency, Date, Money, Terms};

#[derive(Debug, Clone, Serialize)]
pub struct Client {
    #[serde(skip)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub email: Option<String>,
    /// In the ledger's default currency.
    pub credit_limit: Option<Money>,
    #[serde(serialize_with = "terms_as_text")]
    pub terms: Terms,
    /// Who entered it, and when: carried by an export (other listings leave it out).
    #[serde(flatten)]
    pub entered: Option<Entered>,
}

/// Who entered a fact, and when (the audit trail), where a listing carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entered {
    /// UTC, `2026-11-23T09:15:02Z`.
    pub entered_at: String,
    pub entered_by: String,
}

/// An invoice with its balance as of now (after every entry in the ledger).
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    #[serde(skip)]
    pub id: i64,
    pub number: String,
    pub client: String,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub amount: Money,
    /// Allocated so far: payments plus discounts granted.
    pub settled: Money,
    pub open: Money,
    #[serde(serialize_with = "terms_as_text")]
    pub terms: Terms,
    pub description: Option<String>,
    pub status: InvoiceStatus,
    pub closed_on: Option<Date>,
    /// The date the void was given (by earlier schemas, the day it was entered).
    pub voided_on: Option<Date>,
    /// The day the void takes effect: from then on the invoice counts for nothing.
    pub void_from: Option<Date>,
    pub void_reason: Option<String>,
    /// Who entered it and its void, and when (an export carries them).
    #[serde(flatten)]
    pub entered: Option<Entered>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub void_entered: Option<Entered>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceStatus {
    Open,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub id: i64,
    pub client: String,
    pub currency: Currency,
    pub date: Date,
    pub amount: Money,
    /// The invoice the payment named, if any.
    pub invoice: Option<String>,
    pub reference: Option<String>,
    /// What is held as credit now.
    pub unapplied: Money,
    /// Who entered it, and when (an export carries it).
    #[serde(flatten)]
    pub entered: Option<Entered>,
}

/// What an allocation is: how an amount moved onto an invoice (or, for a refund
/// and a lapse, out of a client's credit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationKind {
    /// A payment's money onto an invoice.
    Payment,
    /// An early-payment discount granted with a payment.
    Discount,
    /// A credit note onto the invoice it names.
    CreditNote,
    /// Unapplied credit (of a payment or a credit note) applied to an invoice.
    Credit,
    WriteOff,
    /// Credit paid back to the client (no invoice).
    Refund,
    /// The credit a reversed payment still held, gone at the reversal (no invoice).
    Lapsed,
    /// What a reversed payment had settled, open again from the reversal: the one
    /// kind that adds to an invoice's open balance.
    Reversal,
}

impl AllocationKind {
    pub const ALL: [AllocationKind; 8] = [
        AllocationKind::Payment,
        AllocationKind::Discount,
        AllocationKind::CreditNote,
        AllocationKind::Credit,
        AllocationKind::WriteOff,
        AllocationKind::Refund,
        AllocationKind::Lapsed,
        AllocationKind::Reversal,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            AllocationKind::Payment => "payment",
            AllocationKind::Discount => "discount",
            AllocationKind::CreditNote => "credit_note",
            AllocationKind::Credit => "credit",
            AllocationKind::WriteOff => "write_off",
            AllocationKind::Refund => "refund",
            AllocationKind::Lapsed => "lapsed",
            AllocationKind::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<AllocationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// The kinds of correction (spec: Corrections and adjustments), each a dated fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrectionKind {
    CreditNote,
    WriteOff,
    CreditApplication,
    Refund,
    Reversal,
}

impl CorrectionKind {
    pub const ALL: [CorrectionKind; 5] = [
        CorrectionKind::CreditNote,
        CorrectionKind::WriteOff,
        CorrectionKind::CreditApplication,
        CorrectionKind::Refund,
        CorrectionKind::Reversal,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CorrectionKind::CreditNote => "credit_note",
            CorrectionKind::WriteOff => "write_off",
            CorrectionKind::CreditApplication => "credit_application",
            CorrectionKind::Refund => "refund",
            CorrectionKind::Reversal => "reversal",
        }
    }

    /// As people read it: "credit note", "write-off".
    pub fn noun(&self) -> &'static str {
        match self {
            CorrectionKind::CreditNote => "credit note",
            CorrectionKind::WriteOff => "write-off",
            CorrectionKind::CreditApplication => "credit application",
            CorrectionKind::Refund => "refund",
            CorrectionKind::Reversal => "reversal",
        }
    }

    pub fn parse(text: &str) -> Option<CorrectionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One allocation, as shown to users: what moved onto an invoice (or, for a refund
/// or a lapse, out of credit), from which payment, by which correction.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationLine {
    pub invoice: Option<String>,
    pub payment_id: Option<i64>,
    pub correction_id: Option<i64>,
    pub kind: AllocationKind,
    pub date: Date,
    pub amount: Money,
}

impl AllocationLine {
    /// What it did, as one line: "1,000.00 to INV-0003".
    pub fn describe(&self) -> String {
        let amount = self.amount.grouped();
        let invoice = self.invoice.as_deref().unwrap_or("?");
        let from = match self.payment_id {
            Some(p) => format!(" (payment {p})"),
            None => String::new(),
        };
        match self.kind {
            AllocationKind::Payment => format!("{amount} to {invoice}"),
            AllocationKind::Discount => format!("{amount} early-payment discount granted on {invoice}"),
            AllocationKind::CreditNote => format!("{amount} credited on {invoice}"),
            AllocationKind::Credit => format!("{amount} of credit{from} applied to {invoice}"),
            AllocationKind::WriteOff => format!("{amount} written off {invoice}"),
            AllocationKind::Refund => format!("{amount} of credit{from} refunded"),
            AllocationKind::Lapsed => format!("{amount} of credit{from} gone with the reversal"),
            AllocationKind::Reversal => format!("{amount} open again on {invoice}{from}"),
        }
    }
}

/// A correction as entered, with what the replay says it did.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub id: i64,
    pub kind: CorrectionKind,
    pub client: String,
    pub currency: Currency,
    pub date: Date,
    /// The stated amount; absent: whatever was open, or all that fitted.
    pub amount: Option<Money>,
    pub invoice: Option<String>,
    pub payment_id: Option<i64>,
    pub reason: Option<String>,
    pub reference: Option<String>,
    /// What it moved (see `engine::replay::CorrectionState`).
    pub done: Money,
    /// A credit note's credit left now.
    pub unapplied: Money,
    /// Its place among payments in entry order (after this payment id).
    #[serde(skip)]
    pub after_payment: i64,
    pub entered_at: Option<String>,
    pub entered_by: Option<String>,
}

/// A change of a client's master data, as an export carries it.
#[derive(Debug, Clone, Serialize)]
pub struct ClientChangeEntry {
    pub client: String,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    #[serde(flatten)]
    pub entered: Option<Entered>,
}

/// One line of the audit trail (`ar log`).
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// UTC; absent for what an earlier schema entered.
    pub entered_at: Option<String>,
    pub entered_by: Option<String>,
    pub command: Option<String>,
    /// client, client_change, invoice, void, payment, or a correction's kind.
    pub entry: String,
    /// The entry's own id (client, invoice, payment or correction id).
    pub id: i64,
    pub client: String,
    /// The date of the fact (none for a client or a change).
    pub date: Option<Date>,
    pub currency: Option<Currency>,
    pub amount: Option<Money>,
    /// The invoice it concerns, by number.
    pub invoice: Option<String>,
    pub payment_id: Option<i64>,
    /// What changed, the reason or the reference, as one line.
    pub detail: String,
}

fn terms_as_text<S: serde::Serializer>(terms: &Terms, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(terms)
}
