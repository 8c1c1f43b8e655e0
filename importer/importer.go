package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/internal/cell"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/metrics"
	"github.com/acctimport/acctimport/pace"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/reports"
)

// Options tune a run. The zero value sends nothing concurrently and never
// retries; the command line fills it from its flags.
type Options struct {
	// DryRun validates only: nothing is sent, valid rows are reported
	// "valid", and no connection is opened.
	DryRun      bool
	Concurrency int // requests in flight; < 1 means 1
	// Pacer paces every attempt, retries included (--rate R, --rate auto);
	// nil means unlimited.
	Pacer Pacer
	// Metrics, when set, counts rows and requests for Prometheus.
	Metrics     *metrics.Run
	Retries     int // retries of a retryable failure
	Limit       int // only the first Limit data rows; 0 means all
	Shard       Shard
	MaxFailures Threshold
	Payloads    bool // put the request body of each row in the report
	Journal     *Journal
	// Progress, if set, is told about every finished row, in input order.
	Progress func(reports.Status)
	// Backoff returns the wait before retry n (1-based); nil means
	// exponential backoff with full jitter from 500 ms, capped at 30 s.
	Backoff func(n int) time.Duration
	// Abandon, when closed, cancels the requests in flight (a second
	// Ctrl-C): their rows are reported failed with an unknown outcome, and
	// the journal does not count them as done, so --resume sends them again.
	Abandon <-chan struct{}
}

// Pacer paces a run's attempts: every attempt, retries included, starts
// with Acquire and, when Acquire let it start, ends with one Release that
// says how it went. pace.Controller (--rate auto) and pace.Fixed (--rate R)
// are Pacers.
type Pacer interface {
	Acquire(ctx context.Context) error
	Release(pace.Observation)
}

// Result is what a run did.
type Result struct {
	Counts  map[reports.Status]int
	Total   int    // rows read (and reported)
	Stopped string // why the run stopped early, "" if it did not
	// NotReached counts the rows of the input (of this shard, within
	// --limit) that a stopped or interrupted run never read, so they are not
	// in the report; NotReachedAtLeast says the count was cut short.
	NotReached        int
	NotReachedAtLeast bool
	// Unjournaled counts the rows that were sent but could not be recorded
	// in the journal: a resume would send them again.
	Unjournaled int
	// Advice are the problems of the mapping rather than of the rows, each
	// with the number of rows it made invalid: said once, not on every row.
	Advice []mapping.AdviceCount
}

// StopError ends a run early because going on cannot help: the provider
// rejected the credentials, or --max-failures was reached. Every row read
// so far is in the report.
type StopError struct{ Reason string }

func (e *StopError) Error() string { return e.Reason }

// window bounds how far reading may run ahead of the oldest unfinished row:
// results wait in memory to be written in input order, and a row stuck in
// retries must not let the rest of a million-row file pile up behind it.
func window(concurrency int) int { return max(256, 16*concurrency) }

// item is one row on its way through the pipeline.
type item struct {
	seq  int
	line int
	row  reports.Row
	done chan struct{} // closed when the row has finished (for same-key ordering)
	// sum is the request body's PayloadSum: the journal knows the row by it,
	// and a same-account duplicate is found by it without keeping the body.
	sum string
	occ int // the occurrence of (key, sum) in the input
	// applied is set before done is closed: the row's change is on the
	// server (ok, partial, or applied by an earlier run per the journal).
	applied bool
}

