package mapping

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

// Row is one input row made into a payload.
type Row struct {
	Payload map[string]any
	Key     string  // the account key, as sent ("" when the row has none)
	Issues  []Issue // every broken rule; a row with issues must not be sent
	// Secrets are the row's secret values, as typed and as sent (a password
	// and its sha1), for scrubbing from anything a server answers.
	Secrets []string
}

// Issue is one broken rule, tied to the input column it came from.
type Issue struct {
	Column int    // index into the header; -1 when no column is to blame
	Field  string // the target field
	Rule   string // "mobile_phone_number must match ^[0-9]{10}$"
}

func (r *Row) hasIssue(field string) bool {
	for _, is := range r.Issues {
		if is.Field == field {
			return true
		}
	}
	return false
}

// Valid reports whether the row may be sent.
func (r *Row) Valid() bool { return len(r.Issues) == 0 }

// Message names every broken field, its column and its rule:
// "Mobile: mobile_phone_number must match ^[+,0]?[0-9]{10,12}$".
func (p *Plan) Message(r *Row) string {
	parts := make([]string, len(r.Issues))
	for i, is := range r.Issues {
		if is.Column >= 0 && is.Column < len(p.header) {
			parts[i] = p.header[is.Column] + ": " + is.Rule
		} else {
			parts[i] = is.Rule
		}
	}
	return strings.Join(parts, "; ")
}

// Build makes the payload of one row and checks every value against the
// provider's rules. cells has one value per header column.
func (p *Plan) Build(cells []string) Row {
	row := Row{Payload: make(map[string]any, len(p.steps))}
	for i := range p.steps {
		st := &p.steps[i]
		var v any
		if st.column < 0 {
			if st.constant == nil {
				continue
			}
			v = st.constant
		} else {
			text := ""
			if st.column < len(cells) {
				text = cells[st.column]
			}
			val, present, err := st.value(text)
			if err != nil {
				row.Issues = append(row.Issues, Issue{Column: st.column, Field: st.fullPath, Rule: st.fullPath + " " + err.Error()})
				continue
			}
			if !present {
				if st.field.Required && st.field.Parent() == "" {
					row.Issues = append(row.Issues, Issue{Column: st.column, Field: st.fullPath, Rule: st.fullPath + " is required"})
				}
				continue
			}
			v = val
		}
		if i == p.keyStep {
			row.Key = fmt.Sprint(v)
		}
		put(row.Payload, st.path, v)
	}
	p.dropConstantOnly(row.Payload)
	p.checkMembers(&row)
	if p.hasArrays {
		compact(row.Payload)
	}
	return row
}

// dropConstantOnly removes the objects that hold nothing but the mapping's
// constants: "addresses[1].address_type: {value: 2}" describes the shipping
// address a row may have, and a row without one must not send a shipping
// address made of that constant alone.
func (p *Plan) dropConstantOnly(payload map[string]any) {
	for i := range p.constObjects {
		co := &p.constObjects[i]
		filled := false
		for _, c := range co.columns {
			if lookup(payload, c) != nil {
				filled = true
				break
			}
		}
		if !filled {
			remove(payload, co.path)
		}
	}
}

// remove takes the value at path out of obj: a member is deleted, an array
// element is set to nil for compact to drop.
func remove(obj map[string]any, path []pathPart) {
	if len(path) == 0 {
		return
	}
	parent := obj
	if len(path) > 1 {
		m, ok := lookup(obj, path[:len(path)-1]).(map[string]any)
		if !ok {
			return
		}
		parent = m
	}
	last := path[len(path)-1]
	if last.index < 0 {
		delete(parent, last.name)
		return
	}
	if arr, ok := parent[last.name].([]any); ok && last.index < len(arr) {
		arr[last.index] = nil
	}
}

// checkMembers enforces members that are required whenever their object is
// sent: an address with a city but no street is broken, an empty one is
// simply not sent.
func (p *Plan) checkMembers(row *Row) {
	for i := range p.members {
		mc := &p.members[i]
		if lookup(row.Payload, mc.objPath) == nil || lookup(row.Payload, mc.memberPath) != nil {
			continue
		}
		if row.hasIssue(mc.member) {
			continue // its value broke a rule, which says more than "required"
		}
		row.Issues = append(row.Issues, Issue{Column: mc.column, Field: mc.member, Rule: mc.member + " is required when " + mc.obj + " is sent"})
	}
}

