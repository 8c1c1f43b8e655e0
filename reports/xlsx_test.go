package reports

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/internal/csvsafe"
)

func openXLSX(t *testing.T, path string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// dumpXLSX renders every sheet's stored cell values, one JSON array per row,
// so that golden files compare what a user sees rather than zip bytes.
func dumpXLSX(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		fmt.Fprintf(&b, "# %s\n", sheet)
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			line, _ := json.Marshal(row)
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

func TestXLSXGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"report", Options{}},
		{"report_payloads", Options{Payloads: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.xlsx")
			s := sampleSummary()
			s.Output = "accounts.results.xlsx" // not the temporary path
			writeReport(t, path, tc.opts, sampleRows(), s)
			checkGolden(t, tc.name+".xlsx.txt", dumpXLSX(t, openXLSX(t, path)))
		})
	}
}

func TestXLSXSheetsAndHeaders(t *testing.T) {
	for _, payloads := range []bool{false, true} {
		t.Run(fmt.Sprint("payloads=", payloads), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "out.xlsx")
			writeReport(t, path, Options{Payloads: payloads}, sampleRows(), sampleSummary())
			f := openXLSX(t, path)
			if got, want := f.GetSheetList(), []string{"Results", "Failed", "Summary"}; !slices.Equal(got, want) {
				t.Fatalf("sheets %q, want %q", got, want)
			}
			rows, err := f.GetRows("Results")
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"Row", "Status", "Key", "HTTP status", "Attempts", "Message"}
			if payloads {
				want = append(want, "Payload")
			}
			want = append(want, sampleHeader...)
			if !slices.Equal(rows[0], want) {
				t.Errorf("Results header %q, want %q", rows[0], want)
			}
			if payloads && rows[3][6] != `=cmd|' /C calc'!A0` {
				t.Errorf("payload of row 4 = %q", rows[3][6])
			}
			if len(rows) != len(sampleRows())+1 {
				t.Errorf("Results has %d rows, want %d", len(rows), len(sampleRows())+1)
			}
		})
	}
}

// The Failed sheet holds exactly the rows to fix, under the input's own
// header, with every cell as read: it can be fed back with the same mapping.
func TestXLSXFailedSheet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{Payloads: true}, sampleRows(), sampleSummary())
	f := openXLSX(t, path)
	rows, err := f.GetRows("Failed", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{append(slices.Clone(sampleHeader), ColumnReason, ColumnOriginalRow)}
	for _, r := range sampleRows() {
		if r.Status == StatusPartial || r.Status == StatusFailed || r.Status == StatusInvalid {
			want = append(want, append(padCells(r.Cells, len(sampleHeader)), reason(r), strconv.Itoa(r.Line)))
		}
	}
	if len(rows) != len(want) {
		t.Fatalf("Failed has %d rows, want %d:\n%q", len(rows), len(want), rows)
	}
	for i := range want {
		// GetRows drops trailing empty cells.
		got := padCells(rows[i], len(want[i]))
		if !slices.Equal(got, want[i]) {
			t.Errorf("Failed row %d = %q, want %q", i+1, got, want[i])
		}
	}
}

// Data that looks like a formula is stored as a string, never as a formula:
// checked through excelize and in the sheet XML itself.
func TestXLSXFormulaInjection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{Payloads: true}, sampleRows(), sampleSummary())
	f := openXLSX(t, path)
	for _, sheet := range []string{"Results", "Failed", "Summary"} {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				if v == "" || csvsafe.Escape(v) == v {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				typ, err := f.GetCellType(sheet, cell)
				if err != nil {
					t.Fatal(err)
				}
				if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
					t.Errorf("%s!%s %q has type %v, want a string", sheet, cell, v, typ)
				}
				if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
					t.Errorf("%s!%s %q has formula %q", sheet, cell, v, formula)
				}
			}
		}
	}
	// The formula-looking values of the failed row are all there.
	rows, _ := f.GetRows("Results", excelize.Options{RawCellValue: true})
	if got := rows[3][2]; got != `=HYPERLINK("http://evil")` {
		t.Errorf("key = %q", got)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "<f>") || strings.Contains(string(b), "<f ") {
			t.Errorf("%s contains a formula element", zf.Name)
		}
	}
}

