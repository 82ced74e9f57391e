-- Sources: where profiles come from (files, URLs, PostgreSQL and MySQL
-- queries). settings holds the source's JSON settings; secret its sealed
-- secret (a DSN or a header value; internal/secret, bound to the id);
-- state what it remembers between reads (validators, cursor, row count).
CREATE TABLE sources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    kind       TEXT    NOT NULL,
    settings   TEXT    NOT NULL,
    secret     BLOB,
    state      TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every source's rows as last read, keyed by the unification key (ukey);
-- gen is the read that last saw the row. Source 0 holds profiles imported
-- by hand that a source's rows joined.
CREATE TABLE source_rows (
    source_id  INTEGER NOT NULL,
    row_id     TEXT    NOT NULL,
    ukey       TEXT    NOT NULL,
    attrs      TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    gen        INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (source_id, row_id)
) WITHOUT ROWID;
CREATE INDEX source_rows_ukey ON source_rows (ukey);
CREATE INDEX source_rows_gen ON source_rows (source_id, gen);

-- The unification keys whose rows changed since the last unification.
CREATE TABLE unify_pending (
    ukey TEXT PRIMARY KEY
) WITHOUT ROWID;

-- The profiles that unification made, with each attribute's origin.
CREATE TABLE unified_profiles (
    id      TEXT PRIMARY KEY,
    origins TEXT NOT NULL
) WITHOUT ROWID;

-- A refresh's steps (counts, timings, errors) and the sources it held.
ALTER TABLE system_refreshes ADD COLUMN steps TEXT NOT NULL DEFAULT '[]';
ALTER TABLE system_refreshes ADD COLUMN held TEXT NOT NULL DEFAULT '[]';
