// Package pace finds a provider's pace by itself, for --rate auto: it
// starts low, speeds up while answers come back fast and unthrottled,
// slows down multiplicatively on 429 and 503 (pausing every attempt for a
// Retry-After), and paces exactly to limits the server announces in its
// headers (RateLimit-Policy/RateLimit, X-RateLimit-*). The requests in
// flight follow the pace and the latency (Little's law), up to a maximum.
//
// A Controller is shared by every attempt of a run: each waits in Acquire
// for its turn and hands its answer to Release. Several runs against one
// provider (shards on several machines) each find their share, as TCP
// flows share a link: whoever sends more meets more of the 429s.
package pace

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Observation is what an attempt learned: what Release is given.
type Observation struct {
	// Status is the answer's HTTP status; 0 when no answer came (a
	// transport error, a timeout); NotSent when the attempt was never made.
	Status int
	// Header is the answer's header; may be nil.
	Header http.Header
	// Latency is from the attempt's start to its answer.
	Latency time.Duration
}

// NotSent is the Status of an attempt that Acquire allowed but that was
// never made (the run stopped first): its slot is freed, nothing learned.
const NotSent = -1

// Config sets up a Controller.
type Config struct {
	// Start is the first pace, in requests/s; 0 means DefaultStart.
	Start float64
	// Max caps the pace, in requests/s; 0 means no cap.
	Max float64
	// MaxConcurrency caps the attempts in flight (--concurrency); < 1
	// means 1.
	MaxConcurrency int
	// Clock is nil for the real time; tests give a fake one.
	Clock Clock
}

// Defaults and bounds.
const (
	// DefaultStart is the first pace when none is given: low enough for
	// any API to take while the controller learns what this one takes.
	DefaultStart = 5.0
	// MinRate is the slowest pace: one attempt every ten seconds.
	MinRate = 0.1
	// MaxPause is the longest pause a Retry-After imposes on every
	// attempt; a longer one pauses nobody (the row that got it fails with
	// the server's wait in its message).
	MaxPause = 5 * time.Minute
)

// Tuning, checked by the simulation in sim_test.go.
const (
	// slowStartGain is added to the pace per unthrottled answer until the
	// first throttle: the pace grows by e every second it is used, like
	// TCP's slow start.
	slowStartGain = 1.0
	// beta is the multiplicative decrease on a throttle.
	beta = 0.85
	// The climb after a cut: back to the ceiling (the pace the server
	// took) in cubicK, never faster than fastGain×ceiling a second; the
	// dwell near the ceiling is reached at plateau×ceiling. Past
	// reprobe×ceiling unthrottled, the limit has risen: a slow start again.
	cubicK        = 12 * time.Second
	cubicC        = (1 - beta) / (12 * 12 * 12) // per s³: the curve is back at the ceiling after cubicK
	fastGain      = 0.10
	plateau       = 0.97
	ceilingMargin = 0.98
	reprobe       = 1.25
	scaleHalfLife = time.Minute
	// What the server took is measured, after a throttle, over the last
	// second (since the last pause, if that is shorter, but not under
	// minWindow). In a slow start, a second holds both the climb to the
	// limit (under it) and the server's burst (over it): they about cancel.
	minWindow  = 200 * time.Millisecond
	minAnswers = 20
	maxWindow  = time.Second
	// headroom over rate×latency for the requests in flight, and extra
	// slots for the jitter of answers.
	headroom   = 1.5
	extraSlots = 2
	// maxLate is how far behind its turns the pace may fall and catch up.
	maxLate = 5 * time.Millisecond
	// maxNap is the longest the attempt whose turn is next sleeps before
	// it looks at the pace again.
	maxNap = 50 * time.Millisecond
	// An announcement holds this long after the last answer that made it.
	annTTL = 10 * time.Second
	// annMargin keeps an announced pace just under the limit, as --rate's
	// margin does: arrivals bunch a little on the way.
	annMargin = 0.99
	// trustGain is how fast an announced pace that was throttled anyway
	// (a limit shared with other clients) recovers: a share of the
	// announced pace a second.
	trustGain = 0.01
	// An answer slower than slowFactor × the fastest recent one plus
	// slowSlack is a server queueing: no speeding up on it.
	slowFactor = 2
	slowSlack  = 10 * time.Millisecond
)

