package console

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"policybot/embeddings"
	"policybot/policy"
	"policybot/retrieval"
	"policybot/staff"
	"policybot/upload"
)

func TestMemorySources(t *testing.T) {
	ctx := context.Background()
	m := upload.NewMemorySources()
	if _, _, err := m.Source(ctx, "a"); !errors.Is(err, upload.ErrSourceNotFound) {
		t.Fatalf("Source(missing) error = %v, want upload.ErrSourceNotFound", err)
	}
	buf := []byte("第一版")
	if err := m.SaveSource(ctx, "a", "a.txt", buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXXXXXX") // the caller reuses its buffer
	tests := []struct {
		name     string
		save     func() error
		wantName string
		wantData string
	}{
		{"Kept", func() error { return nil }, "a.txt", "第一版"},
		{"Replaced", func() error { return m.SaveSource(ctx, "a", "a.md", []byte("第二版")) }, "a.md", "第二版"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.save(); err != nil {
				t.Fatal(err)
			}
			name, data, err := m.Source(ctx, "a")
			if err != nil || name != tt.wantName || string(data) != tt.wantData {
				t.Fatalf("Source(a) = %q, %q, %v; want %q, %q", name, data, err, tt.wantName, tt.wantData)
			}
			data[0] = 'X' // a caller changing what it got does not change what is kept
			if _, again, _ := m.Source(ctx, "a"); string(again) != tt.wantData {
				t.Errorf("kept bytes changed through a returned slice: %q", again)
			}
		})
	}
	if err := m.SaveSource(ctx, "", "x.txt", nil); err == nil {
		t.Error("SaveSource with an empty id succeeded")
	}
}

// ageDocument makes the stored document id look parsed by an older parser:
// another content hash and other clause text, the Source kept. Re-ingesting
// must then parse the source again, as after a policy.ParserVersion change.
func ageDocument(t *testing.T, store *retrieval.MemoryStore, id string) {
	t.Helper()
	ctx := context.Background()
	doc, clauses, err := store.Document(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	doc.ContentHash = "parsed-by-an-older-parser"
	ics := make([]retrieval.IndexedClause, len(clauses))
	for i, c := range clauses {
		c.Text = "旧解析"
		ics[i] = retrieval.IndexedClause{Clause: c, Ord: i}
	}
	if err := store.ReplaceDocument(ctx, doc, ics); err != nil {
		t.Fatal(err)
	}
}

func TestReingestFunc(t *testing.T) {
	ctx := context.Background()
	v1 := []byte(testDoc)
	v2 := []byte(strings.ReplaceAll(testDoc, "降至1%以下", "降至0.8%以下"))
	seeds := fstest.MapFS{"seed.txt": {Data: v1}}
	tests := []struct {
		name string
		// setup stores document "seed", "disk" or "up" and returns the
		// sources and corpus re-ingestion reads, and the bytes it must find.
		setup   func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte)
		id      string
		wantErr error // nil: re-ingested from the returned bytes
	}{
		{name: "Upload", id: "up", setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			src := upload.NewMemorySources()
			mustIngest(t, IngestFunc(ing, src), "up.txt", v1)
			return src, nil, v1
		}},
		{name: "UploadReplaced", id: "up", setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			src := upload.NewMemorySources()
			mustIngest(t, IngestFunc(ing, src), "up.txt", v1)
			mustIngest(t, IngestFunc(ing, src), "up.md", v2)
			return src, nil, v2
		}},
		{name: "UploadNotKept", id: "up", wantErr: errNoSource, setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			mustIngest(t, IngestFunc(ing, nil), "up.txt", v1)
			return upload.NewMemorySources(), nil, nil
		}},
		{name: "NoSourceStore", id: "up", wantErr: errNoSource, setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			mustIngest(t, IngestFunc(ing, upload.NewMemorySources()), "up.txt", v1)
			return nil, nil, nil
		}},
		{name: "OnlyAnEarlierVersionKept", id: "up", wantErr: errNoSource, setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			// v2 was stored but keeping its bytes failed: v1's bytes must
			// not silently bring back the old text.
			src := upload.NewMemorySources()
			mustIngest(t, IngestFunc(ing, src), "up.txt", v1)
			mustIngest(t, IngestFunc(ing, nil), "up.txt", v2)
			return src, nil, nil
		}},
		{name: "File", id: "disk", setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			p := filepath.Join(t.TempDir(), "disk.txt")
			if err := os.WriteFile(p, v2, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ing.IngestPaths(ctx, p); err != nil {
				t.Fatal(err)
			}
			return upload.NewMemorySources(), nil, v2
		}},
		{name: "FileGone", id: "disk", wantErr: errFileGone, setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			p := filepath.Join(t.TempDir(), "disk.txt")
			if err := os.WriteFile(p, v2, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ing.IngestPaths(ctx, p); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			return upload.NewMemorySources(), nil, nil
		}},
		{name: "Seed", id: "seed", setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			if _, err := ing.IngestFS(ctx, seeds, "."); err != nil {
				t.Fatal(err)
			}
			return upload.NewMemorySources(), seeds, v1
		}},
		{name: "SeedGone", id: "seed", wantErr: errNoSource, setup: func(t *testing.T, ing *retrieval.Ingester) (upload.SourceStore, fs.FS, []byte) {
			if _, err := ing.IngestFS(ctx, seeds, "."); err != nil {
				t.Fatal(err)
			}
			return upload.NewMemorySources(), fstest.MapFS{}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := retrieval.NewMemoryStore()
			ing := &retrieval.Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
			src, corpus, want := tt.setup(t, ing)
			before, _, err := store.Document(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			ageDocument(t, store, tt.id)
			reingest := ReingestFunc(ing, store, src, corpus)
			summary, err := reingest(ctx, tt.id)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("reingest error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("reingest: %v", err)
			}
			if !strings.HasPrefix(summary, "1 documents") || strings.Contains(summary, "unchanged") {
				t.Errorf("summary %q, want one document parsed again", summary)
			}
			doc, clauses, err := store.Document(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if doc.ContentHash != retrieval.ContentHash(want) || doc.Source != before.Source {
				t.Errorf("after reingest: hash %s, source %q; want %s, %q", doc.ContentHash, doc.Source, retrieval.ContentHash(want), before.Source)
			}
			parsed, err := policy.Parse("x.txt", want)
			if err != nil {
				t.Fatal(err)
			}
			if len(clauses) != len(parsed.Clauses) || clauses[1].Text != parsed.Clauses[1].Text {
				t.Errorf("after reingest: %d clauses, second %q; want %d, %q", len(clauses), clauses[1].Text, len(parsed.Clauses), parsed.Clauses[1].Text)
			}
		})
	}
}

