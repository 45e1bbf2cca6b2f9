//! Pure computations over plain rows: allocation replay and the reports.
//!
//! Must not import rusqlite, clap, std::io or read a clock: everything it needs,
//! including "today", arrives as arguments (a resolved spec and rows).

pub mod aging;
pub mod days_to_pay;
pub mod ratio;
pub mod replay;
pub mod rows;
pub mod spec;
