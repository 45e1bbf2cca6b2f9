//! Tables for people: thousands separators, right-aligned numbers, totals set apart.

use std::io::Write;

use anyhow::Result;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

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

pub fn write(out: &mut dyn Write, sheet: &Sheet, style: Style) -> Result<()> {
    let mut table = Table::new();
    if style.styled {
        table.load_preset(presets::UTF8_HORIZONTAL_ONLY);
        table.set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = style.width {
            table.set_width(w);
        }
    } else {
        table.load_preset(presets::NOTHING);
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table.set_header(sheet.columns.iter().map(|c| c.title.clone()));
    let rows = sheet.rows.iter().chain(&sheet.totals);
    let numeric: Vec<bool> = (0..sheet.columns.len())
        .map(|i| {
            sheet
                .rows
                .iter()
                .chain(&sheet.totals)
                .any(|r| r.get(i).is_some_and(Cell::is_number))
        })
        .collect();
    for row in rows {
        table.add_row(row.iter().map(cell_text));
    }
    for (i, &num) in numeric.iter().enumerate() {
        if num && let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let text = table.to_string();
    for line in text.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
