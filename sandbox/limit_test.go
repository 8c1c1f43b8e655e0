package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/providers/payway"
)

func TestBucket(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b := NewBucket(10, 3, t0)
	for i, want := range []bool{true, true, true, false, false} {
		if v := b.Take(t0); v.OK != want {
			t.Fatalf("request %d at once: ok %v, want %v", i, v.OK, want)
		}
	}
	v := b.Take(t0)
	if v.RetryAfter != time.Second || v.Remaining != 0 || v.Reset != 300*time.Millisecond {
		t.Errorf("empty bucket: %+v; want Retry-After 1s (whole seconds), 0 left, full in 300ms", v)
	}
	// 10 a second: one more every 100 ms, never more than 3 banked.
	if v := b.Take(t0.Add(100 * time.Millisecond)); !v.OK || v.Remaining != 0 {
		t.Errorf("after 100 ms: %+v", v)
	}
	if v := b.Take(t0.Add(time.Hour)); !v.OK || v.Remaining != 2 {
		t.Errorf("after an hour: %+v, want 2 left of 3", v)
	}
	if taken, refused := b.Counts(); taken != 5 || refused != 3 {
		t.Errorf("counts %d taken %d refused", taken, refused)
	}

	slow := NewBucket(0.2, 1, t0) // one every 5 s
	slow.Take(t0)
	if v := slow.Take(t0.Add(time.Second)); v.OK || v.RetryAfter != 4*time.Second {
		t.Errorf("slow bucket: %+v, want Retry-After 4s", v)
	}
	slow.SetRate(1, t0.Add(time.Second))
	if v := slow.Take(t0.Add(1500 * time.Millisecond)); v.OK || v.RetryAfter != time.Second {
		t.Errorf("after the rate rose: %+v", v)
	}

	if got := NewBucket(50, 0, t0).burst; got != 50 {
		t.Errorf("default burst %g, want a second's worth", got)
	}
}

func TestBucketAnnounces(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		family string
		rate   float64
		want   map[string]string
	}{
		{AnnounceIETF, 50, map[string]string{"RateLimit-Policy": `"sandbox";q=50;w=1`, "RateLimit": `"sandbox";r=9;t=1`}},
		{AnnounceIETF, 0.5, map[string]string{"RateLimit-Policy": `"sandbox";q=30;w=60`, "RateLimit": `"sandbox";r=9;t=2`}},
		{AnnounceX, 50, map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9", "X-RateLimit-Reset": "1800000000.020"}},
		{"", 50, map[string]string{}},
	} {
		b := NewBucket(tc.rate, 10, t0)
		h := http.Header{}
		b.Announce(h, tc.family, b.Take(t0), t0)
		if len(h) != len(tc.want) {
			t.Errorf("%s at %g/s: %v, want %v", tc.family, tc.rate, h, tc.want)
		}
		for k, v := range tc.want {
			if got := h.Get(k); got != v {
				t.Errorf("%s at %g/s: %s: %q, want %q", tc.family, tc.rate, k, got, v)
			}
		}
	}
}

// TestServerRate: the sandbox refuses past its rate in each provider's own
// shape, each provider with its own bucket, announced when asked.
func TestServerRate(t *testing.T) {
	sb := New(all.Registry.All(), Faults{ServerRate: 0.5, ServerBurst: 2, Announce: AnnounceIETF})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	var codes []int
	var last *http.Response
	for range 3 {
		last = put(t, srv, "/payway"+payway.Path, "sandbox", paywayBody)
		codes = append(codes, last.StatusCode)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want 200 200 429", codes)
	}
	if ra, _ := strconv.Atoi(last.Header.Get("Retry-After")); ra < 1 || ra > 2 {
		t.Errorf("Retry-After %q", last.Header.Get("Retry-After"))
	}
	if got := last.Header.Get("RateLimit-Policy"); got != `"sandbox";q=30;w=60` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	b, _ := io.ReadAll(last.Body)
	p := payway.Provider{}
	if ans := p.Read(last.StatusCode, last.Header, b, p.NewOptions()); !json.Valid(b) || !strings.Contains(ans.Message, "rate limit of 0.5 requests/s") {
		t.Errorf("not payway's error shape, or no reason: %s", b)
	}
	for _, e := range sb.Entries() {
		switch e.Provider.Info().Name {
		case "payway":
			if n := len(e.Fake.Applied()); n != 2 {
				t.Errorf("payway applied %d, want the 2 let through", n)
			}
			if taken, refused := e.Limit.Counts(); taken != 2 || refused != 1 {
				t.Errorf("payway's bucket: %d taken, %d refused", taken, refused)
			}
		default:
			if taken, _ := e.Limit.Counts(); taken != 0 {
				t.Errorf("%s's bucket took payway's requests", e.Provider.Info().Name)
			}
		}
	}
	// Without the announcement, nothing is told.
	quiet := httptest.NewServer(One(p, providers.Credentials{payway.TokenEnv: providers.NewSecret("tok")}, Faults{ServerRate: 100}))
	defer quiet.Close()
	if resp := put(t, quiet, payway.Path, "tok", paywayBody); resp.StatusCode != 200 || resp.Header.Get("RateLimit") != "" || resp.Header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("unannounced limit: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestThrottle(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	srv := httptest.NewServer(Throttle(next, NewBucket(1, 1, time.Now()), AnnounceX))
	defer srv.Close()
	for i, want := range []int{200, 429} {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("X-RateLimit-Limit") != "1" {
			t.Errorf("request %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
}
