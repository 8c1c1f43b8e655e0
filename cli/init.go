package cli

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/mapping"
)

func (e *env) initCmd() *cobra.Command {
	var provider, in, sheet, encoding string
	cmd := &cobra.Command{
		Use:   "init -p PROVIDER [-i INPUT]",
		Short: "Print a starter mapping; with -i, the input's columns matched to fields",
		Long: `init prints a starter mapping for a provider on standard output. With an input
file, each column is matched to the field it fills, by the names real exports
use (Salesforce, HubSpot, Shopify, Google and Outlook contacts, Fortnox,
DATEV...; "E-Mail Address", "Postnummer", "Handy"); a column in doubt is left
unmapped rather than guessed, and listed at the end. The first rows of the
file choose each column's transform (digits for phones written with spaces,
personnummer for Swedish personal numbers in mixed forms) and date format
(13/05/1954 is format "02/01/2006"); a date column whose days are all 12 or
less is ambiguous, and a comment says so instead of guessing. Review it, then
check it with validate before anything is sent.`,
		Example: `  acctimport init -p payway -i accounts.xlsx > payway.yaml
  acctimport validate -m payway.yaml -i accounts.xlsx`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			p, err := e.registry.Lookup(provider)
			if err != nil {
				return usageError(err)
			}
			var sample mapping.Sample
			if in != "" {
				if encoding != "" {
					if err := input.CheckEncoding(encoding); err != nil {
						return usageErrorf("--encoding: %v", err)
					}
				}
				if sample, err = readSample(in, sheet, encoding); err != nil {
					return usageError(err)
				}
			}
			_, err = e.stdout.Write(mapping.Starter(p, sample))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&provider, "provider", "p", "", "the provider: "+strings.Join(e.registry.Names(), ", "))
	fl.StringVarP(&in, "input", "i", "", "an input file whose columns to match and whose first rows to sample")
	fl.StringVar(&sheet, "sheet", "", "XLSX sheet (default: the first)")
	fl.StringVar(&encoding, "encoding", "", "the CSV's character set when it is not UTF-8 or UTF-16 (default: detected)")
	_ = cmd.MarkFlagRequired("provider")
	return cmd
}

// readSample reads the header and the first rows of an input, as validate
// will read them. A row the reader finds broken is left out of the sample:
// validate reports it.
func readSample(path, sheet, encoding string) (mapping.Sample, error) {
	r, err := input.Open(path, input.Options{Sheet: sheet, Encoding: encoding})
	if err != nil {
		return mapping.Sample{}, err
	}
	defer r.Close()
	s := mapping.Sample{Header: r.Header()}
	for len(s.Rows) < mapping.SampleRows {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return mapping.Sample{}, err
		}
		if rec.Err == nil {
			s.Rows = append(s.Rows, rec.Cells)
		}
	}
	return s, nil
}
