-- The import history: one row per import of profiles (who, when, what
-- file, the counts and how it ended), written by the profiles service.
CREATE TABLE profile_imports (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    format     TEXT    NOT NULL,
    bytes      INTEGER NOT NULL,
    rows_read  INTEGER NOT NULL,
    inserted   INTEGER NOT NULL,
    updated    INTEGER NOT NULL,
    unchanged  INTEGER NOT NULL,
    rejected   INTEGER NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('done', 'partial', 'failed')),
    message    TEXT    NOT NULL DEFAULT ''
);

-- Profile search by e-mail prefix, ignoring case, in e-mail then id order.
CREATE INDEX profiles_email ON profiles (lower(json_extract(attrs, '$.email')), id);
