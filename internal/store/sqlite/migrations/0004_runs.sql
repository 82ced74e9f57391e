-- Export runs and their durable outbox (run_ops), the contacts a run wants
-- (run_desired, staging for the plan's diff), and each export's confirmed
-- state: what Omnisend is known to hold from earlier runs.
CREATE TABLE export_runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    export_id        INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    trigger          TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    step             TEXT    NOT NULL,
    message          TEXT    NOT NULL DEFAULT '',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    queued_at        INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    requests         INTEGER NOT NULL DEFAULT 0,
    counts           TEXT    NOT NULL DEFAULT '{}'
);
-- One active run per export.
CREATE UNIQUE INDEX export_runs_one_active ON export_runs (export_id) WHERE status IN ('queued', 'running');
CREATE INDEX export_runs_by_export ON export_runs (export_id, id);

CREATE TABLE run_ops (
    run_id     INTEGER NOT NULL REFERENCES export_runs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    profile_id TEXT    NOT NULL DEFAULT '',
    is_new     INTEGER NOT NULL DEFAULT 0,
    leaves     INTEGER NOT NULL DEFAULT 0,
    contact    TEXT,
    hash       TEXT    NOT NULL DEFAULT '',
    tags       TEXT    NOT NULL DEFAULT '[]',
    status     TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    message    TEXT    NOT NULL DEFAULT '',
    batch_no   INTEGER NOT NULL DEFAULT 0,
    batch_id   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_ops_pending ON run_ops (run_id, kind, status, seq);
CREATE INDEX run_ops_batch ON run_ops (run_id, batch_id);

CREATE TABLE run_desired (
    run_id     INTEGER NOT NULL REFERENCES export_runs (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    profile_id TEXT    NOT NULL,
    contact    TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    tags       TEXT    NOT NULL,
    PRIMARY KEY (run_id, email)
) WITHOUT ROWID;

CREATE TABLE export_state (
    export_id    INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    email        TEXT    NOT NULL,
    profile_id   TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    tags         TEXT    NOT NULL,
    confirmed_at INTEGER NOT NULL,
    PRIMARY KEY (export_id, email)
) WITHOUT ROWID;
