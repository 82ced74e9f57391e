-- Notifications (internal/notify): channels, the rules that watch runs and
-- sources, each rule's condition per export or source, the outbox of
-- events (written when they happen, processed by the background loop), and
-- the deliveries with every attempt and its answer.
--
-- A channel's URL, signing secret and SMTP password are stored only sealed
-- (internal/secret, bound to the row's id); target is what may be shown.
CREATE TABLE notify_channels (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text        NOT NULL,
    kind              text        NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    events            text        NOT NULL CHECK (events IN ('alerts', 'lifecycle', 'alerts,lifecycle')),
    target            text        NOT NULL,
    settings          jsonb       NOT NULL DEFAULT '{}',
    secret_ciphertext bytea       NOT NULL,
    failing           boolean     NOT NULL DEFAULT false,
    failures          integer     NOT NULL DEFAULT 0,
    last_error        text        NOT NULL DEFAULT '',
    last_attempt_at   timestamptz,
    last_success_at   timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX notify_channels_name_key ON notify_channels (lower(name));

-- A rule watches one export (export_id) or all (NULL) and notifies one
-- channel or every channel that takes alerts (NULL).
CREATE TABLE notify_rules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text             NOT NULL CHECK (kind IN ('run_failed', 'run_held', 'contacts_rejected', 'members_changed',
                                                          'run_slow', 'source_failed', 'key_rejected')),
    export_id   bigint REFERENCES exports (id) ON DELETE CASCADE,
    channel_id  bigint REFERENCES notify_channels (id) ON DELETE CASCADE,
    percent     double precision NOT NULL DEFAULT 0,
    count       integer          NOT NULL DEFAULT 0,
    duration_ms bigint           NOT NULL DEFAULT 0,
    created_at  timestamptz      NOT NULL
);

-- The defaults from the first start: a failed run, a held run and a
-- rejected Omnisend key, on every export, to every channel.
INSERT INTO notify_rules (kind, created_at) VALUES ('run_failed', now()), ('run_held', now()), ('key_rejected', now());

-- Whether a rule's condition holds for a subject ('export:12',
-- 'source:crm'): a notification goes out only when it changes.
CREATE TABLE notify_conditions (
    rule_id bigint      NOT NULL REFERENCES notify_rules (id) ON DELETE CASCADE,
    subject text        NOT NULL,
    firing  boolean     NOT NULL,
    since   timestamptz NOT NULL,
    run_id  bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (rule_id, subject)
);

-- The outbox: a run's or a source's event, written when it happens (one
-- per dedupe key), processed in id order.
CREATE TABLE notify_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL,
    dedupe_key   text        NOT NULL UNIQUE,
    data         jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    processed_at timestamptz
);
CREATE INDEX notify_events_pending ON notify_events (id) WHERE processed_at IS NULL;

-- One notification to one channel; payload is its JSON
-- (docs/notifications.schema.json) and never holds a secret. Kept as text:
-- it is sent byte for byte as it was signed.
CREATE TABLE notify_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel_id      bigint      NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    notification_id text        NOT NULL UNIQUE,
    event           text        NOT NULL,
    summary         text        NOT NULL,
    run_id          bigint      NOT NULL DEFAULT 0,
    payload         text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    max_attempts    integer     NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    claimed_by      text        NOT NULL DEFAULT '',
    claimed_until   timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    finished_at     timestamptz
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notify_deliveries_channel ON notify_deliveries (channel_id, id);

-- Every attempt at a delivery and the answer: the HTTP status or SMTP
-- reply code (0: none), the start of the answer, why it failed.
CREATE TABLE notify_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint      NOT NULL REFERENCES notify_deliveries (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    duration_us bigint      NOT NULL,
    code        integer     NOT NULL DEFAULT 0,
    response    text        NOT NULL DEFAULT '',
    error       text        NOT NULL DEFAULT '',
    ok          boolean     NOT NULL
);
CREATE INDEX notify_attempts_delivery ON notify_attempts (delivery_id, id);

-- Which process turns events into notifications (one at a time, so that
-- conditions change in event order).
CREATE TABLE notify_leases (
    name  text PRIMARY KEY,
    owner text        NOT NULL,
    until timestamptz NOT NULL
);
