package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

// token is the Payway token the loopback server accepts; the acctimport
// child gets it as PAYWAY_TOKEN.
const token = "bench-0123456789abcdef"

// server is one loopback HTTP server that both the bare client and
// acctimport send to, so they meet the same server code, the same latency
// and the same kernel path.
type server struct {
	URL    string
	srv    *http.Server
	static bool // answer a canned success instead of running the fake

	handler atomic.Pointer[http.Handler] // the current measurement's fake
	latency atomic.Int64                 // added before every answer, ns

	served atomic.Int64 // requests answered since reset
	bytes  atomic.Int64 // request body bytes (Content-Length) since reset

	recording atomic.Bool // checked without the lock on every request
	mu        sync.Mutex
	arrivals  []time.Time // request arrival times, while recording
}

// staticAnswer is Payway's documented success answer.
var staticAnswer = []byte(staticPrefix + string(staticID) + `","updated_fields":"email first_name","not_updated_fields":""}`)

const staticPrefix = `{"id":"`

var staticID = []byte("5f3ac249f6aef294d0000071")

func startServer(static bool) (*server, error) {
	s := &server{static: static}
	s.reset(0)
	var err error
	s.srv, s.URL, err = serveLoopback(s)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// serveLoopback serves h on a free port of 127.0.0.1 and returns the
// server and its base URL.
func serveLoopback(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}

func (s *server) Close() { _ = s.srv.Close() }

// reset starts a measurement: a fresh fake (the fake keeps every account
// and applied body, so one per measurement keeps the bench's own memory
// flat), the given latency, and zeroed counters.
func (s *server) reset(latency time.Duration) {
	var h http.Handler = http.HandlerFunc(serveStatic)
	if !s.static {
		h = payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(token)})
	}
	s.handler.Store(&h)
	s.latency.Store(int64(latency))
	s.served.Store(0)
	s.bytes.Store(0)
}

// record starts or stops timestamping arrivals; stopping returns them.
func (s *server) record(on bool) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recording.Store(on)
	out := s.arrivals
	s.arrivals = nil
	return out
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.recording.Load() {
		now := time.Now()
		s.mu.Lock()
		if s.recording.Load() {
			s.arrivals = append(s.arrivals, now)
		}
		s.mu.Unlock()
	}
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	s.served.Add(1)
	s.bytes.Add(max(r.ContentLength, 0))
	(*s.handler.Load()).ServeHTTP(w, r)
}

// serveStatic reads the request and answers success without checking it:
// the cheapest server there is, for a comparison where the server's own
// work does not dilute the clients' difference (-server static). The answer
// names the account the body names, as Payway's does (acctimport stops a
// run whose answers name another account).
func serveStatic(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	id := staticID
	if _, rest, ok := bytes.Cut(body, []byte(`"id":"`)); ok {
		if v, _, ok := bytes.Cut(rest, []byte(`"`)); ok {
			id = v
		}
	}
	answer := make([]byte, 0, len(staticAnswer)+len(id))
	answer = append(answer, staticAnswer[:len(staticPrefix)]...)
	answer = append(answer, id...)
	answer = append(answer, staticAnswer[len(staticPrefix)+len(staticID):]...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
	_, _ = w.Write(answer)
}
