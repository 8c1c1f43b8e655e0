package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/importer"
	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/internal/printable"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/metrics"
	"github.com/acctimport/acctimport/pace"
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/reports"
	"github.com/acctimport/acctimport/sandbox"
)

// importFlags are the flags of run and validate (SPEC.md, "Commands").
type importFlags struct {
	mapping, input, sheet, output string
	concurrency                   int
	rate                          string
	rateStart, rateMax            float64
	burst, retries                int
	timeout                       time.Duration
	baseURL, journal              string
	resume                        bool
	limit                         int
	shard                         string
	sandbox, noProgress, payloads bool
	allowHTTP                     bool
	maxFailures, summaryJSON      string
	metricsAddr, encoding         string
}

func (e *env) importCmd(dryRun bool) *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   "run -m MAPPING.yaml -i INPUT [flags]",
		Short: "Validate every row, send the valid ones, and write the results spreadsheet",
		Example: `  acctimport run --sandbox -m samples/payway.yaml -i samples/payway.xlsx
  PAYWAY_TOKEN=... acctimport run -m payway.yaml -i accounts.csv --rate 20 --concurrency 8`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.runImport(cmd.Context(), cmd, f, dryRun)
		},
	}
	if dryRun {
		cmd.Use = "validate -m MAPPING.yaml -i INPUT [flags]"
		cmd.Short = "Validate every row against the provider's rules and write the same report; never opens a connection"
		cmd.Example = `  acctimport validate -m samples/payway.yaml -i samples/payway.csv --payloads`
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVarP(&f.mapping, "mapping", "m", "", "the mapping `FILE` (required)")
	fl.StringVarP(&f.input, "input", "i", "", "the input `FILE`: .csv, .tsv, .txt (delimited) or .xlsx (required)")
	fl.StringVar(&f.sheet, "sheet", "", "XLSX sheet `NAME` (default: the first sheet)")
	fl.StringVar(&f.encoding, "encoding", "", "the CSV's character set when it is not UTF-8 or UTF-16 (windows-1252, iso-8859-7, ...; default: detected)")
	fl.StringVarP(&f.output, "output", "o", "", "results spreadsheet `FILE`, .xlsx or .csv (default: INPUT's name + .results.xlsx; with --sandbox, + .sandbox.xlsx)")
	fl.IntVar(&f.concurrency, "concurrency", 4, "requests in flight")
	fl.StringVar(&f.rate, "rate", "10", "requests per second, retries included; 0 = unlimited; auto = find the provider's pace")
	fl.IntVar(&f.burst, "burst", 1, "rate limiter burst")
	fl.Float64Var(&f.rateStart, "rate-start", pace.DefaultStart, "with --rate auto: the pace to start at, requests per second")
	fl.Float64Var(&f.rateMax, "rate-max", 0, "with --rate auto: the highest pace, requests per second (default: no cap)")
	fl.IntVar(&f.retries, "retries", 5, "retries of a retryable failure (transport error, 408, 429, 5xx but 501)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "per request")
	fl.StringVar(&f.baseURL, "base-url", "", "overrides the mapping's and the provider's base `URL`")
	fl.StringVar(&f.journal, "journal", "", "the run's journal `FILE` (default: OUTPUT's name + .journal)")
	fl.BoolVar(&f.resume, "resume", false, "skip rows the journal records as applied (same key and payload)")
	fl.IntVar(&f.limit, "limit", 0, "only the first `N` data rows (default: all)")
	fl.StringVar(&f.shard, "shard", "0/1", "only the accounts whose key hashes to I mod N, as `I/N`: every row of one account on one shard (to split one file across machines; merge joins their reports)")
	fl.BoolVar(&f.sandbox, "sandbox", false, "start the built-in fake of the mapping's provider in-process on loopback and send there")
	fl.BoolVar(&f.allowHTTP, "allow-http", false, "allow a plain http:// base URL to a host that is not loopback (credentials and data travel unencrypted)")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar (default: a bar when stderr is a terminal)")
	fl.BoolVar(&f.payloads, "payloads", false, "add a Payload column: the exact request body of each row, secrets masked")
	fl.StringVar(&f.maxFailures, "max-failures", "", "stop after `N` failed rows, or N% once 100 rows are done (like 10%)")
	fl.StringVar(&f.summaryJSON, "summary-json", "", "also write the Summary as JSON to `FILE`")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run on `ADDR` (a port alone listens on loopback; name an interface, like 0.0.0.0:9090, to be scraped from elsewhere)")
	_ = cmd.MarkFlagRequired("mapping")
	_ = cmd.MarkFlagRequired("input")
	if dryRun {
		// A dry run sends nothing: the sending flags would be ignored, so
		// they are not offered.
		for _, name := range []string{"concurrency", "rate", "burst", "rate-start", "rate-max", "retries", "timeout", "base-url", "journal", "resume", "sandbox", "max-failures", "allow-http"} {
			_ = fl.MarkHidden(name)
		}
	}
	return cmd
}

// settings are the checked flags.
type settings struct {
	shard       importer.Shard
	maxFailures importer.Threshold
	rate        float64 // requests per second; 0 = unlimited
	autoRate    bool    // --rate auto
	metricsAddr string  // where to listen, resolved
}

// maxRate bounds --rate, --rate-start and --rate-max: no API takes a
// million requests a second from one client, and a larger number is a typo.
const maxRate = 1_000_000

// maxConcurrency bounds --concurrency: every request in flight holds a
// worker, a connection and a row, and no API answers a thousand at once from
// one client.
const maxConcurrency = 1024

func (f *importFlags) check(dryRun bool) (settings, error) {
	var s settings
	var err error
	switch {
	case f.concurrency < 1 || f.concurrency > maxConcurrency:
		return s, usageErrorf("--concurrency must be from 1 to %d, not %d", maxConcurrency, f.concurrency)
	case f.burst < 1:
		return s, usageErrorf("--burst must be at least 1")
	case f.retries < 0:
		return s, usageErrorf("--retries must be 0 or more")
	case f.timeout <= 0:
		return s, usageErrorf("--timeout must be more than 0")
	case f.limit < 0:
		return s, usageErrorf("--limit must be 0 (all) or more")
	case f.sandbox && f.baseURL != "":
		return s, usageErrorf("--sandbox and --base-url both say where to send; give one")
	}
	if s.shard, err = importer.ParseShard(f.shard); err != nil {
		return s, usageError(err)
	}
	if strings.EqualFold(strings.TrimSpace(f.rate), "auto") {
		s.autoRate = true
		switch {
		case !(f.rateStart >= pace.MinRate && f.rateStart <= maxRate):
			return s, usageErrorf("--rate-start must be from %g to %g requests per second", pace.MinRate, float64(maxRate))
		case f.rateMax != 0 && !(f.rateMax >= pace.MinRate && f.rateMax <= maxRate):
			return s, usageErrorf("--rate-max must be from %g to %g requests per second, or 0 for no cap", pace.MinRate, float64(maxRate))
		case f.rateMax > 0 && f.rateStart > f.rateMax:
			return s, usageErrorf("--rate-start (%g) is above --rate-max (%g)", f.rateStart, f.rateMax)
		}
	} else if s.rate, err = strconv.ParseFloat(strings.TrimSpace(f.rate), 64); err != nil || !(s.rate >= 0 && s.rate <= maxRate) {
		return s, usageErrorf("--rate %q: give requests per second (20, 0.5), 0 for unlimited, or auto", f.rate)
	}
	if f.encoding != "" {
		if err := input.CheckEncoding(f.encoding); err != nil {
			return s, usageErrorf("--encoding: %v", err)
		}
	}
	if f.metricsAddr != "" {
		if dryRun {
			return s, usageErrorf("validate sends nothing, so it serves no --metrics-addr")
		}
		if s.metricsAddr, err = metrics.ListenAddr(f.metricsAddr); err != nil {
			return s, usageError(err) // it names the flag
		}
	}
	if s.maxFailures, err = importer.ParseThreshold(f.maxFailures); err != nil {
		return s, usageError(err)
	}
	if f.baseURL != "" {
		if err := mapping.CheckBaseURL(f.baseURL); err != nil {
			return s, usageErrorf("--base-url: %v", err)
		}
	}
	if dryRun && (f.resume || f.sandbox) {
		return s, usageErrorf("validate sends nothing, so it takes neither --resume nor --sandbox")
	}
	return s, nil
}

// defaultOutput is INPUT's name + ".results.xlsx", beside the input; a
// sandbox run's is INPUT's name + ".sandbox.xlsx", so that a rehearsal never
// overwrites the report of a real run, its only record of what was done.
func defaultOutput(in string, sandbox bool) string {
	base := strings.TrimSuffix(in, filepath.Ext(in))
	if sandbox {
		return base + ".sandbox.xlsx"
	}
	return base + ".results.xlsx"
}

// defaultJournal is OUTPUT's name + ".journal". A sandbox run's journal is
// named for the sandbox too (OUTPUT.sandbox.journal, or NAME.sandbox.journal
// beside the default NAME.sandbox.xlsx), so that a rehearsal never reads or
// writes the journal of a real run, whatever -o says.
func defaultJournal(out string, sandbox bool) string {
	base := strings.TrimSuffix(out, filepath.Ext(out))
	if sandbox && !strings.HasSuffix(base, ".sandbox") {
		return base + ".sandbox.journal"
	}
	return base + ".journal"
}

func (e *env) runImport(ctx context.Context, cmd *cobra.Command, f *importFlags, dryRun bool) error {
	start := time.Now()
	s, err := f.check(dryRun)
	if err != nil {
		return err
	}
	m, err := mapping.Load(f.mapping, e.registry)
	if err != nil {
		return usageError(err)
	}
	prov := m.Provider
	in, err := input.Open(f.input, input.Options{Sheet: f.sheet, Encoding: f.encoding})
	if err != nil {
		return usageError(err)
	}
	defer in.Close()
	plan, err := m.Compile(in.Header(), filepath.Dir(f.input))
	if err != nil {
		return usageError(err)
	}

	out := f.output
	if out == "" {
		out = defaultOutput(f.input, f.sandbox)
	}
	if err := reports.CheckPath(out); err != nil {
		return usageError(err)
	}
	jpath := ""
	if !dryRun {
		jpath = f.journal
		if jpath == "" {
			jpath = defaultJournal(out, f.sandbox)
		}
	}
	if err := checkFiles(f.input, f.mapping, out, jpath, f.summaryJSON); err != nil {
		return usageError(err)
	}
	if f.summaryJSON != "" {
		if err := checkWritable(f.summaryJSON); err != nil {
			return usageErrorf("--summary-json: %v", err)
		}
	}

	id, err := runIdentity(f.input, f.mapping)
	if err != nil {
		return usageError(err)
	}
	opts := importer.Options{
		DryRun:      dryRun,
		Concurrency: f.concurrency,
		Retries:     f.retries,
		Limit:       f.limit,
		Shard:       s.shard,
		MaxFailures: s.maxFailures,
		Payloads:    f.payloads,
	}
	var ex *providers.Exchange
	var pacer interface {
		Rate() float64
		Peak() float64
		InFlight() int
	}
	if !dryRun {
		var creds providers.Credentials
		base := f.baseURL
		if f.sandbox {
			creds = providers.SandboxCredentials(prov)
			srv, err := startSandbox(sandbox.One(prov, creds, sandbox.Faults{}))
			if err != nil {
				return usageErrorf("starting the sandbox: %v", err)
			}
			defer srv.Close()
			base = srv.URL
			fmt.Fprintf(e.stderr, "sandbox: %s's fake API on %s (nothing leaves this machine)\n", prov.Info().Name, base)
		} else {
			if base == "" {
				base = m.BaseURL
			}
			if base == "" {
				base = prov.Info().BaseURL
			}
			if base == "" {
				return usageErrorf("%s has no public base URL: set base_url in %s (or pass --base-url) to your %s host", prov.Info().Name, f.mapping, prov.Info().Name)
			}
			if creds, err = providers.LoadCredentials(prov, e.getenv); err != nil {
				return usageError(err)
			}
		}
		u, err := url.Parse(base)
		if err != nil {
			return usageErrorf("base URL %q: not a URL", mapping.ShownURL(base))
		}
		if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) && !f.allowHTTP {
			return usageErrorf("base URL %s is plain http: the credentials and every account's data would cross the network unencrypted; use https, or pass --allow-http if this is really meant (a proxy on a trusted network)", u.Redacted())
		}
		ex = &providers.Exchange{
			Provider: prov,
			Client:   providers.NewHTTPClient(f.concurrency),
			BaseURL:  u,
			Creds:    creds,
			Options:  m.Options,
			Timeout:  f.timeout,
		}
		if s.autoRate {
			ctl := pace.New(pace.Config{Start: f.rateStart, Max: f.rateMax, MaxConcurrency: f.concurrency})
			opts.Pacer, pacer = ctl, ctl
		} else {
			fixed := pace.NewFixed(s.rate, f.burst)
			opts.Pacer, pacer = fixed, fixed
		}
		if s.metricsAddr != "" {
			opts.Metrics = metrics.New()
			opts.Metrics.Watch(pacer)
			srv, err := opts.Metrics.Listen(s.metricsAddr)
			if err != nil {
				return usageErrorf("--metrics-addr: %v", err)
			}
			defer srv.Close()
			fmt.Fprintf(e.stderr, "metrics on http://%s/metrics\n", srv.Addr())
		}
		dest := importer.Destination{Provider: prov.Info().Name, BaseURL: displayURL(u), Sandbox: f.sandbox}
		id.destination = dest.BaseURL
		if f.sandbox {
			id.destination = "sandbox"
		}
		j, err := importer.OpenJournal(jpath, importer.JournalOwner{Destination: dest, MappingSum: id.mapping, Input: filepath.Base(f.input)}, f.resume)
		if err != nil {
			return usageError(err)
		}
		for _, n := range j.Notes {
			fmt.Fprintf(e.stderr, "acctimport: %s\n", printable.String(n))
		}
		opts.Journal = j
	}

	rep, err := reports.Create(out, in.Header(), reports.Options{Payloads: f.payloads})
	if err != nil {
		if opts.Journal != nil {
			_ = opts.Journal.Close()
		}
		return usageError(err)
	}
	total := newRowTotal(e.rowCounter(f, s, plan), opts.Metrics.SetRows)
	if opts.Metrics != nil {
		total.start()
	}
	var paceNow func() float64
	if s.autoRate {
		paceNow = pacer.Rate
	}
	bar := e.newProgress(e.progressMode(f.noProgress), dryRun, total, paceNow)
	opts.Progress = bar.row
	opts.Abandon = e.abandon
	watched := make(chan struct{})
	go e.watchInterrupts(ctx, bar, dryRun, watched)

	res, runErr := importer.Run(ctx, plan, in, rep, ex, opts)
	close(watched)
	bar.finish()

	sum := &reports.Summary{
		Provider:          prov.Info().Name,
		Input:             f.input,
		Mapping:           f.mapping,
		Output:            out,
		Start:             start,
		End:               time.Now(),
		DryRun:            dryRun,
		Counts:            res.Counts,
		Total:             res.Total,
		Stopped:           stoppedReason(ctx, res, runErr),
		InputSum:          id.input,
		MappingSum:        id.mapping,
		Destination:       id.destination,
		Advice:            adviceLines(res),
		NotReached:        res.NotReached,
		NotReachedAtLeast: res.NotReachedAtLeast,
		Unjournaled:       res.Unjournaled,
	}
	if s.shard.Count > 1 {
		sum.Shard = s.shard.String()
	}
	if s.autoRate && pacer != nil {
		sum.Pace, sum.PeakPace = pacer.Rate(), pacer.Peak()
	}
	// The journal first: once the report says a row is done, the journal
	// must already be on disk to say so to a resumed run.
	var journalErr, reportErr, summaryErr error
	if opts.Journal != nil {
		journalErr = opts.Journal.Close()
	}
	reportErr = rep.Close(sum)
	resume := ""
	if !dryRun && (runErr != nil || ctx.Err() != nil || journalErr != nil || reportErr != nil) {
		resume = resumeCommand(e.args)
	}
	if f.summaryJSON != "" {
		summaryErr = writeSummaryJSON(f.summaryJSON, sum, res, resume)
	}
	e.printSummary(sum, reportErr)
	if s.autoRate && pacer != nil {
		fmt.Fprintf(e.stdout, "pace (--rate auto): %.1f requests/s at the end, %.1f the highest sustained\n", pacer.Rate(), pacer.Peak())
	}
	for _, line := range adviceLines(res) {
		fmt.Fprintf(e.stdout, "mapping: %s\n", printable.String(line))
	}
	if res.NotReached > 0 {
		more := ""
		if res.NotReachedAtLeast {
			more = "at least "
		}
		fmt.Fprintf(e.stdout, "not reached: %s%s, not in the report\n", more, rowsWord(res.NotReached))
	}
	if opts.Journal != nil {
		e.printJournalNotes(opts.Journal, res)
	}
	if resume != "" {
		fmt.Fprintf(e.stdout, "to go on from where it stopped (rows already applied are skipped):\n  %s\n", printable.String(resume))
	}
	// What could not be written after rows were sent is a stop (exit 3),
	// never a usage error: something was sent, and the journal says what.
	if err := errors.Join(journalErr, reportErr, summaryErr); err != nil {
		if dryRun || sent(res) == 0 {
			return errors.Join(runErr, err)
		}
		return errors.Join(runErr, &importer.StopError{Reason: fmt.Sprintf("%v; the rows sent are in the journal: run the command above to write a report of them", err)})
	}
	if runErr != nil {
		return runErr
	}
	for st, n := range res.Counts {
		if n > 0 && st != reports.StatusOK && st != reports.StatusValid && st != reports.StatusSkipped {
			return errRowsFailed
		}
	}
	if res.Total == 0 {
		return usageErrorf("%s: no rows were selected (check --limit and --shard)", f.input)
	}
	return nil
}

