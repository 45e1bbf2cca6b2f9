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
