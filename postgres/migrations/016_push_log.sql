-- The admins' log of policy pushes (state.PushEntry); the enterprise is its
-- profile key with the openid hashed. Purged by age with the other state.
CREATE TABLE push_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    enterprise text NOT NULL,
    documents  text[] NOT NULL,
    outcome    text NOT NULL
);

CREATE INDEX push_log_at_idx ON push_log (at DESC);
