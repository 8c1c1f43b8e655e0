package reports

import (
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/internal/cell"
)

// typedCase is one input cell of a known kind, and what the report must
// make of it.
type typedCase struct {
	name  string
	text  string
	kind  cell.Kind
	typ   excelize.CellType // as excelize reads the cell back
	shown string            // as a spreadsheet shows it (formatted)
	// back is the kind the cell reads back as: its own, or Text when the
	// report had to keep it as text.
	back cell.Kind
}

var typedCases = []typedCase{
	{"date", "1990-01-02", cell.Date, excelize.CellTypeNumber, "1990-01-02", cell.Date},
	{"first date", "1900-03-01", cell.Date, excelize.CellTypeNumber, "1900-03-01", cell.Date},
	{"last date", "9999-12-31", cell.Date, excelize.CellTypeNumber, "9999-12-31", cell.Date},
	{"date-time", "2001-04-03T10:00:00", cell.DateTime, excelize.CellTypeNumber, "2001-04-03 10:00:00", cell.DateTime},
	{"a second to midnight", "2024-02-29T23:59:59", cell.DateTime, excelize.CellTypeNumber, "2024-02-29 23:59:59", cell.DateTime},
	{"time", "07:30:05", cell.Time, excelize.CellTypeNumber, "07:30:05", cell.Time},
	{"decimal", "12.5", cell.Number, excelize.CellTypeNumber, "12.5", cell.Number},
	{"negative", "-5", cell.Number, excelize.CellTypeNumber, "-5", cell.Number},
	{"small", "0.000001", cell.Number, excelize.CellTypeNumber, "0.000001", cell.Number},
	{"phone as a number", "4670123456789", cell.Number, excelize.CellTypeNumber, "4670123456789", cell.Number},
	{"rounded by the spreadsheet", "12345678901234500000", cell.Number, excelize.CellTypeNumber, "12345678901234500000", cell.Number},
	{"bool", "TRUE", cell.Bool, excelize.CellTypeBool, "TRUE", cell.Bool},
	{"false", "FALSE", cell.Bool, excelize.CellTypeBool, "FALSE", cell.Bool},
	{"text", "1990-01-02", cell.Text, excelize.CellTypeInlineString, "1990-01-02", cell.Text},
	// What a typed cell cannot hold exactly stays text.
	{"16 digits", "1234567890123456", cell.Number, excelize.CellTypeInlineString, "1234567890123456", cell.Text},
	{"19 digits", "1234567890123456789", cell.Number, excelize.CellTypeInlineString, "1234567890123456789", cell.Text},
	{"not canonical", "12.50", cell.Number, excelize.CellTypeInlineString, "12.50", cell.Text},
	{"a formula is never one", "=1+2", cell.Number, excelize.CellTypeInlineString, "=1+2", cell.Text},
	{"before 1900", "1899-12-31", cell.Date, excelize.CellTypeInlineString, "1899-12-31", cell.Text},
	// Excel and LibreOffice disagree on dates before March 1900 by a day.
	{"before March 1900", "1900-02-28", cell.Date, excelize.CellTypeInlineString, "1900-02-28", cell.Text},
	{"midnight", "2001-04-03T00:00:00", cell.DateTime, excelize.CellTypeNumber, "2001-04-03 00:00:00", cell.DateTime},
	{"a second past", "2001-04-03T10:00:01", cell.DateTime, excelize.CellTypeNumber, "2001-04-03 10:00:01", cell.DateTime},
	{"no such day", "2001-02-30", cell.Date, excelize.CellTypeInlineString, "2001-02-30", cell.Text},
	{"a mask", "•••• masked", cell.Number, excelize.CellTypeInlineString, "•••• masked", cell.Text},
	{"bool text", "yes", cell.Bool, excelize.CellTypeInlineString, "yes", cell.Text},
}