// rowCounter counts the rows a run takes, for the progress total: a second
// pass over the input, with the run's --limit and --shard.
func (e *env) rowCounter(f *importFlags, s settings, plan *mapping.Plan) func() (int, bool) {
	return func() (int, bool) {
		in, err := input.Open(f.input, input.Options{Sheet: f.sheet, Encoding: f.encoding})
		if err != nil {
			return 0, false
		}
		defer in.Close()
		selected := 0
		for n := 0; f.limit == 0 || n < f.limit; n++ {
			rec, err := in.Next()
			if err != nil {
				return selected, err == io.EOF
			}
			key := ""
			if rec.Err == nil && s.shard.Count > 1 {
				key = plan.Key(rec.Cells)
			}
			if s.shard.Has(key, n) {
				selected++
			}
		}
		return selected, true
	}
}

// watchInterrupts says what an interrupt does to the run, in place of the
// progress bar, until done is closed.
func (e *env) watchInterrupts(ctx context.Context, bar *progress, dryRun bool, done <-chan struct{}) {
	select {
	case <-ctx.Done():
	case <-done:
		return
	}
	if dryRun {
		bar.interrupted("acctimport: interrupted; writing the report of the rows validated so far.")
		return
	}
	bar.interrupted("acctimport: interrupted; no new rows are sent, requests in flight may finish (up to --timeout). Interrupt again to abandon them.")
	select {
	case <-e.abandon:
		fmt.Fprintln(e.stderr, "acctimport: abandoning the requests in flight; writing the report and journal. Interrupt a third time to quit at once.")
	case <-done:
	}
}

