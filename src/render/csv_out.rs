//! CSV for spreadsheets and scripts: one header row, plain numbers, ISO dates, and
//! text cells guarded against formula injection (spec: output contract).

use std::io::Write;

use anyhow::Result;

use super::{Cell, Sheet, bucket_csv_label};

/// A text cell a spreadsheet would run as a formula gets a leading `'`.
fn guard(text: &str) -> String {
    crate::domain::text::guard_formula(text).into_owned()
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => guard(s),
        Cell::Money(m) => m.plain(),
        Cell::Int(n) => n.to_string(),
        Cell::Date(d) => d.to_string(),
        Cell::Ratio(Some(r)) => r.fixed2(),
        Cell::Bucket(label) => guard(&bucket_csv_label(label)),
        Cell::Ratio(None) | Cell::Empty => String::new(),
    }
}

pub fn write(out: &mut dyn Write, sheet: &Sheet) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(sheet.columns.iter().map(|c| guard(&c.csv_title)))?;
    // Totals are for people: a spreadsheet sums the rows itself, and a totals row
    // among them would be counted twice.
    for row in &sheet.rows {
        w.write_record(row.iter().map(cell_text))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_formula_starts() {
        assert_eq!(guard("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(guard("-5 Ltd"), "'-5 Ltd");
        assert_eq!(guard("@home"), "'@home");
        assert_eq!(guard("+1"), "'+1");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("Acme"), "Acme");
    }
}
