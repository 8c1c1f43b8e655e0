// Command bench measures acctimport against the physical limits the spec
// compares it with (SPEC.md, "Performance"), side by side in one run, and
// prints each figure, each ratio and whether it meets the spec's goal.
//
//	go run ./bench                  # everything: a few minutes
//	go run ./bench -quick           # a smoke version in a few minutes
//	go run ./bench -only run -conc 32 -latency 0
//	go run ./bench -only validate -rows 1000000 -md bench.md
//	go run ./bench -only auto -auto-n 200 -auto-latency 50ms
//
// It builds the acctimport command once and runs it as a child process, the
// way a user does, against one loopback server in this process that serves
// Payway's fake (or, with -server static, a canned answer). Every child is
// started through a small launcher (this program again) that reports its
// wall time, CPU time and peak RSS:
//
//   - run: the same request bodies sent by a bare Go HTTP client loop
//     (keep-alive, an idle pool as large as the concurrency; a child
//     process too, so both cross the same process boundary) and by
//     `acctimport run` from a CSV and from an XLSX file, at each concurrency
//     and server latency; the rows per measurement come from a short
//     calibration of the bare client; pairs are interleaved and repeated,
//     and the best of each kept.
//   - validate: `acctimport validate` of a generated CSV (rows/s and peak RSS)
//     and of a generated XLSX with an XLSX report, against excelize's own
//     streaming read and write of the same file in a child process.
//   - rate: `acctimport run --rate R`, with the server timestamping every
//     arrival: the achieved rate and the busiest one-second window.
//   - auto: `acctimport run --rate auto` against a server limiting it to N
//     requests/s without saying so (N = 20, 200, 2000; latency 0 and
//     50 ms): the share of N let through from 10 s on, and the share of
//     requests answered 429; then 4 shards at once against one limit.
//   - large: `acctimport run` of 200 and 400 finerworks rows with two 5 MiB
//     images each, at concurrency 4: peak RSS must follow the rows in
//     flight, not the rows done.
//   - zipbomb: `acctimport validate` of a small workbook with a part that
//     inflates to 3 GiB: refused, quickly, in bounded memory.
//
// No goal here can fail a build: the bench reports MISS and exits 0; it
// exits non-zero only when a measurement could not be made. Every load loop
// is bounded by a row count, and every child by a timeout; the server listens
// on 127.0.0.1 only. Input files are generated, never checked in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	only      map[string]bool // run, validate, rate
	inputs    map[string]bool // csv, xlsx
	conc      []int
	latencies []time.Duration
	secs      time.Duration // target length of one run measurement
	maxRows   int           // cap on the rows of one run measurement
	repeat    int           // interleaved repetitions of each run pair
	rows      int           // rows of the validate files
	vrepeat   int           // repetitions of each validate pair
	rate      float64
	burst     int
	duration  time.Duration
	static    bool
	md        string
	work      string
	bin       string

	autoN         []float64       // the untold limits of the --rate auto runs
	autoLatencies []time.Duration // their server latencies
	autoSecs      time.Duration   // rows for this long at the limit
	shardN        []float64       // the limits of the shards runs
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	only := fs.String("only", "run,validate,rate,auto,large,zipbomb", "the parts to run: `LIST` of run, validate, rate, auto, large, zipbomb")
	inputs := fs.String("inputs", "csv,xlsx", "input formats for run and validate: `LIST` of csv, xlsx")
	conc := fs.String("conc", "1,32,64", "concurrencies of the run measurements, `LIST`")
	lat := fs.String("latency", "0,20ms", "server latencies of the run measurements, `LIST`")
	secs := fs.Duration("secs", 4*time.Second, "target length of one run measurement (rows are chosen from a calibration of the bare client)")
	maxRows := fs.Int("max-rows", 100_000, "at most `N` rows in one run measurement")
	repeat := fs.Int("repeat", 3, "interleaved repetitions of each run pair; the best of each is kept")
	rows := fs.Int("rows", 1_000_000, "rows of the generated validate files")
	vrepeat := fs.Int("vrepeat", 1, "repetitions of each validate pair; the best of each is kept")
	rate := fs.Float64("rate", 200, "the --rate of the rate run, requests/s")
	burst := fs.Int("burst", 1, "the --burst of the rate run")
	duration := fs.Duration("duration", 20*time.Second, "length of the rate run")
	server := fs.String("server", "fake", "what the loopback server runs: fake (Payway's fake, checking every request) or static (a canned answer)")
	quick := fs.Bool("quick", false, "a smoke version: -secs 500ms -repeat 1 -rows 50000 -duration 3s -rate 100 -auto-n 200 -auto-latency 0 -auto-secs 20s -shards-n 200 unless set")
	autoN := fs.String("auto-n", "20,200,2000", "the limits, requests/s, that --rate auto is not told: `LIST`")
	autoLat := fs.String("auto-latency", "0,50ms", "server latencies of the --rate auto runs, `LIST`")
	autoSecs := fs.Duration("auto-secs", 30*time.Second, "rows for this long at the limit in each --rate auto run (more than 10s)")
	shardN := fs.String("shards-n", "20,200", "the limits of the runs of 4 shards at once, `LIST` (empty: none)")
	md := fs.String("md", "", "also write the table as markdown to `FILE`")
	work := fs.String("work", "", "keep generated files in `DIR` and reuse them (default: a temporary folder, removed)")
	bin := fs.String("bin", "", "measure this acctimport binary instead of building one")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		defaults := map[string]func(){
			"secs":         func() { *secs = 500 * time.Millisecond },
			"repeat":       func() { *repeat = 1 },
			"rows":         func() { *rows = 50_000 },
			"duration":     func() { *duration = 3 * time.Second },
			"rate":         func() { *rate = 100 },
			"auto-n":       func() { *autoN = "200" },
			"auto-latency": func() { *autoLat = "0" },
			"auto-secs":    func() { *autoSecs = 20 * time.Second },
			"shards-n":     func() { *shardN = "200" },
		}
		for name, apply := range defaults {
			if !set[name] {
				apply()
			}
		}
	}
	c := &config{
		secs: *secs, maxRows: *maxRows, repeat: *repeat, rows: *rows, vrepeat: *vrepeat,
		rate: *rate, burst: *burst, duration: *duration, static: *server == "static",
		md: *md, work: *work, bin: *bin,
	}
	var err error
	if c.only, err = parseSet(*only, "run", "validate", "rate", "auto", "large", "zipbomb"); err != nil {
		return nil, fmt.Errorf("-only: %w", err)
	}
	if c.inputs, err = parseSet(*inputs, "csv", "xlsx"); err != nil {
		return nil, fmt.Errorf("-inputs: %w", err)
	}
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-conc: %q is not a concurrency", s)
		}
		c.conc = append(c.conc, n)
	}
	if c.latencies, err = parseDurations("-latency", *lat); err != nil {
		return nil, err
	}
	if c.autoLatencies, err = parseDurations("-auto-latency", *autoLat); err != nil {
		return nil, err
	}
	if c.autoN, err = parseRates("-auto-n", *autoN); err != nil {
		return nil, err
	}
	if c.shardN, err = parseRates("-shards-n", *shardN); err != nil {
		return nil, err
	}
	c.autoSecs = *autoSecs
	switch {
	case *server != "fake" && *server != "static":
		return nil, fmt.Errorf("-server: %q is neither fake nor static", *server)
	case c.repeat < 1 || c.vrepeat < 1:
		return nil, errors.New("-repeat and -vrepeat must be at least 1")
	case c.rows < 1 || c.maxRows < 1:
		return nil, errors.New("-rows and -max-rows must be at least 1")
	case c.rate <= 0 || c.burst < 1 || c.duration < time.Second:
		return nil, errors.New("the rate run needs -rate > 0, -burst >= 1 and -duration >= 1s")
	case c.secs <= 0:
		return nil, errors.New("-secs must be more than 0")
	case c.autoSecs <= autoSettle:
		return nil, fmt.Errorf("-auto-secs must be more than %s: the goal is measured from then on", autoSettle)
	}
	return c, nil
}

