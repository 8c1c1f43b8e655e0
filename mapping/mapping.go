package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/acctimport/acctimport/internal/suggest"
	"github.com/acctimport/acctimport/providers"

	"github.com/acctimport/acctimport/internal/regular"
)

// Mapping is a parsed and checked mapping file.
type Mapping struct {
	File     string // as given, for messages
	Provider providers.Provider
	BaseURL  string // "" means the provider's default
	Options  providers.Options
	Fields   []Source // in the file's order
}

// Source says where one target field's value comes from.
type Source struct {
	Field     string   // the target path, as written: "address.city", "addresses[0].street"
	Column    string   // the input column; "" when Value is used
	Value     string   // a constant
	HasValue  bool     // Value was given (it may be "")
	Transform []string // applied in order
	Split     string   // split the cell into a list on this separator
	Format    string   // the date/time layout of the cell
	Line      int      // where the field is in the mapping
}

// Error is one problem in a mapping, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Registry is where a mapping's provider is looked up.
type Registry interface {
	Lookup(name string) (providers.Provider, error)
}

// Load reads and parses the mapping at path.
func Load(path string, reg Registry) (*Mapping, error) {
	if err := regular.Check(path); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return Parse(path, data, reg)
}

// maxMappingSize bounds what Parse accepts: a mapping is a page of YAML, and
// a huge one is a mistake (or the input file passed as -m).
const maxMappingSize = 1 << 20

// Parse parses a mapping. name is used in messages. Every problem found is
// reported, joined, so that one edit can fix them all.
func Parse(name string, data []byte, reg Registry) (*Mapping, error) {
	name = filepath.Base(name)
	if len(data) > maxMappingSize {
		return nil, &Error{File: name, Msg: "is larger than 1 MiB; is it really a mapping?"}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	p := parser{file: name, m: &Mapping{File: name}}
	p.document(&doc, reg)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.m, nil
}

type parser struct {
	file string
	m    *Mapping
	errs []error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func didYouMean(word string, candidates []string) string {
	if s, ok := suggest.Closest(word, candidates); ok {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

var topKeys = []string{"provider", "base_url", "options", "fields"}

func (p *parser) document(doc *yaml.Node, reg Registry) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorf(nil, "is empty; it needs at least provider: and fields:")
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "must be a YAML mapping with the keys %s", strings.Join(topKeys, ", "))
		return
	}
	var provNode, baseNode, optNode, fieldsNode *yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			p.errorf(k, "key %q appears twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "provider":
			provNode = v
		case "base_url":
			baseNode = v
		case "options":
			optNode = v
		case "fields":
			fieldsNode = v
		default:
			p.errorf(k, "unknown key %q%s (the keys are %s)", k.Value, didYouMean(k.Value, topKeys), strings.Join(topKeys, ", "))
		}
	}
	if provNode == nil {
		p.errorf(root, "missing provider: (one of the names `acctimport providers` lists)")
		return
	}
	if provNode.Kind != yaml.ScalarNode {
		p.errorf(provNode, "provider must be a name")
		return
	}
	prov, err := reg.Lookup(provNode.Value)
	if err != nil {
		p.errorf(provNode, "%v", err)
		return
	}
	p.m.Provider = prov
	if baseNode != nil {
		p.baseURL(baseNode)
	}
	p.options(optNode)
	if fieldsNode == nil {
		p.errorf(root, "missing fields: (target field -> column)")
		return
	}
	p.fields(fieldsNode)
}

func (p *parser) baseURL(n *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "base_url must be a URL")
		return
	}
	if err := CheckBaseURL(n.Value); err != nil {
		p.errorf(n, "base_url: %v", err)
		return
	}
	p.m.BaseURL = n.Value
}

// CheckBaseURL accepts an absolute http(s) URL without credentials, query or
// fragment.
func CheckBaseURL(raw string) error {
	shown := ShownURL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", shown)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q must start with https://", shown)
	case u.Host == "":
		return fmt.Errorf("%q has no host", shown)
	case u.User != nil:
		return fmt.Errorf("%q must not carry credentials; they come from the environment", shown)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q must not have a query or fragment (a key in it would be printed and logged; credentials come from the environment)", shown)
	}
	return nil
}

// ShownURL is a URL as a message may quote it: without its query, fragment
// and user information, where a key may hide, and clipped.
func ShownURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i] + "?…"
	}
	if i := strings.Index(raw, "://"); i >= 0 {
		if at := strings.LastIndexByte(raw[i+3:], '@'); at >= 0 && !strings.Contains(raw[i+3:i+3+at], "/") {
			raw = raw[:i+3] + "…@" + raw[i+3+at+1:]
		}
	}
	if len(raw) > 200 {
		raw = raw[:200] + "…"
	}
	return raw
}

