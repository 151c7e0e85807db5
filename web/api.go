package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"policybot/answer"
	"policybot/policy"
	"policybot/retrieval"
	"policybot/state"
)

// Query limits.
const (
	MaxQueryRunes = 500
	DefaultK      = 5
	MaxK          = 50
)

type searchResponse struct {
	Query string          `json:"query"`
	Hits  []retrieval.Hit `json:"hits"`
}

func cleanQuery(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return "", badRequest("query is empty: pass q")
	case !utf8.ValidString(q):
		return "", badRequest("query is not valid UTF-8")
	case utf8.RuneCountInString(q) > MaxQueryRunes:
		return "", badRequest("query is longer than %d characters", MaxQueryRunes)
	}
	// A NUL or another control character would be lost on its way to the
	// store (the unanswered log); the question is the same without them.
	if q = strings.TrimSpace(state.CleanText(q, 0)); q == "" {
		return "", badRequest("query is empty: pass q")
	}
	return q, nil
}

// ClampK parses k and clamps it to 1..MaxK (DefaultK when absent).
func ClampK(s string) (int, error) {
	if s == "" {
		return DefaultK, nil
	}
	k, err := strconv.Atoi(s)
	if err != nil {
		return 0, badRequest("k is not a number: %q", s)
	}
	return min(max(k, 1), MaxK), nil
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	q, err := cleanQuery(r.URL.Query().Get("q"))
	if err != nil {
		return err
	}
	k, err := ClampK(r.URL.Query().Get("k"))
	if err != nil {
		return err
	}
	asOf, status, err := validityParams(r.URL.Query().Get("as_of"), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	hits, err := s.cfg.Searcher.Search(r.Context(), retrieval.SearchRequest{Query: q, Region: r.URL.Query().Get("region"), K: k,
		AsOf: asOf, Status: status})
	if err != nil {
		return unavailable("search is unavailable", err)
	}
	if hits == nil {
		hits = []retrieval.Hit{}
	}
	writeJSON(w, http.StatusOK, searchResponse{Query: q, Hits: hits})
	return nil
}

type askRequest struct {
	Q       string `json:"q"`
	Session string `json:"session"`
	Region  string `json:"region"`
	AsOf    string `json:"as_of"`
	Status  string `json:"status"`
}

// apiSession namespaces an API caller's session id, so that it can never
// name another channel's conversation (a WeChat user's is "wechat:<openid>")
// and, with tokens set, never another token's: "api:<token hash>:<id>".
// Without a session id the question stands alone.
func apiSession(r *http.Request, id string) string {
	if id == "" {
		return ""
	}
	scope := "open"
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && strings.TrimSpace(tok) != "" {
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		scope = hex.EncodeToString(sum[:6])
	}
	return "api:" + scope + ":" + id
}

// validityParams checks the as_of (YYYY-MM-DD) and status parameters.
func validityParams(asOf, status string) (string, string, error) {
	if asOf != "" {
		d, err := policy.ParseDay(asOf)
		if err != nil {
			return "", "", badRequest("as_of: want YYYY-MM-DD, got %q", asOf)
		}
		asOf = d
	}
	if err := retrieval.CheckStatus(status); err != nil {
		return "", "", badRequest("status: want one of %s, got %q", strings.Join(retrieval.Statuses, ", "), status)
	}
	return asOf, status, nil
}

const maxAskBody = 16 << 10

func (s *Server) ask(w http.ResponseWriter, r *http.Request) error {
	var req askRequest
	if r.Method == http.MethodPost {
		body, err := readBody(w, r, maxAskBody)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return badRequest("body is not a JSON object with q, session, region")
		}
	} else {
		v := r.URL.Query()
		req = askRequest{Q: v.Get("q"), Session: v.Get("session"), Region: v.Get("region"), AsOf: v.Get("as_of"), Status: v.Get("status")}
	}
	asOf, status, err := validityParams(req.AsOf, req.Status)
	if err != nil {
		return err
	}
	q, err := cleanQuery(req.Q)
	if err != nil {
		return err
	}
	if len(req.Session) > 128 {
		return badRequest("session is longer than 128 bytes")
	}
	if state.CleanText(req.Session, 0) != req.Session {
		return badRequest("session holds control characters or invalid UTF-8")
	}
	ans, err := s.cfg.Asker.Ask(r.Context(), answer.Request{Session: apiSession(r, req.Session), Region: req.Region, Question: q,
		AsOf: asOf, Status: status})
	if err != nil {
		return unavailable("answering is unavailable", err)
	}
	if ans.Citations == nil {
		ans.Citations = []retrieval.Hit{}
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// readBody reads a request body of at most max bytes: 413 past it.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge, msg: "request body too large"}
		}
		return nil, badRequest("cannot read body")
	}
	return body, nil
}
