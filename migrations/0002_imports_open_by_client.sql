-- Schema 2: the files imported into the ledger (so that importing the same file
-- twice by mistake, which would enter every payment twice, is caught), and the
-- index of open invoices keyed by client too.
-- Forward-only: never edit this file once released.

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    digest      TEXT NOT NULL,                     -- 'sha256:' and the hex digest of the bytes
    kind        TEXT NOT NULL,                     -- clients, invoices, payments, settings
    file        TEXT NOT NULL,                     -- the name it was imported under
    rows        INTEGER NOT NULL CHECK (rows >= 0),
    imported_at TEXT NOT NULL                      -- UTC, 2026-11-23T09:15:02Z
) STRICT;

-- An import looks its file up by digest.
CREATE INDEX imports_digest ON imports (digest);

-- Invoices open at a date, now with the client second: "the client's invoices
-- still open" (what a replay from today reads: every write of a client's entries
-- replays it) is one seek, instead of a read of every invoice the client ever had
-- (thousands for a wholesaler). Reports read the same range as before: aging as
-- of D reads closed_on > D and finds everything else in the index; with `settled`
-- in it too, an invoice nothing was allocated to (most open ones) needs no look-up
-- of its allocations, which in client order (no longer issue order) were random.
DROP INDEX invoices_open_at;
CREATE INDEX invoices_open_at ON invoices (closed_on, client_id, issue_date, currency, due_date, amount, settled)
    WHERE voided_on IS NULL;
