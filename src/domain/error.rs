//! The refusals the spec lists, as one typed error.
//!
//! Every variant is a user-facing, one-line message that names the object and the fix.
//! `main` maps all of them to exit code 1; nothing here decides exit codes or prints.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LedgerError {
    #[error("invalid amount `{input}`: {reason}")]
    BadAmount { input: String, reason: String },

    #[error("unknown currency `{0}`: use an ISO 4217 code such as USD, EUR, NZD, JPY or KWD")]
    UnknownCurrency(String),

    #[error("invalid date `{input}`: {reason}")]
    BadDate { input: String, reason: String },

    #[error(
        "invalid terms `{0}`: write net days like `30`, or a discount like `2/10 net 30` (2% off when paid within 10 days)"
    )]
    BadTerms(String),

    #[error("{0}")]
    Invalid(String),

    #[error("unknown client `{0}`: add it with `ar client add {0} --name \"...\"` or see `ar client list`")]
    UnknownClient(String),

    #[error("client `{0}` already exists: choose another code, or change it with `ar client edit {0}`")]
    DuplicateClient(String),

    #[error("unknown invoice `{0}`: see `ar invoice list`")]
    UnknownInvoice(String),

    #[error(
        "invoice `{0}` already exists: invoice numbers are unique; leave out --number to take the next one"
    )]
    DuplicateInvoice(String),

    #[error("due date {due} is before the issue date {issue}: give a due date on or after the issue date")]
    DueBeforeIssue { issue: String, due: String },

    #[error(
        "invoice `{invoice}` belongs to client `{owner}`, not `{client}`: name one of `{client}`'s invoices or leave out --invoice"
    )]
    InvoiceOfOtherClient {
        invoice: String,
        owner: String,
        client: String,
    },

    #[error(
        "invoice `{invoice}` was issued on {issued}, after the payment date {paid}: a payment can only settle invoices issued on or before its date"
    )]
    InvoiceIssuedAfterPayment {
        invoice: String,
        issued: String,
        paid: String,
    },

    #[error(
        "invoice `{invoice}` is in {invoice_currency}, the payment in {payment_currency}: record the payment in {invoice_currency} (--currency {invoice_currency})"
    )]
    CurrencyMismatch {
        invoice: String,
        invoice_currency: String,
        payment_currency: String,
    },

    #[error(
        "invoice `{invoice}` has {allocated} of payments allocated to it and cannot be voided: only an invoice nothing has been allocated to can be voided"
    )]
    VoidWithPayments { invoice: String, allocated: String },

    #[error("invoice `{0}` is void: it takes no payments; name another invoice or leave out --invoice")]
    PaymentToVoid(String),

    #[error("invoice `{0}` is already void")]
    AlreadyVoid(String),

    #[error(
        "the ledger {path} was written by a newer version of ar (schema {found}, this ar knows up to {supported}): upgrade ar; the ledger was not changed"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },

    #[error(
        "{path} is not an ar ledger ({reason}): check --db / AR_DB, or move the file aside to start a new ledger"
    )]
    NotALedger { path: String, reason: String },
}

pub type LedgerResult<T> = Result<T, LedgerError>;
