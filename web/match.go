package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"policybot/enterprise"
	"policybot/policy"
)

// Match limits: a profile is a few hundred bytes; a corpus can hold
// thousands of applicable clauses, so the list is paged by limit.
const (
	maxMatchBody      = 8 << 10
	DefaultMatchLimit = 100
	MaxMatchLimit     = 1000
)

type matchResponse struct {
	Profile enterprise.Understood `json:"profile"`
	// Total counts every match; Matches holds the first limit of them.
	Total   int                `json:"total"`
	Matches []enterprise.Match `json:"matches"`
}

// match is POST /api/match: a profile as JSON → the in-force clauses that
// apply to it, ranked (?as_of=YYYY-MM-DD for another day, ?limit=N).
func (s *Server) match(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxMatchBody)
	if err != nil {
		return err
	}
	p, err := DecodeProfile(body)
	if err != nil {
		return err
	}
	limit := DefaultMatchLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return &apiError{status: http.StatusBadRequest, msg: "limit: want a positive number", field: "limit"}
		}
		limit = min(n, MaxMatchLimit)
	}
	day := r.URL.Query().Get("as_of")
	if day != "" {
		if _, err := policy.ParseDay(day); err != nil {
			return &apiError{status: http.StatusBadRequest, msg: "as_of: want YYYY-MM-DD", field: "as_of"}
		}
	}
	today, _ := time.Parse(time.DateOnly, s.cfg.Matcher.Today())
	u, err := enterprise.Understand(p, today)
	if err != nil {
		var fe *enterprise.FieldError
		if errors.As(err, &fe) {
			return &apiError{status: http.StatusBadRequest, msg: fe.Error(), field: fe.Field}
		}
		return err
	}
	cands, err := s.cfg.Matcher.Applicable(r.Context(), day)
	if err != nil {
		return unavailable("matching is unavailable", err)
	}
	ms, total := enterprise.MatchAll(u, cands, limit)
	resp := matchResponse{Profile: u, Total: total, Matches: ms}
	if resp.Matches == nil {
		resp.Matches = []enterprise.Match{}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// DecodeProfile reads a profile as /api/match takes it. An unknown field,
// a value of the wrong type or anything but one JSON object is a 400 naming
// the field where there is one.
func DecodeProfile(body []byte) (enterprise.Profile, error) {
	var p enterprise.Profile
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		return p, nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return p, &apiError{status: http.StatusBadRequest, field: te.Field,
			msg: fmt.Sprintf("%s: want %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return p, &apiError{status: http.StatusBadRequest, field: f,
			msg: fmt.Sprintf("unknown field %q (known: region, size, industry, employees, revenue_wan, qualifications, founded_year)", f)}
	}
	return p, badRequest("body is not a JSON profile object: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "an array of strings"
	}
	return "a " + k
}
