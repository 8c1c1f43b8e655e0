package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/reports"
)

func (e *env) mergeCmd() *cobra.Command {
	var output string
	var partial bool
	cmd := &cobra.Command{
		Use:   "merge -o OUTPUT REPORT...",
		Short: "Make one report from the reports of a run's shards",
		Long: `merge joins the reports of the shards of one run (--shard I/N) into one report,
as one unsharded run would have written it: Results with every row in input
order, Failed made again from those rows (feed it back as usual), and the
Summary with the counts added up over the run's span. The reports may be XLSX
or CSV (for NAME.csv, give NAME.csv; its .failed.csv and .summary.csv are
found beside it), in any order, and OUTPUT may be either.

The reports must be of one run: the same provider, input file, mapping file,
destination and options; otherwise merge names the difference and writes
nothing. Two reports of one shard, or reports that share a row, are refused.
A missing shard is an error naming it, unless --partial: the merged Summary's
Shard then lists the shards it holds.

Exit status: 0 every row ok (or valid); 1 some rows failed, partial or invalid;
2 the reports cannot be merged, nothing written.`,
		Example: `  acctimport merge -o accounts.results.xlsx shard-0.xlsx shard-1.xlsx shard-2.xlsx shard-3.xlsx
  acctimport merge -o all.csv shard-*.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usageErrorf("merge: -o OUTPUT is required")
			}
			sum, err := reports.Merge(cmd.Context(), output, args, reports.MergeOptions{Partial: partial})
			if err != nil {
				if ctxErr := cmd.Context().Err(); ctxErr != nil {
					return ctxErr
				}
				return usageError(err)
			}
			var parts []string
			failed := false
			for _, st := range reports.Statuses {
				if n := sum.Counts[st]; n > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", st, n))
					failed = failed || st == reports.StatusFailed || st == reports.StatusPartial || st == reports.StatusInvalid
				}
			}
			if len(parts) == 0 {
				parts = append(parts, "no rows")
			}
			fmt.Fprintf(e.stdout, "merged %d reports: %d rows: %s\n", len(args), sum.Total, strings.Join(parts, ", "))
			if sum.Shard != "" {
				fmt.Fprintf(e.stdout, "partial: the report holds shards %s only\n", sum.Shard)
			}
			if sum.Stopped != "" {
				fmt.Fprintf(e.stdout, "stopped early: %s\n", sum.Stopped)
			}
			fmt.Fprintf(e.stdout, "report: %s\n", output)
			if failed {
				return errRowsFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the merged report, .xlsx or .csv")
	cmd.Flags().BoolVar(&partial, "partial", false, "merge even when some of the run's shards are missing")
	return cmd
}
