package cli

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/schollz/progressbar/v3"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/reports"
)

// progress draws rows done of total, rows/s, the ETA and failures so far on
// stderr when it is a terminal. The total is counted by a second, read-only
// pass over the input in the background, so the run never waits for it.
type progress struct {
	bar      *progressbar.ProgressBar
	failures atomic.Int64
	label    string
}

func (e *env) newProgress(f *importFlags, s settings, dryRun bool) *progress {
	p := &progress{label: "sending"}
	if dryRun {
		p.label = "validating"
	}
	if f.noProgress || !e.isTerminal() {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(p.label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100_000_000), // redraw at most every 100 ms
		progressbar.OptionClearOnFinish(),
	)
	go p.countRows(f, s)
	return p
}

// countRows sets the bar's total once the input is counted.
func (p *progress) countRows(f *importFlags, s settings) {
	in, err := input.Open(f.input, input.Options{Sheet: f.sheet})
	if err != nil {
		return
	}
	defer in.Close()
	n, selected := 0, 0
	for ; f.limit == 0 || n < f.limit; n++ {
		if _, err := in.Next(); err != nil {
			if err != io.EOF {
				return
			}
			break
		}
		if s.shard.Has(n) {
			selected++
		}
	}
	p.bar.ChangeMax64(int64(selected))
}

func (p *progress) row(st reports.Status) {
	if p.bar == nil {
		return
	}
	if st == reports.StatusFailed || st == reports.StatusInvalid || st == reports.StatusPartial {
		n := p.failures.Add(1)
		p.bar.Describe(fmt.Sprintf("%s (%d not ok)", p.label, n))
	}
	_ = p.bar.Add(1)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
