package input

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// TestXLSX builds a workbook the way a user's would look and checks every
// value as text, exactly.
func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	const s = "Data"
	must(t, f.SetSheetName("Sheet1", s))
	style := func(st excelize.Style) int {
		id, err := f.NewStyle(&st)
		must(t, err)
		return id
	}
	code := func(c string) excelize.Style { return excelize.Style{CustomNumFmt: &c} }
	styles := []int{
		0,                                    // Name
		style(excelize.Style{NumFmt: 14}),    // Born: the locale's short date
		style(code("dd/mm/yyyy")),            // Joined
		style(code("yyyy-mm-dd hh:mm")),      // Seen
		style(excelize.Style{NumFmt: 21}),    // Alarm: h:mm:ss
		0,                                    // Phone: a number, General
		style(excelize.Style{NumFmt: 3}),     // Big: #,##0
		style(excelize.Style{NumFmt: 4}),     // Amount: #,##0.00
		style(excelize.Style{NumFmt: 9}),     // Share: 0%
		0,                                    // Active
		style(code(`[$-409]d\-mmm\-yyyy;@`)), // Local: with a locale and an escape
		style(code(`#,##0.00 "kr";[Red]-#,##0.00 "kr"`)), // Price: currency text
		style(excelize.Style{NumFmt: 49}),                // Text: @
		style(excelize.Style{NumFmt: 46}),                // Duration: [h]:mm:ss
	}
	header := []any{"Name", "Born", "Joined", "Seen", "Alarm", "Phone", "Big", "Amount", "Share", "Active", "Local", "Price", "Text", "Duration"}
	data := [][]any{
		{"Åsa", time.Date(1987, 3, 14, 0, 0, 0, 0, time.UTC), time.Date(2001, 4, 3, 0, 0, 0, 0, time.UTC),
			time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC), 0.75, 46701234567, 1234567890123456789.0,
			1234.5, 0.25, true, time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC), -1234.5, 42, 1.5},
		{"Bob", "not a date", "", time.Date(1999, 12, 31, 23, 59, 59, 600e6, time.UTC), 0, 12345678901234, 0.1,
			1e-7, 1, false, nil, 0, "0042", 0},
	}
	// A blank row above the header and one between the data rows: the header
	// is the first row with something in it, and row numbers are the sheet's.
	must(t, f.SetSheetRow(s, "A2", &header))
	must(t, f.SetSheetRow(s, "A3", &data[0]))
	must(t, f.SetSheetRow(s, "A5", &data[1]))
	for i, st := range styles {
		col := columnName(i)
		must(t, f.SetCellStyle(s, col+"3", col+"5", st))
	}
	// Other sheets, for choosing.
	_, err := f.NewSheet("Other")
	must(t, err)
	must(t, f.SetSheetRow("Other", "A1", &[]any{"x"}))
	must(t, f.SetSheetRow("Other", "A2", &[]any{1}))
	p := filepath.Join(t.TempDir(), "users.xlsx")
	must(t, f.SaveAs(p))

	r, recs, err := readAll(t, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); !equal(got, stringsOf(header)) {
		t.Errorf("header = %q", got)
	}
	checkRows(t, recs, []row{
		{3, []string{"Åsa", "1987-03-14", "2001-04-03", "2024-02-29T13:45:30", "18:00:00", "46701234567",
			"1234567890123450000", "1234.5", "0.25", "TRUE", "2020-12-31", "-1234.5", "42", "36:00:00"}, ""},
		// A string in a date cell stays a string; seconds round as Excel
		// shows them.
		{5, []string{"Bob", "not a date", "", "2000-01-01T00:00:00", "00:00:00", "12345678901234", "0.1",
			"0.0000001", "1", "FALSE", "", "0", "0042", "0:00:00"}, ""},
	})

	// --sheet, exact or in another case as Excel allows.
	for _, name := range []string{"Other", "other"} {
		r, recs, err = readAll(t, p, Options{Sheet: name})
		if err != nil {
			t.Fatal(err)
		}
		if !equal(r.Header(), []string{"x"}) || len(recs) != 1 || recs[0].Cells[0] != "1" || recs[0].Line != 2 {
			t.Errorf("sheet %q: header %q, records %+v", name, r.Header(), recs)
		}
	}
}

