-- An API token may expire: NULL never does.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
