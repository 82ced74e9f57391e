-- Omnisend connections. The API key is stored only sealed (internal/secret:
-- AES-256-GCM under the master key, bound to the row's id); key_last4 is the
-- only part of it ever shown. AUTOINCREMENT: ids are never reused, so a
-- sealed key or an audit entry can never point at a later connection.
--
-- Removing a connection deletes its row. Exports (a later migration) will
-- reference connections with ON DELETE SET NULL and record a detached
-- reason, so they keep their settings, stop running and say why.
CREATE TABLE connections (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    name                   TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    access                 TEXT    NOT NULL CHECK (access IN ('admins', 'contributors')),
    key_ciphertext         BLOB    NOT NULL,
    key_last4              TEXT    NOT NULL,
    dialect                TEXT    NOT NULL CHECK (dialect IN ('2026-03-15', 'v3')),
    base_url               TEXT    NOT NULL,
    brand_id               TEXT    NOT NULL DEFAULT '',
    brand_name             TEXT    NOT NULL DEFAULT '',
    checked_at             INTEGER,
    consent_by             TEXT    NOT NULL,
    consent_at             INTEGER NOT NULL,
    consent_notice_version TEXT    NOT NULL,
    export_user            TEXT    NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
