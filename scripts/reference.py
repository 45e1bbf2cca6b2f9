#!/usr/bin/env python3
"""Independent reference implementation of the `ar` ledger semantics.

Written from the ledger-semantics spec alone (not from the Rust code), the way an
auditor recomputes figures with a second system. It reads a directory holding
clients.csv, invoices.csv and payments.csv in the import layout that
`ar demo --csv DIR` writes, and prints what `ar aging --format json` or
`ar days-to-pay --format json` should print for the given as-of date (default
buckets 30,60,90 on the due-date basis; days to pay over 365 days, DSO over 90).

    reference.py DIR --as-of YYYY-MM-DD --report aging|days-to-pay

Python 3.11, standard library only. Money is integer minor units throughout;
ratios and discount percents are fractions.Fraction; nothing on the path of a
figure is a float.

What it models: the replay of payments in (date, entry order); rule 1 (a named
invoice, up to its open balance), rule 2 (oldest first by due date, issue date,
number, in the payment's currency, among invoices issued on or before the
payment), rule 3 (what is left is unapplied credit, never applied later) and
rule 4 (early-payment discount, below); aging by days past due with credit and
totals per currency; days to pay and DSO per currency.

Rule 4 as read here: a client's `discount` column `P/D` (`2/10`, `1.5/10`) gives
every invoice of that client a discount of amount x P / 100, rounded half up to
the minor unit, for payments dated at most D days after the issue date (window
inclusive, counted from the issue date, whatever the due date). When such a
payment reaches an open invoice and what was paid on it plus what is left of the
payment reaches amount - discount, the payment pays amount - discount - paid so
far, the rest of the invoice is granted as a discount on the payment's date, and
the invoice is closed on that date (it counts as paid then in days to pay). What
is left of the payment goes on as usual: to the next oldest invoice when no
invoice is named, else to unapplied credit. A discount is granted at most once
per invoice. DSO's "invoiced" is the invoice amount, before any discount.

Readings of the spec made here (where the import layout is silent):
  * invoice currency empty -> the ledger default, USD;
  * invoice due_date empty -> issue_date + the client's terms_days (30 when empty);
  * an invoice takes its client's terms (terms_days, discount): the files hold
    no later changes of terms; invoice-level terms_days or discount columns are
    not modelled and make this script stop;
  * a payment's currency is its `currency` column when present, else the named
    invoice's currency, else the ledger default (USD);
  * entry order is CSV row order (clients, then invoices, then payments files);
  * the weighted mean days to pay of a group of paid invoices in more than one
    currency is null (amounts of different currencies are never added; the
    spec gives no exchange rate), as is the overall DSO with several currencies;
  * voids, credit notes and other corrections are not in these files and not
    modelled.
"""
import argparse
import csv
import datetime as dt
import os
import re
import sys
from collections import defaultdict
from fractions import Fraction

DEFAULT_CURRENCY = "USD"
LEDGER_TERM_DAYS = 30
MINOR_DIGITS = {"USD": 2, "AUD": 2, "NZD": 2, "EUR": 2, "JPY": 0, "KWD": 3, "BHD": 3}
BUCKET_BOUNDS = (30, 60, 90)
WINDOW_DAYS = 365
DSO_DAYS = 90


# ---------------------------------------------------------------- parsing

def minor_digits(currency):
    return MINOR_DIGITS.get(currency, 2)


def parse_amount(text, currency):
    """'1,234.56' -> 123456 (minor units), exactly. Positive amounts only."""
    s = text.strip().replace(",", "")
    if not s:
        raise ValueError("empty amount")
    whole, _, frac = s.partition(".")
    d = minor_digits(currency)
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > d:
        raise ValueError(f"bad amount {text!r} for {currency}")
    value = int(whole) * 10 ** d + int((frac + "0" * d)[:d] or "0")
    if value <= 0:
        raise ValueError(f"amount must be positive: {text!r}")
    return value


DISCOUNT_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)\s*$")


def parse_discount(text):
    """'2/10' -> (Fraction(2), 10); '1.5/10' -> (Fraction(3, 2), 10); '' -> None."""
    text = (text or "").strip()
    if not text:
        return None
    m = DISCOUNT_RE.match(text)
    if not m:
        sys.exit(f"reference.py: discount {text!r} is not of the form P/D (2/10, 1.5/10)")
    return Fraction(m.group(1)), int(m.group(2))


