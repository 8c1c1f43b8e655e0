package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/acctimport/acctimport/reports"
)

// Execute runs acctimport as a program: arguments from os.Args, output to
// the standard streams, and interrupts handled in three steps. The first
// SIGINT or SIGTERM stops reading and sending new rows while requests in
// flight finish (up to --timeout); the second abandons them; both still write
// the report and the journal. The third quits at once, for a disk that hangs.
func Execute() int {
	tuneGC()
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	abandon := make(chan struct{})
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	// What an interrupt means is said by the command it interrupts (an
	// import stops sending; the sandbox stops serving), so the first two
	// only signal; the third, for a disk that hangs, quits here.
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		interrupt()
		<-sigs
		close(abandon)
		<-sigs
		fmt.Fprintln(os.Stderr, "\nacctimport: quit at once, without finishing the report (a run's journal holds every row that was applied)")
		reports.RemoveTempFiles()
		os.Exit(ExitInterrupted)
	}()
	return Main(ctx, abandon, os.Args[1:], os.Stdout, os.Stderr)
}

// tuneGC trades a little memory for a lot of time. A run's live heap is
// small and bounded by the concurrency (a few MiB for CSV), so the default
// GOGC of 100 collects several times a second for nothing; 400 makes the
// pipeline a fifth faster. The soft limit keeps an XLSX run, whose live heap
// is tens of MiB, from growing toward five times that. GOGC and GOMEMLIMIT
// in the environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}
