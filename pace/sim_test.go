package pace

import (
	"container/heap"
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/sandbox"
)

// The simulation: controllers, each with the importer's long-lived
// workers, against a server that plays a provider's limit with the
// sandbox's own token bucket, in simulated time. Every step a worker takes
// is one Acquire would take (reserve, sleep, confirm; wait for a slot and
// be woken by a Release), with the clock advanced by the event loop
// instead of slept: a minute of 2,000 requests/s runs in a fraction of a
// second, and the same way every time.

type simClock struct{ now time.Time }

func (c *simClock) Now() time.Time { return c.now }
func (c *simClock) Sleep(context.Context, time.Duration) error {
	panic("the simulation drives the waits itself")
}

// simServer is the provider: a bucket decided on arrival, answered after
// the latency.
type simServer struct {
	bucket   *sandbox.Bucket
	latency  time.Duration
	announce string
}

type evKind int

const (
	evAcquire evKind = iota // a worker wants to start an attempt
	evBaton                 // a worker is handed the baton
	evWake                  // the baton holder's wait for its turn is over
	evAnswer                // an attempt's answer arrives
	evCall                  // a scheduled change (the limit drops)
)

type event struct {
	at   time.Duration
	seq  int64
	kind evKind
	w    *simWorker
	obs  Observation
	call func()
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int)  { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)    { *h = append(*h, x.(*event)) }
func (h *events) Pop() any      { old := *h; e := old[len(old)-1]; *h = old[:len(old)-1]; return e }
func (s *sim) at(e *event)      { s.seq++; e.seq = s.seq; heap.Push(&s.q, e) }
func (s *sim) wall() time.Time  { return s.epoch.Add(s.now) }
func (s *sim) sec() int         { return int(s.now / time.Second) }
func (s *sim) ok(e *event) bool { return e.at <= s.end }

type simClient struct {
	c       *Controller
	baton   bool         // held
	batonQ  []*simWorker // waiting for the baton, in order
	waiting []*simWorker // for a slot, in order
	ok, thr []int        // answers per second of the run
	rate    []float64    // the pace at each second
	conc    []int
}

type simWorker struct {
	cl *simClient
	// sent is when the attempt in flight started.
	sent time.Duration
}

type sim struct {
	epoch   time.Time
	now     time.Duration
	end     time.Duration
	seq     int64
	q       events
	srv     simServer
	clients []*simClient
	clock   *simClock
}

type simConfig struct {
	limit    float64       // N, requests/s
	burst    int           // B; 0 is the sandbox's default
	latency  time.Duration // the server's
	announce string
	clients  int
	conc     int // each client's --concurrency
	dur      time.Duration
	// drop, when set, changes the limit to dropTo at that time.
	drop   time.Duration
	dropTo float64
}

func newSim(cfg simConfig) *sim {
	s := &sim{epoch: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), end: cfg.dur}
	s.clock = &simClock{now: s.epoch}
	s.srv = simServer{bucket: sandbox.NewBucket(cfg.limit, cfg.burst, s.epoch), latency: cfg.latency, announce: cfg.announce}
	secs := int(cfg.dur/time.Second) + 1
	for range cfg.clients {
		cl := &simClient{
			c:    New(Config{MaxConcurrency: cfg.conc, Clock: s.clock}),
			ok:   make([]int, secs),
			thr:  make([]int, secs),
			rate: make([]float64, secs),
			conc: make([]int, secs),
		}
		s.clients = append(s.clients, cl)
		for range cfg.conc {
			s.at(&event{kind: evAcquire, w: &simWorker{cl: cl}})
		}
	}
	for sec := range secs {
		s.at(&event{at: time.Duration(sec) * time.Second, kind: evCall, call: func() {
			for _, cl := range s.clients {
				cl.rate[sec] = cl.c.Rate()
				cl.conc[sec] = cl.c.Concurrency()
			}
		}})
	}
	if cfg.drop > 0 {
		s.at(&event{at: cfg.drop, kind: evCall, call: func() { s.srv.bucket.SetRate(cfg.dropTo, s.wall()) }})
	}
	return s
}

