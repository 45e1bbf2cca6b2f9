//! What every command needs from its environment, handed in rather than read from the
//! process: the variables, "today" and "now", where output and errors go, standard
//! input, and how output should look. `main` builds it from the real process; tests
//! build one of their own and run commands in-process.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Result;

use crate::domain::{Date, Field, LedgerError, parse_date};
use crate::ledger::Ledger;
use crate::render::Style;
use crate::store::pg;
use crate::store::sqlite::{Access, Location, SqliteStore};

/// Environment variables, as the command sees them. A variable set to the empty
/// string counts as unset (`AR_DB=` means "no ledger chosen"), as for most tools.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process's environment (variables that are not UTF-8 are left out: none
    /// that `ar` reads can be such and still be used).
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.insert(key.to_string(), value.to_string());
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// Where a command's input comes from and its output goes.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    /// Standard input, for `ar import KIND -`.
    pub stdin: Box<dyn Read + Send>,
    /// Whether standard output and error are terminals (tables, progress bars).
    pub out_is_terminal: bool,
    pub err_is_terminal: bool,
}

pub struct Context<'a> {
    /// `--db`, when given.
    pub db: Option<PathBuf>,
    pub env: &'a Env,
    /// The local date, or the hidden `AR_TODAY` override (tests, reproducible runs).
    pub today: Date,
    /// The UTC time of the run (`2026-11-23T09:15:02Z`), recorded with imports.
    pub now: String,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    stdin: Option<Box<dyn Read + Send>>,
    pub style: Style,
    pub err_is_terminal: bool,
    /// A ledger was opened for writing: what the command records may be committed
    /// even if its output then fails.
    pub(crate) opened_for_write: std::cell::Cell<bool>,
    /// Who enters what the command writes (or why the name given cannot be
    /// stored: refused by the first write), and the command (the audit trail).
    pub user: Result<String, LedgerError>,
    pub command: String,
}

/// Who is entering: `--user`, else `AR_USER`, else the login name (`USER`, or
/// `LOGNAME`), else `unknown`.
/// A name given (`--user`, `AR_USER`) that cannot be stored (a control character,
/// more than 100 characters) is refused, as every text of the ledger is, by the
/// first write; a login name that cannot is left for `unknown`.
pub fn user(given: Option<&str>, env: &Env) -> Result<String, LedgerError> {
    let clean = |u: &str| crate::domain::text::clean_text(Field::User, u, 100);
    fn nonempty(u: Option<&str>) -> Option<&str> {
        u.map(str::trim).filter(|u| !u.is_empty())
    }
    if let Some(u) = nonempty(given).or_else(|| nonempty(env.get("AR_USER"))) {
        return clean(u);
    }
    Ok([env.get("USER"), env.get("LOGNAME")]
        .into_iter()
        .filter_map(nonempty)
        .find_map(|u| clean(u).ok())
        .unwrap_or_else(|| "unknown".to_string()))
}

