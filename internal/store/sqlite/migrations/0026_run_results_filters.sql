-- A run's results page through filters (status, reason, e-mail prefix) on
-- runs of a million contacts: each filter gets an index that lists its ops
-- in seq order (keyset paging) and counts them without reading the rows.
-- The reason index is partial: only skipped and failed ops carry a reason,
-- so a plan writing a million upserts does not maintain it. Filters by
-- action go through the status index or the primary key.
CREATE INDEX run_ops_by_status ON run_ops (run_id, status, seq);
CREATE INDEX run_ops_by_reason ON run_ops (run_id, reason, seq) WHERE reason <> '';
CREATE INDEX run_ops_by_email ON run_ops (run_id, email);