// TestXLSXParts reads cells written the ways other programs write them:
// formulas with cached values, inline strings, ISO date cells, numbers in
// exponent notation, and the 1904 date system of old Mac workbooks.
func TestXLSXParts(t *testing.T) {
	styles := `<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yy\ hh:mm"/></numFmts>` +
		`<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="10"/><xf numFmtId="46"/></cellXfs>`
	sheet := `<row r="1">` + is("A1", "id") + is("B1", "total") + is("C1", "when") + is("D1", "label") + is("E1", "ok") + is("F1", "err") + is("G1", "stamp") + is("H1", "rate") + is("I1", "took") + `</row>` +
		`<row r="3"><c r="A3"><v>4.6701234567E10</v></c><c r="B3" s="1"><f>A3+1</f><v>31850</v></c><c r="C3" s="2"><v>31850.5</v></c>` +
		`<c r="D3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="E3" t="b"><f>TRUE()</f><v>1</v></c><c r="F3" t="e"><f>1/0</f><v>#DIV/0!</v></c>` +
		`<c r="G3" t="d" s="2"><v>2021-06-30T08:15:00Z</v></c><c r="H3" s="3"><v>0.0125</v></c><c r="I3" s="4"><v>1.5</v></c></row>` +
		`<row r="4"><c r="A4" t="inlineStr"><is><t xml:space="preserve"> padded </t></is></c><c r="B4" t="inlineStr"><is><r><t>rich </t></r><r><t>text</t></r></is></c></row>`
	tests := []struct {
		name  string
		d1904 bool
		want  []row
	}{
		{"1900 date system", false, []row{
			{3, []string{"46701234567", "1987-03-14", "1987-03-14T12:00:00", "ab", "TRUE", "#DIV/0!", "2021-06-30T08:15:00", "0.0125", "36:00:00"}, ""},
			{4, []string{" padded ", "rich text", "", "", "", "", "", "", ""}, ""},
		}},
		{"1904 date system", true, []row{
			// An ISO date cell (t="d") is the same date in either system
			// (excelize made it 1,462 days late).
			{3, []string{"46701234567", "1991-03-15", "1991-03-15T12:00:00", "ab", "TRUE", "#DIV/0!", "2021-06-30T08:15:00", "0.0125", "36:00:00"}, ""},
			{4, []string{" padded ", "rich text", "", "", "", "", "", "", ""}, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeWorkbook(t, workbookParts{styles: styles, sheets: []string{sheet}, date1904: tt.d1904})
			r, recs, err := readAll(t, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"id", "total", "when", "label", "ok", "err", "stamp", "rate", "took"}; !equal(r.Header(), want) {
				t.Errorf("header = %q", r.Header())
			}
			checkRows(t, recs, tt.want)
		})
	}
}

func is(ref, s string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, ref, s)
}

