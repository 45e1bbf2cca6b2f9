//! The conformance suite of the storage seam: the contracts of `store/mod.rs` as
//! tests, written once and run against every backend (`storage_tests!`), in the
//! manner of taskchampion's `storage/test.rs`. A new backend passes it before the
//! ledger may use it.
//!
//! Each backend is run twice: with single-entry writes, and with writes hinted to be
//! large (a backend's bulk mode must keep every contract too).

use std::sync::Arc;

use anyhow::Result;

use super::*;
use crate::domain::entities::AllocationKind;
use crate::domain::error::Busy;
use crate::domain::{LedgerError, Money, parse_date};
use crate::engine::replay::replay;

/// How a test gets stores: a fresh, empty ledger, and (for backends where several
/// handles can share one ledger) another handle on the same ledger.
pub(super) trait Backend: Send + Sync {
    fn fresh(&self) -> Box<dyn Store>;
    /// Another handle on the ledger of the last `fresh`, if the backend has them.
    fn another(&self) -> Option<Box<dyn Store>>;
    fn hint(&self) -> WriteHint;
}

fn d(s: &str) -> Date {
    parse_date(s).unwrap()
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn client(code: &str) -> Client {
    Client {
        id: 0,
        code: code.into(),
        name: format!("{code} Ltd"),
        email: None,
        credit_limit: None,
        terms: Terms::net(30),
        entered: None,
    }
}

fn correction(
    kind: CorrectionKind,
    client_id: ClientId,
    date: &str,
    amount: Option<i64>,
    invoice_id: Option<InvoiceId>,
    payment_id: Option<PaymentId>,
) -> NewCorrectionRow<'static> {
    NewCorrectionRow {
        kind,
        client_id,
        currency: usd(),
        date: d(date),
        amount,
        invoice_id,
        payment_id,
        reason: None,
        reference: None,
        after_payment: None,
    }
}

fn invoice<'a>(number: &'a str, client_id: ClientId, issue: &str, amount: i64) -> NewInvoiceRow<'a> {
    let issue = d(issue);
    NewInvoiceRow {
        number,
        client_id,
        currency: usd(),
        issue_date: issue,
        due_date: issue + chrono::Duration::days(30),
        amount,
        terms: Terms::net(30),
        description: None,
    }
}

fn payment(
    client_id: ClientId,
    date: &str,
    amount: i64,
    invoice_id: Option<InvoiceId>,
) -> NewPaymentRow<'static> {
    NewPaymentRow {
        client_id,
        currency: usd(),
        date: d(date),
        amount,
        invoice_id,
        reference: None,
    }
}

/// Replay `client` from `from` in `txn`, as the ledger's driver does.
fn replay_client(txn: &mut dyn WriteTxn, client: ClientId, from: Date) -> Result<()> {
    let scope = txn.replay_scope(client, from)?;
    if scope.is_empty() {
        return Ok(());
    }
    let from = scope.from;
    txn.save_replay(
        client,
        from,
        replay(scope.invoices, scope.payments, scope.corrections),
    )
}

/// A ledger with one client, two invoices and a payment that pays the first and
/// part of the second, replayed. Returns (client, invoice ids, payment id).
fn small_ledger(store: &mut dyn Store, hint: WriteHint) -> Result<(ClientId, [InvoiceId; 2], PaymentId)> {
    let mut txn = store.write(hint)?;
    let c = txn.insert_client(&client("ACME"))?;
    let i1 = txn.insert_invoice(&invoice("INV-1", c, "2026-01-01", 10_000))?;
    let i2 = txn.insert_invoice(&invoice("INV-2", c, "2026-01-15", 5_000))?;
    let p = txn.insert_payment(&payment(c, "2026-02-01", 12_000, None))?;
    replay_client(&mut *txn, c, d("2026-01-01"))?;
    txn.commit()?;
    Ok((c, [i1, i2], p))
}

pub(super) fn settings_round_trip(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    assert!(
        txn.schema_version()? >= 1,
        "the schema comes with the first write"
    );
    txn.set_setting("b", "2")?;
    txn.set_setting("a", "1")?;
    txn.set_setting("a", "one")?;
    assert_eq!(txn.setting("a")?.as_deref(), Some("one"));
    txn.commit()?;
    let mut read = store.read()?;
    assert_eq!(read.setting("missing")?, None);
    let all = read.settings()?;
    assert_eq!(all, vec![("a".into(), "one".into()), ("b".into(), "2".into())]);
    Ok(())
}

pub(super) fn numbering_advances_and_a_rollback_gives_values_back(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    {
        let mut txn = store.write(b.hint())?;
        assert_eq!(txn.take_invoice_seq()?, 1);
        assert_eq!(txn.take_invoice_seq()?, 2);
        txn.commit()?;
    }
    {
        let mut txn = store.write(b.hint())?;
        assert_eq!(txn.take_invoice_seq()?, 3);
        // dropped: rolled back
    }
    let mut txn = store.write(b.hint())?;
    assert_eq!(txn.take_invoice_seq()?, 3);
    Ok(())
}

pub(super) fn clients_are_unique_in_any_ascii_case(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let acme = txn.insert_client(&client("Acme"))?;
    let ae = txn.insert_client(&client("ä-1"))?;
    assert!(acme > 0 && ae > acme, "ids increase in entry order");
    let err = txn.insert_client(&client("ACME")).unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LedgerError::DuplicateClient { .. })),
        "{err}"
    );
    // NOCASE-style folding: ASCII letters only.
    txn.insert_client(&client("Ä-1"))?;
    assert_eq!(txn.client_by_code(" acme ", usd())?.map(|c| c.id), Some(acme));
    assert_eq!(txn.lock_client("ACME", usd())?.map(|c| c.id), Some(acme));
    assert_eq!(txn.client_by_id(ae, usd())?.map(|c| c.code), Some("ä-1".into()));
    assert!(txn.client_by_code("nobody", usd())?.is_none());
    let mut edited = txn.client_by_id(acme, usd())?.unwrap();
    edited.name = "Acme Limited".into();
    edited.credit_limit = Some(Money::new(100, usd()));
    edited.terms = Terms::parse("2/10 net 30")?;
    txn.update_client(&edited)?;
    txn.commit()?;
    let mut read = store.read()?;
    let codes: Vec<String> = read.clients(usd())?.into_iter().map(|c| c.code).collect();
    assert_eq!(codes, ["Acme", "Ä-1", "ä-1"], "folded, then byte order");
    let stored = read.client_by_id(acme, usd())?.unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.credit_limit, stored.terms),
        (
            "Acme Limited",
            Some(Money::new(100, usd())),
            Terms::parse("2/10 net 30")?
        )
    );
    // Ids grow in entry order (a refused insert may use one up: a server's sequence).
    let ids: Vec<ClientId> = read.client_refs()?.iter().map(|c| c.id).collect();
    assert_eq!(ids[..2], [acme, ae]);
    assert!(ids.len() == 3 && ids[2] > ae, "{ids:?}");
    Ok(())
}

