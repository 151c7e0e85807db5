package postgres

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"policybot/retrieval"
	"policybot/upload"
)

func TestSources(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	clauses := []retrieval.IndexedClause{indexed("d-0", 0, []string{"续贷"}, nil)}
	if err := s.ReplaceDocument(ctx, doc("d", "天津市"), clauses); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("条\x00\xff"), (2<<20)/5) // binary-safe, near the console's 2 MiB upload limit

	tests := []struct {
		name     string
		change   func() error // applied before reading d's source
		wantName string
		wantData []byte
		wantErr  error
	}{
		{name: "NoneKept", change: func() error { return nil }, wantErr: upload.ErrSourceNotFound},
		{name: "Saved", change: func() error { return s.SaveSource(ctx, "d", "d.txt", []byte("第一版")) },
			wantName: "d.txt", wantData: []byte("第一版")},
		{name: "SavedAgain", change: func() error { return s.SaveSource(ctx, "d", "d.md", big) },
			wantName: "d.md", wantData: big},
		{name: "Empty", change: func() error { return s.SaveSource(ctx, "d", "d.txt", nil) },
			wantName: "d.txt", wantData: []byte{}},
		// The console saves the source after the ingester replaced the
		// document: a replacement must not drop the source (ON DELETE
		// CASCADE would, if ReplaceDocument deleted the documents row).
		{name: "SurvivesReplaceDocument", change: func() error {
			if err := s.SaveSource(ctx, "d", "d.txt", []byte("第二版")); err != nil {
				return err
			}
			return s.ReplaceDocument(ctx, doc("d", "北京市"), clauses)
		}, wantName: "d.txt", wantData: []byte("第二版")},
		{name: "SurvivesRetire", change: func() error { return s.SetStatus(ctx, "d", retrieval.StatusRetired) },
			wantName: "d.txt", wantData: []byte("第二版")},
		{name: "GoneWithDocument", change: func() error { return s.RemoveDocument(ctx, "d") },
			wantErr: upload.ErrSourceNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.change(); err != nil {
				t.Fatal(err)
			}
			name, data, err := s.Source(ctx, "d")
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Source(d) error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || name != tt.wantName || !bytes.Equal(data, tt.wantData) {
				t.Fatalf("Source(d) = %q, %d bytes, %v; want %q, %d bytes", name, len(data), err, tt.wantName, len(tt.wantData))
			}
		})
	}

	if err := s.SaveSource(ctx, "missing", "m.txt", []byte("x")); !errors.Is(err, retrieval.ErrNotFound) {
		t.Errorf("SaveSource(no such document) error = %v, want retrieval.ErrNotFound", err)
	}
}
