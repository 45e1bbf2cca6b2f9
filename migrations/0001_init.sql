-- Schema 1 of the ar ledger. Forward-only: never edit this file once released;
-- add migrations/0002_*.sql instead.
--
-- Dates are ISO 'YYYY-MM-DD' text (they sort and compare as dates); amounts are
-- INTEGER minor units of the row's currency. Invoices, payments and voids are facts;
-- allocations and the derived columns marked below are rebuilt by the replay
-- (src/engine/replay.rs) inside the transaction that writes the facts.

PRAGMA application_id = 1634890355; -- 'arls'

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE clients (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    email         TEXT,
    credit_limit  INTEGER CHECK (credit_limit >= 0),   -- default currency, minor units
    terms_days    INTEGER NOT NULL CHECK (terms_days >= 0),
    discount_bp   INTEGER NOT NULL DEFAULT 0,          -- 200 = 2 %
    discount_days INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE invoices (
    id            INTEGER PRIMARY KEY,                 -- entry order
    number        TEXT NOT NULL COLLATE NOCASE,       -- unique: invoices_number
    client_id     INTEGER NOT NULL REFERENCES clients(id),
    currency      TEXT NOT NULL,
    issue_date    TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    terms_days    INTEGER NOT NULL,                    -- terms in force when issued
    discount_bp   INTEGER NOT NULL DEFAULT 0,
    discount_days INTEGER NOT NULL DEFAULT 0,
    description   TEXT,
    voided_on     TEXT,
    void_reason   TEXT,
    -- derived by the replay:
    settled       INTEGER NOT NULL DEFAULT 0,          -- payments + discounts allocated
    closed_on     TEXT NOT NULL DEFAULT '9999-12-31'   -- day the balance reached zero
) STRICT;

CREATE TABLE payments (
    id            INTEGER PRIMARY KEY,                 -- entry order
    client_id     INTEGER NOT NULL REFERENCES clients(id),
    currency      TEXT NOT NULL,
    date          TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    invoice_id    INTEGER REFERENCES invoices(id),     -- the invoice the payment named
    reference     TEXT,
    -- derived by the replay:
    unapplied     INTEGER NOT NULL DEFAULT 0,
    applied_on    TEXT NOT NULL DEFAULT '9999-12-31'   -- day nothing was left unapplied
) STRICT;

-- Derived, so without foreign keys: the replay writes these rows from invoices and
-- payments it has just read (a million parent look-ups per bulk import otherwise),
-- and tests prove the table equals a fresh replay.
CREATE TABLE allocations (
    id            INTEGER PRIMARY KEY,
    invoice_id    INTEGER NOT NULL,
    payment_id    INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('payment', 'discount')),
    date          TEXT NOT NULL,                       -- the payment's date
    amount        INTEGER NOT NULL CHECK (amount > 0),
    held          INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)) -- its payment held credit
) STRICT;

-- A named index, not a UNIQUE column constraint, so that a bulk load into an
-- empty table can drop it and build it once by sorting.
CREATE UNIQUE INDEX invoices_number ON invoices (number);
-- Aging as of D reads only invoices still open at D: closed_on > D, issued <= D.
-- Covering, so the report never visits the table for the closed majority. DSO's
-- amount invoiced in a window uses it too (an invoice closes on or after its issue).
CREATE INDEX invoices_open_at ON invoices (closed_on, issue_date, client_id, currency, due_date, amount)
    WHERE voided_on IS NULL;
-- Replay of one client from a date reads its invoices (and keeps those still open
-- then). No derived column in the key: the replay never has to move an entry.
CREATE INDEX invoices_client ON invoices (client_id);

CREATE INDEX payments_client_date ON payments (client_id, date);
-- Unapplied credit as of D reads only payments not fully applied by D. A payment
-- applied in full on its own date is never credit: most are, and stay out.
CREATE INDEX payments_credit_at ON payments (applied_on, date, client_id, currency, amount)
    WHERE applied_on > date;

-- Also finds a payment's allocations: they carry its date and go to its client's
-- invoices, so (client's invoices, date, payment) needs no index by payment.
CREATE INDEX allocations_invoice ON allocations (invoice_id, date, kind, amount);
-- Credit as of D sums, for each payment holding credit then, its allocations by D:
-- only payments that ever held credit (a few percent) are indexed by payment.
CREATE INDEX allocations_held ON allocations (payment_id, kind, date, amount, held) WHERE held = 1;
