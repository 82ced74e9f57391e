-- run_desired was a WITHOUT ROWID table keyed by (run_id, email): each staged
-- contact (with its JSON) went to a random place in the tree, which made
-- planning a large export grow faster than its size. As a rowid table the
-- rows are appended in the order they come, and only the small unique index
-- takes random inserts. Staged rows only live during a run.
DROP TABLE run_desired;
CREATE TABLE run_desired (
    run_id     INTEGER NOT NULL REFERENCES export_runs (id) ON DELETE CASCADE,
    email      TEXT    NOT NULL,
    profile_id TEXT    NOT NULL,
    contact    TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    tags       TEXT    NOT NULL
);
CREATE UNIQUE INDEX run_desired_email ON run_desired (run_id, email);