func stoppedReason(ctx context.Context, res *importer.Result, err error) string {
	var se *importer.StopError
	switch {
	case errors.As(err, &se):
		return se.Reason
	case ctx.Err() != nil:
		return "interrupted"
	case err != nil:
		return err.Error()
	}
	return res.Stopped
}

// sent counts the rows that were sent (or tried).
func sent(res *importer.Result) int {
	return res.Counts[reports.StatusOK] + res.Counts[reports.StatusPartial] + res.Counts[reports.StatusFailed]
}

// printSummary says how the run went, and where its report is; reportErr
// says it could not be written.
func (e *env) printSummary(s *reports.Summary, reportErr error) {
	var parts []string
	for _, st := range reports.Statuses {
		if n := s.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no rows")
	}
	took := s.End.Sub(s.Start).Round(time.Millisecond)
	if s.DryRun {
		fmt.Fprintf(e.stdout, "validated %s in %s: %s\n", rowsWord(s.Total), took, strings.Join(parts, ", "))
	} else {
		sent := s.Counts[reports.StatusOK] + s.Counts[reports.StatusPartial] + s.Counts[reports.StatusFailed]
		fmt.Fprintf(e.stdout, "%s in %s: %s; %d sent\n", rowsWord(s.Total), took, strings.Join(parts, ", "), sent)
	}
	if s.Stopped != "" {
		fmt.Fprintf(e.stdout, "stopped early: %s\n", printable.String(s.Stopped))
	}
	if reportErr != nil {
		fmt.Fprintf(e.stdout, "report: NOT written (%s)\n", printable.String(reportErr.Error()))
		return
	}
	fmt.Fprintf(e.stdout, "report: %s\n", printable.String(s.Output))
}

