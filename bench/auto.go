package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/sandbox"
)

// Goals of the --rate auto runs (SPEC.md, "Performance").
const (
	autoSettle      = 10 * time.Second // "from 10 s on"
	autoGoal        = 0.90             // of N, from autoSettle on
	autoMax429      = 0.02             // of all requests
	shardsGoal      = 0.85             // of N, all shards together
	shardsEachGoal  = 0.5              // of N/shards, each shard
	autoShards      = 4
	autoConcurrency = 1024 // the most --concurrency takes
)

// autoPart runs `acctimport run --rate auto` against a server that limits
// it to N requests a second without saying so (no rate-limit headers, a
// 429 with Retry-After past the limit), at each -auto-n and -auto-latency;
// then -shards runs at once against one limit. The server timestamps every
// arrival and its answer.
func (b *bench) autoPart(ctx context.Context) {
	for _, lat := range b.cfg.autoLatencies {
		for _, n := range b.cfg.autoN {
			if ctx.Err() != nil {
				return
			}
			b.autoRun(ctx, n, lat)
		}
	}
	for _, n := range b.cfg.shardN {
		if ctx.Err() != nil {
			return
		}
		b.shardsRun(ctx, n)
	}
}

// arrival is one request as the limited server saw it.
type arrival struct {
	at    time.Time
	ok    bool // let through by the limit (not 429)
	shard int
}

// limited is a server's rate limit in front of Payway's fake, recording
// every arrival; a path under /sI/ is shard I's (the prefix is stripped).
type limited struct {
	fake    http.Handler
	bucket  *sandbox.Bucket
	latency time.Duration

	mu       sync.Mutex
	arrivals []arrival
}

func newLimited(n float64, latency time.Duration) *limited {
	fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(token)})
	return &limited{
		fake:    fake,
		bucket:  sandbox.NewBucket(n, 0, time.Now()),
		latency: latency,
	}
}

func (l *limited) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	shard := 0
	if rest, ok := strings.CutPrefix(r.URL.Path, "/s"); ok {
		if i := strings.IndexByte(rest, '/'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				shard, r.URL.Path = n, rest[i:]
			}
		}
	}
	// The limit decides on arrival, as a gateway does, without a word of
	// it in the headers; the answer, refused or not, comes after the
	// latency.
	now := time.Now()
	v := l.bucket.Take(now)
	l.mu.Lock()
	l.arrivals = append(l.arrivals, arrival{at: now, ok: v.OK, shard: shard})
	l.mu.Unlock()
	if l.latency > 0 {
		t := time.NewTimer(l.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if !v.OK {
		secs := strconv.Itoa(int(v.RetryAfter / time.Second))
		w.Header().Set("Retry-After", secs)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = fmt.Fprintf(w, `{"error":"rate_limited","error_description":"too many requests; retry after %ss"}`, secs)
		return
	}
	l.fake.ServeHTTP(w, r)
}

func (l *limited) taken() []arrival {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.arrivals)
	slices.SortFunc(out, func(a, b arrival) int { return a.at.Compare(b.at) })
	return out
}

// autoFigures are the figures of arrivals in [from, to).
type autoFigures struct {
	okRate  float64 // answers let through a second
	total   int     // requests
	refused int     // of them, 429
}

func figures(arr []arrival, from, to time.Time, shard int) autoFigures {
	var f autoFigures
	ok := 0
	for _, a := range arr {
		if a.at.Before(from) || !a.at.Before(to) || (shard >= 0 && a.shard != shard) {
			continue
		}
		f.total++
		if a.ok {
			ok++
		} else {
			f.refused++
		}
	}
	if d := to.Sub(from).Seconds(); d > 0 {
		f.okRate = float64(ok) / d
	}
	return f
}

