-- Shared state of the answer service and the WeChat bot, so that several
-- replicas agree: conversation sessions, cached values (access token), public
-- answers, message claims (exactly-once answering) and unanswered questions.

CREATE TABLE sessions (
    id         text PRIMARY KEY,
    data       bytea NOT NULL,
    expires_at timestamptz  -- NULL: never
);

CREATE TABLE kv (
    key        text PRIMARY KEY,
    data       bytea NOT NULL,
    expires_at timestamptz  -- NULL: never
);

CREATE TABLE public_answers (
    id         text PRIMARY KEY,
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per message key (WeChat MsgId, or FromUserName+CreateTime for
-- events); the primary key is what makes a claim exclusive across replicas.
CREATE TABLE message_claims (
    key        text PRIMARY KEY,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    done       boolean NOT NULL DEFAULT false,
    result     bytea
);

CREATE TABLE unanswered (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question   text NOT NULL,
    region     text NOT NULL DEFAULT '',
    best_score double precision NOT NULL DEFAULT 0,
    refused    boolean NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX unanswered_at_idx ON unanswered (at DESC);