func mustIngest(t *testing.T, ingest func(context.Context, string, []byte) (string, error), name string, data []byte) {
	t.Helper()
	if _, err := ingest(context.Background(), name, data); err != nil {
		t.Fatalf("ingest %s: %v", name, err)
	}
}

// commitUpload previews and commits data as the admin client cl, replacing
// the document replace when set, and returns the commit's redirect.
func (h *harness) commitUpload(cl *http.Client, token, name string, data []byte, replace string) string {
	h.t.Helper()
	resp := h.upload(cl, token, name, data, replace)
	if resp.StatusCode != 200 {
		h.t.Fatalf("preview %s: status %d\n%s", name, resp.StatusCode, bodyOf(resp))
	}
	resp = h.post(cl, "/admin/documents/commit", url.Values{"csrf": {token}, "token": {regexpFind(uploadToken, bodyOf(resp))}})
	if resp.StatusCode != 303 {
		h.t.Fatalf("commit %s: status %d\n%s", name, resp.StatusCode, bodyOf(resp))
	}
	return resp.Header.Get("Location")
}

func TestReingestUpload(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	cl, token := h.clientAs(staff.RoleAdmin)
	v1 := []byte(strings.ReplaceAll(testDoc, "天津市支持小微企业融资的若干措施", "天津市融资担保补助办法"))
	v2 := []byte(strings.ReplaceAll(string(v1), "降至1%以下", "降至0.8%以下"))
	tests := []struct {
		name    string
		upload  []byte // committed before the re-ingest (replacing danbao after the first)
		replace string
		want    string // in the second clause after the re-ingest
	}{
		{"Upload", v1, "", "降至1%以下"},
		{"AfterReplace", v2, "danbao", "降至0.8%以下"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.commitUpload(cl, token, "danbao.txt", tt.upload, tt.replace)
			ageDocument(t, h.store, "danbao")
			resp := h.post(cl, "/admin/documents/danbao/reingest", url.Values{"csrf": {token}})
			if resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/documents?done=reingest&doc=danbao" {
				t.Fatalf("reingest: status %d, Location %q\n%s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(resp))
			}
			doc, clauses, err := h.store.Document(ctx, "danbao")
			if err != nil {
				t.Fatal(err)
			}
			if doc.ContentHash != retrieval.ContentHash(tt.upload) || len(clauses) < 2 || !strings.Contains(clauses[1].Text, tt.want) {
				t.Errorf("after reingest: hash %s, clauses %+v; want the bytes uploaded (%q)", doc.ContentHash, clauses, tt.want)
			}
			entries, _ := h.users.AuditEntries(ctx, 1)
			if len(entries) != 1 || entries[0].Action != "reingest" || entries[0].Target != "danbao" ||
				strings.Contains(entries[0].Detail, "unchanged") {
				t.Errorf("audit %+v, want a reingest of danbao that parsed it again", entries)
			}
		})
	}
}