pub(super) fn invoice_numbers_are_unique_in_any_ascii_case(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let c = txn.insert_client(&client("ACME"))?;
    let i = txn.insert_invoice(&invoice("inv-1a", c, "2026-01-01", 100))?;
    let err = txn
        .insert_invoice(&invoice("INV-1A", c, "2026-01-02", 100))
        .unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LedgerError::DuplicateInvoice { .. })),
        "{err}"
    );
    assert!(txn.invoice_number_taken("Inv-1A")?);
    assert!(!txn.invoice_number_taken("INV-2")?);
    let found = txn.invoice_ref(" INV-1A ")?.unwrap();
    assert_eq!((found.id, found.client_id, found.void), (i, c, false));
    assert_eq!(txn.invoice_number(i)?, "inv-1a", "as stored");
    txn.void_invoice(i, d("2026-01-05"), d("2026-01-05"), Some("twice"))?;
    assert!(txn.invoice_ref("inv-1a")?.unwrap().void);
    txn.commit()?;
    // Committed numbers are taken for later transactions too.
    let mut txn = store.write(b.hint())?;
    let err = txn
        .insert_invoice(&invoice("INV-1a", c, "2026-01-02", 100))
        .unwrap_err();
    assert!(
        matches!(err.downcast_ref(), Some(LedgerError::DuplicateInvoice { .. })),
        "{err}"
    );
    Ok(())
}

pub(super) fn an_invoice_lookup_answers_as_invoice_ref(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let c = txn.insert_client(&client("ACME"))?;
    txn.insert_invoice(&invoice("inv-1a", c, "2026-01-01", 100))?;
    let i2 = txn.insert_invoice(&invoice("INV-2", c, "2026-01-02", 100))?;
    txn.void_invoice(i2, d("2026-01-03"), d("2026-01-03"), None)?;
    if let Some(view) = txn.invoice_lookup()? {
        let answers = std::thread::scope(|s| {
            s.spawn(|| ["INV-1A", " inv-2 ", "INV-3"].map(|n| view.find(n)))
                .join()
                .expect("thread")
        });
        drop(view);
        for (answer, number) in answers.iter().zip(["INV-1A", " inv-2 ", "INV-3"]) {
            assert_eq!(answer, &txn.invoice_ref(number)?, "{number}");
        }
        assert!(answers[1].is_some_and(|i| i.void));
    }
    // Entering an invoice after the view was dropped works as ever.
    txn.insert_invoice(&invoice("INV-4", c, "2026-01-04", 100))?;
    assert!(txn.invoice_ref("inv-4")?.is_some());
    txn.commit()
}

pub(super) fn a_dropped_write_leaves_nothing(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    small_ledger(&mut *store, b.hint())?;
    {
        let mut txn = store.write(b.hint())?;
        let c = txn.insert_client(&client("GLOBEX"))?;
        txn.insert_invoice(&invoice("G-1", c, "2026-03-01", 100))?;
        txn.set_setting("x", "y")?;
    }
    let mut read = store.read()?;
    assert!(read.client_by_code("GLOBEX", usd())?.is_none());
    assert!(!read.invoice_number_taken("G-1")?);
    assert_eq!(read.setting("x")?, None);
    Ok(())
}

pub(super) fn replay_scopes_hold_what_a_replay_from_a_date_needs(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    let mut txn = store.write(b.hint())?;
    let late = txn.insert_payment(&payment(c, "2026-03-01", 1_000, Some(i2)))?;
    // A scope from a date: the payments from then on, in (date, id) order.
    let scope = txn.replay_scope(c, d("2026-02-15"))?;
    assert!(scope.from <= d("2026-02-15"));
    let ids: Vec<i64> = scope.payments.iter().map(|p| p.id).collect();
    if scope.from == Date::MIN {
        assert_eq!(ids, [p, late], "a whole-client scope");
    } else {
        assert_eq!(ids, [late]);
        // INV-1 closed before the scope: not in it. INV-2 is, with what it had.
        let invs: Vec<(i64, i64)> = scope.invoices.iter().map(|i| (i.id, i.paid_before)).collect();
        assert_eq!(invs, [(i2, 2_000)]);
    }
    // From the beginning: facts alone.
    let whole = txn.replay_scope(c, Date::MIN)?;
    assert_eq!(whole.from, Date::MIN);
    assert_eq!(whole.payments.iter().map(|p| p.id).collect::<Vec<_>>(), [p, late]);
    let mut invs: Vec<(i64, i64, i64)> = whole
        .invoices
        .iter()
        .map(|i| (i.id, i.paid_before, i.adjusted_before))
        .collect();
    invs.sort();
    assert_eq!(invs, [(i1, 0, 0), (i2, 0, 0)]);
    // A client without payments from a date needs no invoices.
    let other = txn.insert_client(&client("NOPAY"))?;
    txn.insert_invoice(&invoice("N-1", other, "2026-01-01", 100))?;
    let empty = txn.replay_scope(other, d("2026-01-01"))?;
    assert!(empty.payments.is_empty());
    Ok(())
}

