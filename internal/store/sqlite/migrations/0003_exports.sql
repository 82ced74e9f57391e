-- Export definitions. Saving one never runs it.
--
-- connection_id is NULL when the export is detached: removing a connection
-- sets it to NULL (the export keeps its settings and stops running);
-- connection_name keeps the name the connection had when the export was last
-- saved, so a detached export can still say which connection it lost, and
-- detached_reason is for the run pipeline to record why it stopped.
-- AUTOINCREMENT: ids are never reused, so runs and audit entries can never
-- point at a later export.
CREATE TABLE exports (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    connection_id      INTEGER REFERENCES connections (id) ON DELETE SET NULL,
    connection_name    TEXT    NOT NULL DEFAULT '',
    detached_reason    TEXT    NOT NULL DEFAULT '',
    mapping            TEXT    NOT NULL,
    tag_prefix         TEXT    NOT NULL,
    leave_behaviour    TEXT    NOT NULL CHECK (leave_behaviour IN ('untag', 'keep')),
    schedule_kind      TEXT    NOT NULL CHECK (schedule_kind IN ('refresh', 'cron', 'manual')),
    schedule_cron      TEXT    NOT NULL DEFAULT '',
    schedule_time_zone TEXT    NOT NULL DEFAULT '',
    profile_cap        INTEGER NOT NULL CHECK (profile_cap > 0),
    active             INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX exports_connection ON exports (connection_id);

-- The segments an export sends, in the user's order. Deleting an export
-- deletes its rows; deleting a segment that an export uses is refused
-- (RESTRICT, and DeleteSegment names the exports first), so a segment's tags
-- can never be orphaned in Omnisend without a run to untag them.
CREATE TABLE export_segments (
    export_id  INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE RESTRICT,
    position   INTEGER NOT NULL,
    PRIMARY KEY (export_id, segment_id)
) WITHOUT ROWID;
CREATE INDEX export_segments_segment ON export_segments (segment_id);
