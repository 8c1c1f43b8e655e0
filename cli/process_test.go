package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

// TestMain lets the test binary stand in for the acctimport program: run
// with ACCTIMPORT_AS_PROGRAM=1 it is exactly main(), signals included, so
// the tests below can kill and interrupt a real process without building
// one.
func TestMain(m *testing.M) {
	if os.Getenv("ACCTIMPORT_AS_PROGRAM") == "1" {
		// A file size limit plays a full disk for the files the program
		// writes (the process's own, not the machine's).
		if n, err := strconv.ParseUint(os.Getenv("ACCTIMPORT_TEST_FSIZE"), 10, 64); err == nil {
			_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
		}
		os.Exit(Execute())
	}
	os.Exit(m.Run())
}

// program is a real acctimport process.
type program struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
}

// lockedBuffer is a bytes.Buffer that may be read while the process writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startProgram(t *testing.T, tok string, args ...string) *program {
	t.Helper()
	p := &program{cmd: exec.Command(os.Args[0], args...)}
	p.cmd.Env = append(os.Environ(), "ACCTIMPORT_AS_PROGRAM=1", "PAYWAY_TOKEN="+tok)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	return p
}

// wait returns the exit status; -1 for a process killed by a signal.
func (p *program) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitFor polls cond, for at most a minute (a guard against a hung test,
// not a measurement).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}

// bulk writes n valid payway rows and a mapping for them.
func bulk(t *testing.T, n int) (dir, mappingPath, inputPath string) {
	t.Helper()
	dir = t.TempDir()
	var b strings.Builder
	b.WriteString("Account,E-mail,First name\n")
	for i := range n {
		fmt.Fprintf(&b, "%024x,user%d@example.com,Name%d\n", i+1, i, i)
	}
	inputPath = filepath.Join(dir, "accounts.csv")
	mappingPath = filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(inputPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m := "provider: payway\nfields:\n  id: Account\n  email: E-mail\n  first_name: First name\n"
	if err := os.WriteFile(mappingPath, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, mappingPath, inputPath
}

// readReport reads a CSV report: the Status and Message of every row, by
// row number.
func readReport(t *testing.T, path string) (header []string, rows map[string][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]] = r
	}
	return recs[0], rows
}

func column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("report has no %s column: %q", name, header)
	return -1
}

// TestKilledRunResumes kills a real run with SIGKILL in the middle, resumes
// it, and checks the fake's own record: every row applied, none more than
// twice, and only rows that were in flight at the kill applied twice; the
// resumed report covers the whole input.
func TestKilledRunResumes(t *testing.T) {
	const rows, concurrency = 1200, 8
	tok := "kill-test-token"
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	fake.SetFault(func(*http.Request) (payway.Fault, bool) { return payway.Fault{Delay: 2 * time.Millisecond}, true })
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir, m, in := bulk(t, rows)
	out := filepath.Join(dir, "report.csv")
	args := []string{"run", "-m", m, "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0", "--concurrency", fmt.Sprint(concurrency), "--no-progress"}

	first := startProgram(t, tok, args...)
	waitFor(t, "a third of the rows to be applied", func() bool { return len(fake.Applied()) >= rows/3 })
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := first.wait(t); code != -1 {
		t.Fatalf("the first run was not killed: exit %d\n%s", code, first.stderr.String())
	}
	appliedBefore := len(fake.Applied())
	if appliedBefore >= rows {
		t.Fatalf("the first run finished (%d applied) before it was killed; the test proves nothing", appliedBefore)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a killed run left a report behind; reports are written atomically at the end")
	}

	second := startProgram(t, tok, append(args, "--resume")...)
	if code := second.wait(t); code != ExitOK {
		t.Fatalf("resumed run: exit %d\n%s%s", code, second.stdout.String(), second.stderr.String())
	}

	perKey := map[string]int{}
	for _, a := range fake.Applied() {
		perKey[a.Key]++
	}
	twice := 0
	for i := range rows {
		key := fmt.Sprintf("%024x", i+1)
		switch n := perKey[key]; {
		case n == 0:
			t.Errorf("row for %s was never applied", key)
		case n == 2:
			twice++
		case n > 2:
			t.Errorf("row for %s was applied %d times", key, n)
		}
	}
	if twice > concurrency {
		t.Errorf("%d rows were applied twice; at most the %d in flight at the kill may be", twice, concurrency)
	}
	t.Logf("killed after %d of %d rows were applied; %d rows were re-sent after the kill", appliedBefore, rows, twice)

	header, report := readReport(t, out)
	st, msg := column(t, header, "Status"), column(t, header, "Message")
	if len(report) != rows {
		t.Fatalf("the resumed report has %d rows, want %d", len(report), rows)
	}
	skipped := 0
	for _, r := range report {
		switch r[st] {
		case "ok":
		case "skipped":
			skipped++
			if !strings.Contains(r[msg], "already applied by an earlier run") {
				t.Errorf("skipped row %s says %q", r[0], r[msg])
			}
		default:
			t.Errorf("row %s: %s %s", r[0], r[st], r[msg])
		}
	}
	if skipped == 0 || skipped+twice < appliedBefore-concurrency {
		t.Errorf("%d rows skipped as applied by the killed run, which applied %d", skipped, appliedBefore)
	}
}

