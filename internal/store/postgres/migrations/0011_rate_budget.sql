-- The Omnisend rate budget shared by every segbridge process on this
-- database (package omnisend/pgbudget): one sliding-window log per brand
-- and route class. The tables are UNLOGGED: they hold at most a minute of
-- state that is worthless after a server crash, and skipping the WAL keeps
-- a round trip per request cheap.

-- A slot is one request admitted to a brand's window. It holds its place
-- while in flight (until expires_at = admission + lease + span, in case its
-- process dies) and, once answered, until span after the answer.
CREATE UNLOGGED TABLE rate_budget_slots (
    id          bigserial PRIMARY KEY,
    brand       text NOT NULL,
    class       text NOT NULL,
    share       text NOT NULL,
    in_flight   boolean NOT NULL,
    span        interval NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX rate_budget_slots_window ON rate_budget_slots (brand, class, expires_at);

-- A waiter is a request waiting for a slot; the fair order is decided
-- among the waiters seen recently (a dead process's waiters go stale).
CREATE UNLOGGED TABLE rate_budget_waiters (
    id       bigserial PRIMARY KEY,
    brand    text NOT NULL,
    class    text NOT NULL,
    share    text NOT NULL,
    seen_at  timestamptz NOT NULL
);
CREATE INDEX rate_budget_waiters_queue ON rate_budget_waiters (brand, class, id);

-- The slowdown after a 429: the fraction of the limit right after the
-- last 429 (it climbs back over the recovery time) and the pause.
CREATE UNLOGGED TABLE rate_budget_state (
    brand         text NOT NULL,
    class         text NOT NULL,
    factor        double precision NOT NULL,
    hit_at        timestamptz NOT NULL,
    paused_until  timestamptz NOT NULL,
    PRIMARY KEY (brand, class)
);
