package answer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"

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

	// pending holds Hits and Cited as stored, until a follow-up needs them
	// (see hits): a new question replaces them unread, and decoding ten
	// clauses' JSON on every message was a tenth of an answer's CPU.
	pending []byte
}

// sessionHead and sessionBody are the two lines a session is stored as: the
// head is read for every message, the body only by follow-ups.
type sessionHead struct {
	Question string   `json:"question"`
	Topic    string   `json:"topic"`
	Region   string   `json:"region"`
	Shown    []string `json:"shown"`
}

type sessionBody struct {
	Hits  []retrieval.Hit `json:"hits"`
	Cited []retrieval.Hit `json:"cited"`
}

// decodeSession reads a stored session: a head line and a body line, or a
// single JSON object as sessions were stored before.
func decodeSession(data []byte) (*session, error) {
	sess := &session{}
	head, body, split := bytes.Cut(data, []byte("\n"))
	if err := json.Unmarshal(head, sess); err != nil {
		return nil, err
	}
	if split {
		sess.pending = body
	}
	return sess, nil
}

// encode writes the session as decodeSession reads it.
func (s *session) encode() ([]byte, error) {
	head, err := json.Marshal(sessionHead{Question: s.Question, Topic: s.Topic, Region: s.Region, Shown: s.Shown})
	if err != nil {
		return nil, err
	}
	body := s.pending
	if body == nil {
		if body, err = json.Marshal(sessionBody{Hits: s.Hits, Cited: s.Cited}); err != nil {
			return nil, err
		}
	}
	return slices.Concat(head, []byte("\n"), body), nil
}

// loadHits decodes the stored Hits and Cited, once; on a corrupt body the
// session goes on without them.
func (s *session) loadHits() error {
	if s.pending == nil {
		return nil
	}
	var b sessionBody
	err := json.Unmarshal(s.pending, &b)
	s.pending = nil
	s.Hits, s.Cited = b.Hits, b.Cited
	return err
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
	sess, err = decodeSession(data)
	if err != nil {
		s.log.Warn("answer: decode session", "err", err)
		return &session{}
	}
	return sess
}

func (s *Service) saveSession(ctx context.Context, id string, sess *session) {
	if id == "" || s.cfg.Sessions == nil {
		return
	}
	data, err := sess.encode()
	if err != nil {
		s.log.Warn("answer: encode session", "err", err)
		return
	}
	if err := s.cfg.Sessions.SaveSession(ctx, id, data, SessionTTL); err != nil {
		s.log.Warn("answer: save session", "err", err)
	}
}
