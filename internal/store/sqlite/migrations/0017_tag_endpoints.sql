-- How a connection's exports tag contacts (internal/connection.Tagging):
-- 'upsert' sends the tags on the upsert (as before), 'endpoints' sends
-- upserts without tags and adds them with POST /contacts/tags, so tags
-- the merchant or other integrations set survive where Omnisend's upsert
-- replaces a contact's tags. Those tag ops are read like untags.
ALTER TABLE connections ADD COLUMN tagging TEXT NOT NULL DEFAULT 'upsert';
CREATE INDEX run_ops_tags ON run_ops (run_id, status, seq) WHERE kind = 'tag';
