// Package bench measures policybot at scale: ingest throughput, search
// latency and recall on PostgreSQL and in memory, and retrieval quality with
// synthetic distractors (see bench/synth). `policybot bench` runs it; the
// figures and commands are in BENCHMARKS.md. Nothing here runs under
// `go test` except its own unit tests.
package bench

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Summary describes a set of latencies.
type Summary struct {
	N             int
	P50, P90, P99 time.Duration
	Max           time.Duration
}

// Summarize computes nearest-rank percentiles of ds.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1 // nearest rank
		return s[min(max(i, 0), len(s)-1)]
	}
	return Summary{N: len(s), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: s[len(s)-1]}
}

func (s Summary) String() string {
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s", s.N, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max))
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms" }

// MedianSummary takes, per percentile, the median over several runs.
func MedianSummary(runs []Summary) Summary {
	med := func(f func(Summary) time.Duration) time.Duration {
		xs := make([]time.Duration, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	if len(runs) == 0 {
		return Summary{}
	}
	return Summary{
		N:   runs[0].N,
		P50: med(func(s Summary) time.Duration { return s.P50 }),
		P90: med(func(s Summary) time.Duration { return s.P90 }),
		P99: med(func(s Summary) time.Duration { return s.P99 }),
		Max: med(func(s Summary) time.Duration { return s.Max }),
	}
}

// Median returns the median of xs (0 for none).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.SortFunc(s, cmp.Compare[float64])
	return s[len(s)/2]
}

// RSS returns the resident set size of this process in bytes, from
// /proc/self/status (Linux); 0 where unavailable.
func RSS() int64 { return procStatus("VmRSS:") }

// PeakRSS returns the peak resident set size of this process in bytes
// (VmHWM); 0 where unavailable.
func PeakRSS() int64 { return procStatus("VmHWM:") }

// procStatus reads a size field of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// FindShared walks up from the working directory to the folder that holds
// shared/corpus and returns that shared folder.
func FindShared() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find shared: %w", err)
	}
	for {
		p := filepath.Join(dir, "shared")
		if st, err := os.Stat(filepath.Join(p, "corpus")); err == nil && st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find shared: no shared/corpus above the working directory (use --shared)")
		}
		dir = parent
	}
}
