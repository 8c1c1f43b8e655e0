package mapping

import (
	"fmt"
	"strings"
	"time"
)

// layout turns a mapping's format into a Go time layout. Both Go's own
// reference layouts ("02/01/2006") and the tokens people know from
// spreadsheets ("DD/MM/YYYY", "YYYY-MM-DD HH:mm") are accepted.
func layout(format string) (string, error) {
	if strings.Contains(format, "2006") || strings.Contains(format, "06") && strings.Contains(format, "01") {
		return format, checkLayout(format)
	}
	r := strings.NewReplacer(
		"YYYY", "2006", "yyyy", "2006",
		"YY", "06", "yy", "06",
		"MMMM", "January", "MMM", "Jan",
		"MM", "01",
		"DD", "02", "dd", "02",
		"HH", "15", "hh", "15",
		"mm", "04",
		"ss", "05",
	)
	out := r.Replace(format)
	// Single-letter tokens after the double ones, so "MM" is not read as two "M".
	out = replaceToken(out, 'M', "1")
	out = replaceToken(out, 'D', "2")
	out = replaceToken(out, 'd', "2")
	if out == format {
		return "", fmt.Errorf("format %q has no date parts; write it like \"DD/MM/YYYY\" or Go's \"02/01/2006\"", format)
	}
	return out, checkLayout(out)
}

