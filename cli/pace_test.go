package cli

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/sandbox"
)

// TestRateAutoAgainstALimit: a run with --rate auto against a fake that
// refuses past 40 requests a second, without saying so, applies every row
// and finds a pace near the limit without a storm of 429s.
func TestRateAutoAgainstALimit(t *testing.T) {
	const limit, rows = 40.0, 160
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(token)})
	bucket := sandbox.NewBucket(limit, sandbox.DefaultBurst(limit), time.Now())
	srv := httptest.NewServer(sandbox.Throttle(fake, bucket, ""))
	t.Cleanup(srv.Close)
	dir, m, in := bulk(t, rows)
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = token
	code := h.run("run", "--no-progress", "-m", m, "-i", in, "-o", filepath.Join(dir, "out.csv"), "--base-url", srv.URL,
		"--rate", "auto", "--rate-start", "10", "--concurrency", "8")
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s%s", code, h.stdout.String(), h.stderr.String())
	}
	if n := len(fake.Applied()); n != rows {
		t.Errorf("applied %d of %d rows", n, rows)
	}
	taken, refused := bucket.Counts()
	t.Logf("%d requests taken, %d refused; %s", taken, refused, h.stdout.String())
	if float64(refused) > 0.1*float64(taken) {
		t.Errorf("%d of %d requests were refused: a storm of 429s", refused, taken)
	}
	peak := regexp.MustCompile(`(\d+\.\d) the highest sustained`).FindStringSubmatch(h.stdout.String())
	if peak == nil {
		t.Fatalf("no pace in:\n%s", h.stdout.String())
	}
	if p, _ := strconv.ParseFloat(peak[1], 64); p < limit/4 || p > 2*limit {
		t.Errorf("highest pace %.1f against a limit of %.0f", p, limit)
	}
}

// TestMetricsDuringARun scrapes --metrics-addr while a real run goes on, and
// parses what it serves as Prometheus does.
func TestMetricsDuringARun(t *testing.T) {
	tok := "metrics-test-token"
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	fake.SetFault(func(*http.Request) (payway.Fault, bool) {
		return payway.Fault{Delay: 20 * time.Millisecond}, true
	})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir, m, in := bulk(t, 300)
	p := startProgram(t, tok, "run", "-m", m, "-i", in, "-o", filepath.Join(dir, "out.csv"), "--base-url", srv.URL,
		"--rate", "0", "--concurrency", "2", "--no-progress", "--metrics-addr", "127.0.0.1:0")
	addr := regexp.MustCompile(`metrics on (http://127\.0\.0\.1:\d+/metrics)`)
	var url string
	waitFor(t, "the metrics address", func() bool {
		if m := addr.FindStringSubmatch(p.stderr.String()); m != nil {
			url = m[1]
			return true
		}
		return false
	})
	var families map[string]float64
	waitFor(t, "rows done in the metrics", func() bool {
		families = scrape(t, url)
		return families["acctimport_rows_done"] >= 20
	})
	for _, name := range []string{"acctimport_rows_total", "acctimport_requests_total", "acctimport_retries_total",
		"acctimport_pace_requests_per_second", "acctimport_in_flight", "acctimport_request_duration_seconds", "acctimport_rows"} {
		if _, ok := families[name]; !ok {
			t.Errorf("no %s in the metrics", name)
		}
	}
	if families["acctimport_requests_total"] < families["acctimport_rows_done"] {
		t.Errorf("%v requests for %v rows done", families["acctimport_requests_total"], families["acctimport_rows_done"])
	}
	if code := p.wait(t); code != ExitOK {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
}

// scrape reads a metrics endpoint and sums each family's samples.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil // the run may just be ending
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		sum := 0.0
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
		out[name] = sum
	}
	return out
}

// TestRateAutoIgnoresAnAbsurdWait: a server that asks every request to wait
// ten years fails each row at once, with its wait in the message; --rate
// auto does not pause the whole run for it.
func TestRateAutoIgnoresAnAbsurdWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "315360000")
		w.Header().Set("RateLimit", `"default";r=0;t=999999999`)
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	dir, m, in := bulk(t, 20)
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = token
	done := make(chan int, 1)
	go func() {
		done <- h.run("run", "--no-progress", "-m", m, "-i", in, "-o", filepath.Join(dir, "out.csv"), "--base-url", srv.URL, "--rate", "auto", "--rate-start", "20")
	}()
	select {
	case code := <-done:
		if code != ExitRowsFailed {
			t.Fatalf("exit %d: %s", code, h.stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the run stalled on a Retry-After of ten years")
	}
	_, report := readReport(t, filepath.Join(dir, "out.csv"))
	for row, r := range report {
		if r[1] != "failed" || !strings.Contains(r[5], "3650 days") {
			t.Errorf("row %s: %s %q", row, r[1], r[5])
		}
	}
}
