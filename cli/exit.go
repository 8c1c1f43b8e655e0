package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/acctimport/acctimport/importer"
	"github.com/acctimport/acctimport/internal/printable"
)

// Exit statuses, as SPEC.md defines them.
const (
	ExitOK          = 0   // every row ok (or valid)
	ExitRowsFailed  = 1   // some rows failed, partial or invalid; report written
	ExitUsage       = 2   // usage, mapping, credential or input error; nothing sent
	ExitStopped     = 3   // stopped early because going on cannot help
	ExitInterrupted = 130 // SIGINT/SIGTERM; report and journal written
)

// exitError carries an exit status with an error to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a problem found before anything was sent.
func usageError(err error) error { return &exitError{code: ExitUsage, err: err} }

func usageErrorf(format string, args ...any) error {
	return usageError(fmt.Errorf(format, args...))
}

// errRowsFailed is returned when the run finished and the report says which
// rows did not go well: nothing more to print.
var errRowsFailed = &exitError{code: ExitRowsFailed, err: errors.New("some rows were not ok; see the report")}

// exitCode is the one place that turns an error into an exit status.
func exitCode(err error) int {
	var ee *exitError
	var se *importer.StopError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &se):
		return ExitStopped
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	// Anything else stopped the tool before or while it worked: treat it as
	// a usage-level failure, never as success.
	return ExitUsage
}

// printError writes err for a person: one line per joined error.
func printError(w io.Writer, err error) {
	if err == nil || err == errRowsFailed {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.code == ExitRowsFailed {
		return
	}
	var se *importer.StopError
	canceled := errors.Is(err, context.Canceled)
	switch {
	case canceled && errors.As(err, &se):
		// Interrupted, and then something could not be written.
		fmt.Fprintf(w, "acctimport: interrupted; %s\n", printable.String(se.Reason))
		return
	case canceled:
		fmt.Fprintln(w, "acctimport: interrupted; the report and journal hold every row that finished")
		return
	}
	// Errors quote file names, cells and servers' words: none of them may
	// act on the terminal.
	fmt.Fprintf(w, "acctimport: %s\n", printable.String(err.Error()))
}
