//! The row model of every list and report: one function per output, used by both the
//! table and the CSV writer.

use super::{Cell, Column, Sheet, bucket_csv_label};
use crate::domain::entities::{AllocationLine, Invoice, LogEntry, Payment};
use crate::engine::aging::{AgingAmounts, AgingReport, AgingRows};
use crate::engine::days_to_pay::{DaysToPayReport, DaysToPayRows, Figures};
use crate::ledger::ClientSummary;

pub fn clients_sheet(clients: &[ClientSummary]) -> Sheet {
    let mut sheet = Sheet::new(
        [
            "code",
            "name",
            "email",
            "terms",
            "credit limit",
            "currency",
            "open",
            "overdue",
            "unapplied",
            "net",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for s in clients {
        let c = &s.client;
        // The limit is in the ledger's currency: shown on that currency's row only,
        // so that 20,000.00 beside EUR never reads as euros.
        let head = |currency: Option<crate::domain::Currency>| {
            vec![
                Cell::text(&c.code),
                Cell::text(&c.name),
                Cell::opt_text(c.email.as_deref()),
                Cell::text(c.terms.to_string()),
                c.credit_limit
                    .filter(|m| currency.is_none_or(|cur| cur == m.currency))
                    .map_or(Cell::Empty, Cell::Money),
            ]
        };
        if s.balances.is_empty() {
            let mut row = head(None);
            row.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]);
            sheet.rows.push(row);
        }
        for b in &s.balances {
            let mut row = head(Some(b.currency));
            row.extend([
                Cell::text(b.currency.code()),
                Cell::Money(b.open),
                Cell::Money(b.overdue),
                Cell::Money(b.unapplied),
                Cell::Money(b.net),
            ]);
            sheet.rows.push(row);
        }
    }
    sheet
}