func TestXLSXRows(t *testing.T) {
	tests := []struct {
		name   string
		sheet  string
		header []string
		rows   []row
	}{
		{
			name:   "a value under no header name",
			sheet:  `<row r="1">` + is("A1", "a") + is("B1", "b") + `</row><row r="2">` + is("A2", "1") + is("D2", "x") + `</row><row r="3">` + is("A3", "2") + is("C3", " ") + `</row>`,
			header: []string{"a", "b"},
			rows:   []row{{2, []string{"1", ""}, "column D has a value, but no name in the header"}, {3, []string{"2", ""}, ""}},
		},
		{
			name:   "rows without numbers, and blank rows with only spaces",
			sheet:  `<row>` + is("A1", "a") + `</row><row>` + is("A1", "  ") + `</row><row><c><v>7</v></c></row>`,
			header: []string{"a"},
			rows:   []row{{3, []string{"7"}, ""}},
		},
		{
			name:   "header names are trimmed, trailing empty ones dropped",
			sheet:  `<row r="5">` + is("A5", " a ") + is("B5", "b") + is("C5", "") + `</row><row r="6">` + is("A6", "1") + `</row>`,
			header: []string{"a", "b"},
			rows:   []row{{6, []string{"1", ""}, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, recs, err := readAll(t, writeWorkbook(t, workbookParts{sheets: []string{tt.sheet}}), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !equal(r.Header(), tt.header) {
				t.Errorf("header = %q, want %q", r.Header(), tt.header)
			}
			checkRows(t, recs, tt.rows)
		})
	}
}

func TestXLSXFileErrors(t *testing.T) {
	good := `<row r="1">` + is("A1", "a") + `</row><row r="2">` + is("A2", "1") + `</row>`
	valid := writeWorkbook(t, workbookParts{sheets: []string{good}})
	validBytes, err := os.ReadFile(valid)
	must(t, err)

	// A workbook whose first sheet is a chart sheet.
	f := excelize.NewFile()
	must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"v"}))
	must(t, f.SetSheetRow("Sheet1", "A2", &[]any{1}))
	must(t, f.AddChartSheet("Chart", &excelize.Chart{Type: excelize.Line, Series: []excelize.ChartSeries{{Values: "Sheet1!$A$2:$A$2"}}}))
	charts := filepath.Join(t.TempDir(), "charts.xlsx")
	must(t, f.SaveAs(charts))
	must(t, f.Close())

	tests := []struct {
		name   string
		path   string
		opts   Options
		want   string
		noData bool
	}{
		{name: "missing sheet", path: charts, opts: Options{Sheet: "Users"}, want: `sheet "Users" not found; the workbook has "Sheet1", "Chart"`},
		{name: "chart sheet", path: charts, opts: Options{Sheet: "Chart"}, want: `sheet "Chart" is a chart sheet, which has no cells; the worksheets are "Sheet1"`},
		{name: "empty sheet", path: writeWorkbook(t, workbookParts{sheets: []string{""}}), want: `sheet "Sheet1" is empty: no data rows`, noData: true},
		{name: "blank rows only", path: writeWorkbook(t, workbookParts{sheets: []string{`<row r="3"><c r="A3" s="0"/></row>`}}), want: "is empty: no data rows", noData: true},
		{name: "header only", path: writeWorkbook(t, workbookParts{sheets: []string{`<row r="2">` + is("A2", "a") + `</row><row r="3"/>`}}), want: `sheet "Sheet1": header (row 2) has no data rows under it`, noData: true},
		{name: "duplicate names", path: writeWorkbook(t, workbookParts{sheets: []string{`<row r="1">` + is("A1", "Name") + is("B1", "Email") + is("E1", "Email") + `</row>` + `<row r="2">` + is("A2", "1") + `</row>`}}), want: `sheet "Sheet1": header (row 1): columns C to D have no name; duplicate column name "Email" in columns B and E`},
		{name: "a CSV named .xlsx", path: writeFile(t, "users.xlsx", []byte("a,b\r\n1,2\r\n")), want: "not a valid workbook: this is a text file (CSV?) with an .xlsx name"},
		{name: "garbage", path: writeFile(t, "users.xlsx", []byte("\x01\x02\x03garbage")), want: "not a valid workbook: the file is not an .xlsx (zip) archive"},
		{name: "empty file", path: writeFile(t, "users.xlsx", nil), want: "not a valid workbook: the file is empty"},
		{name: "truncated", path: writeFile(t, "users.xlsx", validBytes[:len(validBytes)/2]), want: "not a valid workbook: the .xlsx (zip) archive is damaged or incomplete"},
		{name: "old .xls or encrypted", path: writeFile(t, "users.xlsx", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 1024)...)), want: "password-protected workbook or an old binary Excel (.xls) file"},
		{name: "a zip that is no workbook", path: writeZip(t, map[string]string{"hello.txt": "hi"}), want: "not a valid workbook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.path, tt.opts)
			checkFileError(t, err, tt.path, tt.want)
			if got := errors.Is(err, ErrNoData); got != tt.noData {
				t.Errorf("errors.Is(err, ErrNoData) = %v, want %v", got, tt.noData)
			}
		})
	}

	// The chart sheet is passed over when no sheet is chosen.
	r, recs, err := readAll(t, charts, Options{})
	if err != nil || !equal(r.Header(), []string{"v"}) || len(recs) != 1 {
		t.Errorf("default sheet: %v, %+v", err, recs)
	}
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[string]string{
		"1.23456789012346E+19": "12345678901234600000",
		"-4.67E+09":            "-4670000000",
		"1.234E-05":            "0.00001234",
		"46701234567":          "46701234567",
		"4.6701234567E10":      "46701234567",
		"123456789012345678":   "123456789012346000",
		"1234567890123450000":  "1234567890123450000",
		"0.30000000000000004":  "0.3",
		"-0":                   "0",
		"0.0000001":            "0.0000001",
		"1e-7":                 "0.0000001",
		"007":                  "7",
		"1.50":                 "1.5",
		"  12 ":                "12",
		"1E+5 apples":          "1E+5 apples",
		"EUR":                  "EUR",
	} {
		r := &xlsxReader{wb: &workbook{}}
		if got, _, _ := r.number([]byte(in), kindNumber); got != want {
			t.Errorf("number(%q) = %q, want %q", in, got, want)
		}
	}
	for _, plain := range []string{"0", "1", "-1", "10", "0.5", "-0.25", "123456789012345", "46701234567"} {
		if !plainDecimal([]byte(plain)) {
			t.Errorf("plainDecimal(%q) = false", plain)
		}
	}
	for _, not := range []string{"", "-", "-0", "00", "01", "1.", ".5", "1.50", "1e5", "1234567890123456", "1..2", "+1", " 1"} {
		if plainDecimal([]byte(not)) {
			t.Errorf("plainDecimal(%q) = true", not)
		}
	}
}

