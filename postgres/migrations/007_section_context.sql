-- Each clause's section context (retrieval.SectionContext): the terms every
-- other clause of its section holds and it lacks, which the searcher counts
-- almost as its own. Existing rows get none until their documents are
-- re-indexed, which the next ingest does (retrieval.IndexVersion 3 changes
-- every document's content hash).
ALTER TABLE clauses ADD COLUMN context_terms text[] NOT NULL DEFAULT '{}';
