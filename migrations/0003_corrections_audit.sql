-- Schema 3: corrections (credit notes, write-offs, credit applications, refunds,
-- payment reversals) as dated facts; voids that take effect from their date; and
-- the audit trail (who entered every fact, and when; client changes with old and
-- new values). Forward-only: never edit this file once released.
--
-- A ledger of schema 2 reads the same after this: every void it holds was, in that
-- release, void from every date, so its `void_from` is its issue date; nothing else
-- it holds changes meaning.

-- One write: when, by whom, with which command. Every fact points at its batch.
CREATE TABLE batches (
    id          INTEGER PRIMARY KEY,                 -- entry order
    entered_at  TEXT NOT NULL,                       -- UTC, 2026-11-23T09:15:02Z
    entered_by  TEXT NOT NULL,
    command     TEXT NOT NULL                        -- pay, import, credit-note, ...
) STRICT;

-- NULL for what an earlier schema entered (before the audit trail).
ALTER TABLE clients ADD COLUMN batch INTEGER REFERENCES batches(id);
ALTER TABLE invoices ADD COLUMN batch INTEGER REFERENCES batches(id);
ALTER TABLE payments ADD COLUMN batch INTEGER REFERENCES batches(id);

-- The day a void takes effect (voided_on keeps the date the void was given, as
-- schema 1 and 2 recorded it), and the batch that voided it.
ALTER TABLE invoices ADD COLUMN void_from TEXT;
ALTER TABLE invoices ADD COLUMN void_batch INTEGER REFERENCES batches(id);
UPDATE invoices SET void_from = issue_date WHERE voided_on IS NOT NULL;

-- Derived by the replay: whether the entry that closed the invoice was a credit
-- note, a write-off or its void (days to pay leaves those out). A void closes on
-- its date.
ALTER TABLE invoices ADD COLUMN closed_by_adjustment INTEGER NOT NULL DEFAULT 0
    CHECK (closed_by_adjustment IN (0, 1));
UPDATE invoices SET closed_on = void_from, closed_by_adjustment = 1 WHERE voided_on IS NOT NULL;

-- A change to a client's master data: one row per field changed.
CREATE TABLE client_changes (
    id          INTEGER PRIMARY KEY,                 -- entry order
    batch       INTEGER NOT NULL REFERENCES batches(id),
    client_id   INTEGER NOT NULL REFERENCES clients(id),
    field       TEXT NOT NULL,                       -- name, email, terms, credit_limit
    old         TEXT,
    new         TEXT
) STRICT;
CREATE INDEX client_changes_client ON client_changes (client_id);

CREATE TABLE corrections (
    id            INTEGER PRIMARY KEY,               -- entry order among corrections
    kind          TEXT NOT NULL CHECK (kind IN
                      ('credit_note', 'write_off', 'credit_application', 'refund', 'reversal')),
    client_id     INTEGER NOT NULL REFERENCES clients(id),
    currency      TEXT NOT NULL,
    date          TEXT NOT NULL,
    amount        INTEGER CHECK (amount > 0),        -- NULL: whatever is open / all that fits
    invoice_id    INTEGER REFERENCES invoices(id),
    payment_id    INTEGER REFERENCES payments(id),   -- the payment a reversal reverses
    -- Its place in entry order among payments: entered after this payment id (0:
    -- before any), before the next.
    after_payment INTEGER NOT NULL CHECK (after_payment >= 0),
    reason        TEXT,
    reference     TEXT,
    batch         INTEGER REFERENCES batches(id),
    -- derived by the replay:
    done          INTEGER,                           -- what it moved; NULL until replayed
    unapplied     INTEGER NOT NULL DEFAULT 0,        -- a credit note's credit left
    applied_on    TEXT NOT NULL DEFAULT '9999-12-31' -- day a credit note had none left
) STRICT;
CREATE INDEX corrections_client ON corrections (client_id, date);
-- A payment is reversed at most once.
CREATE UNIQUE INDEX corrections_reversal ON corrections (payment_id) WHERE kind = 'reversal';
-- Credit as of D held by credit notes (as payments_credit_at for payments).
CREATE INDEX corrections_credit_at ON corrections (applied_on, date, client_id, currency, amount)
    WHERE kind = 'credit_note' AND applied_on > date;

-- Closings a reversal undid (derived): days to pay as of a date between the two
-- counts the invoice as closed then.
CREATE TABLE closings (
    invoice_id    INTEGER NOT NULL,
    closed_on     TEXT NOT NULL,
    reopened_on   TEXT NOT NULL,
    by_adjustment INTEGER NOT NULL CHECK (by_adjustment IN (0, 1))
) STRICT;
CREATE INDEX closings_closed_on ON closings (closed_on);
CREATE INDEX closings_invoice ON closings (invoice_id);

-- Allocations gain the kinds of the corrections, an invoice that may be absent (a
-- refund, the credit of a reversed payment lapsing), and the source and correction
-- each came from. Derived: rebuilt here with the same rows.
CREATE TABLE allocations_3 (
    id            INTEGER PRIMARY KEY,
    invoice_id    INTEGER,                           -- NULL: refund, lapse
    payment_id    INTEGER,                           -- the payment whose money it is
    note_id       INTEGER,                           -- the credit note whose credit it is
    correction_id INTEGER,                           -- the correction that made it
    kind          TEXT NOT NULL CHECK (kind IN ('payment', 'discount', 'credit_note', 'credit',
                      'write_off', 'refund', 'lapsed', 'reversal')),
    date          TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    held          INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)) -- its source held credit
) STRICT;
INSERT INTO allocations_3 (id, invoice_id, payment_id, kind, date, amount, held)
    SELECT id, invoice_id, payment_id, kind, date, amount, held FROM allocations ORDER BY id;
DROP TABLE allocations;
ALTER TABLE allocations_3 RENAME TO allocations;
CREATE INDEX allocations_invoice ON allocations (invoice_id, date, kind, amount);
CREATE INDEX allocations_held ON allocations (payment_id, kind, date, amount, held) WHERE held = 1;
CREATE INDEX allocations_note ON allocations (note_id, kind, date, amount) WHERE note_id IS NOT NULL;
CREATE INDEX allocations_correction ON allocations (correction_id) WHERE correction_id IS NOT NULL;

-- Invoices void from a date: reports as of an earlier date still count them.
CREATE INDEX invoices_voided ON invoices (void_from, issue_date, client_id, currency, due_date, amount)
    WHERE voided_on IS NOT NULL;

-- Invoices open at a date, now with how each closed (days to pay reads it for
-- every invoice closed in its window).
DROP INDEX invoices_open_at;
CREATE INDEX invoices_open_at ON invoices (closed_on, client_id, issue_date, currency, due_date, amount, settled,
    closed_by_adjustment) WHERE voided_on IS NULL;
