-- The console's day's work (issue 16): an agent's own default region, the
-- admins' corrections of a document's metadata, and unanswered questions
-- marked handled.

ALTER TABLE users ADD COLUMN region text NOT NULL DEFAULT '';

-- A correction is saved before its upload is stored (the store applies it
-- as it stores the document), so it does not reference documents; it is
-- kept apart from them, like validity_overrides, so it survives re-ingest.
CREATE TABLE document_corrections (
    document_id text PRIMARY KEY,
    correction  jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Keyed by the question's normalised form, the way the admin page groups
-- the unanswered log; the log itself is never changed.
CREATE TABLE unanswered_handled (
    question_key text PRIMARY KEY,
    question     text NOT NULL,
    note         text NOT NULL DEFAULT '',
    handled_by   text NOT NULL,
    handled_at   timestamptz NOT NULL DEFAULT now()
);
