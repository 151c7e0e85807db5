package bench

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		hundred = append(hundred, ms(i))
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Summary
	}{
		{"Empty", nil, Summary{}},
		{"One", []time.Duration{ms(7)}, Summary{N: 1, P50: ms(7), P90: ms(7), P99: ms(7), Max: ms(7)}},
		{"Hundred", hundred, Summary{N: 100, P50: ms(50), P90: ms(90), P99: ms(99), Max: ms(100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(tt.in); got != tt.want {
				t.Fatalf("Summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMedianSummary(t *testing.T) {
	runs := []Summary{{N: 3, P50: 5, P99: 50}, {N: 3, P50: 1, P99: 90}, {N: 3, P50: 3, P99: 10}}
	if got := MedianSummary(runs); got.P50 != 3 || got.P99 != 50 || got.N != 3 {
		t.Fatalf("MedianSummary = %+v", got)
	}
}

func TestRecall(t *testing.T) {
	tests := []struct {
		name       string
		got, exact []string
		k          int
		want       float64
	}{
		{"All", []string{"a", "b"}, []string{"b", "a"}, 2, 1},
		{"Half", []string{"a", "x"}, []string{"a", "b"}, 2, 0.5},
		{"None", []string{"x"}, []string{"a"}, 1, 0},
		{"BeyondK", []string{"x", "a"}, []string{"a", "b"}, 1, 0},
		{"NoExact", nil, nil, 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Recall(tt.got, tt.exact, tt.k); got != tt.want {
				t.Fatalf("Recall = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTiedRecall(t *testing.T) {
	tests := []struct {
		name       string
		got, exact []float64
		k          int
		want       float64
	}{
		{"Same", []float64{0.1, 0.2}, []float64{0.1, 0.2}, 2, 1},
		// Another clause at the k-th distance is as good as the one the
		// exact sort put there.
		{"Tie", []float64{0.1, 0.2}, []float64{0.1, 0.2, 0.2}, 2, 1},
		{"Farther", []float64{0.1, 0.3}, []float64{0.1, 0.2}, 2, 0.5},
		{"Short", []float64{0.1}, []float64{0.1, 0.2}, 2, 0.5},
		{"BeyondK", []float64{0.5, 0.1}, []float64{0.1, 0.2}, 1, 0},
		{"NoExact", nil, nil, 10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TiedRecall(tt.got, tt.exact, tt.k); got != tt.want {
				t.Fatalf("TiedRecall = %v, want %v", got, tt.want)
			}
		})
	}
}
