//! The refusals the spec lists, as one typed error, and the other kinds of failure a
//! command can end in.
//!
//! Every [`LedgerError`] is a user-facing, one-line message that names the object and
//! the fix, and carries what it is about as data (the [`Field`], the value), so that an
//! import can name the CSV column and a test can match the kind without reading text.
//! Nothing here decides exit codes or prints: `cli` maps [`ErrorKind`]s to exit codes.

use thiserror::Error;

/// What a refusal is about: a field of a client, an invoice or a payment, named as
/// the import layouts name their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// A client's own code (`ar client add CODE`, clients.csv `code`).
    Code,
    Name,
    Email,
    /// Net days of terms (`terms_days`), or terms as one text (`--terms`).
    Terms,
    /// The discount part of terms (`2/10`).
    Discount,
    CreditLimit,
    /// The client an invoice or payment is for.
    Client,
    /// An invoice's number.
    Number,
    Amount,
    Currency,
    IssueDate,
    DueDate,
    /// A payment's date, or the date of an act (a void).
    Date,
    /// The invoice a payment names.
    Invoice,
    Reference,
    Description,
    VoidDate,
    /// The day a void takes effect, when not the day it was given (a void of an
    /// earlier release: its invoice's issue date).
    VoidFrom,
    VoidReason,
    /// Why a correction was made.
    Reason,
    /// Who entered a write (`--user`, `AR_USER`).
    User,
    /// A ledger setting's key or value (an export's ledger.csv).
    SettingKey,
    SettingValue,
}

