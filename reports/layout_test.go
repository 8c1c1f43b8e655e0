package reports

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestWrappedLines(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width float64
		want  int
	}{
		{"", 60, 1},
		{"short", 60, 1},
		{strings.Repeat("x", 68), 60, 1},             // 68 characters fit in 60
		{strings.Repeat("x", 69), 60, 2},             // a long word is broken
		{strings.Repeat("x", 200), 60, 3},            // 68 a line
		{"ab " + strings.Repeat("x", 100), 60, 2},    // a long word fills the line it starts on
		{strings.Repeat("word ", 26), 60, 2},         // 130 characters of words
		{"one\ntwo\nthree", 60, 3},                   // line breaks
		{"a\n" + strings.Repeat("x", 69), 60, 3},     // both
		{strings.Repeat("図", 40), 60, 2},             // wide characters count twice
		{strings.Repeat("x", 1_000_000), 80, 28},     // capped where a row cannot grow
		{strings.Repeat("y\n", 100), 80, 28},         // capped
		{strings.Repeat("ab ", 10), 4, 10},           // narrow columns still count
		{`{"id":"5f3ac249f6aef294d0000071"}`, 10, 4}, // JSON has no spaces
	} {
		if got := wrappedLines(tc.s, tc.width); got != tc.want {
			t.Errorf("wrappedLines(%.20q…, %v) = %d, want %d", tc.s, tc.width, got, tc.want)
		}
	}
}

// longRows has a message and a payload far wider than their columns, a
// multi-line cell, and a plain row.
func longRows() []*Row {
	payload := `{"account_origin":"Daily News","address":{"city":"Umeå","country_code":"SE","street":"Storgatan 12","zip_code":"90330"},"atomic":true,"birth_date":"1987-03-15","email":"anna.karlsson@example.se","first_name":"Anna","id":"5f3ac249f6aef294d0000071","last_name":"Karlsson","mobile_phone_number":"0701234567","social_security_number":"870315-1234","tags":["print","digital"]}`
	return []*Row{
		{Line: 2, Status: StatusOK, Key: "A1", HTTPStatus: 200, Attempts: 1, Payload: `{"id":"A1"}`,
			Cells: []string{"A1", "a@example.se", "0701234567", "1990-01-02", "active", ""}},
		{Line: 3, Status: StatusInvalid, Key: "A2", Payload: payload,
			Message: "Personal number: social_security_number must match \"dddddd-dddd\"; Born: birth_date \"31/02/1965\" is not a date in the format \"DD/MM/YYYY\"",
			Cells:   []string{"A2", "b@example.se", "12", "31/02/1965", "active", ""},
			Issues:  []Issue{{Column: 2, Rule: "mobile_phone_number must match ^[0-9]{10}$"}}},
		{Line: 4, Status: StatusOK, Key: "A3", HTTPStatus: 200, Attempts: 1,
			Cells: []string{"A3", "c@example.se", "0701234568", "1990-01-03", "active", "line one\nline two\nline three"}},
	}
}