// autoConc is the --concurrency of an auto run: enough for N at the
// latency with room to spare (the controller keeps what is in flight to
// what the pace needs; this is only its cap).
func autoConc(n float64, latency time.Duration) int {
	return min(autoConcurrency, max(16, int(math.Ceil(3*n*latency.Seconds()))+16))
}

func (b *bench) autoRun(ctx context.Context, n float64, lat time.Duration) {
	name := fmt.Sprintf("run --rate auto, untold limit %g/s, latency %s", n, latencyText(lat))
	rows := max(int(n*b.cfg.autoSecs.Seconds()), 20)
	in, err := b.input("auto", rows, "csv")
	if err != nil {
		b.fail(name, err)
		return
	}
	l := newLimited(n, lat)
	srv, url, err := serveLoopback(l)
	if err != nil {
		b.fail(name, err)
		return
	}
	defer srv.Close()
	conc := autoConc(n, lat)
	logf("auto: %s rows, limit %g/s untold, latency %s, --concurrency %d", count(float64(rows)), n, latencyText(lat), conc)
	res, code, err := b.sendAuto(ctx, in, url, conc, "")
	if err != nil {
		if ctx.Err() == nil {
			b.fail(name, err)
		}
		return
	}
	arr := l.taken()
	if len(arr) < 2 {
		b.fail(name, fmt.Errorf("the server saw %d requests", len(arr)))
		return
	}
	start, end := arr[0].at, arr[len(arr)-1].at
	if end.Sub(start) <= autoSettle+time.Second {
		b.fail(name, fmt.Errorf("the run took %s, too short to measure from %s on (raise -auto-secs)", end.Sub(start).Round(time.Millisecond), autoSettle))
		return
	}
	late := figures(arr, start.Add(autoSettle), end, -1)
	all := figures(arr, start, end.Add(time.Nanosecond), -1)
	share := late.okRate / n
	refused := float64(all.refused) / float64(all.total)
	ok := share >= autoGoal && refused <= autoMax429 && code == 0
	measured := fmt.Sprintf("from 10 s: %s/s; 429: %d of %s (%.2f%%); %s in %s, cpu %s",
		rateText(late.okRate), all.refused, count(float64(all.total)), refused*100,
		count(float64(rows)), res.wall.Round(100*time.Millisecond), perRow(res.cpu, rows))
	if code != 0 {
		measured += fmt.Sprintf("; exit %d", code)
	}
	b.autoLine(name, n, share, measured, fmt.Sprintf(">= %.2fx from 10 s, <= %.0f%% 429", autoGoal, autoMax429*100), ok)
}

