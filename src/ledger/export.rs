//! Export of the whole ledger: the import CSV layouts plus the columns that carry
//! the rest (terms with discounts, descriptions, voids, currencies of payments,
//! settings), so `ar import --dir` rebuilds an identical ledger; or one JSON document.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::Ledger;
use crate::domain::Terms;
use crate::domain::entities::{Client, ClientChangeEntry, Correction, Entered, Invoice, Payment};

/// Where export rows go: one writer per file, or one JSON document.
pub trait ExportSink {
    fn settings(&mut self, settings: &[(String, String)]) -> Result<()>;
    fn client(&mut self, c: &Client) -> Result<()>;
    fn invoice(&mut self, i: &Invoice) -> Result<()>;
    fn payment(&mut self, p: &Payment) -> Result<()>;
    fn correction(&mut self, c: &Correction) -> Result<()>;
    fn client_change(&mut self, c: &ClientChangeEntry) -> Result<()>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ExportCounts {
    pub clients: u64,
    pub invoices: u64,
    pub payments: u64,
    pub corrections: u64,
}

impl Ledger {
    /// Stream every fact of the ledger, from one consistent snapshot, into `sink`.
    pub fn export(&mut self, sink: &mut dyn ExportSink) -> Result<ExportCounts> {
        self.read(|txn, settings| {
            let mut counts = ExportCounts::default();
            // The marker of a demo ledger stays behind: an export of the demo
            // imported elsewhere is a real ledger.
            let kept: Vec<(String, String)> = txn
                .settings()?
                .into_iter()
                .filter(|(k, _)| k != super::KEY_DEMO)
                .collect();
            sink.settings(&kept)?;
            txn.each_client(settings.currency, &mut |c| {
                counts.clients += 1;
                sink.client(&c)
            })?;
            // Two closures borrow `sink` in turn: the invoices are all written first.
            let sink = std::cell::RefCell::new(&mut *sink);
            txn.each_invoice_and_payment(
                &mut |i| {
                    counts.invoices += 1;
                    sink.borrow_mut().invoice(&i)
                },
                &mut |p| {
                    counts.payments += 1;
                    sink.borrow_mut().payment(&p)
                },
            )?;
            let sink = sink.into_inner();
            txn.corrections(None, &mut |c| {
                counts.corrections += 1;
                sink.correction(&c)
            })?;
            txn.client_changes(&mut |c| sink.client_change(&c))?;
            Ok(counts)
        })
    }
}

pub const SETTINGS_HEADER: [&str; 2] = ["key", "value"];
pub const CLIENT_HEADER: [&str; 8] = [
    "code",
    "name",
    "email",
    "terms_days",
    "credit_limit",
    "discount",
    "entered_at",
    "entered_by",
];
pub const INVOICE_HEADER: [&str; 16] = [
    "number",
    "client",
    "issue_date",
    "due_date",
    "amount",
    "currency",
    "description",
    "terms_days",
    "discount",
    "voided_on",
    "void_reason",
    "void_from",
    "entered_at",
    "entered_by",
    "void_entered_at",
    "void_entered_by",
];
/// `id`: the payment's id in the exported ledger, which corrections.csv refers to.
pub const PAYMENT_HEADER: [&str; 9] = [
    "client",
    "date",
    "amount",
    "invoice",
    "reference",
    "currency",
    "id",
    "entered_at",
    "entered_by",
];
/// `payment`: the payment a reversal reverses; `after_payment`: the correction's
/// place among payments in entry order (both ids of payments.csv's `id`); `amount`
/// empty: whatever was open, or all that fitted.
pub const CORRECTION_HEADER: [&str; 13] = [
    "id",
    "kind",
    "client",
    "date",
    "amount",
    "currency",
    "invoice",
    "payment",
    "after_payment",
    "reason",
    "reference",
    "entered_at",
    "entered_by",
];
pub const CLIENT_CHANGE_HEADER: [&str; 6] = ["client", "field", "old", "new", "entered_at", "entered_by"];

fn entered_cells(e: &Option<Entered>) -> [String; 2] {
    match e {
        Some(e) => [e.entered_at.clone(), e.entered_by.clone()],
        None => [String::new(), String::new()],
    }
}

/// `2/10` of `2/10 net 30`, empty without a discount.
pub fn discount_text(t: &Terms) -> String {
    if !t.has_discount() {
        return String::new();
    }
    let text = t.to_string();
    text.split(" net ").next().unwrap_or_default().to_string()
}

pub fn client_record(c: &Client) -> [String; 8] {
    let [at, by] = entered_cells(&c.entered);
    [
        c.code.clone(),
        c.name.clone(),
        c.email.clone().unwrap_or_default(),
        c.terms.net_days.to_string(),
        c.credit_limit.map(|m| m.plain()).unwrap_or_default(),
        discount_text(&c.terms),
        at,
        by,
    ]
}

pub fn invoice_record(i: &Invoice) -> [String; 16] {
    let [at, by] = entered_cells(&i.entered);
    let [void_at, void_by] = entered_cells(&i.void_entered);
    [
        i.number.clone(),
        i.client.clone(),
        i.issue_date.to_string(),
        i.due_date.to_string(),
        i.amount.plain(),
        i.currency.code().to_string(),
        i.description.clone().unwrap_or_default(),
        i.terms.net_days.to_string(),
        discount_text(&i.terms),
        i.voided_on.map(|d| d.to_string()).unwrap_or_default(),
        i.void_reason.clone().unwrap_or_default(),
        i.void_from.map(|d| d.to_string()).unwrap_or_default(),
        at,
        by,
        void_at,
        void_by,
    ]
}

pub fn payment_record(p: &Payment) -> [String; 9] {
    let [at, by] = entered_cells(&p.entered);
    [
        p.client.clone(),
        p.date.to_string(),
        p.amount.plain(),
        p.invoice.clone().unwrap_or_default(),
        p.reference.clone().unwrap_or_default(),
        p.currency.code().to_string(),
        p.id.to_string(),
        at,
        by,
    ]
}

pub fn correction_record(c: &Correction) -> [String; 13] {
    let entered = c
        .entered_at
        .clone()
        .zip(c.entered_by.clone())
        .map(|(entered_at, entered_by)| Entered {
            entered_at,
            entered_by,
        });
    let [at, by] = entered_cells(&entered);
    [
        c.id.to_string(),
        c.kind.as_str().to_string(),
        c.client.clone(),
        c.date.to_string(),
        c.amount.map(|m| m.plain()).unwrap_or_default(),
        c.currency.code().to_string(),
        c.invoice.clone().unwrap_or_default(),
        c.payment_id.map(|p| p.to_string()).unwrap_or_default(),
        c.after_payment.to_string(),
        c.reason.clone().unwrap_or_default(),
        c.reference.clone().unwrap_or_default(),
        at,
        by,
    ]
}

pub fn client_change_record(c: &ClientChangeEntry) -> [String; 6] {
    let [at, by] = entered_cells(&c.entered);
    [
        c.client.clone(),
        c.field.clone(),
        c.old.clone().unwrap_or_default(),
        c.new.clone().unwrap_or_default(),
        at,
        by,
    ]
}

/// The ledger as one JSON document, streamed element by element.
pub struct JsonSink<W: Write> {
    out: W,
    section: Option<&'static str>,
    first: bool,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> JsonSink<W> {
        JsonSink {
            out,
            section: None,
            first: true,
        }
    }

