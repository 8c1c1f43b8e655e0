package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

// faulty answers the first request of chosen accounts with a fault, then
// lets their retries through to the strict fake.
type faulty struct {
	fake   *payway.Fake
	faults map[string]string // account id -> fault
	mu     sync.Mutex
	seen   map[string]int
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var p struct{ ID string }
	_ = json.Unmarshal(body, &p)
	f.mu.Lock()
	f.seen[p.ID]++
	first := f.seen[p.ID] == 1
	f.mu.Unlock()
	fault := f.faults[p.ID]
	if !first || fault == "" {
		f.fake.ServeHTTP(w, r)
		return
	}
	switch fault {
	case "429 seconds":
		w.Header().Set("Retry-After", "1")
		f.fake.WriteError(w, r, http.StatusTooManyRequests, "slow down")
	case "429 date":
		w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))
		f.fake.WriteError(w, r, http.StatusTooManyRequests, "slow down")
	case "closed":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	case "slow":
		select {
		case <-time.After(time.Minute):
		case <-r.Context().Done():
		}
	default:
		status, _ := strconv.Atoi(fault)
		f.fake.WriteError(w, r, status, "injected "+fault)
	}
}

// TestRetriesAgainstFaults: every retryable fault is retried until the row
// is applied, honouring Retry-After in both forms; other 4xx answers are not
// retried; the report shows each row's attempts.
func TestRetriesAgainstFaults(t *testing.T) {
	tok := "retry-token"
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	faults := []string{"429 seconds", "429 date", "500", "502", "503", "504", "closed", "slow", "", "400", "404", "409", "422"}
	ids := make([]string, len(faults))
	srvFaults := map[string]string{}
	for i, f := range faults {
		ids[i] = fmt.Sprintf("%024x", i+1)
		srvFaults[ids[i]] = f
	}
	srv := httptest.NewServer(&faulty{fake: fake, faults: srvFaults, seen: map[string]int{}})
	defer srv.Close()

	dir, m, in := bulk(t, len(faults))
	out := filepath.Join(dir, "report.csv")
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = tok
	start := time.Now()
	code := h.run("run", "-m", m, "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0",
		"--concurrency", "16", "--timeout", "300ms", "--retries", "3", "--no-progress")
	if code != ExitRowsFailed {
		t.Fatalf("exit %d\n%s", code, h.stderr.String())
	}
	header, report := readReport(t, out)
	st, att, msg, key := column(t, header, "Status"), column(t, header, "Attempts"), column(t, header, "Message"), column(t, header, "Key")
	byKey := map[string][]string{}
	for _, r := range report {
		byKey[r[key]] = r
	}
	for i, fault := range faults {
		r := byKey[ids[i]]
		wantStatus, wantAttempts := "ok", "2"
		switch fault {
		case "":
			wantAttempts = "1"
		case "400", "404", "409", "422":
			wantStatus, wantAttempts = "failed", "1"
		}
		if r[st] != wantStatus || r[att] != wantAttempts {
			t.Errorf("fault %q: %s after %s attempts (%s), want %s after %s", fault, r[st], r[att], r[msg], wantStatus, wantAttempts)
		}
	}
	// Both 429s asked for a second; the retry must not have come sooner.
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("the run took %v: Retry-After was not honoured", elapsed)
	}
	applied := map[string]int{}
	for _, a := range fake.Applied() {
		applied[a.Key]++
	}
	for i, fault := range faults {
		want := 1
		if fault == "400" || fault == "404" || fault == "409" || fault == "422" {
			want = 0
		}
		if applied[ids[i]] != want {
			t.Errorf("fault %q: applied %d times, want %d", fault, applied[ids[i]], want)
		}
	}
}

// TestRejectedCredentialsStopAfterAHandful: on a 2,000-row file, a 401
// stops the run after at most the requests already in flight, not after
// 2,000 failures.
func TestRejectedCredentialsStopAfterAHandful(t *testing.T) {
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret("the-real-token")})
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir, m, in := bulk(t, 2000)
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = "a-revoked-token"
	code := h.run("run", "-m", m, "-i", in, "-o", filepath.Join(dir, "r.csv"), "--base-url", srv.URL, "--rate", "0", "--concurrency", "8", "--no-progress")
	if code != ExitStopped {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if n := requests.Load(); n > 16 {
		t.Errorf("%d requests reached the server after the first 401", n)
	}
}
