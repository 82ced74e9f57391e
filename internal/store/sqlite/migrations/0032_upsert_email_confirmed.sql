-- The preview's old values (run_ops_upsert_email, migration 0021) are
-- read from confirmed upserts only, so the index holds only those: an op
-- enters it when its batch is confirmed, not when a plan writes it. A
-- plan's upserts are pending, and each one's entry by e-mail, across all
-- runs, landed on a page of its own: at 1,000,000 members the ops of a
-- 1 % change rewrote about ten thousand random index pages while the plan
-- waited. Failed upserts no longer take an entry either.
DROP INDEX run_ops_upsert_email;
CREATE INDEX run_ops_upsert_email ON run_ops (email, run_id) WHERE kind = 'upsert' AND status = 'ok';
