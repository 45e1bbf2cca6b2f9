//! The texts a ledger stores: what a client code, a name, an invoice number or a
//! reference may hold, and the one rule by which codes and numbers are the same "in
//! any letter case".
//!
//! Pure functions: no I/O.

use super::error::{Field, LedgerError};

/// Characters that change how the text around them is displayed without being seen
/// themselves: bidirectional controls (U+202E turns `exe.txt` into `txt.exe` on
/// screen) and zero-width marks. A name or number holding one would look like
/// another, so none is stored.
fn is_invisible_control(c: char) -> bool {
    matches!(c,
        '\u{061C}'              // Arabic letter mark
        | '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // embeddings and overrides
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}' // isolates
        | '\u{FEFF}'              // zero-width no-break space (a stray BOM)
    )
}

/// Text a user typed for a name, number, reference or description: trimmed, not
/// empty, no control or invisible formatting characters, at most `max` characters.
pub fn clean_text(field: Field, text: &str, max: usize) -> Result<String, LedgerError> {
    let t = text.trim();
    let bad = |reason: String| LedgerError::BadText {
        field,
        text: t.to_string(),
        reason,
    };
    if t.is_empty() {
        return Err(bad(format!("the {} is empty: give a value", field.noun())));
    }
    if t.chars().any(char::is_control) {
        return Err(bad(format!(
            "the {} `{}` contains control characters: remove them",
            field.noun(),
            escaped(t, char::is_control)
        )));
    }
    if t.chars().any(is_invisible_control) {
        return Err(bad(format!(
            "the {} `{}` contains invisible formatting characters (such as right-to-left overrides): retype it without them",
            field.noun(),
            escaped(t, is_invisible_control)
        )));
    }
    if t.chars().count() > max {
        return Err(bad(format!(
            "the {} is longer than {max} characters: shorten it",
            field.noun()
        )));
    }
    Ok(t.to_string())
}

