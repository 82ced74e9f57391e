-- An export's consent policy (internal/export.ConsentPolicy): 'keep' (the
-- default) never sends an e-mail status, 'opt-ins' sends mapped opt-ins
-- with their date, 'mirror' sends mapped opt-ins and opt-outs with their
-- date. Exports that mapped a consent status with its date attribute sent
-- it before: they become 'mirror'. The others sent an unknown status, now
-- never sent: 'keep'.
ALTER TABLE exports ADD COLUMN consent_policy TEXT NOT NULL DEFAULT 'keep';
UPDATE exports SET consent_policy = 'mirror'
 WHERE coalesce(json_extract(CAST(mapping AS TEXT), '$.consent.attribute'), '') <> ''
   AND coalesce(json_extract(CAST(mapping AS TEXT), '$.consent.date_attribute'), '') <> '';