pub(super) fn a_saved_replay_is_what_the_store_derives(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    let mut read = store.read()?;
    let derived = read.derived_state(c)?;
    let allocations: Vec<(i64, i64, i64)> = derived
        .allocations
        .iter()
        .map(|a| (a.invoice_id.unwrap_or(0), a.payment_id.unwrap_or(0), a.amount))
        .collect();
    assert_eq!(allocations, [(i1, p, 10_000), (i2, p, 2_000)]);
    let states: Vec<(i64, i64, Option<Date>)> = derived
        .invoices
        .iter()
        .map(|i| (i.state.id, i.state.settled, i.state.closed_on))
        .collect();
    assert_eq!(states, [(i1, 10_000, Some(d("2026-02-01"))), (i2, 2_000, None)]);
    assert_eq!(derived.payments[0].state.unapplied, 0);
    assert_eq!(derived.payments[0].state.applied_on, Some(d("2026-02-01")));
    // What a fresh replay gives is what is stored.
    let fresh = {
        let scope = read.replay_scope(c, Date::MIN)?;
        replay(scope.invoices, scope.payments, scope.corrections)
    };
    assert_eq!(fresh.allocations, derived.allocations);
    Ok(())
}

pub(super) fn a_replay_from_a_date_keeps_what_came_before(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    let mut txn = store.write(b.hint())?;
    // A payment dated before the first: in (date, entry) order it goes first.
    let early = txn.insert_payment(&payment(c, "2026-01-20", 4_000, None))?;
    replay_client(&mut *txn, c, d("2026-01-20"))?;
    txn.commit()?;
    let mut read = store.read()?;
    let mut allocations: Vec<(i64, i64, i64)> = read
        .derived_state(c)?
        .allocations
        .iter()
        .map(|a| (a.payment_id.unwrap_or(0), a.invoice_id.unwrap_or(0), a.amount))
        .collect();
    allocations.sort();
    assert_eq!(allocations, [(p, i1, 6_000), (p, i2, 5_000), (early, i1, 4_000)]);
    let credit: Vec<(i64, i64)> = {
        let mut v = Vec::new();
        read.credit_items(d("2026-12-31"), Some(c), &mut |item| {
            v.push((item.client_id, item.unapplied));
            Ok(())
        })?;
        v
    };
    assert_eq!(credit, [(c, 1_000)]);
    Ok(())
}

pub(super) fn a_payments_allocations_are_where_its_replay_put_them(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, _, p) = small_ledger(&mut *store, b.hint())?;
    let mut txn = store.write(b.hint())?;
    txn.insert_invoice(&invoice("INV-3", c, "2026-02-10", 4_000))?;
    txn.insert_invoice(&invoice("INV-4", c, "2026-03-10", 4_000))?;
    // Pays the rest of INV-2 (closing it) and part of INV-3; INV-4 is issued after it.
    let q = txn.insert_payment(&payment(c, "2026-03-01", 4_000, None))?;
    replay_client(&mut *txn, c, d("2026-03-01"))?;
    let lines = |txn: &mut dyn WriteTxn, id| -> Result<Vec<(String, i64, Date)>> {
        Ok(txn
            .payment_allocations(id)?
            .into_iter()
            .map(|a| (a.invoice.unwrap_or_default(), a.amount.minor, a.date))
            .collect())
    };
    assert_eq!(
        lines(&mut *txn, q)?,
        [
            ("INV-2".into(), 3_000, d("2026-03-01")),
            ("INV-3".into(), 1_000, d("2026-03-01"))
        ]
    );
    assert_eq!(
        lines(&mut *txn, p)?,
        [
            ("INV-1".into(), 10_000, d("2026-02-01")),
            ("INV-2".into(), 2_000, d("2026-02-01"))
        ]
    );
    // A payment dated before the others moves them: its own lines are still its own.
    let early = txn.insert_payment(&payment(c, "2026-01-20", 500, None))?;
    replay_client(&mut *txn, c, d("2026-01-20"))?;
    assert_eq!(lines(&mut *txn, early)?, [("INV-1".into(), 500, d("2026-01-20"))]);
    txn.commit()
}

pub(super) fn payments_and_allocations_are_read_as_of_a_date(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    // INV-1 10,000 and INV-2 5,000; a payment of 12,000 on 02-01 pays INV-1 and
    // 2,000 of INV-2. One of 6,000 on 03-01 pays INV-2's 3,000 and holds 3,000.
    let (c, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    let mut txn = store.write(b.hint())?;
    let q = txn.insert_payment(&payment(c, "2026-03-01", 6_000, None))?;
    txn.replay_clients(&[(c, d("2026-03-01"))], &replay)?;
    txn.commit()?;
    let mut read = store.read()?;
    let lines = |read: &mut dyn ReadTxn, id, as_of| -> Result<Vec<(i64, i64)>> {
        Ok(read
            .invoice_allocations(id, d(as_of))?
            .into_iter()
            .map(|a| (a.payment_id.unwrap_or(0), a.amount.minor))
            .collect())
    };
    assert_eq!(lines(&mut *read, i2, "2026-02-15")?, [(p, 2_000)]);
    assert_eq!(lines(&mut *read, i2, "2026-12-31")?, [(p, 2_000), (q, 3_000)]);
    assert_eq!(lines(&mut *read, i1, "2026-01-31")?, []);
    let listed = |read: &mut dyn ReadTxn, with_credit, as_of| -> Result<Vec<(i64, i64)>> {
        let mut v = Vec::new();
        read.payments(
            &PaymentFilter {
                client_id: Some(c),
                with_credit,
                as_of: d(as_of),
            },
            &mut |pay| {
                v.push((pay.id, pay.unapplied.minor));
                Ok(())
            },
        )?;
        Ok(v)
    };
    assert_eq!(
        listed(&mut *read, false, "2026-02-15")?,
        [(p, 0)],
        "none dated later"
    );
    assert_eq!(listed(&mut *read, false, "2026-12-31")?, [(p, 0), (q, 3_000)]);
    assert_eq!(listed(&mut *read, true, "2026-12-31")?, [(q, 3_000)]);
    assert_eq!(read.payments_after(c, d("2026-02-01"), p)?, 1);
    assert_eq!(
        read.payments_after(c, d("2026-02-01"), q)?,
        0,
        "p is on, not after, 02-01"
    );
    assert_eq!(read.payments_after(c, d("2026-03-01"), p)?, 0);
    assert_eq!(read.integrity_problems()?, Vec::<String>::new());
    Ok(())
}

pub(super) fn ids_grow_in_entry_order_across_transactions(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    // A dropped transaction may use ids up or give them back: either way they grow.
    {
        let mut txn = store.write(b.hint())?;
        txn.insert_invoice(&invoice("GONE", c, "2026-01-01", 1))?;
    }
    let mut txn = store.write(b.hint())?;
    let i3 = txn.insert_invoice(&invoice("INV-3", c, "2026-01-01", 1))?;
    let q = txn.insert_payment(&payment(c, "2026-01-01", 1, None))?;
    let c2 = txn.insert_client(&client("LATER"))?;
    txn.commit()?;
    assert!(0 < i1 && i1 < i2 && i2 < i3, "{i1} {i2} {i3}");
    assert!(0 < p && p < q, "{p} {q}");
    assert!(0 < c && c < c2, "{c} {c2}");
    Ok(())
}

pub(super) fn every_clients_state_is_what_the_per_client_questions_say(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, _, _) = small_ledger(&mut *store, b.hint())?;
    let mut txn = store.write(b.hint())?;
    let quiet = txn.insert_client(&client("QUIET"))?;
    txn.insert_invoice(&invoice("Q-1", quiet, "2026-01-01", 100))?;
    let v = txn.insert_invoice(&invoice("V-1", c, "2026-03-01", 100))?;
    txn.void_invoice(v, d("2026-03-01"), d("2026-03-01"), None)?;
    txn.insert_client(&client("EMPTY"))?;
    txn.commit()?;
    let mut read = store.read()?;
    let mut seen = Vec::new();
    read.each_client_state(&mut |client, scope, derived| {
        seen.push((client, format!("{scope:?}"), derived));
        Ok(())
    })?;
    let mut expected = Vec::new();
    for client in read.client_refs()? {
        let scope = read.replay_scope(client.id, Date::MIN)?;
        expected.push((client.id, format!("{scope:?}"), read.derived_state(client.id)?));
    }
    assert_eq!(seen, expected);
    Ok(())
}

