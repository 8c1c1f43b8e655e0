package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/internal/cell"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/pace"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/reports"
)

// stubProvider sends {"id": ..., "n": ...} as JSON; its answers are what
// the test server says.
type stubProvider struct{}

type stubOptions struct{}

func (*stubOptions) Validate() error { return nil }

var stubTable = providers.NewTable(
	providers.Field{Path: "id", Type: providers.String, Required: true, Rules: []providers.Rule{providers.Match(`^[a-z0-9]+$`)}},
	providers.Field{Path: "n", Type: providers.String},
)

func (stubProvider) Info() providers.Info {
	return providers.Info{Name: "stub", Key: "id", Credentials: []providers.Credential{{Env: "STUB_KEY"}}}
}
func (stubProvider) Table() *providers.Table       { return stubTable }
func (stubProvider) NewOptions() providers.Options { return &stubOptions{} }
func (stubProvider) Encode(p map[string]any, _ providers.Options) (*providers.Request, error) {
	b, err := json.Marshal(p)
	return &providers.Request{Method: http.MethodPut, Path: "/accounts", ContentType: "application/json", Body: b}, err
}
func (stubProvider) Authorize(r *http.Request, c providers.Credentials) {
	r.Header.Set("X-Key", c["STUB_KEY"].Reveal())
}
func (stubProvider) Read(status int, h http.Header, body []byte, _ providers.Options) providers.Answer {
	if status == http.StatusMultiStatus {
		return providers.Answer{Outcome: providers.Partial, Message: "some fields not updated"}
	}
	return providers.Answer{
		Message:   providers.ErrorMessage(body),
		Account:   h.Get("X-Account"),
		AccountID: strings.TrimSpace(strings.Split(h.Get("X-Account"), "(")[0]),
		Fatal:     status == http.StatusNotFound && strings.Contains(string(body), "method not found"),
	}
}
func (stubProvider) NewFake(providers.Credentials) providers.Fake { return nil }

// sliceReader is an input.Reader over rows of "id,n".
type sliceReader struct {
	rows []input.Record
	i    int
}

func (r *sliceReader) Header() []string { return []string{"ID", "N"} }
func (r *sliceReader) Next() (input.Record, error) {
	if r.i >= len(r.rows) {
		return input.Record{}, io.EOF
	}
	r.i++
	return r.rows[r.i-1], nil
}
func (r *sliceReader) Close() error { return nil }

func rowsOf(ids ...string) *sliceReader {
	r := &sliceReader{}
	for i, id := range ids {
		r.rows = append(r.rows, input.Record{Line: i + 2, Cells: []string{id, fmt.Sprint(i)}})
	}
	return r
}

// memReport keeps what was written.
type memReport struct {
	mu   sync.Mutex
	rows []reports.Row
}

func (m *memReport) Write(r *reports.Row) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows = append(m.rows, *r)
	return nil
}
func (m *memReport) Close(*reports.Summary) error { return nil }