func (s *sim) run() {
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(*event)
		if e.at > s.end {
			return
		}
		s.now = e.at
		s.clock.now = s.wall()
		switch e.kind {
		case evCall:
			e.call()
		case evAcquire:
			s.acquire(e.w)
		case evBaton:
			s.begin(e.w)
		case evWake:
			s.turn(e.w, e.w.cl.c.again(s.now))
		case evAnswer:
			s.answer(e.w, e.obs)
		}
	}
}

// acquire is Acquire's first step: wait for the baton.
func (s *sim) acquire(w *simWorker) {
	cl := w.cl
	if cl.baton {
		cl.batonQ = append(cl.batonQ, w)
		return
	}
	cl.baton = true
	s.begin(w)
}

// begin is the baton holder's first look, as in Acquire.
func (s *sim) begin(w *simWorker) {
	wait, ok := w.cl.c.begin(s.now)
	if !ok {
		w.cl.waiting = append(w.cl.waiting, w)
		s.passBaton(w.cl)
		return
	}
	s.turn(w, wait)
}

func (s *sim) passBaton(cl *simClient) {
	if len(cl.batonQ) == 0 {
		cl.baton = false
		return
	}
	next := cl.batonQ[0]
	cl.batonQ = cl.batonQ[1:]
	s.at(&event{at: s.now, kind: evBaton, w: next})
}

// turn sleeps until the worker's turn, or sends at once.
func (s *sim) turn(w *simWorker, wait time.Duration) {
	if wait > 0 {
		s.at(&event{at: s.now + min(wait, maxNap), kind: evWake, w: w})
		return
	}
	s.passBaton(w.cl)
	w.sent = s.now
	v := s.srv.bucket.Take(s.wall())
	h := http.Header{}
	s.srv.bucket.Announce(h, s.srv.announce, v, s.wall())
	status := http.StatusOK
	if !v.OK {
		status = http.StatusTooManyRequests
		h.Set("Retry-After", strconv.Itoa(int(v.RetryAfter/time.Second)))
	}
	s.at(&event{at: s.now + s.srv.latency, kind: evAnswer, w: w, obs: Observation{Status: status, Header: h, Latency: s.srv.latency}})
}

func (s *sim) answer(w *simWorker, o Observation) {
	cl := w.cl
	cl.c.Release(o)
	// Every wake-up Release sent goes to a waiter, as in Acquire.
	for drained := false; !drained; {
		select {
		case <-cl.c.wake:
			if len(cl.waiting) > 0 {
				next := cl.waiting[0]
				cl.waiting = cl.waiting[1:]
				cl.c.mu.Lock()
				cl.c.waiters--
				cl.c.mu.Unlock()
				s.at(&event{at: s.now, kind: evAcquire, w: next})
			}
		default:
			drained = true
		}
	}
	sec := s.sec()
	next := s.now
	if o.Status == http.StatusTooManyRequests {
		cl.thr[sec]++
		// The row's own retry waits for the Retry-After (the importer's
		// backoff, at least that).
		next += retryAfter(o.Header, s.wall())
	} else {
		cl.ok[sec]++
	}
	s.at(&event{at: next, kind: evAcquire, w: w})
}

// figures are a run's outcome from a second on.
type figures struct {
	ok, thr, all int
	share        float64 // of N taken, ok answers per second / N
	thrAll       float64 // share of all requests answered 429, whole run
	thrFrom      float64 // from the second on
}

func (cl *simClient) figures(from, to int, n float64) figures {
	var f figures
	for sec := range cl.ok {
		f.all += cl.ok[sec] + cl.thr[sec]
		f.thr += cl.thr[sec]
	}
	var ok, thr int
	for sec := from; sec < to && sec < len(cl.ok); sec++ {
		ok += cl.ok[sec]
		thr += cl.thr[sec]
	}
	f.ok = ok
	f.share = float64(ok) / float64(to-from) / n
	if f.all > 0 {
		f.thrAll = float64(f.thr) / float64(f.all)
	}
	if ok+thr > 0 {
		f.thrFrom = float64(thr) / float64(ok+thr)
	}
	return f
}

