-- Who started a run by hand: the id of the signed-in user (NULL for the
-- scheduler, a system refresh or the command line's local operator). A
-- run whose starter may no longer run the export (removed, demoted, or
-- the connection made admins-only) stops at its next batch.
ALTER TABLE export_runs ADD COLUMN started_by INTEGER;
