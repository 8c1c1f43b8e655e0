package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/acctimport/acctimport/reports"
)

// progress tells a person how a run goes. On a terminal it draws a bar:
// rows done of the total, ok, failed and invalid counts, the pace of rows
// sent and the time left. Elsewhere (a Kubernetes log, cron) it writes a
// line every logEvery, so that a long run is never silent for hours. The
// total is counted by a second, read-only pass over the input in the
// background, so the run never waits for it.
type progress struct {
	w      io.Writer
	label  string // "sending", "validating"
	bar    *progressbar.ProgressBar
	width  func() int // the terminal's columns
	layout barLayout  // how the bar fits them

	counts [len(statusIndex)]atomic.Int64
	total  *rowTotal
	start  time.Time
	// pace, when set, is the --rate auto pace in force.
	pace func() float64

	mu      sync.Mutex // guards the bar and the samples, and serialises output
	samples []sample   // recent (time, done, sent), for the rates
	quiet   bool       // nothing more is drawn (after an interrupt or the end)
	stop    chan struct{}
	stopped sync.WaitGroup
}

type sample struct {
	at         time.Time
	done, sent int64
}

// statusIndex numbers the statuses for the counters.
var statusIndex = [...]reports.Status{reports.StatusOK, reports.StatusPartial, reports.StatusFailed, reports.StatusInvalid, reports.StatusSkipped, reports.StatusValid}

const (
	logEvery    = 10 * time.Second
	redrawEvery = 250 * time.Millisecond
	rateWindow  = 10 * time.Second // rates are of the last ten seconds
)

// progressMode is how a run shows progress.
type progressMode int

const (
	progressNone progressMode = iota
	progressBar
	progressLog
)

func (e *env) progressMode(noProgress bool) progressMode {
	switch {
	case noProgress:
		return progressNone
	case e.isTerminal():
		return progressBar
	}
	return progressLog
}

// rowTotal is the number of rows a run takes, counted by a second,
// read-only pass over the input in the background: -1 until known.
type rowTotal struct {
	n      atomic.Int64
	once   sync.Once
	count  func() (int, bool)
	onDone func(int)
}

func newRowTotal(count func() (int, bool), onDone func(int)) *rowTotal {
	t := &rowTotal{count: count, onDone: onDone}
	t.n.Store(-1)
	return t
}

// start counts, once, in the background.
func (t *rowTotal) start() {
	t.once.Do(func() {
		go func() {
			if n, ok := t.count(); ok {
				t.n.Store(int64(n))
				if t.onDone != nil {
					t.onDone(n)
				}
			}
		}()
	})
}

func (t *rowTotal) get() int64 { return t.n.Load() }

// newProgress starts the display. The bar wants the total at once; a log
// line only for a run that lasts (a short run is over before the count
// could help, and the count costs a second pass).
func (e *env) newProgress(mode progressMode, dryRun bool, total *rowTotal, pace func() float64) *progress {
	p := &progress{w: e.stderr, label: "sending", start: time.Now(), pace: pace, stop: make(chan struct{}), width: e.termWidth, total: total}
	if dryRun {
		p.label = "validating"
	}
	switch mode {
	case progressNone:
		p.quiet = true
		return p
	case progressBar:
		p.layout = p.layoutFor(p.width())
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionSetDescription(p.describe(snapshot{total: -1}, p.layout)),
			progressbar.OptionSetWidth(p.layout.bar),
			// No spinner goroutine: it draws on its own, past an interrupt,
			// while every drawing here goes through redraw and row.
			progressbar.OptionSetSpinnerChangeInterval(0),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(redrawEvery),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
		total.start()
		p.run(redrawEvery, p.redraw)
	case progressLog:
		p.run(logEvery, func() {
			total.start()
			p.logLine()
		})
	}
	return p
}

// termWidth is the terminal's width in columns, 80 when it cannot tell.
func (e *env) termWidth() int {
	if f, ok := e.stderr.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}

// run calls f every interval until the display stops.
func (p *progress) run(interval time.Duration, f func()) {
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				f()
			case <-p.stop:
				return
			}
		}
	}()
}

// row counts a finished row; it is on the hot path, so it only counts.
func (p *progress) row(st reports.Status) {
	for i, s := range statusIndex {
		if s == st {
			p.counts[i].Add(1)
			break
		}
	}
	if p.bar != nil {
		p.mu.Lock()
		if !p.quiet {
			_ = p.bar.Add(1)
		}
		p.mu.Unlock()
	}
}

func (p *progress) count(st reports.Status) int64 {
	for i, s := range statusIndex {
		if s == st {
			return p.counts[i].Load()
		}
	}
	return 0
}

// snapshot is the figures a display shows.
type snapshot struct {
	done, total, ok, failed, invalid, skipped int64
	sentRate, doneRate                        float64 // rows per second, recent
	pace                                      float64
}

func (p *progress) snapshot() snapshot {
	var s snapshot
	s.ok = p.count(reports.StatusOK) + p.count(reports.StatusPartial) + p.count(reports.StatusValid)
	s.failed = p.count(reports.StatusFailed)
	s.invalid = p.count(reports.StatusInvalid)
	s.skipped = p.count(reports.StatusSkipped)
	s.done = s.ok + s.failed + s.invalid + s.skipped
	s.total = p.total.get()
	sent := p.count(reports.StatusOK) + p.count(reports.StatusPartial) + s.failed
	now := time.Now()
	p.mu.Lock()
	p.samples = append(p.samples, sample{at: now, done: s.done, sent: sent})
	for len(p.samples) > 2 && now.Sub(p.samples[1].at) >= rateWindow {
		p.samples = p.samples[1:]
	}
	first := p.samples[0]
	if len(p.samples) == 1 {
		first = sample{at: p.start}
	}
	p.mu.Unlock()
	if secs := now.Sub(first.at).Seconds(); secs > 0 {
		s.sentRate = float64(sent-first.sent) / secs
		s.doneRate = float64(s.done-first.done) / secs
	}
	if p.pace != nil {
		s.pace = p.pace()
	}
	return s
}

