-- Who each clause is for (policy.Applicability: subjects, conditions, with
-- the phrases they were read from), read at ingest by enterprise.Read. NULL:
-- the clause names no one. Rows stored before this version get it when
-- their documents are next ingested: retrieval.IndexVersion 4 makes every
-- unchanged file be read again.
ALTER TABLE clauses ADD COLUMN applicability jsonb;

CREATE INDEX clauses_applicable_idx ON clauses (document_id) WHERE applicability IS NOT NULL;
