-- The document of an unanswered question's best hit (state.Unanswered.Document):
-- the admin page shows its validity, so a question that found only an expired
-- or repealed policy shows up as a gap in the corpus. Empty for earlier rows.
ALTER TABLE unanswered ADD COLUMN document text NOT NULL DEFAULT '';
