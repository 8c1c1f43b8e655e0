package mapping

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

// Plan is a mapping checked against one input's header, ready to build a
// payload per row.
type Plan struct {
	mapping *Mapping
	header  []string
	steps   []step
	// members are the members required whenever their object is sent,
	// ordered by object and member, with their paths parsed once.
	members []memberCheck
	// constObjects are object instances filled from columns and constants
	// both: when none of their columns has a value, the constants alone are
	// not worth sending, and the object is dropped.
	constObjects []constObject
	keyStep      int    // index into steps of the account key; -1 when unmapped
	secret       []bool // per input column: feeds a secret field
	hasArrays    bool   // some path has an index, so holes may need compacting
	dir          string // the folder File cells are read from
	provider     string // the provider's name, for messages
	// mixedSets is set when a set of names is filled both from a column
	// (split) and per name (maillists.news): a row whose per-name cell says
	// no to a name its column lists is then invalid.
	mixedSets bool
}

// step builds one target field.
type step struct {
	src           Source
	field         *providers.Field
	path          []pathPart // where the value goes in the payload
	fullPath      string     // as written, for messages
	column        int        // -1 for a constant
	transforms    []namedTransform
	goLayout      string
	relaxedLayout string // goLayout reading days and months without their zero
	dateErr       error  // a date field's usual error, worded once
	constant      any    // the checked value of a constant source
	dir           string // where File paths are read from
	secret        bool   // the field is secret: masks are refused, values kept for scrubbing
	topRequired   bool   // a required top-level field: a blank cell is an issue
	// listName is set for one name of a set of names (maillists.news): the
	// cell says yes or no to that name, and path is the set's.
	listName string

	// What a message may propose for this field, built once so that every
	// row with the same problem carries the same *Advice.
	candidates []candidate // transforms that might make a failing value valid
	formats    []Advice    // per dateLayouts: add that format
	ambiguous  []Advice    // per dateLayouts of a day-first layout: day or month first?
}

// candidate is a transform a message may propose: the step's transforms
// with this one added.
type candidate struct {
	name   string
	chain  []namedTransform
	advice Advice
}

type pathPart struct {
	name  string
	index int // -1 when not an array element
}

