package state

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// Handled marks an unanswered question dealt with: every time it was asked,
// by its normalised form (the key the admin page groups by). The log of
// questions itself is left as it was.
type Handled struct {
	Question string    `json:"question"` // as the admin saw it
	Note     string    `json:"note"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// MaxNoteRunes bounds a handling note.
const MaxNoteRunes = 500

// ErrNoKey is returned for a handled mark without a question key.
var ErrNoKey = errors.New("empty question key")

// MarkHandled marks the question of key handled, replacing an earlier mark.
func (m *Memory) MarkHandled(_ context.Context, key string, h Handled) error {
	if key == "" {
		return fmt.Errorf("mark handled: %w", ErrNoKey)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.handled == nil {
		m.handled = map[string]Handled{}
	}
	if h.At.IsZero() {
		h.At = m.now()
	}
	h.Note = CleanText(h.Note, MaxNoteRunes)
	m.handled[key] = h
	return nil
}

// UnmarkHandled puts the question of key back in the queue; a question not
// marked is not an error.
func (m *Memory) UnmarkHandled(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.handled, key)
	return nil
}

// HandledQuestions returns every mark by question key.
func (m *Memory) HandledQuestions(context.Context) (map[string]Handled, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.handled), nil
}