pub(super) fn replaying_a_plan_is_replaying_each_client(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let mut plan = Vec::new();
    for (k, code) in ["A", "B", "C", "D"].into_iter().enumerate() {
        let c = txn.insert_client(&client(code))?;
        let i1 = txn.insert_invoice(&invoice(
            &format!("{code}-1"),
            c,
            "2026-01-01",
            1_000 * (k as i64 + 1),
        ))?;
        txn.insert_invoice(&invoice(&format!("{code}-2"), c, "2026-01-10", 500))?;
        if k != 2 {
            // C has no payments: nothing to replay.
            txn.insert_payment(&payment(c, "2026-02-01", 1_200, None))?;
            txn.insert_payment(&payment(c, "2026-01-20", 300, Some(i1)))?;
        }
        plan.push((c, d("2026-01-01")));
    }
    txn.replay_clients(&plan, &replay)?;
    txn.commit()?;
    let mut read = store.read()?;
    let mut replayed = 0;
    read.each_client_state(&mut |_, scope, stored| {
        let fresh = replay(scope.invoices, scope.payments, scope.corrections);
        let key = |a: &Allocation| (a.payment_id, a.invoice_id, a.amount, a.held);
        let mut s: Vec<_> = stored.allocations.iter().map(key).collect();
        let mut f: Vec<_> = fresh.allocations.iter().map(key).collect();
        s.sort();
        f.sort();
        assert_eq!(s, f);
        for state in &fresh.invoices {
            let got = stored.invoices.iter().find(|i| i.state.id == state.id).unwrap();
            assert_eq!(&got.state, state);
        }
        replayed += usize::from(!fresh.allocations.is_empty());
        Ok(())
    })?;
    assert_eq!(replayed, 3);
    Ok(())
}

pub(super) fn unnamed_payments_from_never_misses_one(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, _], _) = small_ledger(&mut *store, b.hint())?;
    let mut txn = store.write(b.hint())?;
    txn.insert_payment(&payment(c, "2026-03-01", 10, Some(i1)))?;
    let eur = Currency::parse("EUR")?;
    let mut p = payment(c, "2026-04-01", 10, None);
    p.currency = eur;
    txn.insert_payment(&p)?;
    // There is one (the unnamed USD payment of 2026-02-01; the EUR one of 04-01).
    assert!(txn.unnamed_payments_from(c, usd(), d("2026-02-01"))?);
    assert!(txn.unnamed_payments_from(c, eur, d("2026-04-01"))?);
    // A store may say yes when unsure, but says no only when there is none (a
    // backend that cannot tell says yes throughout).
    let exact = !txn.unnamed_payments_from(c, usd(), d("2026-02-02"))?;
    if exact {
        assert!(!txn.unnamed_payments_from(c, eur, d("2026-04-02"))?);
        assert!(!txn.unnamed_payments_from(c + 1, usd(), Date::MIN)?);
    }
    Ok(())
}

pub(super) fn report_rows_are_as_of_their_date(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, i2], _) = small_ledger(&mut *store, b.hint())?;
    let mut read = store.read()?;
    let open = |read: &mut dyn ReadTxn, as_of: &str| -> Result<Vec<(i64, i64)>> {
        let mut v = Vec::new();
        read.open_items(d(as_of), None, true, &mut |item| {
            v.push((item.client_id, item.open));
            Ok(())
        })?;
        v.sort();
        Ok(v)
    };
    assert_eq!(open(&mut *read, "2025-12-31")?, []);
    assert_eq!(open(&mut *read, "2026-01-20")?, [(c, 5_000), (c, 10_000)]);
    assert_eq!(open(&mut *read, "2026-02-01")?, [(c, 3_000)]);
    let mut closed = Vec::new();
    read.closed_items(d("2026-01-01"), d("2026-12-31"), &mut |item| {
        closed.push((item.closed_on, item.amount));
        Ok(())
    })?;
    assert_eq!(closed, [(d("2026-02-01"), 10_000)]);
    let mut issued = Vec::new();
    read.issued_amounts(d("2026-01-10"), d("2026-01-31"), &mut |c, amount| {
        issued.push((c, amount));
        Ok(())
    })?;
    assert_eq!(issued, [(usd(), 5_000)]);
    let at = |read: &mut dyn ReadTxn, id, as_of| -> Result<(i64, crate::domain::entities::InvoiceStatus)> {
        let inv = read.invoice(id, d(as_of))?.unwrap();
        Ok((inv.open.minor, inv.status))
    };
    use crate::domain::entities::InvoiceStatus::*;
    assert_eq!(at(&mut *read, i1, "2026-01-31")?, (10_000, Open));
    assert_eq!(at(&mut *read, i1, "2026-02-01")?, (0, Paid));
    assert_eq!(at(&mut *read, i2, "2026-02-01")?, (3_000, Open));
    let mut listed = Vec::new();
    read.invoices(
        &InvoiceFilter {
            client_id: Some(c),
            open_only: true,
            as_of: d("2026-01-10"),
        },
        &mut |i| {
            listed.push(i.number);
            Ok(())
        },
    )?;
    assert_eq!(listed, ["INV-1"], "only what was issued and open by then");
    Ok(())
}