impl Field {
    /// The column of the import layouts (and of `ar export`) that holds this field.
    pub fn column(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::Name => "name",
            Field::Email => "email",
            Field::Terms => "terms_days",
            Field::Discount => "discount",
            Field::CreditLimit => "credit_limit",
            Field::Client => "client",
            Field::Number => "number",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::IssueDate => "issue_date",
            Field::DueDate => "due_date",
            Field::Date => "date",
            Field::Invoice => "invoice",
            Field::Reference => "reference",
            Field::Description => "description",
            Field::VoidDate => "voided_on",
            Field::VoidFrom => "void_from",
            Field::VoidReason => "void_reason",
            Field::Reason => "reason",
            Field::User => "entered_by",
            Field::SettingKey => "key",
            Field::SettingValue => "value",
        }
    }

    /// How a message names the field: "client code", "void reason".
    pub fn noun(self) -> &'static str {
        match self {
            Field::Code => "client code",
            Field::Name => "name",
            Field::Email => "email",
            Field::Terms => "terms",
            Field::Discount => "discount",
            Field::CreditLimit => "credit limit",
            Field::Client => "client",
            Field::Number => "invoice number",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::IssueDate => "issue date",
            Field::DueDate => "due date",
            Field::Date => "date",
            Field::Invoice => "invoice",
            Field::Reference => "reference",
            Field::Description => "description",
            Field::VoidDate => "void date",
            Field::VoidFrom => "void's effective date",
            Field::VoidReason => "void reason",
            Field::Reason => "reason",
            Field::User => "user (--user, AR_USER)",
            Field::SettingKey => "setting",
            Field::SettingValue => "setting value",
        }
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum LedgerError {
    #[error("invalid {} `{input}`: {reason}", field.noun())]
    BadAmount {
        field: Field,
        input: String,
        reason: String,
    },

    #[error("unknown currency `{code}`: use an ISO 4217 code such as USD, EUR, NZD, JPY or KWD")]
    UnknownCurrency { field: Field, code: String },

    #[error("invalid {} `{input}`: {reason}", field.noun())]
    BadDate {
        field: Field,
        input: String,
        reason: String,
    },

    #[error(
        "invalid terms `{input}`: write net days like `30`, or a discount like `2/10 net 30` (2% off when paid within 10 days)"
    )]
    BadTerms { field: Field, input: String },

    /// A text field (code, name, number, reference...) that cannot be stored: `reason`
    /// says what is wrong with it and how to fix it.
    #[error("{reason}")]
    BadText {
        field: Field,
        text: String,
        reason: String,
    },

    #[error("invalid email `{input}`: write it like accounts@example.com")]
    BadEmail { input: String },

    /// A value of a command-line option or setting that is not a field of an entry.
    #[error("{what} `{input}`: {reason}")]
    BadValue {
        what: String,
        input: String,
        reason: String,
    },

    #[error(
        "unknown client `{code}`: add it with `ar client add {code} --name \"...\"` or see `ar client list`"
    )]
    UnknownClient { code: String },

    #[error("client `{code}` already exists: choose another code, or change it with `ar client edit {code}`")]
    DuplicateClient { code: String },

    #[error("unknown invoice `{number}`: see `ar invoice list`")]
    UnknownInvoice { field: Field, number: String },

    #[error(
        "invoice `{number}` already exists: invoice numbers are unique; leave out --number to take the next one"
    )]
    DuplicateInvoice { number: String },

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
        "invoice `{invoice}` has {allocated} allocated to it on or before {date} and cannot be void from then: reverse the payments (`ar payment reverse ID`) or issue a credit note (`ar credit-note --invoice {invoice}`)"
    )]
    VoidWithPayments {
        invoice: String,
        allocated: String,
        date: String,
    },

    #[error(
        "invoice `{invoice}` is void from {void_from}, but {entry} dated before that would be allocated to it: name the invoice it settles (--invoice), or date it on or after {void_from}"
    )]
    VoidTaken {
        invoice: String,
        void_from: String,
        entry: String,
    },

    #[error(
        "invoice `{invoice}` was issued on {issued}, after the {what}'s date {date}: date it on or after the issue date"
    )]
    IssuedAfter {
        what: &'static str,
        invoice: String,
        issued: String,
        date: String,
    },

    #[error(
        "invoice `{invoice}` is in {invoice_currency}, not {currency}: a {what} on it is in the invoice's currency"
    )]
    CorrectionCurrency {
        what: &'static str,
        invoice: String,
        invoice_currency: String,
        currency: String,
    },

    #[error("invoice `{invoice}` is void: a {what} cannot name it")]
    CorrectionToVoid { what: &'static str, invoice: String },

    /// A correction with a stated amount that the replay can do only part of.
    #[error("{what} of {stated} is more than {available}: {advice}")]
    MoreThanAvailable {
        what: String,
        stated: String,
        available: String,
        advice: String,
    },

    /// A correction that would do nothing where it is dated.
    #[error("{what}: {advice}")]
    NothingToDo { what: String, advice: String },

    #[error("payment {payment} is already reversed (on {on}): a payment is reversed once")]
    AlreadyReversed { payment: i64, on: String },

    #[error(
        "payment {payment} is dated {paid}: a reversal dated {date} would be before it; give a --date on or after {paid}"
    )]
    ReversalBeforePayment {
        payment: i64,
        paid: String,
        date: String,
    },

    #[error("unknown payment `{id}`: see `ar payment list`")]
    UnknownPayment { id: String },

    #[error(
        "payment {payment}'s credit paid out refund {refund} ({refund_amount} on {refund_date}): reversing the payment would leave that refund without the credit that paid it; to claim the refunded money back, add an invoice for it"
    )]
    RefundUnfunded {
        payment: i64,
        refund: i64,
        refund_amount: String,
        refund_date: String,
    },

    /// A write that would change what an earlier fact with a stated amount does.
    #[error(
        "this would change what {fact} does (it could then move only {done} of its {stated}): facts keep their meaning; date this entry after {date}, or leave that {kind} as it is"
    )]
    FactWouldChange {
        fact: String,
        kind: &'static str,
        stated: String,
        done: String,
        date: String,
    },

    #[error(
        "invoice `{invoice}` was issued on {issued}: a void dated {date} would be before it; give a --date on or after the issue date"
    )]
    VoidBeforeIssue {
        invoice: String,
        issued: String,
        date: String,
    },

    #[error("invoice `{number}` is void: it takes no payments; name another invoice or leave out --invoice")]
    PaymentToVoid { number: String },

    #[error("invoice `{number}` is already void")]
    AlreadyVoid { number: String },

    /// The ledger's currency or standard terms, asked to change once entries use them.
    #[error(
        "the ledger {path} already holds entries in {currency} with {terms} terms: its settings cannot change; use another --db for a new ledger"
    )]
    SettingsFixed {
        path: String,
        currency: String,
        terms: String,
    },

    #[error(
        "{key} `{value}` differs from this ledger's ({currency} with {terms} terms), which already holds entries: import into a new ledger (--db)"
    )]
    ImportedSettingDiffers {
        key: String,
        value: String,
        currency: String,
        terms: String,
    },

    #[error("unknown ledger setting `{key}`")]
    UnknownSetting { key: String },

    /// The exact content of a file was imported into this ledger before.
    #[error("{}", already_imported(file, earlier, when, *rows, kind))]
    AlreadyImported {
        file: String,
        /// The name it was imported under then (`stdin` through a pipe).
        earlier: String,
        when: String,
        rows: u64,
        /// clients, invoices, payments or settings.
        kind: String,
    },

    /// A sum a report or a write would need is larger than the ledger can hold.
    #[error(
        "the {what} in {currency} add up to more than ar can count (over 9,223,372,036,854,775,807 minor units): check for amounts entered in the wrong currency, or split the ledger"
    )]
    Overflow { what: String, currency: String },

    /// `ar check` found problems (listed on standard output).
    #[error(
        "the ledger {path} is not sound: {} and {} from a fresh replay (listed above); restore it from a backup, or import an export of it into a new ledger, which derives everything afresh",
        crate::domain::text::counted(*integrity as u64, "integrity problem"),
        if *differences == 1 { "1 derived value that differs".to_string() } else { format!("{differences} derived values that differ") }
    )]
    NotSound {
        path: String,
        integrity: usize,
        differences: usize,
    },

    #[error(
        "no ledger at {path}: create it with `ar init` (or any command that writes), or check --db / AR_DB"
    )]
    NoLedger { path: String },

    #[error(
        "{path} is not an ar ledger ({reason}): check --db / AR_DB, or move the file aside to start a new ledger"
    )]
    NotALedger { path: String, reason: String },

    #[error(
        "the ledger {path} was written by a newer version of ar (schema {found}, this ar knows up to {supported}): upgrade ar; the ledger was not changed"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },

    #[error(
        "the ledger {path} is read-only for you: nothing was written; ask its owner for write access, or give --db (or AR_DB) a copy"
    )]
    ReadOnly { path: String },

    /// The ledger file (or its place) cannot be used: `reason` says why and how to fix it.
    #[error("{reason}")]
    LedgerUnusable { path: String, reason: String },

    /// A file or directory other than the ledger (an import source, an export target).
    #[error("cannot {action} {path}: {reason}")]
    File {
        action: &'static str,
        path: String,
        reason: String,
    },

    /// A refusal about how a command was asked (its options together), not about data.
    #[error("{0}")]
    Refused(String),
}