/// `text` with each character `bad` picks shown as its escape (`\t`, `\u{202e}`),
/// and the rest as typed: the message shows where the culprit is.
fn escaped(text: &str, bad: fn(char) -> bool) -> String {
    text.chars()
        .map(|c| {
            if bad(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A client code: what is typed on the command line and in every CSV file, so only
/// letters, digits, `-`, `_` and `.`, starting with a letter or digit (never with a
/// character a spreadsheet would run as a formula, or a shell would read as a flag).
pub fn client_code(code: &str) -> Result<String, LedgerError> {
    let code = clean_text(Field::Code, code, 40)?;
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    let starts_well = code.chars().next().is_some_and(char::is_alphanumeric);
    if let Some(bad) = code
        .chars()
        .find(|&c| !allowed(c))
        .or((!starts_well).then_some('-'))
    {
        let what = if bad.is_whitespace() {
            "contains spaces".to_string()
        } else if !starts_well {
            "must start with a letter or digit".to_string()
        } else {
            format!("contains `{bad}`")
        };
        return Err(LedgerError::BadText {
            field: Field::Code,
            reason: format!("client code `{code}` {what}: use letters, digits, `-`, `_` or `.`"),
            text: code,
        });
    }
    Ok(code)
}

/// An email address: one `@` with something on both sides, a domain with a dot
/// inside it, no spaces.
pub fn email(text: Option<&str>) -> Result<Option<String>, LedgerError> {
    let Some(e) = text.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let bad = || LedgerError::BadEmail {
        input: escaped(e, |c| c.is_control() || is_invisible_control(c)),
    };
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !domain.contains('@');
    if local.is_empty()
        || !domain_ok
        || e.len() > 254
        || e.chars()
            .any(|c| c.is_whitespace() || c.is_control() || is_invisible_control(c))
    {
        return Err(bad());
    }
    Ok(Some(e.to_string()))
}

/// The key under which codes and invoice numbers are "the same in any letter case":
/// ASCII letters folded to upper case, everything else as it is (so `X-ü` and `X-Ü`
/// are two numbers). SQLite's NOCASE collation compares the same way, and so must
/// every other store and every in-memory look-up.
pub fn fold_case(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_lowercase()) {
        std::borrow::Cow::Owned(text.to_ascii_uppercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// `1 day`, `2 days`, `25,000 clients`: a count, grouped by thousands as amounts
/// are, with its noun in the right number (nouns that take an `s`).
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        let grouped = crate::domain::money::format_minor(i64::try_from(n).unwrap_or(i64::MAX), 0, true);
        format!("{grouped} {noun}s")
    }
}

/// The first characters that make a spreadsheet run a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell for a CSV a spreadsheet may open: a leading `'` before a text it would
/// run as a formula (`=SUM(A1)`), which the spreadsheet shows as the text.
pub fn guard_formula(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_START) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// [`guard_formula`] for a CSV that is imported back (`ar export`): a text that
/// itself begins with `'` gets one more, so that [`unguard`] gives back every text.
pub fn guard_for_import(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with('\'') {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        guard_formula(text)
    }
}

/// The text [`guard_for_import`] guarded.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_hold_letters_digits_and_three_marks_only() {
        for good in ["ACME", "acme-1", "C000001", "a_b.c", "Ä-1", "9LIVES"] {
            assert_eq!(client_code(good).unwrap(), good);
        }
        for bad in [
            "a/b",
            "=SUM(A1)",
            "my email",
            "-X",
            ".X",
            "a\u{202E}b",
            "",
            "a,b",
            "x'y",
            "@home",
        ] {
            assert!(client_code(bad).is_err(), "{bad:?}");
        }
        let e = client_code("a/b").unwrap_err();
        assert_eq!(e.field(), Some(Field::Code));
        assert!(e.to_string().contains("contains `/`"), "{e}");
    }

    #[test]
    fn names_refuse_invisible_direction_controls() {
        assert!(clean_text(Field::Name, "Acme \u{202E}dtl", 200).is_err());
        assert!(clean_text(Field::Name, "Zoë & Søn", 200).is_ok());
        let e = clean_text(Field::Name, "a\u{2067}b", 200).unwrap_err();
        assert_eq!(e.field(), Some(Field::Name));
    }

    #[test]
    fn emails_need_both_sides_and_a_domain() {
        assert_eq!(
            email(Some(" a@b.example ")).unwrap().as_deref(),
            Some("a@b.example")
        );
        assert_eq!(email(Some("")).unwrap(), None);
        for bad in [
            "@", "a@", "@b.c", "a@b", "a b@c.d", "a@b..c", "a@.b", "a@b.", "a@b@c.d",
        ] {
            assert!(email(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn case_folds_ascii_only() {
        assert_eq!(fold_case("inv-1a"), "INV-1A");
        assert_eq!(fold_case("ä-b"), "ä-B");
        assert!(matches!(fold_case("INV"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn counts_have_their_noun_in_number_and_group_by_thousands() {
        assert_eq!(counted(1, "day"), "1 day");
        assert_eq!(counted(0, "invoice"), "0 invoices");
        assert_eq!(counted(25_000, "client"), "25,000 clients");
        assert_eq!(counted(1_043_795, "payment"), "1,043,795 payments");
    }

    #[test]
    fn guarded_cells_come_back_as_they_were() {
        assert_eq!(guard_formula("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(guard_formula("'quoted"), "'quoted");
        assert_eq!(guard_for_import("'quoted"), "''quoted");
        for text in [
            "=SUM(A1)", "-5 Ltd", "@home", "+1", "\tx", "\rx", "'=x", "'", "''a", "Acme", "", "a=b",
        ] {
            assert_eq!(unguard(&guard_for_import(text)), text, "{text:?}");
        }
        assert_eq!(unguard("'Acme"), "'Acme", "a ' ar did not put there stays");
    }
}