// shardsRun runs autoShards shards of one file at once, each with --rate
// auto, against one limit of n a second.
func (b *bench) shardsRun(ctx context.Context, n float64) {
	name := fmt.Sprintf("%d shards, run --rate auto, one untold limit %g/s", autoShards, n)
	// Shares even out after a while; the rows are enough for every shard
	// to be sending well past the settling time.
	rows := max(int(n*(b.cfg.autoSecs+autoSettle).Seconds()), 20*autoShards)
	in, err := b.input("auto", rows, "csv")
	if err != nil {
		b.fail(name, err)
		return
	}
	l := newLimited(n, 0)
	srv, url, err := serveLoopback(l)
	if err != nil {
		b.fail(name, err)
		return
	}
	defer srv.Close()
	logf("shards: %s rows in %d shards, one limit %g/s untold", count(float64(rows)), autoShards, n)
	type result struct {
		code int
		err  error
	}
	results := make([]result, autoShards)
	var wg sync.WaitGroup
	for i := range autoShards {
		wg.Go(func() {
			_, code, err := b.sendAuto(ctx, in, fmt.Sprintf("%s/s%d", url, i), 16, fmt.Sprintf("%d/%d", i, autoShards))
			results[i] = result{code, err}
		})
	}
	wg.Wait()
	codes := make([]int, autoShards)
	for i, r := range results {
		if r.err != nil {
			if ctx.Err() == nil {
				b.fail(name, fmt.Errorf("shard %d: %w", i, r.err))
			}
			return
		}
		codes[i] = r.code
	}
	arr := l.taken()
	if len(arr) < 2 {
		b.fail(name, fmt.Errorf("the server saw %d requests", len(arr)))
		return
	}
	// From 10 s on, while every shard is still sending: up to the first
	// shard's last request.
	start := arr[0].at
	end := arr[len(arr)-1].at
	for i := range autoShards {
		last := time.Time{}
		for _, a := range arr {
			if a.shard == i {
				last = a.at
			}
		}
		if last.IsZero() {
			b.fail(name, fmt.Errorf("shard %d sent nothing", i))
			return
		}
		if last.Before(end) {
			end = last
		}
	}
	if end.Sub(start) <= autoSettle+time.Second {
		b.fail(name, fmt.Errorf("the shards sent together for %s, too short to measure from %s on (raise -auto-secs)", end.Sub(start).Round(time.Millisecond), autoSettle))
		return
	}
	from := start.Add(autoSettle)
	together := figures(arr, from, end, -1)
	all := figures(arr, start, arr[len(arr)-1].at.Add(time.Nanosecond), -1)
	var each []string
	lowest := math.Inf(1)
	for i := range autoShards {
		f := figures(arr, from, end, i)
		each = append(each, rateText(f.okRate))
		lowest = min(lowest, f.okRate/(n/autoShards))
	}
	share := together.okRate / n
	exited := slices.ContainsFunc(codes, func(c int) bool { return c != 0 })
	measured := fmt.Sprintf("from 10 s: together %s/s, each %s/s (lowest %.2fx of N/%d); 429: %.2f%%",
		rateText(together.okRate), strings.Join(each, ", "), lowest, autoShards, 100*float64(all.refused)/float64(all.total))
	if exited {
		measured += fmt.Sprintf("; exits %v", codes)
	}
	ok := share >= shardsGoal && lowest >= shardsEachGoal && !exited
	b.autoLine(name, n, share, measured, fmt.Sprintf("together >= %.2fx, each >= %.1fx of N/%d", shardsGoal, shardsEachGoal, autoShards), ok)
}

// autoLine logs and keeps one --rate auto measurement against a limit of n.
func (b *bench) autoLine(name string, n, share float64, measured, goal string, ok bool) {
	logf("  %s", measured)
	b.lines = append(b.lines, line{
		name:      name,
		reference: fmt.Sprintf("N = %g/s", n),
		measured:  measured,
		ratio:     fmt.Sprintf("%.3fx", share),
		goal:      goal,
		verdict:   verdict(ok),
	})
}

// sendAuto runs `acctimport run --rate auto` of input against base; shard
// is "" or I/N. Its exit status is returned, not failed on: rows a run
// could not get through are part of what is measured.
func (b *bench) sendAuto(ctx context.Context, input, base string, conc int, shard string) (childResult, int, error) {
	dir, done, err := b.measureDir()
	if err != nil {
		return childResult{}, 0, err
	}
	defer done()
	args := []string{"run", "-m", b.mapping, "-i", input,
		"-o", filepath.Join(dir, "report.csv"), "--journal", filepath.Join(dir, "run.journal"),
		"--base-url", base, "--rate", "auto", "--concurrency", strconv.Itoa(conc), "--no-progress"}
	if shard != "" {
		args = append(args, "--shard", shard)
	}
	res, code, err := runChildCode(ctx, []string{payway.TokenEnv + "=" + token}, b.bin, args...)
	if err == nil && code > 1 {
		err = fmt.Errorf("acctimport %s: exit status %d\n%s", strings.Join(args, " "), code, lastLines(res.output, 20))
	}
	return res, code, err
}

// lastLines is the end of s, for an error.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// rateText writes a rate a second, with a decimal when it is small.
func rateText(r float64) string {
	if r < 100 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return count(r)
}
