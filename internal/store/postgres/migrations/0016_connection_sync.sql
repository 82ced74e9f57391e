-- Where each connection's check of Omnisend's unsubscribes stopped
-- (internal/readback): when the last check that finished started. The
-- next check asks Omnisend for the contacts updated since then.
CREATE TABLE connection_sync (
    connection_id           bigint      PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    unsubscribes_checked_at timestamptz NOT NULL
);
