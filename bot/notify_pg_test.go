package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"policybot/enterprise"
	"policybot/postgres"
	"policybot/testenv"
)

// TestPushAtScalePostgres: as TestPushAtScale, with profiles, claims and the
// push log in PostgreSQL and the two replicas on pools of their own — the
// deployment that matters. The time goes in BENCHMARKS.md
// (go test ./bot -run TestPushAtScalePostgres -v).
func TestPushAtScalePostgres(t *testing.T) {
	url := testenv.Database(t)
	ctx := context.Background()
	var stores []*postgres.Store
	for range 2 {
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		stores = append(stores, s)
	}
	api := newPushAPI(t)
	seed := newSeedMatcher(t)
	m := &seedMatcher{}
	var ids []string
	for d := range 50 {
		id := fmt.Sprintf("doc-%02d", d)
		ids = append(ids, id)
		for _, c := range seed.cands {
			c.Document.ID = id
			c.Clause.ID = id + c.Clause.ID
			m.cands = append(m.cands, c)
		}
	}
	const profiles = 10_000
	eligible := 0
	start := time.Now()
	for i := range profiles {
		p := enterprise.Profile{Region: "天津市滨海新区", Size: "small", Qualifications: []string{}}
		if i%3 == 2 {
			p.Region = "北京市"
		} else {
			eligible++
		}
		subscribe(t, stores[0], fmt.Sprintf("o-%05d", i), p)
	}
	setup := time.Since(start)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)
	replicas := []*Handler{pushBot(t, stores[0], stores[0], m, &now), pushBot(t, stores[1], stores[1], m, &now)}
	start = time.Now()
	var wg sync.WaitGroup
	reps := make([]PushReport, 2)
	for i, h := range replicas {
		wg.Go(func() {
			var err error
			if reps[i], err = h.PushNew(ctx, ids); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if sent := reps[0].Sent + reps[1].Sent; sent != eligible {
		t.Errorf("two replicas sent %d pushes, want %d: %v / %v", sent, eligible, reps[0], reps[1])
	}
	if cs, _ := api.sent(); cs != eligible {
		t.Errorf("%d messages reached WeChat, want %d", cs, eligible)
	}
	start = time.Now()
	rep, err := replicas[1].PushNew(ctx, ids)
	if err != nil || rep.Sent != 0 {
		t.Errorf("second run: %v, %v; want nobody notified", rep, err)
	}
	log, err := stores[1].PushEntries(ctx, 0)
	if err != nil || len(log) != eligible {
		t.Errorf("push log holds %d entries, %v; want %d", len(log), err, eligible)
	}
	t.Logf("PostgreSQL: %d profiles stored and subscribed in %s; two replicas at once notified %d in %s; a second run took %s: %s",
		profiles, setup.Round(time.Millisecond), eligible, elapsed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), rep)
}
