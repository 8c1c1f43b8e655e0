package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
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
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		fmt.Fprintln(os.Stderr, "\nacctimport: interrupted; no new rows are sent, requests in flight may finish (up to --timeout). Interrupt again to abandon them.")
		interrupt()
		<-sigs
		fmt.Fprintln(os.Stderr, "\nacctimport: abandoning the requests in flight; writing the report and journal. Interrupt a third time to quit at once.")
		close(abandon)
		<-sigs
		fmt.Fprintln(os.Stderr, "\nacctimport: quit without finishing the report; the journal holds what was applied")
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
