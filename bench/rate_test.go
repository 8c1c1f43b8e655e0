package main

import (
	"testing"
	"time"
)

func TestRateOf(t *testing.T) {
	t0 := time.Now()
	at := func(ms ...int) []time.Time {
		out := make([]time.Time, len(ms))
		for i, m := range ms {
			out[i] = t0.Add(time.Duration(m) * time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name     string
		arrivals []time.Time
		rate     float64
		busiest  int
		minGap   time.Duration
	}{
		{"even, 10/s", at(0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000), 10, 10, 100 * time.Millisecond},
		{"unsorted", at(200, 0, 100), 10, 3, 100 * time.Millisecond},
		{"a burst inside a second", at(0, 500, 501, 502, 1500), 4 / 1.5, 4, time.Millisecond},
		{"a window is half open", at(0, 1000), 1, 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rate, busiest, minGap := rateOf(tt.arrivals)
			if diff := rate - tt.rate; diff > 1e-9 || diff < -1e-9 || busiest != tt.busiest || minGap != tt.minGap {
				t.Errorf("rateOf = %v, %d, %v; want %v, %d, %v", rate, busiest, minGap, tt.rate, tt.busiest, tt.minGap)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", -45000: "-45,000"} {
		if got := count(in); got != want {
			t.Errorf("count(%v) = %q, want %q", in, got, want)
		}
	}
}