func (cl *simClient) trace(from, to int) string {
	var b strings.Builder
	for sec := from; sec < to && sec < len(cl.ok); sec++ {
		fmt.Fprintf(&b, " %d:%d/%d@%.0f", sec, cl.ok[sec], cl.thr[sec], cl.rate[sec])
	}
	return b.String()
}

var trace = flag.Bool("pacetrace", false, "log every simulated second: answers ok/429 @ pace")

// Goals from SPEC.md's Performance table.
const (
	goalShare  = 0.90 // of N, from 10 s on
	goalThr    = 0.02 // of all requests answered 429
	goalShared = 0.85 // of N, four shards together
	settle     = 10   // seconds
)

var pacesecs = flag.Int("pacesecs", 60, "simulated seconds of each run")

// simSecs() is how long each simulated run lasts.
func simSecs() int { return max(*pacesecs, 2*settle+10) }

// concFor is the --concurrency a run needs at limit n and latency lat:
// Little's law, twice over.
func concFor(n float64, lat time.Duration) int {
	return max(32, int(2*n*lat.Seconds())+8)
}

func TestFindsAnUnannouncedLimit(t *testing.T) {
	for _, n := range []float64{20, 200, 2000} {
		for _, lat := range []time.Duration{0, 50 * time.Millisecond} {
			for _, burst := range []int{int(n / 10), int(n)} {
				name := fmt.Sprintf("N=%g/latency=%v/burst=%d", n, lat, burst)
				t.Run(name, func(t *testing.T) {
					s := newSim(simConfig{limit: n, burst: burst, latency: lat, clients: 1, conc: concFor(n, lat), dur: time.Duration(simSecs()) * time.Second})
					s.run()
					cl := s.clients[0]
					f := cl.figures(settle, simSecs(), n)
					t.Logf("%s: %.1f%% of N from %ds on, 429 for %.2f%% of all %d requests (%.2f%% from %ds on), peak %.1f/s, pace at the end %.1f/s, concurrency %d",
						name, 100*f.share, settle, 100*f.thrAll, f.all, 100*f.thrFrom, settle, cl.c.Peak(), cl.c.Rate(), cl.c.Concurrency())
					if f.share < goalShare || f.thrAll > goalThr {
						t.Errorf("goal: >= %.0f%% of N and <= %.0f%% 429s; seconds (ok/429@pace):%s", 100*goalShare, 100*goalThr, cl.trace(0, simSecs()))
					} else if *trace {
						t.Logf("seconds (ok/429@pace):%s", cl.trace(0, simSecs()))
					}
				})
			}
		}
	}
}

func TestFollowsALimitThatDrops(t *testing.T) {
	const n, to, at = 200.0, 100.0, 30
	for _, lat := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run(fmt.Sprintf("latency=%v", lat), func(t *testing.T) {
			s := newSim(simConfig{limit: n, latency: lat, clients: 1, conc: concFor(n, lat), dur: time.Duration(simSecs()) * time.Second, drop: at * time.Second, dropTo: to})
			s.run()
			cl := s.clients[0]
			before := cl.figures(settle, at, n)
			after := cl.figures(at+settle, simSecs(), to)
			t.Logf("N=%g, then %g from %ds: %.1f%% of N from %ds to %ds, %.1f%% of the new N from %ds on; 429 for %.2f%% of all %d requests",
				n, to, at, 100*before.share, settle, at, 100*after.share, at+settle, 100*after.thrAll, after.all)
			if before.share < goalShare || after.share < goalShare || after.thrAll > goalThr {
				t.Errorf("goal: >= %.0f%% of N before and after, <= %.0f%% 429s; seconds (ok/429@pace):%s", 100*goalShare, 100*goalThr, cl.trace(0, simSecs()))
			} else if *trace {
				t.Logf("seconds (ok/429@pace):%s", cl.trace(0, simSecs()))
			}
		})
	}
}

