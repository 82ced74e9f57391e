-- The scheduled system refreshes: segments re-evaluated, then the exports
-- that run "after each refresh" queued. River keeps the jobs; this keeps
-- the history people see.
CREATE TABLE system_refreshes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    status      text        NOT NULL,
    message     text        NOT NULL DEFAULT '',
    segments    integer     NOT NULL DEFAULT 0,
    runs        integer     NOT NULL DEFAULT 0
);