// Run imports every row of in, writing each row's result to out. ex is nil
// in a dry run. It returns a *StopError when the run was stopped early, and
// ctx's error when it was interrupted; in both cases the report holds every
// row that was read.
func Run(ctx context.Context, plan *mapping.Plan, in input.Reader, out reports.Writer, ex *providers.Exchange, opts Options) (*Result, error) {
	if !opts.DryRun && ex == nil {
		return nil, errors.New("importer: no exchange to send with")
	}
	r := &run{
		plan:    plan,
		ex:      ex,
		opts:    opts,
		results: make(chan *item, window(opts.Concurrency)),
		slots:   make(chan struct{}, window(opts.Concurrency)),
		keys:    make(map[string]*item),
		res:     &Result{Counts: make(map[reports.Status]int)},
		secret:  plan.SecretColumns(),
		used:    plan.Columns(),
	}
	r.answerNamesKey = plan.Mapping().Provider.Info().AnswerNamesKey
	if r.opts.Concurrency < 1 {
		r.opts.Concurrency = 1
	}
	if r.opts.Backoff == nil {
		r.opts.Backoff = ExponentialBackoff(500*time.Millisecond, 30*time.Second)
	}

	// stopCtx ends reading and sending new requests; requests already in
	// flight run on without it, bounded by the exchange's timeout, so an
	// interrupted run does not leave requests whose outcome nobody knows.
	stopCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r.stop = stop
	// inFlight is what attempts run under: not cancelled by ctx, only by
	// Abandon.
	inFlight, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	r.inFlight = inFlight
	if opts.Abandon != nil {
		stopWatching := make(chan struct{})
		defer close(stopWatching)
		go func() {
			select {
			case <-opts.Abandon:
				abandon()
			case <-stopWatching:
			}
		}()
	}

	writeErr := make(chan error, 1)
	go func() { writeErr <- r.write(out) }()

	readErr := r.read(stopCtx, in)
	close(r.results)
	werr := <-writeErr
	r.res.Unjournaled = int(r.unjournaled.Load())
	r.res.Advice = r.advice.Counts()
	if readErr == nil && werr == nil && stopCtx.Err() != nil {
		r.countNotReached(in, inFlight)
	}

	// Rows may have been sent by now, so neither is a usage error: the run
	// stopped early, and says why.
	switch {
	case werr != nil:
		return r.res, &StopError{Reason: fmt.Sprintf("writing the report: %v", werr)}
	case readErr != nil:
		return r.res, &StopError{Reason: fmt.Sprintf("reading the input: %v", readErr)}
	}
	if cause := context.Cause(stopCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		var se *StopError
		if errors.As(cause, &se) {
			r.res.Stopped = se.Reason
		}
		return r.res, cause
	}
	if err := ctx.Err(); err != nil {
		return r.res, err
	}
	return r.res, nil
}

type run struct {
	plan    *mapping.Plan
	ex      *providers.Exchange
	opts    Options
	results chan *item
	slots   chan struct{}
	stop    context.CancelCauseFunc
	// inFlight carries the requests on the wire: an interrupt does not cut
	// them short, only Abandon does.
	inFlight context.Context
	secret   []bool
	used     []bool // per input column: the mapping reads it
	// answerNamesKey: the provider's answers name the account by the row's
	// key, so an answer naming another is a change to the wrong account.
	answerNamesKey bool
	res            *Result // written only by the writer goroutine until Run returns

	keys map[string]*item // the latest row per account key; the reader's alone
	occ  Occurrences      // the reader's alone
	// resent remembers the accounts a resumed run has sent a row of; the
	// reader's alone.
	resent sentAccounts
	// index is the number of data rows read so far (for --limit and the
	// rows never reached); the reader's alone.
	index int
	// finished and failed count rows as they end, in any order, so that
	// --max-failures stops sending at once rather than when the in-order
	// writer catches up.
	finished, failed atomic.Int64
	unjournaled      atomic.Int64
	maxOnce          sync.Once
	accounts         accountLog
	advice           mapping.Tally // problems of the mapping, counted over rows
}

// task is one row handed to a worker: in a run, built and encoded, with the
// row of the same account before it; in a dry run, its cells to build.
type task struct {
	it    *item
	prev  *item
	req   *providers.Request
	cells []string
	note  string // said in the row's message
}

