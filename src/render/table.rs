//! Tables for people: thousands separators, right-aligned numbers, totals set apart.

use std::io::Write;

use anyhow::Result;
use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, presets};

use unicode_width::UnicodeWidthStr;

use super::{Cell, Sheet, Style};

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) | Cell::Bucket(s) => s.clone(),
        Cell::Money(m) => m.grouped(),
        Cell::Int(n) => n.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Ratio(Some(r)) => r.fixed2(),
        Cell::Ratio(None) | Cell::Empty => String::new(),
    }
}

/// Columns whose every cell is a figure (an amount, a count, a date, a bucket):
/// these never wrap, so a narrow terminal wraps the text columns (names) instead of
/// cutting `1,234.56` into `1,2` / `34.56`.
fn figure_columns(sheet: &Sheet) -> Vec<bool> {
    (0..sheet.columns.len())
        .map(|i| {
            sheet.rows.iter().chain(&sheet.totals).all(|r| {
                r.get(i)
                    .is_none_or(|c| !matches!(c, Cell::Text(_)) || cell_text(c).chars().count() <= 5)
            })
        })
        .collect()
}

/// Columns holding a number anywhere are right-aligned, heading included.
fn numeric_columns(sheet: &Sheet) -> Vec<bool> {
    (0..sheet.columns.len())
        .map(|i| {
            sheet
                .rows
                .iter()
                .chain(&sheet.totals)
                .any(|r| r.get(i).is_some_and(Cell::is_number))
        })
        .collect()
}

pub fn write(out: &mut dyn Write, sheet: &Sheet, style: Style) -> Result<()> {
    if style.styled {
        write_styled(out, sheet, style)
    } else {
        write_plain(out, sheet)
    }
}

/// Plain columns for pipes, files and cron: each cell padded by one space on either
/// side, no rules. Written row by row from the formatted cells, so a report of many
/// thousand clients costs its cells and nothing more.
fn write_plain(out: &mut dyn Write, sheet: &Sheet) -> Result<()> {
    let numeric = numeric_columns(sheet);
    let header: Vec<String> = sheet.columns.iter().map(|c| c.title.clone()).collect();
    let body: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .chain(&sheet.totals)
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let mut line = String::new();
    for row in std::iter::once(&header).chain(&body) {
        line.clear();
        for (i, w) in widths.iter().enumerate() {
            let cell = row.get(i).map_or("", String::as_str);
            let pad = " ".repeat(w - cell.width());
            line.push(' ');
            if numeric[i] {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
            line.push(' ');
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn write_styled(out: &mut dyn Write, sheet: &Sheet, style: Style) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_HORIZONTAL_ONLY);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        table.set_width(w);
    }
    table.set_header(sheet.columns.iter().map(|c| c.title.clone()));
    let rows = sheet.rows.iter().chain(&sheet.totals);
    let numeric = numeric_columns(sheet);
    for row in rows {
        table.add_row(row.iter().map(cell_text));
    }
    for (i, &num) in numeric.iter().enumerate() {
        if num && let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    for (i, &figures) in figure_columns(sheet).iter().enumerate() {
        if figures && let Some(col) = table.column_mut(i) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    let text = table.to_string();
    for line in text.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Money};
    use crate::render::Column;

    #[test]
    fn amounts_never_wrap_on_a_narrow_terminal() {
        let usd = Currency::parse("USD").unwrap();
        let titles = [
            "client", "name", "currency", "current", "1-30", "31-60", "61-90", "90+", "total",
        ];
        let mut sheet = Sheet::new(titles.map(Column::new).to_vec());
        let m = |minor| Cell::Money(Money::new(minor, usd));
        sheet.rows.push(vec![
            Cell::text("ACME"),
            Cell::text("Acme Limited"),
            Cell::text("USD"),
            m(123_456_789),
            m(0),
            m(9_876_543_210),
            m(5),
            m(1_000_000),
            m(99_999_999_999),
        ]);
        let mut out = Vec::new();
        let style = Style {
            styled: true,
            width: Some(60),
        };
        write(&mut out, &sheet, style).unwrap();
        let text = String::from_utf8(out).unwrap();
        for figure in ["1,234,567.89", "98,765,432.10", "10,000.00", "999,999,999.99"] {
            assert!(text.contains(figure), "{figure} cut:\n{text}");
        }
    }
}
