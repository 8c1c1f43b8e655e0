package pace

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Fixed paces at a fixed rate (--rate R) through golang.org/x/time/rate,
// in the Controller's shape, so that a run calls the same Acquire and
// Release whatever its --rate, and its progress, Summary and metrics read
// the same Rate, Peak and InFlight.
type Fixed struct {
	lim   *rate.Limiter // nil: unlimited
	clock Clock
	win   *window // nil: no guard (unlimited, or a limit too large to keep)

	mu       sync.Mutex
	epoch    time.Time
	inFlight int
	meter    meter
}

// FixedMargin is the share of --rate a Fixed paces at. Requests leave at
// even intervals, but the network and the scheduler bunch them a little on
// the way, and a provider counts arrivals: at exactly R a busy second on its
// side can see R+1. One per cent below R keeps the seconds of arrivals at or
// under the limit while the rate stays within 1% of what was asked.
const FixedMargin = 0.99

// NewFixed paces at r requests/s (--rate) with the given burst; r <= 0
// means no limit. Attempts start at FixedMargin×r, evenly, and never more
// than r+burst in any second: see window.
func NewFixed(r float64, burst int) *Fixed {
	f := &Fixed{clock: realClock{}}
	burst = max(burst, 1)
	if r > 0 {
		f.lim = rate.NewLimiter(rate.Limit(r*FixedMargin), burst)
		f.win = newWindow(r, burst)
	}
	f.epoch = f.clock.Now()
	return f
}

// window keeps the promise --rate makes to a provider that counts arrivals
// a second at a time: no second holds more than r+burst attempts.
// x/time/rate gives turns at even times, but an attempt whose goroutine
// wakes late for its turn (a busy machine, a GC pause) starts next to the
// turns after it, and a second can then hold a few more than the rate. The
// window holds the starts of the last floor(r)+burst attempts and makes the
// next one wait until the oldest is windowSpan old. At the paced rate the
// wait is never needed (floor(r)+burst turns at FixedMargin×r span more
// than windowSpan); it only spreads out a bunch.
type window struct {
	mu     sync.Mutex
	starts []time.Time // a ring: the last len(starts) starts
	next   int
	full   bool
}

// windowSpan is a second and a little more, so that arrivals a little
// further apart on the way than they left still fit in the promise.
const windowSpan = time.Second + 10*time.Millisecond

// maxStarts bounds the starts kept; a limit above it (tens of thousands of
// requests a second) is paced by x/time/rate alone.
const maxStarts = 1 << 16

func newWindow(r float64, burst int) *window {
	n := math.Floor(r) + float64(burst)
	if n > maxStarts {
		return nil
	}
	return &window{starts: make([]time.Time, int(n))}
}

// take books a start for an attempt ready at now and returns when it may
// start: now, or when the oldest of the last starts is windowSpan old.
func (w *window) take(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := now
	if w.full {
		if t := w.starts[w.next].Add(windowSpan); t.After(at) {
			at = t
		}
	}
	w.starts[w.next] = at
	w.next++
	if w.next == len(w.starts) {
		w.next, w.full = 0, true
	}
	return at
}

// Acquire waits for the limiter; ctx.Err() when ctx is done first. Every
// nil return must be matched by one Release.
func (f *Fixed) Acquire(ctx context.Context) error {
	if f.lim != nil {
		if err := f.lim.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
	if f.win != nil {
		now := f.clock.Now()
		if err := f.clock.Sleep(ctx, f.win.take(now).Sub(now)); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.inFlight++
	f.mu.Unlock()
	return nil
}

// Release ends an attempt; unthrottled answers count towards Peak.
func (f *Fixed) Release(o Observation) {
	now := f.clock.Now().Sub(f.epoch)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	if o.Status > 0 && o.Status < 500 && o.Status != 429 {
		f.meter.add(now)
	}
}

// Rate is the fixed pace, requests/s; 0 when unlimited.
func (f *Fixed) Rate() float64 {
	if f.lim == nil {
		return 0
	}
	return float64(f.lim.Limit())
}

// Peak is the most unthrottled answers per second over any 5 s.
func (f *Fixed) Peak() float64 {
	now := f.clock.Now().Sub(f.epoch)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.meter.peakAt(now)
}

// InFlight is the number of attempts between Acquire and Release.
func (f *Fixed) InFlight() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inFlight
}