impl LedgerError {
    /// The field the refusal is about, when it is about one.
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            LedgerError::BadAmount { field, .. }
            | LedgerError::UnknownCurrency { field, .. }
            | LedgerError::BadDate { field, .. }
            | LedgerError::BadTerms { field, .. }
            | LedgerError::BadText { field, .. }
            | LedgerError::UnknownInvoice { field, .. } => *field,
            LedgerError::BadEmail { .. } => Field::Email,
            LedgerError::UnknownClient { .. } => Field::Client,
            LedgerError::DuplicateClient { .. } => Field::Code,
            LedgerError::DuplicateInvoice { .. } => Field::Number,
            LedgerError::DueBeforeIssue { .. } => Field::DueDate,
            LedgerError::InvoiceOfOtherClient { .. }
            | LedgerError::InvoiceIssuedAfterPayment { .. }
            | LedgerError::PaymentToVoid { .. }
            | LedgerError::IssuedAfter { .. }
            | LedgerError::CorrectionToVoid { .. } => Field::Invoice,
            LedgerError::CorrectionCurrency { .. } => Field::Currency,
            LedgerError::CurrencyMismatch { .. } => Field::Currency,
            LedgerError::VoidBeforeIssue { .. } => Field::VoidDate,
            LedgerError::VoidWithPayments { .. } | LedgerError::VoidTaken { .. } => Field::Invoice,
            LedgerError::ImportedSettingDiffers { .. } => Field::SettingValue,
            LedgerError::UnknownSetting { .. } => Field::SettingKey,
            _ => return None,
        })
    }

    /// The same refusal, about `field` (a parser's error for the column that held
    /// the value: a credit limit is parsed as an amount).
    pub fn in_field(mut self, to: Field) -> LedgerError {
        match &mut self {
            LedgerError::BadAmount { field, .. }
            | LedgerError::UnknownCurrency { field, .. }
            | LedgerError::BadDate { field, .. }
            | LedgerError::BadTerms { field, .. }
            | LedgerError::BadText { field, .. }
            | LedgerError::UnknownInvoice { field, .. } => *field = to,
            _ => {}
        }
        self
    }
}

pub type LedgerResult<T> = Result<T, LedgerError>;

