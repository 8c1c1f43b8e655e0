// Package metrics serves a run's figures to Prometheus (--metrics-addr), so
// that an unattended migration can be watched and alerted on: rows by
// status, requests by HTTP status, retries, the pace in force, the requests
// in flight, how long requests take, and rows done of rows to do.
//
// A Run has a registry of its own (not the process-wide default), so tests
// and several runs in one process do not mix. Its methods are called on
// every row and request: they are safe on a nil *Run (metrics off), and
// cost a few atomic adds, with no allocation.
package metrics

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/acctimport/acctimport/reports"
)

// Pacer is what the pace and in-flight gauges read at each scrape:
// pace.Controller (--rate auto) and pace.Fixed (--rate R) are both one.
type Pacer interface {
	Rate() float64 // the pace in force, requests/s; 0 for no limit
	Peak() float64 // the highest pace the server sustained
	InFlight() int // attempts between Acquire and Release
}

// NoAnswer is the code label of a request that got no answer (a transport
// error, a timeout).
const NoAnswer = "none"

// Run holds one run's metrics. The zero value is not usable; a nil *Run
// records nothing.
type Run struct {
	reg      *prometheus.Registry
	rows     [maxStatuses]prometheus.Counter
	rowsElse prometheus.Counter
	requests *prometheus.CounterVec
	// codes are requests' label children, resolved on a code's first use
	// (a series for every code that never came would only be noise).
	codes    [1000]atomic.Pointer[prometheus.Counter]
	other    prometheus.Counter
	retries  prometheus.Counter
	duration prometheus.Histogram
	total    prometheus.Gauge
	done     prometheus.Gauge
	pacer    atomic.Pointer[Pacer]
}

// maxStatuses bounds reports.Statuses, for an array of label children.
const maxStatuses = 16

// statusIndex numbers reports.Statuses for the rows' label children.
var statusIndex = func() map[reports.Status]int {
	if len(reports.Statuses) > maxStatuses {
		panic("metrics: more report statuses than maxStatuses")
	}
	m := make(map[reports.Status]int, len(reports.Statuses))
	for i, s := range reports.Statuses {
		m[s] = i
	}
	return m
}()

// Buckets of the request duration histogram, in seconds: from a loopback
// answer to the longest --timeout worth waiting for.
var Buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// New returns a run's metrics, with the Go runtime's and the process's.
func New() *Run {
	r := &Run{reg: prometheus.NewRegistry()}
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "acctimport_rows_total",
		Help: "Rows finished, by status (ok, partial, failed, invalid, skipped, valid).",
	}, []string{"status"})
	for s, i := range statusIndex {
		r.rows[i] = rows.WithLabelValues(string(s))
	}
	r.rowsElse = rows.WithLabelValues("other")
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "acctimport_requests_total",
		Help: `Attempts answered, by HTTP status; code="none" when no answer came (a transport error, a timeout).`,
	}, []string{"code"})
	r.other = r.requests.WithLabelValues("other")
	r.retries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "acctimport_retries_total",
		Help: "Attempts that were retries of a row's earlier attempt.",
	})
	r.duration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "acctimport_request_duration_seconds",
		Help:    "How long attempts took, from sending to the whole answer, answered or not.",
		Buckets: Buckets,
	})
	r.total = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "acctimport_rows",
		Help: "Rows this run has to do (its shard of the input, within --limit), once counted; 0 until then.",
	})
	r.done = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "acctimport_rows_done",
		Help: "Rows finished so far, whatever their status: the progress is acctimport_rows_done / acctimport_rows.",
	})
	pace := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "acctimport_pace_requests_per_second",
		Help: "The pace in force, requests/s (found by --rate auto, or --rate); 0 for no limit.",
	}, func() float64 { return r.read(Pacer.Rate) })
	peak := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "acctimport_pace_peak_requests_per_second",
		Help: "The most unthrottled answers per second over any 5 s of the run.",
	}, func() float64 { return r.read(Pacer.Peak) })
	inFlight := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "acctimport_in_flight",
		Help: "Requests in flight.",
	}, func() float64 { return r.read(func(p Pacer) float64 { return float64(p.InFlight()) }) })
	r.reg.MustRegister(rows, r.requests, r.retries, r.duration, r.total, r.done, pace, peak, inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

func (r *Run) read(f func(Pacer) float64) float64 {
	if p := r.pacer.Load(); p != nil {
		return f(*p)
	}
	return 0
}

// Registry is where the run's metrics are registered: to add one, or to
// gather them without the server.
func (r *Run) Registry() *prometheus.Registry { return r.reg }

// Watch makes the pace and in-flight gauges read p at each scrape.
func (r *Run) Watch(p Pacer) {
	if r != nil && p != nil {
		r.pacer.Store(&p)
	}
}

// SetRows sets the rows this run has to do, when they are counted.
func (r *Run) SetRows(n int) {
	if r != nil {
		r.total.Set(float64(n))
	}
}

// Row counts a finished row.
func (r *Run) Row(s reports.Status) {
	if r == nil {
		return
	}
	if i, ok := statusIndex[s]; ok {
		r.rows[i].Inc()
	} else {
		r.rowsElse.Inc()
	}
	r.done.Inc()
}

// Request counts an attempt's answer: its HTTP status (0 when no answer
// came) and how long it took.
func (r *Run) Request(status int, took time.Duration) {
	if r == nil {
		return
	}
	r.duration.Observe(took.Seconds())
	if status < 0 || status >= len(r.codes) || status > 0 && status < 100 {
		r.other.Inc()
		return
	}
	c := r.codes[status].Load()
	if c == nil {
		label := NoAnswer
		if status > 0 {
			label = strconv.Itoa(status)
		}
		child := r.requests.WithLabelValues(label)
		r.codes[status].CompareAndSwap(nil, &child)
		c = r.codes[status].Load()
	}
	(*c).Inc()
}

// Retry counts an attempt that retries a row.
func (r *Run) Retry() {
	if r != nil {
		r.retries.Inc()
	}
}