// eta is the time left at the recent pace, or "" when it cannot be told.
func (s snapshot) eta() string {
	if s.total < 0 || s.doneRate <= 0 || s.done >= s.total {
		return ""
	}
	left := time.Duration(float64(s.total-s.done) / s.doneRate * float64(time.Second))
	return left.Round(time.Second).String()
}

// The bar's text comes in three lengths, chosen once by the terminal's
// width and padded to it, so that the line never changes width (nothing
// jumps as counts grow) and ends short of the last column (a ^C echoed
// there must not wrap onto a new line the bar cannot clear).
const (
	textLong = iota
	textShort
	textTiny
)

// barLayout is how the bar fits the terminal: the form and width of its
// text, and the width of the bar itself.
type barLayout struct {
	form, text, bar int
}

// layoutFor fits the bar into width columns. What follows the text
// (" 100% |", the bar, "|  [1h2m3s:1h2m3s]") takes about 28 columns beside
// the bar.
func (p *progress) layoutFor(width int) barLayout {
	const rest, margin, minBar = 28, 3, 10
	widest := snapshot{done: 9_999_999, total: 9_999_999, ok: 9_999_999, failed: 999_999, invalid: 999_999, sentRate: 99_999, pace: 99_999}
	for form := textLong; form <= textTiny; form++ {
		text := len([]rune(p.text(widest, form)))
		if text+rest+margin+minBar <= width || form == textTiny {
			return barLayout{form: form, text: text, bar: max(minBar, min(50, width-text-rest-margin))}
		}
	}
	panic("unreachable")
}

// text is the bar's text in one of its forms.
func (p *progress) text(s snapshot, form int) string {
	of := fmt.Sprintf("%d", s.done)
	if s.total >= 0 {
		of = fmt.Sprintf("%d/%d", s.done, s.total)
	}
	switch form {
	case textLong:
		t := fmt.Sprintf("%s %s · ok %d · failed %d · invalid %d", p.label, of, s.ok, s.failed, s.invalid)
		if p.label == "sending" {
			t += fmt.Sprintf(" · %.0f sent/s", s.sentRate)
			if p.pace != nil {
				t += fmt.Sprintf(" (pace %.0f/s)", s.pace)
			}
		}
		return t
	case textShort:
		return fmt.Sprintf("%s ok %d ✗%d inv %d", of, s.ok, s.failed, s.invalid)
	}
	return of
}

// describe is the bar's text, padded to its layout's width.
func (p *progress) describe(s snapshot, l barLayout) string {
	t := p.text(s, l.form)
	if pad := l.text - len([]rune(t)); pad > 0 {
		t += strings.Repeat(" ", pad)
	}
	return t
}

func (p *progress) redraw() {
	s := p.snapshot()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quiet {
		return
	}
	if s.total >= 0 && p.bar.GetMax64() != s.total {
		p.bar.ChangeMax64(s.total)
	}
	p.bar.Describe(p.describe(s, p.layout))
}

// logLine writes one line of progress for a log.
func (p *progress) logLine() {
	s := p.snapshot()
	var b strings.Builder
	if s.total >= 0 {
		fmt.Fprintf(&b, "progress: %s, %d of %d rows done (%.0f%%)", p.label, s.done, s.total, 100*float64(s.done)/float64(max(s.total, 1)))
	} else {
		fmt.Fprintf(&b, "progress: %s, %d rows done (the total is being counted)", p.label, s.done)
	}
	fmt.Fprintf(&b, ": ok %d, failed %d, invalid %d", s.ok, s.failed, s.invalid)
	if s.skipped > 0 {
		fmt.Fprintf(&b, ", skipped %d", s.skipped)
	}
	if p.label == "sending" {
		fmt.Fprintf(&b, "; %.1f rows sent/s", s.sentRate)
	} else {
		fmt.Fprintf(&b, "; %.0f rows/s", s.doneRate)
	}
	if s.pace > 0 {
		fmt.Fprintf(&b, ", pace %.1f requests/s", s.pace)
	}
	if eta := s.eta(); eta != "" {
		fmt.Fprintf(&b, "; about %s left", eta)
	}
	p.say(b.String())
}

// say writes a line, first clearing the bar so that it does not end up in
// the middle of it; the bar is drawn again on its next redraw.
func (p *progress) say(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.quiet {
		_ = p.bar.Clear()
	}
	fmt.Fprintln(p.w, line)
}

// interrupted stops drawing for good and says what happens now: an
// interrupted run writes its report below, and a second bar would only
// get in the way.
func (p *progress) interrupted(msg string) {
	p.mu.Lock()
	if p.bar != nil && !p.quiet {
		_ = p.bar.Clear()
		// The terminal echoed ^C after the bar, where Clear does not reach.
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	p.quiet = true
	fmt.Fprintln(p.w, msg)
	p.mu.Unlock()
}

// finish stops the display and removes the bar.
func (p *progress) finish() {
	close(p.stop)
	p.stopped.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && !p.quiet {
		_ = p.bar.Clear()
		_ = p.bar.Exit()
	}
	p.quiet = true
}
