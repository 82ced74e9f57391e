CREATE TABLE profiles (
    id         text COLLATE "C" PRIMARY KEY,
    attrs      jsonb       NOT NULL,
    hash       text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE segments (
    id           bigserial PRIMARY KEY,
    name         text        NOT NULL,
    slug         text        NOT NULL UNIQUE,
    kind         text        NOT NULL CHECK (kind IN ('rule', 'static')),
    rule         text        NOT NULL DEFAULT '',
    static_count integer     NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    refreshed_at timestamptz,
    member_count integer     NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX segments_name_key ON segments (lower(name));

CREATE TABLE segment_static_ids (
    segment_id bigint NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    profile_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (segment_id, profile_id)
);

CREATE TABLE segment_members (
    segment_id bigint NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    profile_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (segment_id, profile_id)
);
