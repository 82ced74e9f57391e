-- Sources: where profiles come from (files, URLs, PostgreSQL and MySQL
-- queries). settings holds the source's JSON settings; secret its sealed
-- secret (a DSN or a header value; internal/secret, bound to the id);
-- state what it remembers between reads (validators, cursor, row count).
CREATE TABLE sources (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL,
    kind       text        NOT NULL,
    settings   text        NOT NULL,
    secret     bytea,
    state      text        NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX sources_name_key ON sources (lower(name));

-- Every source's rows as last read, keyed by the unification key (ukey);
-- gen is the read that last saw the row. Source 0 holds profiles imported
-- by hand that a source's rows joined.
CREATE TABLE source_rows (
    source_id  bigint      NOT NULL,
    row_id     text        NOT NULL,
    ukey       text        NOT NULL,
    attrs      text        NOT NULL,
    hash       text        NOT NULL,
    gen        bigint      NOT NULL,
    changed_at timestamptz NOT NULL,
    PRIMARY KEY (source_id, row_id)
);
CREATE INDEX source_rows_ukey ON source_rows (ukey);
CREATE INDEX source_rows_gen ON source_rows (source_id, gen);

-- The unification keys whose rows changed since the last unification.
CREATE TABLE unify_pending (
    ukey text PRIMARY KEY
);

-- The profiles that unification made, with each attribute's origin.
CREATE TABLE unified_profiles (
    id      text PRIMARY KEY,
    origins text NOT NULL
);

-- A refresh's steps (counts, timings, errors) and the sources it held.
ALTER TABLE system_refreshes ADD COLUMN steps text NOT NULL DEFAULT '[]';
ALTER TABLE system_refreshes ADD COLUMN held text NOT NULL DEFAULT '[]';
