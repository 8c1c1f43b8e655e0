package main

import (
	"fmt"
	"io"
	"strings"
)

// line is one measurement in the final table.
type line struct {
	name      string // what was measured
	reference string // the figure it is compared with
	measured  string // acctimport's figure
	ratio     string // acctimport / reference
	goal      string // the spec's goal, "" when it sets none
	verdict   string // PASS, MISS, info or ERROR
}

var columns = []string{"measurement", "reference", "acctimport", "ratio", "goal", "result"}

func (l line) cells() []string {
	return []string{l.name, l.reference, l.measured, l.ratio, l.goal, l.verdict}
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// printText writes the lines as an aligned table.
func printText(w io.Writer, lines []line) {
	width := make([]int, len(columns))
	for i, c := range columns {
		width[i] = len([]rune(c))
	}
	for _, l := range lines {
		for i, c := range l.cells() {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	row := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(c))))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	row(columns)
	sep := make([]string, len(columns))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	row(sep)
	for _, l := range lines {
		row(l.cells())
	}
}

// printMarkdown writes the lines as a GitHub table, for the README.
func printMarkdown(w io.Writer, lines []line) {
	md := func(cells []string) {
		esc := make([]string, len(cells))
		for i, c := range cells {
			esc[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(esc, " | "))
	}
	md(columns)
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(columns)))
	for _, l := range lines {
		md(l.cells())
	}
}

// count writes n with thousands separators: 1234567 -> "1,234,567".
func count(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// mib writes bytes as MiB.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