// Numbers the report computes are numbers; everything from the input is
// text, dates and digit strings included.
func TestXLSXCellTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{}, sampleRows(), sampleSummary())
	f := openXLSX(t, path)
	const number, str, empty = "number", "string", "empty"
	for cell, want := range map[string]string{
		"A2":  number, // Row
		"D2":  number, // HTTP status
		"E2":  number, // Attempts
		"B2":  str,    // Status
		"I2":  str,    // Mobile 0701234567
		"I3":  str,    // Mobile 4670123456789
		"J2":  str,    // Born 1990-01-02
		"L8":  str,    // Notes 12.50
		"D5":  empty,  // no HTTP answer
		"E5":  empty,  // nothing sent
		"L2":  empty,  // empty input cell
		"F2":  empty,  // empty message
		"Z99": empty,
	} {
		typ, err := f.GetCellType("Results", cell)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := f.GetCellValue("Results", cell)
		got := "?"
		switch {
		case v == "":
			got = empty
		case typ == excelize.CellTypeInlineString:
			got = str
		case typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber: // no t attribute: a number
			if _, err := strconv.Atoi(v); err == nil {
				got = number
			}
		}
		if got != want {
			t.Errorf("Results!%s %q (type %v) is %s, want %s", cell, v, typ, got, want)
		}
	}
	if v, _ := f.GetCellValue("Results", "J3"); v != "03/04/2001" {
		t.Errorf("date as read = %q", v)
	}
}

// styleOf returns the style of a cell.
func styleOf(t *testing.T, f *excelize.File, sheet, cell string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// invalidFill is how an invalid cell and the invalid status are filled.
const invalidFill = "F4B183"

func fillColor(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	st := styleOf(t, f, sheet, cell)
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return st.Fill.Color[0]
}

func TestXLSXFormatting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{}, sampleRows(), sampleSummary())
	f := openXLSX(t, path)

	t.Run("summary chart", func(t *testing.T) {
		if xml := sheetXML(t, path, 3); !strings.Contains(xml, "<drawing r:id=") {
			t.Error("the Summary sheet has no drawing")
		}
		chart := zipPart(t, path, "xl/charts/chart1.xml")
		for _, want := range []string{"<pieChart>", "Summary!$A$2:$A$7", "Summary!$B$2:$B$7", "Rows by status", `<dPt><idx val="5"></idx>`, "63BE7B", "E0464B"} {
			if !strings.Contains(chart, want) {
				t.Errorf("chart1.xml lacks %s", want)
			}
		}
		for i, st := range Statuses {
			if v, _ := f.GetCellValue("Summary", "A"+strconv.Itoa(i+2)); v != string(st) {
				t.Errorf("Summary!A%d = %q, want %q", i+2, v, st)
			}
		}
	})

	t.Run("status colours", func(t *testing.T) {
		for cell, want := range map[string]string{
			"B2": "C6EFCE", "B3": "FFEB9C", "B4": "FFC7CE", "B5": "F4B183", "B6": "E7E6E6", "B8": "C6EFCE",
		} {
			if got := fillColor(t, f, "Results", cell); got != want {
				t.Errorf("Results!%s fill %q, want %q", cell, got, want)
			}
		}
	})
	t.Run("invalid cells", func(t *testing.T) {
		// Row 5 broke rules in E-mail, Mobile and Born (H5, I5, J5; on
		// Failed row 4: B4, C4, D4); its other cells are plain.
		for sheet, cells := range map[string][]string{"Results": {"H5", "I5", "J5"}, "Failed": {"B4", "C4", "D4"}} {
			for _, cell := range cells {
				if got := fillColor(t, f, sheet, cell); got != invalidFill {
					t.Errorf("%s!%s fill %q, want the invalid fill", sheet, cell, got)
				}
			}
		}
		for sheet, cells := range map[string][]string{"Results": {"G5", "K5", "H4"}, "Failed": {"A4", "E4", "B3"}} {
			for _, cell := range cells {
				if got := fillColor(t, f, sheet, cell); got != "" {
					t.Errorf("%s!%s fill %q, want none", sheet, cell, got)
				}
			}
		}
	})
	t.Run("comments", func(t *testing.T) {
		want := map[string]string{
			"H5": "email must be an e-mail address",
			"I5": "mobile_phone_number must match ^[0-9]{10}$",
			"J5": "birth_date is required",
		}
		checkComments(t, f, "Results", want)
		checkComments(t, f, "Failed", map[string]string{"B4": want["H5"], "C4": want["I5"], "D4": want["J5"]})
	})
	t.Run("header", func(t *testing.T) {
		for _, sheet := range []string{"Results", "Failed"} {
			panes, err := f.GetPanes(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
				t.Errorf("%s panes %+v, want the first row frozen", sheet, panes)
			}
			id, _ := f.GetCellStyle(sheet, "A1")
			st, _ := f.GetStyle(id)
			if st.Font == nil || !st.Font.Bold {
				t.Errorf("%s header not bold", sheet)
			}
		}
	})
	t.Run("autofilter", func(t *testing.T) {
		want := map[string]string{
			"Results": "'Results'!$A$1:$L$8",
			"Failed":  "'Failed'!$A$1:$H$5",
		}
		got := map[string]string{}
		for _, dn := range f.GetDefinedName() {
			if dn.Name == "_xlnm._FilterDatabase" {
				got[dn.Scope] = dn.RefersTo
			}
		}
		for sheet, ref := range want {
			if got[sheet] != ref {
				t.Errorf("%s filter range %q, want %q", sheet, got[sheet], ref)
			}
		}
		for i, ref := range []string{`<autoFilter ref="$A$1:$L$8">`, `<autoFilter ref="$A$1:$H$5">`} {
			if xml := sheetXML(t, path, i+1); !strings.Contains(xml, ref) {
				t.Errorf("sheet%d.xml has no %s", i+1, ref)
			}
		}
	})
	t.Run("column widths", func(t *testing.T) {
		for n := 1; n <= 3; n++ {
			xml := sheetXML(t, path, n)
			cols := regexp.MustCompile(`<col[^>]* min="(\d+)"`).FindAllStringSubmatch(xml, -1)
			for i, c := range cols {
				if c[1] != strconv.Itoa(i+1) {
					t.Fatalf("sheet%d.xml: <col> %d has min=%s: columns must be in ascending order", n, i+1, c[1])
				}
			}
			if len(cols) == 0 {
				t.Errorf("sheet%d.xml has no column widths", n)
			}
		}
		for col, want := range map[string]float64{
			"A": 8,  // "Row" and the filter button, padded
			"F": 60, // the long message, capped
			"H": 22, // "Åsa.Öberg@example.se", padded
			"L": 12, // "  padded  ", padded
		} {
			got, err := f.GetColWidth("Results", col)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Results column %s width %v, want %v", col, got, want)
			}
		}
	})
}

