-- The import history: one row per import of profiles (who, when, what
-- file, the counts and how it ended), written by the profiles service.
CREATE TABLE profile_imports (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    source     text        NOT NULL,
    format     text        NOT NULL,
    bytes      bigint      NOT NULL,
    rows_read  integer     NOT NULL,
    inserted   integer     NOT NULL,
    updated    integer     NOT NULL,
    unchanged  integer     NOT NULL,
    rejected   integer     NOT NULL,
    status     text        NOT NULL CHECK (status IN ('done', 'partial', 'failed')),
    message    text        NOT NULL DEFAULT ''
);

-- Profile search by e-mail prefix, ignoring case, in e-mail then id order.
CREATE INDEX profiles_email ON profiles ((lower(attrs->>'email') COLLATE "C"), id);
