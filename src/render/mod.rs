//! Writers for what the ledger returns: table, JSON and CSV.
//!
//! Tables and CSV share one row model ([`Sheet`]) so their columns cannot drift; JSON
//! is the report structs' own `Serialize` (their field names are the contract). Writes
//! only to the writer it is given. Computes nothing.

mod csv_out;
mod sheets;
mod table;

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

pub use sheets::*;

use crate::domain::{Date, Money};
use crate::engine::ratio::Ratio;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// How tables look: box art and wrapping only on a terminal without NO_COLOR.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub styled: bool,
    /// Terminal width to fit, when known.
    pub width: Option<u16>,
}

/// One cell of the shared row model.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Money(Money),
    Int(i64),
    Date(Date),
    Ratio(Option<Ratio>),
    /// An aging bucket label: `1-30` in a table, `1-30 days` in CSV, where a bare
    /// `1-30` would turn into a date and `90+` into a number.
    Bucket(String),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt_text(s: Option<&str>) -> Cell {
        s.map_or(Cell::Empty, |s| Cell::Text(s.to_string()))
    }

    fn is_number(&self) -> bool {
        matches!(self, Cell::Money(_) | Cell::Int(_) | Cell::Ratio(_))
    }
}

/// How CSV names an aging bucket, in a header or a cell, so that it stays text in a
/// spreadsheet (spec: output contract): `current`, `1-30 days`, `90+ days`.
pub fn bucket_csv_label(label: &str) -> String {
    if label == "current" {
        label.to_string()
    } else {
        format!("{label} days")
    }
}

/// A column: its table heading and its CSV heading (which must stay text in a
/// spreadsheet: `1-30 days`, never a bare `1-30`).
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub csv_title: String,
}

impl Column {
    pub fn new(title: &str) -> Column {
        Column {
            title: title.to_string(),
            csv_title: title.replace(' ', "_"),
        }
    }

    /// A column whose table title is `title` and CSV header is `csv`.
    pub fn with_csv(title: &str, csv: &str) -> Column {
        Column {
            title: title.to_string(),
            csv_title: csv.to_string(),
        }
    }
}

/// Rows of cells under columns; `totals` rows close a table and are left out of CSV.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub totals: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(columns: Vec<Column>) -> Sheet {
        Sheet {
            columns,
            rows: Vec::new(),
            totals: Vec::new(),
        }
    }
}

pub fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

pub fn write_table(out: &mut dyn Write, sheet: &Sheet, style: Style) -> Result<()> {
    table::write(out, sheet, style)
}

pub fn write_csv(out: &mut dyn Write, sheet: &Sheet) -> Result<()> {
    csv_out::write(out, sheet)
}

/// Write `sheet` as a table or CSV, or `value` as JSON.
pub fn write<T: Serialize + ?Sized>(
    out: &mut dyn Write,
    format: Format,
    style: Style,
    value: &T,
    sheet: impl FnOnce() -> Sheet,
) -> Result<()> {
    match format {
        Format::Json => write_json(out, value),
        Format::Table => write_table(out, &sheet(), style),
        Format::Csv => write_csv(out, &sheet()),
    }
}
