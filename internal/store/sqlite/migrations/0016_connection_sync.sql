-- Where each connection's check of Omnisend's unsubscribes stopped
-- (internal/readback): when the last check that finished started,
-- microseconds since the epoch. The next check asks Omnisend for the
-- contacts updated since then.
CREATE TABLE connection_sync (
    connection_id           INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    unsubscribes_checked_at INTEGER NOT NULL
);
