package mapping

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
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
	// Rule is the exact rule, for the report's cell comment:
	// "mobile_phone_number must match ^[+,0]?[0-9]{10,12}$". It never holds
	// the cell's value.
	Rule string
	// Text is for a person, after the column's name: what the value is,
	// what the provider accepts, and the fix when the mapping can make it:
	// `"070-123 45 01" is not accepted; payway takes 10 to 12 digits, ...
	// Fix: add transform: [digits] in crm.yaml line 7; it makes this
	// "0701234501".` Values are clipped and escaped; a secret field's value
	// is never shown.
	Text string
	// Advice is the change to the mapping that fixes this issue when the
	// problem is the mapping's; nil when it is the row's own. Rows with the
	// same problem share one *Advice (see Tally).
	Advice *Advice
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

// Message says, for a person, every broken field, its column, the value,
// what the provider accepts and how to fix it: `Mobile (mobile_phone_number):
// "070-12" is not accepted; payway takes 10 to 12 digits, ...`.
func (p *Plan) Message(r *Row) string {
	var b strings.Builder
	for i, is := range r.Issues {
		if i > 0 {
			b.WriteByte(' ')
		}
		text := is.Text
		if text == "" {
			text = is.Rule + "."
		}
		if is.Column >= 0 && is.Column < len(p.header) {
			b.WriteString(escapeName(p.header[is.Column]))
			b.WriteString(" (")
			b.WriteString(is.Field)
			b.WriteString("): ")
		} else if is.Field != "" && !strings.HasPrefix(text, is.Field) {
			b.WriteString(is.Field)
			b.WriteString(": ")
		}
		b.WriteString(text)
	}
	return b.String()
}

// Build makes the payload of one row and checks every value against the
// provider's rules. cells has one value per header column.
func (p *Plan) Build(cells []string) Row {
	row := Row{Payload: make(map[string]any, len(p.steps))}
	var said []int // per-name steps whose cell said no, when a column fills the same set
	for i := range p.steps {
		st := &p.steps[i]
		var v any
		if st.column < 0 {
			if st.constant == nil {
				continue
			}
			v = st.constant
			if st.secret {
				row.Secrets = appendSecrets(row.Secrets, st.src.Value, v)
			}
		} else {
			text := ""
			if st.column < len(cells) {
				text = cells[st.column]
			}
			// A report's mask fed back is never transformed: its sha1 would
			// be a password anybody can compute.
			if st.secret && isMask(text) {
				row.Issues = append(row.Issues, p.maskedIssue(st))
				continue
			}
			val, present, err := st.value(text)
			if err != nil {
				row.Issues = append(row.Issues, p.issue(st, text, err))
				continue
			}
			if !present {
				if st.topRequired {
					row.Issues = append(row.Issues, p.requiredIssue(st))
				}
				continue
			}
			if st.secret {
				row.Secrets = appendSecrets(row.Secrets, text, val)
			}
			v = val
		}
		switch {
		case st.listName != "":
			if v != true {
				if p.mixedSets {
					said = append(said, i)
				}
				continue
			}
			addNames(row.Payload, st.path, map[string]int64{st.listName: 1}, false)
			continue
		case st.field.Type == providers.NameSet:
			// A constant's set is the plan's: a row must not change it.
			addNames(row.Payload, st.path, v.(map[string]int64), st.column < 0)
			continue
		}
		if i == p.keyStep {
			row.Key = fmt.Sprint(v)
		}
		put(row.Payload, st.path, v)
	}
	for _, i := range said {
		p.checkSaid(&row, &p.steps[i])
	}
	p.dropConstantOnly(row.Payload)
	p.checkMembers(&row)
	if p.hasArrays {
		compact(row.Payload)
	}
	return row
}

// addNames adds names to the set of names at path: a set is filled by a
// column and by one path per name together. shared names are copied
// before the payload holds them.
func addNames(payload map[string]any, path []pathPart, names map[string]int64, shared bool) {
	set, ok := lookup(payload, path).(map[string]int64)
	if !ok {
		if shared {
			names = maps.Clone(names)
		}
		put(payload, path, names)
		return
	}
	for n, v := range names {
		set[n] = v
	}
}