/// "Today" and "now": the local date and the UTC time, or the hidden `AR_TODAY`
/// override (tests, reproducible runs), which fixes the time of day too so that what
/// a run records is the same in every run.
pub fn clock(env: &Env) -> Result<(Date, String)> {
    Ok(match env.get("AR_TODAY") {
        Some(text) => {
            let today = parse_date(text).map_err(|e| LedgerError::BadValue {
                what: "AR_TODAY".into(),
                input: text.to_string(),
                reason: e.to_string(),
            })?;
            (today, format!("{today}T12:00:00Z"))
        }
        None => (
            chrono::Local::now().date_naive(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    })
}

impl<'a> Context<'a> {
    pub fn new(db: Option<PathBuf>, env: &'a Env, io: Io<'a>, (today, now): (Date, String)) -> Context<'a> {
        let styled = io.out_is_terminal && env.get("NO_COLOR").is_none();
        let width = if styled {
            env.get("COLUMNS").and_then(|c| c.parse().ok())
        } else {
            None
        };
        Context {
            db,
            env,
            today,
            now,
            out: io.out,
            err: io.err,
            stdin: Some(io.stdin),
            style: Style { styled, width },
            err_is_terminal: io.err_is_terminal,
            opened_for_write: std::cell::Cell::new(false),
            user: Ok("unknown".into()),
            command: String::new(),
        }
    }

    /// A date option as typed, or today. Dates are data, not syntax: a bad one is a
    /// one-line refusal (exit 1), checked before the ledger is opened (or created).
    pub fn date_or_today(&self, text: Option<&str>, field: Field) -> Result<Date> {
        Ok(text
            .map(|t| parse_date(t).map_err(|e| e.in_field(field)))
            .transpose()?
            .unwrap_or(self.today))
    }

    /// The ledger file: `--db`, else `AR_DB`, else the platform data directory.
    pub fn ledger_path(&self) -> Result<(PathBuf, Location)> {
        if let Some(db) = &self.db {
            return Ok((db.clone(), Location::Given));
        }
        if let Some(db) = self.env.get("AR_DB") {
            return Ok((PathBuf::from(db), Location::Given));
        }
        Ok((data_dir(self.env)?.join("ledger.db"), Location::Default))
    }

    /// Open the ledger to read (it must exist) or to write (created by the first
    /// write that commits).
    pub fn open_ledger(&self, access: Access) -> Result<Ledger> {
        let (path, location) = self.ledger_path()?;
        self.open_ledger_at(&path, access, location)
    }

    pub fn open_ledger_at(
        &self,
        path: &std::path::Path,
        access: Access,
        location: Location,
    ) -> Result<Ledger> {
        // Hidden, for tests: take the bulk path with small files.
        let bulk_entries = self.env.get("AR_BULK_ENTRIES").and_then(|v| v.parse().ok());
        let store: Box<dyn crate::store::Store> = match path.to_str().filter(|p| pg::is_server_address(p)) {
            Some(address) => {
                let mut store =
                    pg::PgStore::open_with_env(address, access, &|k| self.env.get(k).map(str::to_string))?;
                if let Some(n) = bulk_entries {
                    store.set_bulk_entries(n);
                }
                Box::new(store)
            }
            None => {
                let mut store = SqliteStore::open(path, access, location)?;
                if let Some(n) = bulk_entries {
                    store.set_bulk_entries(n);
                }
                Box::new(store)
            }
        };
        if access == Access::Write {
            self.opened_for_write.set(true);
        }
        let mut ledger = Ledger::from_store(store);
        let entered_by = match (&self.user, access) {
            (Ok(user), _) => user.clone(),
            (Err(e), Access::Write) => return Err(e.clone().into()),
            (Err(_), _) => "unknown".into(),
        };
        ledger.set_author(crate::store::Author {
            entered_at: self.now.clone(),
            entered_by,
            command: self.command.clone(),
        });
        Ok(ledger)
    }

    /// Standard input (once).
    pub fn take_stdin(&mut self) -> Box<dyn Read + Send> {
        self.stdin.take().unwrap_or_else(|| Box::new(std::io::empty()))
    }
}

/// `~/.local/share/ar` on Linux (the XDG data directory), the platform's own elsewhere.
pub fn data_dir(env: &Env) -> Result<PathBuf> {
    platform_dir(env, "XDG_DATA_HOME", ".local/share", |d| {
        d.data_dir().to_path_buf()
    })
}

/// `~/.cache/ar` on Linux (the XDG cache directory), the platform's own elsewhere.
pub fn cache_dir(env: &Env) -> Result<PathBuf> {
    platform_dir(env, "XDG_CACHE_HOME", ".cache", |d| d.cache_dir().to_path_buf())
}

fn platform_dir(
    env: &Env,
    xdg: &str,
    under_home: &str,
    other: impl Fn(&directories::ProjectDirs) -> PathBuf,
) -> Result<PathBuf> {
    let no_home = || {
        LedgerError::Refused(
            "cannot find a home directory for the ledger: give --db PATH or set AR_DB".into(),
        )
    };
    if cfg!(all(unix, not(target_os = "macos"))) {
        // The XDG rules, from the environment handed in (what `directories` does on
        // these systems, from the process's).
        if let Some(dir) = env.get(xdg).map(PathBuf::from).filter(|d| d.is_absolute()) {
            return Ok(dir.join("ar"));
        }
        let home = env.get("HOME").ok_or_else(no_home)?;
        return Ok(PathBuf::from(home).join(under_home).join("ar"));
    }
    let dirs = directories::ProjectDirs::from("", "", "ar").ok_or_else(no_home)?;
    Ok(other(&dirs))
}
