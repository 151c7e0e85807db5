// Command policybot answers enterprises' questions about government support
// policies, citing the clause it relies on. Run `policybot help` for the
// subcommands; `policybot serve` with no configuration serves the embedded
// seed corpus from memory with the offline embedder.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"policybot/config"
	"policybot/staff"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "policybot:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries a specific exit status (e.g. 2 for usage).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// env is what a subcommand runs with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	configPath     string
}

type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, e *env, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "serve [--config FILE]", "serve the API, the WeChat endpoint and the console", runServe},
		{"ask", "ask [--json] [--session S] [--region R] QUESTION", "answer a question with its citation", runAsk},
		{"search", "search [--json] [-k N] [--region R] QUERY", "print the clauses that match a query", runSearch},
		{"eval", "eval FILE.jsonl [--region R] [--json]", "score a question file (hit@1, hit@3, MRR@10, refusals)", runEval},
		{"ingest", "ingest [--reembed] [--prune] [PATH...]", "parse documents and store their clauses (default: the configured corpus)", runIngest},
		{"user", "user add NAME --role agent|admin | user list | user disable NAME", "manage console accounts (the password, asked for or read from stdin: " + staff.PasswordRule + ")", runUser},
		{"validity", "validity [--as-of YYYY-MM-DD] [--status S] [--summary] [--json]", "list the documents with their validity on a day (in force, expired, repealed …) and why", runValidity},
		{"train-embedder", "train-embedder [--dims N] [--out FILE] PATH...", "learn the offline corpus embedder's model from documents (embedder: corpus)", runTrainEmbedder},
		{"parse", "parse [--json] FILE", "print a policy document parsed into clauses", runParse},
		{"config", "config check [--config FILE]", "validate the configuration and print the effective one, secrets masked", runConfig},
		{"bench", "bench synth|ingest|search|memory|load|quality [FLAGS]", "benchmarks and the synthetic corpus (see BENCHMARKS.md)", runBench},
		{"healthcheck", "healthcheck", "exit 0 when the local server is ready (container HEALTHCHECK)", runHealthcheck},
	}
}

// Run runs policybot with args (without the program name).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, configPath: getenv("POLICYBOT_CONFIG")}
	global := flag.NewFlagSet("policybot", flag.ContinueOnError)
	global.SetOutput(stderr)
	global.StringVar(&e.configPath, "config", e.configPath, "YAML configuration file (also POLICYBOT_CONFIG)")
	global.Usage = func() { usage(stderr) }
	if err := global.Parse(args); err != nil {
		return err
	}
	args = global.Args()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" {
		usage(stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	usage(stderr)
	return usageError("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: policybot [--config FILE] COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-50s %s\n", c.usage, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration: POLICYBOT_* environment variables override the file; see config.example.yaml.")
}

// flags returns a flag set for a subcommand that also accepts --config.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("policybot "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", e.configPath, "YAML configuration file")
	return fs
}

// parseArgs parses flags anywhere among the positional arguments
// (`policybot search 续贷 -k 3` works like `policybot search -k 3 续贷`).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (e *env) loadConfig() (config.Config, error) {
	return config.Load(e.configPath, e.getenv)
}

// newLogger configures log/slog once, on stderr.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	l := slog.New(h)
	slog.SetDefault(l)
	return l
}
