-- Omnisend connections. The API key is stored only sealed (internal/secret:
-- AES-256-GCM under the master key, bound to the row's id); key_last4 is the
-- only part of it ever shown. Identity ids are never reused.
--
-- Removing a connection deletes its row. Exports (a later migration) will
-- reference connections with ON DELETE SET NULL and record a detached
-- reason, so they keep their settings, stop running and say why.
CREATE TABLE connections (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                   text        NOT NULL,
    access                 text        NOT NULL CHECK (access IN ('admins', 'contributors')),
    key_ciphertext         bytea       NOT NULL,
    key_last4              text        NOT NULL,
    dialect                text        NOT NULL CHECK (dialect IN ('2026-03-15', 'v3')),
    base_url               text        NOT NULL,
    brand_id               text        NOT NULL DEFAULT '',
    brand_name             text        NOT NULL DEFAULT '',
    checked_at             timestamptz,
    consent_by             text        NOT NULL,
    consent_at             timestamptz NOT NULL,
    consent_notice_version text        NOT NULL,
    export_user            text        NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE UNIQUE INDEX connections_name_key ON connections (lower(name));