func checkComments(t *testing.T, f *excelize.File, sheet string, want map[string]string) {
	t.Helper()
	comments, err := f.GetComments(sheet)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range comments {
		text := c.Text
		for _, p := range c.Paragraph {
			text += p.Text
		}
		got[c.Cell] = text
		if c.Author != commentAuthor {
			t.Errorf("%s!%s comment author %q", sheet, c.Cell, c.Author)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s comments %q, want %q", sheet, got, want)
	}
	for cell, text := range want {
		if got[cell] != text {
			t.Errorf("%s!%s comment %q, want %q", sheet, cell, got[cell], text)
		}
	}
}

// sheetXML returns the raw XML of worksheet n (1-based).
func sheetXML(t *testing.T, path string, n int) string {
	t.Helper()
	return zipPart(t, path, "xl/worksheets/sheet"+strconv.Itoa(n)+".xml")
}

func zipPart(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// manyRows makes n rows, every seventh invalid in its second cell and every
// fifth failed.
func manyRows(n, cellSize int) []*Row {
	rows := make([]*Row, n)
	pad := strings.Repeat("x", cellSize)
	for i := range rows {
		cells := make([]string, len(sampleHeader))
		for j := range cells {
			cells[j] = fmt.Sprintf("r%dc%d%s", i, j, pad)
		}
		r := &Row{Line: i + 2, Status: StatusOK, Key: "K" + strconv.Itoa(i), HTTPStatus: 200, Attempts: 1, Cells: cells}
		switch {
		case i%7 == 3:
			r.Status, r.HTTPStatus, r.Attempts = StatusInvalid, 0, 0
			r.Message = "E-mail: bad " + strconv.Itoa(i)
			r.Issues = []Issue{{Column: 1, Rule: "bad " + strconv.Itoa(i)}}
		case i%5 == 4:
			r.Status, r.HTTPStatus, r.Message = StatusFailed, 500, "boom"
		}
		rows[i] = r
	}
	return rows
}

// Past the first widthSample rows the sheet streams directly; rows,
// highlights and comments must line up on both sides of that switch, and
// comments stop at the cap.
func TestXLSXManyRowsAndCommentCap(t *testing.T) {
	old := maxComments
	maxComments = 20
	t.Cleanup(func() { maxComments = old })

	rows := manyRows(3*widthSample, 0)
	path := filepath.Join(t.TempDir(), "out.xlsx")
	writeReport(t, path, Options{}, rows, nil)
	f := openXLSX(t, path)

	got, err := f.GetRows("Results")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows)+1 {
		t.Fatalf("Results has %d rows, want %d", len(got), len(rows)+1)
	}
	var failed []*Row
	for i, r := range rows {
		if got[i+1][0] != strconv.Itoa(r.Line) || got[i+1][1] != string(r.Status) || got[i+1][6] != r.Cells[0] {
			t.Fatalf("Results row %d = %q", i+2, got[i+1])
		}
		if needsFix(r.Status) {
			failed = append(failed, r)
		}
	}
	gotFailed, err := f.GetRows("Failed")
	if err != nil {
		t.Fatal(err)
	}
	if len(gotFailed) != len(failed)+1 {
		t.Fatalf("Failed has %d rows, want %d", len(gotFailed), len(failed)+1)
	}
	wantComments := map[string]string{}
	wantFailedComments := map[string]string{}
	for i, r := range failed {
		if gotFailed[i+1][0] != r.Cells[0] {
			t.Fatalf("Failed row %d = %q, want %q", i+2, gotFailed[i+1], r.Cells)
		}
		if r.Status != StatusInvalid {
			continue
		}
		cell := "B" + strconv.Itoa(i+2)
		if fillColor(t, f, "Failed", cell) != invalidFill {
			t.Errorf("Failed!%s not highlighted", cell)
		}
		if len(wantFailedComments) < maxComments {
			wantFailedComments[cell] = r.Issues[0].Rule
		}
	}
	for i, r := range rows {
		if r.Status != StatusInvalid {
			continue
		}
		cell := "H" + strconv.Itoa(i+2)
		if fillColor(t, f, "Results", cell) != invalidFill {
			t.Errorf("Results!%s not highlighted", cell)
		}
		if len(wantComments) < maxComments {
			wantComments[cell] = r.Issues[0].Rule
		}
	}
	checkComments(t, f, "Results", wantComments)
	checkComments(t, f, "Failed", wantFailedComments)
}

// A sheet is full at excelize.TotalRows; the writer says so, and Close then
// leaves nothing behind.
func TestXLSXTooManyRows(t *testing.T) {
	old := maxSheetRows
	maxSheetRows = 4
	t.Cleanup(func() { maxSheetRows = old })

	dir := t.TempDir()
	path := filepath.Join(dir, "out.xlsx")
	w, err := Create(path, sampleHeader, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for _, r := range sampleRows() {
		if werr = w.Write(r); werr != nil {
			break
		}
	}
	if werr == nil || !strings.Contains(werr.Error(), ".csv") {
		t.Fatalf("Write past the last row = %v, want an error suggesting .csv", werr)
	}
	if err := w.Write(sampleRows()[0]); err != werr {
		t.Errorf("Write after an error = %v, want the same error", err)
	}
	if err := w.Close(sampleSummary()); err == nil {
		t.Error("Close after a write error succeeded")
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("files left behind: %v", got)
	}
}

// excelize spills each stream to a temp file past 16 MB: into the report's
// work directory beside the output, never the shared temporary folder (a
// killed run would leave row data there); Close, and Close after an error,
// remove them.
func TestXLSXRemovesTempFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 40 MB")
	}
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("fail=", fail), func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			dir := t.TempDir()
			path := filepath.Join(dir, "out.xlsx")
			w, err := Create(path, sampleHeader, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// Every row failed, so both sheets spill.
			for _, r := range manyRows(1_500, 2_000) {
				r.Status = StatusFailed
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if got := listDir(t, tmp); len(got) != 0 {
				t.Errorf("files in the shared temporary folder while writing: %v", got)
			}
			work := w.(*xlsxWriter).dir.path
			spilled := 0
			for _, n := range listDir(t, work) {
				if strings.HasPrefix(n, "excelize-") {
					spilled++
				}
			}
			if spilled < 2 {
				t.Fatalf("%d excelize temp files in the work directory while writing, want one per stream: the test no longer exercises spilling", spilled)
			}
			if fail {
				w.(*xlsxWriter).err = fmt.Errorf("injected")
			}
			err = w.Close(nil)
			if (err != nil) != fail {
				t.Fatalf("Close = %v", err)
			}
			if got := listDir(t, tmp); len(got) != 0 {
				t.Errorf("temp files left: %v", got)
			}
			want := "out.xlsx"
			if fail {
				want = ""
			}
			if got := strings.Join(listDir(t, dir), " "); got != want {
				t.Errorf("output dir holds %q, want %q", got, want)
			}
		})
	}
}

// An input cell longer than an XLSX cell allows is cut visibly rather than
// silently.
func TestXLSXLongCell(t *testing.T) {
	long := strings.Repeat("é", excelize.TotalCellChars+10)
	path := filepath.Join(t.TempDir(), "out.xlsx")
	row := &Row{Line: 2, Status: StatusOK, Cells: []string{long}}
	writeReport(t, path, Options{}, []*Row{row}, nil)
	f := openXLSX(t, path)
	v, err := f.GetCellValue("Results", "G2")
	if err != nil {
		t.Fatal(err)
	}
	if utf16Len(v) != excelize.TotalCellChars || !strings.HasSuffix(v, "at most 32767 characters]") {
		t.Errorf("long cell: %d characters ending %q", utf16Len(v), v[len(v)-40:])
	}
}
