-- A clause's role (policy.Clause.Role): empty for a measure or article,
-- 'preamble' or 'closing' for the text a numbered document has above its
-- first heading or after its last clause, which the parser now keeps
-- (policy.ParserVersion changes every document's content hash, so the next
-- ingest re-parses them; until then existing rows have no such clauses).
ALTER TABLE clauses ADD COLUMN role text NOT NULL DEFAULT '';