// selected reports whether a row belongs to this run's shard: by its
// account key, so every row of one account is on one shard, or by its
// index when it has no key (a broken row still lands on exactly one).
func (r *run) selected(rec *input.Record, index int) bool {
	if r.opts.Shard.Count <= 1 {
		return true
	}
	key := ""
	if rec.Err == nil {
		key = r.plan.Key(rec.Cells)
	}
	return r.opts.Shard.Has(key, index)
}

// read streams the input and hands each row to the workers, until the input
// ends or the run is stopped. In a run it builds and encodes each row
// itself, so that the key is known for same-account ordering and the
// encoding of the next row overlaps the request in flight; Concurrency
// long-lived workers send. In a dry run nothing waits on the network, so
// the workers, one per CPU, build and encode in parallel.
func (r *run) read(ctx context.Context, in input.Reader) error {
	workers := r.opts.Concurrency
	if r.opts.DryRun {
		workers = runtime.GOMAXPROCS(0)
	}
	// In a dry run, a little slack between the reader and the workers, so
	// that neither waits on the other row by row (a third faster). A run
	// reads ahead no further than the requests in flight: a run that stops
	// should have read, and reported as not sent, as few rows as it can.
	slack := workers
	if r.opts.DryRun {
		slack = 4 * workers
	}
	work := make(chan task, slack)
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			for t := range work {
				if r.opts.DryRun {
					r.validate(t)
				} else {
					r.send(ctx, t)
				}
			}
			return nil
		})
	}
	defer func() {
		close(work)
		_ = g.Wait()
	}()
	seq := 0
	for ; ; r.index++ {
		if r.opts.Limit > 0 && r.index >= r.opts.Limit {
			break
		}
		// A slot in the reorder window; released when the row is written.
		// Taken before reading, so that a stopped run has not read a row it
		// will not report.
		select {
		case r.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		if ctx.Err() != nil {
			<-r.slots
			return nil
		}
		rec, err := in.Next()
		if err == io.EOF {
			<-r.slots
			break
		}
		if err != nil {
			<-r.slots
			r.stop(err)
			return err
		}
		if !r.selected(&rec, r.index) {
			<-r.slots
			continue
		}
		it := &item{seq: seq, line: rec.Line, done: make(chan struct{})}
		seq++
		it.row = reports.Row{Line: rec.Line, Cells: r.masked(rec.Cells), Kinds: rec.Kinds}
		if rec.Err != nil {
			r.finish(it, reports.StatusInvalid, rec.Err.Error())
			continue
		}
		if r.formulaErrors(it, &rec) {
			continue
		}
		if r.opts.DryRun {
			work <- task{it: it, cells: rec.Cells}
			continue
		}
		built := r.plan.Build(rec.Cells)
		it.row.Key = built.Key
		if !r.checked(it, &built) {
			continue
		}
		req, ok := r.encode(it, built.Payload)
		if !ok {
			continue
		}
		req.Secrets = built.Secrets
		it.sum = PayloadSum(req.Body)
		// Rows with the same key are applied in input order: each waits for
		// the one before it.
		var prev *item
		if built.Key != "" {
			prev = r.keys[built.Key]
			r.keys[built.Key] = it
			if len(r.keys) > 2*window(r.opts.Concurrency) {
				r.sweepKeys()
			}
		}
		note := ""
		if j := r.opts.Journal; j != nil {
			it.occ = r.occ.Next(built.Key, it.sum)
			if j.Done(built.Key, it.sum, it.occ) {
				// A row the journal has applied is skipped, unless an
				// earlier row of its account was sent in this run: then the
				// earlier row's values would be the account's last, not
				// this later row's, as the file says.
				if line, ok := r.resent.sentBefore(built.Key); ok {
					note = fmt.Sprintf("sent again although an earlier run applied it: row %d of the same account was sent in this run, and this later row must follow it", line)
				} else {
					it.applied = true
					r.finish(it, reports.StatusSkipped, "already applied by an earlier run (journal)")
					continue
				}
			}
			if j.Resuming() {
				r.resent.sent(built.Key, it.line)
			}
		}
		work <- task{it: it, prev: prev, req: req, note: note}
	}
	return nil
}

