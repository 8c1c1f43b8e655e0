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
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseDate reads a date: with the mapping's layout when there is one, and
// ISO 8601 always (a real date cell arrives as ISO whatever the column's
// layout). A time of day other than midnight is refused: it would be lost.
func parseDate(s, goLayout, format string) (string, error) {
	s = strings.TrimSpace(s)
	t, ok := time.Time{}, false
	if goLayout != "" {
		if pt, err := time.Parse(goLayout, s); err == nil {
			t, ok = pt, true
		}
	}
	if !ok {
		t, ok = parseISO(s)
	}
	if !ok {
		if format != "" {
			return "", fmt.Errorf("%q is not a date in the format %q", s, format)
		}
		return "", undatedError(s)
	}
	if h, m, sec := t.Clock(); h != 0 || m != 0 || sec != 0 || t.Nanosecond() != 0 {
		return "", fmt.Errorf("%q has a time of day; the field takes a date only", s)
	}
	return t.Format(time.DateOnly), nil
}

// parseDateTime reads a date and time into RFC 3339. A time without a zone
// (as spreadsheets store them) is taken as UTC.
func parseDateTime(s, goLayout, format string) (string, error) {
	s = strings.TrimSpace(s)
	if goLayout != "" {
		if t, err := time.Parse(goLayout, s); err == nil {
			return t.Format(time.RFC3339), nil
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Format(time.RFC3339Nano), nil
	}
	if t, ok := parseISO(s); ok {
		return t.Format(time.RFC3339), nil
	}
	if format != "" {
		return "", fmt.Errorf("%q is not a date-time in the format %q", s, format)
	}
	return "", undatedError(s)
}

// undatedError explains a date written in a local layout without a format:
// never guessed, because 03/04/2001 is the 3rd of April in Europe and the
// 4th of March in the US.
func undatedError(s string) error {
	a, b, ok := leadingPair(s)
	if ok && a <= 12 && b <= 12 && a != b {
		return fmt.Errorf("%q is ambiguous (day and month could be swapped); add format: \"DD/MM/YYYY\" or \"MM/DD/YYYY\" to this field in the mapping", s)
	}
	return fmt.Errorf("%q is not an ISO date (YYYY-MM-DD); add a format to this field in the mapping, like format: \"DD/MM/YYYY\"", s)
}

// leadingPair reads the first two numbers of a text like "03/04/2001".
func leadingPair(s string) (int, int, bool) {
	var nums []int
	n, in := 0, false
	for i := 0; i < len(s) && len(nums) < 2; i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			n, in = n*10+int(c-'0'), true
			continue
		}
		if in {
			nums = append(nums, n)
			n, in = 0, false
		}
	}
	if in && len(nums) < 2 {
		nums = append(nums, n)
	}
	if len(nums) < 2 {
		return 0, 0, false
	}
	return nums[0], nums[1], true
}
