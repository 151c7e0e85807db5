-- The HNSW index now holds half-precision copies of the embeddings (see
-- postgres.VectorIndexSQL): half the memory to build and to cache. The
-- searches order by the same expression; an index of the old form would no
-- longer be used, so it is rebuilt here when the column has a dimension.
DROP INDEX IF EXISTS clauses_embedding_hnsw;
DO $$
DECLARE
    dims integer;
BEGIN
    SELECT atttypmod INTO dims FROM pg_attribute
        WHERE attrelid = 'clauses'::regclass AND attname = 'embedding';
    IF dims > 0 THEN
        EXECUTE format('CREATE INDEX clauses_embedding_hnsw ON clauses
            USING hnsw ((embedding::halfvec(%s)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 64)', dims);
    END IF;
END
$$;
