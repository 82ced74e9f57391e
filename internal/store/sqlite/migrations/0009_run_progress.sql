-- How far a run's send, confirm and untag steps are, saved by the executor
-- as it goes (JSON run.Progress): the web UI, the API and the CLI poll it
-- while a run works, and counting a million-op run's ops for each poll
-- took seconds.
ALTER TABLE export_runs ADD COLUMN progress TEXT NOT NULL DEFAULT '{}';
