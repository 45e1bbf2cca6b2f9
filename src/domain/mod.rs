//! Values of the accounts-receivable domain: money, currencies, dates, terms, the
//! entities the ledger records, and the typed refusals.
//!
//! Pure values: no I/O, no SQL, no clock, no printing.

pub mod dates;
pub mod entities;
pub mod error;
pub mod money;
pub mod terms;
pub mod text;

pub use dates::{Date, parse_date};
pub use error::{ErrorKind, Field, LedgerError, LedgerResult};
pub use money::{Currency, Money, Total};
pub use terms::Terms;