// Controller paces attempts; see the package comment. Its methods are safe
// for concurrent use.
type Controller struct {
	clock   Clock
	epoch   time.Time
	max     float64
	maxConc int

	// baton is held by the one attempt waiting for its turn at the pace;
	// the others wait for the baton, without a timer each. Only the holder
	// sleeps, and it looks at the pace again when it wakes, so a change of
	// pace or a pause reaches the very next attempt.
	baton chan struct{}
	// wake tells attempts waiting for a slot that one may be free.
	wake chan struct{}

	mu         sync.Mutex
	rate       float64
	interval   time.Duration
	last       time.Duration // the turn last given (since epoch)
	pauseUntil time.Duration
	lastPause  time.Duration // the end of the pause before the current one
	inFlight   int
	limit      int // attempts allowed in flight
	waiters    int // attempts waiting for a slot
	idle       float64

	slowStart bool
	lastCut   time.Duration // a throttle of an attempt begun earlier is the same event
	ceiling   float64
	// dwellSince is when the pace reached the dwell below the ceiling
	// after the last cut; < 0 while it has not.
	dwellSince time.Duration
	curve      time.Duration // when the climb's curve began: the last cut
	scale      float64       // the most the server took lately (see unthrottled)
	scaleAt    time.Duration
	lat        time.Duration // moving average of answered latencies
	latMin     time.Duration // the fastest recent answer

	annRate  float64       // the announced pace, margin included
	annUntil time.Duration // when the announcement lapses
	trust    float64       // share of annRate in force

	meter meter
}

// New returns a controller at cfg's start pace.
func New(cfg Config) *Controller {
	c := &Controller{
		clock:      cfg.Clock,
		max:        cfg.Max,
		maxConc:    max(cfg.MaxConcurrency, 1),
		slowStart:  true,
		trust:      1,
		lastCut:    math.MinInt64,
		dwellSince: -1,
		last:       math.MinInt64 / 2,
	}
	if c.clock == nil {
		c.clock = realClock{}
	}
	c.epoch = c.clock.Now()
	c.baton = make(chan struct{}, 1)
	c.baton <- struct{}{}
	c.wake = make(chan struct{}, c.maxConc)
	start := cfg.Start
	if start <= 0 {
		start = DefaultStart
	}
	c.setRate(start)
	c.limit = c.maxConc
	return c
}

func (c *Controller) now() (time.Time, time.Duration) {
	t := c.clock.Now()
	return t, t.Sub(c.epoch)
}

