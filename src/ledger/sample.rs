//! The sample ledger of `ar demo`: a dozen clients with the payment habits seen in
//! practice (prompt, regular, late, chronic, a defaulter), two years of invoices up to
//! "today" and their payments. Deterministic for a given today, so it can be tested.

use std::collections::HashMap;

use anyhow::Result;

use super::{Batch, Ledger, NewClient, NewInvoice, NewPayment};
use crate::domain::dates::add_days;
use crate::domain::{Date, Terms, money::format_minor};

/// (code, name, terms, habit: (min, max) days from issue to payment, share never paid %)
/// (code, name, terms, (min, max) days to pay, % of invoices never paid)
type SampleClient = (&'static str, &'static str, &'static str, (i64, i64), u64);

const CLIENTS: &[SampleClient] = &[
    ("ACME", "Acme Ltd", "30", (24, 44), 0),
    ("GLOBEX", "Globex Corporation", "2/10 net 30", (5, 12), 0),
    ("INITECH", "Initech", "30", (35, 65), 0),
    ("UMBRELLA", "Umbrella Co", "45", (40, 70), 0),
    ("STARK", "Stark Industries", "14", (3, 20), 0),
    ("WAYNE", "Wayne Enterprises", "30", (24, 44), 0),
    ("HOOLI", "Hooli", "60", (60, 120), 5),
    ("VANDELAY", "Vandelay Industries", "30", (90, 400), 60),
    ("SOYLENT", "Soylent Foods", "30", (26, 40), 0),
    ("WONKA", "Wonka Confectionery", "2/10 net 30", (8, 35), 0),
    ("TYRELL", "Tyrell Corp", "30", (35, 65), 3),
    ("CYBERDYNE", "Cyberdyne Systems", "30", (28, 50), 0),
];

/// A small deterministic generator (SplitMix64): the demo must not vary between runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn percent(&mut self) -> u64 {
        self.next() % 100
    }
}

/// Fill an empty ledger with the sample, ending on `today`. Returns invoice and
/// payment counts.
pub fn build_sample(ledger: &mut Ledger, today: Date) -> Result<(usize, usize)> {
    ledger.batch(|b| {
        b.mark_demo()?;
        let mut rng = Rng(20_261_123);
        let start = add_days(today, -730)?;
        let mut entries: Vec<Entry> = Vec::new();
        for &(code, name, terms, (lo, hi), never_pct) in CLIENTS {
            b.add_client(NewClient {
                code: code.into(),
                name: name.into(),
                email: Some(format!("accounts@{}.example", code.to_lowercase())),
                terms: Some(Terms::parse(terms)?),
                credit_limit: Some(["10000", "25000", "50000"][(rng.next() % 3) as usize].into()),
            })?;
            let count = rng.range(25, 55);
            for _ in 0..count {
                let issue = add_days(start, rng.range(0, 730))?;
                let amount = rng.range(15_000, 950_000);
                let key = entries.len();
                entries.push(Entry::Invoice {
                    key,
                    code,
                    issue,
                    amount,
                });
                if rng.percent() < never_pct {
                    continue;
                }
                let paid = add_days(issue, rng.range(lo, hi))?;
                if paid > today {
                    continue;
                }
                let style = rng.percent();
                let discount = Terms::parse(terms)?.discount_on(amount);
                let in_window = (paid - issue).num_days() <= 10;
                let pay = if in_window { amount - discount } else { amount };
                if style < 80 {
                    entries.push(Entry::Payment {
                        code,
                        date: paid,
                        amount: pay,
                        invoice: Some(key),
                    });
                } else if style < 90 {
                    // Two instalments, the second still to come when it falls after
                    // today. (A second instalment that never came would leave prompt
                    // payers with balances over 90 days, which is not their habit.)
                    let first = pay / 2;
                    entries.push(Entry::Payment {
                        code,
                        date: paid,
                        amount: first,
                        invoice: Some(key),
                    });
                    let second = add_days(paid, rng.range(10, 30))?;
                    if second <= today {
                        entries.push(Entry::Payment {
                            code,
                            date: second,
                            amount: amount - first,
                            invoice: Some(key),
                        });
                    }
                } else if style < 95 {
                    entries.push(Entry::Payment {
                        code,
                        date: paid,
                        amount: pay,
                        invoice: None,
                    });
                } else {
                    entries.push(Entry::Payment {
                        code,
                        date: paid,
                        amount: pay + rng.range(1_000, 20_000),
                        invoice: Some(key),
                    });
                }
            }
        }
        write_entries(b, entries)
    })
}

enum Entry {
    Invoice {
        key: usize,
        code: &'static str,
        issue: Date,
        amount: i64,
    },
    Payment {
        code: &'static str,
        date: Date,
        amount: i64,
        invoice: Option<usize>,
    },
}

impl Entry {
    fn date(&self) -> Date {
        match self {
            Entry::Invoice { issue, .. } => *issue,
            Entry::Payment { date, .. } => *date,
        }
    }
}

fn write_entries(b: &mut Batch, mut entries: Vec<Entry>) -> Result<(usize, usize)> {
    // Invoices numbered in issue order, then payments in date order naming them.
    entries.sort_by_key(|e| (matches!(e, Entry::Payment { .. }), e.date()));
    let mut numbers: HashMap<usize, String> = HashMap::new();
    let (mut invoices, mut payments) = (0, 0);
    for e in &entries {
        match e {
            Entry::Invoice {
                key,
                code,
                issue,
                amount,
            } => {
                invoices += 1;
                let number = format!("INV-{invoices:04}");
                b.add_invoice(NewInvoice {
                    client: (*code).into(),
                    amount: format_minor(*amount, 2, false),
                    currency: None,
                    issue_date: *issue,
                    due_date: None,
                    terms: None,
                    number: Some(number.clone()),
                    description: None,
                })?;
                numbers.insert(*key, number);
            }
            Entry::Payment {
                code,
                date,
                amount,
                invoice,
            } => {
                payments += 1;
                b.record_payment(NewPayment {
                    client: (*code).into(),
                    amount: format_minor(*amount, 2, false),
                    currency: None,
                    date: *date,
                    invoice: invoice.and_then(|k| numbers.get(&k).cloned()),
                    reference: Some(format!("BANK-{payments:05}")),
                })?;
            }
        }
    }
    b.set_next_invoice_seq(invoices as u64 + 1)?;
    Ok((invoices, payments))
}