// Compile checks the mapping against the input's header and the provider's
// field table: every column must exist, every field must be the provider's,
// every required field must be mapped, transforms/split/format must fit the
// field's type, and constants must pass the field's rules. All problems are
// reported together. dir is the folder that paths in File cells are
// relative to: the input file's folder.
func (m *Mapping) Compile(header []string, dir string) (*Plan, error) {
	p := &Plan{mapping: m, header: header, keyStep: -1, secret: make([]bool, len(header)), dir: dir}
	table := m.Provider.Table()
	info := m.Provider.Info()
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, &Error{File: m.File, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		cols[h] = i
	}
	mapped := map[string]bool{}
	objects := map[string]bool{} // object instances the mapping fills: "address", "addresses[0]"
	sets := map[string]int{}     // sets of names: 1 filled whole, 2 per name
	p.provider = info.Name
	for _, src := range m.Fields {
		f, ok := table.Lookup(src.Field)
		listName := ""
		if !ok {
			if set, name, found := setMember(table, src.Field); found {
				if set.Type != providers.NameSet {
					fail(src.Line, "field %q is a %s, so %q names nothing: only a set of names (such as fairwarning's maillists) takes one path per name", set.Path, set.Type, src.Field)
					continue
				}
				if err := checkListName(name); err != nil {
					fail(src.Line, "field %q: %v", src.Field, err)
					continue
				}
				if src.Split != "" || src.Format != "" {
					fail(src.Line, "field %q is one name of the set %s: its cell says yes or no to that name, so split and format do not apply", src.Field, set.Path)
					continue
				}
				f, listName = set, name
			} else {
				fail(src.Line, "%s has no field %q%s (see `acctimport providers %s`)", info.Name, src.Field, didYouMean(providers.NormalizePath(src.Field), table.Paths()), info.Name)
				continue
			}
		}
		if f.Type == providers.Object || f.Type == providers.ObjectList {
			fail(src.Line, "field %q is an object; map its members instead, like %q", src.Field, src.Field+".member")
			continue
		}
		target := src.Field
		if listName != "" {
			target = src.Field[:len(src.Field)-len(listName)-1]
		}
		path, err := parsePath(target)
		if err != nil {
			fail(src.Line, "field %q: %v", src.Field, err)
			continue
		}
		st := step{src: src, field: f, path: path, fullPath: src.Field, column: -1, dir: dir,
			secret: f.Secret, topRequired: f.Required && f.Parent() == "", listName: listName}
		if src.Column != "" {
			c, ok := cols[src.Column]
			if !ok {
				c, ok = findColumn(header, src.Column)
			}
			if !ok {
				fail(src.Line, "column %q not found in the input%s (columns: %s)", src.Column, didYouMean(src.Column, header), quoteList(header))
				continue
			}
			st.column = c
			if f.Secret {
				p.secret[c] = true
			}
		}
		for _, name := range src.Transform {
			st.transforms = append(st.transforms, namedTransform{name, transforms[name]})
		}
		if src.Split != "" && f.Type != providers.StringList && f.Type != providers.NameSet {
			fail(src.Line, "field %q: split makes a list, but %s is a %s", src.Field, src.Field, f.Type)
			continue
		}
		if src.Format != "" {
			if f.Type != providers.Date && f.Type != providers.DateTime {
				fail(src.Line, "field %q: format is for dates, but %s is a %s", src.Field, src.Field, f.Type)
				continue
			}
			l, err := layout(src.Format)
			if err != nil {
				fail(src.Line, "field %q: %v", src.Field, err)
				continue
			}
			st.goLayout = l
			st.relaxedLayout = relaxed(l)
		}
		switch f.Type {
		case providers.Date:
			st.dateErr = dateError(&st, "date", "", false)
		case providers.DateTime:
			st.dateErr = dateError(&st, "date-time", "", false)
		}
		if src.HasValue {
			v, present, err := st.value(src.Value)
			switch {
			case err != nil:
				fail(src.Line, "field %q: value %v", src.Field, constantError(err))
				continue
			case !present && f.Required:
				fail(src.Line, "field %q is required; its value cannot be empty", src.Field)
				continue
			case listName != "" && v == false:
				fail(src.Line, "field %q: a constant no adds nothing to %s; leave the line out, or give {value: 1}", src.Field, f.Path)
				continue
			}
			st.constant = v
			if !present {
				st.constant = nil
			}
		}
		if listName != "" {
			sets[f.Path] |= 2
			mapped[f.Path] = true
			p.steps = append(p.steps, st)
			continue
		}
		if f.Type == providers.NameSet {
			sets[f.Path] |= 1
		}
		mapped[providers.NormalizePath(src.Field)] = true
		if i := strings.LastIndexByte(src.Field, '.'); i >= 0 {
			objects[src.Field[:i]] = true
		}
		if strings.Contains(src.Field, "[") {
			p.hasArrays = true
		}
		if providers.NormalizePath(src.Field) == info.Key {
			p.keyStep = len(p.steps)
		}
		p.steps = append(p.steps, st)
	}
	// Required fields: top-level ones always; members whenever the mapping
	// fills their object.
	for _, f := range table.Fields() {
		if !f.Required {
			continue
		}
		parent := f.Parent()
		if parent == "" {
			if !mapped[f.Path] {
				fail(0, "required field %q is not mapped (%s)", f.Path, f.Description)
			}
			continue
		}
		for obj := range objects {
			if providers.NormalizePath(obj) != parent {
				continue
			}
			member := obj + f.Path[len(parent):]
			if !mapped[f.Path] || !mappedInstance(m.Fields, member) {
				fail(0, "%s is mapped, so its required member %q must be mapped too", obj, member)
			}
			p.members = append(p.members, memberCheck{obj: obj, member: member})
		}
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, errors.Join(errs...)
	}
	for _, how := range sets {
		if how == 3 {
			p.mixedSets = true
		}
	}
	p.prepareMembers()
	p.prepareConstObjects()
	for i := range p.steps {
		p.prepareAdvice(&p.steps[i])
	}
	return p, nil
}

// setMember splits "maillists.news" into the set of names it belongs to
// and the name, when the path's parent is a field.
func setMember(t *providers.Table, path string) (*providers.Field, string, bool) {
	i := strings.LastIndexByte(path, '.')
	if i <= 0 {
		return nil, "", false
	}
	parent, ok := t.Lookup(path[:i])
	if !ok || parent.Type == providers.Object || parent.Type == providers.ObjectList {
		return nil, "", false
	}
	return parent, path[i+1:], true
}

// checkListName accepts the names a set of names is keyed by: the list's
// safe name, as the provider spells it.
func checkListName(name string) error {
	if name == "" {
		return fmt.Errorf("the name after the dot is empty")
	}
	for _, r := range name {
		if r <= ' ' || r == '[' || r == ']' || r == '"' || r == 0x7f {
			return fmt.Errorf("%q is not a list's name: it may not hold spaces, brackets or quotes", name)
		}
	}
	return nil
}

