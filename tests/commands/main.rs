//! Command tests, in-process: `ar::cli::run` on a temporary ledger with an environment
//! of the test's own (tests/common/mod.rs), one module per command group. One test
//! crate, so the suite links once. What needs the real process (exit codes seen by a
//! shell, pipes, signals, two processes at once) is in tests/binary.
//!
//! In-process commands share the test process's working directory: every path given
//! to them is absolute (`l.file(..)`).

#[path = "../common/mod.rs"]
mod common;

mod aging;
mod check;
mod client;
mod corrections;
mod days_to_pay;
mod demo;
mod export;
mod help;
mod import;
mod init;
mod invoice;
mod ledger_file;
mod messages;
mod migrations;
mod payment;
mod server;
