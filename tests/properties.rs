//! Property tests of the ledger on generated sequences of entries, through the
//! library API.
//!
//! The expected figures come from a brute-force model of the spec's allocation rules
//! written here, independently of `engine::replay` and of the store's incremental
//! replay: every as-of date replays all payments dated on or before it from scratch,
//! in (date, entry order), over invoices in (due date, issue date, number) order.
//! The ledger under test is built one entry at a time, as the CLI does, so back-dated
//! payments and invoices exercise the partial replays; or in runs of single commands
//! and bulk imports mixed, after which `ar check` must find nothing.

use std::collections::BTreeMap;

use ar::domain::terms::discount_minor;
use ar::domain::{Currency, Date, Terms, money::format_minor};
use ar::engine::aging::{AgingReport, AgingRows};
use ar::engine::spec::{AgingSpec, Basis, Buckets};
use ar::ledger::import::{ImportKind, ImportOptions, ImportSource};
use ar::ledger::{Ledger, NewClient, NewInvoice, NewPayment};
use ar::store::sqlite::{Access, Location, SqliteStore};
use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use proptest::sample::Index;

/// (code, terms): one client with an early-payment discount, so rule 4 is covered.
const CLIENTS: [(&str, &str); 3] = [("A", "30"), ("B", "2/10 net 30"), ("C", "15")];
const CURRENCIES: [&str; 2] = ["USD", "JPY"];

fn base() -> Date {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

/// A generated entry, before it is made consistent (see [`resolve`]).
#[derive(Debug, Clone)]
enum Op {
    Invoice {
        client: usize,
        currency: usize,
        issue: i64,
        /// Explicit due date this many days after issue, else the client's terms.
        due_after: Option<i64>,
        amount: i64,
    },
    Payment {
        client: usize,
        currency: usize,
        date: i64,
        amount: i64,
        /// Name one of the invoices entered so far.
        invoice: Option<Index>,
    },
}

#[derive(Debug, Clone)]
struct Inv {
    number: String,
    client: usize,
    currency: usize,
    issue: Date,
    due: Date,
    amount: i64,
    discount_bp: u32,
    discount_days: u32,
}

#[derive(Debug, Clone)]
struct Pay {
    client: usize,
    currency: usize,
    date: Date,
    amount: i64,
    invoice: Option<usize>,
}

#[derive(Debug, Clone)]
enum Entry {
    Inv(Inv),
    Pay(Pay),
}

impl Entry {
    fn date(&self) -> Date {
        match self {
            Entry::Inv(i) => i.issue,
            Entry::Pay(p) => p.date,
        }
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..3usize,
            0..2usize,
            0..120i64,
            proptest::option::of(0..60i64),
            1..50_000i64
        )
            .prop_map(|(client, currency, issue, due_after, amount)| Op::Invoice {
                client,
                currency,
                issue,
                due_after,
                amount,
            }),
        (
            0..3usize,
            0..2usize,
            0..150i64,
            1..60_000i64,
            proptest::option::weighted(0.4, any::<Index>())
        )
            .prop_map(|(client, currency, date, amount, invoice)| Op::Payment {
                client,
                currency,
                date,
                amount,
                invoice,
            }),
    ]
}

/// Make the generated entries valid: a named payment takes its invoice's client and
/// currency and is dated no earlier than its issue date (spec rule 1's refusals).
fn resolve(ops: &[Op]) -> Vec<Entry> {
    let mut invoices: Vec<Inv> = Vec::new();
    let mut entries = Vec::new();
    for op in ops {
        match *op {
            Op::Invoice {
                client,
                currency,
                issue,
                due_after,
                amount,
            } => {
                let terms = Terms::parse(CLIENTS[client].1).unwrap();
                let issue = base() + Duration::days(issue);
                let inv = Inv {
                    number: format!("N{:03}", invoices.len()),
                    client,
                    currency,
                    issue,
                    due: issue + Duration::days(due_after.unwrap_or(i64::from(terms.net_days))),
                    amount,
                    discount_bp: terms.discount_bp,
                    discount_days: terms.discount_days,
                };
                invoices.push(inv.clone());
                entries.push(Entry::Inv(inv));
            }
            Op::Payment {
                client,
                currency,
                date,
                amount,
                invoice,
            } => {
                let date = base() + Duration::days(date);
                let named = invoice
                    .filter(|_| !invoices.is_empty())
                    .map(|ix| ix.index(invoices.len()));
                entries.push(Entry::Pay(match named {
                    Some(i) => Pay {
                        client: invoices[i].client,
                        currency: invoices[i].currency,
                        date: date.max(invoices[i].issue),
                        amount,
                        invoice: Some(i),
                    },
                    None => Pay {
                        client,
                        currency,
                        date,
                        amount,
                        invoice: None,
                    },
                }));
            }
        }
    }
    entries
}

fn currency(i: usize) -> Currency {
    Currency::parse(CURRENCIES[i]).unwrap()
}

fn amount_text(minor: i64, cur: usize) -> String {
    format_minor(minor, currency(cur).digits(), false)
}

fn new_client(i: usize) -> NewClient {
    NewClient {
        code: CLIENTS[i].0.into(),
        name: format!("Client {}", CLIENTS[i].0),
        email: None,
        terms: Some(Terms::parse(CLIENTS[i].1).unwrap()),
        credit_limit: None,
    }
}

fn new_invoice(inv: &Inv) -> NewInvoice {
    NewInvoice {
        client: CLIENTS[inv.client].0.into(),
        amount: amount_text(inv.amount, inv.currency),
        currency: Some(CURRENCIES[inv.currency].into()),
        issue_date: inv.issue,
        due_date: Some(inv.due),
        terms: None,
        number: Some(inv.number.clone()),
        description: None,
    }
}

fn new_payment(p: &Pay, invoices: &[&Inv]) -> NewPayment {
    NewPayment {
        client: CLIENTS[p.client].0.into(),
        amount: amount_text(p.amount, p.currency),
        currency: Some(CURRENCIES[p.currency].into()),
        date: p.date,
        invoice: p.invoice.map(|i| invoices[i].number.clone()),
        reference: None,
    }
}

/// The ledger as the CLI builds it: one command, one transaction and one partial
/// replay per entry, in entry order.
fn build_one_by_one(entries: &[Entry]) -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    for i in 0..CLIENTS.len() {
        ledger.add_client(new_client(i)).unwrap();
    }
    let invoices: Vec<&Inv> = invoices_of(entries);
    for e in entries {
        match e {
            Entry::Inv(inv) => {
                ledger.add_invoice(new_invoice(inv)).unwrap();
            }
            Entry::Pay(p) => {
                ledger.record_payment(new_payment(p, &invoices)).unwrap();
            }
        }
    }
    ledger
}

/// The ledger rebuilt in one batch from only the entries dated on or before `until`.
fn build_batch_until(entries: &[Entry], until: Date) -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let invoices: Vec<&Inv> = invoices_of(entries);
    ledger
        .write(ar::store::WriteHint::ONE, |b| {
            for i in 0..CLIENTS.len() {
                b.add_client(new_client(i))?;
            }
            for e in entries.iter().filter(|e| e.date() <= until) {
                match e {
                    Entry::Inv(inv) => {
                        b.add_invoice(new_invoice(inv))?;
                    }
                    Entry::Pay(p) => {
                        b.record_payment(new_payment(p, &invoices))?;
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    ledger
}

/// The entries regrouped as a mixed build enters them: each run's invoices before its
/// payments (an import reads the invoices file first). Entry order is this order.
fn regrouped(entries: &[Entry], runs: &[(usize, bool)]) -> Vec<Vec<Entry>> {
    let mut out = Vec::new();
    let mut rest = entries;
    for &(len, _) in runs.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (run, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        let (invoices, payments): (Vec<Entry>, Vec<Entry>) =
            run.iter().cloned().partition(|e| matches!(e, Entry::Inv(_)));
        out.push(invoices.into_iter().chain(payments).collect());
    }
    out
}

/// A ledger on a file built from `runs` of entries: each run as single commands, or
/// as one import of an invoices and a payments file read as from a pipe (so in bulk
/// mode, whatever their size).
fn build_mixed(runs: &[Vec<Entry>], imported: &[bool], all: &[Entry]) -> (Ledger, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("l.db"), Access::Write, Location::Given).unwrap();
    store.set_bulk_entries(2);
    let mut ledger = Ledger::from_store(Box::new(store));
    for i in 0..CLIENTS.len() {
        ledger.add_client(new_client(i)).unwrap();
    }
    let invoices: Vec<&Inv> = invoices_of(all);
    for (run, &import) in runs.iter().zip(imported.iter().cycle()) {
        if !import {
            for e in run {
                match e {
                    Entry::Inv(inv) => drop(ledger.add_invoice(new_invoice(inv)).unwrap()),
                    Entry::Pay(p) => drop(ledger.record_payment(new_payment(p, &invoices)).unwrap()),
                }
            }
            continue;
        }
        let mut inv_csv = String::from("number,client,issue_date,due_date,amount,currency\n");
        let mut pay_csv = String::from("client,date,amount,invoice,currency\n");
        for e in run {
            match e {
                Entry::Inv(i) => inv_csv.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    i.number,
                    CLIENTS[i.client].0,
                    i.issue,
                    i.due,
                    amount_text(i.amount, i.currency),
                    CURRENCIES[i.currency]
                )),
                Entry::Pay(p) => pay_csv.push_str(&format!(
                    "{},{},{},{},{}\n",
                    CLIENTS[p.client].0,
                    p.date,
                    amount_text(p.amount, p.currency),
                    p.invoice.map(|i| invoices[i].number.as_str()).unwrap_or(""),
                    CURRENCIES[p.currency]
                )),
            }
        }
        let source = |kind, name: &str, text: String| ImportSource {
            kind,
            name: name.into(),
            reader: Box::new(std::io::Cursor::new(text.into_bytes())),
            size: None,
        };
        let options = ImportOptions {
            dry_run: false,
            again: true,
            now: "2026-11-23T12:00:00Z".into(),
        };
        ledger
            .import(
                vec![
                    source(ImportKind::Invoices, "invoices.csv", inv_csv),
                    source(ImportKind::Payments, "payments.csv", pay_csv),
                ],
                &options,
                &mut |_, _| {},
            )
            .unwrap();
    }
    (ledger, dir)
}

fn invoices_of(entries: &[Entry]) -> Vec<&Inv> {
    entries
        .iter()
        .filter_map(|e| match e {
            Entry::Inv(i) => Some(i),
            Entry::Pay(_) => None,
        })
        .collect()
}

/// What the spec says is open and held as credit at `as_of`, by brute force.
struct Model {
    /// Open balance of every invoice (in entry order), 0 for those issued later.
    open: Vec<i64>,
    /// Unapplied credit per (client, currency).
    credit: BTreeMap<(usize, usize), i64>,
}

fn model(entries: &[Entry], as_of: Date) -> Model {
    let invoices = invoices_of(entries);
    let mut paid = vec![0i64; invoices.len()];
    let mut adjusted = vec![0i64; invoices.len()];
    let mut pays: Vec<(usize, &Pay)> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Pay(p) => Some(p),
            Entry::Inv(_) => None,
        })
        .enumerate()
        .filter(|(_, p)| p.date <= as_of)
        .collect();
    // spec: replayed in (payment date, entry order).
    pays.sort_by_key(|&(seq, p)| (p.date, seq));
    let mut credit: BTreeMap<(usize, usize), i64> = BTreeMap::new();
    for (_, p) in pays {
        let mut left = p.amount;
        let mut apply = |i: usize, left: &mut i64| {
            let inv = invoices[i];
            let open = inv.amount - paid[i] - adjusted[i];
            if open <= 0 || *left <= 0 {
                return;
            }
            // Rule 4: inside the window, reaching amount - discount closes it.
            if inv.discount_bp > 0
                && adjusted[i] == 0
                && (p.date - inv.issue).num_days() <= i64::from(inv.discount_days)
            {
                let due_now = (inv.amount - discount_minor(inv.amount, inv.discount_bp) - paid[i]).max(0);
                if *left >= due_now {
                    paid[i] += due_now;
                    adjusted[i] += open - due_now;
                    *left -= due_now;
                    return;
                }
            }
            let take = (*left).min(open);
            paid[i] += take;
            *left -= take;
        };
        match p.invoice {
            // Rule 1: the named invoice, up to its open balance.
            Some(i) => apply(i, &mut left),
            // Rule 2: oldest first by (due, issue, number) among the client's invoices
            // in the payment's currency issued on or before the payment date.
            None => {
                let mut candidates: Vec<usize> = (0..invoices.len())
                    .filter(|&i| {
                        let inv = invoices[i];
                        inv.client == p.client && inv.currency == p.currency && inv.issue <= p.date
                    })
                    .collect();
                candidates.sort_by_key(|&i| (invoices[i].due, invoices[i].issue, invoices[i].number.clone()));
                for i in candidates {
                    apply(i, &mut left);
                }
            }
        }
        // Rule 3: the rest is credit.
        *credit.entry((p.client, p.currency)).or_default() += left;
    }
    let open = (0..invoices.len())
        .map(|i| {
            if invoices[i].issue > as_of {
                0
            } else {
                invoices[i].amount - paid[i] - adjusted[i]
            }
        })
        .collect();
    Model { open, credit }
}

