-- The scheduled system refreshes: segments re-evaluated, then the exports
-- that run "after each refresh" queued. River keeps the jobs; this keeps
-- the history people see.
CREATE TABLE system_refreshes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT    NOT NULL,
    message     TEXT    NOT NULL DEFAULT '',
    segments    INTEGER NOT NULL DEFAULT 0,
    runs        INTEGER NOT NULL DEFAULT 0
);
