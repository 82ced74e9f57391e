-- The members an export skips (no usable e-mail, a duplicate, ...) as its
-- latest plan decided. A changes-only plan counts those it does not read
-- again from here, instead of writing their skip ops once more (about
-- 25,000 rows a run at 1,000,000 members, with every run_ops index).
CREATE TABLE export_skips (
    export_id  bigint NOT NULL REFERENCES exports (id) ON DELETE CASCADE,
    profile_id text COLLATE "C" NOT NULL,
    email      text COLLATE "C" NOT NULL,
    reason     text NOT NULL,
    PRIMARY KEY (export_id, profile_id)
);