pub(super) fn similar_payments_count_the_transactions_own(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let c = txn.insert_client(&client("ACME"))?;
    let key = |reference: Option<&str>| PaymentKey {
        client_id: c,
        date: d("2026-02-01"),
        currency: usd(),
        amount: 500,
        reference: reference.map(str::to_string),
    };
    assert_eq!(txn.similar_payments(&key(Some("bank 1")))?, 0);
    let mut p = payment(c, "2026-02-01", 500, None);
    p.reference = Some("bank 1");
    txn.insert_payment(&p)?;
    assert_eq!(txn.similar_payments(&key(Some("bank 1")))?, 1);
    assert_eq!(txn.similar_payments(&key(Some("bank 2")))?, 0);
    assert_eq!(txn.similar_payments(&key(None))?, 0);
    txn.insert_payment(&payment(c, "2026-02-01", 500, None))?;
    assert_eq!(txn.similar_payments(&key(None))?, 1);
    txn.insert_payment(&p)?;
    assert_eq!(
        txn.similar_payments(&key(Some("bank 1")))?,
        2,
        "a count, not whether"
    );
    txn.commit()?;
    let mut txn = store.write(b.hint())?;
    assert_eq!(txn.similar_payments(&key(Some("bank 1")))?, 2);
    txn.insert_payment(&p)?;
    assert_eq!(txn.similar_payments(&key(Some("bank 1")))?, 3);
    Ok(())
}

pub(super) fn a_writes_questions_see_its_entries_after_a_replay(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let c = txn.insert_client(&client("ACME"))?;
    let i = txn.insert_invoice(&invoice("INV-1", c, "2026-01-01", 1_000))?;
    let p = payment(c, "2026-02-01", 400, None);
    txn.insert_payment(&p)?;
    txn.replay_clients(&[(c, Date::MIN)], &replay)?;
    // The replay may have ended a fast mode's look-ups: answers are the same.
    let found = txn.invoice_ref("inv-1")?.expect("entered before the replay");
    assert_eq!((found.id, found.client_id), (i, c));
    assert!(txn.invoice_number_taken("INV-1")?);
    if let Some(view) = txn.invoice_lookup()? {
        assert_eq!(view.find("INV-1").map(|r| r.id), Some(i));
    }
    let key = PaymentKey {
        client_id: c,
        date: d("2026-02-01"),
        currency: usd(),
        amount: 400,
        reference: None,
    };
    assert_eq!(txn.similar_payments(&key)?, 1);
    // And entries after the replay are entered and found as ever.
    txn.insert_payment(&p)?;
    assert_eq!(txn.similar_payments(&key)?, 2);
    let i2 = txn.insert_invoice(&invoice("INV-2", c, "2026-03-01", 1_000))?;
    assert_eq!(txn.invoice_ref("INV-2")?.map(|r| r.id), Some(i2));
    txn.commit()
}

pub(super) fn imports_are_found_by_digest(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let record = ImportRecord {
        digest: "sha256:ab".into(),
        kind: "payments".into(),
        file: "p.csv".into(),
        rows: 3,
        imported_at: "2026-11-23T09:15:02Z".into(),
    };
    let mut txn = store.write(b.hint())?;
    assert_eq!(txn.find_import("sha256:ab")?, None);
    txn.record_import(&record)?;
    txn.commit()?;
    let mut txn = store.write(b.hint())?;
    assert_eq!(txn.find_import("sha256:ab")?, Some(record));
    Ok(())
}

