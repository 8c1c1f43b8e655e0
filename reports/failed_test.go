package reports

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/internal/csvsafe"
)

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		r    Row
		want string
	}{
		{Row{Status: StatusFailed, HTTPStatus: 409}, "failed: HTTP 409"},
		{Row{Status: StatusFailed, HTTPStatus: 409, Message: "HTTP 409: email: must_be_unique"}, "failed: HTTP 409: email: must_be_unique"},
		{Row{Status: StatusFailed, HTTPStatus: 500, Message: "internal error"}, "failed: HTTP 500: internal error"},
		{Row{Status: StatusFailed, Message: "connection refused"}, "failed: connection refused"},
		{Row{Status: StatusInvalid, Message: "Mobile: bad"}, "invalid: Mobile: bad"},
		{Row{Status: StatusPartial, HTTPStatus: 207, Message: "not updated: tags"}, "partial: HTTP 207: not updated: tags"},
	} {
		if got := reason(&tc.r); got != tc.want {
			t.Errorf("reason(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

// refedHeader is a Failed sheet's header fed back as an input, with the
// report's own columns moved into the middle by hand.
var refedHeader = []string{"Account ID", ColumnReason, "E-mail", ColumnOriginalRow, "Mobile"}

func refedRows() []*Row {
	return []*Row{
		// failed again: keeps the first file's row 17, gets the new reason
		{Line: 2, Status: StatusFailed, HTTPStatus: 409, Cells: []string{"A1", "failed: HTTP 500", "a@example.se", "17", "0701234567"}},
		// ok now: not on Failed
		{Line: 3, Status: StatusOK, Cells: []string{"A2", "invalid: x", "b@example.se", "23", "0701234568"}},
		// invalid again, the Original row cell edited into text: its own row
		{Line: 4, Status: StatusInvalid, Message: "Mobile: bad",
			Cells:  []string{"A3", "invalid: y", "c@example.se", "see above", "12"},
			Issues: []Issue{{Column: 4, Rule: "mobile_phone_number must match ^[0-9]{10}$"}, {Column: 1, Rule: "on the old reason"}}},
		// a ragged row with a cell past the header: it follows the pair
		{Line: 5, Status: StatusInvalid, Message: "row has 6 cells, the header 5",
			Cells: []string{"A4", "", "d@example.se", "", "0701234569", "extra"}},
	}
}

var refedWant = [][]string{
	{"Account ID", "E-mail", "Mobile", ColumnReason, ColumnOriginalRow},
	{"A1", "a@example.se", "0701234567", "failed: HTTP 409", "17"},
	{"A3", "c@example.se", "12", "invalid: Mobile: bad", "4"},
	{"A4", "d@example.se", "0701234569", "invalid: row has 6 cells, the header 5", "5", "extra"},
}

// A Failed sheet fed back and failing again gets one pair of the report's
// columns, not a second: the input's own copies are recognised by name and
// left out, the reason is the new one, and the row keeps its number in the
// first file while that cell still holds one.
func TestFailedColumnsRefed(t *testing.T) {
	t.Run("xlsx", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "out.xlsx")
		writeReportHeader(t, path, refedHeader, Options{}, refedRows(), nil)
		f := openXLSX(t, path)
		rows, err := f.GetRows("Failed", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(refedWant) {
			t.Fatalf("Failed = %q, want %q", rows, refedWant)
		}
		for i := range refedWant {
			if got := padCells(rows[i], len(refedWant[i])); !slices.Equal(got, refedWant[i]) {
				t.Errorf("Failed row %d = %q, want %q", i+1, got, refedWant[i])
			}
		}
		// The Mobile issue moved with its column; the one on the old
		// reason column went with it.
		checkComments(t, f, "Failed", map[string]string{"C3": "mobile_phone_number must match ^[0-9]{10}$"})
		if got := fillColor(t, f, "Failed", "C3"); got != invalidFill {
			t.Errorf("Failed!C3 fill %q, want the invalid fill", got)
		}
		// Results keeps the input's columns as read.
		res, _ := f.GetRows("Results")
		if !slices.Equal(res[0][len(fixedColumns):], refedHeader) {
			t.Errorf("Results header %q", res[0])
		}
	})
	t.Run("csv", func(t *testing.T) {
		dir := t.TempDir()
		writeReportHeader(t, filepath.Join(dir, "out.csv"), refedHeader, Options{}, refedRows(), nil)
		got := readCSV(t, filepath.Join(dir, "out.failed.csv"))
		if len(got) != len(refedWant) {
			t.Fatalf("failed.csv = %q, want %q", got, refedWant)
		}
		for i := range refedWant {
			if !slices.Equal(got[i], refedWant[i]) {
				t.Errorf("failed.csv line %d = %q, want %q", i+1, got[i], refedWant[i])
			}
		}
	})
}

// The Failed sheet says why each row is there, in a cell filled as its
// status is, and gives the row number; a 409 with no message still says so.
func TestXLSXFailedReason(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	rows := []*Row{
		{Line: 2, Status: StatusFailed, HTTPStatus: 409, Attempts: 1, Cells: []string{"A1"}},
		{Line: 3, Status: StatusInvalid, Message: "E-mail: bad", Cells: []string{"A2", "x"}, Issues: []Issue{{Column: 1, Rule: "bad"}}},
		{Line: 4, Status: StatusPartial, HTTPStatus: 207, Message: "not updated: tags", Cells: []string{"A3"}},
	}
	writeReport(t, path, Options{}, rows, nil)
	f := openXLSX(t, path)
	for i, want := range []struct{ reason, fill string }{
		{"failed: HTTP 409", statusColours[StatusFailed].fill},
		{"invalid: E-mail: bad", statusColours[StatusInvalid].fill},
		{"partial: HTTP 207: not updated: tags", statusColours[StatusPartial].fill},
	} {
		row := strconv.Itoa(i + 2)
		if v, _ := f.GetCellValue("Failed", "G"+row); v != want.reason {
			t.Errorf("Failed!G%s = %q, want %q", row, v, want.reason)
		}
		if got := fillColor(t, f, "Failed", "G"+row); got != want.fill {
			t.Errorf("Failed!G%s fill %q, want %q", row, got, want.fill)
		}
		typ, _ := f.GetCellType("Failed", "H"+row)
		v, _ := f.GetCellValue("Failed", "H"+row)
		if v != strconv.Itoa(rows[i].Line) || typ == excelize.CellTypeInlineString {
			t.Errorf("Failed!H%s = %q (%v), want the number %d", row, v, typ, rows[i].Line)
		}
	}
	if got := fillColor(t, f, "Failed", "B3"); got != invalidFill {
		t.Errorf("Failed!B3 fill %q, want the invalid fill", got)
	}
	checkComments(t, f, "Failed", map[string]string{"B3": "bad"})
}

// failed and invalid were one red; invalid is now orange, as in the chart,
// and every status is told apart from the others that mean something else.
func TestStatusColoursDistinct(t *testing.T) {
	seen := map[string]Status{}
	for _, st := range Statuses {
		c := statusColours[st]
		if c.fill == "" || c.font == "" || c.chart == "" {
			t.Errorf("%s has no colours", st)
		}
		if st == StatusValid {
			continue // valid is ok's green: validate has no ok rows
		}
		if o, ok := seen[c.fill]; ok {
			t.Errorf("%s and %s share the fill %s", st, o, c.fill)
		}
		seen[c.fill] = st
	}
	if statusColours[StatusInvalid].fill == statusColours[StatusFailed].fill || statusColours[StatusInvalid].chart == statusColours[StatusFailed].chart {
		t.Error("invalid and failed share a colour")
	}
}

// Feeding back the Failed CSV (as the input reader unescapes it) gives the
// cells of the rows to fix with the report's two columns last, which the
// mapping ignores as it ignores any column it does not name.
func TestCSVFailedColumnsLast(t *testing.T) {
	dir := t.TempDir()
	writeReport(t, filepath.Join(dir, "out.csv"), Options{}, sampleRows(), nil)
	recs := readCSV(t, filepath.Join(dir, "out.failed.csv"))
	h := recs[0]
	if !slices.Equal(h[len(h)-2:], []string{ColumnReason, ColumnOriginalRow}) {
		t.Fatalf("header %q does not end with the report's columns", h)
	}
	for i, rec := range recs[1:] {
		for j := range rec {
			rec[j] = csvsafe.Unescape(rec[j])
		}
		if _, err := strconv.Atoi(rec[len(h)-1]); err != nil {
			t.Errorf("line %d: Original row %q is not a number", i+2, rec[len(h)-1])
		}
	}
}

// TestFailedKeepsAnAccountsLaterRows: after a row of an account that did not
// go through, the account's later rows go on Failed too, saying why, so that
// feeding the sheet back sends them after it, in the file's order, instead
// of leaving the account on the older row's values.
func TestFailedKeepsAnAccountsLaterRows(t *testing.T) {
	rows := []*Row{
		{Line: 2, Status: StatusOK, Key: "Y", Cells: []string{"Y", "taken@example.se", "", "", "", ""}},
		{Line: 3, Status: StatusFailed, Key: "X", HTTPStatus: 409, Message: "conflict", Cells: []string{"X", "taken@example.se", "", "", "", ""}},
		{Line: 4, Status: StatusOK, Key: "X", Cells: []string{"X", "x-final@example.se", "", "", "", ""}},
		{Line: 5, Status: StatusOK, Key: "Y", Cells: []string{"Y", "y-new@example.se", "", "", "", ""}},
		{Line: 6, Status: StatusSkipped, Key: "X", Message: "duplicate", Cells: []string{"X", "x-final@example.se", "", "", "", ""}},
	}
	for _, name := range []string{"out.csv", "out.xlsx"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			writeReport(t, path, Options{}, rows, nil)
			var failed [][]string
			if strings.HasSuffix(name, ".csv") {
				failed = readCSV(t, filepath.Join(filepath.Dir(path), "out.failed.csv"))
			} else {
				var err error
				if failed, err = openXLSX(t, path).GetRows("Failed"); err != nil {
					t.Fatal(err)
				}
			}
			var lines []string
			for _, r := range failed[1:] {
				lines = append(lines, r[len(r)-1]+":"+r[1])
			}
			if got := strings.Join(lines, " "); got != "3:taken@example.se 4:x-final@example.se 6:x-final@example.se" {
				t.Errorf("Failed holds %s", got)
			}
			reasonCol := len(failed[0]) - 2
			if r := csvsafe.Unescape(failed[2][reasonCol]); !strings.Contains(r, "row 3 of the same account did not go through") {
				t.Errorf("reason %q", r)
			}
		})
	}
}

// TestSummarySaysNotReachedIsALowerBound: when the count of rows a stopped
// run never reached was cut short, the Summary says "at least".
func TestSummarySaysNotReachedIsALowerBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	s := sampleSummary()
	s.NotReached, s.NotReachedAtLeast = 1023, true
	writeReport(t, path, Options{}, sampleRows(), s)
	found := false
	for _, r := range readCSV(t, filepath.Join(filepath.Dir(path), "out.summary.csv")) {
		if len(r) == 2 && r[0] == "Not reached, at least" && r[1] == "1023" {
			found = true
		}
	}
	if !found {
		t.Error("the Summary does not say the count is a lower bound")
	}
}
