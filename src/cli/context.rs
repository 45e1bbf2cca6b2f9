//! What every command needs from its environment, resolved once: the ledger path,
//! "today", where output goes and how it should look.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::domain::{Date, LedgerError, parse_date};
use crate::ledger::Ledger;
use crate::render::Style;

pub struct Context {
    /// `--db`, else `AR_DB`, else the platform data directory.
    pub db_path: PathBuf,
    /// The local date, or the hidden `AR_TODAY` override (tests, reproducible runs).
    pub today: Date,
    pub out: Box<dyn Write>,
    pub style: Style,
}

impl Context {
    pub fn from_env(db: Option<PathBuf>) -> Result<Context> {
        let db_path = match db {
            Some(p) => p,
            None => default_db_path()?,
        };
        let today = match std::env::var("AR_TODAY") {
            Ok(text) => parse_date(&text).map_err(|e| LedgerError::Invalid(format!("AR_TODAY: {e}")))?,
            Err(_) => chrono::Local::now().date_naive(),
        };
        let stdout = std::io::stdout();
        let styled = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let width = if styled { terminal_width() } else { None };
        Ok(Context {
            db_path,
            today,
            out: Box::new(std::io::BufWriter::new(stdout)),
            style: Style { styled, width },
        })
    }

    /// A date option as typed, or today. Dates are data, not syntax: a bad one is a
    /// one-line refusal (exit 1), checked before the ledger is opened (or created).
    pub fn date_or_today(&self, text: Option<&str>) -> Result<Date> {
        Ok(text.map(parse_date).transpose()?.unwrap_or(self.today))
    }

    pub fn open_ledger(&self) -> Result<Ledger> {
        Ledger::open(&self.db_path)
    }
}

/// `~/.local/share/ar/ledger.db` on Linux (the XDG data directory).
pub fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "ar")
        .context("cannot find a home directory for the ledger: give --db PATH or set AR_DB")?;
    Ok(dirs.data_dir().join("ledger.db"))
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