// formulaErrors finishes as invalid a row whose mapped cell holds a
// formula's error (#N/A of a VLOOKUP that found nothing): its text is no
// value to send. It reports whether it did.
func (r *run) formulaErrors(it *item, rec *input.Record) bool {
	if rec.Kinds == nil {
		return false
	}
	var issues []reports.Issue
	var msgs []string
	header := r.plan.Header()
	for i, k := range rec.Kinds {
		if k != cell.Error || i >= len(r.used) || !r.used[i] {
			continue
		}
		rule := fmt.Sprintf("holds the formula error %s, not a value: fix the formula, or clear the cell to leave the field as it is", rec.Cells[i])
		issues = append(issues, reports.Issue{Column: i, Rule: rule})
		msgs = append(msgs, header[i]+": "+rule)
	}
	if issues == nil {
		return false
	}
	it.row.Issues = issues
	r.finish(it, reports.StatusInvalid, strings.Join(msgs, ". "))
	return true
}

// countNotReached counts the rows a stopped run never read, so the Summary
// can say how many are left. It reads on from where the run stopped, for a
// few seconds at most (a huge workbook is not worth holding an interrupted
// run for), and gives up on a second interrupt.
func (r *run) countNotReached(in input.Reader, abandon context.Context) {
	deadline := time.Now().Add(notReachedBudget)
	for n := 0; ; r.index++ {
		if r.opts.Limit > 0 && r.index >= r.opts.Limit {
			return
		}
		if n++; n%1024 == 0 && (time.Now().After(deadline) || abandon.Err() != nil) {
			r.res.NotReachedAtLeast = true
			return
		}
		rec, err := in.Next()
		if err != nil {
			if err != io.EOF {
				r.res.NotReachedAtLeast = true
			}
			return
		}
		if r.selected(&rec, r.index) {
			r.res.NotReached++
		}
	}
}

// notReachedBudget bounds countNotReached.
const notReachedBudget = 5 * time.Second

// checked finishes a row whose payload broke a rule as invalid, naming
// every broken cell; it reports whether the row may go on.
func (r *run) checked(it *item, built *mapping.Row) bool {
	if built.Valid() {
		return true
	}
	r.advice.Add(built)
	it.row.Issues = make([]reports.Issue, len(built.Issues))
	for i, is := range built.Issues {
		it.row.Issues[i] = reports.Issue{Column: is.Column, Rule: is.Rule}
	}
	r.finish(it, reports.StatusInvalid, r.plan.Message(built))
	return false
}

// encode makes a valid row's request, and its Payload cell when asked for
// (secrets masked). A row the provider cannot encode is invalid.
func (r *run) encode(it *item, payload map[string]any) (*providers.Request, bool) {
	m := r.plan.Mapping()
	req, err := m.Provider.Encode(payload, m.Options)
	if err != nil {
		r.finish(it, reports.StatusInvalid, err.Error())
		return nil, false
	}
	if r.opts.Payloads {
		it.row.Payload = string(req.Body)
		if r.plan.HasSecrets() {
			it.row.Payload = ""
			if masked, err := m.Provider.Encode(r.plan.Mask(payload), m.Options); err == nil {
				it.row.Payload = string(masked.Body)
			}
		}
	}
	return req, true
}

// validate is a dry run's work on one row: build it, check it, and encode
// it even when nobody asked to see the payload, since a row the provider
// cannot encode (a name XML cannot carry) is invalid, and a dry run must
// say so rather than let the real run find out.
func (r *run) validate(t task) {
	built := r.plan.Build(t.cells)
	t.it.row.Key = built.Key
	if !r.checked(t.it, &built) {
		return
	}
	if _, ok := r.encode(t.it, built.Payload); !ok {
		return
	}
	r.finish(t.it, reports.StatusValid, "")
}

