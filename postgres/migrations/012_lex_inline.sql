-- Keep each clause's lexemes in its row. With the default storage
-- (EXTENDED) a row over 2 KB had its largest values moved out of line, and
-- CJK lexemes barely compress, so lex (about 1.1 KB) was read from the TOAST
-- table for every matching clause a lexical search ranks: ranking 269
-- matches took 1.7 ms, 0.8 ms with lex in the row (EXPLAIN ANALYZE, seeds +
-- corpus). MAIN moves it out only when nothing else makes the row fit a page;
-- text and terms, which searches no longer read, still go out first.
ALTER TABLE clauses ALTER COLUMN lex SET STORAGE MAIN;

-- Rewrite the rows stored so far, so that their lexemes move in too (lex is
-- generated from terms; an unchanged embedding keeps its TOAST pointer). The
-- old versions stay as dead rows, which the HNSW scan steps over, until
-- autovacuum removes them a minute or so later (under load: 125 answers/s
-- before the VACUUM, 196 after).
UPDATE clauses SET terms = terms;
