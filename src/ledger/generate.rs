//! Synthetic ledger generator: builds a believable, fully deterministic set of clients, invoices and
//! payments for demos, tests, benchmarks and cross-checks, and writes them as the three import CSV files.
//!
//! It owns only the *shape* of the sample data (payment habits, terms, sizes, amounts, the CSV layout of
//! its own output). It must not read the clock, the environment or any ledger state, must not touch
//! floating point anywhere on the path of a value (so the same [`GenSpec`] gives byte-identical output on
//! every platform and Rust version), and must not allocate a `String` per invoice or payment (a million
//! of each are held at once).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::Datelike;

use crate::domain::terms::discount_minor;

pub type Date = chrono::NaiveDate;

/// What to generate. Two equal specs always give the same [`Generated`], down to the byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSpec {
    pub invoices: u64,
    /// None: invoices / 40, at least 5.
    pub clients: Option<u64>,
    pub seed: u64,
    /// Last day of activity: no issue date or payment date after it.
    pub end: Date,
    /// Span of issue dates, in days before `end` (default 730).
    pub days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenClient {
    pub code: String,
    pub name: String,
    pub email: String,
    pub net_days: u32,
    /// Early-payment discount: (basis points, days), e.g. (200, 10) for 2/10 net 30.
    pub discount: Option<(u32, u32)>,
    /// Credit limit in minor units (cents), if any.
    pub credit_limit: Option<i64>,
}

/// Compact: a million of these are held. The number is derived from the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenInvoice {
    /// Index into `Generated::clients`.
    pub client: u32,
    pub issue: Date,
    /// An explicit due date; None = issue + the client's net days.
    pub due: Option<Date>,
    /// Minor units, > 0.
    pub amount: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenPayment {
    pub client: u32,
    pub date: Date,
    /// Minor units, > 0.
    pub amount: i64,
    /// Index into invoices (the sorted order), when the payment names one.
    pub invoice: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub clients: Vec<GenClient>,
    /// Sorted by (issue date, number).
    pub invoices: Vec<GenInvoice>,
    /// Sorted by (date, client, invoice index): the order they are written and entered.
    pub payments: Vec<GenPayment>,
}

impl Generated {
    /// "INV-0000001" for index 0: invoices are numbered in their sorted order.
    pub fn invoice_number(&self, i: u32) -> String {
        format!("INV-{:07}", u64::from(i) + 1)
    }

    /// "PMT-0000001" for index 0: references follow file order.
    pub fn payment_reference(&self, k: usize) -> String {
        format!("PMT-{:07}", k as u64 + 1)
    }
}

// ---------------------------------------------------------------------------------------------------
// Random numbers: our own generator, so the output never depends on a crate's or platform's choices.
// ---------------------------------------------------------------------------------------------------

/// SplitMix64: used only to spread a seed into generator state (it never yields four zero words in a row,
/// which xoshiro cannot start from).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256**: fast, small, and well studied.
struct Rng {
    state: [u64; 4],
}

/// The stream every invoice and payment is drawn from, in generation order.
const INVOICE_STREAM: u64 = 0;
/// The corrections of a generated ledger (credit notes, write-offs, reversals,
/// credit applied) draw from their own stream, so the rest is as it always was.
const CORRECTION_STREAM: u64 = u64::MAX;
/// Client `i` draws from stream `CLIENT_STREAM_BASE + i`, so a client's attributes depend only on the seed
/// and its position: a 13-client ledger's first 12 clients are the 12-client ledger's clients.
const CLIENT_STREAM_BASE: u64 = 1;

