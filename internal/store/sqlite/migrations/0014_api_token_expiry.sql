-- An API token may expire: NULL never does. Microseconds since the epoch,
-- like every other time in this database.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