/// How a command failed, which decides its exit code (one mapping, in `cli`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A refused operation or bad data; nothing was written (exit 1).
    Refused,
    /// The command line itself is wrong (exit 2).
    Usage,
    /// `--fail-if-over` tripped (exit 3).
    Threshold,
    /// A bug in ar (exit 70, EX_SOFTWARE): the message asks for a report.
    Internal,
    /// Another program held the ledger past the wait; try again later (exit 75,
    /// EX_TEMPFAIL, which cron wrappers retry).
    Busy,
}

/// The ledger is held by another writer (or a bulk load) longer than the wait.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("the ledger {address} is busy: {why}")]
pub struct Busy {
    pub address: String,
    /// What kept it busy, and what to do.
    pub why: String,
}

impl Busy {
    /// Another writer held the lock for all of `seconds`.
    pub fn locked(address: &str, seconds: u64) -> Busy {
        Busy {
            address: address.to_string(),
            why: format!(
                "another program kept it locked for {seconds} seconds; nothing was written, try again later"
            ),
        }
    }

    /// A read without locks (a read-only ledger) saw the file change under it, each time.
    pub fn changing(address: &str) -> Busy {
        Busy {
            address: address.to_string(),
            why: "it changed while being read, three times in a row; try again when its writer is done"
                .to_string(),
        }
    }
}

/// `--fail-if-over` found something older than allowed: the report was printed, but
/// the command must not exit 0.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{0}")]
pub struct ThresholdExceeded(pub String);

/// A failure that means ar itself is wrong (an invariant broken, a query that cannot
/// fail failing): reported as such, with a request to report it.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct Internal(pub String);

/// An internal error: `bail!(internal!("..."))`.
#[macro_export]
macro_rules! internal {
    ($($arg:tt)*) => {
        $crate::domain::error::Internal(format!($($arg)*))
    };
}

/// The kind of a failure: typed refusals, busy and threshold errors anywhere in its
/// chain say what it is; anything else is a bug.
pub fn kind_of(err: &anyhow::Error) -> ErrorKind {
    for cause in err.chain() {
        if cause.is::<LedgerError>() {
            return ErrorKind::Refused;
        }
        if cause.is::<Busy>() {
            return ErrorKind::Busy;
        }
        if cause.is::<ThresholdExceeded>() {
            return ErrorKind::Threshold;
        }
        if cause.is::<Internal>() {
            return ErrorKind::Internal;
        }
    }
    ErrorKind::Internal
}

/// "p.csv was already imported …", or, by another name, "stdin has the same bytes
/// as p.csv, imported …": and what importing it again would do.
fn already_imported(file: &str, earlier: &str, when: &str, rows: u64, kind: &str) -> String {
    let what = if file == earlier {
        format!("{file} was already imported into this ledger")
    } else {
        format!("{file} has the same bytes as {earlier}, imported into this ledger")
    };
    let rows = crate::domain::text::counted(rows, "row");
    let again = match kind {
        "invoices" | "payments" => {
            format!("importing it again would enter its {kind} twice; if that is what you want, add --again")
        }
        _ => format!("its {kind} are in the ledger already: nothing to do"),
    };
    format!("{what} on {when} ({rows}): {again}")
}

/// An I/O error as a message's reason: in words for the common kinds, and without
/// Rust's "(os error 13)" suffix otherwise.
pub fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::PermissionDenied => "permission denied".into(),
        K::NotFound => "no such file or directory".into(),
        K::AlreadyExists => "it already exists".into(),
        K::ReadOnlyFilesystem => "the file system is read-only".into(),
        K::StorageFull => "the disk is full".into(),
        K::NotADirectory => "a part of the path is a file, not a directory".into(),
        K::IsADirectory => "it is a directory".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_found_anywhere_in_the_chain() {
        let refused =
            anyhow::Error::from(LedgerError::UnknownClient { code: "X".into() }).context("in row 3");
        assert_eq!(kind_of(&refused), ErrorKind::Refused);
        let busy = anyhow::Error::from(Busy::locked("l.db", 5));
        assert_eq!(kind_of(&busy), ErrorKind::Busy);
        assert_eq!(kind_of(&anyhow::anyhow!("a query failed")), ErrorKind::Internal);
    }

    #[test]
    fn a_parser_error_is_moved_to_the_field_that_held_the_value() {
        let e = LedgerError::BadAmount {
            field: Field::Amount,
            input: "x".into(),
            reason: "r".into(),
        };
        let e = e.in_field(Field::CreditLimit);
        assert_eq!(e.field(), Some(Field::CreditLimit));
        assert_eq!(e.to_string(), "invalid credit limit `x`: r");
    }
}
