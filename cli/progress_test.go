package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/reports"
)

// TestBarFitsTheTerminal: at every width the bar's line ends short of the
// last column and keeps one width however the counts grow.
func TestBarFitsTheTerminal(t *testing.T) {
	for _, width := range []int{40, 60, 80, 100, 140, 200} {
		p := &progress{label: "sending", pace: func() float64 { return 42 }}
		l := p.layoutFor(width)
		small := p.describe(snapshot{done: 1, total: 10}, l)
		big := p.describe(snapshot{done: 1_234_567, total: 2_000_000, ok: 1_200_000, failed: 34_000, invalid: 567, sentRate: 2000, pace: 1999}, l)
		if n, m := len([]rune(small)), len([]rune(big)); n != m {
			t.Errorf("width %d: the text is %d then %d columns wide", width, n, m)
		}
		if line := len([]rune(big)) + 28 + l.bar; width >= 60 && line > width-3 {
			t.Errorf("width %d: the line takes %d columns", width, line)
		}
		if width >= 140 && !strings.Contains(big, "failed 34000 · invalid 567 · 2000 sent/s (pace 1999/s)") {
			t.Errorf("width %d: %q", width, big)
		}
	}
}

// TestLogLine: off a terminal, a line says done of total, the counts, the
// pace of rows sent and the time left.
func TestLogLine(t *testing.T) {
	var out bytes.Buffer
	total := newRowTotal(func() (int, bool) { return 100, true }, nil)
	total.n.Store(100)
	p := &progress{w: &out, label: "sending", total: total, start: time.Now().Add(-10 * time.Second), quiet: false}
	for range 40 {
		p.row(reports.StatusOK)
	}
	p.row(reports.StatusFailed)
	p.row(reports.StatusInvalid)
	p.logLine()
	got := out.String()
	for _, want := range []string{"progress: sending, 42 of 100 rows done (42%)", "ok 40, failed 1, invalid 1", "rows sent/s", "left"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %q", got, want)
		}
	}
}
