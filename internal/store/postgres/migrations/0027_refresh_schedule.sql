-- The system refresh's schedule as an admin set it (one row, id 1), read
-- by every process on each cron check; cron '' means none stored yet, so
-- the process's --refresh-schedule/--time-zone (or their defaults) apply.
-- last_fired_at is the latest firing a process claimed, so one firing
-- queues one refresh however many processes check it.
CREATE TABLE refresh_schedule (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cron TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ,
    updated_by TEXT NOT NULL DEFAULT '',
    last_fired_at TIMESTAMPTZ
);