fn spec(as_of: Date, by_invoice: bool) -> AgingSpec {
    AgingSpec {
        as_of,
        basis: Basis::Due,
        buckets: Buckets::default(),
        by_invoice,
        min_days: None,
    }
}

/// Default buckets on the due basis, computed here without the engine.
fn bucket_of(days_overdue: i64) -> usize {
    match days_overdue {
        ..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

fn client_rows(report: &AgingReport) -> &[ar::engine::aging::AgingClientRow] {
    match &report.rows {
        AgingRows::Clients(rows) => rows,
        AgingRows::Invoices(_) => panic!("client rows expected"),
    }
}

fn runs_strategy() -> impl Strategy<Value = Vec<(usize, bool)>> {
    proptest::collection::vec((1..8usize, any::<bool>()), 1..6)
}

fn entries_strategy() -> impl Strategy<Value = (Vec<Entry>, i64)> {
    (proptest::collection::vec(op(), 1..24), 0..160i64).prop_map(|(ops, as_of)| (resolve(&ops), as_of))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Buckets sum to the total, totals are the sum of the rows per currency, and no
    /// amount is negative.
    #[test]
    fn buckets_sum_to_total_and_nothing_is_negative((entries, as_of) in entries_strategy()) {
        let mut ledger = build_one_by_one(&entries);
        let as_of = base() + Duration::days(as_of);
        let report = ledger.aging(&spec(as_of, false), None).unwrap();
        let mut sums: BTreeMap<Currency, (Vec<i64>, i64, i64)> = BTreeMap::new();
        for row in client_rows(&report) {
            let a = &row.amounts;
            prop_assert_eq!(a.buckets.iter().map(|m| m.minor).sum::<i64>(), a.total.minor);
            prop_assert!(a.buckets.iter().all(|m| m.minor >= 0), "{:?}", row);
            prop_assert!(a.unapplied.minor >= 0);
            prop_assert!(a.total.minor > 0 || a.unapplied.minor > 0, "empty row {:?}", row);
            let s = sums.entry(a.currency).or_insert_with(|| (vec![0; a.buckets.len()], 0, 0));
            for (x, m) in s.0.iter_mut().zip(&a.buckets) {
                *x += m.minor;
            }
            s.1 += a.total.minor;
            s.2 += a.unapplied.minor;
        }
        prop_assert_eq!(report.totals.len(), sums.len());
        for t in &report.totals {
            let s = &sums[&t.currency];
            prop_assert_eq!(&t.buckets.iter().map(|m| m.minor).collect::<Vec<_>>(), &s.0);
            prop_assert_eq!(t.total.minor, s.1);
            prop_assert_eq!(t.unapplied.minor, s.2);
        }
    }

    /// Every figure equals the brute-force model: open per invoice (per-invoice rows),
    /// buckets and total per client and currency (invoiced minus allocated as of the
    /// date), and unapplied credit (payments minus their allocations).
    #[test]
    fn aging_equals_the_brute_force_model((entries, as_of) in entries_strategy()) {
        let mut ledger = build_one_by_one(&entries);
        let as_of = base() + Duration::days(as_of);
        let m = model(&entries, as_of);
        let invoices = invoices_of(&entries);
        prop_assert!(m.open.iter().all(|&o| o >= 0));

        let mut expected: BTreeMap<(String, Currency), ([i64; 5], i64)> = BTreeMap::new();
        for (i, inv) in invoices.iter().enumerate() {
            if m.open[i] > 0 {
                let e = expected.entry((CLIENTS[inv.client].0.to_string(), currency(inv.currency))).or_default();
                e.0[bucket_of((as_of - inv.due).num_days())] += m.open[i];
            }
        }
        for (&(client, cur), &credit) in &m.credit {
            if credit > 0 {
                expected.entry((CLIENTS[client].0.to_string(), currency(cur))).or_default().1 = credit;
            }
        }
        let report = ledger.aging(&spec(as_of, false), None).unwrap();
        let actual: BTreeMap<(String, Currency), ([i64; 5], i64)> = client_rows(&report)
            .iter()
            .map(|r| {
                let mut b = [0i64; 5];
                for (x, m) in b.iter_mut().zip(&r.amounts.buckets) {
                    *x = m.minor;
                }
                ((r.client.clone(), r.amounts.currency), (b, r.amounts.unapplied.minor))
            })
            .collect();
        prop_assert_eq!(&actual, &expected, "as of {}: {:#?}", as_of, entries);

        let report = ledger.aging(&spec(as_of, true), None).unwrap();
        let AgingRows::Invoices(rows) = &report.rows else { panic!("invoice rows") };
        let actual: BTreeMap<&str, i64> = rows.iter().map(|r| (r.number.as_str(), r.open.minor)).collect();
        let expected: BTreeMap<&str, i64> = invoices
            .iter()
            .enumerate()
            .filter(|&(i, _)| m.open[i] > 0)
            .map(|(i, inv)| (inv.number.as_str(), m.open[i]))
            .collect();
        prop_assert_eq!(actual, expected, "as of {}: {:#?}", as_of, entries);
    }

    /// As-of reconstruction: the aging as of a date equals the aging of the ledger
    /// rebuilt (in one batch) from only the entries dated on or before it.
    #[test]
    fn aging_as_of_equals_the_ledger_rebuilt_up_to_then((entries, as_of) in entries_strategy()) {
        let as_of = base() + Duration::days(as_of);
        let mut full = build_one_by_one(&entries);
        let mut upto = build_batch_until(&entries, as_of);
        for by_invoice in [false, true] {
            let a = serde_json::to_string(&full.aging(&spec(as_of, by_invoice), None).unwrap()).unwrap();
            let b = serde_json::to_string(&upto.aging(&spec(as_of, by_invoice), None).unwrap()).unwrap();
            prop_assert_eq!(a, b, "as of {}: {:#?}", as_of, entries);
        }
        // And the whole ledger built in one batch equals the one built entry by entry.
        let end = base() + Duration::days(400);
        let mut batch = build_batch_until(&entries, end);
        let a = serde_json::to_string(&full.aging(&spec(end, true), None).unwrap()).unwrap();
        let b = serde_json::to_string(&batch.aging(&spec(end, true), None).unwrap()).unwrap();
        prop_assert_eq!(a, b);
    }

    /// After any mix of single commands and bulk imports, in any date order, the
    /// stored derived state is exactly a fresh replay (`ar check` finds nothing), and
    /// every aging figure is the model's.
    #[test]
    fn check_finds_nothing_after_commands_and_bulk_imports_mixed(
        (entries, as_of) in entries_strategy(),
        runs in runs_strategy(),
    ) {
        let regrouped = regrouped(&entries, &runs);
        let flat: Vec<Entry> = regrouped.iter().flatten().cloned().collect();
        let imported: Vec<bool> = runs.iter().map(|r| r.1).collect();
        let (mut ledger, _dir) = build_mixed(&regrouped, &imported, &flat);
        let report = ledger.check().unwrap();
        prop_assert!(report.is_sound(), "{:#?}\n{:#?}", report, flat);
        let as_of = base() + Duration::days(as_of);
        let mut one_by_one = build_one_by_one(&flat);
        for by_invoice in [false, true] {
            let a = serde_json::to_string(&ledger.aging(&spec(as_of, by_invoice), None).unwrap()).unwrap();
            let b = serde_json::to_string(&one_by_one.aging(&spec(as_of, by_invoice), None).unwrap()).unwrap();
            prop_assert_eq!(a, b, "as of {}: {:#?}", as_of, flat);
        }
        prop_assert!(one_by_one.check().unwrap().is_sound());
    }
}

// ---------------------------------------------------------------------------------
// Corrections and adjustments (spec: "Corrections and adjustments (schema 2)"),
// through the CLI in-process (tests/common's `TestLedger`).

#[path = "common/mod.rs"]
mod common;

/// Random histories of invoices, payments, credit notes, write-offs (with and without
/// an amount), credit applications, refunds, payment reversals and dated voids, entered
/// in random date order through `ar`, against a brute-force model written here.
///
/// The model keeps every accepted fact and, for every question (is this write valid?
/// what does the aging say as of D?), replays them all from scratch in (date, entry
/// order), entry order being one sequence over every kind of fact. It classifies each
/// generated write before it is sent:
///
/// - **valid**: `ar` must accept it (exit 0);
/// - **refused**: `ar` must refuse it (exit 1, one line, every table unchanged);
/// - **ambiguous**: the spec and the decisions do not settle it (the cases are listed
///   where [`Fail::Ambiguous`] is returned); it is not sent, so the test never holds
///   `ar` to a guess.
///
/// Rules the model follows beyond the spec text, from the decisions for this feature:
/// credit is drawn oldest source first (payment or credit note, by date then entry
/// order), by credit applications and refunds alike; a reversal takes back the discount
/// its payment earned; a reversal dated on its payment's date removes the payment from
/// the replay; a void takes effect at its place in the sequence and nothing may ever be
/// allocated to a voided invoice; a write is refused when, replayed, a stated-amount
/// fact (write-off or credit application with `--amount`, any refund) no longer fits
/// where it stands.
mod corrections {
    use std::collections::{BTreeMap, BTreeSet};

    use ar::domain::terms::discount_minor;
    use ar::domain::{Date, Terms};
    use chrono::Duration;
    use proptest::prelude::*;
    use proptest::sample::Index;
    use proptest::test_runner::TestCaseError;

    use super::{CLIENTS, CURRENCIES, amount_text, base, bucket_of};
    use crate::common::{TestLedger, check_refusal};

    /// A generated write, before it is resolved against the history so far.
    #[derive(Debug, Clone)]
    enum Op {
        Invoice {
            client: usize,
            currency: usize,
            issue: i64,
            due_after: Option<i64>,
            amount: i64,
        },
        Pay {
            client: usize,
            currency: usize,
            date: i64,
            amount: i64,
            invoice: Option<Index>,
        },
        CreditNote {
            client: usize,
            currency: usize,
            date: i64,
            amount: i64,
            invoice: Option<Index>,
        },
        /// Dated `after` days after the invoice's issue; the amount is `pct` % of what
        /// is open then (over 100: refused), or none: whatever is open.
        WriteOff {
            invoice: Index,
            after: i64,
            pct: Option<i64>,
        },
        /// The amount is `pct` % of what fits then, or none: all that fits.
        /// `to_holder`: a client (and an invoice of it) holding credit then, if any.
        ApplyCredit {
            client: usize,
            currency: usize,
            date: i64,
            invoice: Option<Index>,
            pct: Option<i64>,
            to_holder: bool,
        },
        /// `pct` % of the credit held then.
        Refund {
            client: usize,
            currency: usize,
            date: i64,
            pct: i64,
            to_holder: bool,
        },
        /// Dated `after` days after the payment (negative: refused). `credited`: a
        /// payment whose credit was applied to an invoice, if any.
        Reverse {
            payment: Index,
            after: i64,
            credited: bool,
        },
        /// Dated `after` days after the issue (negative: refused).
        Void { invoice: Index, after: i64 },
    }

    fn op() -> impl Strategy<Value = Op> {
        let pct = || prop_oneof![Just(100i64), 1..=130i64];
        prop_oneof![
            3 => (0..3usize, 0..2usize, 0..120i64, proptest::option::of(0..60i64), 1..50_000i64)
                .prop_map(|(client, currency, issue, due_after, amount)| Op::Invoice {
                    client, currency, issue, due_after, amount,
                }),
            3 => (0..3usize, 0..2usize, 0..150i64, 1..60_000i64, proptest::option::weighted(0.5, any::<Index>()))
                .prop_map(|(client, currency, date, amount, invoice)| Op::Pay {
                    client, currency, date, amount, invoice,
                }),
            2 => (0..3usize, 0..2usize, 0..150i64, 1..30_000i64, proptest::option::weighted(0.6, any::<Index>()))
                .prop_map(|(client, currency, date, amount, invoice)| Op::CreditNote {
                    client, currency, date, amount, invoice,
                }),
            1 => (any::<Index>(), 0..60i64, proptest::option::weighted(0.6, pct()))
                .prop_map(|(invoice, after, pct)| Op::WriteOff { invoice, after, pct }),
            3 => (0..3usize, 0..2usize, 0..150i64, proptest::option::weighted(0.5, any::<Index>()),
                  proptest::option::weighted(0.5, pct()), proptest::bool::weighted(0.8))
                .prop_map(|(client, currency, date, invoice, pct, to_holder)| Op::ApplyCredit {
                    client, currency, date, invoice, pct, to_holder,
                }),
            1 => (0..3usize, 0..2usize, 0..150i64, pct(), proptest::bool::weighted(0.8))
                .prop_map(|(client, currency, date, pct, to_holder)| Op::Refund {
                    client, currency, date, pct, to_holder,
                }),
            2 => (any::<Index>(), prop_oneof![Just(0i64), -2..40i64], any::<bool>())
                .prop_map(|(payment, after, credited)| Op::Reverse { payment, after, credited }),
            1 => (any::<Index>(), prop_oneof![Just(0i64), -2..40i64])
                .prop_map(|(invoice, after)| Op::Void { invoice, after }),
        ]
    }

    #[derive(Debug, Clone)]
    struct Inv {
        number: String,
        client: usize,
        currency: usize,
        issue: Date,
        due: Date,
        amount: i64,
        discount_bp: u32,
        discount_days: u32,
    }

    /// An accepted (or candidate) fact. Its entry order is its index in
    /// `World::facts`; invoice and payment references are indices.
    #[derive(Debug, Clone)]
    enum Fact {
        /// `World::invoices[i]`.
        Invoice(usize),
        Pay {
            client: usize,
            currency: usize,
            date: Date,
            amount: i64,
            invoice: Option<usize>,
        },
        CreditNote {
            client: usize,
            currency: usize,
            date: Date,
            amount: i64,
            invoice: Option<usize>,
        },
        WriteOff {
            invoice: usize,
            date: Date,
            amount: Option<i64>,
        },
        ApplyCredit {
            client: usize,
            currency: usize,
            date: Date,
            invoice: Option<usize>,
            amount: Option<i64>,
        },
        Refund {
            client: usize,
            currency: usize,
            date: Date,
            amount: i64,
        },
        /// `payment`: the entry order of the `Pay` fact reversed.
        Reverse {
            payment: usize,
            date: Date,
        },
        Void {
            invoice: usize,
            date: Date,
        },
    }

    #[derive(Debug, Default, Clone)]
    struct World {
        invoices: Vec<Inv>,
        /// Accepted facts in entry order.
        facts: Vec<Fact>,
    }

    impl World {
        fn date(&self, f: &Fact) -> Date {
            match *f {
                Fact::Invoice(i) => self.invoices[i].issue,
                Fact::Pay { date, .. }
                | Fact::CreditNote { date, .. }
                | Fact::WriteOff { date, .. }
                | Fact::ApplyCredit { date, .. }
                | Fact::Refund { date, .. }
                | Fact::Reverse { date, .. }
                | Fact::Void { date, .. } => date,
            }
        }

        fn accepted_invoices(&self) -> Vec<usize> {
            self.facts
                .iter()
                .filter_map(|f| match f {
                    Fact::Invoice(i) => Some(*i),
                    _ => None,
                })
                .collect()
        }

        fn payments(&self) -> Vec<usize> {
            (0..self.facts.len())
                .filter(|&s| matches!(self.facts[s], Fact::Pay { .. }))
                .collect()
        }

        fn void_of(&self, facts: &[Fact], i: usize) -> bool {
            facts
                .iter()
                .any(|f| matches!(f, Fact::Void { invoice, .. } if *invoice == i))
        }
    }

    /// Why the model refuses a write.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Why {
        /// A check of the write itself (nothing open, no credit, reversed twice, ...).
        Entry(&'static str),
        /// Replayed, an earlier refund would pay back more credit than is held then.
        RefundShort,
        /// Replayed, an earlier write-off or credit application with `--amount` would
        /// no longer fit where it stands.
        FixedShort,
        /// Something would be allocated to an invoice that is voided (at any date).
        VoidAlloc,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Fail {
        Refused(Why),
        /// The spec does not settle what should happen.
        Ambiguous(&'static str),
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Verdict {
        Valid,
        Refused(Why),
        Ambiguous(&'static str),
    }

    #[derive(Debug, Clone)]
    struct Source {
        /// Entry order of the payment or credit note holding it.
        seq: usize,
        client: usize,
        currency: usize,
        held: i64,
    }

    /// The replay's state at one point of the sequence.
    #[derive(Debug, Clone, Default)]
    struct State {
        open: Vec<i64>,
        /// Credit notes allocated to the invoice (the discount's base is amount − this).
        credited: Vec<i64>,
        /// Payments allocated (the discount's threshold).
        paid: Vec<i64>,
        discounted: Vec<bool>,
        /// Written off, credited from credit, or reopened by a reversal.
        touched: Vec<bool>,
        reopened: Vec<bool>,
        void_now: Vec<bool>,
        /// The date of every allocation onto each invoice.
        alloc_dates: Vec<Vec<Date>>,
        /// Unapplied credit by source, in (date, entry order): the order the replay
        /// creates them in.
        sources: Vec<Source>,
        /// Per payment: what it paid (payment and discount) onto each invoice.
        paid_by: BTreeMap<usize, Vec<(usize, i64)>>,
        /// Per payment: the credit applied from it onto each invoice.
        applied_from: BTreeMap<usize, Vec<(usize, i64)>>,
        /// Per stated-amount credit application and per refund: (source, invoice or
        /// `usize::MAX`, amount) drawn.
        pieces: BTreeMap<usize, Vec<(usize, usize, i64)>>,
    }

    impl State {
        fn held(&self, client: usize, currency: usize) -> i64 {
            self.sources
                .iter()
                .filter(|s| s.client == client && s.currency == currency)
                .map(|s| s.held)
                .sum()
        }

        /// Take `amount` of the client's credit, oldest source first.
        fn draw(&mut self, client: usize, currency: usize, mut amount: i64) -> Vec<(usize, i64)> {
            let mut out = Vec::new();
            for s in self
                .sources
                .iter_mut()
                .filter(|s| s.client == client && s.currency == currency)
            {
                if amount == 0 {
                    break;
                }
                let take = s.held.min(amount);
                if take > 0 {
                    s.held -= take;
                    amount -= take;
                    out.push((s.seq, take));
                }
            }
            assert_eq!(amount, 0, "drew more credit than held");
            out
        }

        fn open_now(&self, i: usize) -> i64 {
            if self.void_now[i] { 0 } else { self.open[i] }
        }
    }

    fn in_window(inv: &Inv, date: Date) -> bool {
        inv.discount_bp > 0 && (date - inv.issue).num_days() <= i64::from(inv.discount_days)
    }

    /// The client's invoices in `currency` issued on or before `date` and not void,
    /// oldest first: (due date, issue date, number) (spec rule 2).
    fn oldest_first(w: &World, st: &State, client: usize, currency: usize, date: Date) -> Vec<usize> {
        let mut v: Vec<usize> = (0..w.invoices.len())
            .filter(|&i| {
                let inv = &w.invoices[i];
                inv.client == client && inv.currency == currency && inv.issue <= date && !st.void_now[i]
            })
            .collect();
        v.sort_by(|&a, &b| {
            let (x, y) = (&w.invoices[a], &w.invoices[b]);
            (x.due, x.issue, &x.number).cmp(&(y.due, y.issue, &y.number))
        });
        v
    }

    /// A payment `seq` dated `date` onto invoice `i`, up to its open balance, with the
    /// early-payment discount (spec rule 4, base less earlier credit notes).
    fn pay_onto(
        w: &World,
        voided: &[bool],
        st: &mut State,
        i: usize,
        seq: usize,
        date: Date,
        left: &mut i64,
    ) -> Result<(), Fail> {
        let inv = &w.invoices[i];
        let open = st.open_now(i);
        if open <= 0 || *left <= 0 {
            return Ok(());
        }
        if voided[i] {
            return Err(Fail::Refused(Why::VoidAlloc));
        }
        let mut take = (*left).min(open);
        let mut granted = 0;
        if in_window(inv, date) && !st.discounted[i] {
            if st.touched[i] {
                return Err(Fail::Ambiguous(
                    "a payment inside the discount window of an invoice written off, credited from credit or reopened",
                ));
            }
            let base = inv.amount - st.credited[i];
            let due_now = base - discount_minor(base, inv.discount_bp) - st.paid[i];
            if due_now < 0 {
                return Err(Fail::Ambiguous(
                    "paid beyond amount less discount before a credit note lowered the base",
                ));
            }
            if *left >= due_now {
                take = due_now;
                granted = open - due_now;
                st.discounted[i] = true;
            }
        }
        st.paid[i] += take;
        st.open[i] -= take + granted;
        *left -= take;
        st.alloc_dates[i].push(date);
        st.paid_by.entry(seq).or_default().push((i, take + granted));
        Ok(())
    }

    /// Replay `facts` (entry order = index) from scratch in (date, entry order), only
    /// those dated on or before `until` when given. `new` is the entry order of the
    /// write being classified: its own checks (nothing open, no credit, ...) apply
    /// only to it; for earlier facts the replay follows what they state.
    fn replay(w: &World, facts: &[Fact], until: Option<Date>, new: Option<usize>) -> Result<State, Fail> {
        let n = w.invoices.len();
        let mut st = State {
            open: w.invoices.iter().map(|i| i.amount).collect(),
            credited: vec![0; n],
            paid: vec![0; n],
            discounted: vec![false; n],
            touched: vec![false; n],
            reopened: vec![false; n],
            void_now: vec![false; n],
            alloc_dates: vec![Vec::new(); n],
            ..State::default()
        };
        let voided: Vec<bool> = (0..n).map(|i| w.void_of(facts, i)).collect();
        // Reversed on its own date: the payment never counted.
        let never: BTreeSet<usize> = facts
            .iter()
            .filter_map(|f| match *f {
                Fact::Reverse { payment, date } if w.date(&facts[payment]) == date => Some(payment),
                _ => None,
            })
            .collect();
        let mut order: Vec<usize> = (0..facts.len())
            .filter(|&s| !matches!(facts[s], Fact::Invoice(_)))
            .filter(|&s| until.is_none_or(|u| w.date(&facts[s]) <= u))
            .collect();
        order.sort_by_key(|&s| (w.date(&facts[s]), s));
        for seq in order {
            let is_new = new == Some(seq);
            let short = |why: Why| {
                Fail::Refused(if is_new {
                    Why::Entry("above what is open or held at that point")
                } else {
                    why
                })
            };
            match facts[seq] {
                Fact::Invoice(_) => unreachable!(),
                Fact::Pay {
                    client,
                    currency,
                    date,
                    amount,
                    invoice,
                } => {
                    if never.contains(&seq) {
                        continue;
                    }
                    let mut left = amount;
                    match invoice {
                        Some(i) => {
                            if voided[i] {
                                return Err(Fail::Refused(Why::VoidAlloc));
                            }
                            pay_onto(w, &voided, &mut st, i, seq, date, &mut left)?;
                        }
                        None => {
                            for i in oldest_first(w, &st, client, currency, date) {
                                pay_onto(w, &voided, &mut st, i, seq, date, &mut left)?;
                            }
                        }
                    }
                    if left > 0 {
                        st.sources.push(Source {
                            seq,
                            client,
                            currency,
                            held: left,
                        });
                    }
                }
                Fact::CreditNote {
                    client,
                    currency,
                    date,
                    amount,
                    invoice,
                } => {
                    let mut left = amount;
                    if let Some(i) = invoice {
                        if st.void_now[i] {
                            return Err(Fail::Ambiguous("a credit note naming a void invoice"));
                        }
                        let take = left.min(st.open[i].max(0));
                        if take > 0 {
                            if voided[i] {
                                return Err(Fail::Refused(Why::VoidAlloc));
                            }
                            st.credited[i] += take;
                            st.open[i] -= take;
                            st.alloc_dates[i].push(date);
                            left -= take;
                        }
                    }
                    if left > 0 {
                        st.sources.push(Source {
                            seq,
                            client,
                            currency,
                            held: left,
                        });
                    }
                }
                Fact::WriteOff {
                    invoice: i,
                    date,
                    amount,
                } => {
                    let open = st.open_now(i).max(0);
                    let take = match amount {
                        Some(a) if a > open => return Err(short(Why::FixedShort)),
                        Some(a) => a,
                        None if is_new && open == 0 => {
                            return Err(Fail::Refused(Why::Entry("nothing open to write off")));
                        }
                        None => open,
                    };
                    if take > 0 {
                        if voided[i] {
                            return Err(Fail::Refused(Why::VoidAlloc));
                        }
                        st.open[i] -= take;
                        st.touched[i] = true;
                        st.alloc_dates[i].push(date);
                    }
                }
                Fact::ApplyCredit {
                    client,
                    currency,
                    date,
                    invoice,
                    amount,
                } => {
                    let targets = match invoice {
                        Some(i) => vec![i],
                        None => oldest_first(w, &st, client, currency, date),
                    };
                    let open: i64 = targets.iter().map(|&i| st.open_now(i).max(0)).sum();
                    let fits = st.held(client, currency).min(open);
                    let total = match amount {
                        Some(a) if a > fits => return Err(short(Why::FixedShort)),
                        Some(a) => a,
                        None if is_new && fits == 0 => {
                            return Err(Fail::Refused(Why::Entry("no credit held or nothing open")));
                        }
                        None => fits,
                    };
                    let mut left = total;
                    let mut pieces = Vec::new();
                    for i in targets {
                        let take = st.open_now(i).max(0).min(left);
                        if take == 0 {
                            continue;
                        }
                        if voided[i] {
                            return Err(Fail::Refused(Why::VoidAlloc));
                        }
                        if in_window(&w.invoices[i], date) && !st.discounted[i] {
                            return Err(Fail::Ambiguous("credit applied inside a discount window"));
                        }
                        for (src, amt) in st.draw(client, currency, take) {
                            pieces.push((src, i, amt));
                            if matches!(facts[src], Fact::Pay { .. }) {
                                st.applied_from.entry(src).or_default().push((i, amt));
                            }
                        }
                        st.open[i] -= take;
                        st.touched[i] = true;
                        st.alloc_dates[i].push(date);
                        left -= take;
                    }
                    if amount.is_some() {
                        st.pieces.insert(seq, pieces);
                    }
                }
                Fact::Refund {
                    client,
                    currency,
                    amount,
                    ..
                } => {
                    if amount > st.held(client, currency) {
                        return Err(short(Why::RefundShort));
                    }
                    let pieces = st
                        .draw(client, currency, amount)
                        .into_iter()
                        .map(|(src, amt)| (src, usize::MAX, amt))
                        .collect();
                    st.pieces.insert(seq, pieces);
                }
                Fact::Reverse { payment, .. } => {
                    if never.contains(&payment) {
                        continue;
                    }
                    let reopen: Vec<(usize, i64)> = st
                        .paid_by
                        .get(&payment)
                        .into_iter()
                        .chain(st.applied_from.get(&payment))
                        .flatten()
                        .copied()
                        .collect();
                    for (i, a) in reopen {
                        if st.void_now[i] {
                            return Err(Fail::Ambiguous("a reversal reopening a void invoice"));
                        }
                        st.open[i] += a;
                        st.touched[i] = true;
                        st.reopened[i] = true;
                        st.discounted[i] = false;
                    }
                    for s in st.sources.iter_mut().filter(|s| s.seq == payment) {
                        s.held = 0;
                    }
                }
                Fact::Void { invoice: i, .. } => {
                    if !st.alloc_dates[i].is_empty() {
                        return Err(Fail::Refused(Why::VoidAlloc));
                    }
                    st.void_now[i] = true;
                }
            }
        }
        Ok(st)
    }

    /// Is `cand`, entered next, valid? `pre` is the replay of the accepted facts.
    fn classify(w: &World, pre: &State, cand: &Fact) -> Verdict {
        let seq = w.facts.len();
        match *cand {
            Fact::Reverse { payment, date } => {
                if w.facts
                    .iter()
                    .any(|f| matches!(f, Fact::Reverse { payment: p, .. } if *p == payment))
                {
                    return Verdict::Refused(Why::Entry("reversed twice"));
                }
                if date < w.date(&w.facts[payment]) {
                    return Verdict::Refused(Why::Entry("a reversal before its payment"));
                }
            }
            Fact::Void { invoice: i, date } => {
                if w.void_of(&w.facts, i) {
                    return Verdict::Refused(Why::Entry("already void"));
                }
                if date < w.invoices[i].issue {
                    return Verdict::Refused(Why::Entry("a void before the issue date"));
                }
                let dates = &pre.alloc_dates[i];
                if dates.iter().any(|&d| d <= date) {
                    // Spec: "cannot be voided until they are reversed or credited";
                    // the decisions: anything allocated on or before the void date.
                    return if pre.reopened[i] {
                        Verdict::Ambiguous("a void after a reversal reopened the invoice")
                    } else {
                        Verdict::Refused(Why::VoidAlloc)
                    };
                }
                if !dates.is_empty() {
                    return Verdict::Ambiguous("a void dated before allocations to the invoice");
                }
            }
            _ => {}
        }
        let mut facts = w.facts.clone();
        facts.push(cand.clone());
        let post = match replay(w, &facts, None, Some(seq)) {
            Ok(st) => st,
            Err(Fail::Ambiguous(why)) => return Verdict::Ambiguous(why),
            // A reversal is never refused because a stated fact moves, only for a
            // refund left without credit (spec).
            Err(Fail::Refused(why)) => {
                let reversal = matches!(cand, Fact::Reverse { .. });
                return if !reversal || matches!(why, Why::RefundShort | Why::Entry(_)) {
                    Verdict::Refused(why)
                } else {
                    Verdict::Ambiguous("a reversal moving a stated credit application")
                };
            }
        };
        if let Fact::Reverse { payment, .. } = *cand
            && let Fact::Pay {
                client: pc,
                currency: pcur,
                date: pdate,
                ..
            } = w.facts[payment]
        {
            // Which credit a refund drew (and so whether reversing a payment leaves it
            // "without the credit that paid it") is not settled when the refund comes
            // after the payment.
            let later_refund = w.facts.iter().enumerate().any(|(s, f)| {
                matches!(*f, Fact::Refund { client, currency, date, .. }
                    if client == pc && currency == pcur && (date, s) > (pdate, payment))
            });
            if later_refund {
                return Verdict::Ambiguous("a reversal of a payment a later refund may have drawn on");
            }
        }
        // Likewise a refund dated between a payment of that client and currency and
        // the payment's reversal: which credit it drew decides what the reversal
        // takes away.
        if let Fact::Refund {
            client,
            currency,
            date,
            ..
        } = *cand
        {
            let straddled = w.facts.iter().enumerate().any(|(r, f)| match *f {
                Fact::Reverse { payment, date: rd } => match w.facts[payment] {
                    Fact::Pay {
                        client: pc,
                        currency: pcur,
                        date: pd,
                        ..
                    } => {
                        pc == client
                            && pcur == currency
                            && pd < rd
                            && (pd, payment) < (date, seq)
                            && (date, seq) < (rd, r)
                    }
                    _ => false,
                },
                _ => false,
            });
            if straddled {
                return Verdict::Ambiguous("a refund between a payment and its reversal");
            }
        }
        // Stated-amount facts keep what they state; whether the sources or invoices
        // they drew on may shift under them is left open.
        let before: Vec<_> = pre.pieces.iter().collect();
        let after: Vec<_> = post.pieces.iter().filter(|(s, _)| **s < seq).collect();
        if before != after {
            return Verdict::Ambiguous("the sources or invoices of a stated-amount fact would move");
        }
        Verdict::Valid
    }

    /// Each client's and currency's aging as the model sees it at `as_of`:
    /// `[current, 1-30, 31-60, 61-90, 90+, total, unapplied, net]` in minor units.
    type Aging = BTreeMap<(String, String), [i64; 8]>;

    fn model_aging(w: &World, as_of: Date) -> Aging {
        let st = replay(w, &w.facts, Some(as_of), None).expect("accepted facts replay");
        let mut out: Aging = BTreeMap::new();
        let key = |client: usize, currency: usize| {
            (CLIENTS[client].0.to_string(), CURRENCIES[currency].to_string())
        };
        for i in w.accepted_invoices() {
            let inv = &w.invoices[i];
            if inv.issue <= as_of && !st.void_now[i] && st.open[i] > 0 {
                let row = out.entry(key(inv.client, inv.currency)).or_default();
                row[bucket_of((as_of - inv.due).num_days())] += st.open[i];
                row[5] += st.open[i];
            }
        }
        for s in &st.sources {
            if s.held > 0 {
                out.entry(key(s.client, s.currency)).or_default()[6] += s.held;
            }
        }
        for row in out.values_mut() {
            row[7] = row[5] - row[6];
        }
        out
    }

    /// Each open invoice's balance as the model sees it at `as_of`.
    fn model_open(w: &World, as_of: Date) -> BTreeMap<String, i64> {
        let st = replay(w, &w.facts, Some(as_of), None).expect("accepted facts replay");
        w.accepted_invoices()
            .into_iter()
            .filter(|&i| w.invoices[i].issue <= as_of && !st.void_now[i] && st.open[i] > 0)
            .map(|i| (w.invoices[i].number.clone(), st.open[i]))
            .collect()
    }

    /// `ar aging --by invoice`: each open invoice's balance, read from the raw text.
    fn cli_open(l: &TestLedger, as_of: Date) -> Result<BTreeMap<String, i64>, TestCaseError> {
        let as_of = as_of.to_string();
        let out = l.run(&["aging", "--as-of", &as_of, "--by", "invoice", "--format", "json"]);
        prop_assert_eq!(out.code, 0, "aging by invoice as of {}: {}", as_of, out.stderr);
        let report: BTreeMap<String, Box<serde_json::value::RawValue>> =
            serde_json::from_str(&out.stdout).expect("JSON");
        let rows: Vec<BTreeMap<String, Box<serde_json::value::RawValue>>> =
            serde_json::from_str(report["rows"].get()).unwrap();
        let text = |r: &BTreeMap<String, Box<serde_json::value::RawValue>>, k: &str| -> String {
            serde_json::from_str(r[k].get()).unwrap()
        };
        let mut open = BTreeMap::new();
        for r in &rows {
            let number = text(r, "number");
            let amount = minor(r["open"].get(), &text(r, "currency"));
            prop_assert!(open.insert(number, amount).is_none(), "a duplicate invoice row");
        }
        Ok(open)
    }

    /// Minor units of a JSON amount written exactly (`-39.03`, `100000`).
    fn minor(text: &str, currency: &str) -> i64 {
        let digits = super::currency(CURRENCIES.iter().position(|c| *c == currency).unwrap()).digits();
        let frac = text.split_once('.').map_or(0, |(_, f)| f.len());
        assert_eq!(frac, usize::from(digits), "{text} in {currency}");
        text.replace('.', "")
            .parse()
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn cli_aging(l: &TestLedger, as_of: Date) -> Result<(Aging, BTreeMap<String, [i64; 8]>), TestCaseError> {
        let as_of = as_of.to_string();
        let out = l.run(&["aging", "--as-of", &as_of, "--format", "json"]);
        prop_assert_eq!(out.code, 0, "aging as of {}: {}", as_of, out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
        // Read the amounts from the raw text, never through f64.
        let raw: BTreeMap<String, Box<serde_json::value::RawValue>> =
            serde_json::from_str(&out.stdout).unwrap();
        let figures =
            |obj: &BTreeMap<String, Box<serde_json::value::RawValue>>, currency: &str| -> [i64; 8] {
                let mut row = [0i64; 8];
                for (x, k) in row.iter_mut().zip([
                    "current",
                    "1-30",
                    "31-60",
                    "61-90",
                    "90+",
                    "total",
                    "unapplied",
                    "net",
                ]) {
                    let text = obj.get(k).unwrap_or_else(|| panic!("no `{k}` in {obj:?}")).get();
                    *x = minor(text, currency);
                }
                row
            };
        let rows: Vec<BTreeMap<String, Box<serde_json::value::RawValue>>> =
            serde_json::from_str(raw["rows"].get()).unwrap();
        let totals: Vec<BTreeMap<String, Box<serde_json::value::RawValue>>> =
            serde_json::from_str(raw["totals"].get()).unwrap();
        let mut by_client = BTreeMap::new();
        for (r, rv) in rows.iter().zip(v["rows"].as_array().unwrap()) {
            let client = rv["client"].as_str().unwrap().to_string();
            let currency = rv["currency"].as_str().unwrap().to_string();
            let f = figures(r, &currency);
            prop_assert!(
                by_client.insert((client, currency), f).is_none(),
                "a duplicate row"
            );
        }
        let mut by_currency = BTreeMap::new();
        for (t, tv) in totals.iter().zip(v["totals"].as_array().unwrap()) {
            let currency = tv["currency"].as_str().unwrap().to_string();
            by_currency.insert(currency.clone(), figures(t, &currency));
        }
        Ok((by_client, by_currency))
    }

    /// `ar` arguments entering `f`; `ids` maps a payment's entry order to its id in
    /// this ledger.
    fn args_of(w: &World, f: &Fact, ids: &BTreeMap<usize, String>) -> Vec<String> {
        let code = |c: usize| CLIENTS[c].0.to_string();
        let cur = |c: usize| CURRENCIES[c].to_string();
        let amt = |m: i64, c: usize| amount_text(m, c);
        let s = |x: &str| x.to_string();
        match *f {
            Fact::Invoice(i) => {
                let inv = &w.invoices[i];
                vec![
                    s("add-invoice"),
                    s("--client"),
                    code(inv.client),
                    s("--number"),
                    inv.number.clone(),
                    s("--amount"),
                    amt(inv.amount, inv.currency),
                    s("--currency"),
                    cur(inv.currency),
                    s("--date"),
                    inv.issue.to_string(),
                    s("--due"),
                    inv.due.to_string(),
                ]
            }
            Fact::Pay {
                client,
                currency,
                date,
                amount,
                invoice,
            } => {
                let mut a = vec![
                    s("pay"),
                    s("--client"),
                    code(client),
                    s("--amount"),
                    amt(amount, currency),
                    s("--currency"),
                    cur(currency),
                    s("--date"),
                    date.to_string(),
                ];
                if let Some(i) = invoice {
                    a.extend([s("--invoice"), w.invoices[i].number.clone()]);
                }
                a
            }
            Fact::CreditNote {
                client,
                currency,
                date,
                amount,
                invoice,
            } => {
                let mut a = vec![
                    s("credit-note"),
                    s("--client"),
                    code(client),
                    s("--amount"),
                    amt(amount, currency),
                    s("--date"),
                    date.to_string(),
                    s("--reason"),
                    s("generated"),
                ];
                match invoice {
                    Some(i) => a.extend([s("--invoice"), w.invoices[i].number.clone()]),
                    // The ledger's currency (USD) is the default.
                    None if currency != 0 => a.extend([s("--currency"), cur(currency)]),
                    None => {}
                }
                a
            }
            Fact::WriteOff {
                invoice,
                date,
                amount,
            } => {
                let inv = &w.invoices[invoice];
                let mut a = vec![
                    s("write-off"),
                    inv.number.clone(),
                    s("--date"),
                    date.to_string(),
                    s("--reason"),
                    s("generated"),
                ];
                if let Some(m) = amount {
                    a.extend([s("--amount"), amt(m, inv.currency)]);
                }
                a
            }
            Fact::ApplyCredit {
                client,
                currency,
                date,
                invoice,
                amount,
            } => {
                let mut a = vec![
                    s("apply-credit"),
                    s("--client"),
                    code(client),
                    s("--date"),
                    date.to_string(),
                ];
                match invoice {
                    Some(i) => a.extend([s("--invoice"), w.invoices[i].number.clone()]),
                    None if currency != 0 => a.extend([s("--currency"), cur(currency)]),
                    None => {}
                }
                if let Some(m) = amount {
                    a.extend([s("--amount"), amt(m, currency)]);
                }
                a
            }
            Fact::Refund {
                client,
                currency,
                date,
                amount,
            } => {
                let mut a = vec![
                    s("refund"),
                    s("--client"),
                    code(client),
                    s("--amount"),
                    amt(amount, currency),
                    s("--date"),
                    date.to_string(),
                    s("--reference"),
                    s("generated"),
                ];
                if currency != 0 {
                    a.extend([s("--currency"), cur(currency)]);
                }
                a
            }
            Fact::Reverse { payment, date } => vec![
                s("payment"),
                s("reverse"),
                ids[&payment].clone(),
                s("--date"),
                date.to_string(),
                s("--reason"),
                s("generated"),
            ],
            Fact::Void { invoice, date } => vec![
                s("invoice"),
                s("void"),
                w.invoices[invoice].number.clone(),
                s("--date"),
                date.to_string(),
                s("--reason"),
                s("generated"),
            ],
        }
    }

    /// The payment id `ar pay` printed (`Payment #N from ...`).
    fn payment_id(stdout: &str) -> String {
        let rest = stdout
            .split_once("Payment #")
            .unwrap_or_else(|| panic!("no payment id in {stdout:?}"))
            .1;
        rest.chars().take_while(char::is_ascii_digit).collect()
    }

    /// With `to_holder`, one of the (client, currency) pairs holding credit in `st`
    /// and passing `also` (chosen by the generated pair), when there is one; else the
    /// generated pair.
    fn holder(
        st: &State,
        client: usize,
        currency: usize,
        to_holder: bool,
        also: impl Fn(usize, usize) -> bool,
    ) -> (usize, usize) {
        let mut pairs: Vec<(usize, usize)> = st
            .sources
            .iter()
            .filter(|s| s.held > 0 && also(s.client, s.currency))
            .map(|s| (s.client, s.currency))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        if to_holder && !pairs.is_empty() {
            pairs[(client * CURRENCIES.len() + currency) % pairs.len()]
        } else {
            (client, currency)
        }
    }

    fn day(d: i64) -> Date {
        base() + Duration::days(d)
    }

    /// Turn a generated op into a candidate fact against the accepted history (a
    /// new invoice is pushed to `w.invoices`; the caller pops it when not entered).
    /// None when it has nothing to refer to.
    fn resolve(w: &mut World, op: &Op, k: usize) -> Option<Fact> {
        let invoices = w.accepted_invoices();
        let pick = |ix: &Index| (!invoices.is_empty()).then(|| invoices[ix.index(invoices.len())]);
        let at = |w: &World, d: Date| replay(w, &w.facts, Some(d), None).expect("accepted facts replay");
        let pct_of = |whole: i64, pct: i64| (whole * pct / 100).max(1);
        Some(match op {
            &Op::Invoice {
                client,
                currency,
                issue,
                due_after,
                amount,
            } => {
                let terms = Terms::parse(CLIENTS[client].1).unwrap();
                let issue = day(issue);
                w.invoices.push(Inv {
                    number: format!("N{k:03}"),
                    client,
                    currency,
                    issue,
                    due: issue + Duration::days(due_after.unwrap_or(i64::from(terms.net_days))),
                    amount,
                    discount_bp: terms.discount_bp,
                    discount_days: terms.discount_days,
                });
                Fact::Invoice(w.invoices.len() - 1)
            }
            Op::Pay {
                client,
                currency,
                date,
                amount,
                invoice,
            } => match invoice.as_ref().and_then(pick) {
                Some(i) => {
                    let inv = &w.invoices[i];
                    Fact::Pay {
                        client: inv.client,
                        currency: inv.currency,
                        date: day(*date).max(inv.issue),
                        amount: *amount,
                        invoice: Some(i),
                    }
                }
                None => Fact::Pay {
                    client: *client,
                    currency: *currency,
                    date: day(*date),
                    amount: *amount,
                    invoice: None,
                },
            },
            Op::CreditNote {
                client,
                currency,
                date,
                amount,
                invoice,
            } => match invoice.as_ref().and_then(pick) {
                Some(i) => {
                    let inv = &w.invoices[i];
                    Fact::CreditNote {
                        client: inv.client,
                        currency: inv.currency,
                        date: day(*date).max(inv.issue),
                        amount: *amount,
                        invoice: Some(i),
                    }
                }
                None => Fact::CreditNote {
                    client: *client,
                    currency: *currency,
                    date: day(*date),
                    amount: *amount,
                    invoice: None,
                },
            },
            Op::WriteOff { invoice, after, pct } => {
                let i = pick(invoice)?;
                let date = w.invoices[i].issue + Duration::days(*after);
                let open = at(w, date).open_now(i).max(0);
                Fact::WriteOff {
                    invoice: i,
                    date,
                    amount: pct.map(|p| pct_of(open, p)),
                }
            }
            &Op::ApplyCredit {
                client,
                currency,
                date,
                ref invoice,
                pct,
                to_holder,
            } => {
                let can_apply = |st: &State, d: Date, c: usize, cur: usize| {
                    oldest_first(w, st, c, cur, d).iter().any(|&i| st.open_now(i) > 0)
                };
                // Biased: the first date from the generated one, 10 days at a time, at
                // which some client holds credit and has something open.
                let (date, st) = (0..=20)
                    .filter(|_| to_holder)
                    .map(|k| {
                        let d = day(date + 10 * k);
                        (d, at(w, d))
                    })
                    .find(|(d, st)| {
                        st.sources
                            .iter()
                            .any(|s| s.held > 0 && can_apply(st, *d, s.client, s.currency))
                    })
                    .unwrap_or_else(|| (day(date), at(w, day(date))));
                let can_apply = |c: usize, cur: usize| can_apply(&st, date, c, cur);
                let (client, currency) = holder(&st, client, currency, to_holder, can_apply);
                let named = invoice.as_ref().and_then(|ix| {
                    let fit: Vec<usize> = invoices
                        .iter()
                        .copied()
                        .filter(|&i| {
                            let inv = &w.invoices[i];
                            inv.client == client
                                && inv.currency == currency
                                && inv.issue <= date
                                && st.open_now(i) > 0
                        })
                        .collect();
                    if to_holder && !fit.is_empty() {
                        Some(fit[ix.index(fit.len())])
                    } else {
                        pick(ix)
                    }
                });
                let (client, currency, date, invoice) = match named {
                    Some(i) => {
                        let inv = &w.invoices[i];
                        (inv.client, inv.currency, date.max(inv.issue), Some(i))
                    }
                    None => (client, currency, date, None),
                };
                let st = at(w, date);
                let targets = match invoice {
                    Some(i) => vec![i],
                    None => oldest_first(w, &st, client, currency, date),
                };
                let open: i64 = targets.iter().map(|&i| st.open_now(i).max(0)).sum();
                let fits = st.held(client, currency).min(open);
                Fact::ApplyCredit {
                    client,
                    currency,
                    date,
                    invoice,
                    amount: pct.map(|p| pct_of(fits, p)),
                }
            }
            &Op::Refund {
                client,
                currency,
                date,
                pct,
                to_holder,
            } => {
                let date = day(date);
                let st = at(w, date);
                let (client, currency) = holder(&st, client, currency, to_holder, |_, _| true);
                let held = st.held(client, currency);
                Fact::Refund {
                    client,
                    currency,
                    date,
                    amount: pct_of(held, pct),
                }
            }
            &Op::Reverse {
                ref payment,
                after,
                credited,
            } => {
                let mut payments = w.payments();
                let applied = &replay(w, &w.facts, None, None)
                    .expect("accepted facts replay")
                    .applied_from;
                let reversed = |p: usize| {
                    w.facts
                        .iter()
                        .any(|f| matches!(*f, Fact::Reverse { payment, .. } if payment == p))
                };
                if credited && payments.iter().any(|&p| applied.contains_key(&p) && !reversed(p)) {
                    payments.retain(|&p| applied.contains_key(&p) && !reversed(p));
                }
                if payments.is_empty() {
                    return None;
                }
                let p = payments[payment.index(payments.len())];
                let mut date = w.date(&w.facts[p]) + Duration::days(after);
                if credited && let Fact::Pay { client, currency, .. } = w.facts[p] {
                    // After the credit applied from it, so that the reversal reopens it.
                    let last = w.facts.iter().filter_map(|f| match *f {
                        Fact::ApplyCredit {
                            client: c,
                            currency: cur,
                            date,
                            ..
                        } if c == client && cur == currency => Some(date),
                        _ => None,
                    });
                    if let Some(last) = last.max() {
                        date = date.max(last + Duration::days(after.abs()));
                    }
                }
                Fact::Reverse { payment: p, date }
            }
            Op::Void { invoice, after } => {
                let i = pick(invoice)?;
                Fact::Void {
                    invoice: i,
                    date: w.invoices[i].issue + Duration::days(*after),
                }
            }
        })
    }

    fn new_ledger() -> TestLedger {
        let l = TestLedger::new();
        l.ok(&["init", "--currency", "USD"]);
        for (code, terms) in CLIENTS {
            l.ok(&[
                "client",
                "add",
                code,
                "--name",
                &format!("Client {code}"),
                "--terms",
                terms,
            ]);
        }
        l
    }

    /// Enter `f` in `l`; on success, note a payment's id under its entry order.
    fn enter(
        l: &TestLedger,
        w: &World,
        f: &Fact,
        seq: usize,
        ids: &mut BTreeMap<usize, String>,
    ) -> (Vec<String>, crate::common::Outcome) {
        let args = args_of(w, f, ids);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = l.run(&argv);
        if out.code == 0 && matches!(f, Fact::Pay { .. }) {
            ids.insert(seq, payment_id(&out.stdout));
        }
        (args, out)
    }

    struct History {
        l: TestLedger,
        w: World,
        /// Every command sent, with the model's verdict: the failure message.
        log: Vec<String>,
    }

    impl History {
        fn log(&self) -> String {
            self.log.join("\n")
        }
    }

    /// Enter the ops one by one through `ar`, each checked against the model's verdict.
    fn run_history(ops: &[Op]) -> Result<History, TestCaseError> {
        let l = new_ledger();
        let mut w = World::default();
        let mut ids = BTreeMap::new();
        let mut log = Vec::new();
        let mut pre = replay(&w, &w.facts, None, None).expect("empty replay");
        for (k, op) in ops.iter().enumerate() {
            let Some(cand) = resolve(&mut w, op, k) else {
                continue;
            };
            let verdict = classify(&w, &pre, &cand);
            if let Verdict::Ambiguous(why) = verdict {
                log.push(format!("# skipped ({why}): {cand:?}"));
                if matches!(cand, Fact::Invoice(_)) {
                    w.invoices.pop();
                }
                continue;
            }
            let seq = w.facts.len();
            let before = (verdict != Verdict::Valid).then(|| l.dump());
            let (args, out) = enter(&l, &w, &cand, seq, &mut ids);
            log.push(format!("{verdict:?}: ar {}", args.join(" ")));
            match verdict {
                Verdict::Valid => {
                    prop_assert_eq!(
                        out.code,
                        0,
                        "the model accepts this write but ar refused it:\n{}\n{}\nhistory:\n{}",
                        out.stderr,
                        out.stdout,
                        log.join("\n")
                    );
                    w.facts.push(cand);
                    pre = replay(&w, &w.facts, None, None).expect("accepted facts replay");
                }
                Verdict::Refused(why) => {
                    prop_assert_eq!(
                        out.code,
                        1,
                        "the model refuses this write ({:?}) but ar answered:\n{}\n{}\nhistory:\n{}",
                        why,
                        out.stderr,
                        out.stdout,
                        log.join("\n")
                    );
                    check_refusal(&[], 1, &out.stderr);
                    prop_assert_eq!(
                        before.unwrap(),
                        l.dump(),
                        "refused but written; history:\n{}",
                        log.join("\n")
                    );
                    if matches!(cand, Fact::Invoice(_)) {
                        w.invoices.pop();
                    }
                }
                Verdict::Ambiguous(_) => unreachable!(),
            }
        }
        Ok(History { l, w, log })
    }

    fn sound(h: &History) -> Result<(), TestCaseError> {
        let out = h.l.run(&["check"]);
        prop_assert!(
            out.code == 0 && out.stdout.contains("is sound"),
            "ar check: {}\n{}\nhistory:\n{}",
            out.stdout,
            out.stderr,
            h.log()
        );
        Ok(())
    }

    fn ops_strategy() -> impl Strategy<Value = (Vec<Op>, Vec<i64>)> {
        (
            proptest::collection::vec(op(), 1..28),
            proptest::collection::vec(0..200i64, 3),
        )
    }

    /// `cases` (more with `AR_PROPTEST_CASES=N`, for a longer hunt).
    fn config(cases: u32) -> ProptestConfig {
        let cases = std::env::var("AR_PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases);
        ProptestConfig {
            cases,
            max_shrink_iters: 2048,
            // Found cases are printed; nothing is written next to the tests.
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// The model on its own, without `ar`, in a few of the hand-computed cases of
    /// tests/commands/corrections.rs (same figures, in cents; client A is net 30, B
    /// `2/10 net 30`). When the CLI and the model disagree, this says whether the
    /// model is to blame.
    struct Hand {
        w: World,
        pre: State,
    }

    impl Hand {
        fn new() -> Hand {
            let w = World::default();
            let pre = replay(&w, &w.facts, None, None).unwrap();
            Hand { w, pre }
        }

        fn write(&mut self, f: Fact) -> Verdict {
            let v = classify(&self.w, &self.pre, &f);
            if v == Verdict::Valid {
                self.w.facts.push(f);
                self.pre = replay(&self.w, &self.w.facts, None, None).unwrap();
            } else if matches!(f, Fact::Invoice(_)) {
                self.w.invoices.pop();
            }
            v
        }

        fn ok(&mut self, f: Fact) {
            let shown = format!("{f:?}");
            assert_eq!(self.write(f), Verdict::Valid, "{shown}");
        }

        fn refused(&mut self, f: Fact, why: Why) {
            let shown = format!("{f:?}");
            assert_eq!(self.write(f), Verdict::Refused(why), "{shown}");
        }

        /// A USD invoice on the client's terms.
        fn invoice(&mut self, client: usize, amount: i64, issue: &str) -> usize {
            let terms = Terms::parse(CLIENTS[client].1).unwrap();
            let issue = d(issue);
            self.w.invoices.push(Inv {
                number: format!("H{:03}", self.w.invoices.len()),
                client,
                currency: 0,
                issue,
                due: issue + Duration::days(i64::from(terms.net_days)),
                amount,
                discount_bp: terms.discount_bp,
                discount_days: terms.discount_days,
            });
            let i = self.w.invoices.len() - 1;
            self.ok(Fact::Invoice(i));
            i
        }

        fn invoice_refused(&mut self, client: usize, amount: i64, issue: &str, why: Why) {
            let issue = d(issue);
            self.w.invoices.push(Inv {
                number: format!("H{:03}", self.w.invoices.len()),
                client,
                currency: 0,
                issue,
                due: issue + Duration::days(30),
                amount,
                discount_bp: 0,
                discount_days: 0,
            });
            let i = self.w.invoices.len() - 1;
            self.refused(Fact::Invoice(i), why);
        }

        /// The client's USD row as of `as_of`, or None.
        fn aging(&self, as_of: &str, client: usize) -> Option<[i64; 8]> {
            model_aging(&self.w, d(as_of))
                .get(&(CLIENTS[client].0.to_string(), "USD".to_string()))
                .copied()
        }

        fn open(&self, as_of: &str, i: usize) -> i64 {
            replay(&self.w, &self.w.facts, Some(d(as_of)), None).unwrap().open[i]
        }

        /// The entry order the next fact will get.
        fn next(&self) -> usize {
            self.w.facts.len()
        }
    }

    fn d(text: &str) -> Date {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn pay(client: usize, amount: i64, date: &str, invoice: Option<usize>) -> Fact {
        Fact::Pay {
            client,
            currency: 0,
            date: d(date),
            amount,
            invoice,
        }
    }

    fn note(client: usize, amount: i64, date: &str, invoice: Option<usize>) -> Fact {
        Fact::CreditNote {
            client,
            currency: 0,
            date: d(date),
            amount,
            invoice,
        }
    }

    fn apply(client: usize, date: &str, invoice: Option<usize>, amount: Option<i64>) -> Fact {
        Fact::ApplyCredit {
            client,
            currency: 0,
            date: d(date),
            invoice,
            amount,
        }
    }

    fn refund(client: usize, amount: i64, date: &str) -> Fact {
        Fact::Refund {
            client,
            currency: 0,
            date: d(date),
            amount,
        }
    }

    fn reverse(payment: usize, date: &str) -> Fact {
        Fact::Reverse {
            payment,
            date: d(date),
        }
    }

    const A: usize = 0;
    const B: usize = 1;

    #[test]
    fn corrections_model_agrees_with_hand_computed_cases() {
        // Write-off of whatever is open, shrunk by a back-dated payment.
        let mut h = Hand::new();
        let i = h.invoice(A, 30_000, "2026-08-01");
        h.ok(pay(A, 10_000, "2026-09-10", None));
        h.ok(Fact::WriteOff {
            invoice: i,
            date: d("2026-10-01"),
            amount: None,
        });
        assert_eq!(
            h.aging("2026-09-30", A),
            Some([0, 20_000, 0, 0, 0, 20_000, 0, 20_000])
        );
        assert_eq!(h.aging("2026-10-01", A), None);
        h.ok(pay(A, 5_000, "2026-09-20", None));
        assert_eq!(
            h.aging("2026-09-25", A),
            Some([0, 15_000, 0, 0, 0, 15_000, 0, 15_000])
        );
        assert_eq!(h.aging("2026-10-01", A), None);

        // Reversal reopening an invoice paid with credit applied from the payment.
        let mut h = Hand::new();
        h.invoice(A, 10_000, "2026-09-01");
        h.invoice(A, 20_000, "2026-09-20");
        let p = h.next();
        h.ok(pay(A, 25_000, "2026-09-10", None));
        h.ok(apply(A, "2026-09-25", None, None));
        assert_eq!(
            h.aging("2026-10-04", A),
            Some([5_000, 0, 0, 0, 0, 5_000, 0, 5_000])
        );
        h.ok(reverse(p, "2026-10-05"));
        assert_eq!(
            h.aging("2026-10-04", A),
            Some([5_000, 0, 0, 0, 0, 5_000, 0, 5_000])
        );
        assert_eq!(
            h.aging("2026-10-05", A),
            Some([20_000, 10_000, 0, 0, 0, 30_000, 0, 30_000])
        );

        // Credit used oldest source first, by date.
        let mut h = Hand::new();
        let p1 = h.next();
        h.ok(pay(A, 10_000, "2026-09-10", None));
        h.ok(note(A, 6_000, "2026-09-05", None));
        h.invoice(A, 10_000, "2026-09-15");
        h.ok(apply(A, "2026-09-20", None, None));
        assert_eq!(h.aging("2026-09-30", A), Some([0, 0, 0, 0, 0, 0, 6_000, -6_000]));
        h.ok(reverse(p1, "2026-10-01"));
        assert_eq!(
            h.aging("2026-10-01", A),
            Some([4_000, 0, 0, 0, 0, 4_000, 0, 4_000])
        );

        // Reversed on its own date: never counted.
        let mut h = Hand::new();
        let i1 = h.invoice(A, 10_000, "2026-09-01");
        let i2 = h.invoice(A, 7_000, "2026-09-02");
        let p1 = h.next();
        h.ok(pay(A, 10_000, "2026-09-20", None));
        h.ok(pay(A, 7_000, "2026-09-20", None));
        h.ok(reverse(p1, "2026-09-20"));
        assert_eq!(
            (h.open("2026-09-25", i1), h.open("2026-09-25", i2)),
            (3_000, 7_000)
        );

        // Discount on the amount less earlier credit notes.
        let mut h = Hand::new();
        let (i1, i2, i3) = (
            h.invoice(B, 100_000, "2026-09-01"),
            h.invoice(B, 100_000, "2026-09-01"),
            h.invoice(B, 100_000, "2026-09-01"),
        );
        h.ok(note(B, 10_000, "2026-09-03", Some(i1)));
        h.ok(pay(B, 88_200, "2026-09-08", Some(i1)));
        h.ok(note(B, 10_000, "2026-09-03", Some(i2)));
        h.ok(pay(B, 88_100, "2026-09-08", Some(i2)));
        h.ok(pay(B, 98_000, "2026-09-05", Some(i3)));
        h.ok(note(B, 10_000, "2026-09-06", Some(i3)));
        assert_eq!(
            h.aging("2026-09-08", B),
            Some([1_900, 0, 0, 0, 0, 1_900, 10_000, -8_100])
        );
        assert_eq!(
            h.aging("2026-09-04", B),
            Some([280_000, 0, 0, 0, 0, 280_000, 0, 280_000])
        );

        // A reversal takes the discount back.
        let mut h = Hand::new();
        let i = h.invoice(B, 100_000, "2026-09-01");
        let p = h.next();
        h.ok(pay(B, 98_000, "2026-09-08", Some(i)));
        assert_eq!(h.aging("2026-09-14", B), None);
        h.ok(reverse(p, "2026-09-15"));
        assert_eq!(
            h.aging("2026-09-15", B),
            Some([100_000, 0, 0, 0, 0, 100_000, 0, 100_000])
        );

        // A reversal that would leave a refund without its credit.
        let mut h = Hand::new();
        let p = h.next();
        h.ok(pay(A, 10_000, "2026-10-01", None));
        h.ok(refund(A, 10_000, "2026-10-10"));
        h.refused(reverse(p, "2026-10-05"), Why::RefundShort);
        h.refused(reverse(p, "2026-10-01"), Why::RefundShort);

        // Reversing twice, or before the payment.
        let mut h = Hand::new();
        h.invoice(A, 10_000, "2026-09-01");
        let p = h.next();
        h.ok(pay(A, 10_000, "2026-09-20", None));
        h.refused(
            reverse(p, "2026-09-19"),
            Why::Entry("a reversal before its payment"),
        );
        h.ok(reverse(p, "2026-10-01"));
        h.refused(reverse(p, "2026-10-05"), Why::Entry("reversed twice"));

        // Writes that would shrink a stated write-off.
        let mut h = Hand::new();
        let i = h.invoice(A, 10_000, "2026-09-01");
        h.ok(Fact::WriteOff {
            invoice: i,
            date: d("2026-10-10"),
            amount: Some(4_000),
        });
        h.refused(pay(A, 7_000, "2026-10-05", Some(i)), Why::FixedShort);
        h.refused(pay(A, 7_000, "2026-10-05", None), Why::FixedShort);
        h.refused(note(A, 6_100, "2026-10-01", Some(i)), Why::FixedShort);
        h.ok(pay(A, 6_000, "2026-10-05", None));
        assert_eq!(
            h.aging("2026-10-09", A),
            Some([0, 4_000, 0, 0, 0, 4_000, 0, 4_000])
        );
        assert_eq!(h.aging("2026-10-10", A), None);

        // Writes that would shrink a stated credit application.
        let mut h = Hand::new();
        let i = h.invoice(A, 10_000, "2026-10-01");
        h.ok(note(A, 8_000, "2026-10-15", None));
        h.ok(apply(A, "2026-10-20", Some(i), Some(5_000)));
        h.refused(pay(A, 6_000, "2026-10-18", Some(i)), Why::FixedShort);
        h.refused(refund(A, 4_000, "2026-10-16"), Why::FixedShort);
        h.ok(pay(A, 5_000, "2026-10-18", Some(i)));
        assert_eq!(h.aging("2026-10-20", A), Some([0, 0, 0, 0, 0, 0, 3_000, -3_000]));

        // Writes that would take the credit a refund paid back.
        let mut h = Hand::new();
        h.ok(pay(A, 5_000, "2026-10-15", None));
        h.ok(refund(A, 5_000, "2026-10-20"));
        h.invoice_refused(A, 10_000, "2026-10-01", Why::RefundShort);
        h.invoice(A, 3_000, "2026-10-16");
        h.refused(apply(A, "2026-10-17", None, None), Why::RefundShort);
        assert_eq!(
            h.aging("2026-10-17", A),
            Some([3_000, 0, 0, 0, 0, 3_000, 5_000, -2_000])
        );

        // Credit applications without credit, or above what fits.
        let mut h = Hand::new();
        let i1 = h.invoice(A, 10_000, "2026-10-01");
        let i2 = h.invoice(A, 2_000, "2026-10-02");
        h.ok(note(A, 5_000, "2026-10-15", None));
        let short = Why::Entry("above what is open or held at that point");
        h.refused(
            apply(A, "2026-10-14", None, None),
            Why::Entry("no credit held or nothing open"),
        );
        h.refused(apply(A, "2026-10-20", Some(i1), Some(5_001)), short);
        h.refused(apply(A, "2026-10-20", Some(i2), Some(3_000)), short);
        h.ok(apply(A, "2026-10-20", Some(i2), Some(2_000)));
        assert_eq!(
            h.aging("2026-10-20", A),
            Some([10_000, 0, 0, 0, 0, 10_000, 3_000, 7_000])
        );

        // Voids: before the issue date, with allocations, and back-dated payments onto
        // an invoice voided later.
        let mut h = Hand::new();
        let i = h.invoice(A, 10_000, "2026-09-01");
        let void = |date: &str| Fact::Void {
            invoice: i,
            date: d(date),
        };
        h.refused(void("2026-08-31"), Why::Entry("a void before the issue date"));
        h.ok(pay(A, 5_000, "2026-09-10", Some(i)));
        h.refused(void("2026-09-15"), Why::VoidAlloc);
        h.refused(void("2026-09-10"), Why::VoidAlloc);
        let mut h = Hand::new();
        let i = h.invoice(A, 10_000, "2026-09-01");
        h.invoice(A, 20_000, "2026-09-01");
        h.ok(Fact::Void {
            invoice: i + 1,
            date: d("2026-10-15"),
        });
        assert_eq!(
            h.aging("2026-10-14", A),
            Some([0, 30_000, 0, 0, 0, 30_000, 0, 30_000])
        );
        assert_eq!(
            h.aging("2026-10-15", A),
            Some([0, 10_000, 0, 0, 0, 10_000, 0, 10_000])
        );
        h.refused(pay(A, 25_000, "2026-10-01", None), Why::VoidAlloc);
        h.refused(pay(A, 100, "2026-10-01", Some(i + 1)), Why::VoidAlloc);
        h.ok(pay(A, 15_000, "2026-10-20", None));
        assert_eq!(h.aging("2026-10-20", A), Some([0, 0, 0, 0, 0, 0, 5_000, -5_000]));
    }

    proptest! {
        #![proptest_config(config(64))]

        /// Every write `ar` accepts the model finds valid and every write it refuses
        /// the model finds invalid (and nothing was written); at several as-of dates
        /// each client's and currency's buckets, total, unapplied and net, the totals
        /// per currency and each open invoice's balance are the model's; `ar check`
        /// finds nothing.
        #[test]
        fn corrections_through_the_cli_agree_with_the_brute_force_model((ops, as_of) in ops_strategy()) {
            let h = run_history(&ops)?;
            let mut dates: Vec<Date> = as_of.iter().map(|&d| day(d)).collect();
            dates.push(day(260));
            for d in dates {
                let expected = model_aging(&h.w, d);
                let (rows, totals) = cli_aging(&h.l, d)?;
                prop_assert_eq!(&rows, &expected, "aging as of {}; history:\n{}", d, h.log());
                let mut sums: BTreeMap<String, [i64; 8]> = BTreeMap::new();
                for ((_, currency), row) in &expected {
                    let s = sums.entry(currency.clone()).or_default();
                    for (x, y) in s.iter_mut().zip(row) {
                        *x += y;
                    }
                }
                prop_assert_eq!(&totals, &sums, "totals as of {}; history:\n{}", d, h.log());
                let (open, expected) = (cli_open(&h.l, d)?, model_open(&h.w, d));
                prop_assert_eq!(open, expected, "open invoices as of {}; history:\n{}", d, h.log());
            }
            sound(&h)?;
        }
    }

    proptest! {
        // Slower: each case also builds two more ledgers.
        #![proptest_config(config(32))]

        /// As-of exactness: the aging as of D (by client and by invoice) of the whole
        /// ledger is that of a ledger built only from the facts dated on or before D,
        /// entered in the same order; `ar check` finds both sound.
        #[test]
        fn corrections_aging_as_of_equals_the_ledger_of_the_facts_up_to_then((ops, as_of) in ops_strategy()) {
            let h = run_history(&ops)?;
            for d in as_of.iter().take(2).map(|&d| day(d)) {
                let upto = new_ledger();
                let mut ids = BTreeMap::new();
                for (seq, f) in h.w.facts.iter().enumerate() {
                    if h.w.date(f) > d {
                        continue;
                    }
                    let (args, out) = enter(&upto, &h.w, f, seq, &mut ids);
                    prop_assert_eq!(
                        out.code,
                        0,
                        "accepted in the whole ledger, refused in the one up to {}: ar {}\n{}\nhistory:\n{}",
                        d,
                        args.join(" "),
                        out.stderr,
                        h.log()
                    );
                }
                let d = d.to_string();
                for by in ["client", "invoice"] {
                    let args = ["aging", "--as-of", &d, "--by", by, "--format", "json"];
                    prop_assert_eq!(
                        h.l.ok(&args),
                        upto.ok(&args),
                        "aging as of {} by {}; history:\n{}",
                        d,
                        by,
                        h.log()
                    );
                }
                let out = upto.run(&["check"]);
                prop_assert!(out.code == 0 && out.stdout.contains("is sound"), "{}\n{}", out.stdout, out.stderr);
            }
            sound(&h)?;
        }
    }
}
