package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/providers"
)

func (e *env) providersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "providers [NAME]",
		Short: "List the providers; with NAME, its fields, types, rules and credentials",
		Long: `providers lists the account APIs acctimport can update. With a provider's name
it prints what a mapping needs: the request, the credentials and the
environment variables they come from, the options, and every field with its
type, whether it is required, the rules checked before sending and the API
document's own description.`,
		Example: `  acctimport providers
  acctimport providers payway`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listProviders(e.stdout, e.registry)
			}
			p, err := e.registry.Lookup(args[0])
			if err != nil {
				return usageError(err)
			}
			return describeProvider(e.stdout, p)
		},
	}
}

func listProviders(w io.Writer, reg *providers.Registry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tREQUEST\tCREDENTIALS (environment)\tWHAT IT UPDATES")
	for _, p := range reg.All() {
		info := p.Info()
		fmt.Fprintf(tw, "%s\t%s %s%s\t%s\t%s\n", info.Name, info.Method, info.BaseURL, info.Path, strings.Join(envNames(info), ", "), info.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\n`acctimport providers NAME` prints a provider's fields and rules; `acctimport init -p NAME -i INPUT` starts a mapping.")
	return err
}

func envNames(info providers.Info) []string {
	names := make([]string, len(info.Credentials))
	for i, c := range info.Credentials {
		names[i] = c.Env
	}
	return names
}

func describeProvider(w io.Writer, p providers.Provider) error {
	info := p.Info()
	fmt.Fprintf(w, "%s: %s\n\n", info.Name, info.Title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  request\t%s %s%s (a mapping's base_url or --base-url replaces the base)\n", info.Method, info.BaseURL, info.Path)
	fmt.Fprintf(tw, "  document\tseeds/%s\n", info.Document)
	fmt.Fprintf(tw, "  account key\t%s (rows with the same %s are sent one after another, in file order)\n", info.Key, info.Key)
	for i, c := range info.Credentials {
		label := ""
		if i == 0 {
			label = "credentials"
		}
		fmt.Fprintf(tw, "  %s\t%s: %s\n", label, c.Env, c.Description)
	}
	opts := providers.OptionFields(p.NewOptions())
	if len(opts) == 0 {
		fmt.Fprintf(tw, "  options\tnone\n")
	}
	for i, o := range opts {
		label := ""
		if i == 0 {
			label = "options"
		}
		fmt.Fprintf(tw, "  %s\t%s (%s): %s\n", label, o.Name, o.Type, o.Doc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tTYPE\tREQUIRED\tRULE\tDESCRIPTION")
	for _, f := range p.Table().Fields() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Path, f.Type, required(f), ruleText(f), oneLine(f.Description))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, `
A mapping fills fields from columns: "email: {column: E-mail, transform: [trim, lower]}".
Members of objects are written with dots ("address.city"), members of arrays with an
index ("addresses[0].address_city"). An empty cell leaves its field out of the request.
`)
	return err
}

func required(f providers.Field) string {
	switch {
	case !f.Required:
		return ""
	case f.Parent() != "":
		return "with " + strings.TrimSuffix(f.Parent(), "[]")
	}
	return "yes"
}

func ruleText(f providers.Field) string {
	parts := []string{}
	if t := f.RuleText(); t != "" {
		parts = append(parts, t)
	}
	if f.Secret {
		parts = append(parts, "secret: masked in every report")
	}
	return strings.Join(parts, "; ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