// typedReport writes one row per case: the case's cell, in column B, and
// every row invalid so it is on Failed too.
func typedReport(t *testing.T, path string) {
	t.Helper()
	w, err := Create(path, []string{"Name", "Value"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range typedCases {
		r := &Row{Line: i + 2, Status: StatusInvalid, Message: "x",
			Cells: []string{tc.name, tc.text}, Kinds: []cell.Kind{cell.Text, tc.kind}}
		if i%2 == 0 {
			r.Issues = []Issue{{Column: 1, Rule: "highlighted " + tc.name}}
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(nil); err != nil {
		t.Fatal(err)
	}
}

// An XLSX report writes each input cell back with the type it was read
// with, so a date column still sorts as dates: dates and times as numbers
// with an ISO date format, numbers as numbers showing every digit, booleans
// as booleans, and what a typed cell cannot hold exactly as text.
func TestXLSXCellKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	typedReport(t, path)
	f := openXLSX(t, path)
	for _, sheet := range []struct{ name, col string }{{"Results", "H"}, {"Failed", "B"}} {
		for i, tc := range typedCases {
			ref := sheet.col + strconv.Itoa(i+2)
			typ, err := f.GetCellType(sheet.name, ref)
			if err != nil {
				t.Fatal(err)
			}
			if typ == excelize.CellTypeUnset {
				typ = excelize.CellTypeNumber // no t attribute: a number
			}
			if typ != tc.typ {
				t.Errorf("%s: %s!%s has type %v, want %v", tc.name, sheet.name, ref, typ, tc.typ)
			}
			if shown, _ := f.GetCellValue(sheet.name, ref); shown != tc.shown {
				t.Errorf("%s: %s!%s shows %q, want %q", tc.name, sheet.name, ref, shown, tc.shown)
			}
			want := ""
			if i%2 == 0 {
				want = invalidFill
			}
			if got := fillColor(t, f, sheet.name, ref); got != want {
				t.Errorf("%s: %s!%s fill %q, want %q", tc.name, sheet.name, ref, got, want)
			}
		}
	}
}

// The Failed sheet is fed back: through the input package's own reader it
// reads exactly as the original cells did, dates as their ISO text and
// numbers as their digits, with the report's two columns last.
//
// The reader's Kinds are checked when it fills them (another change of
// this round wires them in); until then the subtest says it skipped.
func TestXLSXFailedReadsBackAsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	typedReport(t, path)
	in, err := input.Open(path, input.Options{Sheet: "Failed"})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if h := in.Header(); len(h) != 4 || h[0] != "Name" || h[1] != "Value" || h[2] != ColumnReason || h[3] != ColumnOriginalRow {
		t.Fatalf("header %q", h)
	}
	var recs []input.Record
	for {
		rec, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != len(typedCases) {
		t.Fatalf("%d rows read back, want %d", len(recs), len(typedCases))
	}
	kindsFilled := false
	for i, tc := range typedCases {
		rec := recs[i]
		if rec.Err != nil {
			t.Errorf("%s: %v", tc.name, rec.Err)
		}
		if rec.Cells[1] != tc.text {
			t.Errorf("%s: reads back as %q, want %q", tc.name, rec.Cells[1], tc.text)
		}
		if rec.Cells[3] != strconv.Itoa(i+2) {
			t.Errorf("%s: Original row %q", tc.name, rec.Cells[3])
		}
		kindsFilled = kindsFilled || rec.Kinds != nil
	}
	t.Run("kinds", func(t *testing.T) {
		if !kindsFilled {
			t.Skip("the input reader does not fill Record.Kinds yet")
		}
		for i, tc := range typedCases {
			if got := cell.Of(recs[i].Kinds, 1); got != tc.back {
				t.Errorf("%s: reads back as a %v cell, want %v", tc.name, got, tc.back)
			}
		}
	})
}

func TestNumberValue(t *testing.T) {
	for s, want := range map[string]string{ // "" = stays text
		"0": "0", "7": "0", "12.5": "0.0", "-0.25": "0.00", "4670000000": "0",
		"123456789012345": "0", "1234567890123456": "", "0.1234567890123456": "",
		"-0": "", "1e5": "", "+5": "", " 5": "", "NaN": "", "Inf": "", "0x10": "", "1_000": "",
	} {
		_, format, ok := numberValue(s)
		if !ok {
			format = ""
		}
		if format != want {
			t.Errorf("numberValue(%q) format %q, want %q", s, format, want)
		}
	}
}
