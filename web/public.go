package web

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"regexp"

	"policybot/answer"
	"policybot/state"
)

//go:embed templates/*.html
var templateFS embed.FS

var publicTmpl = template.Must(template.ParseFS(templateFS, "templates/answer.html"))

// Public answer ids are 128-bit random hex (see bot); anything else is not looked up.
var publicID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (s *Server) publicAnswer(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if s.cfg.Answers == nil || !publicID.MatchString(id) {
		return errNotFound
	}
	data, err := s.cfg.Answers.PublicAnswer(r.Context(), id)
	if errors.Is(err, state.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return unavailable("answer store unavailable", err)
	}
	var ans answer.Answer
	if err := json.Unmarshal(data, &ans); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return publicTmpl.Execute(w, ans)
}