pub(super) fn exports_stream_every_fact_in_entry_order(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (_, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    let mut read = store.read()?;
    let mut clients = Vec::new();
    read.each_client(usd(), &mut |c| {
        clients.push(c.code);
        Ok(())
    })?;
    assert_eq!(clients, ["ACME"]);
    let (mut invoices, mut payments) = (Vec::new(), Vec::new());
    read.each_invoice_and_payment(
        &mut |i| {
            invoices.push((i.id, i.settled.minor));
            Ok(())
        },
        &mut |pay| {
            payments.push((pay.id, pay.client.clone()));
            Ok(())
        },
    )?;
    assert_eq!(invoices, [(i1, 10_000), (i2, 2_000)]);
    assert_eq!(payments, [(p, "ACME".to_string())]);
    assert!(read.integrity_problems()?.is_empty());
    Ok(())
}

pub(super) fn a_read_is_a_snapshot(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    small_ledger(&mut *store, b.hint())?;
    let Some(mut other) = b.another() else {
        return Ok(()); // one handle per ledger: nothing can write beside a read
    };
    let mut read = store.read()?;
    assert!(read.client_by_code("ACME", usd())?.is_some());
    let writer = std::thread::spawn(move || -> Result<()> {
        let mut txn = other.write(WriteHint::ONE)?;
        txn.insert_client(&client("LATE"))?;
        txn.commit()
    });
    // The writer may wait for the read to end (a rollback journal) or not (WAL):
    // either way the read never sees the client.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(read.client_by_code("LATE", usd())?.is_none());
    drop(read);
    writer.join().expect("writer thread")?;
    assert!(store.read()?.client_by_code("LATE", usd())?.is_some());
    Ok(())
}

pub(super) fn two_writers_at_once_take_distinct_numbers_and_replay_correctly(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, _, _) = small_ledger(&mut *store, b.hint())?;
    let (Some(first), Some(second)) = (b.another(), b.another()) else {
        return Ok(()); // one handle per ledger: writers cannot meet
    };
    let taken = Arc::new(std::sync::Mutex::new(Vec::new()));
    let worker = |mut store: Box<dyn Store>, day: u32| {
        let taken = Arc::clone(&taken);
        std::thread::spawn(move || -> Result<()> {
            for k in 0..20u32 {
                // Busy is the one failure allowed (a backend that waits less than
                // the other writer holds): then try again, as a cron wrapper would.
                loop {
                    let attempt = (|| -> Result<u64> {
                        let mut txn = store.write(WriteHint::ONE)?;
                        let locked = txn.lock_client("ACME", usd())?.expect("client");
                        let n = txn.take_invoice_seq()?;
                        let number = format!("W-{n}");
                        let date = format!("2026-03-{:02}", 1 + (day + k) % 28);
                        let inv = txn.insert_invoice(&invoice(&number, locked.id, &date, 1_000))?;
                        txn.insert_payment(&payment(locked.id, &date, 700, Some(inv)))?;
                        txn.insert_payment(&payment(locked.id, &date, 400, None))?;
                        replay_client(&mut *txn, locked.id, d(&date))?;
                        txn.commit()?;
                        Ok(n)
                    })();
                    match attempt {
                        Ok(n) => {
                            taken.lock().unwrap().push(n);
                            break;
                        }
                        Err(e) if e.chain().any(|c| c.is::<Busy>()) => continue,
                        Err(e) => {
                            let e = store.explain(e);
                            if e.is::<Busy>() {
                                continue;
                            }
                            return Err(e);
                        }
                    }
                }
            }
            Ok(())
        })
    };
    let (a, b2) = (worker(first, 0), worker(second, 7));
    a.join().expect("first writer")?;
    b2.join().expect("second writer")?;
    let mut numbers = taken.lock().unwrap().clone();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 40, "every number taken once: {numbers:?}");
    // The derived state is what a fresh replay of all those facts gives.
    let mut read = store.read()?;
    let stored = read.derived_state(c)?;
    let scope = read.replay_scope(c, Date::MIN)?;
    let fresh = replay(scope.invoices, scope.payments, scope.corrections);
    let key = |a: &Allocation| (a.payment_id, a.invoice_id, a.amount, a.date);
    let mut s: Vec<_> = stored.allocations.iter().map(key).collect();
    let mut f: Vec<_> = fresh.allocations.iter().map(key).collect();
    s.sort();
    f.sort();
    assert_eq!(s, f);
    for state in &fresh.invoices {
        let got = stored.invoices.iter().find(|i| i.state.id == state.id).unwrap();
        assert_eq!(&got.state, state);
    }
    Ok(())
}

/// The credit as of `as_of`, per client, and the open balances, as reports read them.
fn credit_and_open(read: &mut dyn ReadTxn, as_of: &str) -> Result<(i64, Vec<i64>)> {
    let mut credit = 0;
    read.credit_items(d(as_of), None, &mut |item| {
        credit += item.unapplied;
        Ok(())
    })?;
    let mut open = Vec::new();
    read.open_items(d(as_of), None, false, &mut |item| {
        open.push(item.open);
        Ok(())
    })?;
    open.sort();
    Ok((credit, open))
}

pub(super) fn corrections_are_kept_and_read_as_of_their_dates(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let (c, [i1, i2], p) = small_ledger(&mut *store, b.hint())?;
    // INV-1 10,000 paid 2026-02-01; INV-2 5,000 with 2,000 paid then, 3,000 open.
    let mut txn = store.write(b.hint())?;
    let note = txn.insert_correction(&correction(
        CorrectionKind::CreditNote,
        c,
        "2026-02-10",
        Some(4_000),
        Some(i2),
        None,
    ))?;
    let write_off = txn.insert_correction(&correction(
        CorrectionKind::WriteOff,
        c,
        "2026-02-20",
        None,
        Some(i2),
        None,
    ))?;
    let reversal = txn.insert_correction(&correction(
        CorrectionKind::Reversal,
        c,
        "2026-03-01",
        None,
        None,
        Some(p),
    ))?;
    assert!(note < write_off && write_off < reversal, "ids in entry order");
    // A payment is reversed once.
    let again = txn.insert_correction(&correction(
        CorrectionKind::Reversal,
        c,
        "2026-03-02",
        None,
        None,
        Some(p),
    ));
    assert!(matches!(
        again.map_err(|e| e.downcast::<LedgerError>()),
        Err(Ok(LedgerError::AlreadyReversed { .. }))
    ));
    replay_client(&mut *txn, c, Date::MIN)?;
    txn.commit()?;
    let mut read = store.read()?;
    // A replay from any date gives, from that date on, what one from the beginning
    // gives (a client with corrections starts from what its credit and payments
    // held then).
    let scope = read.replay_scope(c, Date::MIN)?;
    assert_eq!(scope.corrections.len(), 3);
    let whole = replay(
        scope.invoices.clone(),
        scope.payments.clone(),
        scope.corrections.clone(),
    );
    for day in [
        "2026-01-20",
        "2026-02-01",
        "2026-02-10",
        "2026-02-20",
        "2026-03-01",
        "2026-06-01",
    ] {
        let part = read.replay_scope(c, d(day))?;
        assert!(part.from <= d(day), "{day}");
        let from = part.from;
        let outcome = replay(part.invoices, part.payments, part.corrections);
        let after = |allocations: &[Allocation]| -> Vec<Allocation> {
            let mut v: Vec<Allocation> = allocations.iter().filter(|a| a.date >= from).cloned().collect();
            v.sort_by_key(|a| (a.invoice_id, a.payment_id, a.correction_id, a.date, a.amount));
            v
        };
        assert_eq!(
            after(&outcome.allocations),
            after(&whole.allocations),
            "from {day}"
        );
        for state in &outcome.invoices {
            let full = whole.invoices.iter().find(|i| i.id == state.id).unwrap();
            assert_eq!(state, full, "from {day}");
        }
        assert!(outcome.problems.is_empty(), "from {day}: {:?}", outcome.problems);
    }
    // 2026-02-10: the note takes the 3,000 open on INV-2; its other 1,000 is credit.
    assert_eq!(credit_and_open(&mut *read, "2026-02-09")?, (0, vec![3_000]));
    assert_eq!(credit_and_open(&mut *read, "2026-02-10")?, (1_000, vec![]));
    // 2026-02-20: nothing left to write off; 2026-03-01: the payment's 12,000 is
    // open again (10,000 on INV-1, 2,000 on INV-2).
    assert_eq!(credit_and_open(&mut *read, "2026-02-28")?, (1_000, vec![]));
    assert_eq!(
        credit_and_open(&mut *read, "2026-03-01")?,
        (1_000, vec![2_000, 10_000])
    );
    let n = read.correction(note)?.unwrap();
    assert_eq!(
        (n.kind, n.done.minor, n.unapplied.minor),
        (CorrectionKind::CreditNote, 3_000, 1_000)
    );
    assert_eq!(read.correction(write_off)?.unwrap().done.minor, 0);
    assert_eq!(read.reversal_of(p)?.map(|r| r.id), Some(reversal));
    let lines: Vec<(AllocationKind, i64)> = read
        .correction_allocations(reversal)?
        .iter()
        .map(|a| (a.kind, a.amount.minor))
        .collect();
    assert_eq!(
        lines,
        [
            (AllocationKind::Reversal, 10_000),
            (AllocationKind::Reversal, 2_000)
        ]
    );
    let lines: Vec<AllocationKind> = read.payment_allocations(p)?.iter().map(|a| a.kind).collect();
    assert_eq!(
        lines,
        [
            AllocationKind::Payment,
            AllocationKind::Payment,
            AllocationKind::Reversal,
            AllocationKind::Reversal
        ],
        "where a payment went, and its reversal"
    );
    // Days to pay as of a date before the reversal counts INV-1 as paid then; after
    // it, INV-1 is open again. (INV-2 closed by the credit note: never counted.)
    let closed = |read: &mut dyn ReadTxn, until: &str| -> Result<Vec<Date>> {
        let mut v = Vec::new();
        read.closed_items(d("2025-01-01"), d(until), &mut |item| {
            v.push(item.closed_on);
            Ok(())
        })?;
        Ok(v)
    };
    assert_eq!(closed(&mut *read, "2026-02-28")?, [d("2026-02-01")]);
    assert_eq!(closed(&mut *read, "2026-03-31")?, Vec::<Date>::new());
    let stored = read.derived_state(c)?;
    let fresh = replay(scope.invoices, scope.payments, scope.corrections);
    assert_eq!(stored.closings, fresh.closings);
    assert_eq!(stored.corrections.len(), 3);
    assert_eq!(
        stored
            .allocations
            .iter()
            .filter(|a| a.invoice_id == Some(i1))
            .count(),
        2,
        "INV-1: the payment, and its reversal"
    );
    Ok(())
}

