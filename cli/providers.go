package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/acctimport/acctimport/providers"
)

func (e *env) providersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "providers [NAME]",
		Short: "List the providers; with NAME, its fields, types, rules and credentials",
		Long: `providers lists the account APIs acctimport can update. With a provider's name
it prints what a mapping needs: the request, where the API is documented, the
credentials and the environment variables they come from, the options, and
every field with its type, whether it is required, the rules checked before
sending and the API documentation's own description.`,
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

// width is what the output fits: a normal terminal, with a margin.
const width = 100

// request is the provider's request line; a provider without a default
// host shows where the mapping's goes.
func request(info providers.Info) string {
	base := info.BaseURL
	if base == "" {
		base = "{base_url}"
	}
	return info.Method + " " + base + info.Path
}

func listProviders(w io.Writer, reg *providers.Registry) error {
	pw := &printer{w: w}
	for _, p := range reg.All() {
		info := p.Info()
		pw.item(info.Name, 14, info.Title)
		pw.item("", 14, request(info))
		pw.item("", 14, "environment: "+strings.Join(envNames(info), ", "))
	}
	pw.line("")
	pw.wrap("", "`acctimport providers NAME` prints a provider's fields and rules; `acctimport init -p NAME -i INPUT` starts a mapping.")
	return pw.err
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
	pw := &printer{w: w}
	pw.wrap("", info.Name+": "+info.Title)
	pw.line("")
	const label = 15
	if info.BaseURL == "" {
		pw.item("request", label, request(info)+" (the documentation names no real host: a mapping's base_url or --base-url must give it)")
	} else {
		pw.item("request", label, request(info)+" (a mapping's base_url or --base-url replaces the base)")
	}
	pw.item("documented in", label, info.Document)
	pw.item("account key", label, info.Key+": rows with the same "+info.Key+" are sent one after another, in file order")
	for i, c := range info.Credentials {
		pw.item(map[bool]string{true: "credentials"}[i == 0], label, c.Env+": "+c.Description)
	}
	opts := providers.OptionFields(p.NewOptions())
	if len(opts) == 0 {
		pw.item("options", label, "none")
	}
	for i, o := range opts {
		kind := o.Type
		if len(o.Values) > 0 {
			kind = strings.Join(o.Values, " | ")
		}
		pw.item(map[bool]string{true: "options"}[i == 0], label, fmt.Sprintf("%s (%s): %s", o.Name, kind, o.Doc))
	}
	pw.line("")
	pw.wrap("", "FIELDS: each with its type and whether it is required, the rules checked before sending, and the documentation's description.")
	for _, f := range p.Table().Fields() {
		pw.line("")
		head := f.Path + "  " + f.Type.String()
		if r := required(f); r != "" {
			head += ", " + r
		}
		pw.line(head)
		if r := ruleText(f); r != "" {
			pw.wrap("    ", "rules: "+r)
		}
		pw.wrap("    ", oneLine(f.Description))
	}
	pw.line("")
	pw.wrap("", `A mapping fills fields from columns: "email: {column: E-mail, transform: [trim, lower]}". `+
		`Members of objects are written with dots ("address.city"), members of arrays with an index ("addresses[0].address_city"). `+
		"An empty cell leaves its field out of the request.")
	return pw.err
}

func required(f providers.Field) string {
	switch {
	case !f.Required:
		return ""
	case f.Parent() != "":
		return "required with " + strings.TrimSuffix(f.Parent(), "[]")
	}
	return "required"
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

// printer writes text wrapped to width, keeping the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(s string) {
	if p.err == nil {
		_, p.err = fmt.Fprintln(p.w, s)
	}
}

// item writes text after a label padded to col characters, its wrapped
// lines indented to the same column.
func (p *printer) item(label string, col int, text string) {
	lines := wrapWords(text, width-col)
	for i, l := range lines {
		if i > 0 {
			label = ""
		}
		p.line(strings.TrimRight(fmt.Sprintf("%-*s%s", col, label, l), " "))
	}
}

// wrap writes text wrapped to width, every line after indent.
func (p *printer) wrap(indent, text string) {
	for _, l := range wrapWords(text, width-len(indent)) {
		p.line(indent + l)
	}
}

// wrapWords breaks text into lines of at most n characters, between words;
// a word longer than n (a long pattern) has a line of its own.
func wrapWords(text string, n int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(text) {
		switch {
		case cur == "":
			cur = word
		case len([]rune(cur))+1+len([]rune(word)) <= n:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}
