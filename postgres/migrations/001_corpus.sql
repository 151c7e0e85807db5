-- Corpus: documents, their clauses with lexical terms and embeddings, the
-- embedding cache and the statistics lexical scoring needs.

CREATE TABLE documents (
    id           text PRIMARY KEY,
    title        text NOT NULL,
    number       text NOT NULL DEFAULT '',
    issuer       text NOT NULL DEFAULT '',
    date         text NOT NULL DEFAULT '',  -- YYYY-MM-DD, YYYY-MM or YYYY as parsed: not a date type
    region       text NOT NULL DEFAULT '',
    kind         text NOT NULL DEFAULT '',
    source       text NOT NULL DEFAULT '',
    content_hash text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
    ingested_at  timestamptz NOT NULL DEFAULT now(),
    clause_count integer NOT NULL DEFAULT 0
);

CREATE INDEX documents_region_idx ON documents (region) WHERE status = 'active';

-- The embedding column has no dimension here: the dimension belongs to the
-- embedding model, which the binary learns at run time. Store.SetModel types
-- the column as vector(n) and builds the HNSW index (which needs a fixed
-- dimension) when the model is first recorded or its dimension changes.
CREATE TABLE clauses (
    id            text PRIMARY KEY,
    document_id   text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ord           integer NOT NULL,
    label         text NOT NULL DEFAULT '',
    path          text[] NOT NULL DEFAULT '{}',
    title         text NOT NULL DEFAULT '',
    text          text NOT NULL DEFAULT '',
    agencies      text[] NOT NULL DEFAULT '{}',
    lead_agencies text[] NOT NULL DEFAULT '{}',
    text_hash     text NOT NULL DEFAULT '',
    terms         text[] NOT NULL DEFAULT '{}',
    embedding     vector,
    -- Terms are already segmented (Chinese has no spaces for a text search
    -- parser to split on), so they become lexemes as they are, unstemmed.
    lex           tsvector GENERATED ALWAYS AS (array_to_tsvector(array_remove(terms, ''))) STORED,
    UNIQUE (document_id, ord)
);

CREATE INDEX clauses_lex_gin ON clauses USING gin (lex);

CREATE TABLE embedding_cache (
    model     text NOT NULL,
    text_hash text NOT NULL,
    embedding vector NOT NULL,  -- any dimension: each model has its own
    PRIMARY KEY (model, text_hash)
);

-- meta holds single values about the store, e.g. the embedding model.
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- term_df and corpus_stats are maintained in the transactions that change
-- clauses, counting active documents only, so lexical scoring reads exact
-- figures without scanning the corpus.
CREATE TABLE term_df (
    term text PRIMARY KEY,
    df   integer NOT NULL CHECK (df >= 0)  -- rows reaching 0 are deleted in the same transaction
);

CREATE TABLE corpus_stats (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    clauses bigint NOT NULL,
    terms   bigint NOT NULL  -- sum of cardinality(terms) over active clauses
);

INSERT INTO corpus_stats (clauses, terms) VALUES (0, 0);
