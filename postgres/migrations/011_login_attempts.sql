-- Console login attempts per account (console.LoginAttempts), shared by the
-- replicas so the lockout holds across them: an attempt is counted before
-- the password is checked, under a row lock, so parallel guesses count too.
CREATE TABLE login_attempts (
    name         text PRIMARY KEY,
    count        integer NOT NULL,
    first_at     timestamptz NOT NULL,
    locked_until timestamptz
);