// value turns one cell's text into the field's value. present is false for
// a blank cell, which leaves the field out ("no change").
func (st *step) value(text string) (v any, present bool, err error) {
	f := st.field
	if (f.Type == providers.StringList || f.Type == providers.NameSet) && st.src.Split != "" {
		var list []string
		for _, item := range strings.Split(text, st.src.Split) {
			item = strings.TrimSpace(item)
			if item, err = applyAll(st.transforms, item); err != nil {
				return nil, false, err
			}
			if item != "" {
				list = append(list, item)
			}
		}
		if len(list) == 0 {
			return nil, false, nil
		}
		if f.Type == providers.NameSet {
			return nameSet(list), true, f.Check(nameSet(list))
		}
		return list, true, f.Check(list)
	}
	if isBlank(text) {
		return nil, false, nil
	}
	if text, err = applyAll(st.transforms, text); err != nil {
		return nil, false, err
	}
	if isBlank(text) {
		return nil, false, nil
	}
	if f.Unset != "" && strings.TrimSpace(text) == f.Unset {
		return f.Unset, true, nil
	}
	switch f.Type {
	case providers.Int:
		n, err := parseInt(text)
		if err != nil {
			return nil, false, err
		}
		v = n
	case providers.Bool:
		b, err := parseBool(text)
		if err != nil {
			return nil, false, err
		}
		v = b
	case providers.Date:
		s, err := parseDate(text, st.goLayout, st.src.Format)
		if err != nil {
			return nil, false, err
		}
		v = s
	case providers.DateTime:
		s, err := parseDateTime(text, st.goLayout, st.src.Format)
		if err != nil {
			return nil, false, err
		}
		v = s
	case providers.StringList:
		v = []string{text}
	case providers.NameSet:
		v = nameSet([]string{text})
	case providers.File:
		b, err := readFile(st.dir, text)
		if err != nil {
			return nil, false, err
		}
		v = b
	default:
		v = text
	}
	if err := f.Check(v); err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func nameSet(names []string) map[string]int64 {
	set := make(map[string]int64, len(names))
	for _, n := range names {
		set[n] = 1
	}
	return set
}

// readFile reads the file a File cell names. The path is relative to dir
// and may not leave it: a spreadsheet must not be able to send
// ~/.ssh/id_rsa to an API. Backslashes are taken as separators, since
// paths typed on Windows arrive that way.
func readFile(dir, name string) ([]byte, error) {
	name = strings.TrimSpace(strings.ReplaceAll(name, `\`, "/"))
	if dir == "" {
		dir = "."
	}
	if !filepath.IsLocal(name) {
		return nil, fmt.Errorf("file %q is outside the input file's folder; put it beside the input file and give its path from there", name)
	}
	f, err := os.OpenInRoot(dir, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("file %q does not exist (paths are relative to the input file's folder)", name)
	case err != nil:
		// A symbolic link out of the folder lands here too.
		return nil, fmt.Errorf("file %q cannot be read: %v", name, errors.Unwrap(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("file %q cannot be read: %v", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is not a file", name)
	}
	if info.Size() > providers.MaxFileSize {
		return nil, fmt.Errorf("file %q is %.1f MiB; at most %d MiB is sent", name, float64(info.Size())/(1<<20), providers.MaxFileSize>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, providers.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("file %q cannot be read: %v", name, err)
	}
	if len(b) > providers.MaxFileSize {
		return nil, fmt.Errorf("file %q is larger than %d MiB", name, providers.MaxFileSize>>20)
	}
	return b, nil
}

func applyAll(ts []transform, s string) (string, error) {
	for _, t := range ts {
		var err error
		if s, err = t(s); err != nil {
			return "", err
		}
	}
	return s, nil
}

// put stores v at path, creating the objects and arrays on the way.
func put(obj map[string]any, path []pathPart, v any) {
	for i, part := range path {
		last := i == len(path)-1
		if part.index < 0 {
			if last {
				obj[part.name] = v
				return
			}
			next, ok := obj[part.name].(map[string]any)
			if !ok {
				next = map[string]any{}
				obj[part.name] = next
			}
			obj = next
			continue
		}
		arr, _ := obj[part.name].([]any)
		for len(arr) <= part.index {
			arr = append(arr, nil)
		}
		if last {
			arr[part.index] = v
			obj[part.name] = arr
			return
		}
		next, ok := arr[part.index].(map[string]any)
		if !ok {
			next = map[string]any{}
			arr[part.index] = next
		}
		obj[part.name] = arr
		obj = next
	}
}

// lookup finds the value at path, or nil.
func lookup(obj map[string]any, path []pathPart) any {
	var cur any = obj
	for _, part := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part.name]
		if part.index >= 0 {
			arr, ok := cur.([]any)
			if !ok || part.index >= len(arr) {
				return nil
			}
			cur = arr[part.index]
		}
	}
	return cur
}

// compact drops the holes that blank rows of an array leave behind
// ("addresses[1]" filled, "addresses[0]" all blank), so the API never gets
// a null element.
func compact(v any) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, e := range m {
		switch t := e.(type) {
		case []any:
			out := t[:0]
			for _, x := range t {
				if x != nil {
					compact(x)
					out = append(out, x)
				}
			}
			if len(out) == 0 {
				delete(m, k) // nothing left to send, not an empty list
				continue
			}
			m[k] = out
		case map[string]any:
			compact(t)
		}
	}
}

// HasSecrets reports whether the mapping fills a secret field.
func (p *Plan) HasSecrets() bool {
	for _, st := range p.steps {
		if st.field.Secret {
			return true
		}
	}
	return false
}

// Mask returns the payload with every secret field replaced by
// providers.Redacted, for showing it to a person. The payload itself is not
// changed; without secret fields it is returned as it is.
func (p *Plan) Mask(payload map[string]any) map[string]any {
	out := payload
	copied := false
	for _, st := range p.steps {
		if !st.field.Secret || lookup(payload, st.path) == nil {
			continue
		}
		if !copied {
			out = deepCopy(payload).(map[string]any)
			copied = true
		}
		put(out, st.path, providers.Redacted)
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}