// TestInterruptFinishesInFlight sends SIGINT once: the run stops reading,
// the requests in flight finish and are reported with their real outcome,
// the rest are skipped, the report and journal are written, and the exit
// status is 130.
func TestInterruptFinishesInFlight(t *testing.T) {
	tok := "sigint-test-token"
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	var started atomic.Int64
	fake.SetFault(func(*http.Request) (payway.Fault, bool) {
		started.Add(1)
		return payway.Fault{Delay: 300 * time.Millisecond}, true
	})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir, m, in := bulk(t, 200)
	out := filepath.Join(dir, "report.csv")
	p := startProgram(t, tok, "run", "-m", m, "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0", "--concurrency", "4", "--no-progress")
	waitFor(t, "requests in flight", func() bool { return started.Load() >= 6 })
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "requests in flight may finish") {
		t.Errorf("stderr: %s", p.stderr.String())
	}
	header, report := readReport(t, out)
	st := column(t, header, "Status")
	applied := map[string]bool{}
	for _, a := range fake.Applied() {
		applied[a.Key] = true
	}
	ok := 0
	for _, r := range report {
		switch r[st] {
		case "ok":
			ok++
			if !applied[r[column(t, header, "Key")]] {
				t.Errorf("row %s reported ok but the fake never applied it", r[0])
			}
		case "skipped":
		default:
			t.Errorf("row %s: %q", r[0], r)
		}
	}
	if ok != len(applied) {
		t.Errorf("%d rows reported ok, the fake applied %d: an interrupted request's outcome was lost", ok, len(applied))
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.journal")); len(matches) != 1 {
		t.Errorf("journal files: %v", matches)
	}
	// The run says how many rows it never reached, and the exact command
	// that goes on; that command applies every row that is left.
	stdout := p.stdout.String()
	if !strings.Contains(stdout, "not reached: ") {
		t.Errorf("stdout does not count the rows not reached:\n%s", stdout)
	}
	i := strings.Index(stdout, "acctimport run ")
	if i < 0 {
		t.Fatalf("no resume command in:\n%s", stdout)
	}
	resume := strings.Fields(strings.TrimPrefix(firstLine(stdout[i:]), "acctimport "))
	if resume[len(resume)-1] != "--resume" {
		t.Fatalf("resume command %q", resume)
	}
	fake.SetFault(nil)
	if code := startProgram(t, tok, resume...).wait(t); code != ExitOK {
		t.Fatalf("the printed resume command: exit %d", code)
	}
	perKey := map[string]int{}
	for _, a := range fake.Applied() {
		perKey[a.Key]++
	}
	if len(perKey) != 200 {
		t.Errorf("%d of 200 accounts applied after the resume", len(perKey))
	}
	for k, n := range perKey {
		if n > 1 {
			t.Errorf("account %s applied %d times", k, n)
		}
	}
}

// TestSecondInterruptAbandons: with requests stuck on a slow server, a
// second SIGINT gives them up at once; the report still lands and names
// them, and a resume would send them again.
func TestSecondInterruptAbandons(t *testing.T) {
	tok := "sigint2-test-token"
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(tok)})
	var started atomic.Int64
	fake.SetFault(func(*http.Request) (payway.Fault, bool) {
		started.Add(1)
		return payway.Fault{Delay: time.Hour}, true
	})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	defer srv.CloseClientConnections()
	dir, m, in := bulk(t, 50)
	out := filepath.Join(dir, "report.csv")
	p := startProgram(t, tok, "run", "-m", m, "-i", in, "-o", out, "--base-url", srv.URL, "--rate", "0", "--concurrency", "3", "--timeout", "1h", "--no-progress")
	waitFor(t, "three requests in flight", func() bool { return started.Load() >= 3 })
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first interrupt to be noticed", func() bool { return strings.Contains(p.stderr.String(), "Interrupt again") })
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", code, ExitInterrupted, p.stderr.String())
	}
	header, report := readReport(t, out)
	st, msg := column(t, header, "Status"), column(t, header, "Message")
	abandoned := 0
	for _, r := range report {
		if r[st] == "failed" && strings.Contains(r[msg], "abandoned in flight") {
			abandoned++
		}
	}
	if abandoned != 3 {
		t.Errorf("%d rows reported abandoned, want the 3 in flight", abandoned)
	}
	if n := len(fake.Applied()); n != 0 {
		t.Errorf("the fake applied %d rows", n)
	}
}
