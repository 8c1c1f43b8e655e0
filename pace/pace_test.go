package pace

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock's time moves only when a test says; Sleep blocks until then.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers []sleeper
}

type sleeper struct {
	until time.Time
	done  chan struct{}
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	s := sleeper{until: c.now.Add(d), done: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// advance moves the time on and wakes the sleepers due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.sleepers[:0]
	for _, s := range c.sleepers {
		if s.until.After(c.now) {
			kept = append(kept, s)
			continue
		}
		close(s.done)
	}
	c.sleepers = kept
}

// waitSleeping returns once n goroutines sleep on the clock.
func (c *fakeClock) waitSleeping(t *testing.T, n int) {
	t.Helper()
	for range 100000 {
		c.mu.Lock()
		k := len(c.sleepers)
		c.mu.Unlock()
		if k >= n {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("nobody sleeps on the clock")
}

// acquireAsync starts an Acquire and returns its outcome's channel.
func acquireAsync(ctx context.Context, c *Controller) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Acquire(ctx) }()
	return done
}

func blocked(t *testing.T, done <-chan error) {
	t.Helper()
	for range 1000 {
		runtime.Gosched()
	}
	select {
	case err := <-done:
		t.Fatalf("Acquire returned %v; it should wait", err)
	default:
	}
}

func TestAcquireWaitsForItsTurn(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{Start: 10, MaxConcurrency: 4, Clock: clk})
	if err := c.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := acquireAsync(context.Background(), c)
	clk.waitSleeping(t, 1)
	clk.advance(50 * time.Millisecond)
	clk.waitSleeping(t, 1)
	blocked(t, done)
	clk.advance(50 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := c.InFlight(); got != 2 {
		t.Errorf("in flight %d, want 2", got)
	}
}

func TestAcquireGivesUpWithTheContext(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{Start: 1, MaxConcurrency: 4, Clock: clk})
	if err := c.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := acquireAsync(ctx, c) // holds the baton, sleeping for its turn
	clk.waitSleeping(t, 1)
	behind := acquireAsync(ctx, c) // waits for the baton
	blocked(t, behind)
	cancel()
	for _, d := range []<-chan error{done, behind} {
		if err := <-d; !errors.Is(err, context.Canceled) {
			t.Errorf("Acquire returned %v, want context.Canceled", err)
		}
	}
	if got := c.InFlight(); got != 1 {
		t.Errorf("in flight %d after the cancelled ones, want 1", got)
	}
}

func TestConcurrencyFollowsThePaceAndTheLatency(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{Start: 4, MaxConcurrency: 32, Clock: clk})
	release := func(lat time.Duration) {
		if err := c.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Second)
		c.Release(Observation{Status: http.StatusOK, Latency: lat})
	}
	// Little's law: 4/s (and more, as it speeds up) × 1 s, with headroom.
	release(time.Second)
	rate := c.Rate()
	if got, want := c.Concurrency(), int(rate*1*headroom+extraSlots); got != want {
		t.Errorf("concurrency %d at %.1f/s and 1 s, want %d", got, rate, want)
	}
	for range 20 {
		release(10 * time.Second)
	}
	if got := c.Concurrency(); got != 32 {
		t.Errorf("concurrency %d at 10 s latency, want the maximum 32", got)
	}

	// At the limit, an attempt waits for a slot until one is released.
	one := New(Config{Start: 1000, MaxConcurrency: 1, Clock: clk})
	if err := one.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := acquireAsync(context.Background(), one)
	blocked(t, done)
	clk.advance(time.Second)
	one.Release(Observation{Status: NotSent})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRetryAfterPausesEveryAttempt(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{Start: 100, MaxConcurrency: 8, Clock: clk})
	if err := c.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := c.Rate()
	c.Release(Observation{Status: http.StatusTooManyRequests, Header: header("Retry-After", "2"), Latency: time.Millisecond})
	if c.Rate() >= before {
		t.Errorf("pace %.1f after a 429, was %.1f", c.Rate(), before)
	}
	done := acquireAsync(context.Background(), c)
	for range 39 { // 1.95 s in naps
		clk.waitSleeping(t, 1)
		clk.advance(50 * time.Millisecond)
	}
	blocked(t, done)
	clk.waitSleeping(t, 1)
	clk.advance(60 * time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestSpeedsUpOnlyWhenThePaceHoldsBack(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{Start: 10, Max: 50, MaxConcurrency: 8, Clock: clk})
	for range 200 {
		if err := c.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.advance(c.interval)
		c.Release(Observation{Status: http.StatusOK, Latency: time.Millisecond})
	}
	if got := c.Rate(); got != 50 {
		t.Errorf("pace %.1f, want the maximum 50", got)
	}

	idle := New(Config{Start: 10, MaxConcurrency: 8, Clock: clk})
	for range 100 { // one attempt a second, at a pace of 10/s
		if err := idle.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Second)
		idle.Release(Observation{Status: http.StatusOK, Latency: time.Millisecond})
	}
	if got := idle.Rate(); got > 20 {
		t.Errorf("pace %.1f when nobody used 10/s", got)
	}
}

func TestPacesToAnnouncedLimit(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{MaxConcurrency: 8, Clock: clk})
	if err := c.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.Release(Observation{Status: http.StatusOK, Latency: time.Millisecond,
		Header: header("RateLimit-Policy", `"default";q=600;w=60`, "RateLimit", `"default";r=599;t=60`)})
	if got, want := c.Rate(), 10*annMargin; got != want {
		t.Errorf("pace %g, want %g", got, want)
	}
}