pub(super) fn a_void_counts_until_its_date(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let c = txn.insert_client(&client("ACME"))?;
    let v = txn.insert_invoice(&invoice("V-1", c, "2026-01-01", 7_000))?;
    txn.void_invoice(v, d("2026-02-01"), d("2026-02-01"), Some("twice"))?;
    replay_client(&mut *txn, c, d("2026-02-01"))?;
    txn.commit()?;
    let mut read = store.read()?;
    assert_eq!(credit_and_open(&mut *read, "2026-01-31")?, (0, vec![7_000]));
    assert_eq!(credit_and_open(&mut *read, "2026-02-01")?, (0, vec![]));
    let issued = |read: &mut dyn ReadTxn, until: &str| -> Result<i64> {
        let mut total = 0;
        read.issued_amounts(d("2025-12-31"), d(until), &mut |_, amount| {
            total += amount;
            Ok(())
        })?;
        Ok(total)
    };
    assert_eq!(issued(&mut *read, "2026-01-31")?, 7_000);
    assert_eq!(issued(&mut *read, "2026-02-01")?, 0);
    use crate::domain::entities::InvoiceStatus;
    assert_eq!(
        read.invoice(v, d("2026-01-31"))?.unwrap().status,
        InvoiceStatus::Open
    );
    assert_eq!(
        read.invoice(v, d("2026-02-01"))?.unwrap().status,
        InvoiceStatus::Void
    );
    assert!(read.invoice_ref("V-1")?.unwrap().void);
    Ok(())
}

pub(super) fn every_fact_records_who_entered_it(b: &dyn Backend) -> Result<()> {
    let mut store = b.fresh();
    let mut txn = store.write(b.hint())?;
    let author = Author {
        entered_at: "2026-11-23T09:15:02Z".into(),
        entered_by: "alice".into(),
        command: "pay".into(),
    };
    txn.set_author(Some(&author))?;
    let c = txn.insert_client(&client("ACME"))?;
    let i = txn.insert_invoice(&invoice("INV-1", c, "2026-01-01", 100))?;
    txn.set_author(None)?;
    let p = txn.insert_payment(&payment(c, "2026-01-02", 100, None))?;
    txn.set_author(Some(&author))?;
    txn.record_client_change(&ClientChange {
        client_id: c,
        field: "name",
        old: Some("ACME Ltd".into()),
        new: Some("Acme".into()),
    })?;
    txn.commit()?;
    let mut read = store.read()?;
    let who = Some(("2026-11-23T09:15:02Z".to_string(), "alice".to_string()));
    assert_eq!(read.entered(EntryKind::Invoice, i)?, who);
    assert_eq!(
        read.entered(EntryKind::Payment, p)?,
        None,
        "entered as before the audit trail"
    );
    let mut log = Vec::new();
    read.log(Some(c), None, &mut |e| {
        log.push((e.entry, e.entered_by));
        Ok(())
    })?;
    assert_eq!(
        log,
        [
            ("payment".to_string(), None),
            ("client".to_string(), Some("alice".to_string())),
            ("client_change".to_string(), Some("alice".to_string())),
            ("invoice".to_string(), Some("alice".to_string())),
        ],
        "what has no author first, then by write and kind"
    );
    let mut since = 0;
    read.log(None, Some(d("2026-11-24")), &mut |_| {
        since += 1;
        Ok(())
    })?;
    assert_eq!(since, 0);
    Ok(())
}

