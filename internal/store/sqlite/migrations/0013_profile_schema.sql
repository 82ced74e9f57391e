-- The profile schema: how many profiles carry each attribute, per value
-- type (kept current by every upsert), and the types pinned at import.
CREATE TABLE profile_attributes (
    name     TEXT NOT NULL,
    type     TEXT NOT NULL,
    profiles INTEGER NOT NULL,
    PRIMARY KEY (name, type)
) WITHOUT ROWID;

CREATE TABLE profile_attribute_pins (
    name      TEXT PRIMARY KEY,
    type      TEXT NOT NULL,
    pinned_at INTEGER NOT NULL
) WITHOUT ROWID;

-- recount_needed: the counts must be taken from the stored profiles once
-- (Migrate does it after this migration, in Go).
CREATE TABLE profile_schema_state (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    recount_needed INTEGER NOT NULL
);
INSERT INTO profile_schema_state (id, recount_needed) VALUES (1, 1);
