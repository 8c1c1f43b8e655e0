package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const token = "e2e-token-7f3a9c"

// harness runs the real command in-process, with its own environment.
type harness struct {
	t              *testing.T
	env            map[string]string
	stdout, stderr bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, env: map[string]string{}}
}

func (h *harness) run(args ...string) int {
	h.stdout.Reset()
	h.stderr.Reset()
	e := &env{
		stdout: &h.stdout, stderr: &h.stderr,
		getenv:     func(k string) string { return h.env[k] },
		registry:   all.Registry,
		isTerminal: func() bool { return false },
	}
	return e.main(context.Background(), args)
}

// fakeServer serves payway's fake on loopback.
func fakeServer(t *testing.T, tok string) (*payway.Fake, *httptest.Server) {
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

// copySample copies a sample into a temporary folder, so reports and
// journals land there.
func copySample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// sheet reads a sheet of a workbook back as rows of cell values.
func sheet(t *testing.T, path, name string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(name)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cli -update creates it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs:\n%s", path, got)
	}
}

// TestRunPaywaySamples runs the real `run` command on both samples against
// payway's strict fake and checks what the fake applied and what the report
// says, row by row.
func TestRunPaywaySamples(t *testing.T) {
	for _, sample := range []string{"payway.csv", "payway.xlsx"} {
		t.Run(sample, func(t *testing.T) {
			fake, srv := fakeServer(t, token)
			in := copySample(t, sample)
			out := filepath.Join(filepath.Dir(in), "report.xlsx")
			h := newHarness(t)
			h.env["PAYWAY_TOKEN"] = token
			// One request at a time, so which of two rows sharing an e-mail
			// address wins is decided by input order, not by the scheduler.
			code := h.run("run", "-m", "../samples/payway.yaml", "-i", in, "-o", out,
				"--base-url", srv.URL, "--rate", "0", "--concurrency", "1", "--no-progress", "--payloads")
			if code != ExitRowsFailed {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitRowsFailed, h.stdout.String(), h.stderr.String())
			}

			// The fake applied every valid row exactly once, with the
			// documented payload, and no invalid one.
			var applied bytes.Buffer
			for _, a := range fake.Applied() {
				fmt.Fprintf(&applied, "%s %s\n", a.Key, a.Body)
			}
			golden(t, "payway_applied.golden", applied.Bytes())

			results := sheet(t, out, "Results")
			var b strings.Builder
			for _, r := range results {
				// Row, Status, Key, HTTP status, Attempts, Message
				fmt.Fprintf(&b, "%s\n", strings.Join(r[:min(6, len(r))], " | "))
			}
			golden(t, "payway_results.golden", []byte(b.String()))

			// The Payload column holds the exact request bodies.
			hdr := results[0]
			pcol := index(hdr, "Payload")
			if pcol < 0 {
				t.Fatalf("no Payload column in %v", hdr)
			}
			bodies := map[string]bool{}
			for _, a := range fake.Applied() {
				bodies[string(a.Body)] = true
			}
			for _, r := range results[1:] {
				if r[1] == "ok" && !bodies[r[pcol]] {
					t.Errorf("row %s: Payload %q was not what the fake received", r[0], r[pcol])
				}
			}

			// Failed holds the rows that are not ok, with the input's
			// columns as read, ready to be fed back, then why and where.
			failed := sheet(t, out, "Failed")
			if got, want := len(failed)-1, 6; got != want {
				t.Errorf("Failed has %d rows, want %d", got, want)
			}
			if strings.Join(failed[0], ",") != "Account ID,E-mail,First name,Last name,Mobile,Personal number,Born,Tags,Street,Zip,City,Country,"+reports.ColumnReason+","+reports.ColumnOriginalRow {
				t.Errorf("Failed header %v", failed[0])
			}
			summary := sheet(t, out, "Summary")
			if !containsRow(summary, "ok", "8") || !containsRow(summary, "invalid", "5") || !containsRow(summary, "failed", "1") {
				t.Errorf("Summary %v", summary)
			}
			for _, o := range []string{h.stdout.String(), h.stderr.String()} {
				if strings.Contains(o, token) {
					t.Error("the token was printed")
				}
			}
		})
	}
}

