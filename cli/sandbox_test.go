package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/providers/payway"
)

// TestSandboxServerRate plays a provider's limit as an operator would
// rehearse one: `sandbox --server-rate 1 --server-burst 2 --announce-limit`
// lets two requests through, refuses the third with a 429 in payway's shape,
// announces the limit on every answer, and counts the refusal when stopped.
func TestSandboxServerRate(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, stop := context.WithCancel(context.Background())
	e := &env{stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }, registry: all.Registry, isTerminal: func() bool { return false }}
	done := make(chan int, 1)
	go func() {
		done <- e.main(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--server-rate", "1", "--server-burst", "2", "--announce-limit"})
		pw.Close()
	}()
	var base, token, limit string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		l := lines.Text()
		if m := regexp.MustCompile(`payway +--base-url (\S+)`).FindStringSubmatch(l); m != nil {
			base = m[1]
		}
		if m := regexp.MustCompile(`export PAYWAY_TOKEN=(\S+)`).FindStringSubmatch(l); m != nil {
			token = m[1]
		}
		if strings.HasPrefix(l, "Rate limit:") {
			limit = l
			break
		}
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		rest <- string(b)
	}()
	if base == "" || token == "" {
		t.Fatalf("sandbox printed no base URL or token")
	}
	if want := "Rate limit: 1 requests/s per provider, 2 at once, answered 429 with Retry-After past it; announced in RateLimit-Policy and RateLimit."; limit != want {
		t.Errorf("banner %q, want %q", limit, want)
	}
	var statuses []int
	for range 3 {
		req, _ := http.NewRequest(http.MethodPut, base+payway.Path, strings.NewReader(`{"id":"5a1d3e4f5a1d3e4f5a1d3e4f","first_name":"Ann"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if resp.Header.Get("RateLimit-Policy") != `"sandbox";q=1;w=1` || resp.Header.Get("RateLimit") == "" {
			t.Errorf("answer %d does not announce the limit: %v", len(statuses), resp.Header)
		}
		if resp.StatusCode == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") != "1" || !strings.Contains(string(b), "rate limit")) {
			t.Errorf("429 without its Retry-After or reason: %v %s", resp.Header, b)
		}
	}
	if statuses[0] != 200 || statuses[1] != 200 || statuses[2] != http.StatusTooManyRequests {
		t.Errorf("statuses %v, want 200 200 429", statuses)
	}
	stop()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("sandbox exited %d", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sandbox did not stop")
	}
	if out := <-rest; !regexp.MustCompile(`payway +2 \(1 refused by the rate limit\)`).MatchString(out) {
		t.Errorf("stop summary lacks the refusal:\n%s", out)
	}

	h := newHarness(t)
	for _, args := range [][]string{
		{"--server-burst", "5"},
		{"--server-rate", "5", "--announce-limit=github"},
		{"--server-rate", "-5"},
		{"--announce-limit"},
	} {
		if code := h.run(append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...)...); code != ExitUsage {
			t.Errorf("sandbox %v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}
