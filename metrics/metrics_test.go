package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/acctimport/acctimport/pace"
	"github.com/acctimport/acctimport/reports"
)

func TestListenAddr(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{":9090", "127.0.0.1:9090", ""},
		{"9090", "127.0.0.1:9090", ""},
		{" :0 ", "127.0.0.1:0", ""},
		{"localhost:9090", "localhost:9090", ""},
		{"127.0.0.1:9090", "127.0.0.1:9090", ""},
		{"[::1]:9090", "[::1]:9090", ""},
		{"0.0.0.0:9090", "0.0.0.0:9090", ""},
		{"[::]:9090", "[::]:9090", ""},
		{"10.1.2.3:9090", "10.1.2.3:9090", ""},
		{"metrics.example.com:9090", "", "not a name"},
		{"127.0.0.1", "", "HOST:PORT"},
		{":99999", "", "port must be"},
		{"-1", "", "port must be"},
		{"", "", "HOST:PORT"},
	} {
		got, err := ListenAddr(tc.in)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestNilRunRecordsNothing(t *testing.T) {
	var r *Run
	r.Row(reports.StatusOK)
	r.Request(200, time.Second)
	r.Retry()
	r.SetRows(3)
	r.Watch(pace.NewFixed(1, 1))
}

// TestRecordingAllocatesNothing: these run on every row and request.
func TestRecordingAllocatesNothing(t *testing.T) {
	r := New()
	r.Request(200, time.Millisecond) // a code's child is resolved on its first use
	r.Request(0, time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() {
		r.Row(reports.StatusOK)
		r.Row(reports.StatusFailed)
		r.Request(200, time.Millisecond)
		r.Request(0, 30*time.Second)
		r.Retry()
	}); n != 0 {
		t.Errorf("%v allocations a row", n)
	}
}

func BenchmarkRow(b *testing.B) {
	r := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Request(200, time.Millisecond)
			r.Row(reports.StatusOK)
		}
	})
}

// TestScrapedDuringARun: a fake run of 1,000 rows (one in five answered 429
// and retried, one in fifty without an answer), paced as --rate paces,
// scraped while it runs and after, read with Prometheus's own text parser.
func TestScrapedDuringARun(t *testing.T) {
	r := New()
	ctl := pace.NewFixed(1e6, 100)
	r.Watch(ctl)
	srv, err := r.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr() + "/metrics"

	const rows, workers = 1000, 8
	r.SetRows(rows)
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range work {
				for attempt := 1; ; attempt++ {
					if err := ctl.Acquire(context.Background()); err != nil {
						t.Error(err)
						return
					}
					if attempt > 1 {
						r.Retry()
					}
					status := 200
					switch {
					case i%5 == 0 && attempt == 1:
						status = 429
					case i%50 == 1:
						status = 0
					}
					r.Request(status, time.Duration(i%7)*time.Millisecond)
					ctl.Release(pace.Observation{Status: status, Latency: time.Millisecond})
					if status == 429 {
						continue
					}
					if status == 0 {
						r.Row(reports.StatusFailed)
					} else {
						r.Row(reports.StatusOK)
					}
					break
				}
			}
		})
	}
	scrapes := make(chan error, 1)
	go func() {
		var err error
		for range 5 {
			if _, err = scrape(url); err != nil {
				break
			}
		}
		scrapes <- err
	}()
	for i := range rows {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := <-scrapes; err != nil {
		t.Fatalf("scrape during the run: %v", err)
	}

	mf, err := scrape(url)
	if err != nil {
		t.Fatal(err)
	}
	const retried, lost = rows / 5, rows / 50
	for _, w := range []struct {
		name, label, value string
		want               float64
	}{
		{"acctimport_rows_total", "status", "ok", rows - lost},
		{"acctimport_rows_total", "status", "failed", lost},
		{"acctimport_rows_total", "status", "invalid", 0},
		{"acctimport_requests_total", "code", "200", rows - lost},
		{"acctimport_requests_total", "code", "429", retried},
		{"acctimport_requests_total", "code", NoAnswer, lost},
		{"acctimport_retries_total", "", "", retried},
		{"acctimport_rows", "", "", rows},
		{"acctimport_rows_done", "", "", rows},
		{"acctimport_in_flight", "", "", 0},
	} {
		if got, ok := value(mf, w.name, w.label, w.value); !ok || got != w.want {
			t.Errorf("%s{%s=%q} = %v (found %v), want %v", w.name, w.label, w.value, got, ok, w.want)
		}
	}
	h := mf["acctimport_request_duration_seconds"]
	if h == nil || h.GetType() != dto.MetricType_HISTOGRAM || h.Metric[0].GetHistogram().GetSampleCount() != rows+retried {
		t.Errorf("request duration histogram: %v", h)
	}
	if p, ok := value(mf, "acctimport_pace_requests_per_second", "", ""); !ok || p <= 0 || p != ctl.Rate() {
		t.Errorf("pace %v, the controller's %v", p, ctl.Rate())
	}
	if _, ok := mf["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	resp, err := http.Post(url, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d", resp.StatusCode)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := scrape(url); err == nil {
		t.Error("still serving after Close")
	}
}

func scrape(url string) (map[string]*dto.MetricFamily, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%s: %s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func value(mf map[string]*dto.MetricFamily, name, label, want string) (float64, bool) {
	f := mf[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		if label != "" {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == label && l.GetValue() == want
			}
			if !found {
				continue
			}
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// Both pacers of a run can be watched.
var (
	_ Pacer = (*pace.Controller)(nil)
	_ Pacer = (*pace.Fixed)(nil)
)
