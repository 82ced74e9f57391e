-- The removal brake (internal/run, brake.go). An export's thresholds, as
-- JSON (export.Brake; existing exports get the defaults). A run's hold:
-- the thresholds its plan crossed ('' none), and the decision on its held
-- untags ('' none yet, 'approved', 'discarded'), who made it and when.
-- A held run blocks its export like an active one: the export starts no
-- other run until it is decided.
ALTER TABLE exports ADD COLUMN brake text NOT NULL DEFAULT '{"untag_percent":10,"untag_min":100,"skip_percent":50,"drop_percent":50}';
ALTER TABLE export_runs ADD COLUMN hold text NOT NULL DEFAULT '';
ALTER TABLE export_runs ADD COLUMN hold_decision text NOT NULL DEFAULT '';
ALTER TABLE export_runs ADD COLUMN hold_by text NOT NULL DEFAULT '';
ALTER TABLE export_runs ADD COLUMN hold_at timestamptz;
DROP INDEX export_runs_one_active;
CREATE UNIQUE INDEX export_runs_one_active ON export_runs (export_id) WHERE status IN ('queued', 'running', 'held');
