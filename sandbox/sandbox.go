// Package sandbox serves providers' fakes on a loopback address, so that a
// migration can be rehearsed end to end without a real account being touched:
// `acctimport sandbox` serves every provider at once, each under /NAME/, and
// `acctimport run --sandbox` serves one in-process.
//
// Faults can be injected in front of the fakes (latency, server errors,
// 429 Too Many Requests with Retry-After) to see how a run copes with an
// unwell API, and a provider's rate limit played (a token bucket per
// provider, answering 429 with Retry-After past it, announced in headers
// or not) to rehearse a run that must find its pace. An injected error is
// written in the provider's own error shape when its fake implements
// providers.ErrorWriter.
package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// Faults describes how unwell the sandbox pretends to be. The zero value is
// a healthy API.
type Faults struct {
	// Latency is added before every answer.
	Latency time.Duration
	// ErrorRate is the share of requests, from 0 to 1, answered 503 Service
	// Unavailable without being applied.
	ErrorRate float64
	// ThrottleRate is the share of requests, from 0 to 1, answered 429 Too
	// Many Requests with a Retry-After of RetryAfter.
	ThrottleRate float64
	// RetryAfter is what a 429 asks the client to wait; whole seconds, at
	// least 1.
	RetryAfter time.Duration
	// Seed makes the injected faults repeatable; 0 picks one at random.
	Seed uint64

	// ServerRate plays the provider's rate limit: each provider served has
	// a Bucket filling at ServerRate requests a second, shared by every
	// request to that provider (every shard of a run), and a request that
	// finds it empty is answered 429 with a Retry-After, unapplied. 0 means
	// no limit.
	ServerRate float64
	// ServerBurst is the bucket's size; 0 means DefaultBurst(ServerRate).
	ServerBurst int
	// Announce names the header family every answer announces the limit
	// in (AnnounceIETF, AnnounceX); "" announces nothing, as most APIs.
	Announce string
}

// Validate reports a knob out of range.
func (f Faults) Validate() error {
	var errs []error
	if f.Latency < 0 {
		errs = append(errs, errors.New("latency must not be negative"))
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"error rate", f.ErrorRate}, {"429 rate", f.ThrottleRate}} {
		if r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("%s must be between 0 and 1 (0.05 is 5%%), not %g", r.name, r.v))
		}
	}
	if f.ErrorRate+f.ThrottleRate > 1 {
		errs = append(errs, errors.New("error rate and 429 rate add up to more than 1"))
	}
	if f.RetryAfter < 0 {
		errs = append(errs, errors.New("retry-after must not be negative"))
	}
	switch {
	case f.ServerRate < 0 || math.IsNaN(f.ServerRate) || math.IsInf(f.ServerRate, 0):
		errs = append(errs, fmt.Errorf("server rate must be a number of requests a second, 0 for no limit, not %g", f.ServerRate))
	case f.ServerRate > 0 && f.ServerRate < 0.01:
		errs = append(errs, fmt.Errorf("server rate %g is less than one request in 100 s", f.ServerRate))
	case f.ServerRate == 0 && f.ServerBurst != 0:
		errs = append(errs, errors.New("a server burst needs a server rate"))
	case f.ServerRate == 0 && f.Announce != "":
		errs = append(errs, errors.New("announcing the limit needs a server rate"))
	}
	if f.ServerBurst < 0 {
		errs = append(errs, errors.New("server burst must not be negative"))
	}
	switch f.Announce {
	case "", AnnounceIETF, AnnounceX:
	default:
		errs = append(errs, fmt.Errorf("announce %q: choose %s (RateLimit-Policy and RateLimit) or %s (X-RateLimit-Limit, -Remaining, -Reset)", f.Announce, AnnounceIETF, AnnounceX))
	}
	return errors.Join(errs...)
}

// Entry is one provider served by the sandbox.
type Entry struct {
	Provider providers.Provider
	Prefix   string // "/payway"; "" when the fake is served at the root
	Creds    providers.Credentials
	Fake     providers.Fake
	// Limit is the provider's rate limit; nil when the sandbox plays none.
	Limit *Bucket
}

// Server is an http.Handler serving fakes behind the fault injector.
type Server struct {
	entries []Entry
	mux     *http.ServeMux
	faults  Faults
	mu      sync.Mutex
	rng     *rand.Rand
}

// Credentials are the sandbox's well-known credentials for p: each
// variable's documented sample prefix followed by "sandbox". They open
// nothing but a local fake, so they may be printed and written in a README.
func Credentials(p providers.Provider) providers.Credentials {
	c := make(providers.Credentials)
	for _, cr := range p.Info().Credentials {
		c[cr.Env] = providers.NewSecret(cr.Sample + "sandbox")
	}
	return c
}

// New serves every provider of ps under /NAME/ with the well-known
// Credentials; GET / lists them.
func New(ps []providers.Provider, f Faults) *Server {
	s := newServer(f)
	for _, p := range ps {
		c := Credentials(p)
		s.add(Entry{Provider: p, Prefix: "/" + p.Info().Name, Creds: c, Fake: p.NewFake(c)})
	}
	s.mux.HandleFunc("GET /{$}", s.index)
	return s
}

