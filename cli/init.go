package cli

import (
	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/mapping"
)

func (e *env) initCmd() *cobra.Command {
	var provider, in, sheet string
	cmd := &cobra.Command{
		Use:   "init -p PROVIDER [-i INPUT]",
		Short: "Print a starter mapping; with -i, the input's columns matched to fields",
		Long: `init prints a starter mapping for a provider on standard output. With an input
file, each column is matched to the field it most likely fills (normalised
names and the usual spellings: "E-mail", "Zip", "Postal code", "Mobile"...),
and the columns left over are listed as comments. Review it, then check it
with validate before anything is sent.`,
		Example: `  acctimport init -p payway -i accounts.xlsx > payway.yaml
  acctimport validate -m payway.yaml -i accounts.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			p, err := e.registry.Lookup(provider)
			if err != nil {
				return usageError(err)
			}
			var header []string
			if in != "" {
				r, err := input.Open(in, input.Options{Sheet: sheet})
				if err != nil {
					return usageError(err)
				}
				header = r.Header()
				r.Close()
			}
			_, err = e.stdout.Write(mapping.Starter(p, header))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&provider, "provider", "p", "", "the provider (see `acctimport providers`)")
	fl.StringVarP(&in, "input", "i", "", "an input file whose columns to match")
	fl.StringVar(&sheet, "sheet", "", "XLSX sheet (default: the first)")
	_ = cmd.MarkFlagRequired("provider")
	return cmd
}