func parseDurations(flagName, list string) ([]time.Duration, error) {
	var out []time.Duration
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "0" {
			s = "0s"
		}
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > time.Minute {
			return nil, fmt.Errorf("%s: %q is not a duration up to a minute", flagName, s)
		}
		out = append(out, d)
	}
	return out, nil
}

// parseRates reads a list of limits, requests/s; an empty list is none.
func parseRates(flagName, list string) ([]float64, error) {
	var out []float64
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	for _, s := range strings.Split(list, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r < 1 || r > 10_000 {
			return nil, fmt.Errorf("%s: %q is not a rate from 1 to 10000 requests/s", flagName, s)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseSet(list string, known ...string) (map[string]bool, error) {
	set := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		ok := false
		for _, k := range known {
			ok = ok || s == k
		}
		if !ok {
			return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(known, ", "))
		}
		set[s] = true
	}
	return set, nil
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case measureCmd:
			code, err := measure(os.Args[2:])
			if err != nil {
				fmt.Fprintln(os.Stderr, "measure:", err)
			}
			os.Exit(code)
		case bareCmd:
			if err := bareChild(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "bare:", err)
				os.Exit(1)
			}
			return
		case referenceCmd:
			if err := reference(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "reference:", err)
				os.Exit(1)
			}
			return
		}
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