func TestPacesToAnAnnouncedLimit(t *testing.T) {
	for _, family := range []string{sandbox.AnnounceIETF, sandbox.AnnounceX} {
		for _, c := range []struct {
			n   float64
			lat time.Duration
		}{{20, 0}, {200, 0}, {2000, 0}, {20, 50 * time.Millisecond}, {200, 50 * time.Millisecond}, {2000, 50 * time.Millisecond}} {
			n, lat := c.n, c.lat
			name := fmt.Sprintf("%s/N=%g/latency=%v", family, n, lat)
			t.Run(name, func(t *testing.T) {
				s := newSim(simConfig{limit: n, latency: lat, announce: family, clients: 1, conc: concFor(n, lat), dur: time.Duration(simSecs()) * time.Second})
				s.run()
				cl := s.clients[0]
				f := cl.figures(settle, simSecs(), n)
				first := cl.figures(1, settle, n)
				t.Logf("%s: %.1f%% of N from %ds on (%.1f%% from 1s to %ds), 429 for %.2f%% of all %d requests, pace at the end %.1f/s",
					name, 100*f.share, settle, 100*first.share, settle, 100*f.thrAll, f.all, cl.c.Rate())
				// Told the limit, it has no need to look for it: the goal is
				// met from the first second, and nearly nothing is refused.
				// But a bucket that is full says nothing of how fast it
				// fills: with the X-RateLimit family the pace is found as
				// when nothing is told until the bucket is drawn down, then
				// held.
				fromStart := family == sandbox.AnnounceIETF
				if f.share < goalShare || fromStart && first.share < goalShare || f.thrAll > goalThr/4 {
					t.Errorf("goal: >= %.0f%% of N from 1s on and <= %.1f%% 429s; seconds (ok/429@pace):%s", 100*goalShare, 100*goalThr/4, cl.trace(0, simSecs()))
				} else if *trace {
					t.Logf("seconds (ok/429@pace):%s", cl.trace(0, simSecs()))
				}
			})
		}
	}
}

func TestShardsShareOneLimit(t *testing.T) {
	const shards = 4
	for _, n := range []float64{20, 200, 2000} {
		for _, lat := range []time.Duration{0, 50 * time.Millisecond} {
			name := fmt.Sprintf("N=%g/latency=%v", n, lat)
			t.Run(name, func(t *testing.T) {
				s := newSim(simConfig{limit: n, latency: lat, clients: shards, conc: concFor(n/shards, lat), dur: time.Duration(simSecs()) * time.Second})
				s.run()
				var total, lowest float64
				var thr, all int
				shares := make([]string, shards)
				for i, cl := range s.clients {
					f := cl.figures(settle, simSecs(), n)
					total += f.share
					thr += f.thr
					all += f.all
					if i == 0 || f.share < lowest {
						lowest = f.share
					}
					shares[i] = fmt.Sprintf("%.1f%%", 100*f.share)
				}
				thrAll := float64(thr) / float64(all)
				t.Logf("%s: %d shards together %.1f%% of N from %ds on (each %s; fair share %.1f%%), 429 for %.2f%% of all %d requests",
					name, shards, 100*total, settle, strings.Join(shares, ", "), 100.0/shards, 100*thrAll, all)
				// SPEC.md sets no goal for the 429s of shards; each of four
				// meets an emptied bucket once where one run would. A
				// storm would show here.
				if total < goalShared || lowest < 0.5/shards || thrAll > 3*goalThr {
					var b strings.Builder
					for i, cl := range s.clients {
						fmt.Fprintf(&b, "\nshard %d:%s", i, cl.trace(0, simSecs()))
					}
					t.Errorf("goal: together >= %.0f%% of N, none below %.1f%%, <= %.0f%% 429s%s", 100*goalShared, 50.0/shards, 300*goalThr, b.String())
				}
			})
		}
	}
}