// options decodes the provider's options strictly: a key the provider's
// options struct does not have is an error at its line.
func (p *parser) options(n *yaml.Node) {
	opts := p.m.Provider.NewOptions()
	p.m.Options = opts
	if n != nil && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		if n.Kind != yaml.MappingNode {
			p.errorf(n, "options must be a mapping of %s's options", p.m.Provider.Info().Name)
			return
		}
		known := yamlKeys(opts)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !contains(known, k.Value) {
				ok = false
				hint := "it has none"
				if len(known) > 0 {
					hint = "it has " + strings.Join(known, ", ")
				}
				p.errorf(k, "unknown option %q for %s%s (%s)", k.Value, p.m.Provider.Info().Name, didYouMean(k.Value, known), hint)
			}
		}
		if !ok {
			return
		}
		if err := n.Decode(opts); err != nil {
			p.errorf(n, "options: %s", strings.TrimPrefix(err.Error(), "yaml: "))
			return
		}
	}
	if err := opts.Validate(); err != nil {
		p.errorf(n, "options: %v", err)
	}
}

// yamlKeys lists the option names a mapping may use.
func yamlKeys(o providers.Options) []string {
	var keys []string
	for _, f := range providers.OptionFields(o) {
		keys = append(keys, f.Name)
	}
	return keys
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

var sourceKeys = []string{"column", "value", "transform", "split", "format"}

func (p *parser) fields(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "fields must be a mapping of target field to column")
		return
	}
	if len(n.Content) == 0 {
		p.errorf(n, "fields is empty")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		src := Source{Field: k.Value, Line: k.Line}
		if line, dup := seen[k.Value]; dup {
			p.errorf(k, "field %q is mapped twice (also at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag == "!!null" || v.Value == "" {
				p.errorf(v, "field %q has no source: give a column name or {value: ...}", k.Value)
				continue
			}
			src.Column = v.Value
		case yaml.MappingNode:
			if !p.source(v, &src) {
				continue
			}
		default:
			p.errorf(v, "field %q: expected a column name or {column: ..., transform: [...]}", k.Value)
			continue
		}
		p.m.Fields = append(p.m.Fields, src)
	}
}

func (p *parser) source(n *yaml.Node, src *Source) bool {
	ok := true
	hasColumn := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "column":
			hasColumn = true
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				p.errorf(v, "field %q: column must be a column name", src.Field)
				ok = false
			}
			src.Column = v.Value
		case "value":
			if v.Kind != yaml.ScalarNode {
				p.errorf(v, "field %q: value must be a single value", src.Field)
				ok = false
			}
			src.Value, src.HasValue = v.Value, true
		case "transform":
			switch v.Kind {
			case yaml.ScalarNode:
				src.Transform = []string{v.Value}
			case yaml.SequenceNode:
				for _, e := range v.Content {
					if e.Kind != yaml.ScalarNode {
						p.errorf(e, "field %q: transform must be a list of names", src.Field)
						ok = false
						continue
					}
					src.Transform = append(src.Transform, e.Value)
				}
			default:
				p.errorf(v, "field %q: transform must be a list of names", src.Field)
				ok = false
			}
			for j, name := range src.Transform {
				if _, known := transforms[name]; !known {
					line := v
					if v.Kind == yaml.SequenceNode && j < len(v.Content) {
						line = v.Content[j]
					}
					p.errorf(line, "field %q: unknown transform %q%s (known: %s)", src.Field, name, didYouMean(name, transformNames()), strings.Join(transformNames(), ", "))
					ok = false
				}
			}
		case "split":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				p.errorf(v, "field %q: split must be a separator such as \";\"", src.Field)
				ok = false
			}
			src.Split = v.Value
		case "format":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				p.errorf(v, "field %q: format must be a date layout such as \"02/01/2006\" or \"DD/MM/YYYY\"", src.Field)
				ok = false
			}
			src.Format = v.Value
		default:
			p.errorf(k, "field %q: unknown key %q%s (the keys are %s)", src.Field, k.Value, didYouMean(k.Value, sourceKeys), strings.Join(sourceKeys, ", "))
			ok = false
		}
	}
	switch {
	case hasColumn && src.HasValue:
		p.errorf(n, "field %q has both column and value; choose one", src.Field)
		ok = false
	case !hasColumn && !src.HasValue:
		p.errorf(n, "field %q needs a column or a value", src.Field)
		ok = false
	}
	return ok
}
