-- The profile schema: how many profiles carry each attribute, per value
-- type (kept current by every upsert), and the types pinned at import.
CREATE TABLE profile_attributes (
    name     text COLLATE "C" NOT NULL,
    type     text NOT NULL,
    profiles bigint NOT NULL,
    PRIMARY KEY (name, type)
);

CREATE TABLE profile_attribute_pins (
    name      text COLLATE "C" PRIMARY KEY,
    type      text NOT NULL,
    pinned_at timestamptz NOT NULL
);

-- recount_needed: the counts must be taken from the stored profiles once
-- (Migrate does it after this migration, in Go).
CREATE TABLE profile_schema_state (
    id             integer PRIMARY KEY CHECK (id = 1),
    recount_needed boolean NOT NULL
);
INSERT INTO profile_schema_state (id, recount_needed) VALUES (1, true);
