package providers

import (
	"fmt"
	"strings"
)

// Type is the JSON type of a field's value, and so how a cell's text is
// converted before the field's rules are checked.
type Type int

const (
	String     Type = iota // a JSON string
	Int                    // a JSON number without fraction
	Bool                   // true/false; cells spelled TRUE/FALSE, yes/no, 1/0, x
	Date                   // a "YYYY-MM-DD" string
	DateTime               // an RFC 3339 string
	StringList             // an array of strings, filled with split
	Object                 // a nested object: its members are fields with dotted paths
	ObjectList             // an array of objects: members are "name[].member"
	// File is the bytes of a file, sent base64-encoded in JSON. The cell holds
	// the file's path, relative to the input file's folder; files larger than
	// MaxFileSize are refused.
	File
	// NameSet is an object whose keys are names, each set to 1 (a set of
	// mailing lists, say), filled with split: "news; offers" becomes
	// {"news": 1, "offers": 1}.
	NameSet
)

// MaxFileSize is the largest file a File field reads: enough for any logo or
// portrait, small enough that a wrong path to a video cannot exhaust memory.
const MaxFileSize = 5 << 20

var typeNames = [...]string{"string", "int", "bool", "date", "date-time", "array of strings", "object", "array of objects", "file", "set of names"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// holds reports whether v has the Go type a value of t is built as.
func (t Type) holds(v any) bool {
	switch t {
	case String, Date, DateTime:
		_, ok := v.(string)
		return ok
	case Int:
		_, ok := v.(int64)
		return ok
	case Bool:
		_, ok := v.(bool)
		return ok
	case StringList:
		_, ok := v.([]string)
		return ok
	case Object:
		_, ok := v.(map[string]any)
		return ok
	case ObjectList:
		_, ok := v.([]any)
		return ok
	case File:
		_, ok := v.([]byte)
		return ok
	case NameSet:
		_, ok := v.(map[string]int64)
		return ok
	}
	return false
}

// typeRule is the implicit first rule of every field: its value's type.
type typeRule struct{ t Type }

func (r typeRule) Check(v any) error {
	if !r.t.holds(v) {
		return &RuleError{r}
	}
	return nil
}

func (r typeRule) String() string {
	switch r.t {
	case Int:
		return "must be a whole number"
	case Bool:
		return "must be true or false"
	case StringList:
		return "must be a list of strings"
	case File:
		return fmt.Sprintf("must be the path of a file of at most %d MiB", MaxFileSize>>20)
	case NameSet:
		return "must be a list of names"
	}
	return "must be " + articled(r.t.String())
}

func articled(s string) string {
	if strings.IndexByte("aeiou", s[0]) >= 0 {
		return "an " + s
	}
	return "a " + s
}

// Field is one entry of a provider's field table.
//
// Path names the field in the payload: "email", "address.city" for a member
// of a nested object, "addresses[].address_city" for a member of every object
// of an array. Required on a member means required whenever its parent object
// is sent.
type Field struct {
	Path        string
	Type        Type
	Required    bool
	Description string
	Rules       []Rule
	// Unset is a value that clears the field on the server ("__UNSET__"); it is
	// sent as it is, without checking Rules.
	Unset string
	// Secret fields are masked in every report.
	Secret bool
}

// Parent returns the path of the object that holds f, or "" at the top level.
func (f *Field) Parent() string {
	i := strings.LastIndexByte(f.Path, '.')
	if i < 0 {
		return ""
	}
	return f.Path[:i]
}

// Check runs the field's rules against v, a value already converted to the
// field's type. The error says which rule failed, phrased to follow the
// field's name: "must match ^[0-9]{10}$".
func (f *Field) Check(v any) error {
	if f.Unset != "" && v == f.Unset {
		return nil
	}
	if !f.Type.holds(v) {
		return &RuleError{typeRule{f.Type}}
	}
	for _, r := range f.Rules {
		if err := r.Check(v); err != nil {
			return err
		}
	}
	return nil
}

// RuleText is the field's rules as one human-readable phrase, for
// `acctimport providers NAME` and for mapping authors.
func (f *Field) RuleText() string {
	parts := make([]string, 0, len(f.Rules)+1)
	for _, r := range f.Rules {
		parts = append(parts, r.String())
	}
	if f.Unset != "" {
		parts = append(parts, fmt.Sprintf("%q clears it", f.Unset))
	}
	return strings.Join(parts, "; ")
}

// Table is a provider's field table, indexed by path.
type Table struct {
	fields []Field
	byPath map[string]*Field
}

// NewTable indexes fields. It panics on a duplicate path or on a member whose
// parent is not an object in the table: both are programming errors in a
// provider package, found by its first test.
func NewTable(fields ...Field) *Table {
	t := &Table{fields: fields, byPath: make(map[string]*Field, len(fields))}
	for i := range t.fields {
		f := &t.fields[i]
		if _, dup := t.byPath[f.Path]; dup {
			panic("providers: duplicate field " + f.Path)
		}
		t.byPath[f.Path] = f
	}
	for i := range t.fields {
		f := &t.fields[i]
		if p := f.Parent(); p != "" {
			parent := t.byPath[strings.TrimSuffix(p, "[]")]
			if parent == nil || (parent.Type != Object && parent.Type != ObjectList) ||
				(parent.Type == ObjectList) != strings.HasSuffix(p, "[]") {
				panic("providers: field " + f.Path + " has no matching parent object")
			}
		}
	}
	return t
}

// Fields returns the table in its documented order.
func (t *Table) Fields() []Field { return t.fields }

// Lookup finds a field by its path; array indexes are ignored, so
// "addresses[1].address_city" finds "addresses[].address_city".
func (t *Table) Lookup(path string) (*Field, bool) {
	f, ok := t.byPath[NormalizePath(path)]
	return f, ok
}

// Paths lists every path of the table, for "did you mean" suggestions.
func (t *Table) Paths() []string {
	out := make([]string, len(t.fields))
	for i := range t.fields {
		out[i] = t.fields[i].Path
	}
	return out
}

// NormalizePath removes array indexes from a path: "a[3].b" becomes "a[].b".
func NormalizePath(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	skip := false
	for _, r := range path {
		switch {
		case r == '[':
			skip = true
			b.WriteRune(r)
		case r == ']':
			skip = false
			b.WriteRune(r)
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}