func TestPeakIsSustained(t *testing.T) {
	clk := newFakeClock()
	c := New(Config{Start: 1000, MaxConcurrency: 8, Clock: clk})
	// 10/s for 10 s, one burst of 100 in a tenth of a second.
	for range 100 {
		c.Release(Observation{Status: http.StatusOK, Latency: time.Millisecond})
		clk.advance(time.Millisecond)
	}
	for range 100 {
		clk.advance(100 * time.Millisecond)
		c.Release(Observation{Status: http.StatusOK, Latency: time.Millisecond})
	}
	if got := c.Peak(); got < 10 || got > 35 {
		t.Errorf("peak %.1f/s; the burst lasted a tenth of a second", got)
	}
}

func TestFixed(t *testing.T) {
	f := NewFixed(0, 1)
	if err := f.Acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.InFlight() != 1 || f.Rate() != 0 {
		t.Errorf("in flight %d, rate %g", f.InFlight(), f.Rate())
	}
	f.Release(Observation{Status: http.StatusOK})
	if f.InFlight() != 0 || f.Peak() <= 0 {
		t.Errorf("in flight %d, peak %g", f.InFlight(), f.Peak())
	}
	slow := NewFixed(0.001, 1)
	_ = slow.Acquire(context.Background()) // the burst
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := slow.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Acquire on a cancelled context: %v", err)
	}
}

// TestAcquireReleaseAllocateNothing: the hot path of every attempt.
func TestAcquireReleaseAllocateNothing(t *testing.T) {
	c := New(Config{Start: 1e9, MaxConcurrency: 8})
	h := header("RateLimit-Policy", `"default";q=100000;w=1`, "RateLimit", `"default";r=50;t=1`, "X-RateLimit-Remaining", "7")
	ctx := context.Background()
	for _, o := range []Observation{{Status: 200, Latency: time.Millisecond}, {Status: 200, Header: h, Latency: time.Millisecond}} {
		if n := testing.AllocsPerRun(1000, func() {
			if err := c.Acquire(ctx); err != nil {
				t.Fatal(err)
			}
			c.Release(o)
		}); n != 0 {
			t.Errorf("%v allocations an attempt (header %v)", n, o.Header != nil)
		}
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	c := New(Config{Start: 1e9, MaxConcurrency: 32})
	ctx := context.Background()
	o := Observation{Status: 200, Latency: time.Millisecond}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Acquire(ctx); err != nil {
				b.Error(err)
				return
			}
			c.Release(o)
		}
	})
}

// BenchmarkFixedAcquireRelease is --rate R's path through x/time/rate, for
// comparison.
func BenchmarkFixedAcquireRelease(b *testing.B) {
	f := NewFixed(1e9, 1)
	ctx := context.Background()
	o := Observation{Status: 200, Latency: time.Millisecond}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f.Acquire(ctx); err != nil {
				b.Error(err)
				return
			}
			f.Release(o)
		}
	})
}

// --rate R's promise holds even when attempts wake late for their turns:
// no span of a second holds more than floor(R)+burst starts, however the
// ready times bunch; and at the paced rate the window never delays anyone.
func TestFixedWindow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	most := func(starts []time.Time) int {
		n := 0
		for i := range starts {
			j := i
			for j < len(starts) && starts[j].Sub(starts[i]) < time.Second {
				j++
			}
			n = max(n, j-i)
		}
		return n
	}
	for _, tc := range []struct {
		name  string
		r     float64
		burst int
		ready func(i int) time.Duration // when attempt i is ready
	}{
		{"paced, 200/s", 200, 1, func(i int) time.Duration {
			return time.Duration(float64(i) * float64(time.Second) / (200 * FixedMargin))
		}},
		{"six turns woken 30 ms late at once", 200, 1, func(i int) time.Duration {
			paced := time.Duration(float64(i) * float64(time.Second) / (200 * FixedMargin))
			if i >= 100 && i < 106 {
				first := 100.0
				return time.Duration(first*float64(time.Second)/(200*FixedMargin)) + 30*time.Millisecond
			}
			return paced
		}},
		{"all at once", 50, 5, func(int) time.Duration { return 0 }},
		{"slow, 1.5/s", 1.5, 1, func(i int) time.Duration {
			return time.Duration(float64(i) * float64(time.Second) / (1.5 * FixedMargin))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(tc.r, tc.burst)
			var starts []time.Time
			delayed := 0
			for i := range 2000 {
				ready := t0.Add(tc.ready(i))
				at := w.take(ready)
				if at.Before(ready) {
					t.Fatalf("attempt %d may start before it is ready", i)
				}
				if at.After(ready) {
					delayed++
				}
				starts = append(starts, at)
			}
			slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
			limit := int(tc.r) + tc.burst
			if got := most(starts); got > limit {
				t.Errorf("%d starts in one second, want at most %d", got, limit)
			}
			if strings.HasPrefix(tc.name, "paced") || strings.HasPrefix(tc.name, "slow") {
				if delayed > 0 {
					t.Errorf("%d attempts delayed at the paced rate", delayed)
				}
			}
		})
	}
	if newWindow(1e6, 1) != nil {
		t.Error("a window of a million starts kept")
	}
}
