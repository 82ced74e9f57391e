-- The plan no longer stages the contacts a run wants in run_desired: it
-- diffs each chunk of members against the export's state as it goes, keeps
-- the e-mails it planned in memory (to drop duplicates and find leavers),
-- and writes only the ops.
DROP TABLE run_desired;

-- Fewer indexes for run_ops to keep up to date while a plan writes a
-- million upserts: batch lookups use run_ops_send (only upserts have batch
-- ids), and the pending-op index becomes one for untags only (upserts are
-- found through run_ops_send).
DROP INDEX run_ops_batch;
DROP INDEX run_ops_pending;
CREATE INDEX run_ops_untags ON run_ops (run_id, status, seq) WHERE kind = 'untag';
