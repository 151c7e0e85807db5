package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"policybot/config"
	"policybot/postgres"
	"policybot/staff"
)

// runUser manages console accounts: `user add NAME --role agent|admin`,
// `user list`, `user disable NAME`. Accounts live in PostgreSQL when the
// store is postgres, else in <data_dir>/users.json.
func runUser(ctx context.Context, e *env, args []string) error {
	const usage = "usage: policybot user add NAME --role agent|admin | user list | user disable NAME"
	if len(args) == 0 {
		return usageError(usage)
	}
	fs := e.flags("user " + args[0])
	role := fs.String("role", staff.RoleAgent, "role of a new account: agent or admin")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	users, closeStore, err := openUsers(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()

	switch {
	case args[0] == "add" && len(pos) == 1:
		password, err := readPassword(e)
		if err != nil {
			return err
		}
		u, err := staff.NewUser(pos[0], *role, password, time.Now())
		if err != nil {
			return err
		}
		if err := users.AddUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "added %s (%s)\n", u.Name, u.Role)
		return nil
	case args[0] == "list" && len(pos) == 0:
		us, err := users.Users(ctx)
		if err != nil {
			return err
		}
		if len(us) == 0 {
			fmt.Fprintln(e.stdout, "no accounts; create the first admin with: policybot user add NAME --role admin")
			return nil
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED")
		for _, u := range us {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, status, u.CreatedAt.Local().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	case args[0] == "disable" && len(pos) == 1:
		if err := users.SetUserDisabled(ctx, pos[0], true); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "disabled %s\n", pos[0])
		return nil
	}
	return usageError(usage)
}

// openUsers opens the account store the server uses with cfg.
func openUsers(ctx context.Context, cfg config.Config) (staff.UserStore, func(), error) {
	if cfg.Store == "postgres" {
		pg, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, fmt.Errorf("open postgres store: %w", err)
		}
		return pg, pg.Close, nil
	}
	fs, err := staff.NewFileStore(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	return fs, func() {}, nil
}

// readPassword prompts without echo on a terminal, twice; otherwise it
// reads one line from stdin (for scripts: `echo "$PW" | policybot user add …`).
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(e.stderr, "Password (%s): ", staff.PasswordRule)
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(e.stderr, "Repeat password: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("read password: the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("read password: empty; pipe it on stdin or run in a terminal")
	}
	return line, nil
}