/// The suite, instantiated for one backend: `storage_tests!(module, backend_expr)`.
macro_rules! storage_tests {
    ($name:ident, $backend:expr) => {
        mod $name {
            use super::*;
            fn backend() -> Option<Box<dyn Backend>> {
                let backend: Option<Box<dyn Backend>> = $backend;
                backend
            }
            storage_tests!(@each
                settings_round_trip,
                corrections_are_kept_and_read_as_of_their_dates,
                a_void_counts_until_its_date,
                every_fact_records_who_entered_it,
                numbering_advances_and_a_rollback_gives_values_back,
                clients_are_unique_in_any_ascii_case,
                invoice_numbers_are_unique_in_any_ascii_case,
                an_invoice_lookup_answers_as_invoice_ref,
                a_dropped_write_leaves_nothing,
                replay_scopes_hold_what_a_replay_from_a_date_needs,
                a_saved_replay_is_what_the_store_derives,
                a_replay_from_a_date_keeps_what_came_before,
                a_payments_allocations_are_where_its_replay_put_them,
                a_writes_questions_see_its_entries_after_a_replay,
                payments_and_allocations_are_read_as_of_a_date,
                ids_grow_in_entry_order_across_transactions,
                every_clients_state_is_what_the_per_client_questions_say,
                replaying_a_plan_is_replaying_each_client,
                unnamed_payments_from_never_misses_one,
                report_rows_are_as_of_their_date,
                similar_payments_count_the_transactions_own,
                imports_are_found_by_digest,
                exports_stream_every_fact_in_entry_order,
                a_read_is_a_snapshot,
                two_writers_at_once_take_distinct_numbers_and_replay_correctly
            );
        }
    };
    (@each $($test:ident),*) => {
        $(
            #[test]
            fn $test() {
                // A backend without its server here (PostgreSQL) skips, with a note.
                if let Some(backend) = backend() {
                    super::$test(&*backend).unwrap();
                }
            }
        )*
    };
}

/// SQLite: a file in a temporary directory (several handles share it), or memory.
struct SqliteBackend {
    dir: tempfile::TempDir,
    file: bool,
    bulk: bool,
    /// Replays read each client's every invoice, as on a ledger where thousands
    /// closed since the replay's start (`set_recent_closed(0)`).
    reads_whole_clients: bool,
    last: std::sync::Mutex<Option<std::path::PathBuf>>,
}

impl SqliteBackend {
    fn new(file: bool, bulk: bool) -> SqliteBackend {
        SqliteBackend {
            dir: tempfile::tempdir().expect("temp dir"),
            file,
            bulk,
            reads_whole_clients: false,
            last: std::sync::Mutex::new(None),
        }
    }

    fn reading_whole_clients() -> SqliteBackend {
        SqliteBackend {
            reads_whole_clients: true,
            ..SqliteBackend::new(true, false)
        }
    }

    fn set_up(&self, mut store: super::sqlite::SqliteStore) -> Box<dyn Store> {
        if self.reads_whole_clients {
            store.set_recent_closed(0);
        }
        Box::new(store)
    }
}

impl Backend for SqliteBackend {
    fn fresh(&self) -> Box<dyn Store> {
        use super::sqlite::{Access, Location, SqliteStore};
        if !self.file {
            return self.set_up(SqliteStore::open_in_memory().expect("memory store"));
        }
        let mut last = self.last.lock().unwrap();
        let n = std::fs::read_dir(self.dir.path()).map(|d| d.count()).unwrap_or(0);
        let path = self.dir.path().join(format!("ledger-{n}.db"));
        *last = Some(path.clone());
        self.set_up(SqliteStore::open(&path, Access::Write, Location::Given).expect("file store"))
    }

    fn another(&self) -> Option<Box<dyn Store>> {
        use super::sqlite::{Access, Location, SqliteStore};
        let path = self.last.lock().unwrap().clone()?;
        Some(self.set_up(SqliteStore::open(&path, Access::Write, Location::Given).expect("file store")))
    }

    fn hint(&self) -> WriteHint {
        if self.bulk {
            WriteHint { entries: u64::MAX }
        } else {
            WriteHint::ONE
        }
    }
}

storage_tests!(sqlite_file, Some(Box::new(SqliteBackend::new(true, false))));
storage_tests!(sqlite_memory, Some(Box::new(SqliteBackend::new(false, false))));
storage_tests!(sqlite_file_bulk, Some(Box::new(SqliteBackend::new(true, true))));
storage_tests!(
    sqlite_memory_bulk,
    Some(Box::new(SqliteBackend::new(false, true)))
);
storage_tests!(
    sqlite_file_whole_clients,
    Some(Box::new(SqliteBackend::reading_whole_clients()))
);

/// PostgreSQL: a new database on the test server per ledger (several handles share
/// it); skipped, with a note, where there is no server (`pg::testing`).
struct PgBackend {
    bulk: bool,
    last: std::sync::Mutex<Option<String>>,
}

impl PgBackend {
    fn on_test_server(bulk: bool) -> Option<Box<dyn Backend>> {
        super::pg::testing::server()?;
        Some(Box::new(PgBackend {
            bulk,
            last: std::sync::Mutex::new(None),
        }))
    }

    fn open(&self, address: &str) -> Box<dyn Store> {
        let mut store =
            super::pg::PgStore::open(address, super::sqlite::Access::Write).expect("server store");
        if self.bulk {
            store.set_bulk_entries(0);
        }
        Box::new(store)
    }
}

impl Backend for PgBackend {
    fn fresh(&self) -> Box<dyn Store> {
        let address = super::pg::testing::fresh_database().expect("a test server");
        *self.last.lock().unwrap() = Some(address.clone());
        self.open(&address)
    }

    fn another(&self) -> Option<Box<dyn Store>> {
        let address = self.last.lock().unwrap().clone()?;
        Some(self.open(&address))
    }

    fn hint(&self) -> WriteHint {
        if self.bulk {
            WriteHint { entries: u64::MAX }
        } else {
            WriteHint::ONE
        }
    }
}

storage_tests!(postgres, PgBackend::on_test_server(false));
storage_tests!(postgres_bulk, PgBackend::on_test_server(true));
