package pace

import (
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestAnnouncedPace(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		name   string
		h      http.Header
		others int
		want   float64 // requests/s; 0: nothing usable
	}{
		{"none", header("Content-Type", "application/json"), 0, 0},
		{"ietf: a policy's rate", header("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50;t=30`), 0, 100.0 / 60},
		{"ietf: a window partly spent, what remains over the reset", header("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=10;t=50`), 0, 10.0 / 50},
		{"ietf: the attempts in flight are not counted yet", header("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=10;t=50`), 5, 5.0 / 50},
		{"ietf: the tightest of two policies", header("RateLimit-Policy", `"burst";q=10;w=1, "day";q=8640;w=86400`, "RateLimit", `"burst";r=9;t=1, "day";r=8000;t=80000`), 0, 0.1},
		{"ietf: a policy without live items", header("RateLimit-Policy", `"default";q=50;w=1`), 0, 50},
		{"ietf: items without a policy are windows", header("RateLimit", `"default";r=50;t=25`), 0, 2},
		{"ietf: policies matched by name", header("RateLimit-Policy", `"a";q=10;w=1, "b";q=1000;w=1`, "RateLimit", `"b";r=999;t=1`), 0, 10},
		{"draft 07-08: tokens and l", header("RateLimit-Policy", `default;l=100;w=10`, "RateLimit", `default;r=50;t=5`), 0, 10},
		{"draft 07: a dictionary", header("RateLimit", `limit=100, remaining=50, reset=25`), 0, 2},
		{"draft 06: integers with w", header("RateLimit-Policy", `10;w=1, 50;w=60`), 0, 50.0 / 60},
		{"draft 06: the three fields", header("RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "25"), 0, 2},
		{"draft 03: a limit with its policy", header("RateLimit-Limit", "10, 10;w=1", "RateLimit-Remaining", "9", "RateLimit-Reset", "1"), 0, 10},
		{"x: reset in seconds", header("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "1000", "X-RateLimit-Reset", "1800"), 0, 1000.0 / 1800},
		{"x: reset as a Unix time", header("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "1000", "X-RateLimit-Reset", unix(1800*time.Second)), 0, 1000.0 / 1800},
		{"x: reset as a Unix time in milliseconds", header("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "1000", "X-RateLimit-Reset", strconv.FormatInt(now.Add(1800*time.Second).UnixMilli(), 10)), 0, 1000.0 / 1800},
		{"x: a bucket that fills in a second, by its fill", header("X-RateLimit-Limit", "20", "X-RateLimit-Remaining", "10", "X-RateLimit-Reset", "0.5"), 0, 9.5 / 0.5},
		{"x: a bucket nearly full tells nothing", header("X-RateLimit-Limit", "20", "X-RateLimit-Remaining", "19", "X-RateLimit-Reset", "0.05"), 0, 0},
		{"x: a reset too near to measure", header("X-RateLimit-Limit", "20", "X-RateLimit-Remaining", "2", "X-RateLimit-Reset", "0.01"), 0, 0},
		{"x: nothing left, one attempt at the reset", header("X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "600"), 0, 1.0 / 600},
		{"x: a reset passed says nothing", header("X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "5", "X-RateLimit-Reset", unix(-time.Hour)), 0, 0},
		{"garbage", header("RateLimit-Policy", `;;,,"`, "RateLimit", `"x";r=abc;t=-5`, "X-RateLimit-Remaining", "lots"), 0, 0},
		{"negative and huge numbers", header("RateLimit-Policy", `"a";q=-1;w=1, "b";q=1e400;w=1`, "X-RateLimit-Remaining", "-3", "X-RateLimit-Reset", "-1"), 0, 0},
		{"a zero window", header("RateLimit-Policy", `"a";q=10;w=0`), 0, 0},
		{"nothing left for 31 years is nonsense", header("RateLimit", `"default";r=0;t=999999999`), 0, 0},
		{"x: a reset years ahead is nonsense", header("X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", unix(24*365*time.Hour)), 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a announcement
			parseAnnouncement(tc.h, now, &a)
			got := a.pace(tc.others, true)
			if math.Abs(got-tc.want) > 1e-9*max(1, tc.want) {
				t.Errorf("pace %g, want %g (quotas %+v)", got, tc.want, a.q[:a.n])
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":         0,
		"3":        3 * time.Second,
		"0.5":      500 * time.Millisecond,
		"-1":       0,
		"NaN":      0,
		"300":      MaxPause,
		"99999999": 0, // pauses nobody: the row fails with the server's wait
		now.Add(7 * time.Second).Format(http.TimeFormat): 7 * time.Second,
		now.AddDate(10, 0, 0).Format(http.TimeFormat):    0,
		now.Add(-time.Hour).Format(http.TimeFormat):      0,
		"soon": 0,
	} {
		if got := retryAfter(header("Retry-After", v), now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
}

// FuzzAnnouncement: no header a server sends makes the parser panic, read
// past its input, or give a pace that is not a finite, positive number.
func FuzzAnnouncement(f *testing.F) {
	f.Add(`"default";q=100;w=60`, `"default";r=50;t=30`, "5000", "1000", "1800")
	f.Add(`10;w=1, 50;w=60`, `limit=10, remaining=1, reset=7`, "", "", "")
	f.Add(`"a\"b";q=1;w=1;pk=:cHsdsRa894==:`, `("x" "y");r=1`, "1e308", "-0", "1800000000000")
	f.Fuzz(func(t *testing.T, policy, live, limit, remaining, reset string) {
		h := header("RateLimit-Policy", policy, "RateLimit", live, "RateLimit-Limit", limit,
			"X-RateLimit-Limit", limit, "X-RateLimit-Remaining", remaining, "X-RateLimit-Reset", reset)
		var a announcement
		parseAnnouncement(h, time.Unix(1_800_000_000, 0), &a)
		if a.n > len(a.q) {
			t.Fatalf("%d quotas", a.n)
		}
		for _, others := range []int{0, 100} {
			p := a.pace(others, true)
			if p < 0 || math.IsNaN(p) || math.IsInf(p, 0) {
				t.Fatalf("pace %g from %q", p, h)
			}
		}
	})
}