func plan(t *testing.T) *mapping.Plan {
	t.Helper()
	m, err := mapping.Parse("m.yaml", []byte("provider: stub\nfields:\n  id: ID\n  n: N\n"), providers.NewRegistry(stubProvider{}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Compile([]string{"ID", "N"}, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const secret = "s3cr3t-key"

var testOwner = JournalOwner{Destination: Destination{Provider: "stub", BaseURL: "https://api.example.test"}, MappingSum: "abc", Input: "in.csv"}

// server answers with handle, after checking the key, and counts requests
// per account id.
type server struct {
	*httptest.Server
	mu       sync.Mutex
	received map[string]int
	order    []string
	inFlight map[string]int
	overlap  atomic.Bool
}

func newServer(t *testing.T, handle func(w http.ResponseWriter, id string, attempt int)) *server {
	s := &server{received: map[string]int{}, inFlight: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Key") != secret {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body struct{ ID, N string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		s.received[body.ID]++
		n := s.received[body.ID]
		s.order = append(s.order, body.ID+"/"+body.N)
		s.inFlight[body.ID]++
		if s.inFlight[body.ID] > 1 {
			s.overlap.Store(true)
		}
		s.mu.Unlock()
		handle(w, body.ID, n)
		s.mu.Lock()
		s.inFlight[body.ID]--
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func exchange(t *testing.T, s *server, key string) *providers.Exchange {
	u, _ := url.Parse(s.URL)
	return &providers.Exchange{
		Provider: stubProvider{}, Client: s.Client(), BaseURL: u,
		Creds: providers.Credentials{"STUB_KEY": providers.NewSecret(key)}, Options: &stubOptions{},
		Timeout: 2 * time.Second,
	}
}

func noWait(int) time.Duration { return time.Millisecond }

func statuses(rows []reports.Row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d:%s ", r.Line, r.Status)
	}
	return strings.TrimSpace(b.String())
}

func TestRunSendsEachValidRowOnceInOrder(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, id string, _ int) {
		if id == "slow" {
			time.Sleep(50 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	})
	out := &memReport{}
	in := rowsOf("slow", "a", "BAD!", "b", "c", "d")
	res, err := Run(context.Background(), plan(t), in, out, exchange(t, s, secret), Options{Concurrency: 4, Backoff: noWait})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(out.rows), "2:ok 3:ok 4:invalid 5:ok 6:ok 7:ok"; got != want {
		t.Errorf("report %q, want %q (input order)", got, want)
	}
	if msg := out.rows[2].Message; msg != `ID (id): "BAD!" is not accepted; stub takes values matching ^[a-z0-9]+$.` {
		t.Errorf("invalid message %q", msg)
	}
	if len(out.rows[2].Issues) != 1 || out.rows[2].Issues[0].Column != 0 {
		t.Errorf("issues %+v", out.rows[2].Issues)
	}
	for _, id := range []string{"slow", "a", "b", "c", "d"} {
		if s.received[id] != 1 {
			t.Errorf("%s received %d times", id, s.received[id])
		}
	}
	if s.received["BAD!"] != 0 {
		t.Error("an invalid row was sent")
	}
	if res.Counts[reports.StatusOK] != 5 || res.Counts[reports.StatusInvalid] != 1 || res.Total != 6 {
		t.Errorf("counts %v total %d", res.Counts, res.Total)
	}
}

func TestRunRetries(t *testing.T) {
	tests := []struct {
		name     string
		answers  []int // per attempt; the last repeats
		retries  int
		status   reports.Status
		attempts int
		http     int
	}{
		{"429 then ok", []int{429, 200}, 5, reports.StatusOK, 2, 200},
		{"5xx then ok", []int{500, 502, 503, 504, 200}, 5, reports.StatusOK, 5, 200},
		{"408 then ok", []int{408, 200}, 5, reports.StatusOK, 2, 200},
		{"501 is not retried", []int{501}, 5, reports.StatusFailed, 1, 501},
		{"400 is not retried", []int{400}, 5, reports.StatusFailed, 1, 400},
		{"404 is not retried", []int{404}, 5, reports.StatusFailed, 1, 404},
		{"gives up", []int{503}, 2, reports.StatusFailed, 3, 503},
		{"207 is partial", []int{207}, 5, reports.StatusPartial, 1, 207},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, _ string, n int) {
				code := tc.answers[min(n, len(tc.answers))-1]
				if code >= 400 {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(code)
					fmt.Fprintf(w, `{"error": "answer %d"}`, code)
					return
				}
				w.WriteHeader(code)
			})
			out := &memReport{}
			_, err := Run(context.Background(), plan(t), rowsOf("a"), out, exchange(t, s, secret), Options{Retries: tc.retries, Backoff: noWait})
			if err != nil {
				t.Fatal(err)
			}
			r := out.rows[0]
			if r.Status != tc.status || r.Attempts != tc.attempts || r.HTTPStatus != tc.http {
				t.Errorf("got %s after %d attempts (HTTP %d): %s; want %s after %d (HTTP %d)", r.Status, r.Attempts, r.HTTPStatus, r.Message, tc.status, tc.attempts, tc.http)
			}
			if r.Status == reports.StatusFailed && !strings.Contains(r.Message, "answer") {
				t.Errorf("message %q does not carry the server's", r.Message)
			}
		})
	}
}

func TestRunHonoursRetryAfter(t *testing.T) {
	var first time.Time
	var gap time.Duration
	s := newServer(t, func(w http.ResponseWriter, _ string, n int) {
		if n == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		gap = time.Since(first)
		w.WriteHeader(http.StatusOK)
	})
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), rowsOf("a"), out, exchange(t, s, secret), Options{Retries: 3, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	if out.rows[0].Status != reports.StatusOK || gap < 900*time.Millisecond {
		t.Errorf("status %s, retried after %v; want ok after about 1s", out.rows[0].Status, gap)
	}
}

func TestRunTimeoutIsRetried(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, n int) {
		if n == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		w.WriteHeader(http.StatusOK)
	})
	ex := exchange(t, s, secret)
	ex.Timeout = 100 * time.Millisecond
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), rowsOf("a"), out, ex, Options{Retries: 2, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	if r := out.rows[0]; r.Status != reports.StatusOK || r.Attempts != 2 {
		t.Errorf("got %s after %d attempts: %s", r.Status, r.Attempts, r.Message)
	}
}

