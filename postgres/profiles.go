package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"policybot/enterprise"
	"policybot/state"
)

var _ enterprise.Profiles = (*Store)(nil)

// Profile returns the enterprise profile kept under key.
func (s *Store) Profile(ctx context.Context, key string) (enterprise.Profile, error) {
	var p enterprise.Profile
	err := s.pool.QueryRow(ctx, "SELECT profile FROM profiles WHERE key = $1", key).Scan(&p)
	if isNoRows(err) {
		return p, fmt.Errorf("postgres: profile: %w", state.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("postgres: profile %s: %w", logKey(key), err)
	}
	return p, nil
}

// SaveProfile keeps p under key, replacing any earlier profile.
func (s *Store) SaveProfile(ctx context.Context, key string, p enterprise.Profile) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO profiles (key, profile) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET profile = excluded.profile, updated_at = now()`, key, p)
	if err != nil {
		return fmt.Errorf("postgres: save profile %s: %w", logKey(key), err)
	}
	return nil
}

// DeleteProfile removes the profile under key; a missing one is no error.
func (s *Store) DeleteProfile(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, "DELETE FROM profiles WHERE key = $1", key); err != nil {
		return fmt.Errorf("postgres: delete profile %s: %w", logKey(key), err)
	}
	return nil
}

// SetSubscribed turns pushes on or off for the profile under key.
func (s *Store) SetSubscribed(ctx context.Context, key string, on bool) error {
	tag, err := s.pool.Exec(ctx, "UPDATE profiles SET subscribed = $2 WHERE key = $1", key, on)
	if err != nil {
		return fmt.Errorf("postgres: subscribe %s: %w", logKey(key), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: subscribe: %w", state.ErrNotFound)
	}
	return nil
}

// Subscribers returns every subscribed profile, in key order.
func (s *Store) Subscribers(ctx context.Context) ([]enterprise.Subscriber, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, profile FROM profiles WHERE subscribed ORDER BY key COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("postgres: subscribers: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (enterprise.Subscriber, error) {
		var sub enterprise.Subscriber
		err := r.Scan(&sub.Key, &sub.Profile)
		return sub, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: subscribers: %w", err)
	}
	return out, nil
}
