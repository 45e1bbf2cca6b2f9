//! Ledger addresses on a server: telling one from a file path, showing it without
//! its password, and filling in what libpq would (the password from `PGPASSWORD` or
//! `~/.pgpass`, the user, host and port from the environment).

use anyhow::Result;
use postgres::config::Host;
use postgres::{Client, Config};

/// libpq's connection keywords: a `--db` value beginning with one of these and `=`
/// is a keyword string (`host=/run/postgresql dbname=acme`), not a file name.
const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "application_name",
    "connect_timeout",
    "options",
    "target_session_attrs",
];

/// Whether `db` names a ledger on a PostgreSQL server (a `postgres://` or
/// `postgresql://` URL, or a libpq keyword string) rather than a SQLite file.
pub fn is_server_address(db: &str) -> bool {
    let db = db.trim_start();
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return true;
    }
    KEYWORDS.iter().any(|k| {
        db.strip_prefix(k)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })
}

/// `address` as messages show it: any password replaced by `***`.
pub fn masked(address: &str) -> String {
    let a = address.trim();
    if let Some(scheme_end) = a.find("://") {
        let (scheme, rest) = a.split_at(scheme_end + 3);
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let authority = match authority.rfind('@') {
            Some(at) => {
                let (userinfo, host) = authority.split_at(at);
                match userinfo.find(':') {
                    Some(colon) => format!("{}:***{host}", &userinfo[..colon]),
                    None => authority.to_string(),
                }
            }
            None => authority.to_string(),
        };
        let tail = mask_query_password(tail);
        return format!("{scheme}{authority}{tail}");
    }
    mask_keyword_password(a)
}

fn mask_query_password(tail: &str) -> String {
    let Some(q) = tail.find('?') else {
        return tail.to_string();
    };
    let (path, query) = tail.split_at(q + 1);
    let parts: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some(("password", _)) => "password=***".to_string(),
            _ => p.to_string(),
        })
        .collect();
    format!("{path}{}", parts.join("&"))
}

/// `password=…` (plain or quoted, with `\'` escapes) of a keyword string masked.
fn mask_keyword_password(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let word_start = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..word_start]);
        rest = &rest[word_start..];
        let Some(eq) = rest.find('=') else {
            out.push_str(rest);
            break;
        };
        let key = rest[..eq].trim();
        out.push_str(&rest[..=eq]);
        rest = rest[eq + 1..].trim_start();
        let value_len = value_len(rest);
        if key == "password" {
            out.push_str("***");
        } else {
            out.push_str(&rest[..value_len]);
        }
        rest = &rest[value_len..];
    }
    out
}

/// The length of the keyword value at the start of `s` (quoted or up to a space).
fn value_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first() != Some(&b'\'') {
        return s.find(char::is_whitespace).unwrap_or(s.len());
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    s.len()
}

/// The connection settings `address` gives, with libpq's defaults filled in.
pub(super) fn config(address: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    let mut config: Config = address.trim().parse().map_err(|e: postgres::Error| {
        let text = e.to_string();
        text.strip_prefix("invalid configuration: ")
            .unwrap_or(&text)
            .to_string()
    })?;
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(h) => {
                for host in h.split(',') {
                    config.host(host);
                }
            }
            None if std::path::Path::new("/run/postgresql").is_dir() => {
                config.host_path("/run/postgresql");
            }
            None => {
                config.host("localhost");
            }
        }
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER").or_else(|| env("USER")).or_else(|| env("LOGNAME"));
        match user {
            Some(u) => {
                config.user(&u);
            }
            None => return Err("it names no user: add user=NAME (or set PGUSER)".into()),
        }
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(&db);
    }
    if config.get_password().is_none() {
        if let Some(p) = env("PGPASSWORD") {
            config.password(p);
        } else if let Some(p) = pgpass_password(&config, &env) {
            config.password(p);
        }
    }
    config.application_name("ar");
    Ok(config)
}

/// Connect with `config`; `shown` names the server in messages.
pub(super) fn connect(config: &Config, shown: &str) -> Result<Client> {
    config
        .connect(postgres::NoTls)
        .map_err(|e| super::connect_failure(&e, shown))
}

/// The password `~/.pgpass` (or `PGPASSFILE`) holds for this host, port, database
/// and user, as libpq finds it: the first matching line, `*` matching anything, a
/// socket directory matching `localhost`; ignored unless only its owner can read it.
fn pgpass_password(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<Vec<u8>> {
    let path = match env("PGPASSFILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(env("HOME")?).join(".pgpass"),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        Host::Unix(_) => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user()?.to_string();
    let db = config.get_dbname().map_or_else(|| user.clone(), str::to_string);
    let wanted = [host.as_str(), port.as_str(), db.as_str(), user.as_str()];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(pgpass_fields)
        .find(|fields| fields.len() == 5 && fields[..4].iter().zip(wanted).all(|(f, w)| f == "*" || f == w))
        .map(|fields| fields[4].clone().into_bytes())
}

/// The `:`-separated fields of a `.pgpass` line (`\:` and `\\` escaped).
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("one field").push(n);
                }
            }
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_told_from_paths() {
        for a in [
            "postgres://books@db.example/acme",
            "postgresql:///acme",
            "host=/run/postgresql dbname=acme",
            "dbname=acme",
            "user = books",
        ] {
            assert!(is_server_address(a), "{a}");
        }
        for p in [
            "ledger.db",
            "/tmp/host=x.db",
            "./dbname=acme",
            "postgres.db",
            "hosts.db",
        ] {
            assert!(!is_server_address(p), "{p}");
        }
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            masked("postgres://books:s3cret@db.example:5432/acme?sslmode=require"),
            "postgres://books:***@db.example:5432/acme?sslmode=require"
        );
        assert_eq!(
            masked("postgresql://books@db.example/acme?password=s3cret&sslmode=require"),
            "postgresql://books@db.example/acme?password=***&sslmode=require"
        );
        assert_eq!(
            masked("host=db user=books password=s3cret dbname=acme"),
            "host=db user=books password=*** dbname=acme"
        );
        assert_eq!(
            masked("host=db password='s3 \\' cret' dbname=acme"),
            "host=db password=*** dbname=acme"
        );
        assert_eq!(masked("postgres://db.example/acme"), "postgres://db.example/acme");
    }

    #[test]
    fn pgpass_lines_split_on_unescaped_colons() {
        assert_eq!(
            pgpass_fields(r"db:*:acme:books:pa\:ss\\"),
            vec!["db", "*", "acme", "books", r"pa:ss\"]
        );
    }
}
