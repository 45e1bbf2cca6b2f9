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
    pub voided_on: Option<Date>,
    pub void_reason: Option<String>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AllocationKind {
    Payment,
    Discount,
}

impl AllocationKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            AllocationKind::Payment => "payment",
            AllocationKind::Discount => "discount",
        }
    }

    pub fn parse(text: &str) -> Option<AllocationKind> {
        match text {
            "payment" => Some(AllocationKind::Payment),
            "discount" => Some(AllocationKind::Discount),
            _ => None,
        }
    }
}

/// One line of how a payment settled an invoice, as shown to users.
#[derive(Debug, Clone, Serialize)]
pub struct AllocationLine {
    pub invoice: String,
    pub payment_id: i64,
    pub kind: AllocationKind,
    pub date: Date,
    pub amount: Money,
}

fn terms_as_text<S: serde::Serializer>(terms: &Terms, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(terms)
}
