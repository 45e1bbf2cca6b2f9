-- Schema 2: the files imported into the ledger, so that importing the same file
-- twice by mistake (which would enter every payment twice) is caught.
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