func TestRunSameKeyNeverInFlightTogether(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) {
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	out := &memReport{}
	in := rowsOf("a", "a", "b", "a", "c")
	if _, err := Run(context.Background(), plan(t), in, out, exchange(t, s, secret), Options{Concurrency: 8, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	if s.overlap.Load() {
		t.Error("two rows with the same key were in flight together")
	}
	var aOrder []string
	for _, o := range s.order {
		if strings.HasPrefix(o, "a/") {
			aOrder = append(aOrder, o)
		}
	}
	if strings.Join(aOrder, " ") != "a/0 a/1 a/3" {
		t.Errorf("rows of key a applied in order %v", aOrder)
	}
	if !strings.Contains(out.rows[1].Message, "applied after row 2") || !strings.Contains(out.rows[3].Message, "applied after row 3") {
		t.Errorf("messages %q, %q", out.rows[1].Message, out.rows[3].Message)
	}
}

func TestRunStopsOnRejectedCredentials(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i)
	}
	out := &memReport{}
	_, err := Run(context.Background(), plan(t), rowsOf(ids...), out, exchange(t, s, "wrong-key"), Options{Concurrency: 4, Backoff: noWait})
	var se *StopError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "rejected the credentials") {
		t.Fatalf("err %v, want a StopError about credentials", err)
	}
	s.mu.Lock()
	sent := len(s.order)
	s.mu.Unlock()
	if sent != 0 {
		t.Errorf("the server applied %d rows", sent)
	}
	if len(out.rows) > 20 {
		t.Errorf("%d rows reported; the run should stop after a handful", len(out.rows))
	}
	if strings.Contains(fmt.Sprint(out.rows), "wrong-key") {
		t.Error("the key appears in the report")
	}
}

func TestRunMaxFailures(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusBadRequest) })
	ids := make([]string, 50)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i)
	}
	out := &memReport{}
	_, err := Run(context.Background(), plan(t), rowsOf(ids...), out, exchange(t, s, secret), Options{Concurrency: 1, MaxFailures: Threshold{N: 3}, Backoff: noWait})
	var se *StopError
	if !errors.As(err, &se) {
		t.Fatalf("err %v, want StopError", err)
	}
	if len(s.order) > 5 {
		t.Errorf("%d rows sent after 3 failures", len(s.order))
	}
}

