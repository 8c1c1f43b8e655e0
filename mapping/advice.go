package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/acctimport/acctimport/providers"
)

// Advice is a change to the mapping that would make an issue go away: the
// problem is the mapping's, not the row's (30 of 30 dates written
// 13/05/1954 and no format; a phone column that needs digits). Every row
// with the same problem carries the same *Advice, which points into the
// Plan, so a run counts them with a map keyed by the pointer, or by the
// value (Advice is comparable) to add up the counts of several plans, and
// says each once, with AdviceLine, instead of on every row.
type Advice struct {
	File   string // the mapping file, as in its messages: "crm.yaml"
	Line   int    // the field's line in it; 0 when not known
	Field  string // the target field, as written: "birth_date"
	Column string // the input column: "Born"
	// Finding is what the column's values have, without any row's value,
	// phrased to follow the column's name: "has dates written day first".
	Finding string
	// Change is the edit to the mapping's field: `add format: "02/01/2006"`,
	// `add transform: [digits]`.
	Change string
}

// Where is the mapping's line, for people: "crm.yaml line 9".
func (a *Advice) Where() string {
	if a.Line > 0 {
		return a.File + " line " + strconv.Itoa(a.Line)
	}
	return a.File
}

// AdviceLine says an advice once, with how many of a run's rows it would
// fix: `24 of 30 rows: Born (birth_date) has dates written day first: add
// in crm.yaml line 9, add format: "02/01/2006"`. The column name is escaped as
// every value shown is.
func AdviceLine(a *Advice, rows, total int) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(rows))
	b.WriteString(" of ")
	b.WriteString(strconv.Itoa(total))
	if total == 1 {
		b.WriteString(" row: ")
	} else {
		b.WriteString(" rows: ")
	}
	b.WriteString(escapeName(a.Column))
	b.WriteString(" (")
	b.WriteString(a.Field)
	b.WriteString(") ")
	b.WriteString(a.Finding)
	b.WriteString(": in ")
	b.WriteString(a.Where())
	b.WriteString(", ")
	b.WriteString(a.Change)
	return b.String()
}

// Tally counts the advice of a run's invalid rows, each advice once per
// row. It is safe for concurrent use: a dry run builds rows on several
// workers.
type Tally struct {
	mu    sync.Mutex
	count map[Advice]int
	order []Advice // first seen first
}

// AdviceCount is one advice and the number of rows it would fix.
type AdviceCount struct {
	Advice Advice
	Rows   int
}

// Add counts the advice of one row.
func (t *Tally) Add(r *Row) {
	for i := range r.Issues {
		a := r.Issues[i].Advice
		if a == nil || sameAdviceBefore(r.Issues[:i], a) {
			continue
		}
		t.mu.Lock()
		if t.count == nil {
			t.count = make(map[Advice]int)
		}
		if t.count[*a] == 0 {
			t.order = append(t.order, *a)
		}
		t.count[*a]++
		t.mu.Unlock()
	}
}

func sameAdviceBefore(issues []Issue, a *Advice) bool {
	for _, is := range issues {
		if is.Advice == a || is.Advice != nil && *is.Advice == *a {
			return true
		}
	}
	return false
}

// Counts lists every advice counted, the one that fixes most rows first,
// then in the order the mapping lists its fields.
func (t *Tally) Counts() []AdviceCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]AdviceCount, len(t.order))
	for i, a := range t.order {
		out[i] = AdviceCount{Advice: a, Rows: t.count[a]}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Rows != out[j].Rows {
			return out[i].Rows > out[j].Rows
		}
		return out[i].Advice.Line < out[j].Advice.Line
	})
	return out
}

// Lines renders every advice counted, as AdviceLine does, for the console
// and the report's Summary. total is the number of rows the run read.
func (t *Tally) Lines(total int) []string {
	counts := t.Counts()
	out := make([]string, len(counts))
	for i := range counts {
		out[i] = AdviceLine(&counts[i].Advice, counts[i].Rows, total)
	}
	return out
}

// maxShown is how many characters of a value a message shows.
const maxShown = 40