// checkSaid makes a row invalid whose per-name cell says no to a name that
// its set's column lists: one of the two is wrong, and a per-name no never
// takes a name out (the document has no way to say "remove").
func (p *Plan) checkSaid(row *Row, st *step) {
	set, _ := lookup(row.Payload, st.path).(map[string]int64)
	if _, listed := set[st.listName]; !listed {
		return
	}
	column := ""
	for i := range p.steps {
		if o := &p.steps[i]; o.field == st.field && o.listName == "" && o.column >= 0 {
			column = escapeName(p.header[o.column])
		}
	}
	row.Issues = append(row.Issues, Issue{
		Column: st.column, Field: st.fullPath,
		Rule: st.fullPath + " says no to a name that " + st.field.Path + "'s column lists",
		Text: "says no to " + strconv.Quote(st.listName) + ", but " + column + " lists it: " +
			"a no never takes a name out of " + st.field.Path + ", so make the two agree.",
	})
}

// isMask reports a cell that holds what a report writes in place of a
// secret, now or before (providers.Redacted, in reports written by earlier
// versions).
func isMask(s string) bool {
	if len(s) < len(providers.Redacted) {
		return false
	}
	s = strings.TrimSpace(s)
	return s == providers.MaskedCell || s == providers.Redacted
}

func (p *Plan) maskedIssue(st *step) Issue {
	return Issue{
		Column: st.column, Field: st.fullPath,
		Rule: st.fullPath + " holds the mask a report writes for a secret, not a value",
		Text: "masked in a report: put the value back (the cell holds the report's mask, not the " + st.fullPath +
			"; copy the value from the original file, or feed back the original file's rows).",
	}
}

func (p *Plan) requiredIssue(st *step) Issue {
	return Issue{
		Column: st.column, Field: st.fullPath,
		Rule: st.fullPath + " is required",
		Text: "the cell is empty, and " + p.provider + " requires " + st.fullPath + " in every row.",
	}
}

// appendSecrets adds a secret field's value as typed (and trimmed) and as
// sent, each once.
func appendSecrets(list []string, typed string, sent any) []string {
	add := func(s string) {
		if s == "" {
			return
		}
		for _, e := range list {
			if e == s {
				return
			}
		}
		list = append(list, s)
	}
	add(typed)
	add(strings.TrimSpace(typed))
	if s, ok := sent.(string); ok {
		add(s)
	}
	return list
}

// issue words why one cell cannot be sent. It runs only for invalid cells,
// so it may try things: the transforms or formats that would make the value
// valid.
func (p *Plan) issue(st *step, text string, err error) Issue {
	ce, ok := err.(*cellError)
	if !ok {
		ce = &cellError{rule: err.Error(), problem: err.Error()}
	}
	is := Issue{Column: st.column, Field: st.fullPath, Rule: st.fullPath + " " + ce.Error()}
	var b strings.Builder
	b.Grow(320)
	if st.secret {
		b.WriteString("the value (a secret, not shown)")
	} else {
		b.WriteString(showValue(text))
	}
	b.WriteByte(' ')
	if ce.broken != nil {
		b.WriteString("is not accepted; ")
		b.WriteString(p.provider)
		b.WriteString(" takes ")
		b.WriteString(providers.Explain(ce.broken))
	} else {
		b.WriteString(ce.problem)
	}
	advice, fixed, hint := st.advise(text)
	if hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	if advice != nil {
		is.Advice = advice
		b.WriteString(". Fix: in ")
		b.WriteString(advice.Where())
		b.WriteString(", ")
		b.WriteString(advice.Change)
		if fixed != "" && !st.secret {
			b.WriteString("; it makes this ")
			b.WriteString(showValue(fixed))
		}
	}
	b.WriteByte('.')
	is.Text = b.String()
	return is
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
		row.Issues = append(row.Issues, Issue{
			Column: mc.column, Field: mc.member,
			Rule: mc.member + " is required when " + mc.obj + " is sent",
			Text: "the cell is empty, but " + p.provider + " requires " + mc.member + " whenever " + mc.obj +
				" is sent, and other cells of " + mc.obj + " have values: fill it, or empty them.",
		})
	}
}

// value turns one cell's text into the field's value. present is false for
// a blank cell, which leaves the field out ("no change").
func (st *step) value(text string) (v any, present bool, err error) {
	return st.valueWith(text, st.transforms)
}

