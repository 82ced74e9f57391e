-- A run's results page through filters (status, reason, action, e-mail
-- prefix) on runs of a million contacts: each filter gets an index that
-- lists its ops in seq order (keyset paging) and counts them without
-- reading the rows. The reason and kind indexes are partial (only skipped
-- and failed ops carry a reason; tag, untag and skip ops are few), so a
-- plan writing a million upserts maintains them for the few. Adds and
-- updates (most of a run) go through the primary key.
CREATE INDEX run_ops_by_status ON run_ops (run_id, status, seq);
CREATE INDEX run_ops_by_reason ON run_ops (run_id, reason, seq) WHERE reason <> '';
CREATE INDEX run_ops_by_kind ON run_ops (run_id, kind, seq) WHERE kind <> 'upsert';
CREATE INDEX run_ops_by_email ON run_ops (run_id, email);
