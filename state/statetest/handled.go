// Package statetest holds conformance checks of the state stores that
// state.Memory and postgres.Store both implement.
package statetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"policybot/state"
)

// HandledStore is what the admin's work queue keeps of handled questions.
type HandledStore interface {
	MarkHandled(ctx context.Context, key string, h state.Handled) error
	UnmarkHandled(ctx context.Context, key string) error
	HandledQuestions(ctx context.Context) (map[string]state.Handled, error)
}

// Handled checks marking, re-marking and unmarking questions handled.
func Handled(t *testing.T, s HandledStore) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	if got, err := s.HandledQuestions(ctx); err != nil || len(got) != 0 {
		t.Fatalf("HandledQuestions on an empty store = %v, %v", got, err)
	}
	if err := s.MarkHandled(ctx, "", state.Handled{Question: "x", By: "a"}); !errors.Is(err, state.ErrNoKey) {
		t.Errorf("MarkHandled without a key: %v, want ErrNoKey", err)
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]state.Handled
	}{
		{"Mark", func() error {
			return s.MarkHandled(ctx, "续贷怎么办", state.Handled{Question: "续贷怎么办？", Note: "已补充津金融〔2024〕9号", By: "admin1", At: at})
		}, map[string]state.Handled{"续贷怎么办": {Question: "续贷怎么办？", Note: "已补充津金融〔2024〕9号", By: "admin1", At: at}}},
		{"Remark", func() error {
			return s.MarkHandled(ctx, "续贷怎么办", state.Handled{Question: "续贷怎么办", Note: "转人工", By: "admin2", At: at.Add(time.Hour)})
		}, map[string]state.Handled{"续贷怎么办": {Question: "续贷怎么办", Note: "转人工", By: "admin2", At: at.Add(time.Hour)}}},
		{"Another", func() error {
			return s.MarkHandled(ctx, "天气", state.Handled{Question: "天气", By: "admin1", At: at})
		}, map[string]state.Handled{"续贷怎么办": {Question: "续贷怎么办", Note: "转人工", By: "admin2", At: at.Add(time.Hour)},
			"天气": {Question: "天气", By: "admin1", At: at}}},
		{"Unmark", func() error { return s.UnmarkHandled(ctx, "续贷怎么办") },
			map[string]state.Handled{"天气": {Question: "天气", By: "admin1", At: at}}},
		{"UnmarkMissing", func() error { return s.UnmarkHandled(ctx, "没有") },
			map[string]state.Handled{"天气": {Question: "天气", By: "admin1", At: at}}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := s.HandledQuestions(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(got) != len(st.want) {
			t.Errorf("%s: %d marks %v, want %v", st.name, len(got), got, st.want)
		}
		for k, w := range st.want {
			g := got[k]
			if g.Question != w.Question || g.Note != w.Note || g.By != w.By || !g.At.Equal(w.At) {
				t.Errorf("%s: mark %q = %+v, want %+v", st.name, k, g, w)
			}
		}
	}
}
