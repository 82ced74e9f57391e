-- A run's preview (segbridge export plan) shows each changed field old →
-- new: the old values are the contact of the export's latest confirmed
-- upsert op of that e-mail. This finds them by e-mail without reading
-- every op of the export; only upserts carry contacts, and an op's kind
-- never changes, so the index costs each planned upsert one entry.
CREATE INDEX run_ops_upsert_email ON run_ops (email, run_id) WHERE kind = 'upsert';
