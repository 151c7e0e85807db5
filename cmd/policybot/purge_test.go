package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

type countingPurger struct{ calls atomic.Int32 }

func (p *countingPurger) PurgeExpired(context.Context) (int64, error) {
	if p.calls.Add(1) == 1 {
		return 0, errors.New("database down") // the loop goes on after a failure
	}
	return 1, nil
}

func TestPurgeExpiredLoop(t *testing.T) {
	p := &countingPurger{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		purgeExpired(ctx, p, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for p.calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done // returns once ctx ends
	if p.calls.Load() < 3 {
		t.Errorf("%d purges, want several", p.calls.Load())
	}
}