def discount_minor(amount, percent):
    """amount x percent / 100, rounded half up to the minor unit (amounts are positive)."""
    x = amount * percent / 100
    return (2 * x.numerator + x.denominator) // (2 * x.denominator)  # floor(x + 1/2)


def parse_date(text):
    return dt.date.fromisoformat(text.strip())


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class Invoice:
    __slots__ = ("number", "client", "issue", "due", "amount", "currency", "entry",
                 "terms", "paid", "discounted", "closed_on")

    def __init__(self, number, client, issue, due, amount, currency, entry, terms):
        self.number, self.client, self.issue, self.due = number, client, issue, due
        self.amount, self.currency, self.entry = amount, currency, entry
        # Rule 4 terms: (discount in minor units, window in days after issue), or None.
        self.terms = terms
        self.paid = 0           # minor units allocated by payments so far
        self.discounted = 0     # minor units granted as an early-payment discount
        self.closed_on = None   # the day the balance reached zero by payment or discount

    def fresh(self):
        return Invoice(self.number, self.client, self.issue, self.due, self.amount,
                       self.currency, self.entry, self.terms)

    @property
    def open(self):
        return self.amount - self.paid - self.discounted

    def apply(self, left, date):
        """Allocate up to `left` of a payment dated `date`; returns what was taken."""
        if self.open <= 0 or left <= 0:
            return 0
        if self.terms is not None and not self.discounted:
            discount, window = self.terms
            target = self.amount - discount
            # Rule 4: inside the window (inclusive, from the issue date), reaching
            # amount - discount closes the invoice with a discount for the rest.
            if (date - self.issue).days <= window and self.paid + left >= target:
                take = max(target - self.paid, 0)
                self.paid += take
                self.discounted = self.amount - self.paid
                self.closed_on = date
                return take
        take = min(left, self.open)
        self.paid += take
        if self.open == 0:
            self.closed_on = date
        return take


def load(directory):
    clients = {}  # lower(code) -> dict(code, name, terms)
    for row in read_csv(os.path.join(directory, "clients.csv")):
        code = row["code"].strip()
        terms = (row.get("terms_days") or "").strip()
        clients.setdefault(code.lower(), {"code": code, "name": row["name"].strip(),
                                          "terms": int(terms) if terms else LEDGER_TERM_DAYS,
                                          "discount": parse_discount(row.get("discount"))})

    invoices = {}
    for k, row in enumerate(read_csv(os.path.join(directory, "invoices.csv"))):
        client = clients[row["client"].strip().lower()]
        if (row.get("terms_days") or "").strip() or (row.get("discount") or "").strip():
            sys.exit(f"reference.py: invoices.csv line {k + 2}: invoice-level terms "
                     "(terms_days, discount) are not modelled")
        currency = (row.get("currency") or "").strip().upper() or DEFAULT_CURRENCY
        issue = parse_date(row["issue_date"])
        due_text = (row.get("due_date") or "").strip()
        due = parse_date(due_text) if due_text else issue + dt.timedelta(days=client["terms"])
        number = row["number"].strip()
        amount = parse_amount(row["amount"], currency)
        terms = None
        if client["discount"] is not None:
            percent, window = client["discount"]
            terms = (discount_minor(amount, percent), window)
        invoices[number] = Invoice(number, client["code"], issue, due, amount, currency, k,
                                   terms)

    payments = []
    for k, row in enumerate(read_csv(os.path.join(directory, "payments.csv"))):
        client = clients[row["client"].strip().lower()]
        named = (row.get("invoice") or "").strip() or None
        currency = (row.get("currency") or "").strip().upper()
        if not currency:
            currency = invoices[named].currency if named in invoices else DEFAULT_CURRENCY
        payments.append({"client": client["code"], "date": parse_date(row["date"]),
                         "amount": parse_amount(row["amount"], currency),
                         "currency": currency, "invoice": named, "entry": k})
    return clients, invoices, payments


# ---------------------------------------------------------------- replay

