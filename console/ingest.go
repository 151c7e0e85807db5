package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"

	"policybot/policy"
	"policybot/retrieval"
	"policybot/upload"
)

// uploadDir is the first element of an uploaded document's Source. Sources
// of files on disk are absolute and the embedded seeds sit at the top of
// their folder, so the prefix alone tells an upload apart.
const uploadDir = retrieval.UploadDir

// uploadPath is the path an upload is ingested under, which becomes the
// document's Source: upload/HASH/NAME. The hash of the bytes makes the Source
// name one version exactly, so kept bytes are used for a re-ingest only when
// they are the bytes of the version stored — not those of an earlier upload
// whose replacement was stored but could not be kept, nor those of a
// concurrent replacement that lost the race.
func uploadPath(name string, data []byte) string {
	sum := sha256.Sum256(data)
	return path.Join(uploadDir, hex.EncodeToString(sum[:8]), name)
}

// ErrSourceNotSaved is returned (wrapped) by an IngestFunc whose document was
// stored but whose source could not be kept: the upload took effect, and
// only re-ingesting it will not work until it is uploaded again.
var ErrSourceNotSaved = errors.New("upload stored, but its source was not kept")

// errSkippedName is returned by an IngestFunc for an upload whose name the
// ingester passes over as no policy document.
var errSkippedName = userError(http.StatusBadRequest, "文件名不能以“.”开头，也不能是 README、LICENSE 等目录说明文件的名字；请改名后重新上传。")

// IngestFunc returns a Config.Ingest backed by in: the upload is ingested as
// a one-file folder, so it goes through exactly the path corpus files take
// (content hash, embedding cache, one ReplaceDocument per document). Its
// bytes are then kept in sources (nil: not kept, and such uploads cannot be
// re-ingested). When only keeping them fails, the summary is returned with
// an error wrapping ErrSourceNotSaved.
func IngestFunc(in *retrieval.Ingester, sources upload.SourceStore) func(ctx context.Context, name string, data []byte) (string, error) {
	in = single(in)
	return func(ctx context.Context, name string, data []byte) (string, error) {
		p := uploadPath(name, data)
		rep, err := in.IngestFS(ctx, fstest.MapFS{p: &fstest.MapFile{Data: data, Mode: 0o444}}, path.Dir(p))
		if err == nil && len(rep.Failed) > 0 {
			err = rep.Failed[0]
		}
		if err == nil && rep.Documents == 0 {
			// The folder walk passes over dot-files and folder notes
			// (README.md…); an upload so named would vanish silently.
			err = errSkippedName
		}
		if err != nil {
			return "", fmt.Errorf("ingest upload %s: %w", name, err)
		}
		if sources == nil {
			return rep.String(), nil
		}
		// The bytes are kept after the document is stored, not before:
		// ReplaceDocument is the ingester's own transaction, which this
		// cannot join, and keeping them first would leave bytes that no
		// stored document holds whenever ingestion fails (a bad parse, the
		// embedder down). A failure here leaves the document stored and at
		// worst an older kept version, which uploadPath tells apart.
		if err := sources.SaveSource(ctx, policy.DocumentID(name), name, data); err != nil {
			return rep.String(), fmt.Errorf("ingest upload %s: %w: %w", name, ErrSourceNotSaved, err)
		}
		return rep.String(), nil
	}
}

// errNoSource is returned by a ReingestFunc for uploads whose bytes were not
// kept (uploaded before sources were kept, or keeping them failed).
var errNoSource = userError(http.StatusConflict, "该文件来自网页上传，没有可重新读取的来源；请重新上传新版本。")

// errFileGone is returned by a ReingestFunc for a document read from a file
// on disk that is no longer there.
var errFileGone = userError(http.StatusConflict, "该文件的源文件已不存在，无法重新入库；请重新上传新版本。")

// ReingestFunc returns a Config.Reingest backed by in: a document is read
// again from its Source — an upload's bytes kept in sources (may be nil), an
// absolute file path, or a path in corpus (the embedded seeds; may be nil) —
// and stored anew when its bytes or the parser changed.
func ReingestFunc(in *retrieval.Ingester, store DocumentStore, sources upload.SourceStore, corpus fs.FS) func(ctx context.Context, id string) (string, error) {
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
			if errors.Is(err, fs.ErrNotExist) {
				return "", errFileGone
			}
		case strings.HasPrefix(doc.Source, uploadDir+"/"):
			data, rerr := keptUpload(ctx, sources, doc)
			if rerr != nil {
				return "", fmt.Errorf("reingest %s: %w", id, rerr)
			}
			rep, err = ingestAt(ctx, in, doc.Source, data)
			if newID := policy.DocumentID(path.Base(doc.Source)); err == nil && newID != id {
				// Stored under the ID an earlier version gave its name, the
				// upload moved to its new ID; its kept bytes follow it.
				if serr := sources.SaveSource(ctx, newID, path.Base(doc.Source), data); serr != nil {
					return rep.String(), fmt.Errorf("reingest %s: %w: %w", id, ErrSourceNotSaved, serr)
				}
			}
		case corpus != nil && doc.Source != "":
			data, rerr := fs.ReadFile(corpus, doc.Source)
			if errors.Is(rerr, fs.ErrNotExist) {
				return "", errNoSource
			}
			if rerr != nil {
				return "", fmt.Errorf("reingest %s: %w", id, rerr)
			}
			rep, err = ingestAt(ctx, in, doc.Source, data)
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

// keptUpload returns the kept bytes of the uploaded document doc, or
// errNoSource when none are kept or those kept are another version's.
func keptUpload(ctx context.Context, sources upload.SourceStore, doc retrieval.StoredDocument) ([]byte, error) {
	if sources == nil {
		return nil, errNoSource
	}
	name, data, err := sources.Source(ctx, doc.ID)
	if errors.Is(err, upload.ErrSourceNotFound) {
		return nil, errNoSource
	}
	if err != nil {
		return nil, err
	}
	if uploadPath(name, data) != doc.Source {
		return nil, errNoSource
	}
	return data, nil
}

// ingestAt ingests data as the file at p in a one-file folder, so the
// document keeps p as its Source.
func ingestAt(ctx context.Context, in *retrieval.Ingester, p string, data []byte) (retrieval.Report, error) {
	return in.IngestFS(ctx, fstest.MapFS{p: &fstest.MapFile{Data: data, Mode: 0o444}}, path.Dir(p))
}

// single copies in for one-document ingestion: pruning would delete every
// document missing from the one-file folder, and re-embedding would touch
// the whole corpus.
func single(in *retrieval.Ingester) *retrieval.Ingester {
	cp := *in
	cp.Prune, cp.Reembed = false, false
	return &cp
}
