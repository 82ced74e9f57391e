-- The send step reads the next upserts not yet in an Omnisend batch, and
-- records batch ids by batch number: both range scans on this index, so a
-- run's cost per batch does not grow with the run's size.
CREATE INDEX run_ops_send ON run_ops (run_id, batch_id, batch_no, seq) WHERE kind = 'upsert';
