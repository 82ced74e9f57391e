-- Issue 18, the incremental plan: a changes-only run reads only the
-- members whose attributes or segment membership changed since the
-- export's last successful run planned, the contacts that run did not get
-- through, and the unsure ones.
--
-- How a run planned (run.PlanInfo as JSON: full or changes only, why, the
-- signature of the export's settings it planned with, when it started),
-- and whether it was asked for a full check.
ALTER TABLE export_runs ADD COLUMN plan TEXT NOT NULL DEFAULT '{}';
-- The profiles changed since a time (updated_at moves when, and only when,
-- a profile's attributes change).
CREATE INDEX profiles_updated_at ON profiles (updated_at);
-- Every join and leave a segment refresh stores (deleted profiles leave),
-- kept 30 days.
CREATE TABLE segment_member_changes (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    changed_at INTEGER NOT NULL,
    profile_id TEXT    NOT NULL,
    PRIMARY KEY (segment_id, changed_at, profile_id)
) WITHOUT ROWID;
-- The state entries of given profiles (the leavers among them), and the
-- unsure ones (sent again).
CREATE INDEX export_state_profile ON export_state (export_id, profile_id);
CREATE INDEX export_state_unsure ON export_state (export_id) WHERE unsure;
-- A run's ops that failed or were skipped (the next plan retries them).
CREATE INDEX run_ops_retry ON run_ops (run_id, profile_id) WHERE status IN ('failed', 'skipped');