// One serves a single provider's fake at the root, accepting only c (made
// up for one run by providers.SandboxCredentials).
func One(p providers.Provider, c providers.Credentials, f Faults) *Server {
	s := newServer(f)
	s.add(Entry{Provider: p, Creds: c, Fake: p.NewFake(c)})
	return s
}

func newServer(f Faults) *Server {
	seed := f.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	if f.ThrottleRate > 0 && f.RetryAfter < time.Second {
		f.RetryAfter = time.Second
	}
	return &Server{mux: http.NewServeMux(), faults: f, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (s *Server) add(e Entry) {
	if s.faults.ServerRate > 0 {
		e.Limit = NewBucket(s.faults.ServerRate, s.faults.ServerBurst, time.Now())
	}
	s.entries = append(s.entries, e)
	h := s.inject(e.Fake, e.Limit)
	if e.Prefix == "" {
		s.mux.Handle("/", h)
		return
	}
	s.mux.Handle(e.Prefix+"/", http.StripPrefix(e.Prefix, h))
}

// Entries lists what the sandbox serves.
func (s *Server) Entries() []Entry { return s.entries }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// fault draws the fault for one request: 0 for none, or an HTTP status.
func (s *Server) fault() int {
	if s.faults.ErrorRate == 0 && s.faults.ThrottleRate == 0 {
		return 0
	}
	s.mu.Lock()
	x := s.rng.Float64()
	s.mu.Unlock()
	switch {
	case x < s.faults.ThrottleRate:
		return http.StatusTooManyRequests
	case x < s.faults.ThrottleRate+s.faults.ErrorRate:
		return http.StatusServiceUnavailable
	}
	return 0
}

func (s *Server) inject(fake providers.Fake, limit *Bucket) http.Handler {
	ew, _ := fake.(providers.ErrorWriter)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The limit is decided on arrival, as an API's gateway does; the
		// answer, refused or not, comes after the latency.
		var v Verdict
		if limit != nil {
			now := time.Now()
			v = limit.Take(now)
			limit.Announce(w.Header(), s.faults.Announce, v, now)
		}
		if d := s.faults.Latency; d > 0 {
			// The request is read before the wait, as a gateway reads it:
			// net/http watches the connection, and so ends r.Context()
			// when the client leaves, only once the body has been read.
			body, err := readAhead(r.Body, readAheadLimit)
			if err != nil {
				return // the client left while sending: nobody to answer
			}
			r.Body = body
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if limit != nil && !v.OK {
			refuse(w, r, ew, limit, v)
			return
		}
		status := s.fault()
		if status == 0 {
			fake.ServeHTTP(w, r)
			return
		}
		msg := "sandbox: injected fault, nothing was applied"
		if status == http.StatusTooManyRequests {
			secs := int(s.faults.RetryAfter.Round(time.Second) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			msg = "sandbox: injected rate limit, nothing was applied; retry after " + strconv.Itoa(secs) + "s"
		}
		if ew != nil {
			ew.WriteError(w, r, status, msg)
			return
		}
		http.Error(w, msg, status)
	})
}

// readAheadLimit bounds what is read ahead of an added latency; a larger
// body is read on by the fake, which has its own limit.
const readAheadLimit = 1 << 20

// readAhead reads up to limit bytes of body now and returns a body that
// gives them, then the rest; an error when the body could not be read (the
// client left: net/http would not end the request's context then, so the
// wait must not begin).
func readAhead(body io.ReadCloser, limit int64) (io.ReadCloser, error) {
	buf, err := io.ReadAll(io.LimitReader(body, limit))
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(buf), body), body}, nil
}

// index lists the providers served and how to reach them.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	base := "http://" + r.Host
	fmt.Fprintf(w, "acctimport sandbox: fakes of %d provider APIs; nothing leaves this machine.\n\n", len(s.entries))
	for _, e := range s.entries {
		info := e.Provider.Info()
		fmt.Fprintf(w, "%-12s %s %s%s%s\n", info.Name, info.Method, base, e.Prefix, info.Path)
	}
}

// Describe writes what a user needs to point a run at the sandbox: each
// provider's base URL and the environment its credentials are read from.
func (s *Server) Describe(base string) string {
	var b strings.Builder
	for _, e := range s.entries {
		info := e.Provider.Info()
		fmt.Fprintf(&b, "  %-12s --base-url %s%s\n", info.Name, base, e.Prefix)
	}
	b.WriteString("\nCredentials the fakes accept (they open nothing else):\n")
	for _, e := range s.entries {
		for _, cr := range e.Provider.Info().Credentials {
			fmt.Fprintf(&b, "  export %s=%s\n", cr.Env, e.Creds[cr.Env].Reveal())
		}
	}
	return b.String()
}

// IsLoopback reports whether addr ("host:port") names a loopback address,
// the only kind the sandbox listens on: its credentials are well known.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
