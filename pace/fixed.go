package pace

import (
	"context"
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

	mu       sync.Mutex
	epoch    time.Time
	inFlight int
	meter    meter
}

// NewFixed paces at r requests/s with the given burst; r <= 0 means no
// limit.
func NewFixed(r float64, burst int) *Fixed {
	f := &Fixed{clock: realClock{}}
	if r > 0 {
		f.lim = rate.NewLimiter(rate.Limit(r), max(burst, 1))
	}
	f.epoch = f.clock.Now()
	return f
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