    /// Close the current section (if any) and open `section`.
    fn open_section(&mut self, section: &'static str) -> Result<()> {
        if self.section.is_some() {
            self.out.write_all(b"\n  ]")?;
        }
        write!(self.out, ",\n  \"{section}\": [")?;
        self.section = Some(section);
        self.first = true;
        Ok(())
    }

    fn element<T: Serialize>(&mut self, section: &'static str, value: &T) -> Result<()> {
        if self.section != Some(section) {
            self.open_section(section)?;
        }
        self.out
            .write_all(if self.first { b"\n    " } else { b",\n    " })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, value)?;
        Ok(())
    }

    /// Close the document; sections with no rows are written empty.
    pub fn finish(mut self) -> Result<()> {
        for section in SECTIONS {
            if self.section.is_none_or(|s| rank(s) < rank(section)) {
                self.open_section(section)?;
            }
        }
        self.out
            .write_all(if self.first { b"]\n}\n" } else { b"\n  ]\n}\n" })?;
        self.out.flush()?;
        Ok(())
    }
}

/// The document's arrays, in the order they are written.
const SECTIONS: [&str; 5] = ["clients", "invoices", "payments", "corrections", "client_changes"];

fn rank(section: &str) -> usize {
    SECTIONS
        .iter()
        .position(|s| *s == section)
        .unwrap_or(SECTIONS.len())
}

impl<W: Write> ExportSink for JsonSink<W> {
    fn settings(&mut self, settings: &[(String, String)]) -> Result<()> {
        let map: serde_json::Map<String, serde_json::Value> = settings
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        write!(
            self.out,
            "{{\n  \"format\": \"ar-ledger\",\n  \"version\": 1,\n  \"settings\": "
        )?;
        serde_json::to_writer(&mut self.out, &map)?;
        Ok(())
    }

    fn client(&mut self, c: &Client) -> Result<()> {
        self.element("clients", c)
    }

    fn invoice(&mut self, i: &Invoice) -> Result<()> {
        self.element("invoices", i)
    }

    fn payment(&mut self, p: &Payment) -> Result<()> {
        self.element("payments", p)
    }

    fn correction(&mut self, c: &Correction) -> Result<()> {
        self.element("corrections", c)
    }

    fn client_change(&mut self, c: &ClientChangeEntry) -> Result<()> {
        self.element("client_changes", c)
    }
}
