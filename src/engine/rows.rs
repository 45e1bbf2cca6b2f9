//! The plain rows reports fold. The store produces them (pre-filtered by SQL); tests
//! build them by hand.

use crate::domain::{Currency, Date};

/// An invoice with a balance open at the as-of date.
#[derive(Debug, Clone)]
pub struct OpenItem {
    pub client_id: i64,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    /// Open balance at the as-of date, minor units (> 0).
    pub open: i64,
    /// Filled only for per-invoice reports.
    pub number: Option<String>,
}

/// Unapplied credit a client held at the as-of date in one currency.
#[derive(Debug, Clone)]
pub struct CreditItem {
    pub client_id: i64,
    pub currency: Currency,
    pub unapplied: i64,
}

/// An invoice whose balance reached zero by payment on `closed_on`.
#[derive(Debug, Clone)]
pub struct ClosedItem {
    pub client_id: i64,
    pub currency: Currency,
    pub issue_date: Date,
    pub due_date: Date,
    pub closed_on: Date,
    pub amount: i64,
}

/// A client as reports name it.
#[derive(Debug, Clone)]
pub struct ClientRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub terms_days: u32,
}
