package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Goals and set-up of the rate run.
const (
	rateTolerance   = 0.02
	rateConcurrency = 4 // acctimport's default
)

// ratePart runs `acctimport run --rate R --burst B` over rows enough for
// -duration, with the server timestamping every request's arrival.
func (b *bench) ratePart(ctx context.Context) {
	r, burst := b.cfg.rate, b.cfg.burst
	name := fmt.Sprintf("run --rate %g --burst %d, %s", r, burst, b.cfg.duration)
	n := max(int(r*b.cfg.duration.Seconds()), 2)
	in, err := b.input("rate", n, "csv")
	if err != nil {
		b.fail(name, err)
		return
	}
	logf("rate: %s rows at --rate %g --burst %d", count(float64(n)), r, burst)
	b.srv.reset(0)
	b.srv.record(true)
	_, err = b.send(ctx, in, rateConcurrency, r, burst)
	arrivals := b.srv.record(false)
	if err == nil && len(arrivals) != n {
		err = fmt.Errorf("the server saw %d requests of %d", len(arrivals), n)
	}
	if err != nil {
		if ctx.Err() == nil {
			b.fail(name, err)
		}
		return
	}
	achieved, busiest, minGap := rateOf(arrivals)
	limit := r + float64(burst)
	ok := math.Abs(achieved-r) <= rateTolerance*r && float64(busiest) <= limit
	logf("  achieved %.3f req/s, busiest second %d requests; %s", achieved, busiest, gaps(arrivals, r))
	b.lines = append(b.lines, line{
		name:      name,
		reference: fmt.Sprintf("%g req/s", r),
		measured:  fmt.Sprintf("%.2f req/s, busiest 1 s: %d, closest 2: %s apart", achieved, busiest, minGap.Round(10*time.Microsecond)),
		ratio:     fmt.Sprintf("%.3fx", achieved/r),
		goal:      fmt.Sprintf("within %.0f%%, no 1 s above %g", rateTolerance*100, limit),
		verdict:   verdict(ok),
	})
}

// rateOf returns the rate of the arrivals, (n-1)/(last-first), the most
// arrivals in any one-second window [t, t+1s), and the shortest gap between
// two arrivals (a burst shows there first).
func rateOf(arrivals []time.Time) (rate float64, busiest int, minGap time.Duration) {
	t := slices.Clone(arrivals)
	slices.SortFunc(t, func(a, b time.Time) int { return a.Compare(b) })
	if len(t) < 2 {
		return 0, len(t), 0
	}
	minGap = t[1].Sub(t[0])
	j := 0
	for i := range t { // the busiest window starts at an arrival
		for j < len(t) && t[j].Sub(t[i]) < time.Second {
			j++
		}
		busiest = max(busiest, j-i)
		if i > 0 {
			minGap = min(minGap, t[i].Sub(t[i-1]))
		}
	}
	return float64(len(t)-1) / t[len(t)-1].Sub(t[0]).Seconds(), busiest, minGap
}

// gaps describes the spacing of the arrivals against the ideal 1/r, to
// tell bunching (requests sent close together) from drift.
func gaps(arrivals []time.Time, r float64) string {
	t := slices.Clone(arrivals)
	slices.SortFunc(t, func(a, b time.Time) int { return a.Compare(b) })
	if len(t) < 2 {
		return "too few arrivals"
	}
	g := make([]time.Duration, len(t)-1)
	for i := range g {
		g[i] = t[i+1].Sub(t[i])
	}
	slices.Sort(g)
	ideal := time.Duration(float64(time.Second) / r)
	short := 0
	for _, d := range g {
		if d < ideal/2 {
			short++
		}
	}
	pct := func(p float64) time.Duration { return g[int(p*float64(len(g)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("gaps (ideal %s): min %s, p1 %s, median %s, p99 %s, max %s; %d under half the ideal",
		ideal.Round(10*time.Microsecond), pct(0), pct(0.01), pct(0.5), pct(0.99), pct(1), short)
}
