package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"policybot/staff"
)

var (
	_ staff.UserStore    = (*Store)(nil)
	_ staff.SessionStore = (*Store)(nil)
	_ staff.AuditLog     = (*Store)(nil)
)

const userColumns = `name, role, password_hash, disabled, created_at, region`

func scanUser(row pgx.Row) (staff.User, error) {
	var u staff.User
	err := row.Scan(&u.Name, &u.Role, &u.PasswordHash, &u.Disabled, &u.CreatedAt, &u.Region)
	return u, err
}

// User returns one console account, or staff.ErrUserNotFound.
func (s *Store) User(ctx context.Context, name string) (staff.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	if isNoRows(err) {
		return staff.User{}, notFound("user", name, staff.ErrUserNotFound)
	}
	if err != nil {
		return staff.User{}, fmt.Errorf("postgres: user %q: %w", name, err)
	}
	return u, nil
}

// Users lists every console account by name.
func (s *Store) Users(ctx context.Context) ([]staff.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (staff.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	return us, nil
}

// AddUser creates a console account, or fails with staff.ErrUserExists.
func (s *Store) AddUser(ctx context.Context, u staff.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (name, role, password_hash, disabled, created_at, region)
		VALUES ($1, $2, $3, $4, $5, $6)`, u.Name, u.Role, u.PasswordHash, u.Disabled, u.CreatedAt, u.Region)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("postgres: add user %q: %w", u.Name, staff.ErrUserExists)
	}
	if err != nil {
		return fmt.Errorf("postgres: add user %q: %w", u.Name, err)
	}
	return nil
}

// SetUserDisabled disables or re-enables an account. Disabling also ends its
// sessions, in the same transaction.
func (s *Store) SetUserDisabled(ctx context.Context, name string, disabled bool) error {
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled = $2 WHERE name = $1`, name, disabled)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return staff.ErrUserNotFound
		}
		if disabled {
			_, err = tx.Exec(ctx, `DELETE FROM web_sessions WHERE user_name = $1`, name)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: disable user %q: %w", name, err)
	}
	return nil
}

// SetUserRegion sets an account's default region.
func (s *Store) SetUserRegion(ctx context.Context, name, region string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET region = $2 WHERE name = $1`, name, region)
	if err == nil && tag.RowsAffected() == 0 {
		err = staff.ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: set region of user %q: %w", name, err)
	}
	return nil
}

// CreateSession stores a web session and drops expired ones, which keeps
// the table bounded without a separate sweeper.
func (s *Store) CreateSession(ctx context.Context, sess staff.Session) error {
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM web_sessions WHERE expires_at < now()`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO web_sessions (id, user_name, csrf, expires_at) VALUES ($1, $2, $3, $4)`,
			sess.ID, sess.User, sess.CSRF, sess.Expires)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create web session: %w", err)
	}
	return nil
}

// Session returns an unexpired web session, or staff.ErrSessionNotFound.
func (s *Store) Session(ctx context.Context, id string) (staff.Session, error) {
	var sess staff.Session
	err := s.pool.QueryRow(ctx, `SELECT id, user_name, csrf, expires_at FROM web_sessions
		WHERE id = $1 AND expires_at > now()`, id).Scan(&sess.ID, &sess.User, &sess.CSRF, &sess.Expires)
	if isNoRows(err) {
		return staff.Session{}, fmt.Errorf("postgres: web session: %w", staff.ErrSessionNotFound)
	}
	if err != nil {
		return staff.Session{}, fmt.Errorf("postgres: web session: %w", err)
	}
	return sess, nil
}

// DeleteSession ends a web session; a missing one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete web session: %w", err)
	}
	return nil
}

// RecordAudit appends one entry to the audit log.
func (s *Store) RecordAudit(ctx context.Context, e staff.AuditEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log (at, user_name, action, target, detail) VALUES ($1, $2, $3, $4, $5)`,
		e.At, e.User, e.Action, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("postgres: record audit: %w", err)
	}
	return nil
}

// AuditEntries returns the newest audit entries first, at most limit (0: all).
func (s *Store) AuditEntries(ctx context.Context, limit int) ([]staff.AuditEntry, error) {
	var lim any // NULL: LIMIT ALL
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, `SELECT at, user_name, action, target, detail FROM audit_log
		ORDER BY at DESC, id DESC LIMIT $1`, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit entries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (staff.AuditEntry, error) {
		var e staff.AuditEntry
		err := r.Scan(&e.At, &e.User, &e.Action, &e.Target, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: audit entries: %w", err)
	}
	return out, nil
}

var _ staff.LoginAttempts = (*Store)(nil)

// ReserveLogin implements staff.LoginAttempts for every replica at once:
// the account's row is locked while the attempt is counted, so parallel
// attempts are counted one after the other.
func (s *Store) ReserveLogin(ctx context.Context, name string, max int, window time.Duration) (bool, error) {
	allowed := false
	err := s.transact(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO login_attempts (name, count, first_at) VALUES ($1, 0, now())
			ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		var (
			count      int
			first, now time.Time
			until      *time.Time
		)
		if err := tx.QueryRow(ctx, `SELECT count, first_at, locked_until, now() FROM login_attempts WHERE name = $1 FOR UPDATE`,
			name).Scan(&count, &first, &until, &now); err != nil {
			return err
		}
		switch {
		case until != nil && now.Before(*until):
			return nil
		case now.Sub(first) > window:
			count, first = 0, now
		}
		if count >= max {
			_, err := tx.Exec(ctx, `UPDATE login_attempts SET locked_until = $2 WHERE name = $1`, name, now.Add(window))
			return err
		}
		allowed = true
		_, err := tx.Exec(ctx, `UPDATE login_attempts SET count = $2, first_at = $3, locked_until = NULL WHERE name = $1`,
			name, count+1, first)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: reserve login: %w", err)
	}
	return allowed, nil
}

// LoginSucceeded clears an account's attempts.
func (s *Store) LoginSucceeded(ctx context.Context, name string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_attempts WHERE name = $1`, name); err != nil {
		return fmt.Errorf("postgres: login succeeded: %w", err)
	}
	return nil
}
