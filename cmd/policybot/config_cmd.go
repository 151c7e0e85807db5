package main

import (
	"context"
	"fmt"
)

func runConfig(_ context.Context, e *env, args []string) error {
	fs := e.flags("config")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "check" {
		return usageError("usage: policybot config check [--config FILE]")
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	for _, line := range cfg.Effective() {
		fmt.Fprintln(e.stdout, line)
	}
	fmt.Fprintln(e.stdout, "configuration OK")
	return nil
}
