// Package staff holds the people who use the console and what they did:
// accounts and their roles, signed-in sessions, login throttling and the
// audit log of admin changes. The console's pages and the stores that keep
// these (a folder in the embedded default, PostgreSQL) both use it, so the
// stores need not import the pages.
package staff

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

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
	Name         string `json:"name"`
	Role         string `json:"role"`
	PasswordHash string `json:"password_hash"`
	Disabled     bool   `json:"disabled"`
	// Region is the region the agent's searches default to (over the
	// server's POLICYBOT_REGION); empty: the server's.
	Region    string    `json:"region,omitempty"`
	CreatedAt time.Time `json:"created_at"`
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
	// SetUserRegion sets the account's default region (ErrUserNotFound when missing).
	SetUserRegion(ctx context.Context, name, region string) error
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

// MaxRegionRunes bounds a region name (天津市滨海新区 is 7).
const MaxRegionRunes = 20

// CheckRegion validates a region an agent types as their default.
func CheckRegion(region string) error {
	if utf8.RuneCountInString(region) > MaxRegionRunes || strings.ContainsAny(region, "\r\n\t<>\"") {
		return fmt.Errorf("region %q: at most %d characters, no markup", region, MaxRegionRunes)
	}
	return nil
}

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
