-- The original bytes of documents uploaded through the admin pages, so an
-- upload can be re-ingested (after a parser upgrade) like a file on disk.
-- ReplaceDocument upserts the documents row rather than deleting it, so a
-- source outlives replacements of its document and goes only when the
-- document itself is removed.

CREATE TABLE document_sources (
    document_id text PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    name        text NOT NULL,   -- the file name the upload was ingested under
    data        bytea NOT NULL,  -- uploads are size-limited (2 MiB by default)
    saved_at    timestamptz NOT NULL DEFAULT now()
);
