package fakeapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

// Text is a value as an XML element carries it: text, whatever the field's
// type. Check converts it by the table, as it converts JSON.
type Text string

// ProblemKind is what is wrong with a member of a body.
type ProblemKind int

// The kinds of problem.
const (
	Unknown   ProblemKind = iota + 1 // a member the table does not have
	WrongType                        // a JSON (or XML) value of another type than the table's
	Missing                          // a required field absent, or empty
	Broken                           // a value that breaks a rule of the table
)

// Problem is one member of a body that Check refuses.
type Problem struct {
	// Path says where, as a person reads it: "email", "billing_info.email",
	// "addresses[1].address_zip", "maillists.news".
	Path string
	// Field is the table's field; nil for Unknown.
	Field *providers.Field
	Kind  ProblemKind
	// Msg is the table's own words: the rule broken ("must match ...") or
	// the type wanted ("must be a string"); "" for Unknown and Missing.
	Msg string
}

// String is the problem as "path: what is wrong".
func (p Problem) String() string {
	switch p.Kind {
	case Unknown:
		return fmt.Sprintf("unknown field %q", p.Path)
	case Missing:
		return p.Path + ": is required"
	}
	return p.Path + ": " + p.Msg
}

// CheckOptions are how an API reads what the table leaves open.
type CheckOptions struct {
	// NullIsNoChange accepts null for every field, meaning "no change": a
	// null field is left out, a null member of an object kept as nil
	// (FinerWorks: "If null, no changes or modifications will occur").
	// Otherwise null is a value of the wrong type.
	NullIsNoChange bool
	// Required says whether the server requires a field; nil uses the
	// table's Required. (A client may require more than its server: a
	// FinerWorks account_key.) A required field that is absent or empty is
	// Missing.
	Required func(f *providers.Field) bool
	// TypeMessage words a WrongType problem for a field; nil, or "", uses
	// the type's JSON name ("must be a string", "must be an object").
	TypeMessage func(f *providers.Field) string
}

// Check checks a decoded body against a table, as a server that reads the
// same document would: every member must be in the table, of its type,
// present when required and within its rules. It returns the fields that
// passed, converted to the table's Go types (those a payload is built of;
// an object's members and list's objects converted alike), and every
// problem: unknown members first, depth first in sorted order, then the
// table's fields in the table's order.
func Check(t *providers.Table, obj map[string]any, o CheckOptions) (map[string]any, []Problem) {
	c := checker{t: t, o: o}
	c.unknown(obj, "", "")
	return c.object(obj, "", ""), c.problems
}

type checker struct {
	t        *providers.Table
	o        CheckOptions
	problems []Problem
}

func (c *checker) add(p Problem) { c.problems = append(c.problems, p) }

// unknown reports the members of obj the table does not have. tablePath is
// obj's path in the table ("", "billing_info.", "addresses[]."), shown the
// prefix a person reads ("addresses[0].").
func (c *checker) unknown(obj map[string]any, tablePath, shown string) {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		path := tablePath + k
		f, ok := c.t.Lookup(path)
		if !ok || f.Path != path || f.Parent() != strings.TrimSuffix(tablePath, ".") {
			c.add(Problem{Path: shown + k, Kind: Unknown})
			continue
		}
		switch v := obj[k].(type) {
		case map[string]any:
			if f.Type == providers.Object {
				c.unknown(v, path+".", shown+k+".")
			}
		case []any:
			if f.Type == providers.ObjectList {
				for i, e := range v {
					if m, ok := e.(map[string]any); ok {
						c.unknown(m, path+"[].", fmt.Sprintf("%s%s[%d].", shown, k, i))
					}
				}
			}
		}
	}
}

// object checks the fields of the table whose parent is parent ("" for the
// top level) against obj, and returns those that passed.
func (c *checker) object(obj map[string]any, parent, shown string) map[string]any {
	out := make(map[string]any, len(obj))
	for i := range c.t.Fields() {
		f := &c.t.Fields()[i]
		if f.Parent() != parent {
			continue
		}
		name := strings.TrimPrefix(f.Path, parent+".")
		if parent == "" {
			name = f.Path
		}
		raw, present := obj[name]
		path := shown + name
		if !present || isEmpty(raw) {
			if c.required(f) {
				c.add(Problem{Path: path, Field: f, Kind: Missing})
				continue
			}
			if !present || isContainer(f.Type) {
				// An empty XML element is an empty object or list: none.
				continue
			}
		}
		if raw == nil {
			if !c.o.NullIsNoChange {
				c.wrongType(f, path)
			} else if parent != "" {
				out[name] = nil
			}
			continue
		}
		before := len(c.problems)
		v, ok := c.value(f, raw, path)
		if !ok {
			continue
		}
		if len(c.problems) > before {
			continue // a member of it was refused
		}
		if err := f.Check(v); err != nil {
			c.add(Problem{Path: path, Field: f, Kind: Broken, Msg: err.Error()})
			continue
		}
		out[name] = v
	}
	return out
}