func TestRunDryRunSendsNothing(t *testing.T) {
	out := &memReport{}
	res, err := Run(context.Background(), plan(t), rowsOf("a", "B!", "c"), out, nil, Options{DryRun: true, Payloads: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(out.rows); got != "2:valid 3:invalid 4:valid" {
		t.Errorf("report %q", got)
	}
	if out.rows[0].Payload != `{"id":"a","n":"0"}` {
		t.Errorf("payload %q", out.rows[0].Payload)
	}
	if res.Counts[reports.StatusValid] != 2 {
		t.Errorf("counts %v", res.Counts)
	}
}

func TestRunInterruptedReportsWhatWasRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, id string, _ int) {
		if id == "r0" {
			cancel()
			<-release
		}
		w.WriteHeader(http.StatusOK)
	})
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i)
	}
	out := &memReport{}
	go func() { time.Sleep(100 * time.Millisecond); close(release) }()
	_, err := Run(ctx, plan(t), rowsOf(ids...), out, exchange(t, s, secret), Options{Concurrency: 2, Backoff: noWait})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if len(out.rows) == 0 || out.rows[0].Status != reports.StatusOK {
		t.Fatalf("the in-flight row was not let finish: %v", statuses(out.rows))
	}
	if len(out.rows) == 100 {
		t.Error("reading went on after the interrupt")
	}
	for i, r := range out.rows {
		if r.Line != i+2 {
			t.Fatalf("report has a gap at %d: %s", i, statuses(out.rows))
		}
	}
}

func TestRunRateLimit(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	ids := make([]string, 11)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%d", i)
	}
	start := time.Now()
	if _, err := Run(context.Background(), plan(t), rowsOf(ids...), &memReport{}, exchange(t, s, secret), Options{Concurrency: 8, Pacer: pace.NewFixed(50, 1), Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	// 11 requests at 50/s with burst 1 take at least 10 intervals of 20 ms.
	// Only the lower bound is checked: a slow machine may take longer.
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("11 requests at 50/s took %v", d)
	}
}