// bench holds what the measurements share.
type bench struct {
	cfg     *config
	work    string // generated inputs (kept with -work)
	scratch string // reports and journals, removed after each measurement
	bin     string // acctimport
	self    string // this program, for the reference children
	mapping string
	srv     *server
	lines   []line
	failed  int // measurements that could not be made
}

func run(ctx context.Context, cfg *config) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "acctimport-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	b := &bench{cfg: cfg, work: cfg.work, scratch: filepath.Join(tmp, "scratch")}
	if b.work == "" {
		b.work = filepath.Join(tmp, "data")
	}
	for _, d := range []string{b.work, b.scratch} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	b.bin = cfg.bin
	if b.bin == "" {
		logf("building acctimport")
		if b.bin, err = buildAcctimport(ctx, root, tmp); err != nil {
			return err
		}
	}
	b.mapping = filepath.Join(tmp, "bench.yaml")
	if err := os.WriteFile(b.mapping, []byte(benchMapping), 0o644); err != nil {
		return err
	}
	// Fail early if the generated rows do not pass the mapping.
	bs, err := newBodies(b.mapping)
	if err == nil {
		_, err = bs.first(1000)
	}
	if err != nil {
		return err
	}
	if b.srv, err = startServer(cfg.static); err != nil {
		return err
	}
	defer b.srv.Close()
	logf("server on %s (%s)", b.srv.URL, b.serverName())

	if cfg.only["run"] {
		b.runPart(ctx)
	}
	if cfg.only["validate"] {
		b.validatePart(ctx)
	}
	if cfg.only["rate"] {
		b.ratePart(ctx)
	}
	if cfg.only["auto"] {
		b.autoPart(ctx)
	}
	if cfg.only["large"] {
		b.largePart(ctx)
	}
	if cfg.only["zipbomb"] {
		b.zipBombPart(ctx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.print(root)
	if b.failed > 0 {
		return fmt.Errorf("%d measurements could not be made (see ERROR above)", b.failed)
	}
	return nil
}

func (b *bench) serverName() string {
	if b.cfg.static {
		return "a canned Payway answer"
	}
	return "Payway's fake"
}

// fail records a measurement that could not be made.
func (b *bench) fail(name string, err error) {
	logf("ERROR %s: %v", name, err)
	b.failed++
	b.lines = append(b.lines, line{name: name, verdict: "ERROR"})
}

// input returns the generated input of n rows in format ext, generating it
// on first use.
func (b *bench) input(prefix string, n int, ext string) (string, error) {
	p := filepath.Join(b.work, fmt.Sprintf("%s-%d.%s", prefix, n, ext))
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	start := time.Now()
	var err error
	if ext == "xlsx" {
		err = writeXLSX(p, n)
	} else {
		err = writeCSV(p, n)
	}
	if err != nil {
		return "", err
	}
	logf("generated %s (%s rows) in %s", filepath.Base(p), count(float64(n)), time.Since(start).Round(time.Millisecond))
	return p, nil
}

// measureDir is a fresh folder for one measurement's report and journal.
func (b *bench) measureDir() (string, func(), error) {
	d, err := os.MkdirTemp(b.scratch, "m-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

func (b *bench) print(root string) {
	var head strings.Builder
	fmt.Fprintf(&head, "acctimport bench, %s, %s %s/%s, %d CPUs, server: %s on loopback",
		time.Now().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), b.serverName())
	if rev := revision(root); rev != "" {
		fmt.Fprintf(&head, ", commit %s", rev)
	}
	command := "go run ./bench " + strings.Join(os.Args[1:], " ")
	notes := []string{
		fmt.Sprintf("run: best of %d interleaved runs each; the bare client's figures are its sending loop's (bodies encoded beforehand); acctimport's are its whole process's, start to exit, with the journal on and a CSV report", b.cfg.repeat),
		"RSS: the child's peak resident set (getrusage); cpu/row: user+system time per row",
	}

	fmt.Println()
	fmt.Println(head.String())
	fmt.Println("command:", strings.TrimSpace(command))
	fmt.Println()
	printText(os.Stdout, b.lines)
	fmt.Println()
	for _, n := range notes {
		fmt.Println(n)
	}
	if b.cfg.md == "" {
		return
	}
	f, err := os.Create(b.cfg.md)
	if err != nil {
		logf("ERROR -md: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s\n\n```sh\n%s\n```\n\n", head.String(), strings.TrimSpace(command))
	printMarkdown(f, b.lines)
	fmt.Fprintln(f)
	for _, n := range notes {
		fmt.Fprintf(f, "- %s\n", n)
	}
	if err := f.Close(); err != nil {
		logf("ERROR -md: %v", err)
		return
	}
	logf("wrote %s", b.cfg.md)
}

// revision is the checked-out commit, for the record; it only reads.
func revision(root string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
