-- The members an export skips (no usable e-mail, a duplicate, ...) as its
-- latest plan decided. A changes-only plan counts those it does not read
-- again from here, instead of writing their skip ops once more (about
-- 25,000 rows a run at 1,000,000 members, with every run_ops index).
CREATE TABLE export_skips (
    export_id  INTEGER NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    profile_id TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    PRIMARY KEY (export_id, profile_id)
) WITHOUT ROWID;
