package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/providers/payway"
)

func put(t *testing.T, srv *httptest.Server, path, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const paywayBody = `{"id":"5a1d3e4f5a1d3e4f5a1d3e4f","first_name":"Ann"}`

func TestServesEveryProviderUnderItsName(t *testing.T) {
	sb := New(all.Registry.All(), Faults{})
	srv := httptest.NewServer(sb)
	defer srv.Close()

	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	index, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, p := range all.Registry.All() {
		info := p.Info()
		if want := srv.URL + "/" + info.Name + info.Path; !bytes.Contains(index, []byte(want)) {
			t.Errorf("index lacks %s:\n%s", want, index)
		}
	}

	if resp := put(t, srv, "/payway"+payway.Path, "sandbox", paywayBody); resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("payway through the sandbox: %d %s", resp.StatusCode, b)
	}
	if resp := put(t, srv, "/payway"+payway.Path, "wrong", paywayBody); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token got %d", resp.StatusCode)
	}
	if resp := put(t, srv, payway.Path, "sandbox", paywayBody); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a path without the provider's prefix got %d", resp.StatusCode)
	}
	for _, e := range sb.Entries() {
		want := 0
		if e.Provider.Info().Name == "payway" {
			want = 1
		}
		if got := len(e.Fake.Applied()); got != want {
			t.Errorf("%s applied %d requests, want %d", e.Provider.Info().Name, got, want)
		}
	}
}

// TestSandboxCredentialsAreWellFormed: every provider accepts its own
// well-known sandbox credentials, so a README can print them.
func TestSandboxCredentialsAreWellFormed(t *testing.T) {
	for _, p := range all.Registry.All() {
		c := Credentials(p)
		_, err := providers.LoadCredentials(p, func(k string) string {
			if s, ok := c[k]; ok {
				return s.Reveal()
			}
			return ""
		})
		if err != nil {
			t.Errorf("%s: %v", p.Info().Name, err)
		}
	}
}

func TestInjectedFaults(t *testing.T) {
	p := payway.Provider{}
	creds := providers.Credentials{payway.TokenEnv: providers.NewSecret("tok")}
	t.Run("429 in the provider's shape", func(t *testing.T) {
		sb := One(p, creds, Faults{ThrottleRate: 1, RetryAfter: 2500e6, Seed: 1})
		srv := httptest.NewServer(sb)
		defer srv.Close()
		resp := put(t, srv, payway.Path, "tok", paywayBody)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" {
			t.Fatalf("got %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		b, _ := io.ReadAll(resp.Body)
		ans := p.Read(resp.StatusCode, resp.Header, b, p.NewOptions())
		if !strings.Contains(ans.Message, "injected rate limit") {
			t.Errorf("payway read the 429 as %q (body %s)", ans.Message, b)
		}
		if !json.Valid(b) {
			t.Errorf("not payway's JSON error shape: %s", b)
		}
		if n := len(sb.Entries()[0].Fake.Applied()); n != 0 {
			t.Errorf("a refused request was applied %d times", n)
		}
	})
	t.Run("503", func(t *testing.T) {
		srv := httptest.NewServer(One(p, creds, Faults{ErrorRate: 1, Seed: 1}))
		defer srv.Close()
		if resp := put(t, srv, payway.Path, "tok", paywayBody); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("got %d", resp.StatusCode)
		}
	})
	t.Run("rates are shares of requests", func(t *testing.T) {
		s := newServer(Faults{ErrorRate: 0.1, ThrottleRate: 0.2, Seed: 7})
		counts := map[int]int{}
		const n = 20000
		for range n {
			counts[s.fault()]++
		}
		for status, want := range map[int]float64{503: 0.1, 429: 0.2, 0: 0.7} {
			if got := float64(counts[status]) / n; got < want-0.02 || got > want+0.02 {
				t.Errorf("status %d for %.3f of requests, want about %.2f", status, got, want)
			}
		}
	})
	t.Run("latency gives way to a client that leaves", func(t *testing.T) {
		// The client leaves once the server holds its whole request; the
		// server must then let go (a handler left waiting would keep
		// Close, and the test binary, waiting for good).
		srv := httptest.NewUnstartedServer(One(p, creds, Faults{Latency: 1e12}))
		active := make(chan struct{}, 1)
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateActive {
				select {
				case active <- struct{}{}:
				default:
				}
			}
		}
		srv.Start()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+payway.Path, strings.NewReader(paywayBody))
		done := make(chan error, 1)
		go func() {
			resp, err := srv.Client().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		<-active
		cancel()
		if err := <-done; err == nil {
			t.Error("request finished despite the added latency")
		}
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(time.Minute): // a hang guard, not a measure
			t.Fatal("the server still holds a request its client left")
		}
	})
}

func TestFaultsValidate(t *testing.T) {
	tests := []struct {
		f    Faults
		want string
	}{
		{Faults{}, ""},
		{Faults{ErrorRate: 0.5, ThrottleRate: 0.5}, ""},
		{Faults{ErrorRate: 1.5}, "error rate must be between 0 and 1"},
		{Faults{ThrottleRate: -0.1}, "429 rate must be between 0 and 1"},
		{Faults{ErrorRate: 0.6, ThrottleRate: 0.6}, "add up to more than 1"},
		{Faults{Latency: -1}, "latency must not be negative"},
		{Faults{ServerRate: 50, ServerBurst: 5, Announce: AnnounceX}, ""},
		{Faults{ServerRate: -1}, "server rate must be"},
		{Faults{ServerRate: 0.001}, "less than one request in 100 s"},
		{Faults{ServerBurst: 5}, "a server burst needs a server rate"},
		{Faults{Announce: AnnounceIETF}, "announcing the limit needs a server rate"},
		{Faults{ServerRate: 5, ServerBurst: -1}, "server burst must not be negative"},
		{Faults{ServerRate: 5, Announce: "github"}, `announce "github": choose ietf`},
	}
	for _, tc := range tests {
		err := tc.f.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8089": true, "localhost:1": true, "[::1]:80": true, "127.1.2.3:9": true,
		"0.0.0.0:8089": false, ":8089": false, "192.168.1.2:80": false, "example.com:80": false, "127.0.0.1": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v", addr, got)
		}
	}
}
