-- A JSON Schema (draft 2020-12) per configuration, NULL for none: kept with the configuration
-- and with each of its revisions, so a restore brings back the schema its config was written under.
ALTER TABLE configurations ADD COLUMN schema jsonb;
ALTER TABLE configuration_revisions ADD COLUMN schema jsonb;
