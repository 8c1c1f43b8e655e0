// Package cli holds acctimport's commands. Commands return errors; the one
// function Main turns them into an exit status, so nothing below it calls
// os.Exit or prints and carries on.
package cli

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
)

// env is what a command may take from its surroundings; tests replace it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	registry       *providers.Registry
	// isTerminal reports whether stderr is a terminal (for the progress bar).
	isTerminal func() bool
	// abandon is closed on a second interrupt: requests in flight are given
	// up rather than waited for.
	abandon <-chan struct{}
	// args are the command line's arguments, for the command that resumes
	// an interrupted run.
	args []string
}

// Main runs acctimport with args (without the program name) and returns the
// exit status. ctx is cancelled on the first SIGINT/SIGTERM (stop reading,
// let requests in flight finish); abandon is closed on the second (give
// them up). Either way the report and journal are written.
func Main(ctx context.Context, abandon <-chan struct{}, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, getenv: os.Getenv, registry: all.Registry, isTerminal: func() bool { return stderrIsTerminal(stderr) }, abandon: abandon}
	return e.main(ctx, args)
}

func (e *env) main(ctx context.Context, args []string) int {
	e.args = args
	root := e.rootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	printError(e.stderr, err)
	return exitCode(err)
}

func (e *env) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "acctimport",
		Short: "Update customer accounts in remote account APIs from a spreadsheet",
		Long: `acctimport maps each row of a CSV or XLSX file to a provider's payload with a
YAML mapping, validates it against the provider's documented rules, sends the
valid rows concurrently under a rate limit with retries, and writes a results
spreadsheet that says, row by row, what happened and why.

Exit status: 0 every row ok (or valid); 1 some rows failed, partial or invalid;
2 usage, mapping, credential or input-file error, nothing sent; 3 stopped early
(credentials rejected, or --max-failures reached); 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetVersionTemplate("acctimport {{.Version}}\n")
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(e.importCmd(false), e.importCmd(true), e.sandboxCmd(), e.providersCmd(), e.initCmd(), e.mergeCmd())
	return root
}
