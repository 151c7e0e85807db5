package console

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"path/filepath"
	"testing/fstest"

	"policybot/retrieval"
)

// IngestFunc returns a Config.Ingest backed by in: the upload is ingested as
// a one-file folder, so it goes through exactly the path corpus files take
// (content hash, embedding cache, one ReplaceDocument per document).
func IngestFunc(in *retrieval.Ingester) func(ctx context.Context, name string, data []byte) (string, error) {
	in = single(in)
	return func(ctx context.Context, name string, data []byte) (string, error) {
		rep, err := in.IngestFS(ctx, fstest.MapFS{name: &fstest.MapFile{Data: data, Mode: 0o444}}, ".")
		if err == nil && len(rep.Failed) > 0 {
			err = rep.Failed[0]
		}
		if err != nil {
			return "", fmt.Errorf("ingest upload %s: %w", name, err)
		}
		return rep.String(), nil
	}
}

// errNoSource is returned by a ReingestFunc for documents whose source
// cannot be read again (uploads keep no copy of their bytes).
var errNoSource = userError(http.StatusConflict, "该文件来自网页上传，没有可重新读取的来源；请重新上传新版本。")

// ReingestFunc returns a Config.Reingest backed by in: a document is read
// again from its Source — an absolute file path, or a path in corpus (the
// embedded seeds; may be nil) — and stored anew when its bytes changed.
func ReingestFunc(in *retrieval.Ingester, store DocumentStore, corpus fs.FS) func(ctx context.Context, id string) (string, error) {
	in = single(in)
	return func(ctx context.Context, id string) (string, error) {
		doc, _, err := store.Document(ctx, id)
		if err != nil {
			return "", fmt.Errorf("reingest %s: %w", id, err)
		}
		var rep retrieval.Report
		switch {
		case filepath.IsAbs(doc.Source):
			rep, err = in.IngestPaths(ctx, doc.Source)
		case corpus != nil && doc.Source != "":
			data, rerr := fs.ReadFile(corpus, doc.Source)
			if errors.Is(rerr, fs.ErrNotExist) {
				return "", errNoSource
			}
			if rerr != nil {
				return "", fmt.Errorf("reingest %s: %w", id, rerr)
			}
			// The file keeps its path so the document keeps its Source.
			rep, err = in.IngestFS(ctx, fstest.MapFS{doc.Source: &fstest.MapFile{Data: data, Mode: 0o444}}, path.Dir(doc.Source))
		default:
			return "", errNoSource
		}
		if err == nil && len(rep.Failed) > 0 {
			err = rep.Failed[0]
		}
		if err != nil {
			return "", fmt.Errorf("reingest %s: %w", id, err)
		}
		return rep.String(), nil
	}
}

// single copies in for one-document ingestion: pruning would delete every
// document missing from the one-file folder, and re-embedding would touch
// the whole corpus.
func single(in *retrieval.Ingester) *retrieval.Ingester {
	cp := *in
	cp.Prune, cp.Reembed = false, false
	return &cp
}