func TestShardsCoverEveryRowOnce(t *testing.T) {
	const rows, n = 103, 4
	// Accounts repeat (every row of one account must land on one shard), and
	// some rows have no key (broken rows go by their index).
	keyOf := func(r int) string {
		if r%10 == 7 {
			return ""
		}
		return fmt.Sprintf("acct-%d", r%17)
	}
	seen := make([]int, rows)
	shardOf := map[string]int{}
	for i := 0; i < n; i++ {
		s, err := ParseShard(fmt.Sprintf("%d/%d", i, n))
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < rows; r++ {
			if !s.Has(keyOf(r), r) {
				continue
			}
			seen[r]++
			if k := keyOf(r); k != "" {
				if prev, ok := shardOf[k]; ok && prev != i {
					t.Errorf("account %s is on shards %d and %d", k, prev, i)
				}
				shardOf[k] = i
			}
		}
	}
	for r, c := range seen {
		if c != 1 {
			t.Fatalf("row %d is in %d shards", r, c)
		}
	}
	used := map[int]bool{}
	for _, sh := range shardOf {
		used[sh] = true
	}
	if len(used) < 3 {
		t.Errorf("17 accounts landed on only %d of %d shards", len(used), n)
	}
	for _, bad := range []string{"4/4", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// TestRunShardsByAccount: a run of one shard takes every row of its
// accounts, in order, and no row of another shard's.
func TestRunShardsByAccount(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	ids := []string{"a", "b", "c", "a", "d", "b", "a", "e", "c", "f"}
	all := map[string]int{}
	for i := 0; i < 3; i++ {
		sh, _ := ParseShard(fmt.Sprintf("%d/3", i))
		out := &memReport{}
		if _, err := Run(context.Background(), plan(t), rowsOf(ids...), out, exchange(t, s, secret), Options{Shard: sh, Concurrency: 4, Backoff: noWait}); err != nil {
			t.Fatal(err)
		}
		for _, r := range out.rows {
			if !sh.Has(r.Key, 0) {
				t.Errorf("shard %s took account %s", sh, r.Key)
			}
			all[r.Key]++
		}
	}
	for _, id := range ids {
		if all[id] != strings.Count(strings.Join(ids, ""), id) {
			t.Errorf("account %s: %d rows reported over all shards", id, all[id])
		}
	}
}

func TestThreshold(t *testing.T) {
	tests := []struct {
		in           string
		failed, done int
		want         bool
	}{
		{"3", 2, 10, false}, {"3", 3, 10, true},
		{"10%", 50, 99, false}, {"10%", 10, 100, true}, {"10%", 9, 100, false},
		{"", 1000, 1000, false},
	}
	for _, tc := range tests {
		th, err := ParseThreshold(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Reached(tc.failed, tc.done); got != tc.want {
			t.Errorf("%q Reached(%d, %d) = %v", tc.in, tc.failed, tc.done, got)
		}
	}
	for _, bad := range []string{"0", "x", "101%", "-2"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
}

func TestJournalResumeSkipsAppliedRows(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	path := filepath.Join(t.TempDir(), "run.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), plan(t), rowsOf("a", "b"), &memReport{}, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(path, testOwner, false); !errors.Is(err, ErrJournalExists) {
		t.Fatalf("reopening without resume: %v", err)
	}
	j, err = OpenJournal(path, testOwner, true)
	if err != nil {
		t.Fatal(err)
	}
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), rowsOf("a", "b", "c"), out, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	if got := statuses(out.rows); got != "2:skipped 3:skipped 4:ok" {
		t.Errorf("resumed report %q", got)
	}
	if s.received["a"] != 1 || s.received["b"] != 1 || s.received["c"] != 1 {
		t.Errorf("received %v", s.received)
	}
}

// abaRows updates account x to old, new, then old again.
func abaRows() *sliceReader {
	return &sliceReader{rows: []input.Record{
		{Line: 2, Cells: []string{"x", "old"}},
		{Line: 3, Cells: []string{"x", "new"}},
		{Line: 4, Cells: []string{"x", "old"}},
	}}
}

// TestJournalResumesABA: an account updated old -> new -> old, stopped after
// two rows, resumes with the third: the journal knows a row by its
// occurrence of (key, payload), not by the pair alone.
func TestJournalResumesABA(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	path := filepath.Join(t.TempDir(), "run.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), plan(t), abaRows(), &memReport{}, exchange(t, s, secret), Options{Journal: j, Limit: 2, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	j, err = OpenJournal(path, testOwner, true)
	if err != nil {
		t.Fatal(err)
	}
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), abaRows(), out, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	if got := statuses(out.rows); got != "2:skipped 3:skipped 4:ok" {
		t.Errorf("resumed report %q", got)
	}
	if got := strings.Join(s.order, " "); got != "x/old x/new x/old" {
		t.Errorf("the server saw %q; the account must end at old", got)
	}
}

// TestJournalWithoutResumeNeverSkips: a sandbox rehearsal's journal at the
// same path never makes a run skip a row, and a journal of a real run that
// sent nothing is simply started over.
func TestJournalWithoutResumeNeverSkips(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	path := filepath.Join(t.TempDir(), "run.journal")
	sandbox := testOwner
	sandbox.Sandbox = true
	for range 3 { // the README's rehearsal, run again and again
		j, err := OpenJournal(path, sandbox, false)
		if err != nil {
			t.Fatal(err)
		}
		out := &memReport{}
		if _, err := Run(context.Background(), plan(t), rowsOf("a", "b"), out, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
			t.Fatal(err)
		}
		_ = j.Close()
		if got := statuses(out.rows); got != "2:ok 3:ok" {
			t.Fatalf("rehearsal: %q", got)
		}
	}
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatalf("a real run over a sandbox journal: %v", err)
	}
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), rowsOf("a", "b"), out, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	if got := statuses(out.rows); got != "2:ok 3:ok" {
		t.Errorf("the real run after rehearsals: %q", got)
	}
	if s.received["a"] != 4 || s.received["b"] != 4 {
		t.Errorf("received %v", s.received)
	}
}

// breakJournal makes every later write to j fail, as a full disk does.
func breakJournal(t *testing.T, j *Journal) {
	t.Helper()
	if err := j.f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestJournalWriteFailureStops: when the journal cannot be written the run
// stops sending at once (a resume could not account for what it sends),
// and the rows sent but not journaled are marked.
func TestJournalWriteFailureStops(t *testing.T) {
	var sent atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { sent.Add(1); w.WriteHeader(http.StatusOK) })
	j, err := OpenJournal(filepath.Join(t.TempDir(), "run.journal"), testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	breakJournal(t, j)
	ids := make([]string, 500)
	for i := range ids {
		ids[i] = fmt.Sprintf("k%d", i)
	}
	out := &memReport{}
	res, err := Run(context.Background(), plan(t), rowsOf(ids...), out, exchange(t, s, secret), Options{Journal: j, Concurrency: 4, Backoff: noWait})
	var se *StopError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "journal cannot be written") {
		t.Fatalf("err = %v, want a stop naming the journal", err)
	}
	if n := sent.Load(); n > 8 {
		t.Errorf("%d rows were sent after the journal broke; want at most the requests in flight", n)
	}
	marked := 0
	for _, r := range out.rows {
		if strings.Contains(r.Message, "not recorded in the journal") {
			marked++
		}
	}
	if int64(marked) != sent.Load() || res.Unjournaled != marked {
		t.Errorf("%d rows sent, %d marked, Unjournaled %d", sent.Load(), marked, res.Unjournaled)
	}
	if res.NotReached == 0 {
		t.Error("the rows never reached are not counted")
	}
	if res.Total+res.NotReached != len(ids) {
		t.Errorf("%d reported + %d not reached != %d rows", res.Total, res.NotReached, len(ids))
	}
}

func TestRunSkipsExactDuplicateOfTheRowBefore(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	in := &sliceReader{rows: []input.Record{
		{Line: 2, Cells: []string{"a", "1"}},
		{Line: 3, Cells: []string{"a", "1"}}, // pasted twice: skipped
		{Line: 4, Cells: []string{"a", "2"}}, // a change: sent
		{Line: 5, Cells: []string{"a", "1"}}, // changes it back: sent
	}}
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), in, out, exchange(t, s, secret), Options{Concurrency: 4, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	if got := statuses(out.rows); got != "2:ok 3:skipped 4:ok 5:ok" {
		t.Errorf("report %q", got)
	}
	if !strings.Contains(out.rows[1].Message, "duplicate of row 2") {
		t.Errorf("message %q", out.rows[1].Message)
	}
	if s.received["a"] != 3 {
		t.Errorf("sent %d times, want 3", s.received["a"])
	}
}

// TestRunRetryAfterTooLongFailsTheRow: a server asking to wait for years
// fails the row at once with its wait in the message, instead of stalling
// the run.
func TestRunRetryAfterTooLongFailsTheRow(t *testing.T) {
	for _, after := range []string{"315360000", time.Now().AddDate(10, 0, 0).UTC().Format(http.TimeFormat)} {
		s := newServer(t, func(w http.ResponseWriter, _ string, _ int) {
			w.Header().Set("Retry-After", after)
			w.WriteHeader(http.StatusTooManyRequests)
		})
		out := &memReport{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = Run(context.Background(), plan(t), rowsOf("a"), out, exchange(t, s, secret), Options{Retries: 5, Backoff: noWait})
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("Retry-After %s stalled the run", after)
		}
		r := out.rows[0]
		if r.Status != reports.StatusFailed || r.Attempts != 1 || !strings.Contains(r.Message, "asks to wait 36") || !strings.Contains(r.Message, "days") {
			t.Errorf("Retry-After %s: %s after %d attempts: %q", after, r.Status, r.Attempts, r.Message)
		}
	}
}

// TestRunStopsWhenTwoKeysLandOnOneAccount: a provider that answers two
// account keys with the same account changed the wrong customer; the run
// stops at once.
func TestRunStopsWhenTwoKeysLandOnOneAccount(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, id string, _ int) {
		account := "1" + id + " (" + id + ")"
		if id == "owner" || id == "c" || id == "d" { // the app key's own, and keys it may not use
			account = "7 (owner)"
		}
		w.Header().Set("X-Account", account)
		w.WriteHeader(http.StatusOK)
	})
	out := &memReport{}
	_, err := Run(context.Background(), plan(t), rowsOf("a", "b", "owner", "c", "d", "e", "f"), out, exchange(t, s, secret), Options{Concurrency: 1, Backoff: noWait})
	var se *StopError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, `"owner"`) || !strings.Contains(se.Reason, `"c"`) || !strings.Contains(se.Reason, "7 (owner)") {
		t.Fatalf("err = %v", err)
	}
	if got := statuses(out.rows); !strings.HasPrefix(got, "2:ok 3:ok 4:ok 5:failed") {
		t.Errorf("report %q", got)
	}
	if !strings.Contains(out.rows[0].Message, "applied to account 1a (a)") {
		t.Errorf("message %q", out.rows[0].Message)
	}
	if s.received["e"]+s.received["f"] > 0 {
		t.Errorf("rows were sent after the clash: %v", s.received)
	}
}