// adviceLines says each problem of the mapping once, with the rows it made
// invalid.
func adviceLines(res *importer.Result) []string {
	lines := make([]string, len(res.Advice))
	for i := range res.Advice {
		lines[i] = mapping.AdviceLine(&res.Advice[i].Advice, res.Advice[i].Rows, res.Total)
	}
	return lines
}

// rowsWord is "1 row", "2 rows".
func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// isLoopbackHost reports whether host is this machine: "localhost" or a
// loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// startSandbox serves a provider's fake on a loopback port.
func startSandbox(h http.Handler) (*sandboxServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &sandboxServer{srv: srv, URL: "http://" + ln.Addr().String()}, nil
}

type sandboxServer struct {
	srv *http.Server
	URL string
}

func (s *sandboxServer) Close() { _ = s.srv.Close() }

// identity is what tells one run from another in its report's Summary, so
// that merge can refuse the reports of different runs.
type identity struct {
	input, mapping string // hex SHA-256 of the files
	destination    string // the base URL, "sandbox", or "" for a dry run
}

func runIdentity(input, mapping string) (identity, error) {
	var id identity
	var err error
	if id.input, err = fileSum(input); err != nil {
		return id, err
	}
	id.mapping, err = fileSum(mapping)
	return id, err
}

// fileSum is a file's SHA-256, hex, read as a stream: an input may be large.
func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
