package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"policybot/internal/atomicfile"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Roles. An admin may do everything an agent may.
const (
	RoleAgent = "agent"
	RoleAdmin = "admin"
)

// Errors of the user, session and audit stores.
var (
	ErrUserNotFound    = errors.New("user not found")
	ErrUserExists      = errors.New("user already exists")
	ErrSessionNotFound = errors.New("session not found")
)

// User is a console account. The password is kept only as a bcrypt hash.
type User struct {
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"password_hash"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// CanAdmin reports whether the user may use the admin pages.
func (u User) CanAdmin() bool { return u.Role == RoleAdmin }

// UserStore keeps console accounts: FileStore in the embedded default,
// postgres.Store in production.
type UserStore interface {
	// User returns one account by name, or ErrUserNotFound.
	User(ctx context.Context, name string) (User, error)
	// Users lists every account by name.
	Users(ctx context.Context) ([]User, error)
	// AddUser creates an account, or fails with ErrUserExists.
	AddUser(ctx context.Context, u User) error
	// SetUserDisabled disables or re-enables an account (ErrUserNotFound when missing).
	SetUserDisabled(ctx context.Context, name string, disabled bool) error
}

// AuditEntry records one change made through the admin pages.
type AuditEntry struct {
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"` // upload, replace, retire, activate, reingest
	Target string    `json:"target"` // document ID
	Detail string    `json:"detail,omitempty"`
}

// AuditLog keeps who changed what.
type AuditLog interface {
	RecordAudit(ctx context.Context, e AuditEntry) error
	// AuditEntries returns the newest entries first, at most limit.
	AuditEntries(ctx context.Context, limit int) ([]AuditEntry, error)
}

// minPasswordLen is the shortest password accepted; bcrypt itself only reads
// the first 72 bytes, so longer ones are refused rather than silently cut.
const (
	minPasswordLen = 10
	maxPasswordLen = 72
	// PasswordRule is the rule as the user add command states it.
	PasswordRule = "10 to 72 bytes (a Chinese character is 3)"
)

var userNameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{1,31}$`)

// NewUser validates name, role and password and returns the account with
// the password hashed.
func NewUser(name, role, password string, now time.Time) (User, error) {
	if !userNameRE.MatchString(name) {
		return User{}, fmt.Errorf("new user: name %q: use 2-32 letters, digits, '.', '_' or '-'", name)
	}
	if role != RoleAgent && role != RoleAdmin {
		return User{}, fmt.Errorf("new user %s: role %q: must be %s or %s", name, role, RoleAgent, RoleAdmin)
	}
	if n := len(password); n < minPasswordLen || n > maxPasswordLen {
		return User{}, fmt.Errorf("new user %s: password must be %d to %d bytes long (a Chinese character is 3 bytes)", name, minPasswordLen, maxPasswordLen)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return User{}, fmt.Errorf("new user %s: hash password: %w", name, err)
	}
	return User{Name: name, Role: role, PasswordHash: string(hash), CreatedAt: now.UTC()}, nil
}

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
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	us, err := s.load()
	if err != nil {
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	i := slices.IndexFunc(us, func(u User) bool { return u.Name == name })
	if i < 0 {
		return fmt.Errorf("disable user %s: %w", name, ErrUserNotFound)
	}
	us[i].Disabled = disabled
	if err := s.save(us); err != nil {
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	return nil
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