func TestUploadSourceNotSaved(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	cl, token := h.clientAs(staff.RoleAdmin)
	v1 := []byte(strings.ReplaceAll(testDoc, "天津市支持小微企业融资的若干措施", "天津市融资担保补助办法"))
	v2 := []byte(strings.ReplaceAll(string(v1), "降至1%以下", "降至0.8%以下"))
	h.commitUpload(cl, token, "danbao.txt", v1, "")

	h.sources.failSave.Store(true)
	loc := h.commitUpload(cl, token, "danbao.txt", v2, "danbao")
	if loc != "/admin/documents?done=replace&doc=danbao&source=lost" {
		t.Fatalf("commit redirected to %q, want the replace notice with source=lost", loc)
	}
	_, clauses, err := h.store.Document(ctx, "danbao")
	if err != nil || !strings.Contains(clauses[1].Text, "0.8%") {
		t.Fatalf("the replacement was not stored: %+v, %v", clauses, err)
	}
	if _, page := h.get(cl, loc); !strings.Contains(page, msgSourceLost) || !strings.Contains(page, "替换完成") {
		t.Errorf("documents page does not say the source was lost:\n%s", page)
	}
	entries, _ := h.users.AuditEntries(ctx, 1)
	if len(entries) != 1 || entries[0].Action != "replace" || !strings.Contains(entries[0].Detail, "原文未能保存") {
		t.Errorf("audit %+v, want a replace noting the lost source", entries)
	}
	// v1's bytes are still kept, but they are not this version's.
	resp := h.post(cl, "/admin/documents/danbao/reingest", url.Values{"csrf": {token}})
	if resp.StatusCode != 409 || !strings.Contains(bodyOf(resp), "没有可重新读取的来源") {
		t.Errorf("reingest: status %d, want 409 with the no-source message\n%s", resp.StatusCode, bodyOf(resp))
	}
	if _, clauses, _ := h.store.Document(ctx, "danbao"); !strings.Contains(clauses[1].Text, "0.8%") {
		t.Errorf("the refused reingest changed the document: %q", clauses[1].Text)
	}

	// Uploading the same file again, with the store back, keeps its bytes.
	h.sources.failSave.Store(false)
	if loc := h.commitUpload(cl, token, "danbao.txt", v2, "danbao"); strings.Contains(loc, "source=lost") {
		t.Fatalf("commit redirected to %q", loc)
	}
	if resp := h.post(cl, "/admin/documents/danbao/reingest", url.Values{"csrf": {token}}); resp.StatusCode != 303 {
		t.Errorf("reingest after the upload again: status %d\n%s", resp.StatusCode, bodyOf(resp))
	}
}

func TestIngestFuncSkippedName(t *testing.T) {
	for _, name := range []string{"README.md", ".draft.txt"} {
		t.Run(name, func(t *testing.T) {
			store := retrieval.NewMemoryStore()
			src := upload.NewMemorySources()
			ing := &retrieval.Ingester{Store: store, Embedder: embeddings.NewLocal(64)}
			_, err := IngestFunc(ing, src)(context.Background(), name, []byte(testDoc))
			if status, _ := statusOf(err); !errors.Is(err, errSkippedName) || status != 400 {
				t.Fatalf("ingest %s: error %v (status %d), want errSkippedName", name, err, status)
			}
			if _, _, err := src.Source(context.Background(), policy.DocumentID(name)); !errors.Is(err, upload.ErrSourceNotFound) {
				t.Errorf("a source was kept for an upload not stored: %v", err)
			}
		})
	}
}
