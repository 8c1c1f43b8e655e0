package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

// Sample is what init read of an input file: its header and its first
// rows, to choose each column's transforms and formats from its values.
type Sample struct {
	Header []string
	Rows   [][]string // one cell per header column, as the input reader gives them
}

// SampleRows is how many data rows init reads of an input file.
const SampleRows = 500

// Starter writes a starter mapping for p. With a sample of an input file,
// each column is matched to the field it fills (see match.go: a wrong match
// is worse than none, so a column in doubt is left unmapped and listed),
// and the sampled values choose the transform (digits for a phone column
// written with spaces, personnummer for personal numbers in mixed forms)
// or the date format (13/05/1954 is "02/01/2006"; a column whose days are
// all 12 or less is ambiguous and says so, never guessed). Without a
// sample, every field is listed for the user to fill in. Required fields
// are always written out, so that the mapping fails loudly until they are
// given, and the mapping compiles as it is: an object whose required
// members are not all matched is offered in comments.
func Starter(p providers.Provider, s Sample) []byte {
	info := p.Info()
	fields := starterFields(p)
	choices := matchColumns(p, fields, s.Header)
	if len(s.Rows) > 0 {
		for i := range fields {
			if c, ok := choices[i]; ok {
				c.sample(&fields[i], s)
				choices[i] = c
			}
		}
		weakKey(fields, choices, s)
	}
	incomplete := incompleteObjects(p.Table(), fields, choices)

	var b strings.Builder
	fmt.Fprintf(&b, "# A starter mapping for %s: %s.\n", info.Name, info.Title)
	fmt.Fprintf(&b, "# `acctimport providers %s` explains every field and rule; `acctimport validate` checks\n", info.Name)
	fmt.Fprintf(&b, "# a file against this mapping without sending anything.\n")
	fmt.Fprintf(&b, "# Credentials come from the environment, never from here: %s.\n", strings.Join(credentialEnvs(info), ", "))
	if len(s.Rows) > 0 {
		fmt.Fprintf(&b, "# Transforms and formats were chosen from the first %d rows of the input; check them.\n", len(s.Rows))
	}
	fmt.Fprintf(&b, "provider: %s\n", info.Name)
	fmt.Fprintf(&b, "# base_url: %s\n", info.BaseURL)
	if opts := providers.OptionFields(p.NewOptions()); len(opts) > 0 {
		b.WriteString("# options:\n")
		for _, o := range opts {
			fmt.Fprintf(&b, "#   %s: ...   # %s: %s\n", o.Name, o.Type, o.Doc)
		}
	}
	b.WriteString("fields:\n")
	used := map[int]bool{}
	noted := map[string]bool{}
	for i := range fields {
		f := &fields[i]
		c, matched := choices[i]
		if f.index > 0 && !matched {
			continue // a second address is offered only when the file has one
		}
		hint := fieldHint(f.field)
		if matched && len(s.Rows) == 0 && (f.field.Type == providers.Date || f.field.Type == providers.DateTime) {
			hint += `; add format: "02/01/2006" if the column is written 13/05/1954 (init -i looks)`
		}
		if why := incomplete[f.instance]; why != "" && !noted[f.instance] {
			noted[f.instance] = true
			fmt.Fprintf(&b, "  # %s\n", why)
		}
		switch {
		case matched && c.drop == "" && incomplete[f.instance] == "":
			used[c.col] = true
			fmt.Fprintf(&b, "  %s: %s%s\n", f.path, c.source(f.field, s.Header), hint+c.notes())
		case matched && c.drop == "":
			fmt.Fprintf(&b, "  # %s: %s%s\n", f.path, c.source(f.field, s.Header), hint+c.notes())
		case matched:
			if f.field.Required && f.field.Parent() == "" {
				fmt.Fprintf(&b, "  %s: %s%s\n", f.path, sourceFor(f.field, "COLUMN NAME"), hint)
			}
			fmt.Fprintf(&b, "  # %s: %s   # %s\n", f.path, c.source(f.field, s.Header), c.drop)
		case f.field.Required && f.field.Parent() == "":
			fmt.Fprintf(&b, "  %s: %s%s\n", f.path, sourceFor(f.field, "COLUMN NAME"), hint)
		default:
			fmt.Fprintf(&b, "  # %s: %s%s\n", f.path, sourceFor(f.field, ""), hint)
		}
	}
	var left []string
	for i, h := range s.Header {
		if !used[i] {
			left = append(left, strconv.Quote(h))
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(&b, "# Columns not mapped (map them above, or leave them out):\n#   %s\n", strings.Join(left, ", "))
	}
	return []byte(b.String())
}

func credentialEnvs(info providers.Info) []string {
	out := make([]string, len(info.Credentials))
	for i, c := range info.Credentials {
		out[i] = c.Env
	}
	return out
}

// starterField is a field a column can fill: a leaf, with the members of a
// list of objects given index 0 and 1 (billing and shipping addresses).
type starterField struct {
	path     string // as a mapping writes it: "addresses[1].address_city"
	field    *providers.Field
	instance string // the object instance that holds it: "", "address", "addresses[1]"
	index    int    // the instance's index in its list; -1 outside lists
	reading  fieldReading
}

func starterFields(p providers.Provider) []starterField {
	info := p.Info()
	all := p.Table().Fields()
	var first, second []starterField
	for i := range all {
		f := &all[i]
		if f.Type == providers.Object || f.Type == providers.ObjectList {
			continue
		}
		parent := f.Parent()
		leaf := f.Path[strings.LastIndexByte(f.Path, '.')+1:]
		key := f.Path == info.Key
		if !strings.HasSuffix(parent, "[]") {
			var roles []string
			if parent != "" {
				roles = instanceRoles(parent, -1)
			}
			first = append(first, starterField{path: f.Path, field: f, instance: parent, index: -1, reading: readField(f, leaf, roles, key)})
			continue
		}
		list := strings.TrimSuffix(parent, "[]")
		for n := range 2 {
			inst := fmt.Sprintf("%s[%d]", list, n)
			sf := starterField{path: inst + f.Path[len(parent):], field: f, instance: inst, index: n, reading: readField(f, leaf, instanceRoles(list, n), false)}
			if n == 0 {
				first = append(first, sf)
			} else {
				second = append(second, sf)
			}
		}
	}
	return append(first, second...)
}

// choice is the column a field is filled from, and what its values need.
type choice struct {
	col        int
	score      float64
	transforms []string
	split      string
	format     string
	note       []string // what the sample showed
	drop       string   // why the match is only offered in a comment
	check      string   // a warning for the person who reviews it
}

// matchColumns pairs columns with fields, best pairs first, each column and
// field used once. Ties go to the earlier field (the document's order puts
// billing before business) and the earlier column.
func matchColumns(p providers.Provider, fields []starterField, header []string) map[int]choice {
	type pair struct {
		field, col int
		score      float64
	}
	kw := keyWords(p.Info())
	var pairs []pair
	for c, h := range header {
		r := read(h)
		hname := nameWords(h)
		key := isKeyHeader(h, kw)
		for i := range fields {
			fr := fields[i].reading
			var s float64
			switch {
			case fr.concept == "key":
				if key {
					s = 1
				}
			case key:
			case !r.unknown:
				s = pairScore(r, fr)
			}
			if s == 0 && fr.concept == "" && (r.concept == "" || r.unknown) && len(hname) > 0 && slices.Equal(hname, fr.name) {
				s = 0.95 // the same words: "FFL Number" and user_ffl_number
			}
			if s > 0 {
				pairs = append(pairs, pair{i, c, s})
			}
		}
	}
	sort.SliceStable(pairs, func(a, b int) bool {
		if pairs[a].score != pairs[b].score {
			return pairs[a].score > pairs[b].score
		}
		if pairs[a].col != pairs[b].col {
			return pairs[a].col < pairs[b].col
		}
		return pairs[a].field < pairs[b].field
	})
	out := map[int]choice{}
	colUsed := map[int]bool{}
	for _, pr := range pairs {
		if _, done := out[pr.field]; done || colUsed[pr.col] {
			continue
		}
		c := choice{col: pr.col, score: pr.score}
		switch fields[pr.field].field.Type {
		case providers.StringList, providers.NameSet:
			c.split = ";"
		}
		if fields[pr.field].reading.concept == "key" {
			c.check = "the account key: each row updates the account it names"
		}
		out[pr.field] = c
		colUsed[pr.col] = true
	}
	return out
}

// source writes the field's source for the chosen column.
func (c choice) source(f *providers.Field, header []string) string {
	parts := []string{"column: " + strconv.Quote(header[c.col])}
	if len(c.transforms) > 0 {
		parts = append(parts, "transform: ["+strings.Join(c.transforms, ", ")+"]")
	}
	if c.split != "" {
		parts = append(parts, "split: "+strconv.Quote(c.split))
	}
	if c.format != "" {
		parts = append(parts, "format: "+strconv.Quote(c.format))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (c choice) notes() string {
	var parts []string
	if c.check != "" {
		parts = append(parts, c.check)
	}
	parts = append(parts, c.note...)
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// sample chooses the transform, split or format the column's values need,
// trying each on the values the way Build will. A column whose values
// mostly fit nothing is offered in a comment instead: it is probably not
// the field it was named like.
func (c *choice) sample(f *starterField, s Sample) {
	var values []string
	for _, row := range s.Rows {
		if c.col < len(row) && !isBlank(row[c.col]) {
			values = append(values, row[c.col])
		}
	}
	if len(values) == 0 {
		c.note = append(c.note, fmt.Sprintf("empty in the %d rows sampled", len(s.Rows)))
		return
	}
	fld := f.field
	valid := func(st *step, vs []string, guard bool) (n int, bad string) {
		for _, v := range vs {
			if guard && !separatorsOnly(v) {
				if bad == "" {
					bad = v
				}
				continue
			}
			if _, present, err := st.value(v); err == nil && present {
				n++
			} else if bad == "" {
				bad = v
			}
		}
		return n, bad
	}
	shown := func(v string) string {
		if fld.Secret {
			return "a secret value"
		}
		return showValue(v)
	}
	switch fld.Type {
	case providers.File:
		return // paths are checked against the input's folder when validating
	case providers.StringList, providers.NameSet:
		best, most := ";", 0
		for _, sep := range []string{";", ",", "|"} {
			n := 0
			for _, v := range values {
				if strings.Contains(v, sep) {
					n++
				}
			}
			if n > most {
				best, most = sep, n
			}
		}
		c.split = best
		if most > 0 {
			c.note = append(c.note, fmt.Sprintf("%d of %d values sampled hold %q", most, len(values), best))
		}
		return
	case providers.Date, providers.DateTime:
		c.sampleDates(f, values)
		return
	}
	plain := trialStep(fld, f.path, nil, "")
	base, bad := valid(plain, values, false)
	if base == len(values) {
		if fld.Type == providers.String && !fld.Secret {
			for _, v := range values {
				if strings.TrimSpace(v) != v {
					c.transforms = []string{"trim"}
					c.note = append(c.note, "some values have spaces around them")
					break
				}
			}
		}
		return
	}
	bestName, bestN, bestBad := "", base, bad
	if fld.Type == providers.String {
		for _, name := range candidateNames {
			if name == "sha1" && !fld.Secret {
				continue
			}
			n, b := valid(trialStep(fld, f.path, []string{name}, ""), values, name == "digits" || name == "us_phone")
			if n > bestN {
				bestName, bestN, bestBad = name, n, b
			}
		}
	}
	if bestName != "" {
		c.transforms = []string{bestName}
		switch {
		case fld.Secret:
			c.note = append(c.note, fmt.Sprintf("transform %s makes %d of %d values sampled valid", bestName, bestN, len(values)))
		default:
			c.note = append(c.note, fmt.Sprintf("transform %s makes %d of %d values sampled valid (%d as they are)", bestName, bestN, len(values), base))
		}
	}
	switch {
	case bestN*2 < len(values):
		c.drop = fmt.Sprintf("not mapped: only %d of %d values sampled would be valid (such as %s); is it the right column?", bestN, len(values), shown(bestBad))
	case bestN < len(values):
		c.note = append(c.note, fmt.Sprintf("%d of %d values sampled stay invalid, such as %s", len(values)-bestN, len(values), shown(bestBad)))
	}
}

// sampleDates chooses a date column's format: none when every value is
// ISO 8601 or a date cell; the one layout that reads them all otherwise.
// When a day-first and a month-first layout both read every value, the
// column is ambiguous: no format is written, and the comment says so.
func (c *choice) sampleDates(f *starterField, values []string) {
	plain := trialStep(f.field, f.path, nil, "")
	var local []string
	for _, v := range values {
		if _, _, err := plain.value(v); err != nil {
			local = append(local, v)
		}
	}
	if len(local) == 0 {
		return
	}
	counts := make([]int, len(dateLayouts))
	for i := range dateLayouts {
		for _, v := range local {
			if dateLayouts[i].mayRead(v) && plain.readsAs(i, v) {
				counts[i]++
			}
		}
	}
	all := map[byte]int{} // order -> the first layout of that order reading every value
	best := -1
	for i, n := range counts {
		if n == len(local) {
			if _, seen := all[dateLayouts[i].order]; !seen {
				all[dateLayouts[i].order] = i
			}
		}
		if n > 0 && (best < 0 || n > counts[best]) {
			best = i
		}
	}
	d, dOK := all['d']
	m, mOK := all['m']
	switch {
	case dOK && mOK:
		c.note = append(c.note, fmt.Sprintf("no format chosen: in every value sampled day and month are 12 or less, so %q (day first) and %q (month first) read them all; add the one the file uses",
			dateLayouts[d].layout, dateLayouts[m].layout))
	case len(all) > 0:
		for _, order := range []byte{'d', 'm', 'y'} {
			if i, ok := all[order]; ok {
				c.format = dateLayouts[i].layout
				c.note = append(c.note, fmt.Sprintf("%d of %d values sampled are written %s (like %s)", len(local), len(values), dateLayouts[i].layout, showValue(local[0])))
				break
			}
		}
	case best >= 0 && counts[best]*2 >= len(local):
		c.format = dateLayouts[best].layout
		c.note = append(c.note, fmt.Sprintf("format %q reads %d of the %d values sampled that are not ISO dates", dateLayouts[best].layout, counts[best], len(local)))
	default:
		c.note = append(c.note, fmt.Sprintf("%d of %d values sampled are no dates in a layout init knows, such as %s: add a format", len(local), len(values), showValue(local[0])))
	}
}

// trialStep is a step for trying values, as Compile would make it.
func trialStep(f *providers.Field, path string, ts []string, format string) *step {
	st := &step{field: f, fullPath: path, src: Source{Field: path, Transform: ts, Format: format}, column: 0}
	for _, n := range ts {
		st.transforms = append(st.transforms, namedTransform{n, transforms[n]})
	}
	if format != "" {
		if l, err := layout(format); err == nil {
			st.goLayout, st.relaxedLayout = l, relaxed(l)
		}
	}
	switch f.Type {
	case providers.Date:
		st.dateErr = dateError(st, "date", "", false)
	case providers.DateTime:
		st.dateErr = dateError(st, "date-time", "", false)
	}
	return st
}

// weakKey maps the account key, when no header names it, to a column whose
// header ends in an id or number and whose every sampled value is a
// distinct valid key: with a warning, since another system's ids would pass
// as well and update the wrong accounts.
func weakKey(fields []starterField, choices map[int]choice, s Sample) {
	ki := -1
	for i := range fields {
		if fields[i].reading.concept == "key" {
			ki = i
		}
	}
	if ki < 0 {
		return
	}
	if _, ok := choices[ki]; ok {
		return
	}
	used := map[int]bool{}
	for _, c := range choices {
		if c.drop == "" {
			used[c.col] = true
		}
	}
	st := trialStep(fields[ki].field, fields[ki].path, nil, "")
	for col, h := range s.Header {
		words := fold(h)
		if used[col] || len(words) == 0 || !slices.Contains([]string{"id", "key", "nr", "no", "number", "nummer"}, words[len(words)-1]) {
			continue
		}
		seen := map[string]bool{}
		ok := true
		for _, row := range s.Rows {
			if col >= len(row) || isBlank(row[col]) {
				continue
			}
			v, present, err := st.value(row[col])
			if err != nil || !present || seen[fmt.Sprint(v)] {
				ok = false
				break
			}
			seen[fmt.Sprint(v)] = true
		}
		if ok && len(seen) > 0 {
			choices[ki] = choice{col: col, score: 0.5,
				check: fmt.Sprintf("CHECK: the account key: %q was chosen because its values look like %s; if they are another system's ids, every row would update the wrong account", h, fields[ki].path)}
			return
		}
	}
}

// incompleteObjects lists the object instances whose required members are
// not all matched, with what a comment says of them: such an object would
// not compile, so its matched members are offered in comments.
func incompleteObjects(t *providers.Table, fields []starterField, choices map[int]choice) map[string]string {
	filled := map[string]map[string]bool{} // instance -> members matched
	for i, c := range choices {
		f := &fields[i]
		if f.instance == "" || c.drop != "" {
			continue
		}
		if filled[f.instance] == nil {
			filled[f.instance] = map[string]bool{}
		}
		filled[f.instance][f.path] = true
	}
	out := map[string]string{}
	for inst, members := range filled {
		norm := providers.NormalizePath(inst)
		var missing []string
		for _, f := range t.Fields() {
			if !f.Required || f.Parent() != norm {
				continue
			}
			member := inst + f.Path[len(norm):]
			if !members[member] {
				missing = append(missing, member)
			}
		}
		if len(missing) > 0 {
			out[inst] = fmt.Sprintf("%s is offered in comments: it is sent only with %s, which no column fills; map %s (a column or a {value: ...}) and uncomment the lines to send it.",
				inst, strings.Join(missing, ", "), pronoun(len(missing)))
		}
	}
	return out
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// sourceFor writes a field's source for a column, with what its type needs.
func sourceFor(f *providers.Field, column string) string {
	parts := []string{"column: " + strconv.Quote(column)}
	switch f.Type {
	case providers.StringList, providers.NameSet:
		parts = append(parts, `split: ";"`)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// fieldHint is the comment after a field: its type, whether required, and
// what its values look like, in words.
func fieldHint(f *providers.Field) string {
	h := []string{f.Type.String()}
	if f.Required {
		if f.Parent() != "" {
			h = append(h, "required with "+strings.TrimSuffix(f.Parent(), "[]"))
		} else {
			h = append(h, "required")
		}
	}
	for _, r := range f.Rules {
		h = append(h, providers.Explain(r))
	}
	if f.Unset != "" {
		h = append(h, fmt.Sprintf("%q clears it", f.Unset))
	}
	switch f.Type {
	case providers.File:
		h = append(h, "the column holds file paths, relative to the input file")
	}
	if f.Secret {
		h = append(h, "secret: masked in reports")
	}
	return "   # " + strings.Join(h, "; ")
}
