-- Enterprise profiles (enterprise.Profile as JSON) by key: wechat:<openid>
-- for a WeChat user, console:<id> for a caller set up by an agent.
CREATE TABLE profiles (
    key        text PRIMARY KEY,
    profile    jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