def replay(invoices, payments, as_of):
    """Replay the ledger truncated to `as_of` (entries dated on or before it).

    Returns (invoices that exist at as_of, credit by (client, currency)).
    Allocation state lives on fresh Invoice objects, so each call is independent.
    """
    live = {}
    for inv in invoices.values():
        if inv.issue <= as_of:
            live[inv.number] = inv.fresh()
    by_client = defaultdict(list)  # (client, currency) -> invoices, oldest-first order
    for inv in live.values():
        by_client[(inv.client, inv.currency)].append(inv)
    for lst in by_client.values():
        lst.sort(key=lambda i: (i.due, i.issue, i.number))

    credit = defaultdict(int)
    for p in sorted((p for p in payments if p["date"] <= as_of),
                    key=lambda p: (p["date"], p["entry"])):
        left = p["amount"]
        if p["invoice"] is not None:
            inv = live.get(p["invoice"])
            # Rule 1: same client, same currency, issued on or before the payment date.
            if inv is None or inv.client != p["client"] or inv.currency != p["currency"] \
                    or inv.issue > p["date"]:
                sys.exit(f"reference.py: payment row {p['entry'] + 2} would be refused "
                         f"(invoice {p['invoice']})")
            left -= inv.apply(left, p["date"])
        else:
            # Rule 2: oldest first by (due date, issue date, number).
            for inv in by_client[(p["client"], p["currency"])]:
                if left == 0:
                    break
                if inv.issue > p["date"] or inv.open <= 0:
                    continue
                left -= inv.apply(left, p["date"])
        # Rule 3: the rest is unapplied credit, never applied by itself later.
        if left:
            credit[(p["client"], p["currency"])] += left
    return live, credit


# ---------------------------------------------------------------- output

class Num:
    """A JSON number written verbatim (exact decimal text)."""
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def money(minor, currency):
    d = minor_digits(currency)
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    if d == 0:
        return Num(f"{sign}{minor}")
    return Num(f"{sign}{minor // 10 ** d}.{minor % 10 ** d:0{d}d}")


def round2(x):
    """Fraction -> 2-decimal JSON number, half away from zero; None -> null."""
    if x is None:
        return None
    q = Fraction(x) * 100
    n = (abs(q.numerator) * 2 + q.denominator) // (2 * q.denominator)  # floor(|q| + 1/2)
    if q < 0:
        n = -n
    sign = "-" if n < 0 else ""
    n = abs(n)
    return Num(f"{sign}{n // 100}.{n % 100:02d}")


