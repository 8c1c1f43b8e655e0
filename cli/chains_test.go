package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

// TestRehearsalNeverSkipsTheRealRun: the README's rehearsal, run three
// times, gives the same result each time, and the real run of the same file
// in the same folder, with the default names, sends every valid row.
func TestRehearsalNeverSkipsTheRealRun(t *testing.T) {
	in := copySample(t, "payway.xlsx")
	h := newHarness(t)
	for i := range 3 {
		if code := h.run("run", "--sandbox", "--no-progress", "-m", "../samples/payway.yaml", "-i", in); code != ExitRowsFailed {
			t.Fatalf("rehearsal %d: exit %d: %s", i, code, h.stderr.String())
		}
		if got := firstLine(h.stdout.String()); !strings.Contains(got, "ok 8, failed 1, invalid 5; 9 sent") {
			t.Fatalf("rehearsal %d: %s", i, got)
		}
	}
	fake, srv := fakeServer(t, token)
	h.env["PAYWAY_TOKEN"] = token
	if code := h.run("run", "--no-progress", "-m", "../samples/payway.yaml", "-i", in, "--base-url", srv.URL, "--rate", "0"); code != ExitRowsFailed {
		t.Fatalf("real run: exit %d: %s", code, h.stderr.String())
	}
	if got := firstLine(h.stdout.String()); !strings.Contains(got, "ok 8, failed 1, invalid 5; 9 sent") || strings.Contains(got, "skipped") {
		t.Errorf("real run after rehearsals: %s", got)
	}
	// A rehearsal after it leaves the real run's report as it was.
	real := filepath.Join(filepath.Dir(in), "payway.results.xlsx")
	before, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if code := h.run("run", "--sandbox", "--no-progress", "-m", "../samples/payway.yaml", "-i", in); code != ExitRowsFailed {
		t.Fatalf("rehearsal after the run: exit %d: %s", code, h.stderr.String())
	}
	if after, _ := os.ReadFile(real); !bytes.Equal(before, after) {
		t.Error("the rehearsal overwrote the real run's report")
	}
	if n := len(fake.Applied()); n != 8 {
		t.Errorf("the real fake applied %d rows, want 8", n)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestOneRunPerJournal: while a run holds a journal, a second run on it is
// refused before it sends anything, saying who holds it.
func TestOneRunPerJournal(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(token)})
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(started) })
		<-release
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	in := copySample(t, "payway.csv")
	args := []string{"run", "--no-progress", "-m", "../samples/payway.yaml", "-i", in, "--base-url", srv.URL, "--rate", "0"}
	first := newHarness(t)
	first.env["PAYWAY_TOKEN"] = token
	done := make(chan int)
	go func() { done <- first.run(args...) }()
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first run sent nothing")
	}
	second := newHarness(t)
	second.env["PAYWAY_TOKEN"] = token
	code := second.run(append(args, "--resume")...)
	close(release)
	if code != ExitUsage || !strings.Contains(second.stderr.String(), "another run is using the journal") || !strings.Contains(second.stderr.String(), "pid ") {
		t.Errorf("second run: exit %d: %s", code, second.stderr.String())
	}
	if code := <-done; code != ExitRowsFailed {
		t.Errorf("first run: exit %d: %s", code, first.stderr.String())
	}
	if n := len(fake.Applied()); n != 8 {
		t.Errorf("applied %d rows, want each valid row once (8)", n)
	}
}

// TestOutputsNeverOverwriteInputs: no report file, sidecar, journal or
// summary may be the input, the mapping or another output.
func TestOutputsNeverOverwriteInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sample, err := os.ReadFile("../samples/payway.csv")
	if err != nil {
		t.Fatal(err)
	}
	summaryIn := write("x.summary.csv", string(sample))
	failedIn := write("accounts.failed.csv", string(sample))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"summary sidecar over the input", []string{"-i", summaryIn, "-o", filepath.Join(dir, "x.csv")}, "which is the input"},
		{"failed sidecar over the fed-back input", []string{"-i", failedIn, "-o", filepath.Join(dir, "accounts.csv")}, "which is the input"},
		{"report over the input", []string{"-i", failedIn, "-o", failedIn}, "which is the input"},
		{"journal over the input", []string{"-i", failedIn, "--journal", failedIn}, "which is the input"},
		{"summary JSON over the report", []string{"-i", failedIn, "-o", filepath.Join(dir, "r.csv"), "--summary-json", filepath.Join(dir, "r.csv")}, "would both write"},
		{"journal over the mapping", []string{"-i", failedIn, "--journal", "../samples/payway.yaml"}, "which is the mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.env["PAYWAY_TOKEN"] = token
			code := h.run(append([]string{"run", "--no-progress", "-m", "../samples/payway.yaml", "--base-url", "http://127.0.0.1:1"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(h.stderr.String(), tc.want) {
				t.Errorf("exit %d: %s", code, h.stderr.String())
			}
		})
	}
	for _, p := range []string{summaryIn, failedIn} {
		if b, _ := os.ReadFile(p); string(b) != string(sample) {
			t.Errorf("%s was changed", p)
		}
	}
}