// showValue writes a cell's value for a message: in quotes, with control
// characters, invisible format characters and invalid UTF-8 escaped (a cell
// must not be able to move a terminal's cursor or turn a line around), and
// clipped, saying how long it really was. Quotes inside are left as they
// are: the message is for people, who read "=HYPERLINK("x")" better than
// its Go-quoted form.
func showValue(s string) string {
	n := utf8.RuneCountInString(s)
	var b strings.Builder
	b.Grow(min(len(s), 4*maxShown) + 24)
	b.WriteByte('"')
	for i, shown := 0, 0; i < len(s) && shown < maxShown; shown++ {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	if n > maxShown {
		b.WriteString(`…" (`)
		b.WriteString(strconv.Itoa(n))
		b.WriteString(" characters)")
		return b.String()
	}
	b.WriteByte('"')
	return b.String()
}

// escapeName writes a header name for a message: as it is when it is
// plain, quoted when it holds anything a terminal could take as a command.
func escapeName(s string) string {
	for _, r := range s {
		if r != ' ' && !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// candidateNames are the transforms a message may propose for a text field,
// the gentlest first; only one that makes the value valid is proposed.
// sha1 is proposed only for a secret field: it makes anything look like a
// hash.
var candidateNames = []string{"trim", "collapse", "lower", "upper", "digits", "us_phone", "personnummer", "orgnummer", "sha1"}

var dateFindings = map[byte]string{
	'd': "has dates written day first",
	'm': "has dates written month first",
	'y': "has dates written year first, with other separators than YYYY-MM-DD",
}

// prepareAdvice builds, once, every advice a message about st may give.
func (p *Plan) prepareAdvice(st *step) {
	if st.column < 0 || st.listName != "" {
		return
	}
	base := Advice{File: p.mapping.File, Line: st.src.Line, Field: st.fullPath, Column: p.header[st.column]}
	switch st.field.Type {
	case providers.String:
		for _, name := range candidateNames {
			if name == "sha1" && !st.secret || slices.Contains(st.src.Transform, name) {
				continue
			}
			chain := append(slices.Clip(st.transforms), namedTransform{name, transforms[name]})
			a := base
			a.Finding = "has values " + p.provider + " takes only after transform " + name
			a.Change = transformChange(st.src.Transform, name)
			st.candidates = append(st.candidates, candidate{name: name, chain: chain, advice: a})
		}
	case providers.Date, providers.DateTime:
		if st.src.Format != "" {
			return
		}
		st.formats = make([]Advice, len(dateLayouts))
		st.ambiguous = make([]Advice, len(dateLayouts))
		for i, dl := range dateLayouts {
			a := base
			a.Finding = dateFindings[dl.order]
			a.Change = "add format: " + strconv.Quote(dl.layout)
			st.formats[i] = a
			if dl.order == 'd' && i+1 < len(dateLayouts) && dateLayouts[i+1].order == 'm' {
				a.Finding = "has dates whose day and month could be swapped"
				a.Change = "add format: " + strconv.Quote(dl.layout) + " (day first) or " +
					strconv.Quote(dateLayouts[i+1].layout) + " (month first), whichever the file is written in"
				st.ambiguous[i] = a
			}
		}
	}
}

// transformChange words adding a transform to a field's list.
func transformChange(have []string, name string) string {
	if len(have) == 0 {
		return "add transform: [" + name + "]"
	}
	return "change transform: [" + strings.Join(have, ", ") + "] to [" + strings.Join(have, ", ") + ", " + name + "]"
}

// advise finds the change to the mapping that makes text valid, and what
// the value becomes with it. Each proposal is tried for real: a format that
// reads the date but leaves a time of day, or a transform whose result
// still breaks a rule, is not proposed. When none helps, hint may say why
// the one that recognises the value's form does not ("transform
// personnummer would write it so, but its control digit is wrong").
func (st *step) advise(text string) (advice *Advice, fixed, hint string) {
	switch {
	case st.formats != nil:
		first := -1
		for i := range dateLayouts {
			if !dateLayouts[i].mayRead(text) || !st.readsAs(i, text) {
				continue
			}
			if st.ambiguous[i].Change != "" && dateLayouts[i+1].mayRead(text) && st.readsAs(i+1, text) {
				return &st.ambiguous[i], "", ""
			}
			if first < 0 {
				first = i
			}
		}
		if first >= 0 {
			return &st.formats[first], "", ""
		}
	case len(st.candidates) > 0:
		// The mapping's own transforms once; a proposal adds one after them.
		base, err := applyAll(st.transforms, text)
		if err != nil {
			return nil, "", ""
		}
		numeric := separatorsOnly(text)
		for i := range st.candidates {
			c := &st.candidates[i]
			if (c.name == "digits" || c.name == "us_phone") && !numeric {
				continue
			}
			out, err := c.chain[len(c.chain)-1].fn(base)
			if err != nil {
				if ce, ok := err.(*cellError); ok && ce.near && hint == "" {
					hint = "transform " + c.name + " would write it so, but it " + ce.problem
				}
				continue
			}
			if out == base {
				continue // changes nothing, so it cannot help
			}
			if v, present, err := st.valueWith(out, nil); err == nil && present {
				s, _ := v.(string)
				return &c.advice, s, ""
			}
		}
	}
	return nil, "", hint
}

// readsAs reports whether the date layout dateLayouts[i], given as the
// field's format, would make text a valid value.
func (st *step) readsAs(i int, text string) bool {
	dl := &dateLayouts[i]
	text = strings.TrimSpace(text)
	t, err := time.Parse(dl.layout, text)
	if err != nil && dl.relaxed != "" {
		t, err = time.Parse(dl.relaxed, text)
	}
	if err != nil {
		return false
	}
	var v string
	if st.field.Type == providers.Date {
		if h, m, s := t.Clock(); h != 0 || m != 0 || s != 0 || t.Nanosecond() != 0 {
			return false
		}
		v = t.Format(time.DateOnly)
	} else {
		v = t.Format(time.RFC3339)
	}
	return st.field.Check(v) == nil
}
