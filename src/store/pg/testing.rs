//! A PostgreSQL server for tests: the one `AR_TEST_PG` names (a libpq keyword string
//! or URL; `.ci/run` starts one), else a throwaway cluster started in a temporary
//! directory when the machine has PostgreSQL's programs (`initdb`, `pg_ctl`), stopped
//! when the test program exits. Without either the PostgreSQL tests skip with a note,
//! except under `CI=true`, where that is a failure.
//!
//! Not part of `ar`'s interface: public only for the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The server's address (its `postgres` database), if there is one.
pub fn server() -> Option<&'static str> {
    static SERVER: OnceLock<Option<String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Some(a) = std::env::var("AR_TEST_PG").ok().filter(|a| !a.trim().is_empty()) {
                return Some(a);
            }
            match start_cluster() {
                Ok(a) => Some(a),
                Err(why) => {
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!(
                            "CI=true needs a PostgreSQL server for the tests: set AR_TEST_PG (as .ci/run does), or install PostgreSQL ({why})"
                        );
                    }
                    eprintln!(
                        "note: PostgreSQL tests skipped: no server ({why}); set AR_TEST_PG, or install PostgreSQL (initdb, pg_ctl)"
                    );
                    None
                }
            }
        })
        .as_deref()
}

/// A new, empty database on the test server: its address.
pub fn fresh_database() -> Option<String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = server()?;
    let name = format!(
        "ar_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    );
    let mut client = postgres::Client::connect(base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test server {}: {e}", super::masked(base)));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create a test database: {e}"));
    Some(with_database(base, &name))
}

/// `base` with its database replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let base = base.trim();
    if let Some(scheme_end) = base.find("://") {
        let rest = &base[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let query = rest[authority_end..]
            .find('?')
            .map_or("", |q| &rest[authority_end + q..]);
        return format!(
            "{}{}/{name}{query}",
            &base[..scheme_end + 3],
            &rest[..authority_end]
        );
    }
    format!("{base} dbname={name}")
}

/// Run `sql` on the test server's `postgres` database (roles, for instance).
pub fn admin(sql: &str) {
    let base = server().expect("a test server");
    let mut client = postgres::Client::connect(base, postgres::NoTls).expect("connect to the test server");
    client.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Run `sql` on the database at `address` as the server's administrator.
pub fn admin_on(address: &str, sql: &str) {
    let mut client =
        postgres::Client::connect(address, postgres::NoTls).expect("connect to the test database");
    client.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The data directory of the cluster this process started, to stop at exit.
static STARTED: OnceLock<(PathBuf, Vec<String>)> = OnceLock::new();

fn start_cluster() -> Result<String, String> {
    let bin = bin_dir().ok_or("no initdb found (pg_config --bindir, /usr/lib/postgresql/*/bin)")?;
    let root = is_root();
    if root
        && Command::new("id")
            .arg("postgres")
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
    {
        return Err("running as root, and there is no postgres user to run the server as".into());
    }
    let dir = PathBuf::from(format!(
        "/tmp/ar-pg.{}.{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ));
    std::fs::create_dir(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    let as_server = |program: &str| -> Command {
        let program = bin.join(program);
        if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    };
    if root {
        let status = Command::new("chown")
            .arg("postgres:")
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("cannot give the cluster's directory to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let out = as_server("initdb")
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "ar",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--no-locale",
        ])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let options = format!(
        "-k {} -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        dir.display()
    );
    let out = as_server("pg_ctl")
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-w", "-s", "-o", &options, "start"])
        .output()
        .map_err(|e| format!("pg_ctl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pg_ctl start failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stop: Vec<String> = {
        let ctl = bin.join("pg_ctl").display().to_string();
        let mut v = if root {
            vec!["runuser".into(), "-u".into(), "postgres".into(), "--".into()]
        } else {
            vec![]
        };
        v.extend([
            ctl,
            "-D".into(),
            data.display().to_string(),
            "-m".into(),
            "immediate".into(),
            "-w".into(),
            "-s".into(),
            "stop".into(),
        ]);
        v
    };
    let _ = STARTED.set((dir.clone(), stop));
    register_stop();
    Ok(format!("host={} user=ar dbname=postgres", dir.display()))
}

fn register_stop() {
    extern "C" fn stop() {
        if let Some((dir, cmd)) = STARTED.get() {
            let _ = Command::new(&cmd[0]).args(&cmd[1..]).output();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `stop` is a plain function that lives as long as the program.
    unsafe {
        libc::atexit(stop);
    }
}

fn is_root() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: geteuid has no preconditions.
    unsafe {
        libc::geteuid() == 0
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        std::env::var("USER").is_ok_and(|u| u == "root")
    }
}

fn bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort_by_key(|p| version_of(p));
    found.pop()
}

fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