impl Rng {
    fn for_stream(seed: u64, stream: u64) -> Self {
        let seed_mixed = SplitMix64(seed).next();
        let stream_mixed = SplitMix64(stream ^ 0x6A09_E667_F3BC_C908).next();
        let mut spreader = SplitMix64(seed_mixed ^ stream_mixed);
        Rng {
            state: [spreader.next(), spreader.next(), spreader.next(), spreader.next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let shifted = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= shifted;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..bound` without modulo bias (Lemire's multiply-and-reject). `bound` must be > 0.
    fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let mut product = u128::from(self.next_u64()) * u128::from(bound);
        if (product as u64) < bound {
            let threshold = bound.wrapping_neg() % bound;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(bound);
            }
        }
        (product >> 64) as u64
    }

    /// Uniform in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }

    /// Index of an entry chosen with probability proportional to its integer weight.
    fn pick_weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut ticket = self.below(total);
        for (index, &weight) in weights.iter().enumerate() {
            let weight = u64::from(weight);
            if ticket < weight {
                return index;
            }
            ticket -= weight;
        }
        weights.len() - 1
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------------

/// How long a client takes to pay, from the issue date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Habit {
    Prompt,
    Regular,
    Late,
    Chronic,
    /// Pays very late when at all: most of its invoices are never paid.
    Defaulter,
}

impl Habit {
    /// Inclusive range of days from issue to payment.
    fn delay_days(self) -> (u64, u64) {
        match self {
            Habit::Prompt => (3, 20),
            Habit::Regular => (24, 44),
            Habit::Late => (35, 65),
            Habit::Chronic => (60, 120),
            Habit::Defaulter => (90, 400),
        }
    }
}

/// The habits of clients after the named list, with their shares in percent.
const HABITS: [Habit; 5] = [
    Habit::Prompt,
    Habit::Regular,
    Habit::Late,
    Habit::Chronic,
    Habit::Defaulter,
];
const HABIT_PERCENTS: [u32; 5] = [20, 55, 15, 7, 3];

const NET_DAYS: [u32; 4] = [30, 14, 45, 60];
const NET_DAYS_PERCENTS: [u32; 4] = [80, 8, 6, 6];

/// 2/10 net 30.
const EARLY_PAYMENT_DISCOUNT: (u32, u32) = (200, 10);
const DISCOUNT_NET_DAYS: u32 = 30;
const DISCOUNT_CLIENT_PERCENT: u64 = 5;

/// Whole currency units in minor units (cents): keeps money literals readable.
const fn units(whole: i64) -> i64 {
    whole * 100
}

/// None (weight first) or one of the usual round limits, the larger ones rarer.
const CREDIT_LIMITS: [Option<i64>; 6] = [
    None,
    Some(units(5_000)),
    Some(units(10_000)),
    Some(units(25_000)),
    Some(units(50_000)),
    Some(units(100_000)),
];
const CREDIT_LIMIT_WEIGHTS: [u32; 6] = [40, 18, 18, 12, 8, 4];

/// A client's share of the invoices is its weight over the total. One unit is the smallest Pareto
/// weight; the fine scale keeps the integer cube root precise.
const WEIGHT_UNIT: u64 = 1 << 12;
/// Caps the Pareto tail so one client cannot swallow a huge ledger.
const MAX_WEIGHT: u64 = 10_000 * WEIGHT_UNIT;

/// The well-known accounts that open every ledger. Their habit, terms and size are fixed so that even a
/// 12-client demo shows every habit (prompt, regular, late, chronic and one defaulter) and a discount
/// client; across the 40 the habit counts match the shares (8/22/6/3/1). `size` is in weight units:
/// they are the established, larger accounts (a random client averages 3 units).
struct NamedClient {
    code: &'static str,
    name: &'static str,
    habit: Habit,
    net_days: u32,
    discount: bool,
    size: u64,
}

const fn named(
    code: &'static str,
    name: &'static str,
    habit: Habit,
    net_days: u32,
    discount: bool,
    size: u64,
) -> NamedClient {
    NamedClient {
        code,
        name,
        habit,
        net_days,
        discount,
        size,
    }
}

// Short habit names keep the table below one client a line.
use Habit::{Chronic, Defaulter, Late, Prompt, Regular};

const NAMED_CLIENTS: [NamedClient; 40] = [
    named("ACME", "Acme Ltd", Regular, 30, false, 60),
    named("GLOBEX", "Globex Corporation", Prompt, 30, false, 40),
    named("INITECH", "Initech", Late, 30, false, 30),
    named("UMBRELLA", "Umbrella Corporation", Regular, 45, false, 25),
    named("STARK", "Stark Industries", Regular, 30, false, 20),
    named("WAYNE", "Wayne Enterprises", Prompt, 30, true, 20),
    named("HOOLI", "Hooli", Chronic, 60, false, 15),
    named("VANDELAY", "Vandelay Industries", Defaulter, 30, false, 15),
    named("SOYLENT", "Soylent Corp", Regular, 14, false, 12),
    named("WONKA", "Wonka Industries", Late, 30, false, 10),
    named("TYRELL", "Tyrell Corporation", Regular, 30, false, 10),
    named("CYBERDYNE", "Cyberdyne Systems", Prompt, 30, false, 8),
    // The comma and the quotes below are deliberate: they exercise CSV quoting in every demo.
    named("DEWEY", "Dewey, Cheatem & Howe", Regular, 30, false, 8),
    named("MASSIVE", "Massive Dynamic", Prompt, 30, false, 7),
    named("OSCORP", "Oscorp", Late, 30, false, 7),
    named("WEYLAND", "Weyland-Yutani", Regular, 45, false, 6),
    named("GRINGOTTS", "Gringotts Bank", Prompt, 30, true, 6),
    named("SPACELY", "Spacely Sprockets", Regular, 30, false, 5),
    named("COGSWELL", "Cogswell Cogs", Regular, 30, false, 5),
    named("MONARCH", "Monarch Solutions", Chronic, 30, false, 5),
    named("PLANETEX", "Planet Express", Late, 14, false, 5),
    named("DUFF", "Duff Brewery", Regular, 30, false, 4),
    named("KRUSTY", "Krusty \"Krunch\" Foods", Regular, 30, false, 4),
    named("BLUTH", "Bluth Company", Chronic, 60, false, 4),
    named("PIEDPIPER", "Pied Piper", Regular, 30, false, 4),
    named("AVIATO", "Aviato", Prompt, 30, false, 3),
    named("DUNDER", "Dunder Mifflin", Regular, 30, false, 3),
    named("STERLING", "Sterling Cooper", Regular, 45, false, 3),
    named("PRESTIGE", "Prestige Worldwide", Late, 30, false, 3),
    named("NAKATOMI", "Nakatomi Trading", Regular, 30, false, 3),
    named("ROXXON", "Roxxon Energy", Regular, 60, false, 3),
    named("ZORG", "Zorg Industries", Prompt, 30, false, 2),
    named("BIGKAHUNA", "Big Kahuna Burger", Regular, 14, false, 2),
    named("OCEANIC", "Oceanic Airlines", Regular, 30, false, 2),
    named("MOMCORP", "MomCorp", Late, 30, false, 2),
    named("SIRIUS", "Sirius Cybernetics", Regular, 30, false, 2),
    named("GEKKO", "Gekko & Co", Prompt, 30, false, 2),
    named("LACUNA", "Lacuna Inc", Regular, 30, false, 2),
    named("OMNICORP", "Omni Consumer Products", Regular, 30, false, 2),
    named("BLUESUN", "Blue Sun Corporation", Regular, 30, false, 2),
];

/// Parts of the made-up names of clients after the named list (names need not be unique; codes are).
const NAME_PLACES: [&str; 24] = [
    "Ashford",
    "Bramble",
    "Copper",
    "Dunmore",
    "Elmwood",
    "Fairview",
    "Granite",
    "Harbor",
    "Ivy",
    "Juniper",
    "Kestrel",
    "Lakeside",
    "Maple",
    "Northgate",
    "Oakridge",
    "Pinecrest",
    "Quarry",
    "Redwood",
    "Silverline",
    "Thornbury",
    "Upland",
    "Valley",
    "Westbrook",
    "Yarrow",
];
const NAME_TRADES: [&str; 24] = [
    "Analytics",
    "Bakery",
    "Builders",
    "Consulting",
    "Dental",
    "Design",
    "Electric",
    "Engineering",
    "Farms",
    "Foods",
    "Freight",
    "Hardware",
    "Logistics",
    "Media",
    "Motors",
    "Optics",
    "Plumbing",
    "Print",
    "Software",
    "Studios",
    "Supplies",
    "Textiles",
    "Travel",
    "Works",
];
const NAME_FORMS: [&str; 6] = ["Ltd", "LLC", "Inc", "& Co", "Group", "Partners"];

/// Everything the generator knows about a client, including what the CSV does not show.
struct ClientProfile {
    client: GenClient,
    habit: Habit,
    weight: u64,
}

/// A client's attributes, from the seed and its 0-based position alone.
fn client_profile(seed: u64, index: u64) -> ClientProfile {
    let mut rng = Rng::for_stream(seed, CLIENT_STREAM_BASE.wrapping_add(index));
    let credit_limit = CREDIT_LIMITS[rng.pick_weighted(&CREDIT_LIMIT_WEIGHTS)];
    let (code, name, habit, net_days, discount, weight) =
        match usize::try_from(index).ok().and_then(|i| NAMED_CLIENTS.get(i)) {
            Some(named) => {
                // Named sizes vary a little with the seed (75 %..125 %) so that seeds differ in every file.
                let weight = named.size * WEIGHT_UNIT * rng.between(75, 125) / 100;
                let discount = named.discount.then_some(EARLY_PAYMENT_DISCOUNT);
                (
                    named.code.to_string(),
                    named.name.to_string(),
                    named.habit,
                    named.net_days,
                    discount,
                    weight,
                )
            }
            None => {
                let weight = pareto_weight(&mut rng);
                let habit = HABITS[rng.pick_weighted(&HABIT_PERCENTS)];
                let (net_days, discount) = if rng.percent() < DISCOUNT_CLIENT_PERCENT {
                    (DISCOUNT_NET_DAYS, Some(EARLY_PAYMENT_DISCOUNT))
                } else {
                    (NET_DAYS[rng.pick_weighted(&NET_DAYS_PERCENTS)], None)
                };
                let name = format!(
                    "{} {} {}",
                    rng.pick(&NAME_PLACES),
                    rng.pick(&NAME_TRADES),
                    rng.pick(&NAME_FORMS)
                );
                (
                    format!("C{:06}", index + 1),
                    name,
                    habit,
                    net_days,
                    discount,
                    weight,
                )
            }
        };
    let email = format!("accounts@{}.example", code.to_ascii_lowercase());
    ClientProfile {
        client: GenClient {
            code,
            name,
            email,
            net_days,
            discount,
            credit_limit,
        },
        habit,
        weight,
    }
}

/// A Pareto weight of shape 1.5: `WEIGHT_UNIT * U^(-2/3)` for U uniform in (0, 1], computed as the integer
/// cube root of `WEIGHT_UNIT^3 * (2^32 / u)^2`. Shape 1.5 has mean 3 units and a long tail: a few clients
/// get many invoices, most get few.
fn pareto_weight(rng: &mut Rng) -> u64 {
    let u = u128::from(rng.below(1 << 32) + 1);
    let cubed = (u128::from(WEIGHT_UNIT).pow(3) << 64) / (u * u);
    integer_cube_root(cubed).min(MAX_WEIGHT)
}

/// Largest r with r³ ≤ x, for x < 2^105.
fn integer_cube_root(x: u128) -> u64 {
    let (mut low, mut high) = (0u64, 1u64 << 35);
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        if u128::from(mid).pow(3) <= x {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

// ---------------------------------------------------------------------------------------------------
// Invoices and payments
// ---------------------------------------------------------------------------------------------------

/// Invoice amount bands in cents, `[low, high)`, with integer weights: a 1-2-5 grid over five decades,
/// weighted like a log-normal around a median of about 1,000.00 but with fatter tails, so that a few
/// invoices are for a dollar or two and a few approach 100,000.00.
const AMOUNT_BANDS: [(i64, i64); 15] = [
    (units(1), units(2)),
    (units(2), units(5)),
    (units(5), units(10)),
    (units(10), units(20)),
    (units(20), units(50)),
    (units(50), units(100)),
    (units(100), units(200)),
    (units(200), units(500)),
    (units(500), units(1_000)),
    (units(1_000), units(2_000)),
    (units(2_000), units(5_000)),
    (units(5_000), units(10_000)),
    (units(10_000), units(20_000)),
    (units(20_000), units(50_000)),
    (units(50_000), units(100_000)),
];
const AMOUNT_BAND_WEIGHTS: [u32; 15] = [
    10, 25, 40, 80, 200, 350, 650, 1300, 1600, 1500, 1400, 700, 350, 200, 45,
];
/// Quotes and retainers are usually whole sums.
const ROUND_AMOUNT_PERCENT: u64 = 25;

const EXPLICIT_DUE_PERCENT: u64 = 10;
const EXPLICIT_DUE_EXTRA_DAYS: [u32; 3] = [0, 7, 15];

/// Cumulative shares (percent) of what happens to an invoice that is going to be paid.
const SINGLE_PAYMENT_BELOW: u64 = 80;
const INSTALMENTS_BELOW: u64 = 90;
const UNNAMED_PAYMENT_BELOW: u64 = 95;
// The rest: an overpayment naming the invoice.

const DEFAULTER_NEVER_PAYS_PERCENT: u64 = 70;
/// Discount clients take the discount this often, on single payments; otherwise they pay by habit, in full.
const TAKES_DISCOUNT_PERCENT: u64 = 85;
const EARLIEST_DISCOUNT_PAYMENT_DAY: u64 = 2;
const LAST_INSTALMENT_MISSING_PERCENT: u64 = 30;
const INSTALMENT_GAP_DAYS: (u64, u64) = (7, 30);
/// The unapplied credit an overpayment leaves, in cents.
const OVERPAYMENT_CENTS: (i64, i64) = (units(1), units(50));

fn invoice_amount(rng: &mut Rng) -> i64 {
    let (low, high) = AMOUNT_BANDS[rng.pick_weighted(&AMOUNT_BAND_WEIGHTS)];
    let cents = low + rng.below((high - low) as u64) as i64;
    if rng.percent() < ROUND_AMOUNT_PERCENT {
        (cents / units(1) * units(1)).max(units(1))
    } else {
        cents
    }
}

fn day_number(date: Date) -> i64 {
    i64::from(date.num_days_from_ce())
}

fn date_at(day: i64) -> Option<Date> {
    i32::try_from(day).ok().and_then(Date::from_num_days_from_ce_opt)
}

/// Collects the payments of one invoice, dropping those that would fall after the last day of activity
/// (they have not happened yet).
struct PaymentSink<'a> {
    payments: &'a mut Vec<GenPayment>,
    client: u32,
    /// Generation index until the invoices are sorted, then remapped.
    invoice: u32,
    issue_day: i64,
    end_day: i64,
}

impl PaymentSink<'_> {
    fn pay(&mut self, days_after_issue: u64, amount: i64, names_invoice: bool) {
        let day = self.issue_day.saturating_add_unsigned(days_after_issue);
        if day > self.end_day {
            return;
        }
        if let Some(date) = date_at(day) {
            let invoice = names_invoice.then_some(self.invoice);
            self.payments.push(GenPayment {
                client: self.client,
                date,
                amount,
                invoice,
            });
        }
    }
}

/// Decides how (and whether) one invoice is paid. The draws do not depend on `end`, so moving the end
/// date only cuts payments off; it does not reshuffle the ledger.
fn plan_payments(rng: &mut Rng, profile: &ClientProfile, amount: i64, sink: &mut PaymentSink) {
    let (earliest, latest) = profile.habit.delay_days();
    if profile.habit == Habit::Defaulter && rng.percent() < DEFAULTER_NEVER_PAYS_PERCENT {
        return;
    }
    let delay = rng.between(earliest, latest);
    let kind = rng.percent();
    if kind < SINGLE_PAYMENT_BELOW {
        if let Some((basis_points, window_days)) = profile.client.discount
            && rng.percent() < TAKES_DISCOUNT_PERCENT
        {
            let window_days = u64::from(window_days).max(EARLIEST_DISCOUNT_PAYMENT_DAY);
            let day = rng.between(EARLIEST_DISCOUNT_PAYMENT_DAY, window_days);
            sink.pay(day, amount - discount_minor(amount, basis_points), true);
        } else {
            sink.pay(delay, amount, true);
        }
    } else if kind < INSTALMENTS_BELOW {
        pay_in_instalments(rng, earliest, amount, sink);
    } else if kind < UNNAMED_PAYMENT_BELOW {
        sink.pay(delay, amount, false);
    } else {
        let extra =
            OVERPAYMENT_CENTS.0 + rng.below((OVERPAYMENT_CENTS.1 - OVERPAYMENT_CENTS.0 + 1) as u64) as i64;
        sink.pay(delay, amount + extra, true);
    }
}

/// Two or three roughly equal parts, a week to a month apart, starting around the habit's earliest day;
/// sometimes the last part never comes.
fn pay_in_instalments(rng: &mut Rng, earliest: u64, amount: i64, sink: &mut PaymentSink) {
    let parts = rng.between(2, 3) as i64;
    let last_missing = rng.percent() < LAST_INSTALMENT_MISSING_PERCENT;
    let mut day = rng.between((earliest / 2).max(1), earliest);
    let mut left = amount;
    for part_index in 0..parts {
        let parts_left = parts - part_index;
        let part = if parts_left == 1 {
            left
        } else {
            let even = left / parts_left;
            let jitter = even / 5;
            let part = even - jitter + rng.below((2 * jitter + 1) as u64) as i64;
            // Every later part must still get at least a cent.
            part.clamp(1, left - (parts_left - 1))
        };
        left -= part;
        if !(parts_left == 1 && last_missing) {
            sink.pay(day, part, true);
        }
        day += rng.between(INSTALMENT_GAP_DAYS.0, INSTALMENT_GAP_DAYS.1);
    }
}

/// Rearranges `items` so that position p holds what was at `order[p]`, following each cycle of the
/// permutation once. `order` is used up as the record of which positions are done.
fn permute_in_place(items: &mut [GenInvoice], order: &mut [u32]) {
    for start in 0..items.len() {
        if order[start] as usize == start {
            continue;
        }
        let held = items[start];
        let mut position = start;
        loop {
            let source = order[position] as usize;
            order[position] = position as u32;
            if source == start {
                items[position] = held;
                break;
            }
            items[position] = items[source];
            position = source;
        }
    }
}

/// Builds the ledger described by `spec`. Clients beyond `u32::MAX` or invoices beyond `u32::MAX` are not
/// generated (indices are `u32`); at least one client is always generated.
pub fn generate(spec: &GenSpec) -> Generated {
    let invoice_count = spec.invoices.min(u64::from(u32::MAX));
    let client_count = spec
        .clients
        .unwrap_or((spec.invoices / 40).max(5))
        .clamp(1, u64::from(u32::MAX));

    let profiles: Vec<ClientProfile> = (0..client_count).map(|i| client_profile(spec.seed, i)).collect();
    let cumulative_weights: Vec<u64> = profiles
        .iter()
        .scan(0u64, |total, profile| {
            *total += profile.weight;
            Some(*total)
        })
        .collect();
    let total_weight = cumulative_weights.last().copied().unwrap_or(0);

    let end_day = day_number(spec.end);
    let first_day = (end_day - i64::from(spec.days)).max(day_number(Date::MIN));
    let issue_span = (end_day - first_day) as u64 + 1;

    let mut rng = Rng::for_stream(spec.seed, INVOICE_STREAM);
    let mut invoices: Vec<GenInvoice> = Vec::with_capacity(invoice_count as usize);
    // About 1.1 payments per invoice are drawn; the estimate only saves reallocations.
    let mut payments: Vec<GenPayment> = Vec::with_capacity((invoice_count + invoice_count / 8) as usize);

    for generation_index in 0..invoice_count as u32 {
        let ticket = rng.below(total_weight);
        let client_index = cumulative_weights.partition_point(|&cumulative| cumulative <= ticket);
        let profile = &profiles[client_index];
        let issue_day = first_day + rng.below(issue_span) as i64;
        let amount = invoice_amount(&mut rng);
        let due = if rng.percent() < EXPLICIT_DUE_PERCENT {
            let extra = *rng.pick(&EXPLICIT_DUE_EXTRA_DAYS);
            date_at(issue_day + i64::from(profile.client.net_days) + i64::from(extra))
        } else {
            None
        };
        // first_day..=end_day lies within chrono's range, so the fallback is never taken.
        let issue = date_at(issue_day).unwrap_or(spec.end);
        let client = client_index as u32;
        invoices.push(GenInvoice {
            client,
            issue,
            due,
            amount,
        });
        let mut sink = PaymentSink {
            payments: &mut payments,
            client,
            invoice: generation_index,
            issue_day,
            end_day,
        };
        plan_payments(&mut rng, profile, amount, &mut sink);
    }

    // Number invoices in (issue date, generation order). The keys are total, so an unstable sort gives
    // the one possible order, and it sorts in place: no scratch copy of a million records.
    let mut order: Vec<u32> = (0..invoice_count as u32).collect();
    order.sort_unstable_by_key(|&generation_index| {
        (invoices[generation_index as usize].issue, generation_index)
    });
    let mut rank = vec![0u32; order.len()];
    for (position, &generation_index) in order.iter().enumerate() {
        rank[generation_index as usize] = position as u32;
    }
    for payment in &mut payments {
        if let Some(generation_index) = payment.invoice {
            payment.invoice = Some(rank[generation_index as usize]);
        }
    }
    drop(rank);
    permute_in_place(&mut invoices, &mut order);
    drop(order);
    // Only payments equal in every field tie on this key, so the unstable in-place sort is as
    // deterministic as a stable one. The amount makes the order a function of the payments themselves
    // (same client, same day, no invoice named).
    payments.sort_unstable_by_key(|p| (p.date, p.client, p.invoice, p.amount));

    let clients = profiles.into_iter().map(|profile| profile.client).collect();
    Generated {
        clients,
        invoices,
        payments,
    }
}

// ---------------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------------

const WRITE_BUFFER_BYTES: usize = 1 << 16;

/// Write clients.csv, invoices.csv, payments.csv and corrections.csv into `dir`
/// (which exists).
pub fn write_csv(g: &Generated, dir: &Path, seed: u64) -> io::Result<()> {
    write_file(&dir.join("clients.csv"), |out| write_clients_csv(g, out))?;
    write_file(&dir.join("invoices.csv"), |out| write_invoices_csv(g, out))?;
    write_file(&dir.join("payments.csv"), |out| write_payments_csv(g, out))?;
    write_file(&dir.join("corrections.csv"), |out| {
        write_corrections_csv(g, seed, out)
    })
}

/// A few percent of the invoices corrected, as a wholesaler's ledger is: about 1 in
/// 100 gets a credit note (a tenth of it, a week after issue), 1 in 100 of the older
/// ones is written off (what is left of it, four months after issue), 1 in 200
/// payments is reversed three days after it, 1 in 500 invoices brings a goodwill
/// credit on account, and every tenth client has its credit applied on the last day.
/// None of them can be refused: the stated amounts are credit notes', which never
/// are; the rest follow the replay. A fresh ledger numbers payments in file order,
/// which the reversals name.
fn write_corrections_csv(g: &Generated, seed: u64, out: &mut impl Write) -> io::Result<()> {
    let codes = client_code_fields(g);
    let end = g
        .invoices
        .iter()
        .map(|i| i.issue)
        .chain(g.payments.iter().map(|p| p.date))
        .max()
        .unwrap_or(Date::MIN);
    let mut rng = Rng::for_stream(seed, CORRECTION_STREAM);
    let mut rows: Vec<(Date, Vec<u8>)> = Vec::new();
    let line = |kind: &[u8],
                client: u32,
                date: Date,
                amount: Option<i64>,
                invoice: Option<u32>,
                payment: Option<u64>,
                reason: &[u8]| {
        let mut line = Vec::with_capacity(96);
        line.extend_from_slice(kind);
        line.push(b',');
        line.extend_from_slice(&codes[client as usize]);
        line.push(b',');
        push_date(&mut line, date);
        line.push(b',');
        if let Some(a) = amount {
            push_cents(&mut line, a);
        }
        line.push(b',');
        if let Some(i) = invoice {
            push_numbered(&mut line, b"INV-", u64::from(i) + 1);
        }
        line.push(b',');
        if let Some(p) = payment {
            push_unsigned(&mut line, p);
        }
        line.push(b',');
        line.extend_from_slice(reason);
        line.push(b'\n');
        (date, line)
    };
    for (i, inv) in g.invoices.iter().enumerate() {
        let i = i as u32;
        let roll = rng.below(1000);
        let later = |days: i64| date_at(day_number(inv.issue) + days).filter(|d| *d <= end);
        if roll < 10 {
            if let Some(date) = later(7) {
                rows.push(line(
                    b"credit_note",
                    inv.client,
                    date,
                    Some((inv.amount / 10).max(1)),
                    Some(i),
                    None,
                    b"damaged goods",
                ));
            }
        } else if roll < 20 {
            if let Some(date) = later(120) {
                rows.push(line(
                    b"write_off",
                    inv.client,
                    date,
                    None,
                    Some(i),
                    None,
                    b"uncollectable",
                ));
            }
        } else if roll < 22 {
            rows.push(line(
                b"credit_note",
                inv.client,
                inv.issue,
                Some(2_000),
                None,
                None,
                b"goodwill",
            ));
        }
    }
    for (k, p) in g.payments.iter().enumerate() {
        if rng.below(200) == 0
            && let Some(date) = date_at(day_number(p.date) + 3).filter(|d| *d <= end)
        {
            rows.push(line(
                b"reversal",
                p.client,
                date,
                None,
                None,
                Some(k as u64 + 1),
                b"cheque bounced",
            ));
        }
    }
    for client in (0..g.clients.len() as u32).step_by(10) {
        rows.push(line(b"credit_application", client, end, None, None, None, b""));
    }
    // In date order (stable: generation order within a day), as a bookkeeper enters them.
    rows.sort_by_key(|(date, _)| *date);
    out.write_all(b"kind,client,date,amount,invoice,payment,reason\n")?;
    for (_, line) in rows {
        out.write_all(&line)?;
    }
    Ok(())
}

fn write_file(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, File::create(path)?);
    write(&mut out)?;
    // Flush explicitly: an error on drop would be lost.
    out.flush()
}

fn write_clients_csv(g: &Generated, out: &mut impl Write) -> io::Result<()> {
    let mut line = Vec::with_capacity(256);
    out.write_all(b"code,name,email,terms_days,credit_limit,discount\n")?;
    for client in &g.clients {
        line.clear();
        push_field(&mut line, &client.code);
        line.push(b',');
        push_field(&mut line, &client.name);
        line.push(b',');
        push_field(&mut line, &client.email);
        line.push(b',');
        push_unsigned(&mut line, u64::from(client.net_days));
        line.push(b',');
        if let Some(limit) = client.credit_limit {
            push_cents(&mut line, limit);
        }
        line.push(b',');
        if let Some((basis_points, days)) = client.discount {
            push_discount(&mut line, basis_points, days);
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// Client codes as they appear in a CSV field, computed once rather than once per row.
fn client_code_fields(g: &Generated) -> Vec<Vec<u8>> {
    g.clients
        .iter()
        .map(|client| {
            let mut field = Vec::with_capacity(client.code.len());
            push_field(&mut field, &client.code);
            field
        })
        .collect()
}

fn write_invoices_csv(g: &Generated, out: &mut impl Write) -> io::Result<()> {
    let codes = client_code_fields(g);
    let mut line = Vec::with_capacity(128);
    out.write_all(b"number,client,issue_date,due_date,amount,currency\n")?;
    for (index, invoice) in g.invoices.iter().enumerate() {
        line.clear();
        push_numbered(&mut line, b"INV-", index as u64 + 1);
        line.push(b',');
        line.extend_from_slice(&codes[invoice.client as usize]);
        line.push(b',');
        push_date(&mut line, invoice.issue);
        line.push(b',');
        if let Some(due) = invoice.due {
            push_date(&mut line, due);
        }
        line.push(b',');
        push_cents(&mut line, invoice.amount);
        line.extend_from_slice(b",USD\n");
        out.write_all(&line)?;
    }
    Ok(())
}

fn write_payments_csv(g: &Generated, out: &mut impl Write) -> io::Result<()> {
    let codes = client_code_fields(g);
    let mut line = Vec::with_capacity(128);
    out.write_all(b"client,date,amount,invoice,reference\n")?;
    for (index, payment) in g.payments.iter().enumerate() {
        line.clear();
        line.extend_from_slice(&codes[payment.client as usize]);
        line.push(b',');
        push_date(&mut line, payment.date);
        line.push(b',');
        push_cents(&mut line, payment.amount);
        line.push(b',');
        if let Some(invoice) = payment.invoice {
            push_numbered(&mut line, b"INV-", u64::from(invoice) + 1);
        }
        line.push(b',');
        push_numbered(&mut line, b"PMT-", index as u64 + 1);
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// RFC 4180: quoted only when it must be, with inner quotes doubled.
fn push_field(line: &mut Vec<u8>, text: &str) {
    if !text.contains([',', '"', '\n', '\r']) {
        line.extend_from_slice(text.as_bytes());
        return;
    }
    line.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' {
            line.push(b'"');
        }
        line.push(byte);
    }
    line.push(b'"');
}

fn push_unsigned(line: &mut Vec<u8>, value: u64) {
    push_padded(line, value, 1);
}

/// Decimal digits of `value`, left-padded with zeros to at least `width`.
fn push_padded(line: &mut Vec<u8>, mut value: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    for _ in (digits.len() - start)..width {
        line.push(b'0');
    }
    line.extend_from_slice(&digits[start..]);
}

/// "INV-0000001": a prefix and at least seven digits.
fn push_numbered(line: &mut Vec<u8>, prefix: &[u8], number: u64) {
    line.extend_from_slice(prefix);
    push_padded(line, number, 7);
}

/// Minor units as a plain decimal with two places: 123450 -> "1234.50".
fn push_cents(line: &mut Vec<u8>, cents: i64) {
    if cents < 0 {
        line.push(b'-');
    }
    let magnitude = cents.unsigned_abs();
    push_unsigned(line, magnitude / 100);
    line.push(b'.');
    push_padded(line, magnitude % 100, 2);
}

/// "2/10" for (200, 10), "1.5/10" for (150, 10), "1.25/10" for (125, 10).
fn push_discount(line: &mut Vec<u8>, basis_points: u32, days: u32) {
    push_unsigned(line, u64::from(basis_points / 100));
    let hundredths = basis_points % 100;
    if hundredths.is_multiple_of(10) && hundredths != 0 {
        line.push(b'.');
        push_unsigned(line, u64::from(hundredths / 10));
    } else if hundredths != 0 {
        line.push(b'.');
        push_padded(line, u64::from(hundredths), 2);
    }
    line.push(b'/');
    push_unsigned(line, u64::from(days));
}

/// ISO `YYYY-MM-DD`; years outside 0..=9999 fall back to chrono's own (signed, wider) form.
fn push_date(line: &mut Vec<u8>, date: Date) {
    match u64::try_from(date.year()) {
        Ok(year) if year <= 9999 => {
            push_padded(line, year, 4);
            line.push(b'-');
            push_padded(line, u64::from(date.month()), 2);
            line.push(b'-');
            push_padded(line, u64::from(date.day()), 2);
        }
        _ => line.extend_from_slice(date.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn day(text: &str) -> Date {
        Date::parse_from_str(text, "%Y-%m-%d").expect("test dates are valid")
    }

    fn spec(invoices: u64, clients: Option<u64>, seed: u64) -> GenSpec {
        GenSpec {
            invoices,
            clients,
            seed,
            end: day("2026-06-30"),
            days: 730,
        }
    }

    fn csv_bytes(g: &Generated) -> [Vec<u8>; 3] {
        let mut files = [Vec::new(), Vec::new(), Vec::new()];
        write_clients_csv(g, &mut files[0]).expect("writing to memory");
        write_invoices_csv(g, &mut files[1]).expect("writing to memory");
        write_payments_csv(g, &mut files[2]).expect("writing to memory");
        files
    }

    fn first_lines(bytes: &[u8], count: usize) -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .take(count)
            .map(str::to_string)
            .collect()
    }

    fn habit_of(spec: &GenSpec, client: u32) -> Habit {
        client_profile(spec.seed, u64::from(client)).habit
    }

    fn due_date(g: &Generated, invoice: &GenInvoice) -> Date {
        let net_days = g.clients[invoice.client as usize].net_days;
        invoice
            .due
            .unwrap_or(invoice.issue + chrono::Days::new(u64::from(net_days)))
    }

    fn is_discount_payment(g: &Generated, payment: &GenPayment) -> bool {
        let Some(index) = payment.invoice else {
            return false;
        };
        let invoice = &g.invoices[index as usize];
        let Some((basis_points, days)) = g.clients[invoice.client as usize].discount else {
            return false;
        };
        payment.amount == invoice.amount - discount_minor(invoice.amount, basis_points)
            && (payment.date - invoice.issue).num_days() <= i64::from(days)
    }

    /// A tiny ledger: named payments settle their invoice (a discount payment in full), unnamed ones go
    /// oldest-first; anything left over is the client's unapplied credit. Returns (open per invoice,
    /// credit per client).
    fn allocate(g: &Generated) -> (Vec<i64>, Vec<i64>) {
        let mut open: Vec<i64> = g.invoices.iter().map(|invoice| invoice.amount).collect();
        let mut credit = vec![0i64; g.clients.len()];
        for payment in &g.payments {
            let mut money = payment.amount;
            match payment.invoice {
                Some(index) if is_discount_payment(g, payment) && open[index as usize] == money => {
                    open[index as usize] = 0;
                    money = 0;
                }
                Some(index) => {
                    let applied = money.min(open[index as usize]);
                    open[index as usize] -= applied;
                    money -= applied;
                }
                None => {
                    for (index, invoice) in g.invoices.iter().enumerate() {
                        if invoice.client == payment.client
                            && invoice.issue <= payment.date
                            && open[index] > 0
                        {
                            let applied = money.min(open[index]);
                            open[index] -= applied;
                            money -= applied;
                        }
                    }
                }
            }
            credit[payment.client as usize] += money;
        }
        (open, credit)
    }

    fn check_invariants(spec: &GenSpec, g: &Generated) {
        let expected_clients = spec.clients.unwrap_or((spec.invoices / 40).max(5));
        assert_eq!(g.clients.len() as u64, expected_clients);
        assert_eq!(g.invoices.len() as u64, spec.invoices);
        let first_issue = spec.end - chrono::Days::new(u64::from(spec.days));

        let codes: HashSet<&str> = g.clients.iter().map(|client| client.code.as_str()).collect();
        assert_eq!(codes.len(), g.clients.len(), "client codes are unique");
        for (index, client) in g.clients.iter().enumerate() {
            assert!(
                !client.code.is_empty()
                    && client
                        .code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
            if index >= NAMED_CLIENTS.len() {
                assert_eq!(client.code, format!("C{:06}", index + 1));
            }
            assert_eq!(
                client.email,
                format!("accounts@{}.example", client.code.to_lowercase())
            );
        }

        for pair in g.invoices.windows(2) {
            assert!(
                pair[0].issue <= pair[1].issue,
                "invoices sorted by issue date, then number"
            );
        }
        for invoice in &g.invoices {
            assert!(invoice.amount >= units(1) && invoice.amount <= units(100_000));
            assert!(invoice.issue >= first_issue && invoice.issue <= spec.end);
            assert!((invoice.client as usize) < g.clients.len());
            assert!(due_date(g, invoice) >= invoice.issue);
        }

        for pair in g.payments.windows(2) {
            let key = |p: &GenPayment| (p.date, p.client, p.invoice);
            assert!(
                key(&pair[0]) <= key(&pair[1]),
                "payments sorted by (date, client, invoice)"
            );
        }
        for payment in &g.payments {
            assert!(payment.amount > 0);
            assert!(payment.date <= spec.end);
            assert!((payment.client as usize) < g.clients.len());
            if let Some(index) = payment.invoice {
                let invoice = &g.invoices[index as usize];
                assert_eq!(
                    payment.client, invoice.client,
                    "a named payment belongs to its invoice's client"
                );
                assert!(payment.date >= invoice.issue);
            }
        }
    }

    #[test]
    fn same_spec_gives_identical_bytes_and_another_seed_does_not() {
        let first = csv_bytes(&generate(&spec(3_000, None, 42)));
        let second = csv_bytes(&generate(&spec(3_000, None, 42)));
        assert_eq!(first, second);
        let other = csv_bytes(&generate(&spec(3_000, None, 43)));
        for (same_seed, other_seed) in first.iter().zip(&other) {
            assert_ne!(same_seed, other_seed, "every file changes with the seed");
        }
    }

    #[test]
    fn golden_first_lines() {
        let g = generate(&GenSpec {
            invoices: 200,
            clients: Some(12),
            seed: 7,
            end: day("2026-06-30"),
            days: 365,
        });
        let [clients, invoices, payments] = csv_bytes(&g);
        assert_eq!(
            first_lines(&clients, 3),
            [
                "code,name,email,terms_days,credit_limit,discount",
                "ACME,Acme Ltd,accounts@acme.example,30,,",
                "GLOBEX,Globex Corporation,accounts@globex.example,30,5000.00,",
            ]
        );
        assert_eq!(
            first_lines(&invoices, 3),
            [
                "number,client,issue_date,due_date,amount,currency",
                "INV-0000001,CYBERDYNE,2025-07-02,,99.93,USD",
                "INV-0000002,ACME,2025-07-04,,699.71,USD",
            ]
        );
        assert_eq!(
            first_lines(&payments, 3),
            [
                "client,date,amount,invoice,reference",
                "CYBERDYNE,2025-07-11,99.93,INV-0000001,PMT-0000001",
                "WAYNE,2025-07-18,1796.34,INV-0000012,PMT-0000002",
            ]
        );
    }

    /// FNV-1a: a fixed digest of whole files, so a change anywhere in a ledger shows, not only at its top.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xCBF2_9CE4_8422_2325, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01B3)
        })
    }

    #[test]
    fn golden_whole_file_digests() {
        let files = csv_bytes(&generate(&spec(2_000, None, 1)));
        let digests: Vec<(usize, u64)> = files.iter().map(|bytes| (bytes.len(), fnv1a(bytes))).collect();
        assert_eq!(
            digests,
            [
                (2972, 11637389387905478769),
                (87453, 10195150129981077993),
                (100708, 15392637398607539634)
            ]
        );
    }

    #[test]
    fn invariants_hold_on_several_specs() {
        for seed in 1..=5 {
            let spec = spec(2_000, None, seed);
            check_invariants(&spec, &generate(&spec));
        }
        for seed in 1..=3 {
            let spec = spec(500, Some(12), seed);
            check_invariants(&spec, &generate(&spec));
        }
        let odd = GenSpec {
            invoices: 300,
            clients: Some(80),
            seed: 9,
            end: day("2024-02-29"),
            days: 45,
        };
        check_invariants(&odd, &generate(&odd));
    }

    #[test]
    fn edge_specs_do_not_panic() {
        let empty = generate(&spec(0, None, 1));
        assert_eq!(
            (empty.clients.len(), empty.invoices.len(), empty.payments.len()),
            (5, 0, 0)
        );
        let one_client = generate(&spec(50, Some(0), 1));
        assert_eq!(one_client.clients.len(), 1);
        let same_day = GenSpec {
            invoices: 100,
            clients: None,
            seed: 3,
            end: day("2026-01-01"),
            days: 0,
        };
        let g = generate(&same_day);
        assert!(g.invoices.iter().all(|invoice| invoice.issue == same_day.end));
        let ancient = GenSpec {
            invoices: 100,
            clients: None,
            seed: 3,
            end: Date::MIN,
            days: u32::MAX,
        };
        assert!(
            generate(&ancient)
                .invoices
                .iter()
                .all(|invoice| invoice.issue == Date::MIN)
        );
    }

    #[test]
    fn named_clients_cover_every_habit_and_match_the_shares() {
        let codes: HashSet<&str> = NAMED_CLIENTS.iter().map(|named| named.code).collect();
        assert_eq!(codes.len(), NAMED_CLIENTS.len());
        assert!(
            NAMED_CLIENTS
                .iter()
                .all(|named| named.code.bytes().all(|b| b.is_ascii_uppercase()))
        );
        for habit in HABITS {
            assert!(
                NAMED_CLIENTS[..12].iter().any(|named| named.habit == habit),
                "{habit:?} in the first 12"
            );
        }
        assert!(NAMED_CLIENTS[..12].iter().any(|named| named.discount));
        let counts: Vec<usize> = HABITS
            .iter()
            .map(|&habit| NAMED_CLIENTS.iter().filter(|named| named.habit == habit).count())
            .collect();
        assert_eq!(counts, [8, 22, 6, 3, 1]);
    }

    #[test]
    fn random_clients_follow_the_habit_terms_and_discount_shares() {
        let sample = 20_000u64;
        let mut habit_counts = [0u64; 5];
        let mut net_30 = 0;
        let mut discounted = 0;
        let mut limited = 0;
        for index in 40..40 + sample {
            let profile = client_profile(11, index);
            let habit_index = HABITS
                .iter()
                .position(|&habit| habit == profile.habit)
                .unwrap_or(0);
            habit_counts[habit_index] += 1;
            net_30 += u64::from(profile.client.net_days == 30);
            discounted += u64::from(profile.client.discount.is_some());
            limited += u64::from(profile.client.credit_limit.is_some());
        }
        for (count, percent) in habit_counts.iter().zip(HABIT_PERCENTS) {
            let share = count * 100 / sample;
            assert!(
                share.abs_diff(u64::from(percent)) <= 2,
                "habit share {share} % vs {percent} %"
            );
        }
        assert!((76..=86).contains(&(net_30 * 100 / sample)));
        assert!((3..=7).contains(&(discounted * 100 / sample)));
        assert!((50..=70).contains(&(limited * 100 / sample)));
    }

    #[test]
    fn client_sizes_are_heavy_tailed() {
        let g = generate(&spec(100_000, None, 5));
        let mut per_client = vec![0u64; g.clients.len()];
        for invoice in &g.invoices {
            per_client[invoice.client as usize] += 1;
        }
        per_client.sort_unstable_by(|a, b| b.cmp(a));
        let top_tenth: u64 = per_client[..per_client.len() / 10].iter().sum();
        let median = per_client[per_client.len() / 2];
        assert!(
            top_tenth * 100 / 100_000 >= 30,
            "the top tenth of clients holds a large share"
        );
        assert!(median < 40, "most clients get fewer invoices than the mean");
    }

    #[test]
    fn amounts_and_due_dates_look_real() {
        let g = generate(&spec(50_000, None, 2));
        let mut amounts: Vec<i64> = g.invoices.iter().map(|invoice| invoice.amount).collect();
        amounts.sort_unstable();
        let median = amounts[amounts.len() / 2];
        assert!((units(700)..=units(1_400)).contains(&median), "median {median}");
        assert!(amounts[0] < units(10) && amounts[amounts.len() - 1] > units(50_000));
        let explicit = g.invoices.iter().filter(|invoice| invoice.due.is_some()).count();
        assert!((8..=12).contains(&(explicit * 100 / g.invoices.len())));
    }

    #[test]
    fn a_ledger_has_every_kind_of_payment() {
        let spec = spec(2_000, None, 3);
        let g = generate(&spec);
        let mut named_count = vec![0u32; g.invoices.len()];
        let mut named_sum = vec![0i64; g.invoices.len()];
        for payment in &g.payments {
            if let Some(index) = payment.invoice {
                named_count[index as usize] += 1;
                named_sum[index as usize] += payment.amount;
            }
        }
        let unnamed = g
            .payments
            .iter()
            .filter(|payment| payment.invoice.is_none())
            .count();
        let instalments = named_count.iter().filter(|&&count| count >= 2).count();
        let overpaid = (0..g.invoices.len())
            .filter(|&i| named_sum[i] > g.invoices[i].amount)
            .count();
        let discounts = g
            .payments
            .iter()
            .filter(|payment| is_discount_payment(&g, payment))
            .count();
        assert!(unnamed > 20 && instalments > 20 && overpaid > 20 && discounts > 5);
        assert!(discounts < g.payments.len() / 4);
        // Habits show in the delays: average days from issue to a named payment rise with lateness.
        let mut delay_sum = [0i64; 5];
        let mut delay_count = [0i64; 5];
        for payment in g
            .payments
            .iter()
            .filter(|payment| !is_discount_payment(&g, payment))
        {
            if let Some(index) = payment.invoice {
                let invoice = &g.invoices[index as usize];
                let habit = habit_of(&spec, payment.client);
                let slot = HABITS.iter().position(|&h| h == habit).unwrap_or(0);
                delay_sum[slot] += (payment.date - invoice.issue).num_days();
                delay_count[slot] += 1;
            }
        }
        let averages: Vec<i64> = (0..5)
            .map(|slot| delay_sum[slot] / delay_count[slot].max(1))
            .collect();
        assert!(
            averages.windows(2).all(|pair| pair[0] < pair[1]),
            "average delays {averages:?}"
        );
    }

    #[test]
    fn small_business_shows_old_debt_and_credit() {
        for seed in 1..=5 {
            let spec = spec(500, Some(12), seed);
            let g = generate(&spec);
            let (open, credit) = allocate(&g);
            let long_overdue = g.invoices.iter().zip(&open).filter(|&(invoice, &left)| {
                left > 0 && due_date(&g, invoice) + chrono::Days::new(90) < spec.end
            });
            let overdue_clients: HashSet<u32> = long_overdue.map(|(invoice, _)| invoice.client).collect();
            assert!(
                !overdue_clients.is_empty(),
                "seed {seed}: someone owes for more than 90 days past due"
            );
            let defaulter = NAMED_CLIENTS
                .iter()
                .position(|named| named.habit == Habit::Defaulter);
            assert!(defaulter.is_some_and(|index| overdue_clients.contains(&(index as u32))));
            assert!(
                credit.iter().any(|&c| c > 0),
                "seed {seed}: someone holds unapplied credit"
            );
            let late_habits = (0..12).filter(|&c| matches!(habit_of(&spec, c), Habit::Late | Habit::Chronic));
            assert!(late_habits.count() >= 3);
        }
    }

    #[test]
    fn payments_after_the_end_are_cut_off_without_reshuffling() {
        let early = GenSpec {
            end: day("2026-03-31"),
            ..spec(1_000, None, 4)
        };
        let later = GenSpec {
            end: day("2026-06-30"),
            ..spec(1_000, None, 4)
        };
        let (a, b) = (generate(&early), generate(&later));
        assert_eq!(a.clients, b.clients);
        // The issue window moves with `end`, so only amounts and clients (drawn in the same order) compare.
        let amounts = |g: &Generated| {
            let mut v: Vec<i64> = g.invoices.iter().map(|invoice| invoice.amount).collect();
            v.sort_unstable();
            v
        };
        assert_eq!(amounts(&a), amounts(&b));
    }

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        let g = generate(&spec(10, Some(40), 1));
        let [clients, ..] = csv_bytes(&g);
        let text = String::from_utf8_lossy(&clients);
        assert!(text.contains("\nDEWEY,\"Dewey, Cheatem & Howe\",accounts@dewey.example,30,"));
        assert!(text.contains("\nKRUSTY,\"Krusty \"\"Krunch\"\" Foods\",accounts@krusty.example,30,"));
        assert!(
            text.contains("\nWAYNE,Wayne Enterprises,accounts@wayne.example,30,") && text.contains(",2/10\n")
        );
        assert!(text.lines().all(|line| !line.ends_with('\r')));
    }

    #[test]
    fn number_formatting() {
        let render = |push: &dyn Fn(&mut Vec<u8>)| {
            let mut line = Vec::new();
            push(&mut line);
            String::from_utf8_lossy(&line).into_owned()
        };
        assert_eq!(render(&|l| push_cents(l, 0)), "0.00");
        assert_eq!(render(&|l| push_cents(l, 5)), "0.05");
        assert_eq!(render(&|l| push_cents(l, 123_450)), "1234.50");
        assert_eq!(render(&|l| push_cents(l, -units(1))), "-1.00");
        assert_eq!(render(&|l| push_cents(l, i64::MIN)), "-92233720368547758.08");
        assert_eq!(render(&|l| push_numbered(l, b"INV-", 1)), "INV-0000001");
        assert_eq!(render(&|l| push_numbered(l, b"PMT-", 12_345_678)), "PMT-12345678");
        assert_eq!(render(&|l| push_discount(l, 200, 10)), "2/10");
        assert_eq!(render(&|l| push_discount(l, 150, 10)), "1.5/10");
        assert_eq!(render(&|l| push_discount(l, 125, 15)), "1.25/15");
        assert_eq!(render(&|l| push_discount(l, 5, 7)), "0.05/7");
        assert_eq!(render(&|l| push_date(l, day("0987-01-02"))), "0987-01-02");
        assert_eq!(render(&|l| push_date(l, Date::MAX)), Date::MAX.to_string());
        let g = generate(&spec(1, None, 1));
        assert_eq!(g.invoice_number(0), "INV-0000001");
        assert_eq!(g.payment_reference(41), "PMT-0000042");
    }

    #[test]
    fn discount_rounds_half_up_to_the_cent() {
        assert_eq!(discount_minor(units(1), 200), 2);
        assert_eq!(discount_minor(25, 200), 1); // 0.5 cent rounds up
        assert_eq!(discount_minor(24, 200), 0);
        assert_eq!(discount_minor(123_456, 200), 2_469); // 2469.12
        assert_eq!(discount_minor(123_475, 200), 2_470); // 2469.5
    }

    #[test]
    fn random_numbers_are_uniform_and_in_range() {
        let mut rng = Rng::for_stream(1, 0);
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            buckets[rng.below(10) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&count| (9_500..=10_500).contains(&count)),
            "{buckets:?}"
        );
        assert!((0..1000).all(|_| (3..=5).contains(&rng.between(3, 5))));
        assert_eq!(integer_cube_root(26), 2);
        assert_eq!(integer_cube_root(27), 3);
        let big = u128::from(WEIGHT_UNIT).pow(3) << 64;
        let root = u128::from(integer_cube_root(big));
        assert!(root.pow(3) <= big && (root + 1).pow(3) > big);
    }

    #[test]
    fn permutation_moves_every_item_once() {
        let invoice = |amount| GenInvoice {
            client: 0,
            issue: Date::MIN,
            due: None,
            amount,
        };
        let mut items: Vec<GenInvoice> = (1..=6).map(invoice).collect();
        let mut order = vec![3, 0, 1, 2, 5, 4];
        permute_in_place(&mut items, &mut order);
        let amounts: Vec<i64> = items.iter().map(|item| item.amount).collect();
        assert_eq!(amounts, [4, 1, 2, 3, 6, 5]);
    }

    #[test]
    fn records_stay_compact() {
        assert!(std::mem::size_of::<GenInvoice>() <= 24);
        assert!(std::mem::size_of::<GenPayment>() <= 24);
    }

    #[test]
    fn write_csv_writes_the_three_files() -> io::Result<()> {
        let dir = std::env::temp_dir().join(format!("ar-generate-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let g = generate(&spec(500, Some(12), 1));
        write_csv(&g, &dir, 1)?;
        let expected = csv_bytes(&g);
        for (name, bytes) in ["clients.csv", "invoices.csv", "payments.csv"]
            .iter()
            .zip(&expected)
        {
            assert_eq!(&std::fs::read(dir.join(name))?, bytes, "{name}");
        }
        let corrections = std::fs::read_to_string(dir.join("corrections.csv"))?;
        assert!(corrections.starts_with("kind,client,date,amount,invoice,payment,reason\n"));
        assert!(corrections.lines().count() > 2, "{corrections}");
        assert_eq!(expected[1].iter().filter(|&&b| b == b'\n').count(), 501);
        std::fs::remove_dir_all(&dir)
    }

    /// `cargo test --release -- --ignored --nocapture million`: the benchmark-sized run.
    #[test]
    #[ignore]
    fn million_invoices_timing() -> io::Result<()> {
        let spec = spec(1_000_000, None, 1);
        let started = std::time::Instant::now();
        let g = generate(&spec);
        let generated = started.elapsed();
        let dir = std::env::temp_dir().join(format!("ar-generate-million-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        write_csv(&g, &dir, 1)?;
        let total = started.elapsed();
        println!(
            "clients {} invoices {} payments {}: generate {:?}, generate+write {:?}",
            g.clients.len(),
            g.invoices.len(),
            g.payments.len(),
            generated,
            total
        );
        check_invariants(&spec, &g);
        std::fs::remove_dir_all(&dir)
    }
}
