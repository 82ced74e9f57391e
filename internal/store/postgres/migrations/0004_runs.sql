-- Export runs and their durable outbox (run_ops), the contacts a run wants
-- (run_desired, staging for the plan's diff), and each export's confirmed
-- state: what Omnisend is known to hold from earlier runs.
--
-- Tags are JSON arrays and contacts JSON objects, kept as text: the bytes
-- the pipeline wrote are the bytes it reads back (a contact's hash is over
-- them). Identity ids are never reused.
CREATE TABLE export_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    export_id        bigint      NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    trigger          text        NOT NULL,
    status           text        NOT NULL,
    step             text        NOT NULL,
    message          text        NOT NULL DEFAULT '',
    cancel_requested boolean     NOT NULL DEFAULT false,
    queued_at        timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    requests         integer     NOT NULL DEFAULT 0,
    counts           text        NOT NULL DEFAULT '{}'
);
-- One active run per export.
CREATE UNIQUE INDEX export_runs_one_active ON export_runs (export_id) WHERE status IN ('queued', 'running');
CREATE INDEX export_runs_by_export ON export_runs (export_id, id);

CREATE TABLE run_ops (
    run_id     bigint  NOT NULL REFERENCES export_runs (id) ON DELETE CASCADE,
    seq        bigint  NOT NULL,
    kind       text    NOT NULL,
    email      text COLLATE "C" NOT NULL,
    profile_id text COLLATE "C" NOT NULL DEFAULT '',
    is_new     boolean NOT NULL DEFAULT false,
    leaves     boolean NOT NULL DEFAULT false,
    contact    text,
    hash       text    NOT NULL DEFAULT '',
    tags       text    NOT NULL DEFAULT '[]',
    status     text    NOT NULL,
    reason     text    NOT NULL DEFAULT '',
    message    text    NOT NULL DEFAULT '',
    batch_no   bigint  NOT NULL DEFAULT 0,
    batch_id   text COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_ops_pending ON run_ops (run_id, kind, status, seq);
CREATE INDEX run_ops_batch ON run_ops (run_id, batch_id);

CREATE TABLE run_desired (
    run_id     bigint NOT NULL REFERENCES export_runs (id) ON DELETE CASCADE,
    email      text COLLATE "C" NOT NULL,
    profile_id text COLLATE "C" NOT NULL,
    contact    text   NOT NULL,
    hash       text   NOT NULL,
    tags       text   NOT NULL,
    PRIMARY KEY (run_id, email)
);

CREATE TABLE export_state (
    export_id    bigint      NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    email        text COLLATE "C" NOT NULL,
    profile_id   text COLLATE "C" NOT NULL,
    hash         text        NOT NULL,
    tags         text        NOT NULL,
    confirmed_at timestamptz NOT NULL,
    PRIMARY KEY (export_id, email)
);
