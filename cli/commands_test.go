package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/providers/all"
)

// TestInitFromSamples: for every provider, a starter mapping made from its
// sample input compiles against that input, and validating the sample with
// it runs (exit 0 or 1, never a mapping error).
func TestInitFromSamples(t *testing.T) {
	for _, name := range all.Registry.Names() {
		t.Run(name, func(t *testing.T) {
			sample := filepath.Join("..", "samples", name+".csv")
			if _, err := os.Stat(sample); err != nil {
				t.Skipf("no sample: %v", err)
			}
			h := newHarness(t)
			if code := h.run("init", "-p", name, "-i", sample); code != ExitOK {
				t.Fatalf("exit %d: %s", code, h.stderr.String())
			}
			starter := h.stdout.String()
			m, err := mapping.Parse("starter.yaml", []byte(starter), all.Registry)
			if err != nil {
				t.Fatalf("%v\n%s", err, starter)
			}
			in, err := input.Open(sample, input.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if _, err := m.Compile(in.Header(), filepath.Dir(sample)); err != nil {
				t.Fatalf("the starter made from %s does not compile against it: %v\n%s", sample, err, starter)
			}
			mp := filepath.Join(t.TempDir(), "starter.yaml")
			if err := os.WriteFile(mp, []byte(starter), 0o644); err != nil {
				t.Fatal(err)
			}
			// The starter has no base_url and no secrets: validate needs neither.
			out := filepath.Join(t.TempDir(), "r.csv")
			if code := h.run("validate", "-m", mp, "-i", sample, "-o", out); code != ExitOK && code != ExitRowsFailed {
				t.Errorf("validate with the starter: exit %d: %s", code, h.stderr.String())
			}
		})
	}
	h := newHarness(t)
	if code := h.run("init", "-p", "payway"); code != ExitOK || !strings.Contains(h.stdout.String(), `id: {column: "COLUMN NAME"}`) {
		t.Errorf("init without input: exit %d\n%s", code, h.stdout.String())
	}
	if code := h.run("init"); code != ExitUsage {
		t.Errorf("init without -p: exit %d", code)
	}
	if code := h.run("init", "-p", "payway", "-i", "no-such.csv"); code != ExitUsage || !strings.Contains(h.stderr.String(), "no-such.csv") {
		t.Errorf("init with a missing input: exit %d %s", code, h.stderr.String())
	}
}

// TestSandboxCommand starts `acctimport sandbox` and runs the payway sample
// against it with the credentials it prints, as its help text says to.
func TestSandboxCommand(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, stop := context.WithCancel(context.Background())
	e := &env{stdout: pw, stderr: io.Discard, getenv: func(string) string { return "" }, registry: all.Registry, isTerminal: func() bool { return false }}
	done := make(chan int, 1)
	go func() {
		done <- e.main(ctx, []string{"sandbox", "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	var base, token string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		l := lines.Text()
		if m := regexp.MustCompile(`payway +--base-url (\S+)`).FindStringSubmatch(l); m != nil {
			base = m[1]
		}
		if m := regexp.MustCompile(`export PAYWAY_TOKEN=(\S+)`).FindStringSubmatch(l); m != nil {
			token = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if base == "" || token == "" {
		t.Fatalf("sandbox printed no base URL or token")
	}
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = token
	in := copySample(t, "payway.csv")
	out := filepath.Join(filepath.Dir(in), "r.xlsx")
	if code := h.run("run", "-m", "../samples/payway.yaml", "-i", in, "-o", out, "--base-url", base, "--rate", "0", "--concurrency", "1", "--no-progress"); code != ExitRowsFailed {
		t.Fatalf("run against the sandbox: exit %d\n%s", code, h.stderr.String())
	}
	rows := sheet(t, out, "Summary")
	if !strings.Contains(strings.Join(flat(rows), " "), "ok") {
		t.Errorf("summary: %v", rows)
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

	h = newHarness(t)
	if code := h.run("sandbox", "--addr", "0.0.0.0:8089"); code != ExitUsage || !strings.Contains(h.stderr.String(), "loopback only") {
		t.Errorf("non-loopback address: exit %d %s", code, h.stderr.String())
	}
	if code := h.run("sandbox", "--error-rate", "2"); code != ExitUsage {
		t.Errorf("bad error rate: exit %d", code)
	}
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}
