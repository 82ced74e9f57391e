-- One executor per run: the executor working a run holds a lease on it
-- (owner, until), renewed while it works; another executor may take the
-- run over only once the lease has run out. Requests are counted into
-- export_runs.requests as they are made (no longer saved with the run).
--
-- The export's confirmed state now takes in what a run confirms as it is
-- confirmed. A contact whose batch was sent (or about to be) but not
-- confirmed is unsure: Omnisend may hold it with any of the tags listed
-- (the union of what was confirmed and what was sent); its hash is the
-- last confirmed one ('' if none was).
ALTER TABLE export_runs ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE export_runs ADD COLUMN lease_until INTEGER;
ALTER TABLE export_state ADD COLUMN unsure INTEGER NOT NULL DEFAULT 0;
