package answer

import (
	"context"
	"encoding/json"
	"errors"

	"policybot/retrieval"
	"policybot/state"
)

// session is what a conversation remembers between questions.
type session struct {
	Question string          `json:"question"` // the last question as searched (with its topic when elliptical)
	Topic    string          `json:"topic"`    // the last self-contained question: elliptical ones are read with it
	Region   string          `json:"region"`
	Hits     []retrieval.Hit `json:"hits"`  // the last question's hits, in rank order
	Shown    []string        `json:"shown"` // clause IDs of those hits already shown
	Cited    []retrieval.Hit `json:"cited"` // the clauses the last answer cited
}

// markShown records cited as the clauses just cited and shown.
func (s *session) markShown(cited []retrieval.Hit) {
	s.Cited = cited
	for _, h := range cited {
		if !s.shown(h.Clause.ID) {
			s.Shown = append(s.Shown, h.Clause.ID)
		}
	}
}

func (s *session) shown(clauseID string) bool {
	for _, id := range s.Shown {
		if id == clauseID {
			return true
		}
	}
	return false
}

// loadSession returns the session's state; a new, empty one when there is
// none, it expired, or the store failed (an answer without context beats no answer).
func (s *Service) loadSession(ctx context.Context, id string) *session {
	sess := &session{}
	if id == "" || s.cfg.Sessions == nil {
		return sess
	}
	data, err := s.cfg.Sessions.LoadSession(ctx, id)
	if err != nil {
		if !errors.Is(err, state.ErrNotFound) {
			s.log.Warn("answer: load session", "err", err)
		}
		return sess
	}
	if err := json.Unmarshal(data, sess); err != nil {
		s.log.Warn("answer: decode session", "err", err)
		return &session{}
	}
	return sess
}

func (s *Service) saveSession(ctx context.Context, id string, sess *session) {
	if id == "" || s.cfg.Sessions == nil {
		return
	}
	data, err := json.Marshal(sess)
	if err != nil {
		s.log.Warn("answer: encode session", "err", err)
		return
	}
	if err := s.cfg.Sessions.SaveSession(ctx, id, data, SessionTTL); err != nil {
		s.log.Warn("answer: save session", "err", err)
	}
}
