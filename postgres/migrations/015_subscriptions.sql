-- Opt-in pushes of new policies (订阅政策推送): kept with the profile, gone with it.
ALTER TABLE profiles ADD COLUMN subscribed boolean NOT NULL DEFAULT false;
CREATE INDEX profiles_subscribed_idx ON profiles (key) WHERE subscribed;
