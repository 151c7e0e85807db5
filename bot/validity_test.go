package bot

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"policybot/answer"
	"policybot/embeddings"
	"policybot/retrieval"
	"policybot/seeds"
	"policybot/state"
	"policybot/testenv"
)

// TestWeChatCurrentLaw: over /wechat, with the real corpus, the answer cites
// the 条例 in force, not the text it revised, and "这个政策还有效吗？" answers
// from the clause just cited.
func TestWeChatCurrentLaw(t *testing.T) {
	shared := testenv.Shared(t)
	if testing.Short() {
		t.Skip("ingests the whole corpus")
	}
	ctx := context.Background()
	store := retrieval.NewMemoryStore()
	emb := embeddings.NewLocal(0)
	in := &retrieval.Ingester{Store: store, Embedder: emb}
	if _, err := in.IngestFS(ctx, seeds.Documents, "."); err != nil {
		t.Fatal(err)
	}
	if _, err := in.IngestPaths(ctx, filepath.Join(shared, "corpus")); err != nil {
		t.Fatal(err)
	}
	searcher := retrieval.NewSearcher(store, emb, "天津市")
	searcher.SetClock(func() time.Time { return time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC) })
	st := state.NewMemory()
	asker := answer.New(answer.Config{Searcher: searcher, Sessions: st, DefaultRegion: "天津市"})
	b := newTestBot(t, st, asker, func(c *Config) { c.ReplyBudget = 4 * time.Second })
	reply := b.ask(t, 1, "机关事业单位向中小企业采购货物，应当在多少日内付款")
	if !strings.Contains(reply, "国务院令第802号") || strings.Contains(reply, "国务院令第728号") || !strings.Contains(reply, "根据现行政策") {
		t.Errorf("reply:\n%s", reply)
	}
	reply = b.ask(t, 2, "这个政策还有效吗？")
	if !strings.Contains(reply, "现行有效") || !strings.Contains(reply, "2025年6月1日") {
		t.Errorf("follow-up reply:\n%s", reply)
	}
	reply = b.ask(t, 3, "增值税小规模纳税人的征收率是多少")
	if !strings.Contains(reply, "《中华人民共和国增值税法》") || strings.Contains(reply, "暂行条例》第") {
		t.Errorf("VAT reply:\n%s", reply)
	}
}
