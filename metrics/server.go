package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ListenAddr checks --metrics-addr and says where it listens: loopback
// unless the address says otherwise.
//
//   - A port alone, ":9090" or "9090", is 127.0.0.1:9090. (Go's own
//     listeners take an empty host for every interface; a run's figures are
//     no one else's business unless someone said so.)
//   - localhost or a loopback IP is taken as it is.
//   - Any other IP address is what was said: 0.0.0.0:9090 (every
//     interface, as in a container, where a scrape comes over the pod's
//     network), [::]:9090, or the pod's own address.
//   - A host name other than localhost is refused: it may resolve to
//     several addresses, or to another one tomorrow, and listening needs
//     one.
func ListenAddr(addr string) (string, error) {
	a := strings.TrimSpace(addr)
	if _, err := strconv.Atoi(a); err == nil {
		a = ":" + a
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("--metrics-addr %q: write it as HOST:PORT, or :PORT for loopback (%v)", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("--metrics-addr %q: the port must be a number from 0 to 65535", addr)
	}
	switch {
	case host == "":
		host = "127.0.0.1"
	case strings.EqualFold(host, "localhost"):
	case net.ParseIP(host) == nil:
		return "", fmt.Errorf("--metrics-addr %q: give an IP address to listen on, not a name: 127.0.0.1:%s (this machine only, as :%s is), 0.0.0.0:%s (every interface, as a Kubernetes scrape needs) or one interface's address", addr, port, port, port)
	}
	return net.JoinHostPort(host, port), nil
}

// Server serves a run's metrics at /metrics.
type Server struct {
	srv  *http.Server
	addr string
	done chan error
	once sync.Once
	err  error
}

// Listen checks addr (see ListenAddr), listens on it and serves the run's
// metrics at /metrics until Close. The listening address (with the port
// chosen, for :0) is s.Addr().
func (r *Run) Listen(addr string) (*Server, error) {
	a, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", a)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		// A scrape that is slow to read is not allowed to pile up.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "acctimport: the run's metrics are at /metrics\n")
	})
	s := &Server{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       time.Minute,
			MaxHeaderBytes:    16 << 10,
		},
		addr: ln.Addr().String(),
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.addr }

// Close stops the server when the run ends: a scrape in progress gets a
// second to finish. Closing again does nothing.
func (s *Server) Close() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err := s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		s.err = err
	})
	return s.err
}