// Message and Payload wrap, so a reader sees them whole: the cell has
// wrapping on and its row is tall enough for the lines the text takes at
// its column's width; the other cells of a tall row are aligned to the top.
// A one-line row keeps the default height and its cells their styles.
func TestXLSXWrapsLongText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	rows := longRows()
	writeReport(t, path, Options{Payloads: true}, rows, nil)
	f := openXLSX(t, path)

	style := func(sheet, cell string) *excelize.Style { return styleOf(t, f, sheet, cell) }
	wraps := func(st *excelize.Style) bool { return st.Alignment != nil && st.Alignment.WrapText }
	top := func(st *excelize.Style) bool { return st.Alignment != nil && st.Alignment.Vertical == "top" }
	height := func(sheet string, row int) float64 {
		t.Helper()
		h, err := f.GetRowHeight(sheet, row)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	width := func(sheet, col string) float64 {
		t.Helper()
		w, err := f.GetColWidth(sheet, col)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}

	// Row 3 of Results: the long message (F) and payload (G) wrap.
	for _, c := range []string{"F3", "G3"} {
		if !wraps(style("Results", c)) {
			t.Errorf("Results!%s does not wrap", c)
		}
	}
	if w := width("Results", "G"); w != maxPayloadWidth {
		t.Errorf("Payload column width %v, want %d", w, maxPayloadWidth)
	}
	lines := max(wrappedLines(rows[1].Payload, width("Results", "G")), wrappedLines(rows[1].Message, width("Results", "F")))
	if lines < 2 {
		t.Fatalf("the sample no longer needs wrapping (%d lines)", lines)
	}
	// The estimate itself must not cut the text: at least the characters
	// the text has, in lines as wide as the column.
	if min := (len(rows[1].Payload) + int(maxPayloadWidth) - 1) / maxPayloadWidth; lines < min {
		t.Errorf("%d lines for a %d-character payload in a %d-wide column, want at least %d", lines, len(rows[1].Payload), maxPayloadWidth, min)
	}
	if got, want := height("Results", 3), rowHeight(lines); got != want {
		t.Errorf("Results row 3 height %v, want %v (%d lines)", got, want, lines)
	}
	for _, c := range []string{"A3", "B3", "C3", "G3", "H3", "I3"} {
		if !top(style("Results", c)) {
			t.Errorf("Results!%s in a tall row is not top-aligned", c)
		}
	}
	// The invalid cell keeps its highlight in the tall row.
	if got := fillColor(t, f, "Results", "J3"); got != invalidFill {
		t.Errorf("Results!J3 fill %q, want the invalid fill", got)
	}
	// Row 2: one line everywhere, default height, no wrap.
	if got := height("Results", 2); got != 15 {
		t.Errorf("Results row 2 height %v, want the default", got)
	}
	if wraps(style("Results", "G2")) {
		t.Error("a short payload wraps")
	}
	// Row 4: an input cell of three lines wraps too.
	if !wraps(style("Results", "M4")) || height("Results", 4) != rowHeight(3) {
		t.Errorf("a three-line input cell: wrap %v, height %v", wraps(style("Results", "M4")), height("Results", 4))
	}
	// Failed: the reason wraps in its own tall row.
	if !wraps(style("Failed", "G2")) || height("Failed", 2) < 2*lineHeight {
		t.Errorf("Failed reason: wrap %v, height %v", wraps(style("Failed", "G2")), height("Failed", 2))
	}
}

// Every sheet prints landscape, one page wide and as tall as it needs, with
// the header on every page of Results and Failed.
func TestXLSXPrintLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{Payloads: true}, sampleRows(), sampleSummary())
	f := openXLSX(t, path)
	for i, sheet := range []string{"Results", "Failed", "Summary"} {
		xml := sheetXML(t, path, i+1)
		for _, want := range []string{`<pageSetUpPr fitToPage="(1|true)"`, `orientation="landscape"`, `fitToWidth="1"`, `fitToHeight="0"`} {
			if !regexp.MustCompile(want).MatchString(xml) {
				t.Errorf("%s lacks %s", sheet, want)
			}
		}
		// Order matters to Excel: sheetPr first, pageSetup after the data.
		if i < 2 && !regexp.MustCompile(`(?s)^<\?xml.*<worksheet[^>]*><sheetPr>.*</sheetData>.*<pageSetup `).MatchString(xml) {
			t.Errorf("%s: sheetPr or pageSetup out of place", sheet)
		}
	}
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range []string{"Results", "Failed"} {
		if want := fmt.Sprintf("'%s'!$1:$1", sheet); titles[sheet] != want {
			t.Errorf("%s print titles %q, want %q", sheet, titles[sheet], want)
		}
	}
}

// The rows past the width sample are sized with the widths set, and rows
// stream on: heights in the second part too.
func TestXLSXWrapPastSample(t *testing.T) {
	rows := manyRows(widthSample+50, 0)
	long := strings.Repeat("a long message ", 20)
	rows[widthSample+10].Message = long
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{}, rows, nil)
	f := openXLSX(t, path)
	line := rows[widthSample+10].Line
	w, _ := f.GetColWidth("Results", "F")
	h, err := f.GetRowHeight("Results", line)
	if err != nil {
		t.Fatal(err)
	}
	if want := rowHeight(wrappedLines(long, w)); h != want || h <= lineHeight {
		t.Errorf("row %d height %v, want %v", line, h, want)
	}
	if v, _ := f.GetCellValue("Results", "F"+strconv.Itoa(line)); v != long {
		t.Errorf("message %q", v)
	}
}