pub fn invoices_sheet(invoices: &[Invoice]) -> Sheet {
    let mut sheet = Sheet::new(
        [
            "number",
            "client",
            "currency",
            "issue date",
            "due date",
            "amount",
            "open",
            "status",
            "terms",
            "description",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for i in invoices {
        sheet.rows.push(vec![
            Cell::text(&i.number),
            Cell::text(&i.client),
            Cell::text(i.currency.code()),
            Cell::Date(i.issue_date),
            Cell::Date(i.due_date),
            Cell::Money(i.amount),
            Cell::Money(i.open),
            Cell::text(i.status.as_str()),
            Cell::text(i.terms.to_string()),
            Cell::opt_text(i.description.as_deref()),
        ]);
    }
    sheet
}

pub fn payments_sheet(payments: &[Payment]) -> Sheet {
    let mut sheet = Sheet::new(
        [
            "id",
            "date",
            "client",
            "currency",
            "amount",
            "invoice",
            "reference",
            "unapplied",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for p in payments {
        sheet.rows.push(vec![
            Cell::Int(p.id),
            Cell::Date(p.date),
            Cell::text(&p.client),
            Cell::text(p.currency.code()),
            Cell::Money(p.amount),
            Cell::opt_text(p.invoice.as_deref()),
            Cell::opt_text(p.reference.as_deref()),
            Cell::Money(p.unapplied),
        ]);
    }
    sheet
}

/// Credit notes with the credit each holds (`ar client show`).
pub fn credit_notes_sheet(notes: &[crate::domain::entities::Correction]) -> Sheet {
    let mut sheet = Sheet::new(
        [
            "id",
            "date",
            "currency",
            "amount",
            "invoice",
            "reason",
            "unapplied",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for n in notes {
        sheet.rows.push(vec![
            Cell::Int(n.id),
            Cell::Date(n.date),
            Cell::text(n.currency.code()),
            n.amount.map_or(Cell::Empty, Cell::Money),
            Cell::opt_text(n.invoice.as_deref()),
            Cell::opt_text(n.reason.as_deref()),
            Cell::Money(n.unapplied),
        ]);
    }
    sheet
}

/// The audit trail (`ar log`).
pub fn log_sheet(entries: &[LogEntry]) -> Sheet {
    let mut sheet = Sheet::new(
        [
            "entered at",
            "entered by",
            "command",
            "entry",
            "id",
            "client",
            "date",
            "currency",
            "amount",
            "invoice",
            "payment id",
            "detail",
        ]
        .map(Column::new)
        .to_vec(),
    );
    for e in entries {
        sheet.rows.push(vec![
            Cell::opt_text(e.entered_at.as_deref()),
            Cell::opt_text(e.entered_by.as_deref()),
            Cell::opt_text(e.command.as_deref()),
            Cell::text(&e.entry),
            Cell::Int(e.id),
            Cell::text(&e.client),
            e.date.map_or(Cell::Empty, Cell::Date),
            e.currency.map_or(Cell::Empty, |c| Cell::text(c.code())),
            e.amount.map_or(Cell::Empty, Cell::Money),
            Cell::opt_text(e.invoice.as_deref()),
            e.payment_id.map_or(Cell::Empty, Cell::Int),
            Cell::text(&e.detail),
        ]);
    }
    sheet
}

/// An invoice's entries with the open balance after each (`ar invoice show`).
pub fn invoice_entries_sheet(entries: &[crate::ledger::InvoiceEntry]) -> Sheet {
    let mut sheet = Sheet::new(
        ["date", "entry", "payment", "correction", "change", "open"]
            .map(Column::new)
            .to_vec(),
    );
    let id = |id: Option<i64>| id.map_or(Cell::Empty, Cell::Int);
    for e in entries {
        sheet.rows.push(vec![
            Cell::Date(e.date),
            Cell::text(e.entry),
            id(e.payment_id),
            id(e.correction_id),
            Cell::Money(e.change),
            Cell::Money(e.open),
        ]);
    }
    sheet
}

pub fn allocations_sheet(lines: &[AllocationLine]) -> Sheet {
    let mut sheet = Sheet::new(
        ["date", "payment", "correction", "invoice", "kind", "amount"]
            .map(Column::new)
            .to_vec(),
    );
    let id = |id: Option<i64>| id.map_or(Cell::Empty, Cell::Int);
    for a in lines {
        sheet.rows.push(vec![
            Cell::Date(a.date),
            id(a.payment_id),
            id(a.correction_id),
            Cell::opt_text(a.invoice.as_deref()),
            Cell::text(a.kind.as_str()),
            Cell::Money(a.amount),
        ]);
    }
    sheet
}

fn bucket_columns(report: &AgingReport) -> Vec<Column> {
    // CSV headers must stay text in a spreadsheet: `1-30 days`, `90+ days`.
    report
        .buckets
        .iter()
        .map(|l| Column::with_csv(l, &bucket_csv_label(l)))
        .collect()
}

fn amount_cells(a: &AgingAmounts) -> impl Iterator<Item = Cell> + '_ {
    a.buckets.iter().map(|m| Cell::Money(*m)).chain([
        Cell::Money(a.total),
        Cell::Money(a.unapplied),
        Cell::Money(a.net),
    ])
}

pub fn aging_sheet(report: &AgingReport) -> Sheet {
    let buckets = bucket_columns(report);
    let n_lead;
    let mut sheet = match &report.rows {
        AgingRows::Clients(rows) => {
            let mut columns: Vec<Column> = ["client", "name", "currency"].map(Column::new).to_vec();
            n_lead = columns.len();
            columns.extend(buckets);
            columns.extend(["total", "unapplied", "net"].map(Column::new));
            let mut sheet = Sheet::new(columns);
            for r in rows {
                let mut row = vec![
                    Cell::text(&r.client),
                    Cell::text(&r.name),
                    Cell::text(r.amounts.currency.code()),
                ];
                row.extend(amount_cells(&r.amounts));
                sheet.rows.push(row);
            }
            sheet
        }
        AgingRows::Invoices(rows) => {
            let columns = [
                "number",
                "client",
                "name",
                "currency",
                "issue date",
                "due date",
                "days overdue",
                "open",
                "bucket",
            ]
            .map(Column::new)
            .to_vec();
            n_lead = 0;
            let mut sheet = Sheet::new(columns);
            for r in rows {
                sheet.rows.push(vec![
                    Cell::text(&r.number),
                    Cell::text(&r.client),
                    Cell::text(&r.name),
                    Cell::text(r.currency.code()),
                    Cell::Date(r.issue_date),
                    Cell::Date(r.due_date),
                    Cell::Int(r.days_overdue),
                    Cell::Money(r.open),
                    Cell::Bucket(r.bucket.clone()),
                ]);
            }
            sheet
        }
    };
    for t in &report.totals {
        let row = if n_lead > 0 {
            let mut row = vec![Cell::text("TOTAL"), Cell::Empty, Cell::text(t.currency.code())];
            row.extend(amount_cells(t));
            row
        } else {
            let mut row = vec![
                Cell::text("TOTAL"),
                Cell::Empty,
                Cell::Empty,
                Cell::text(t.currency.code()),
            ];
            row.extend([
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Money(t.total),
                Cell::Empty,
            ]);
            row
        };
        sheet.totals.push(row);
    }
    sheet
}

fn figure_cells(f: &Figures) -> [Cell; 5] {
    [
        Cell::Int(f.invoices_paid),
        Cell::Ratio(f.mean_days_to_pay),
        Cell::Ratio(f.weighted_days_to_pay),
        Cell::Ratio(f.mean_days_beyond_terms),
        Cell::Ratio(f.paid_on_time_pct),
    ]
}

const FIGURE_COLUMNS: [&str; 5] = [
    "invoices paid",
    "mean days to pay",
    "weighted days to pay",
    "mean days beyond terms",
    "paid on time pct",
];

pub fn days_to_pay_sheet(report: &DaysToPayReport) -> Sheet {
    match &report.rows {
        DaysToPayRows::Clients(rows) => {
            let mut columns: Vec<Column> = ["client", "name", "term days"].map(Column::new).to_vec();
            columns.extend(FIGURE_COLUMNS.map(Column::new));
            let mut sheet = Sheet::new(columns);
            for r in rows {
                let mut row = vec![
                    Cell::text(&r.client),
                    Cell::text(&r.name),
                    Cell::Int(i64::from(r.term_days)),
                ];
                row.extend(figure_cells(&r.figures));
                sheet.rows.push(row);
            }
            let mut total = vec![
                Cell::text("ALL"),
                Cell::Empty,
                Cell::Int(i64::from(report.term_days)),
            ];
            total.extend(figure_cells(&report.overall.figures));
            sheet.totals.push(total);
            sheet
        }
        DaysToPayRows::Months(rows) => {
            let mut columns = vec![Column::new("month")];
            columns.extend(FIGURE_COLUMNS.map(Column::new));
            let mut sheet = Sheet::new(columns);
            for r in rows {
                let mut row = vec![Cell::text(&r.month)];
                row.extend(figure_cells(&r.figures));
                sheet.rows.push(row);
            }
            let mut total = vec![Cell::text("ALL")];
            total.extend(figure_cells(&report.overall.figures));
            sheet.totals.push(total);
            sheet
        }
    }
}

/// Per-currency DSO lines for the table view.
pub fn dso_sheet(report: &DaysToPayReport) -> Sheet {
    let mut sheet = Sheet::new(vec![
        Column::new("currency"),
        Column::new("open"),
        Column::new(&format!("invoiced last {} days", report.dso_days)),
        Column::new("dso"),
    ]);
    for c in &report.by_currency {
        sheet.rows.push(vec![
            Cell::text(c.currency.code()),
            Cell::Money(c.open),
            Cell::Money(c.invoiced),
            Cell::Ratio(c.dso),
        ]);
    }
    sheet
}