// replaceToken replaces a lone letter token (not part of a word such as
// "January").
func replaceToken(s string, tok byte, with string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == tok && (i == 0 || !isLetter(s[i-1])) && (i+1 == len(s) || !isLetter(s[i+1])) {
			b.WriteString(with)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// checkLayout makes sure a layout names a year, a month and a day and can
// read back what it writes.
func checkLayout(l string) error {
	ref := time.Date(2001, 12, 31, 13, 14, 15, 0, time.UTC)
	s := ref.Format(l)
	got, err := time.Parse(l, s)
	if err != nil || got.Year() != 2001 || got.Month() != 12 || got.Day() != 31 {
		return fmt.Errorf("format %q must name a year, a month and a day (like \"DD/MM/YYYY\" or \"02/01/2006\")", l)
	}
	return nil
}

// isoLayouts are what a date field takes without a format: ISO 8601, as
// dates typed as dates arrive from the XLSX reader.
var isoLayouts = []string{time.DateOnly, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.RFC3339Nano}

func parseISO(s string) (time.Time, bool) {
	// Every ISO layout starts 2006-01-02: a failed time.Parse allocates its
	// error, and most texts that are not ISO can be told at a glance.
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// relaxed is a layout that also reads days and months written without
// their zero, as spreadsheets often do: "02/01/2006" reads "3/5/1954" too.
// Only 01 and 02 standing alone are relaxed ("20060102" is left as is,
// since without separators the digits cannot be told apart). It returns ""
// when nothing changes.
func relaxed(l string) string {
	var b strings.Builder
	changed := false
	for i := 0; i < len(l); i++ {
		if i+1 < len(l) && l[i] == '0' && (l[i+1] == '1' || l[i+1] == '2') &&
			(i == 0 || !isDigit(l[i-1])) && (i+2 == len(l) || !isDigit(l[i+2])) {
			b.WriteByte(l[i+1])
			i++
			changed = true
			continue
		}
		b.WriteByte(l[i])
	}
	if !changed {
		return ""
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseLocal reads s with the mapping's layout, or its relaxed form.
// unreal is set when s has the layout's shape but names no real day
// (31/02/1965).
func parseLocal(s string, st *step) (t time.Time, ok, unreal bool) {
	if st.goLayout == "" {
		return time.Time{}, false, false
	}
	t, err := time.Parse(st.goLayout, s)
	if err != nil && st.relaxedLayout != "" {
		if rt, rerr := time.Parse(st.relaxedLayout, s); rerr == nil {
			return rt, true, false
		} else if strings.Contains(rerr.Error(), "out of range") {
			err = rerr
		}
	}
	if err != nil {
		return time.Time{}, false, strings.Contains(err.Error(), "out of range")
	}
	return t, true, false
}

// parseDate reads a date: with the mapping's layout when there is one, and
// ISO 8601 always (a real date cell arrives as ISO whatever the column's
// layout). A time of day other than midnight is refused: it would be lost.
func parseDate(s string, st *step) (string, error) {
	s = strings.TrimSpace(s)
	// A date cell arrives as ISO whatever the format: try that first.
	t, ok := parseISO(s)
	unreal := false
	if !ok {
		t, ok, unreal = parseLocal(s, st)
	}
	if !ok {
		return "", dateError(st, "date", s, unreal)
	}
	if h, m, sec := t.Clock(); h != 0 || m != 0 || sec != 0 || t.Nanosecond() != 0 {
		return "", &cellError{rule: "must be a date without a time of day", problem: "has a time of day; the field takes a date only, and the time would be lost"}
	}
	return t.Format(time.DateOnly), nil
}

// parseDateTime reads a date and time into RFC 3339. A time without a zone
// (as spreadsheets store them) is taken as UTC.
func parseDateTime(s string, st *step) (string, error) {
	s = strings.TrimSpace(s)
	if isoShaped(s) {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Format(time.RFC3339Nano), nil
		}
		if t, ok := parseISO(s); ok {
			return t.Format(time.RFC3339), nil
		}
	}
	t, ok, unreal := parseLocal(s, st)
	if ok {
		return t.Format(time.RFC3339), nil
	}
	return "", dateError(st, "date-time", s, unreal)
}

// dateError says what a date field reads. Without a format, a date written
// in a local layout is never guessed, because 03/04/2001 is the 3rd of
// April in Europe and the 4th of March in the US; the message proposes the
// format (dateAdvice).
func dateError(st *step, what, s string, unreal bool) error {
	if !unreal && st.dateErr != nil && !isoShaped(s) {
		return st.dateErr
	}
	iso := "YYYY-MM-DD"
	if what == "date-time" {
		iso = "YYYY-MM-DD HH:MM:SS or RFC 3339"
	}
	if unreal {
		return &cellError{
			rule:    fmt.Sprintf("must be a real %s in the format %q", what, st.src.Format),
			problem: fmt.Sprintf("is written in the format %q but is no real date (a month has at most 31 days, February 28 or 29)", st.src.Format),
		}
	}
	if isoShaped(s) {
		return &cellError{
			rule:    fmt.Sprintf("must be a real %s", what),
			problem: "is written YYYY-MM-DD but is no real date (a month has at most 31 days, February 28 or 29)",
		}
	}
	if st.src.Format != "" {
		return &cellError{
			rule:    fmt.Sprintf("must be a %s in the format %q (or %s, or a date cell)", what, st.src.Format, iso),
			problem: fmt.Sprintf("is not a %s in the format %q (nor %s)", what, st.src.Format, iso),
		}
	}
	return &cellError{
		rule:    fmt.Sprintf("must be a %s written %s or a date cell (the mapping gives no format)", what, iso),
		problem: fmt.Sprintf("is not a %s written %s, which is what the field reads without a format", what, iso),
	}
}

// isoShaped reports a text written NNNN-NN-NN, with or without a time.
func isoShaped(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' || len(s) > 10 && s[10] != 'T' && s[10] != ' ' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// dateLayout is a local layout a message may propose as a format.
type dateLayout struct {
	layout, relaxed string
	order           byte // 'd' day first, 'm' month first, 'y' year first
	sep             byte // between day, month and year
	clock           bool // with a time of day
}

// mayRead is a cheap first look, so that a message tries only the layouts
// that could read the text: its separators, and its first three numbers in
// the layout's order (a failed time.Parse allocates its error).
func (dl *dateLayout) mayRead(s string) bool {
	if strings.IndexByte(s, dl.sep) < 0 || dl.clock != (strings.IndexByte(s, ':') >= 0) {
		return false
	}
	var n [3]int
	var width [3]int
	k := 0
	for i := 0; i < len(s) && k < 3; i++ {
		switch c := s[i]; {
		case isDigit(c):
			n[k] = n[k]*10 + int(c-'0')
			width[k]++
		case width[k] > 0:
			k++
		}
	}
	if k < 2 || k == 2 && width[2] == 0 {
		return false
	}
	switch dl.order {
	case 'd':
		return n[0] >= 1 && n[0] <= 31 && n[1] >= 1 && n[1] <= 12 && width[2] == 4
	case 'm':
		return n[0] >= 1 && n[0] <= 12 && n[1] >= 1 && n[1] <= 31 && width[2] == 4
	}
	return width[0] == 4 && n[1] >= 1 && n[1] <= 12 && n[2] >= 1 && n[2] <= 31
}

// dateLayouts are the layouts spreadsheets write dates in, with the time of
// day a date-time may carry. Two-digit years are left out: 54 would be
// read as 2054, and a birth date is not in the future.
var dateLayouts = func() []dateLayout {
	var out []dateLayout
	for _, clock := range []string{"", " 15:04", " 15:04:05"} {
		for _, d := range []struct {
			l     string
			order byte
		}{
			{"02/01/2006", 'd'}, {"01/02/2006", 'm'}, {"2006/01/02", 'y'},
			{"02.01.2006", 'd'}, {"01.02.2006", 'm'}, {"2006.01.02", 'y'},
			{"02-01-2006", 'd'}, {"01-02-2006", 'm'},
		} {
			l := d.l + clock
			out = append(out, dateLayout{layout: l, relaxed: relaxed(l), order: d.order, sep: d.l[strings.IndexAny(d.l, "/.-")], clock: clock != ""})
		}
	}
	return out
}()
