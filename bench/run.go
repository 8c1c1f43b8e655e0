package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/acctimport/acctimport/providers/payway"
)

// minRunRows keeps a slow case (concurrency 1 behind a latency) long enough
// for process start-up not to dominate it.
const minRunRows = 200

// runGoal is the spec's goal for `run` against the bare client, 0 where it
// sets none. The concurrency-32 goal is for CSV input; reading XLSX costs
// more per row than sending one at that rate.
func runGoal(conc int, latency time.Duration, ext string) float64 {
	switch {
	case conc == 1:
		return 0.70
	case conc == 32 && latency == 0 && ext == "csv":
		return 0.80
	case conc == 64 && latency == 20*time.Millisecond:
		return 0.97
	}
	return 0
}

// sendResult is one `acctimport run` measurement.
type sendResult struct {
	rate   float64
	maxRSS int64
	cpu    time.Duration
}

// runPart compares `acctimport run` with the bare client at every
// concurrency and latency.
func (b *bench) runPart(ctx context.Context) {
	for _, lat := range b.cfg.latencies {
		for _, conc := range b.cfg.conc {
			if ctx.Err() != nil {
				return
			}
			b.runCase(ctx, conc, lat)
		}
	}
}

func (b *bench) runCase(ctx context.Context, conc int, lat time.Duration) {
	label := fmt.Sprintf("c=%d, latency %s", conc, latencyText(lat))
	var exts []string
	for _, ext := range []string{"csv", "xlsx"} {
		if b.cfg.inputs[ext] {
			exts = append(exts, ext)
		}
	}
	failAll := func(err error) {
		for _, ext := range exts {
			b.fail(fmt.Sprintf("run, %s, %s", strings.ToUpper(ext), label), err)
		}
	}

	// Calibrate: how many rows make a measurement of about -secs here.
	calRows := 3000
	if lat > 0 {
		calRows = int(float64(conc) / lat.Seconds()) // about a second's worth
	}
	calRows = min(max(calRows, minRunRows), b.cfg.maxRows)
	b.srv.reset(lat)
	cal, err := b.bareRun(ctx, calRows, conc)
	if err != nil {
		failAll(err)
		return
	}
	n := min(max(int(cal.rate*b.cfg.secs.Seconds()), minRunRows), b.cfg.maxRows)
	files := map[string]string{}
	for _, ext := range exts {
		if files[ext], err = b.input("run", n, ext); err != nil {
			failAll(err)
			return
		}
	}
	logf("run %s: %s rows per measurement", label, count(float64(n)))

	var (
		bestBare sendResult
		best     = map[string]sendResult{}
		errs     = map[string]error{}
	)
	for rep := 1; rep <= b.cfg.repeat && ctx.Err() == nil; rep++ {
		b.srv.reset(lat)
		cpu0 := selfCPU()
		br, err := b.bareRun(ctx, n, conc)
		if err == nil && int(b.srv.served.Load()) != n {
			err = fmt.Errorf("the server answered %d requests of %d", b.srv.served.Load(), n)
		}
		if err != nil {
			failAll(err)
			return
		}
		bareBytes := b.srv.bytes.Load()
		logf("  %d/%d bare client     %9s req/s  (client cpu %s/row, server cpu %s/row, peak RSS %s)",
			rep, b.cfg.repeat, count(br.rate), perRow(br.cpu, n), perRow(selfCPU()-cpu0, n), mib(br.maxRSS))
		if br.rate > bestBare.rate {
			bestBare = br
		}

		for _, ext := range exts {
			if errs[ext] != nil {
				continue
			}
			b.srv.reset(lat)
			cpu0 := selfCPU()
			cr, err := b.send(ctx, files[ext], conc, 0, 1)
			if err == nil && int(b.srv.served.Load()) != n {
				err = fmt.Errorf("the server answered %d requests of %d", b.srv.served.Load(), n)
			}
			if err == nil && b.srv.bytes.Load() != bareBytes {
				err = fmt.Errorf("acctimport sent %d body bytes, the bare client %d: the bodies differ", b.srv.bytes.Load(), bareBytes)
			}
			if err != nil {
				errs[ext] = err
				continue
			}
			sr := sendResult{rate: float64(n) / cr.wall.Seconds(), maxRSS: cr.maxRSS, cpu: cr.cpu}
			logf("  %d/%d acctimport %-4s  %9s req/s  (client cpu %s/row, server cpu %s/row, peak RSS %s)",
				rep, b.cfg.repeat, ext, count(sr.rate), perRow(sr.cpu, n), perRow(selfCPU()-cpu0, n), mib(sr.maxRSS))
			if sr.rate > best[ext].rate {
				best[ext] = sr
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	for _, ext := range exts {
		name := fmt.Sprintf("run, %s, %s", strings.ToUpper(ext), label)
		if errs[ext] != nil {
			b.fail(name, errs[ext])
			continue
		}
		sr := best[ext]
		ratio := sr.rate / bestBare.rate
		l := line{
			name:      name,
			reference: fmt.Sprintf("bare client %s req/s, cpu %s/row", count(bestBare.rate), perRow(bestBare.cpu, n)),
			measured:  fmt.Sprintf("%s req/s, %s, cpu %s/row", count(sr.rate), mib(sr.maxRSS), perRow(sr.cpu, n)),
			ratio:     fmt.Sprintf("%.2fx", ratio),
			verdict:   "info",
		}
		if g := runGoal(conc, lat, ext); g > 0 {
			l.goal = fmt.Sprintf(">= %.2fx", g)
			l.verdict = verdict(ratio >= g)
		}
		b.lines = append(b.lines, l)
	}
}

// bareRun runs the bare client over the bodies of the first n rows in a
// child process. Its rate and CPU time are the sending loop's alone: the
// bodies are encoded before it starts.
func (b *bench) bareRun(ctx context.Context, n, conc int) (sendResult, error) {
	dir, done, err := b.measureDir()
	if err != nil {
		return sendResult{}, err
	}
	defer done()
	out := filepath.Join(dir, "bare.json")
	cr, err := runChild(ctx, nil, b.self, bareCmd, b.srv.URL, b.mapping, strconv.Itoa(n), strconv.Itoa(conc), out)
	if err != nil {
		return sendResult{}, err
	}
	var bo bareOut
	data, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(data, &bo)
	}
	if err != nil {
		return sendResult{}, fmt.Errorf("bare client: %w", err)
	}
	return sendResult{rate: float64(bo.Sent) / time.Duration(bo.ElapsedNS).Seconds(), maxRSS: cr.maxRSS, cpu: time.Duration(bo.CPUNS)}, nil
}

// send runs `acctimport run` of input against the loopback server, as a
// user would, with a fresh journal and a CSV report (the report's format is
// not what is measured here).
func (b *bench) send(ctx context.Context, input string, conc int, rate float64, burst int) (childResult, error) {
	dir, done, err := b.measureDir()
	if err != nil {
		return childResult{}, err
	}
	defer done()
	return runChild(ctx, []string{payway.TokenEnv + "=" + token}, b.bin, "run",
		"-m", b.mapping, "-i", input,
		"-o", filepath.Join(dir, "report.csv"), "--journal", filepath.Join(dir, "run.journal"),
		"--base-url", b.srv.URL, "--rate", strconv.FormatFloat(rate, 'f', -1, 64), "--burst", strconv.Itoa(burst),
		"--concurrency", strconv.Itoa(conc), "--no-progress")
}

func latencyText(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}

// perRow writes a CPU time per row in µs.
func perRow(d time.Duration, rows int) string {
	return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(rows))
}
