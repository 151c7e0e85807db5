package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"policybot/state"
)

// MarkHandled marks the question of key handled, replacing an earlier mark.
func (s *Store) MarkHandled(ctx context.Context, key string, h state.Handled) error {
	if key == "" {
		return fmt.Errorf("postgres: mark handled: %w", state.ErrNoKey)
	}
	var at any // NULL: the database's now()
	if !h.At.IsZero() {
		at = h.At
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO unanswered_handled (question_key, question, note, handled_by, handled_at)
		VALUES ($1, $2, $3, $4, coalesce($5::timestamptz, now()))
		ON CONFLICT (question_key) DO UPDATE SET question = excluded.question, note = excluded.note,
			handled_by = excluded.handled_by, handled_at = excluded.handled_at`,
		key, state.CleanText(h.Question, state.MaxUnansweredRunes), state.CleanText(h.Note, state.MaxNoteRunes), h.By, at)
	if err != nil {
		return fmt.Errorf("postgres: mark handled: %w", err)
	}
	return nil
}

// UnmarkHandled puts the question of key back in the queue.
func (s *Store) UnmarkHandled(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM unanswered_handled WHERE question_key = $1`, key); err != nil {
		return fmt.Errorf("postgres: unmark handled: %w", err)
	}
	return nil
}

// HandledQuestions returns every mark by question key.
func (s *Store) HandledQuestions(ctx context.Context) (map[string]state.Handled, error) {
	rows, err := s.pool.Query(ctx, `SELECT question_key, question, note, handled_by, handled_at FROM unanswered_handled`)
	if err != nil {
		return nil, fmt.Errorf("postgres: handled questions: %w", err)
	}
	out := map[string]state.Handled{}
	var (
		key string
		h   state.Handled
	)
	_, err = pgx.ForEachRow(rows, []any{&key, &h.Question, &h.Note, &h.By, &h.At}, func() error {
		out[key] = h
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: handled questions: %w", err)
	}
	return out, nil
}
