//! `ar`: an accounts-receivable ledger on SQLite, with an aging engine.
//!
//! Layers, each depending only on those before it:
//! - [`domain`]: values (money, dates, terms, entities, typed refusals). No I/O.
//! - [`engine`]: pure computations: allocation replay, aging, days to pay. No SQL,
//!   no clock, no printing.
//! - [`store`]: storage behind traits with stated contracts; [`store::sqlite`] is the
//!   only user of rusqlite.
//! - [`ledger`]: operations (one transaction each, through one write path) and
//!   reports, over `store` + `engine`.
//! - [`render`]: table, JSON and CSV writers for what `ledger` returns.
//! - [`cli`]: clap arguments, resolved into ledger calls and renders; [`cli::run`]
//!   maps each kind of failure to its exit code.
//!
//! `main.rs` hands binutils-style calls to the system archiver, else calls `cli::run`,
//! and is the only place that exits.

pub mod cli;
pub mod domain;
pub mod engine;
pub mod ledger;
pub mod render;
pub mod store;
