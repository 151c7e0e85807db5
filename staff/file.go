package staff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"policybot/internal/atomicfile"
)

// FileStore keeps accounts in <dir>/users.json and the audit log in
// <dir>/audit.jsonl: the embedded default, for one process. Writes go to a
// temporary file renamed over the old one, so a crash never leaves half a file.
type FileStore struct {
	mu  sync.Mutex
	dir string
}

var (
	_ UserStore = (*FileStore)(nil)
	_ AuditLog  = (*FileStore)(nil)
)

// NewFileStore returns a store in dir, creating the folder when needed.
func NewFileStore(dir string) (*FileStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("user file store: %w", err)
	}
	return &FileStore{dir: dir}, nil
}

func (s *FileStore) usersPath() string { return filepath.Join(s.dir, "users.json") }
func (s *FileStore) auditPath() string { return filepath.Join(s.dir, "audit.jsonl") }

func (s *FileStore) load() ([]User, error) {
	data, err := os.ReadFile(s.usersPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var us []User
	if err := json.Unmarshal(data, &us); err != nil {
		return nil, fmt.Errorf("%s: %w", s.usersPath(), err)
	}
	return us, nil
}

func (s *FileStore) save(us []User) error {
	slices.SortFunc(us, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	data, err := json.MarshalIndent(us, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(s.usersPath(), append(data, '\n'))
}

// User returns one account.
func (s *FileStore) User(ctx context.Context, name string) (User, error) {
	if err := ctx.Err(); err != nil {
		return User{}, fmt.Errorf("user %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	us, err := s.load()
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", name, err)
	}
	for _, u := range us {
		if u.Name == name {
			return u, nil
		}
	}
	return User{}, fmt.Errorf("user %s: %w", name, ErrUserNotFound)
}

// Users lists every account by name.
func (s *FileStore) Users(ctx context.Context) ([]User, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	us, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	slices.SortFunc(us, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return us, nil
}

// AddUser creates an account.
func (s *FileStore) AddUser(ctx context.Context, u User) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add user %s: %w", u.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	us, err := s.load()
	if err != nil {
		return fmt.Errorf("add user %s: %w", u.Name, err)
	}
	for _, o := range us {
		if o.Name == u.Name {
			return fmt.Errorf("add user %s: %w", u.Name, ErrUserExists)
		}
	}
	if err := s.save(append(us, u)); err != nil {
		return fmt.Errorf("add user %s: %w", u.Name, err)
	}
	return nil
}

// SetUserDisabled disables or re-enables an account.
func (s *FileStore) SetUserDisabled(ctx context.Context, name string, disabled bool) error {
	return s.update(ctx, name, "disable user", func(u *User) { u.Disabled = disabled })
}

// update changes one account under the lock and saves the file.
func (s *FileStore) update(ctx context.Context, name, op string, change func(*User)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	us, err := s.load()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	i := slices.IndexFunc(us, func(u User) bool { return u.Name == name })
	if i < 0 {
		return fmt.Errorf("%s %s: %w", op, name, ErrUserNotFound)
	}
	change(&us[i])
	if err := s.save(us); err != nil {
		return fmt.Errorf("%s %s: %w", op, name, err)
	}
	return nil
}

// SetUserRegion sets an account's default region.
func (s *FileStore) SetUserRegion(ctx context.Context, name, region string) error {
	return s.update(ctx, name, "set region of", func(u *User) { u.Region = region })
}

// RecordAudit appends one entry to the audit log.
func (s *FileStore) RecordAudit(ctx context.Context, e AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.auditPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("record audit: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	return nil
}

// AuditEntries returns the newest entries first.
func (s *FileStore) AuditEntries(ctx context.Context, limit int) ([]AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	s.mu.Lock()
	data, err := os.ReadFile(s.auditPath())
	s.mu.Unlock()
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	var out []AuditEntry
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i := len(lines) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		var e AuditEntry
		if err := json.Unmarshal([]byte(lines[i]), &e); err != nil {
			return nil, fmt.Errorf("audit entries: line %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}
