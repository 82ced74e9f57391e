-- Notifications (internal/notify): channels, the rules that watch runs and
-- sources, each rule's condition per export or source, the outbox of
-- events (written when they happen, processed by the background loop), and
-- the deliveries with every attempt and its answer. Times are microseconds
-- since the epoch.
--
-- A channel's URL, signing secret and SMTP password are stored only sealed
-- (internal/secret, bound to the row's id); target is what may be shown.
CREATE TABLE notify_channels (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    kind              TEXT    NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    events            TEXT    NOT NULL CHECK (events IN ('alerts', 'lifecycle', 'alerts,lifecycle')),
    target            TEXT    NOT NULL,
    settings          TEXT    NOT NULL DEFAULT '{}',
    secret_ciphertext BLOB    NOT NULL,
    failing           INTEGER NOT NULL DEFAULT 0,
    failures          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT    NOT NULL DEFAULT '',
    last_attempt_at   INTEGER,
    last_success_at   INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- A rule watches one export (export_id) or all (NULL) and notifies one
-- channel or every channel that takes alerts (NULL).
CREATE TABLE notify_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('run_failed', 'run_held', 'contacts_rejected', 'members_changed',
                                                 'run_slow', 'source_failed', 'key_rejected')),
    export_id   INTEGER REFERENCES exports (id) ON DELETE CASCADE,
    channel_id  INTEGER REFERENCES notify_channels (id) ON DELETE CASCADE,
    percent     REAL    NOT NULL DEFAULT 0,
    count       INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- The defaults from the first start: a failed run, a held run and a
-- rejected Omnisend key, on every export, to every channel.
INSERT INTO notify_rules (kind, created_at) VALUES
    ('run_failed', CAST(strftime('%s', 'now') AS INTEGER) * 1000000),
    ('run_held', CAST(strftime('%s', 'now') AS INTEGER) * 1000000),
    ('key_rejected', CAST(strftime('%s', 'now') AS INTEGER) * 1000000);

-- Whether a rule's condition holds for a subject ('export:12',
-- 'source:crm'): a notification goes out only when it changes.
CREATE TABLE notify_conditions (
    rule_id INTEGER NOT NULL REFERENCES notify_rules (id) ON DELETE CASCADE,
    subject TEXT    NOT NULL,
    firing  INTEGER NOT NULL,
    since   INTEGER NOT NULL,
    run_id  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rule_id, subject)
);

-- The outbox: a run's or a source's event, written when it happens (one
-- per dedupe key), processed in id order.
CREATE TABLE notify_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    dedupe_key   TEXT    NOT NULL UNIQUE,
    data         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    processed_at INTEGER
);
CREATE INDEX notify_events_pending ON notify_events (id) WHERE processed_at IS NULL;

-- One notification to one channel; payload is its JSON
-- (docs/notifications.schema.json) and never holds a secret.
CREATE TABLE notify_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id      INTEGER NOT NULL REFERENCES notify_channels (id) ON DELETE CASCADE,
    notification_id TEXT    NOT NULL UNIQUE,
    event           TEXT    NOT NULL,
    summary         TEXT    NOT NULL,
    run_id          INTEGER NOT NULL DEFAULT 0,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT    NOT NULL DEFAULT '',
    claimed_until   INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notify_deliveries_channel ON notify_deliveries (channel_id, id);

-- Every attempt at a delivery and the answer: the HTTP status or SMTP
-- reply code (0: none), the start of the answer, why it failed.
CREATE TABLE notify_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES notify_deliveries (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    code        INTEGER NOT NULL DEFAULT 0,
    response    TEXT    NOT NULL DEFAULT '',
    error       TEXT    NOT NULL DEFAULT '',
    ok          INTEGER NOT NULL
);
CREATE INDEX notify_attempts_delivery ON notify_attempts (delivery_id, id);

-- Which process turns events into notifications (one at a time, so that
-- conditions change in event order).
CREATE TABLE notify_leases (
    name  TEXT PRIMARY KEY,
    owner TEXT    NOT NULL,
    until INTEGER NOT NULL
);
