package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// The header families a Bucket can announce its limit in (Faults.Announce).
const (
	// AnnounceIETF is the IETF httpapi draft's pair (draft 09/10):
	// RateLimit-Policy: "sandbox";q=50;w=1 and RateLimit: "sandbox";r=4;t=1.
	AnnounceIETF = "ietf"
	// AnnounceX is the common X-RateLimit-Limit (the bucket's size),
	// X-RateLimit-Remaining and X-RateLimit-Reset (the Unix time, in
	// seconds to the millisecond, when the bucket is full again).
	AnnounceX = "x-ratelimit"
)

// DefaultBurst is a bucket's size when none is given: a second's worth of
// requests, at least 1, as APIs that document "N requests a second"
// commonly allow.
func DefaultBurst(rate float64) int { return max(1, int(math.Round(rate))) }

// Bucket is a provider's rate limit as the sandbox plays it: a token
// bucket that fills at Rate tokens a second up to Burst, starting full;
// each request takes a token or, finding none, is refused (429). It is
// safe for concurrent use; the time is given, so a simulation can drive it.
type Bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time

	taken, refused atomic.Int64
}

// Verdict is a Bucket's answer to one request.
type Verdict struct {
	OK bool
	// RetryAfter is, on a refusal, the whole seconds (at least 1) until a
	// token is there again: what a 429's Retry-After says.
	RetryAfter time.Duration
	// Remaining is the whole tokens left after this request.
	Remaining int
	// Reset is how long until the bucket is full again.
	Reset time.Duration
}

// NewBucket returns a full bucket of burst tokens (DefaultBurst when
// burst < 1) filling at rate a second.
func NewBucket(rate float64, burst int, now time.Time) *Bucket {
	if burst < 1 {
		burst = DefaultBurst(rate)
	}
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// Take takes a token for a request arriving at now.
func (b *Bucket) Take(now time.Time) Verdict {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fill(now)
	v := Verdict{}
	if b.tokens >= 1 {
		b.tokens--
		v.OK = true
		b.taken.Add(1)
	} else {
		secs := math.Ceil((1 - b.tokens) / b.rate)
		v.RetryAfter = time.Duration(max(secs, 1)) * time.Second
		b.refused.Add(1)
	}
	v.Remaining = int(b.tokens)
	v.Reset = time.Duration((b.burst - b.tokens) / b.rate * float64(time.Second))
	return v
}

func (b *Bucket) fill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}

// SetRate changes the limit from now on (a provider lowering it mid-run).
func (b *Bucket) SetRate(rate float64, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fill(now)
	b.rate = rate
}

// Rate is the bucket's rate, in tokens a second.
func (b *Bucket) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

// Counts are the requests the bucket let through and refused so far.
func (b *Bucket) Counts() (taken, refused int64) { return b.taken.Load(), b.refused.Load() }

// Announce writes v into h in the header family named (AnnounceIETF or
// AnnounceX); any other name writes nothing.
func (b *Bucket) Announce(h http.Header, family string, v Verdict, now time.Time) {
	b.mu.Lock()
	rate, burst := b.rate, b.burst
	b.mu.Unlock()
	switch family {
	case AnnounceIETF:
		// q per w seconds, both whole numbers: per second when the rate is
		// whole, per minute otherwise.
		q, w := rate, 1.0
		if rate != math.Trunc(rate) || rate < 1 {
			q, w = math.Round(rate*60), 60
		}
		h.Set("RateLimit-Policy", `"sandbox";q=`+strconv.FormatFloat(q, 'f', 0, 64)+";w="+strconv.FormatFloat(w, 'f', 0, 64))
		h.Set("RateLimit", `"sandbox";r=`+strconv.Itoa(v.Remaining)+";t="+strconv.FormatFloat(math.Ceil(v.Reset.Seconds()), 'f', 0, 64))
	case AnnounceX:
		h.Set("X-RateLimit-Limit", strconv.FormatFloat(burst, 'f', 0, 64))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(v.Remaining))
		// In milliseconds, as some APIs give it: a bucket that fills in a
		// second told in whole seconds says little of how fast it fills.
		reset := now.Add(v.Reset)
		h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	}
}

// Throttle puts a bucket in front of next: a request the bucket refuses is
// answered 429 Too Many Requests with its Retry-After, in next's own error
// shape when next is a providers.ErrorWriter, without reaching next; with
// announce set, every answer carries the limit in that header family.
func Throttle(next http.Handler, b *Bucket, announce string) http.Handler {
	ew, _ := next.(providers.ErrorWriter)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		v := b.Take(now)
		b.Announce(w.Header(), announce, v, now)
		if v.OK {
			next.ServeHTTP(w, r)
			return
		}
		refuse(w, r, ew, b, v)
	})
}

// refuse answers a request the bucket refused: 429 with its Retry-After,
// in the provider's shape when ew is not nil.
func refuse(w http.ResponseWriter, r *http.Request, ew providers.ErrorWriter, b *Bucket, v Verdict) {
	secs := strconv.Itoa(int(v.RetryAfter / time.Second))
	w.Header().Set("Retry-After", secs)
	msg := "sandbox: over the rate limit of " + strconv.FormatFloat(b.Rate(), 'g', -1, 64) + " requests/s, nothing was applied; retry after " + secs + "s"
	if ew != nil {
		ew.WriteError(w, r, http.StatusTooManyRequests, msg)
		return
	}
	http.Error(w, msg, http.StatusTooManyRequests)
}
