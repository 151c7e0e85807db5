package console

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"policybot/embeddings"
	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
	"policybot/testenv"
)

var (
	xlOnce sync.Once
	xlDocs []retrieval.StoredDocument
	xlErr  error
)

// corpusXL is the metadata of ../shared/corpus-xl as the store keeps it
// (no clauses: the admin's list reads documents only), parsed once per
// process whatever b.N the benchmark is run with.
func corpusXL(b *testing.B) []retrieval.StoredDocument {
	b.Helper()
	dir := filepath.Join(testenv.Shared(b), "corpus-xl")
	if _, err := os.Stat(dir); err != nil {
		b.Skip("../shared/corpus-xl not found")
	}
	xlOnce.Do(func() {
		xlErr = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !slices.Contains(retrieval.Extensions, strings.ToLower(filepath.Ext(p))) {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			doc, err := policy.Parse(filepath.Base(p), data)
			if err != nil {
				return nil // the ingester skips these too
			}
			xlDocs = append(xlDocs, retrieval.StoredDocument{Meta: doc.Meta(), Source: p, ContentHash: "x",
				Status: retrieval.StatusActive, IngestedAt: time.Now(), ClauseCount: len(doc.Clauses), ValidityFacts: doc.Validity})
			return nil
		})
	})
	if xlErr != nil {
		b.Fatal(xlErr)
	}
	return xlDocs
}

// BenchmarkAdminDocuments renders one page of /admin/documents over the
// ~4,000 documents of ../shared/corpus-xl, as an admin's browser asks for
// it (signed in, CSRF and roles checked): the target is 200 ms a page.
func BenchmarkAdminDocuments(b *testing.B) {
	docs := corpusXL(b)
	ctx := context.Background()
	store := retrieval.NewMemoryStore()
	for _, d := range docs {
		if err := store.ReplaceDocument(ctx, d, nil); err != nil {
			b.Fatal(err)
		}
	}
	searcher := retrieval.NewSearcher(store, embeddings.NewLocal(64), "")
	users, err := staff.NewFileStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	u, err := staff.NewUser("admin1", staff.RoleAdmin, "correct horse 1", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if err := users.AddUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	sessions := staff.NewMemorySessions()
	token := randomToken()
	if err := sessions.CreateSession(ctx, staff.Session{ID: sessionID(token), User: "admin1", CSRF: randomToken(), Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	c := New(Config{Searcher: searcher, Store: store, Users: users, Sessions: sessions, Audit: users,
		Validity: searcher, Overrides: &retrieval.MemoryOverrides{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux := http.NewServeMux()
	c.Mount(mux)
	b.Logf("%d documents", len(docs))
	for _, bc := range []struct{ name, query string }{
		{"FirstPage", ""},
		{"Search", "?q=" + "%E9%80%9A%E7%9F%A5"}, // 通知
		{"FilterSortPage", "?region=%E5%B9%BF%E4%B8%9C%E7%9C%81&sort=title&page=3"}, // 广东省
		{"LastPageByStatus", "?sort=status&page=80"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/admin/documents"+bc.query, nil)
			req.AddCookie(&http.Cookie{Name: cookieName, Value: token})
			for b.Loop() {
				w := httptest.NewRecorder()
				mux.ServeHTTP(w, req)
				if w.Code != 200 || !strings.Contains(w.Body.String(), `id="page-info"`) {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