func (c *checker) required(f *providers.Field) bool {
	if c.o.Required != nil {
		return c.o.Required(f)
	}
	return f.Required
}

func (c *checker) wrongType(f *providers.Field, path string) {
	msg := ""
	if c.o.TypeMessage != nil {
		msg = c.o.TypeMessage(f)
	}
	if msg == "" {
		msg = jsonTypeNames[f.Type]
	}
	c.add(Problem{Path: path, Field: f, Kind: WrongType, Msg: msg})
}

// jsonTypeNames say what a value of each type must be, in JSON's terms.
var jsonTypeNames = map[providers.Type]string{
	providers.String:     "must be a string",
	providers.Date:       "must be a string",
	providers.DateTime:   "must be a string",
	providers.Int:        "must be a whole number",
	providers.Bool:       "must be true or false",
	providers.StringList: "must be a list of strings",
	providers.Object:     "must be an object",
	providers.ObjectList: "must be an array of objects",
	providers.File:       "must be a base64 string",
	providers.NameSet:    "must be an object of names set to 1",
}

// value converts raw to f's Go type, reporting a problem when it cannot.
func (c *checker) value(f *providers.Field, raw any, path string) (any, bool) {
	switch f.Type {
	case providers.Object:
		m, ok := raw.(map[string]any)
		if !ok {
			c.wrongType(f, path)
			return nil, false
		}
		return c.object(m, f.Path, path+"."), true
	case providers.ObjectList:
		list, ok := raw.([]any)
		if !ok {
			c.wrongType(f, path)
			return nil, false
		}
		out := make([]any, 0, len(list))
		for i, e := range list {
			shown := fmt.Sprintf("%s[%d]", path, i)
			m, ok := e.(map[string]any)
			if !ok {
				c.add(Problem{Path: shown, Field: f, Kind: WrongType, Msg: "must be an object"})
				continue
			}
			out = append(out, c.object(m, f.Path+"[]", shown+"."))
		}
		return out, true
	case providers.NameSet:
		return c.nameSet(f, raw, path)
	}
	if v, ok := scalar(f.Type, raw); ok {
		return v, true
	}
	c.wrongType(f, path)
	return nil, false
}

// nameSet reads {"name": 1, ...}, the only value a set of names documents.
func (c *checker) nameSet(f *providers.Field, raw any, path string) (any, bool) {
	m, ok := raw.(map[string]any)
	if !ok {
		c.wrongType(f, path)
		return nil, false
	}
	out := make(map[string]int64, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if strings.TrimSpace(name) == "" {
			c.add(Problem{Path: path, Field: f, Kind: Broken, Msg: "has an empty name"})
			continue
		}
		if n, ok := scalar(providers.Int, m[name]); !ok || n != int64(1) {
			c.add(Problem{Path: path + "." + name, Field: f, Kind: Broken, Msg: "must be 1"})
			continue
		}
		out[name] = 1
	}
	return out, true
}

// scalar converts a JSON or XML value to the Go type of a field of type t.
// XML's booleans are 1 and 0 only: the text "false" is true to a server
// that casts it, so no client should send it.
func scalar(t providers.Type, raw any) (any, bool) {
	text, isText := raw.(Text)
	switch t {
	case providers.String, providers.Date, providers.DateTime:
		if s, ok := raw.(string); ok {
			return s, true
		}
		return string(text), isText
	case providers.Int:
		s := strings.TrimSpace(string(text))
		if n, ok := raw.(json.Number); ok {
			s, isText = string(n), true
		}
		if i, err := strconv.ParseInt(s, 10, 64); isText && err == nil {
			return i, true
		}
	case providers.Bool:
		if b, ok := raw.(bool); ok {
			return b, true
		}
		switch strings.TrimSpace(string(text)) {
		case "1":
			return true, isText
		case "0":
			return false, isText
		}
	case providers.StringList:
		list, ok := raw.([]any)
		if !ok {
			return nil, false
		}
		out := make([]string, len(list))
		for i, e := range list {
			if out[i], ok = e.(string); !ok {
				return nil, false
			}
		}
		return out, true
	case providers.File:
		s, ok := raw.(string)
		if isText {
			s, ok = string(text), true
		}
		if b, err := base64.StdEncoding.DecodeString(s); ok && err == nil {
			return b, true
		}
	}
	return nil, false
}

// isEmpty reports a value that says nothing: an empty string or XML element.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case string:
		return t == ""
	case Text:
		return strings.TrimSpace(string(t)) == ""
	}
	return false
}

func isContainer(t providers.Type) bool {
	return t == providers.Object || t == providers.ObjectList || t == providers.NameSet
}