func index(row []string, name string) int {
	for i, c := range row {
		if c == name {
			return i
		}
	}
	return -1
}

func containsRow(rows [][]string, cells ...string) bool {
	for _, r := range rows {
		if len(r) >= len(cells) && strings.Join(r[:len(cells)], "\x00") == strings.Join(cells, "\x00") {
			return true
		}
	}
	return false
}

// TestRunConcurrentAppliesEachRowOnce runs with many requests in flight:
// every valid row reaches the fake exactly once.
func TestRunConcurrentAppliesEachRowOnce(t *testing.T) {
	fake, srv := fakeServer(t, token)
	in := copySample(t, "payway.csv")
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = token
	code := h.run("run", "-m", "../samples/payway.yaml", "-i", in, "-o", filepath.Join(t.TempDir(), "r.csv"),
		"--base-url", srv.URL, "--rate", "0", "--concurrency", "8", "--no-progress")
	if code != ExitRowsFailed {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	count := map[string]int{}
	for _, a := range fake.Applied() {
		count[a.Key]++
	}
	// Each valid row of a distinct account is applied once.
	for _, k := range []string{"5f3ac249f6aef294d0000072", "5f3ac249f6aef294d0000073", "5f3ac249f6aef294d0000079",
		"5f3ac249f6aef294d000007a", "5f3ac249f6aef294d000007c", "5f3ac249f6aef294d000007d"} {
		if count[k] != 1 {
			t.Errorf("%s applied %d times, want 1", k, count[k])
		}
	}
	// Rows 2 and 15 are different accounts with the same e-mail address:
	// whichever the fake sees first wins, the other fails as not unique.
	// Row 14 updates row 2's account again, after it.
	const a, b = "5f3ac249f6aef294d0000071", "5f3ac249f6aef294d0000078"
	if count[a]+count[b] != 2 || count[b] > 1 {
		t.Errorf("applied %s %d times and %s %d times; want 2 in all, the second at most once", a, count[a], b, count[b])
	}
	if len(count) > 8 {
		t.Errorf("invalid rows were applied: %v", count)
	}
}

// listener counts connections: validate must open none.
func countingListener(t *testing.T) (string, *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return "http://" + ln.Addr().String(), &n
}

func TestValidateOpensNoConnection(t *testing.T) {
	url, conns := countingListener(t)
	in := copySample(t, "payway.xlsx")
	out := filepath.Join(t.TempDir(), "v.xlsx")
	h := newHarness(t) // no PAYWAY_TOKEN: validate needs none
	code := h.run("validate", "-m", "../samples/payway.yaml", "-i", in, "-o", out, "--base-url", url, "--payloads")
	if code != ExitRowsFailed {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if conns.Load() != 0 {
		t.Errorf("validate opened %d connections", conns.Load())
	}
	results := sheet(t, out, "Results")
	statuses := map[string]int{}
	for _, r := range results[1:] {
		statuses[r[1]]++
	}
	if statuses["valid"] != 9 || statuses["invalid"] != 5 {
		t.Errorf("statuses %v", statuses)
	}
	if _, err := os.Stat(strings.TrimSuffix(out, ".xlsx") + ".journal"); err == nil {
		t.Error("validate wrote a journal")
	}
}

// TestBadMappingsExitBeforeSending checks that each problem found before
// sending exits 2, says what is wrong, and sends nothing.
func TestBadMappingsExitBeforeSending(t *testing.T) {
	base, err := os.ReadFile("../samples/payway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mapping string
		env     bool
		want    string
	}{
		{"missing column", strings.Replace(string(base), "E-mail,", "Email,", 1), true, `column "Email" not found in the input; did you mean "E-mail"?`},
		{"unknown field", strings.Replace(string(base), "mobile_phone_number:", "mobile_phone:", 1), true, `payway has no field "mobile_phone"; did you mean "mobile_phone_number"?`},
		{"unknown transform", strings.Replace(string(base), "transform: digits}", "transform: digit}", 1), true, `unknown transform "digit"; did you mean "digits"?`},
		{"unknown option", strings.Replace(string(base), "atomic: true", "atomik: true", 1), true, `unknown option "atomik" for payway; did you mean "atomic"?`},
		{"missing credential", string(base), false, "PAYWAY_TOKEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := fakeServer(t, token)
			dir := t.TempDir()
			mp := filepath.Join(dir, "m.yaml")
			if err := os.WriteFile(mp, []byte(tc.mapping), 0o644); err != nil {
				t.Fatal(err)
			}
			in := copySample(t, "payway.csv")
			out := filepath.Join(dir, "out.xlsx")
			h := newHarness(t)
			if tc.env {
				h.env["PAYWAY_TOKEN"] = token
			}
			code := h.run("run", "-m", mp, "-i", in, "-o", out, "--base-url", srv.URL, "--no-progress")
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(h.stderr.String(), tc.want) {
				t.Errorf("stderr %q\ndoes not say %q", h.stderr.String(), tc.want)
			}
			if n := len(fake.Applied()); n != 0 {
				t.Errorf("the fake received %d rows", n)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a report was written")
			}
		})
	}
}

func TestRejectedTokenStopsWithExit3(t *testing.T) {
	_, srv := fakeServer(t, token)
	in := copySample(t, "payway.csv")
	out := filepath.Join(t.TempDir(), "out.xlsx")
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = "not-the-token"
	code := h.run("run", "-m", "../samples/payway.yaml", "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0", "--no-progress")
	if code != ExitStopped {
		t.Fatalf("exit %d, want %d: %s", code, ExitStopped, h.stderr.String())
	}
	if !strings.Contains(h.stderr.String(), "rejected the credentials") {
		t.Errorf("stderr %q", h.stderr.String())
	}
	if strings.Contains(h.stderr.String()+h.stdout.String(), "not-the-token") {
		t.Error("the token was printed")
	}
	if rows := sheet(t, out, "Results"); len(rows) < 2 {
		t.Error("no report of the rows read")
	}
}

func TestJournalRefusesAccidentalRerunAndResumes(t *testing.T) {
	fake, srv := fakeServer(t, token)
	in := copySample(t, "payway.csv")
	out := filepath.Join(filepath.Dir(in), "out.csv")
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = token
	args := []string{"run", "-m", "../samples/payway.yaml", "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0", "--concurrency", "1", "--no-progress"}
	if code := h.run(args...); code != ExitRowsFailed {
		t.Fatalf("first run: exit %d: %s", code, h.stderr.String())
	}
	sent := len(fake.Applied())
	if code := h.run(args...); code != ExitUsage || !strings.Contains(h.stderr.String(), "--resume") {
		t.Fatalf("second run without --resume: exit %d: %s", code, h.stderr.String())
	}
	if code := h.run(append(args, "--resume")...); code != ExitRowsFailed {
		t.Fatalf("resumed run: exit %d: %s", code, h.stderr.String())
	}
	if len(fake.Applied()) != sent {
		t.Errorf("the resumed run sent %d more rows", len(fake.Applied())-sent)
	}
	b, _ := os.ReadFile(out)
	if n := strings.Count(string(b), ",skipped,"); n != 8 {
		t.Errorf("%d rows skipped on resume, want the 8 applied ones:\n%s", n, b)
	}
}

func TestSummaryJSON(t *testing.T) {
	in := copySample(t, "payway.csv")
	sj := filepath.Join(t.TempDir(), "s.json")
	h := newHarness(t)
	if code := h.run("validate", "-m", "../samples/payway.yaml", "-i", in, "--summary-json", sj); code != ExitRowsFailed {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	var s struct {
		Provider string         `json:"provider"`
		DryRun   bool           `json:"dry_run"`
		Rows     int            `json:"rows"`
		Counts   map[string]int `json:"counts"`
	}
	b, err := os.ReadFile(sj)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Provider != "payway" || !s.DryRun || s.Rows != 14 || s.Counts["valid"] != 9 || s.Counts["invalid"] != 5 {
		t.Errorf("summary %+v", s)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"run"},
		{"run", "-m", "x.yaml"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--concurrency", "0"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--shard", "3/2"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--max-failures", "lots"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--rate", "1e308"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--rate", "fast"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--rate", "auto", "--rate-start", "1e308"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--rate", "auto", "--rate-max", "1e-9"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--metrics-addr", "example.com:9090"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--encoding", "klingon"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--sandbox", "--base-url", "https://x"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/missing.csv"},
		{"run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "-o", "out.pdf"},
		{"run", "--no-such-flag"},
		{"frobnicate"},
	}
	for _, args := range tests {
		h := newHarness(t)
		h.env["PAYWAY_TOKEN"] = token
		if code := h.run(args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, ExitUsage, h.stderr.String())
		}
		if h.stderr.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestSandboxRun(t *testing.T) {
	in := copySample(t, "payway.xlsx")
	h := newHarness(t)
	code := h.run("run", "--sandbox", "--no-progress", "-m", "../samples/payway.yaml", "-i", in)
	if code != ExitRowsFailed {
		t.Fatalf("exit %d: %s %s", code, h.stdout.String(), h.stderr.String())
	}
	report := strings.TrimSuffix(in, ".xlsx") + ".sandbox.xlsx" // a rehearsal never overwrites a real run's report
	rows := sheet(t, report, "Results")
	var st []string
	for _, r := range rows[1:] {
		st = append(st, r[1])
	}
	sort.Strings(st)
	if got := strings.Join(st, " "); got != "failed invalid invalid invalid invalid invalid ok ok ok ok ok ok ok ok" {
		t.Errorf("statuses %s", got)
	}
	if !strings.Contains(h.stdout.String(), "report: ") {
		t.Errorf("stdout %q", h.stdout.String())
	}
	// Running it again just works: a sandbox journal may be started over.
	if code := h.run("run", "--sandbox", "--no-progress", "-m", "../samples/payway.yaml", "-i", in); code != ExitRowsFailed {
		t.Fatalf("second sandbox run: exit %d: %s", code, h.stderr.String())
	}
}

// TestFailedRowsFeedBack feeds the Failed sheet (and the .failed.csv) of a
// report back with the same mapping: the same rows come back, read as they
// were.
func TestFailedRowsFeedBack(t *testing.T) {
	for _, out := range []string{"report.xlsx", "report.csv"} {
		t.Run(out, func(t *testing.T) {
			_, srv := fakeServer(t, token)
			in := copySample(t, "payway.csv")
			out := filepath.Join(filepath.Dir(in), out)
			h := newHarness(t)
			h.env["PAYWAY_TOKEN"] = token
			if code := h.run("run", "-m", "../samples/payway.yaml", "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0", "--concurrency", "1", "--no-progress"); code != ExitRowsFailed {
				t.Fatalf("exit %d: %s", code, h.stderr.String())
			}
			again := []string{"validate", "-m", "../samples/payway.yaml", "-o", filepath.Join(filepath.Dir(in), "again.csv")}
			if strings.HasSuffix(out, ".xlsx") {
				again = append(again, "-i", out, "--sheet", "Failed")
			} else {
				again = append(again, "-i", strings.TrimSuffix(out, ".csv")+".failed.csv")
			}
			if code := h.run(again...); code != ExitRowsFailed {
				t.Fatalf("feeding back: exit %d: %s", code, h.stderr.String())
			}
			b, err := os.ReadFile(filepath.Join(filepath.Dir(in), "again.csv"))
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			// The five invalid rows are invalid again for the same reasons;
			// the row the server refused is valid (the fix is on the server).
			for _, want := range []string{"Mobile (mobile_phone_number)", "Account ID (id)", `31/02/1965`, "Zip (address.zip_code)", `'=HYPERLINK(""http://evil.example"")`} {
				if !strings.Contains(got, want) {
					t.Errorf("fed-back report lacks %q:\n%s", want, got)
				}
			}
			if strings.Count(got, ",invalid,") != 5 || strings.Count(got, ",valid,") != 1 {
				t.Errorf("fed-back statuses:\n%s", got)
			}
			// Failed again, the rows keep one pair of the report's columns,
			// and their row numbers in the first file.
			b, err = os.ReadFile(filepath.Join(filepath.Dir(in), "again.failed.csv"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			if n := strings.Count(lines[0], reports.ColumnReason); n != 1 || !strings.HasSuffix(lines[0], ","+reports.ColumnOriginalRow) {
				t.Errorf("fed back and failed again, the header is %q", lines[0])
			}
			if !strings.HasSuffix(lines[1], ",5") {
				t.Errorf("the first invalid row of payway.csv is row 5; fed back it says %q", lines[1])
			}
		})
	}
}