// sweepKeys forgets the rows that have finished, so the map holds only rows
// in flight or waiting: bounded by the window, not by the file.
func (r *run) sweepKeys() {
	for k, it := range r.keys {
		select {
		case <-it.done:
			delete(r.keys, k)
		default:
		}
	}
}

// masked copies a row's cells for the report, hiding the columns that feed
// secret fields.
func (r *run) masked(cells []string) []string {
	out := cells
	for i, secret := range r.secret {
		if !secret || i >= len(cells) || cells[i] == "" {
			continue
		}
		if len(out) > 0 && &out[0] == &cells[0] { // copy once, on the first secret
			out = append([]string(nil), cells...)
		}
		out[i] = providers.MaskedCell
	}
	return out
}

// send applies one row, with retries, and reports it.
func (r *run) send(ctx context.Context, t task) {
	it, prev, req := t.it, t.prev, t.req
	if prev != nil {
		select {
		case <-prev.done:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		r.finish(it, reports.StatusSkipped, "not sent: "+stopReason(ctx))
		return
	}
	note := t.note
	if prev != nil {
		note = withNote(note, fmt.Sprintf("applied after row %d, which has the same key", prev.line))
	}
	if prev != nil && prev.applied && prev.sum == it.sum {
		// The same change to the same account again (a row pasted twice):
		// the earlier row applied it, so sending it again can only hurt.
		it.applied = true
		r.finish(it, reports.StatusSkipped, fmt.Sprintf("duplicate of row %d (same account, same payload), which was applied", prev.line))
		return
	}
	// Attempts are not cancelled by ctx: once a request is on the wire it is
	// allowed to finish (bounded by the exchange's timeout), so that its
	// outcome is known and reported. ctx only stops further attempts.
	sendCtx := r.inFlight
	var lastErr error
	for attempt := 1; ; attempt++ {
		if r.opts.Pacer != nil {
			if err := r.opts.Pacer.Acquire(ctx); err != nil {
				if lastErr == nil {
					r.finish(it, reports.StatusSkipped, withNote("not sent: "+stopReason(ctx), note))
				} else {
					r.record(it, reports.StatusFailed, withNote(fmt.Sprintf("%v; not retried: %s", lastErr, stopReason(ctx)), note))
				}
				return
			}
		}
		if attempt > 1 {
			r.opts.Metrics.Retry()
		}
		began := time.Now()
		res, err := r.ex.Do(sendCtx, req)
		r.released(res, err, time.Since(began))
		lastErr = err
		it.row.Attempts = attempt
		if err != nil && sendCtx.Err() != nil {
			// Not recorded in the journal: its outcome is unknown, so a
			// resumed run must send it again.
			r.finish(it, reports.StatusFailed, withNote("abandoned in flight by a second interrupt: whether the server applied it is unknown; --resume sends it again", note))
			return
		}
		if err == nil {
			status := reports.StatusOK
			switch res.Outcome {
			case providers.Partial:
				status = reports.StatusPartial
			case providers.Failed:
				status = reports.StatusFailed
			}
			it.row.HTTPStatus = res.HTTPStatus
			msg := res.Message
			if r.answerNamesKey && res.AccountID != "" && it.row.Key != "" && !strings.EqualFold(res.AccountID, it.row.Key) && status != reports.StatusFailed {
				why := fmt.Sprintf("the provider answered row %d, for account %q, with account %q: it changed another account than the row asked for; stopped so that no more accounts are changed in error", it.line, it.row.Key, res.AccountID)
				r.stop(&StopError{Reason: why})
				r.record(it, reports.StatusFailed, withNote(withNote(msg, fmt.Sprintf("the answer names account %q, not this row's", res.AccountID)), note))
				return
			}
			if res.AccountID != "" && status != reports.StatusFailed {
				// An answer that names the row's own key was checked above:
				// no other key can land on its account.
				if clash := r.landed(res, it); clash != "" {
					r.stop(&StopError{Reason: clash})
					r.record(it, reports.StatusFailed, withNote(withNote(msg, "applied to account "+res.Account+", which another account key was also applied to: "+clash), note))
					return
				}
				if res.Account != "" {
					msg = withNote(msg, "applied to account "+res.Account)
				}
			}
			r.record(it, status, withNote(msg, note))
			return
		}
		var ae *providers.APIError
		if errors.As(err, &ae) {
			it.row.HTTPStatus = ae.Status
		}
		if providers.Fatal(err) {
			why := "the provider rejected the credentials"
			if ae != nil && ae.Fatal {
				why = "the provider's answer means no row can succeed"
			}
			r.stop(&StopError{Reason: fmt.Sprintf("%s (%v); stopped so as not to fail every row", why, err)})
			r.record(it, reports.StatusFailed, withNote(err.Error(), note))
			return
		}
		// A Retry-After past providers.MaxRetryAfter is not retryable: the
		// row fails with the server's wait in its message.
		retry, after := providers.Retryable(err)
		if !retry || attempt > r.opts.Retries {
			msg := err.Error()
			if retry {
				msg = fmt.Sprintf("%s (gave up after %d attempt%s)", msg, attempt, plural(attempt))
			}
			r.record(it, reports.StatusFailed, withNote(msg, note))
			return
		}
		wait := r.opts.Backoff(attempt)
		if after > wait {
			wait = after
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.record(it, reports.StatusFailed, withNote(fmt.Sprintf("%v; not retried: %s", err, stopReason(ctx)), note))
			return
		}
	}
}

// released tells the pacer and the metrics how an attempt went.
func (r *run) released(res providers.Result, err error, latency time.Duration) {
	o := pace.Observation{Status: res.HTTPStatus, Header: res.Header, Latency: latency}
	var ae *providers.APIError
	if errors.As(err, &ae) {
		o.Status, o.Header = ae.Status, ae.Header
	}
	if r.opts.Pacer != nil {
		r.opts.Pacer.Release(o)
	}
	r.opts.Metrics.Request(o.Status, latency)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// withNote appends a note to a message: "msg (note)", or just the note.
func withNote(msg, note string) string {
	switch {
	case note == "":
		return msg
	case msg == "":
		return note
	}
	return msg + " (" + note + ")"
}

func stopReason(ctx context.Context) string {
	cause := context.Cause(ctx)
	var se *StopError
	switch {
	case errors.As(cause, &se):
		return "the run was stopped: " + se.Reason
	case errors.Is(cause, context.Canceled):
		return "the run was interrupted"
	case cause != nil:
		return "the run was stopped: " + cause.Error()
	}
	return "the run was stopped"
}

// record journals a sent row's outcome, then reports it. A journal that
// cannot be written stops the run at once: every row sent after it would be
// sent again by a resume.
func (r *run) record(it *item, status reports.Status, msg string) {
	if j := r.opts.Journal; j != nil {
		if err := j.Record(it.line, it.row.Key, it.sum, it.occ, status); err != nil {
			if status == reports.StatusOK || status == reports.StatusPartial {
				r.unjournaled.Add(1)
				msg = withNote(msg, "sent, but not recorded in the journal: a --resume would send it again")
			}
			r.stop(&StopError{Reason: fmt.Sprintf("the journal cannot be written (%v); stopped so that no row is sent that a resume could not account for", err)})
		}
	}
	if status == reports.StatusOK || status == reports.StatusPartial {
		it.applied = true
	}
	r.finish(it, status, msg)
}

// finish hands a row to the writer.
func (r *run) finish(it *item, status reports.Status, msg string) {
	it.row.Status = status
	it.row.Message = msg
	done, failed := r.finished.Add(1), r.failed.Load()
	if status == reports.StatusFailed {
		failed = r.failed.Add(1)
	}
	if r.opts.MaxFailures.Reached(int(failed), int(done)) {
		r.maxOnce.Do(func() {
			r.stop(&StopError{Reason: fmt.Sprintf("--max-failures %s reached (%d failed of %d rows)", r.opts.MaxFailures, failed, done)})
		})
	}
	close(it.done)
	r.results <- it
}

// write puts rows into the report in input order as they finish.
func (r *run) write(out reports.Writer) error {
	pending := make(map[int]*item)
	next := 0
	var werr error
	for it := range r.results {
		pending[it.seq] = it
		for {
			cur, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if werr == nil {
				if err := out.Write(&cur.row); err != nil {
					werr = err
					r.stop(fmt.Errorf("writing the report: %w", err))
				}
			}
			r.count(cur.row.Status)
			<-r.slots
		}
	}
	return werr
}

// count tallies a written row.
func (r *run) count(s reports.Status) {
	r.res.Counts[s]++
	r.res.Total++
	r.opts.Metrics.Row(s)
	if r.opts.Progress != nil {
		r.opts.Progress(s)
	}
}

// sentAccounts remembers, in a resumed run, the first row of each account
// that was sent in this run, by a 64-bit hash of its key: 12 bytes per
// account sent. A collision can only make a row be sent again, never skipped.
type sentAccounts struct{ first map[uint64]int }

func (s *sentAccounts) sent(key string, line int) {
	if key == "" {
		return
	}
	if s.first == nil {
		s.first = make(map[uint64]int)
	}
	h := fnv64(key, "")
	if _, ok := s.first[h]; !ok {
		s.first[h] = line
	}
}

func (s *sentAccounts) sentBefore(key string) (int, bool) {
	if key == "" || s.first == nil {
		return 0, false
	}
	line, ok := s.first[fnv64(key, "")]
	return line, ok
}

// landed records where the server says it applied the row, and returns
// why the run must stop when another key landed there before.
func (r *run) landed(res providers.Result, it *item) string {
	if r.answerNamesKey {
		return ""
	}
	return r.accounts.land(res.AccountID, res.Account, it.row.Key, it.line)
}

// accountLog remembers which account key the server applied each account
// it names to. Finerworks documents that an account_key the app key may not
// use "will not be utilized": the update lands on the app key's own account
// and the answer still says success. Two keys answered with one account is
// that case, and every further row may be changing the wrong customer.
//
// It keeps an account by a 64-bit hash of its id, with the first key
// applied to it: some 80 bytes an account, not the id, the answer's words
// and a pointer for each. A collision of two ids can only stop a run, never
// let a wrong account pass.
type accountLog struct {
	mu   sync.Mutex
	seen map[uint64]landing
}

type landing struct {
	key  string
	line int
	rows int
}

// land records that the row at line with key was applied to the account
// id (shown as account), and returns why the run must stop when another key
// landed there before.
func (a *accountLog) land(id, account, key string, line int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = make(map[uint64]landing)
	}
	h := fnv64(id, "")
	l, ok := a.seen[h]
	if !ok {
		a.seen[h] = landing{key: strings.Clone(key), line: line, rows: 1}
		return ""
	}
	l.rows++
	a.seen[h] = l
	if l.key == key {
		return ""
	}
	return fmt.Sprintf("the provider applied account key %q (row %d) and account key %q (row %d) to one account, %s; %d rows were applied to it. An account key the credentials may not use is not utilized: the change lands on the credentials' own account instead. Check the account keys and the app key's permissions before going on",
		l.key, l.line, key, line, account, l.rows)
}

// ExponentialBackoff waits a random time between 0 and base*2^(n-1), capped
// (full jitter: retries of many rows spread out instead of arriving in
// waves).
func ExponentialBackoff(base, cap time.Duration) func(int) time.Duration {
	return func(n int) time.Duration {
		d := cap
		if n < 32 {
			d = min(cap, base<<(n-1))
		}
		if d <= 0 {
			return 0
		}
		return rand.N(d + 1)
	}
}