// valueWith is value with other transforms, for trying what a message
// might propose.
func (st *step) valueWith(text string, ts []namedTransform) (v any, present bool, err error) {
	f := st.field
	if st.listName != "" {
		return listValue(text, ts)
	}
	if (f.Type == providers.StringList || f.Type == providers.NameSet) && st.src.Split != "" {
		var list []string
		for _, item := range strings.Split(text, st.src.Split) {
			item = strings.TrimSpace(item)
			if item, err = applyAll(ts, item); err != nil {
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
			return nameSet(list), true, checked(f, nameSet(list))
		}
		return list, true, checked(f, list)
	}
	if isBlank(text) {
		return nil, false, nil
	}
	if text, err = applyAll(ts, text); err != nil {
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
		s, err := parseDate(text, st)
		if err != nil {
			return nil, false, err
		}
		v = s
	case providers.DateTime:
		s, err := parseDateTime(text, st)
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
	if err := checked(f, v); err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// listValue reads one name's cell of a set of names: yes adds the name,
// and no or blank leaves it out. No never sends 0: the document shows only
// <list_safe_name>: 1 ("the mail list being added"), and what a 0 would do
// on the server it does not say.
func listValue(text string, ts []namedTransform) (any, bool, error) {
	if isBlank(text) {
		return nil, false, nil
	}
	text, err := applyAll(ts, text)
	if err != nil {
		return nil, false, err
	}
	if isBlank(text) {
		return nil, false, nil
	}
	b, err := parseBool(text)
	if err != nil {
		return nil, false, &cellError{rule: "must be 1 (add the name) or 0 (leave it out)", problem: "is not 1 or 0 (yes or no: add the list, or leave it out)"}
	}
	return b, true, nil
}

// checked runs the field's rules, keeping the rule broken for the message.
func checked(f *providers.Field, v any) error {
	err := f.Check(v)
	if err == nil {
		return nil
	}
	if re, ok := err.(*providers.RuleError); ok {
		return &cellError{rule: re.Rule.String(), broken: re.Rule}
	}
	return &cellError{rule: err.Error(), problem: err.Error()}
}

func nameSet(names []string) map[string]int64 {
	set := make(map[string]int64, len(names))
	for _, n := range names {
		set[n] = 1
	}
	return set
}

// fileRule is the rule of every File cell, for the report's comment.
const fileRule = "must be the path of a regular file in the input file's folder"

// readFile reads the file a File cell names. The path is relative to dir
// and may not leave it: a spreadsheet must not be able to send
// ~/.ssh/id_rsa to an API. Backslashes are taken as separators, since
// paths typed on Windows arrive that way. Only regular files are read: a
// FIFO would block the open for good (deaf to SIGTERM), a device would never
// end. The file is checked before it is opened, opened so that the open
// cannot block, and checked again once open, so that nothing swapped in
// between is read.
func readFile(dir, name string) ([]byte, error) {
	name = strings.TrimSpace(strings.ReplaceAll(name, `\`, "/"))
	if dir == "" {
		dir = "."
	}
	fail := func(problem string) error { return &cellError{rule: fileRule, problem: problem} }
	if !filepath.IsLocal(name) {
		return nil, fail("is outside the input file's folder; put the file beside the input file and give its path from there")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fail("cannot be read: the input file's folder cannot be opened")
	}
	defer root.Close()
	info, err := root.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail("does not exist (paths are relative to the input file's folder)")
	case err != nil:
		// A symbolic link out of the folder lands here too.
		return nil, fail("cannot be read: " + pathErrorText(err))
	case !info.Mode().IsRegular():
		return nil, fail("is " + fileKind(info.Mode()) + ", not a file: only regular files are read")
	case info.Size() > providers.MaxFileSize:
		return nil, fail(fmt.Sprintf("is a file of %.1f MiB; at most %d MiB is sent", float64(info.Size())/(1<<20), providers.MaxFileSize>>20))
	}
	f, err := root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, fail("cannot be read: " + pathErrorText(err))
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, fail("cannot be read: " + pathErrorText(err))
	}
	if !opened.Mode().IsRegular() || !os.SameFile(info, opened) {
		return nil, fail("changed while it was opened; only regular files are read")
	}
	b, err := io.ReadAll(io.LimitReader(f, providers.MaxFileSize+1))
	if err != nil {
		return nil, fail("cannot be read: " + pathErrorText(err))
	}
	if len(b) > providers.MaxFileSize {
		return nil, fail(fmt.Sprintf("is larger than %d MiB", providers.MaxFileSize>>20))
	}
	return b, nil
}

// pathErrorText is an error of the file system without the path, which
// the message shows already.
func pathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// applyAll runs a field's transforms in order; a refusal names the
// transform in the exact rule.
func applyAll(ts []namedTransform, s string) (string, error) {
	for _, t := range ts {
		var err error
		if s, err = t.fn(s); err != nil {
			ce, ok := err.(*cellError)
			if !ok {
				ce = &cellError{problem: err.Error()}
			}
			rule := ce.rule
			if rule == "" {
				rule = ce.problem
			}
			return "", &cellError{rule: rule + " (transform " + t.name + ")", problem: ce.problem, near: ce.near}
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