// TestConcurrencyIsBounded: an absurd --concurrency is a usage error, not an
// out-of-memory crash.
func TestConcurrencyIsBounded(t *testing.T) {
	for _, c := range []string{"0", "1025", "1000000000"} {
		h := newHarness(t)
		h.env["PAYWAY_TOKEN"] = token
		code := h.run("run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--concurrency", c)
		if code != ExitUsage || !strings.Contains(h.stderr.String(), "from 1 to 1024") {
			t.Errorf("--concurrency %s: exit %d: %s", c, code, h.stderr.String())
		}
	}
}

func TestVersion(t *testing.T) {
	h := newHarness(t)
	if code := h.run("--version"); code != ExitOK || !strings.HasPrefix(h.stdout.String(), "acctimport ") || !strings.Contains(h.stdout.String(), "go1.") {
		t.Errorf("exit %d: %q", code, h.stdout.String())
	}
}

// TestTwoKeysOnOneAccountStop: FinerWorks applies an account key its app
// key may not use to the app key's own account and says success; two keys
// answered with one account stop the run (exit 3) and say what happened.
func TestTwoKeysOnOneAccountStop(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "keys.csv")
	m := filepath.Join(dir, "fw.yaml")
	rows := "Account Key,Company\nFW-1,One\nforeign-1001,Two\nFW-3,Three\nforeign-1002,Four\nFW-5,Five\nFW-6,Six\n"
	if err := os.WriteFile(in, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m, []byte("provider: finerworks\nfields:\n  account_key: Account Key\n  business_info.company_name: Company\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	code := h.run("run", "--sandbox", "--no-progress", "--concurrency", "1", "-m", m, "-i", in, "-o", filepath.Join(dir, "out.csv"))
	out := h.stdout.String() + h.stderr.String()
	if code != ExitStopped || !strings.Contains(out, `"foreign-1001" (row 3)`) || !strings.Contains(out, `"foreign-1002" (row 5)`) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	_, report := readReport(t, filepath.Join(dir, "out.csv"))
	if st := report["5"][1]; st != "failed" {
		t.Errorf("the row that landed on the other key's account is %s", st)
	}
	for _, r := range []string{"6", "7"} {
		if st := report[r][1]; st == "ok" {
			t.Errorf("row %s was sent after the stop", r)
		}
	}
}

// TestUserapiNeedsABaseURL: userapi's document names no real host, so a
// run without base_url is refused before anything is sent, and says where
// to put it.
func TestUserapiNeedsABaseURL(t *testing.T) {
	h := newHarness(t)
	h.env["USERAPI_KEY"] = "in-e2e-key"
	code := h.run("run", "--no-progress", "-m", "../samples/userapi.yaml", "-i", copySample(t, "userapi.csv"))
	if code != ExitUsage || !strings.Contains(h.stderr.String(), "set base_url in ../samples/userapi.yaml (or pass --base-url)") {
		t.Errorf("exit %d: %s", code, h.stderr.String())
	}
}

// TestReportThatCannotBeWritten: every row was sent, then the report could
// not be written (a full disk). The run says so instead of naming a report
// that is not there, exits 3 (not 2: rows were sent), and the command it
// prints writes the report without sending anything again.
func TestReportThatCannotBeWritten(t *testing.T) {
	tok := "full-disk-token"
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Account,E-mail,Notes\n")
	noise := make([]byte, 3000)
	rng := rand.New(rand.NewPCG(1, 2)) // text that does not compress
	for i := range 200 {
		for j := range noise {
			noise[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[rng.IntN(36)]
		}
		fmt.Fprintf(&b, "%024x,user%d@example.com,%s\n", i+1, i, noise)
	}
	in := filepath.Join(dir, "accounts.csv")
	m := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m, []byte("provider: payway\nfields:\n  id: Account\n  email: E-mail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--no-progress", "-m", m, "-i", in, "--base-url", srv.URL, "--rate", "0"}
	p := startProgramEnv(t, map[string]string{"PAYWAY_TOKEN": tok, "ACCTIMPORT_TEST_FSIZE": "100000"}, args...)
	if code := p.wait(t); code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitStopped, p.stdout.String(), p.stderr.String())
	}
	if out := p.stdout.String(); !strings.Contains(out, "report: NOT written") || strings.Contains(out, "report: "+filepath.Join(dir, "accounts.results.xlsx")) {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(p.stderr.String(), "the rows sent are in the journal") {
		t.Errorf("stderr: %s", p.stderr.String())
	}
	if n := len(fake.Applied()); n != 200 {
		t.Fatalf("applied %d", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "accounts.results.xlsx")); err == nil {
		t.Error("a report is there")
	}
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = tok
	if code := h.run(append(args, "--resume")...); code != ExitOK {
		t.Fatalf("the resume: exit %d: %s", code, h.stderr.String())
	}
	if n := len(fake.Applied()); n != 200 {
		t.Errorf("the resume sent %d rows again", n-200)
	}
	if rows := sheet(t, filepath.Join(dir, "accounts.results.xlsx"), "Results"); len(rows) != 201 {
		t.Errorf("the report written by the resume has %d rows", len(rows)-1)
	}
}

// TestBaseURLNeverEchoesAKey: a key put in --base-url's query or user
// information is refused without being printed.
func TestBaseURLNeverEchoesAKey(t *testing.T) {
	const key = "in-SuperSecretKeyQzXwVb"
	for _, base := range []string{"http://127.0.0.1:1/x?token=" + key, "https://user:" + key + "@example.com/x", "http://127.0.0.1:1/x#" + key} {
		h := newHarness(t)
		h.env["PAYWAY_TOKEN"] = token
		code := h.run("run", "-m", "../samples/payway.yaml", "-i", "../samples/payway.csv", "--base-url", base)
		out := h.stdout.String() + h.stderr.String()
		if code != ExitUsage || strings.Contains(out, key[3:7]) {
			t.Errorf("--base-url %s: exit %d: %s", base, code, out)
		}
	}
}

// TestAnswerForAnotherAccountStops: Payway answers with the id of the
// account it updated; an answer naming another account than the row's means
// the wrong customer was changed, and the run stops at once.
func TestAnswerForAnotherAccountStops(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"000000000000000000000000","updated_fields":"email","not_updated_fields":""}`))
	}))
	t.Cleanup(srv.Close)
	dir, m, in := bulk(t, 50)
	h := newHarness(t)
	h.env["PAYWAY_TOKEN"] = token
	code := h.run("run", "--no-progress", "-m", m, "-i", in, "-o", filepath.Join(dir, "out.csv"), "--base-url", srv.URL, "--rate", "0", "--concurrency", "1")
	if code != ExitStopped || !strings.Contains(h.stderr.String(), `with account "000000000000000000000000": it changed another account than the row asked for`) {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	if n := hits.Load(); n > 2 {
		t.Errorf("%d requests after the first wrong answer", n-1)
	}
	_, report := readReport(t, filepath.Join(dir, "out.csv"))
	if st := report["2"][1]; st != "failed" {
		t.Errorf("the row answered for another account is %s", st)
	}
}

// TestFIFOsAreRefused: a FIFO named as the input, the mapping or the journal
// is refused at once (opening one would block for good, deaf to signals),
// and so is a journal path that is a link.
func TestFIFOsAreRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.csv")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	link := filepath.Join(dir, "link.journal")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err != nil {
		t.Fatal(err)
	}
	in := copySample(t, "payway.csv")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "-m", "../samples/payway.yaml", "-i", fifo}, "a FIFO"},
		{[]string{"validate", "-m", fifo, "-i", in}, "a FIFO"},
		{[]string{"run", "--sandbox", "-m", "../samples/payway.yaml", "-i", in, "--journal", fifo}, "a FIFO"},
		{[]string{"run", "--sandbox", "-m", "../samples/payway.yaml", "-i", in, "--journal", link}, "symbolic link"},
	} {
		h := newHarness(t)
		done := make(chan int, 1)
		go func() { done <- h.run(append(tc.args, "--no-progress")...) }()
		select {
		case code := <-done:
			if code != ExitUsage || !strings.Contains(h.stderr.String(), tc.want) {
				t.Errorf("%v: exit %d: %s", tc.args, code, h.stderr.String())
			}
		case <-time.After(time.Minute):
			t.Fatalf("%v blocked on a FIFO", tc.args)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); err == nil {
		t.Error("the journal was written through the link")
	}
}
