package bot

import (
	"context"
	"testing"
	"time"

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
	start := time.Now()
	m, ids, eligible := scaleCorpus(t, stores[0])
	setup := time.Since(start)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, chinaTime)
	replicas := []*Handler{pushBot(t, stores[0], stores[0], m, &now), pushBot(t, stores[1], stores[1], m, &now)}
	reps, elapsed := pushTogether(t, replicas, ids)
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
		10_000, setup.Round(time.Millisecond), eligible, elapsed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), rep)
}