def dump(value, indent=0):
    pad, pad1 = "  " * indent, "  " * (indent + 1)
    if isinstance(value, Num):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        import json
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad1}{dump(k)}: {dump(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(pad1 + dump(v, indent + 1) for v in value) + "\n" + pad + "]"
    raise TypeError(type(value))


# ---------------------------------------------------------------- reports

def bucket_labels(bounds):
    labels, lo = ["current"], 1
    for b in bounds:
        labels.append(f"{lo}-{b}")
        lo = b + 1
    labels.append(f"{bounds[-1]}+")
    return labels


def bucket_of(days_overdue, bounds, labels):
    if days_overdue <= 0:
        return labels[0]
    for b, label in zip(bounds, labels[1:]):
        if days_overdue <= b:
            return label
    return labels[-1]


def aging(clients, invoices, payments, as_of):
    live, credit = replay(invoices, payments, as_of)
    labels = bucket_labels(BUCKET_BOUNDS)
    sums = defaultdict(lambda: defaultdict(int))  # (client, currency) -> label -> minor
    for inv in live.values():
        if inv.open > 0:
            label = bucket_of((as_of - inv.due).days, BUCKET_BOUNDS, labels)
            sums[(inv.client, inv.currency)][label] += inv.open
    keys = {k for k, s in sums.items() if any(s.values())} | {k for k, c in credit.items() if c}
    names = {c["code"]: c["name"] for c in clients.values()}
    rows, totals = [], defaultdict(lambda: defaultdict(int))
    for client, currency in sorted(keys):
        s = sums.get((client, currency), {})
        amounts = {label: s.get(label, 0) for label in labels}
        amounts["total"] = sum(amounts.values())
        amounts["unapplied"] = credit.get((client, currency), 0)
        row = {"client": client, "name": names[client], "currency": currency}
        row.update({k: money(v, currency) for k, v in amounts.items()})
        rows.append(row)
        for k, v in amounts.items():
            totals[currency][k] += v
    return {
        "as_of": as_of.isoformat(),
        "basis": "due",
        "buckets": labels,
        "rows": rows,
        "totals": [{"currency": cur, **{k: money(v, cur) for k, v in t.items()}}
                   for cur, t in sorted(totals.items())],
    }


def paid_stats(closed):
    """Figures over a list of invoices closed by payment in the window."""
    n = len(closed)
    if n == 0:
        return {"invoices_paid": 0, "mean_days_to_pay": None, "weighted_days_to_pay": None,
                "mean_days_beyond_terms": None, "paid_on_time_pct": None}
    days = [(i.closed_on - i.issue).days for i in closed]
    beyond = [(i.closed_on - i.due).days for i in closed]
    # Amounts of different currencies are never added: no weighted mean across them.
    weighted = None
    if len({i.currency for i in closed}) == 1:
        weighted = Fraction(sum(i.amount * d for i, d in zip(closed, days)),
                            sum(i.amount for i in closed))
    return {
        "invoices_paid": n,
        "mean_days_to_pay": round2(Fraction(sum(days), n)),
        "weighted_days_to_pay": round2(weighted),
        "mean_days_beyond_terms": round2(Fraction(sum(beyond), n)),
        "paid_on_time_pct": round2(Fraction(100 * sum(1 for b in beyond if b <= 0), n)),
    }


def days_to_pay(clients, invoices, payments, as_of):
    live, _credit = replay(invoices, payments, as_of)
    window_start = as_of - dt.timedelta(days=WINDOW_DAYS)   # exclusive
    dso_start = as_of - dt.timedelta(days=DSO_DAYS)         # exclusive
    closed = sorted((i for i in live.values()
                     if i.closed_on is not None and window_start < i.closed_on <= as_of),
                    key=lambda i: i.entry)

    open_by_cur, invoiced_by_cur = defaultdict(int), defaultdict(int)
    for inv in live.values():
        if inv.open > 0:
            open_by_cur[inv.currency] += inv.open
        if dso_start < inv.issue <= as_of:
            invoiced_by_cur[inv.currency] += inv.amount
    closed_by_cur = defaultdict(list)
    for inv in closed:
        closed_by_cur[inv.currency].append(inv)

    def dso(cur):
        inv_amt = invoiced_by_cur.get(cur, 0)
        if inv_amt == 0:
            return None
        return Fraction(open_by_cur.get(cur, 0) * DSO_DAYS, inv_amt)

    currencies = sorted(set(open_by_cur) | set(invoiced_by_cur) | set(closed_by_cur))
    by_currency = []
    for cur in currencies:
        entry = {"currency": cur, **paid_stats(closed_by_cur.get(cur, []))}
        entry["dso"] = round2(dso(cur))
        entry["open"] = money(open_by_cur.get(cur, 0), cur)
        entry["invoiced"] = money(invoiced_by_cur.get(cur, 0), cur)
        by_currency.append(entry)

    overall = paid_stats(closed)
    # DSO is per currency; the overall figure is only meaningful with a single currency.
    overall["dso"] = round2(dso(currencies[0])) if len(currencies) == 1 else None

    closed_by_client = defaultdict(list)
    for inv in closed:
        closed_by_client[inv.client].append(inv)
    by_code = {c["code"]: c for c in clients.values()}
    rows = []
    for code in sorted(closed_by_client):
        c = by_code[code]
        rows.append({"client": code, "name": c["name"], "term_days": c["terms"],
                     **paid_stats(closed_by_client[code])})
    return {
        "as_of": as_of.isoformat(),
        "window_days": WINDOW_DAYS,
        "term_days": LEDGER_TERM_DAYS,
        "dso_days": DSO_DAYS,
        "by": "client",
        "overall": overall,
        "by_currency": by_currency,
        "rows": rows,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="directory with clients.csv, invoices.csv, payments.csv")
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
    ap.add_argument("--report", required=True, choices=["aging", "days-to-pay"])
    a = ap.parse_args()
    clients, invoices, payments = load(a.dir)
    report = aging if a.report == "aging" else days_to_pay
    print(dump(report(clients, invoices, payments, a.as_of)))


if __name__ == "__main__":
    main()
