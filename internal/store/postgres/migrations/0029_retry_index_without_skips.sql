-- A run's failed ops, which the next changes-only plan reads again, no
-- longer list its skip ops: reading the retries went through every
-- skipped member to leave them out (about 25,000 at 1,000,000 members),
-- and every skip op paid for one more index entry. The skipped members
-- are read by run_ops_by_kind.
DROP INDEX run_ops_retry;
CREATE INDEX run_ops_retry ON run_ops (run_id, profile_id) WHERE status IN ('failed', 'skipped') AND kind <> 'skip';
