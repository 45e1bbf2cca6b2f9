//! CLI tests: the real `ar` binary on temporary ledgers, one hermetic environment per
//! test (see common.rs). One test crate, so the suite links once.

mod archiver;
mod common;
mod import_export;
mod ledger;
mod messages;
mod readme;
mod reports;
mod storage;