// TestRunStopsOnFatalAnswer: an answer the provider marks as fatal (a wrong
// base URL's "API method not found") stops the run like 401.
func TestRunStopsOnFatalAnswer(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"error": "API method not found"}`)
	})
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("k%d", i)
	}
	out := &memReport{}
	_, err := Run(context.Background(), plan(t), rowsOf(ids...), out, exchange(t, s, secret), Options{Concurrency: 2, Backoff: noWait})
	var se *StopError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "no row can succeed") {
		t.Fatalf("err = %v", err)
	}
	sent := 0
	for _, n := range s.received {
		sent += n
	}
	if sent > 4 {
		t.Errorf("%d requests after a fatal answer", sent)
	}
}

// TestResumeAfterAnEditKeepsTheLastRowLast: an account updated twice, both
// applied; the mapping is edited so that only the first row's payload
// changes. The resume sends the first again, and so the second must follow
// it, or the account ends on the first row's values.
func TestResumeAfterAnEditKeepsTheLastRowLast(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	rows := func() *sliceReader {
		return &sliceReader{rows: []input.Record{{Line: 2, Cells: []string{"x", "anna"}}, {Line: 3, Cells: []string{"x", "BOB"}}}}
	}
	path := filepath.Join(t.TempDir(), "run.journal")
	j, err := OpenJournal(path, testOwner, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), plan(t), rows(), &memReport{}, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	edited, err := mapping.Parse("m.yaml", []byte("provider: stub\nfields:\n  id: ID\n  n: {column: N, transform: [upper]}\n"), providers.NewRegistry(stubProvider{}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := edited.Compile([]string{"ID", "N"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if j, err = OpenJournal(path, testOwner, true); err != nil {
		t.Fatal(err)
	}
	out := &memReport{}
	if _, err := Run(context.Background(), p, rows(), out, exchange(t, s, secret), Options{Journal: j, Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	if got := statuses(out.rows); got != "2:ok 3:ok" || !strings.Contains(out.rows[1].Message, "row 2 of the same account was sent in this run") {
		t.Errorf("resumed: %s, %q", got, out.rows[1].Message)
	}
	if last := s.order[len(s.order)-1]; last != "x/BOB" {
		t.Errorf("the server saw %q: the account ends on %s", s.order, last)
	}
}

// TestFormulaErrorsAreInvalid: a mapped cell holding a formula's error
// (#N/A of a VLOOKUP that found nothing) is not sent as text.
func TestFormulaErrorsAreInvalid(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, _ string, _ int) { w.WriteHeader(http.StatusOK) })
	in := &sliceReader{rows: []input.Record{
		{Line: 2, Cells: []string{"a", "#N/A"}, Kinds: []cell.Kind{cell.Text, cell.Error}},
		{Line: 3, Cells: []string{"b", "fine"}, Kinds: []cell.Kind{cell.Text, cell.Text}},
	}}
	out := &memReport{}
	if _, err := Run(context.Background(), plan(t), in, out, exchange(t, s, secret), Options{Backoff: noWait}); err != nil {
		t.Fatal(err)
	}
	if got := statuses(out.rows); got != "2:invalid 3:ok" || !strings.Contains(out.rows[0].Message, "N: holds the formula error #N/A") || len(out.rows[0].Issues) != 1 {
		t.Errorf("%s: %q", got, out.rows[0].Message)
	}
	if s.received["a"] != 0 {
		t.Error("the formula error was sent")
	}
}
