-- Export definitions. Saving one never runs it.
--
-- connection_id is NULL when the export is detached: removing a connection
-- sets it to NULL (the export keeps its settings and stops running);
-- connection_name keeps the name the connection had when the export was last
-- saved, so a detached export can still say which connection it lost, and
-- detached_reason is for the run pipeline to record why it stopped.
-- Identity ids are never reused.
CREATE TABLE exports (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text        NOT NULL,
    connection_id      bigint      REFERENCES connections (id) ON DELETE SET NULL,
    connection_name    text        NOT NULL DEFAULT '',
    detached_reason    text        NOT NULL DEFAULT '',
    mapping            jsonb       NOT NULL,
    tag_prefix         text        NOT NULL,
    leave_behaviour    text        NOT NULL CHECK (leave_behaviour IN ('untag', 'keep')),
    schedule_kind      text        NOT NULL CHECK (schedule_kind IN ('refresh', 'cron', 'manual')),
    schedule_cron      text        NOT NULL DEFAULT '',
    schedule_time_zone text        NOT NULL DEFAULT '',
    profile_cap        integer     NOT NULL CHECK (profile_cap > 0),
    active             boolean     NOT NULL DEFAULT true,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
CREATE UNIQUE INDEX exports_name_key ON exports (lower(name));
CREATE INDEX exports_connection ON exports (connection_id);

-- The segments an export sends, in the user's order. Deleting an export
-- deletes its rows; deleting a segment that an export uses is refused
-- (RESTRICT, and DeleteSegment names the exports first), so a segment's tags
-- can never be orphaned in Omnisend without a run to untag them.
CREATE TABLE export_segments (
    export_id  bigint  NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    segment_id bigint  NOT NULL REFERENCES segments (id) ON DELETE RESTRICT,
    position   integer NOT NULL,
    PRIMARY KEY (export_id, segment_id)
);
CREATE INDEX export_segments_segment ON export_segments (segment_id);