// Acquire blocks until an attempt may start: its turn at the pace, and a
// slot under the requests in flight the pace needs. It returns ctx.Err()
// when ctx is done first. Every nil return must be matched by one Release.
func (c *Controller) Acquire(ctx context.Context) error {
	for {
		select {
		case <-c.baton:
		default:
			select {
			case <-c.baton:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		_, now := c.now()
		wait, ok := c.begin(now)
		if !ok {
			c.baton <- struct{}{}
			var err error
			select {
			case <-c.wake:
			case <-ctx.Done():
				err = ctx.Err()
			}
			c.mu.Lock()
			c.waiters--
			c.mu.Unlock()
			if err != nil {
				return err
			}
			continue
		}
		for wait > 0 {
			// In naps: the pace may rise while waiting for a turn given
			// at a slow one.
			if err := c.clock.Sleep(ctx, min(wait, maxNap)); err != nil {
				c.baton <- struct{}{}
				c.Release(Observation{Status: NotSent})
				return err
			}
			_, now = c.now()
			wait = c.again(now)
		}
		c.baton <- struct{}{}
		return nil
	}
}

// begin is the baton holder's first look: it takes a slot and returns how
// long until its turn (0: now, and the turn is taken). ok is false when no
// slot is free; the caller is then counted among the waiters, and waits on
// c.wake.
func (c *Controller) begin(now time.Duration) (wait time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inFlight >= c.limit {
		c.waiters++
		return 0, false
	}
	c.inFlight++
	return c.turn(now), true
}

// again is the baton holder's look after sleeping: the pace may have
// changed, or a pause begun, since.
func (c *Controller) again(now time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.turn(now)
}

// turn gives the turn when it has come: one interval after the last, and
// not in a pause. A turn is given from when it was due, not from when it
// was taken, so that the timers' lateness (a millisecond or more on a busy
// machine, many intervals at thousands a second) does not slow the pace:
// the attempts behind catch up, up to maxLate of turns at once. A gate
// that stood open longer than that (or than an interval) had fewer
// attempts than the pace allows, and grants no burst for it.
func (c *Controller) turn(now time.Duration) time.Duration {
	due := max(c.last+c.interval, c.pauseUntil)
	if due > now {
		return due - now
	}
	idle := 0.0
	if now-due > max(maxLate, c.interval) {
		idle = 1
		due = now
	}
	c.idle += (idle - c.idle) / 8
	c.last = due
	return 0
}

// Release ends an attempt that Acquire allowed and learns from its answer.
func (c *Controller) Release(o Observation) {
	wall, now := c.now()
	var a announcement
	var retry time.Duration
	if o.Status > 0 {
		parseAnnouncement(o.Header, wall.Add(-o.Latency), &a)
		if o.Status == http.StatusTooManyRequests || o.Status == http.StatusServiceUnavailable {
			retry = retryAfter(o.Header, wall)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if o.Status != NotSent {
		c.learn(now, o, &a, retry)
	}
	c.limit = c.concurrency()
	for n := min(c.limit-c.inFlight, c.waiters); n > 0; n-- {
		select {
		case c.wake <- struct{}{}:
		default:
			n = 0
		}
	}
}

func (c *Controller) learn(now time.Duration, o Observation, a *announcement, retry time.Duration) {
	c.meter.advance(now)
	if o.Status > 0 && o.Latency > 0 {
		if c.lat == 0 {
			c.lat = o.Latency
		}
		c.lat += (o.Latency - c.lat) / 8
	}
	if a.n > 0 {
		// A bucket's fill is timed from the attempt's start: an answer
		// that was slow to come (a stalled client, a pause for garbage
		// collection) would time it wrong.
		fresh := o.Latency <= slowFactor*c.latMin+slowSlack
		c.announced(now, a.pace(c.inFlight, fresh))
	}
	switch {
	case o.Status == http.StatusTooManyRequests || o.Status == http.StatusServiceUnavailable:
		c.throttled(now, o.Latency, retry)
	case o.Status == 0 || o.Status >= 500:
		// No answer, or a server error: nothing to speed up on.
	default:
		c.meter.add(now)
		c.unthrottled(now, o.Latency)
	}
}

// unthrottled speeds up on an answer that came back fast and unthrottled,
// when the pace is what holds the attempts back.
func (c *Controller) unthrottled(now, lat time.Duration) {
	if lat > 0 && (c.latMin == 0 || lat < c.latMin) {
		c.latMin = lat
	} else if c.latMin > 0 {
		c.latMin += (lat - c.latMin) / 256 // forget a fast answer of long ago
	}
	if now < c.annUntil {
		if c.trust < 1 {
			c.trust = min(1, c.trust+trustGain/c.rate) // trustGain a second
		}
		c.setRate(c.annRate * c.trust)
		return
	}
	if lat > slowFactor*c.latMin+slowSlack {
		return
	}
	r := c.rate
	if c.slowStart {
		if c.idle <= 0.5 {
			c.setRate(r + slowStartGain)
		}
		return
	}
	if c.idle > 0.5 {
		// Fewer attempts than the pace allows: the curve waits for them,
		// rather than racing ahead of a pace nobody uses.
		k := c.cubicK()
		c.curve = now - k - time.Duration(math.Cbrt((r-c.ceiling)/(c.scale*cubicC))*float64(time.Second))
		return
	}
	// CUBIC (RFC 9438), in requests/s instead of a window: the pace is a
	// function of the time since the last cut, climbing fast back towards
	// the ceiling, dwelling near it, then probing past it ever faster.
	// The curve's steepness is the scale: the most the server took lately,
	// not this run's ceiling alone. Runs sharing a limit saw about the
	// same scale before they settled, so a run cut below its share climbs
	// by the same requests/s as the others, not by a share of its own
	// little: the shares drift together, as AIMD's do (the additive
	// increase is what makes TCP fair).
	t := (now - c.curve - c.cubicK()).Seconds()
	target := c.ceiling + c.scale*cubicC*t*t*t
	r = min(max(r, target), r+fastGain*c.scale/r)
	if r >= plateau*c.ceiling && c.dwellSince < 0 {
		c.dwellSince = now
	}
	if r > reprobe*c.ceiling {
		c.slowStart = true
	}
	c.setRate(r)
}

// cubicK is when the curve is back at the ceiling after a cut: cubicK,
// sooner when the scale is above the ceiling.
func (c *Controller) cubicK() time.Duration {
	return time.Duration(float64(cubicK) * math.Cbrt(c.ceiling/c.scale))
}

// throttled slows down on a 429 or 503: once per congestion event (the
// throttles of attempts begun before the last cut are the same event),
// and pauses every attempt for the Retry-After.
func (c *Controller) throttled(now, lat, retry time.Duration) {
	if retry > 0 {
		c.lastPause = c.pauseUntil
		c.pauseUntil = max(c.pauseUntil, now+min(retry, MaxPause))
	}
	c.cut(now, lat)
}

// cut slows down once per congestion event: the throttles of attempts
// begun before the last cut are the same event.
func (c *Controller) cut(now, lat time.Duration) {
	if now-lat < c.lastCut {
		return
	}
	c.lastCut = now
	since := c.pauseUntil // what the server took is measured since the last pause
	if since > now {
		since = c.lastPause // the one before this one
	}
	if now < c.annUntil {
		c.trust = max(c.trust*beta, MinRate/c.annRate)
		c.setRate(c.annRate * c.trust)
		return
	}
	// The pace goes to a cut below what the server took lately: in a
	// slow start the pace overshoots, by more the bigger the server's
	// burst. The ceiling, where the pace dwells, is what it took; but on
	// leaving a slow start the climb to the limit is in the measure too,
	// and a low ceiling would keep the pace under the limit for long: it
	// is the pace throttled, and the next throttle measures it well.
	prev := c.rate
	took := c.took(now, since, maxWindow, prev)
	if c.slowStart {
		c.ceiling = took
	} else {
		// The ceiling is measured over the dwell near the last one (up
		// to 5 s of it): there the pace held, and a few answers more or
		// less in a shorter measure would move it by more than the dwell
		// is wide. At a throttle the pace is over the limit by what the
		// server's burst let through: the ceiling is set a little under
		// what it took.
		window := maxWindow
		if c.dwellSince >= 0 {
			window = min(max(now-c.dwellSince, maxWindow), peakWindow)
		}
		c.ceiling = c.took(now, since, window, prev) * ceilingMargin
	}
	// The scale forgets slowly, so that a limit that fell is probed
	// gently again after a while.
	c.scale *= math.Exp2(-(now - c.scaleAt).Seconds() / scaleHalfLife.Seconds())
	c.scale = max(c.scale, took, c.ceiling)
	c.scaleAt = now
	c.dwellSince = -1
	c.curve = now
	c.slowStart = false
	c.setRate(beta * took)
}

// took is the rate of unthrottled answers over the last window, not
// reaching back past since (the last pause), at most prev.
func (c *Controller) took(now, since, window time.Duration, prev float64) float64 {
	window = min(window, now-since)
	if window < minWindow {
		return prev
	}
	// A handful of answers is no measure of a rate.
	if d, n := c.meter.recent(now, window); n >= minAnswers {
		return min(prev, d)
	}
	return prev
}

// announced paces to what the server announced.
func (c *Controller) announced(now time.Duration, p float64) {
	if p <= 0 {
		return
	}
	c.annRate = p * annMargin
	c.annUntil = now + annTTL
	c.slowStart = false
	c.ceiling = c.annRate
	c.setRate(c.annRate * c.trust)
}

func (c *Controller) setRate(r float64) {
	if c.max > 0 {
		r = min(r, c.max)
	}
	c.rate = max(r, MinRate)
	c.interval = time.Duration(float64(time.Second) / c.rate)
}

// concurrency is Little's law: the attempts in flight that the pace needs
// at the latency answers take, with headroom.
func (c *Controller) concurrency() int {
	if c.lat == 0 {
		return c.maxConc
	}
	n := c.rate*c.lat.Seconds()*headroom + extraSlots
	if n >= float64(c.maxConc) {
		return c.maxConc
	}
	return max(int(n), 1)
}

// Rate is the pace in force, in requests/s.
func (c *Controller) Rate() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rate
}

// Peak is the highest pace the server sustained: the most unthrottled
// answers per second over any 5 s of the run (over the whole run while it
// is shorter).
func (c *Controller) Peak() float64 {
	_, now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.meter.peakAt(now)
}

// Concurrency is the number of attempts allowed in flight now.
func (c *Controller) Concurrency() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit
}

// InFlight is the number of attempts between Acquire and Release.
func (c *Controller) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight
}

// retryAfter reads Retry-After in either form, delay seconds or an HTTP
// date; 0 when absent or past.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(field(h, "Retry-After"))
	if v == "" {
		return 0
	}
	// A wait longer than MaxPause is no pause for everyone: the row that got
	// it fails with the server's wait in its message, and one absurd answer
	// must not stall every other row for minutes.
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs <= 0 || math.IsNaN(secs) || secs > MaxPause.Seconds() {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) && t.Sub(now) <= MaxPause {
		return t.Sub(now)
	}
	return 0
}