// workbookParts are the parts of a minimal workbook written by hand, for
// cells excelize itself would not write.
type workbookParts struct {
	styles   string   // the inside of styleSheet
	sheets   []string // the inside of each sheet's sheetData
	date1904 bool
	strings  []string          // the shared strings, as XML inside each si
	parts    map[string]string // parts to add or to put in place of the made ones
}

func writeWorkbook(t *testing.T, w workbookParts) string {
	t.Helper()
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	const rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	var sheets, rels, overrides strings.Builder
	parts := map[string]string{}
	for i, data := range w.sheets {
		n := i + 1
		fmt.Fprintf(&sheets, `<sheet name="Sheet%d" sheetId="%d" r:id="rId%d"/>`, n, n, n)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%sworksheet" Target="worksheets/sheet%d.xml"/>`, n, rel, n)
		fmt.Fprintf(&overrides, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
		parts[fmt.Sprintf("xl/worksheets/sheet%d.xml", n)] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet ` + ns + `><sheetData>` + data + `</sheetData></worksheet>`
	}
	fmt.Fprintf(&rels, `<Relationship Id="rIdS" Type="%sstyles" Target="styles.xml"/>`, rel)
	pr := ""
	if w.date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	parts["[Content_Types].xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` + overrides.String() + `</Types>`
	parts["_rels/.rels"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="` + rel + `officeDocument" Target="xl/workbook.xml"/></Relationships>`
	parts["xl/workbook.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook ` + ns + `>` + pr + `<sheets>` + sheets.String() + `</sheets></workbook>`
	parts["xl/_rels/workbook.xml.rels"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + rels.String() + `</Relationships>`
	parts["xl/styles.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet ` + ns + `>` + w.styles + `</styleSheet>`
	if w.strings != nil {
		parts["xl/sharedStrings.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst ` + ns + `><si>` + strings.Join(w.strings, "</si><si>") + `</si></sst>`
		parts["xl/_rels/workbook.xml.rels"] = strings.Replace(parts["xl/_rels/workbook.xml.rels"], "</Relationships>",
			`<Relationship Id="rIdT" Type="`+rel+`sharedStrings" Target="sharedStrings.xml"/></Relationships>`, 1)
	}
	for name, data := range w.parts {
		parts[name] = data
	}
	return writeZip(t, parts)
}

func writeZip(t *testing.T, parts map[string]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "book.xlsx")
	out, err := os.Create(p)
	must(t, err)
	zw := zip.NewWriter(out)
	for name, data := range parts {
		w, err := zw.Create(name)
		must(t, err)
		_, err = w.Write([]byte(data))
		must(t, err)
	}
	must(t, zw.Close())
	must(t, out.Close())
	return p
}

func stringsOf(v []any) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