// constantError words a constant's problem for the mapping's author: the
// value is theirs, so it is not hidden.
func constantError(err error) string {
	if ce, ok := err.(*cellError); ok {
		if ce.rule != "" {
			return ce.rule
		}
		return ce.problem
	}
	return err.Error()
}

// constObject is an object instance with constant members and the paths of
// its members that come from columns.
type constObject struct {
	path    []pathPart
	columns [][]pathPart
}

func (p *Plan) prepareConstObjects() {
	type acc struct {
		consts  int
		columns [][]pathPart
	}
	byObj := map[string]*acc{}
	var order []string
	for _, st := range p.steps {
		i := strings.LastIndexByte(st.fullPath, '.')
		if i < 0 || st.listName != "" {
			continue
		}
		obj := st.fullPath[:i]
		a := byObj[obj]
		if a == nil {
			a = &acc{}
			byObj[obj] = a
			order = append(order, obj)
		}
		if st.column < 0 {
			a.consts++
		} else {
			a.columns = append(a.columns, st.path)
		}
	}
	for _, obj := range order {
		if a := byObj[obj]; a.consts > 0 && len(a.columns) > 0 {
			path, _ := parsePath(obj)
			p.constObjects = append(p.constObjects, constObject{path: path, columns: a.columns})
			if strings.Contains(obj, "[") {
				p.hasArrays = true
			}
		}
	}
}

func mappedInstance(fields []Source, path string) bool {
	for _, s := range fields {
		if s.Field == path {
			return true
		}
	}
	return false
}

// findColumn matches a column name that differs only in case or surrounding
// space, which is what people mean; anything looser is only suggested.
func findColumn(header []string, name string) (int, bool) {
	want := strings.ToLower(strings.TrimSpace(name))
	found := -1
	for i, h := range header {
		if strings.ToLower(strings.TrimSpace(h)) == want {
			if found >= 0 {
				return 0, false // ambiguous: make the user say which
			}
			found = i
		}
	}
	return found, found >= 0
}

func quoteList(names []string) string {
	const most = 12
	q := make([]string, 0, min(len(names), most)+1)
	for i, n := range names {
		if i == most {
			q = append(q, fmt.Sprintf("and %d more", len(names)-most))
			break
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}

// sortErrors orders errors by line; those without a line (about the
// mapping as a whole) come last.
func sortErrors(errs []error) {
	line := func(e error) int {
		if me, ok := e.(*Error); ok && me.Line > 0 {
			return me.Line
		}
		return int(^uint(0) >> 1)
	}
	sort.SliceStable(errs, func(i, j int) bool { return line(errs[i]) < line(errs[j]) })
}

// parsePath splits "addresses[0].street" into its parts.
func parsePath(s string) ([]pathPart, error) {
	var parts []pathPart
	for _, seg := range strings.Split(s, ".") {
		part := pathPart{name: seg, index: -1}
		if i := strings.IndexByte(seg, '['); i >= 0 {
			if !strings.HasSuffix(seg, "]") {
				return nil, fmt.Errorf("%q: an array index is written name[0]", seg)
			}
			n, err := strconv.Atoi(seg[i+1 : len(seg)-1])
			if err != nil || n < 0 || n > 999 {
				return nil, fmt.Errorf("%q: the index must be a number from 0 to 999", seg)
			}
			part = pathPart{name: seg[:i], index: n}
		}
		if part.name == "" {
			return nil, fmt.Errorf("empty name in the path")
		}
		parts = append(parts, part)
	}
	return parts, nil
}

// Header returns the input's header the plan was compiled for.
func (p *Plan) Header() []string { return p.header }

// SecretColumns reports, per input column, whether it feeds a secret field
// and so must be masked in reports.
func (p *Plan) SecretColumns() []bool { return p.secret }

// Mapping returns the mapping the plan was compiled from.
func (p *Plan) Mapping() *Mapping { return p.mapping }

// memberCheck is one member required whenever its object is sent.
type memberCheck struct {
	obj, member         string
	objPath, memberPath []pathPart
	column              int // the column that fills the member; -1 for none
}

// prepareMembers sorts the member checks and parses their paths, so that
// checking a row allocates nothing.
func (p *Plan) prepareMembers() {
	sort.Slice(p.members, func(i, j int) bool {
		a, b := p.members[i], p.members[j]
		return a.obj < b.obj || a.obj == b.obj && a.member < b.member
	})
	for i := range p.members {
		mc := &p.members[i]
		mc.objPath, _ = parsePath(mc.obj)
		mc.memberPath, _ = parsePath(mc.member)
		mc.column = -1
		for _, st := range p.steps {
			if st.fullPath == mc.member {
				mc.column = st.column
			}
		}
	}
}
