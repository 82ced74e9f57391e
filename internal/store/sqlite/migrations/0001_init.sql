CREATE TABLE profiles (
    id         TEXT    NOT NULL PRIMARY KEY,
    attrs      TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE segments (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    slug         TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL CHECK (kind IN ('rule', 'static')),
    rule         TEXT    NOT NULL DEFAULT '',
    static_count INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    refreshed_at INTEGER,
    member_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE segment_static_ids (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    profile_id TEXT    NOT NULL,
    PRIMARY KEY (segment_id, profile_id)
) WITHOUT ROWID;

CREATE TABLE segment_members (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    profile_id TEXT    NOT NULL,
    PRIMARY KEY (segment_id, profile_id)
) WITHOUT ROWID;
