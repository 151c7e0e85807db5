-- Validity (issue "Current law"): what the parser read about when a document
-- and, rarely, a clause applies (policy.Validity as JSON), and the admins'
-- overrides. Status is computed from these at query time, never stored.
-- Overrides are keyed by document ID without a foreign key, so they survive
-- a document's re-ingest, removal and return. policy.ParserVersion changed
-- with this migration, so the next ingest re-parses every document and
-- fills the columns; until then documents have no validity facts (status
-- unknown).
ALTER TABLE documents ADD COLUMN validity jsonb NOT NULL DEFAULT '{}';
ALTER TABLE clauses ADD COLUMN validity jsonb;

CREATE TABLE validity_overrides (
    document_id text PRIMARY KEY,
    override    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
