package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Execute runs acctimport as a program: arguments from os.Args, output to
// the standard streams, and interrupts handled in three steps. The first
// SIGINT or SIGTERM stops reading and sending new rows while requests in
// flight finish (up to --timeout); the second abandons them; both still write
// the report and the journal. The third quits at once, for a disk that hangs.
func Execute() int {
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
