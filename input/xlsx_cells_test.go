package input

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/internal/cell"
)

// TestXLSXAsTyped reads cells the ways other programs write them, each as a
// spreadsheet program shows it; every case misread with excelize.
func TestXLSXAsTyped(t *testing.T) {
	styles := `<numFmts count="1"><numFmt numFmtId="164" formatCode="0.00E+00"/></numFmts>` +
		`<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>`
	head := `<row r="1">` + is("A1", "name") + is("B1", "value") + `</row>`
	tests := []struct {
		name    string
		sheet   string
		strings []string
		want    []row
	}{
		{
			name: `an empty style attribute is General (was "sheet is empty")`,
			sheet: `<row r="1" s=""><c r="A1" s="" t="inlineStr"><is><t>name</t></is></c><c r="B1" s="" t="inlineStr"><is><t>value</t></is></c></row>` +
				`<row r="2"><c r="A2" s="" t="inlineStr"><is><t>a</t></is></c><c r="B2" s=""><v>5</v></c></row>` +
				`<row r="3"><c r="A3" s="x" t="inlineStr"><is><t>b</t></is></c><c r="B3" s="99"><v>6</v></c></row>`,
			want: []row{{2, []string{"a", "5"}, ""}, {3, []string{"b", "6"}, ""}},
		},
		{
			name: "text that looks like a number in exponent notation stays as typed",
			sheet: head + `<row r="2">` + is("A2", "inline") + is("B2", "1E+11") + `</row>` +
				`<row r="3">` + is("A3", "shared") + `<c r="B3" t="s"><v>0</v></c></row>` +
				`<row r="4">` + is("A4", "formula") + `<c r="B4" t="str"><f>TEXT(A1,"0.00000E+00")</f><v>-1.12346E-10</v></c></row>` +
				`<row r="5">` + is("A5", "text style") + `<c r="B5" t="s" s="2"><v>1</v></c></row>` +
				`<row r="6">` + is("A6", "a real number") + `<c r="B6" s="2"><v>1E+11</v></c></row>`,
			strings: []string{"<t>1E+11</t>", "<t>-1.12346E-10</t>"},
			want: []row{
				{2, []string{"inline", "1E+11"}, ""},
				{3, []string{"shared", "1E+11"}, ""},
				{4, []string{"formula", "-1.12346E-10"}, ""},
				{5, []string{"text style", "-1.12346E-10"}, ""},
				{6, []string{"a real number", "100000000000"}, ""},
			},
		},
		{
			name: "_xHHHH_ escapes are decoded in every string, cached formula results too",
			sheet: head + `<row r="2">` + is("A2", "str") + `<c r="B2" t="str"><f>A1&amp;CHAR(13)</f><v>line_x000D_</v></c></row>` +
				`<row r="3">` + is("A3", "shared") + `<c r="B3" t="s"><v>0</v></c></row>` +
				`<row r="4">` + is("A4", "inline") + is("B4", "_x005F_x0041_ and _x0041_ and _xD83D__xDE00_") + `</row>` +
				`<row r="5">` + is("A5", "not escapes") + is("B5", "_x00G1_ _x12_ x0041_") + `</row>`,
			strings: []string{"<t>a_x000D_\nb</t>"},
			want: []row{
				{2, []string{"str", "line\r"}, ""},
				{3, []string{"shared", "a\r\nb"}, ""},
				{4, []string{"inline", "_x0041_ and A and 😀"}, ""},
				{5, []string{"not escapes", "_x00G1_ _x12_ x0041_"}, ""},
			},
		},
		{
			name: "rich text runs are one string, phonetic runs are no part of it",
			sheet: head + `<row r="2">` + is("A2", "shared") + `<c r="B2" t="s"><v>0</v></c></row>` +
				`<row r="3">` + is("A3", "inline") + `<c r="B3" t="inlineStr"><is><r><t>東</t></r><r><t>京</t></r><rPh sb="0" eb="1"><t>トウキョウ</t></rPh></is></c></row>`,
			strings: []string{`<r><rPr><b/></rPr><t>bold </t></r><r><t xml:space="preserve">and plain</t></r><rPh sb="0" eb="1"><t>ボールド</t></rPh>`},
			want:    []row{{2, []string{"shared", "bold and plain"}, ""}, {3, []string{"inline", "東京"}, ""}},
		},
		{
			name: "a control character in a cell makes its row invalid",
			sheet: head + `<row r="2">` + is("A2", "esc") + is("B2", "_x001B_]0;pwned_x0007_") + `</row>` +
				`<row r="3">` + is("A3", "c1") + is("B3", "\u009b2J") + `</row>` +
				`<row r="4">` + is("A4", "ok") + is("B4", "tab\there") + `</row>`,
			want: []row{
				{2, []string{"esc", "\uFFFD]0;pwned\uFFFD"}, `column "value" holds a control character (ESC, 0x1B), which no account field may hold`},
				{3, []string{"c1", "\uFFFD2J"}, `column "value" holds a control character (U+009B)`},
				{4, []string{"ok", "tab\there"}, ""},
			},
		},
		{
			name:    "a shared string that is not there makes its row invalid",
			sheet:   head + `<row r="2">` + is("A2", "x") + `<c r="B2" t="s"><v>7</v></c></row><row r="3">` + is("A3", "y") + `<c r="B3" t="s"><v>0</v></c></row>`,
			strings: []string{"<t>ok</t>"},
			want: []row{
				{2, []string{"x", ""}, `column "value" refers to shared string 7, which the workbook does not have`},
				{3, []string{"y", "ok"}, ""},
			},
		},
		{
			name:  "elements with namespace prefixes",
			sheet: `<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>name</x:t></x:is></x:c></x:row><x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c></x:row>`,
			want:  []row{{2, []string{"1"}, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeWorkbook(t, workbookParts{styles: styles, sheets: []string{tt.sheet}, strings: tt.strings})
			_, recs, err := readAll(t, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, recs, tt.want)
		})
	}
}

// TestXLSXKinds checks Record.Kinds: what type each cell had, with its text
// in the canonical form of that type; nil for a row of text.
func TestXLSXKinds(t *testing.T) {
	styles := `<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts>` +
		`<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="21"/><xf numFmtId="46"/></cellXfs>`
	sheet := `<row r="1">` + is("A1", "text") + is("B1", "number") + is("C1", "date") + is("D1", "datetime") + is("E1", "time") +
		is("F1", "bool") + is("G1", "error") + is("H1", "elapsed") + is("I1", "iso") + is("J1", "formula") + `</row>` +
		`<row r="2">` + is("A2", "Åsa") + `<c r="B2"><v>46701234567</v></c><c r="C2" s="1"><v>31850</v></c><c r="D2" s="2"><v>31850.5</v></c>` +
		`<c r="E2" s="3"><v>0.75</v></c><c r="F2" t="b"><v>1</v></c><c r="G2" t="e"><v>#N/A</v></c><c r="H2" s="4"><v>1.5</v></c>` +
		`<c r="I2" t="d"><v>2021-06-30</v></c><c r="J2"><f>B2*2</f><v>93402469134</v></c></row>` +
		`<row r="3">` + is("A3", "all") + is("B3", "text") + `</row>` +
		`<row r="4"><c r="C4" s="1"><v>45000</v></c></row>`
	p := writeWorkbook(t, workbookParts{styles: styles, sheets: []string{sheet}})
	_, recs, err := readAll(t, p, Options{})
	must(t, err)
	checkRows(t, recs, []row{
		{2, []string{"Åsa", "46701234567", "1987-03-14", "1987-03-14T12:00:00", "18:00:00", "TRUE", "#N/A", "36:00:00", "2021-06-30", "93402469134"}, ""},
		{3, []string{"all", "text", "", "", "", "", "", "", "", ""}, ""},
		{4, []string{"", "", "2023-03-15", "", "", "", "", "", "", ""}, ""},
	})
	wantKinds := [][]cell.Kind{
		{cell.Text, cell.Number, cell.Date, cell.DateTime, cell.Time, cell.Bool, cell.Error, cell.Text, cell.Date, cell.Number},
		nil,
		{cell.Text, cell.Text, cell.Date, cell.Text, cell.Text, cell.Text, cell.Text, cell.Text, cell.Text, cell.Text},
	}
	for i, rec := range recs {
		if len(rec.Kinds) != len(wantKinds[i]) {
			t.Fatalf("row %d: kinds %v, want %v", rec.Line, rec.Kinds, wantKinds[i])
		}
		for j, k := range rec.Kinds {
			if k != wantKinds[i][j] {
				t.Errorf("row %d, column %s: kind %v, want %v", rec.Line, columnName(j), k, wantKinds[i][j])
			}
		}
	}
}

// TestXLSXDamaged: a broken workbook is a *FileError that wraps ErrDamaged,
// names the part and says what to do, never a raw "EOF" or "XML syntax
// error"; damage found at Open stops it before any row is read.
func TestXLSXDamaged(t *testing.T) {
	good := `<row r="1">` + is("A1", "a") + `</row><row r="2">` + is("A2", "1") + `</row><row r="3">` + is("A3", "2") + `</row>`
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	full := `<?xml version="1.0" encoding="UTF-8"?><worksheet ` + ns + `><sheetData>` + good + `</sheetData></worksheet>`
	tests := []struct {
		name string
		wp   workbookParts
		want string
	}{
		{"a sheet cut off in the middle", workbookParts{sheets: []string{good}, parts: map[string]string{"xl/worksheets/sheet1.xml": full[:len(full)-40]}},
			`the workbook is damaged: sheet "Sheet1" (xl/worksheets/sheet1.xml) is cut off: its XML ends before the sheet does, so rows are missing: open it in Excel or LibreOffice and save it again`},
		{"a sheet cut off after its rows", workbookParts{sheets: []string{good}, parts: map[string]string{"xl/worksheets/sheet1.xml": full[:len(full)-8]}},
			`sheet "Sheet1" (xl/worksheets/sheet1.xml) is cut off`},
		{"a workbook part cut off (EOF)", workbookParts{sheets: []string{good}, parts: map[string]string{"xl/workbook.xml": `<?xml version="1.0"?><workbook ` + ns + `><sheets><sheet name="S"`}},
			"the workbook is damaged: its part xl/workbook.xml is not valid XML (XML syntax error on line 1: unexpected EOF)"},
		{"styles that are not XML", workbookParts{sheets: []string{good}, parts: map[string]string{"xl/styles.xml": "\x00\x01garbage"}},
			"the workbook is damaged: its part xl/styles.xml is not valid XML"},
		{"shared strings with a bad entity", workbookParts{sheets: []string{good}, strings: []string{"<t>&a5;</t>"}},
			"the workbook is damaged: its shared strings (xl/sharedStrings.xml) are not valid XML (XML syntax error on line 1: invalid character entity &a5;)"},
		{"relationships that are not XML", workbookParts{sheets: []string{good}, parts: map[string]string{"_rels/.rels": "<Relationships"}},
			"the workbook is damaged: its part _rels/.rels is not valid XML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeWorkbook(t, tt.wp)
			_, err := Open(p, Options{})
			checkFileError(t, err, p, tt.want)
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("errors.Is(err, ErrDamaged) = false: %v", err)
			}
		})
	}
}

// TestXLSXDamagedMidway: damage that only reading the rows finds ends the
// reading with a *FileError wrapping ErrDamaged that says after which row.
func TestXLSXDamagedMidway(t *testing.T) {
	sheet := `<row r="1">` + is("A1", "a") + `</row><row r="2">` + is("A2", "1") + `</row><row r="3">` + is("A3", "2") +
		`</row><row r="4"><c r="A4" t="inlineStr"><is><t>&a5;</t></is></c></row><row r="5">` + is("A5", "3") + `</row>`
	p := writeWorkbook(t, workbookParts{sheets: []string{sheet}})
	_, recs, err := readAll(t, p, Options{})
	checkFileError(t, err, p, `the workbook is damaged: sheet "Sheet1" (xl/worksheets/sheet1.xml) is not valid XML in row 4 (XML syntax error on line 1: invalid character entity &a5;): open it in Excel or LibreOffice and save it again`)
	if !errors.Is(err, ErrDamaged) || len(recs) != 2 {
		t.Errorf("%d records, errors.Is(err, ErrDamaged) = %v", len(recs), errors.Is(err, ErrDamaged))
	}
}

// TestXLSXZip covers what the archive itself can do wrong: a part that
// unpacks to far more than it is packed (a zip bomb), a part past its limit,
// one whose checksum or size is a lie.
func TestXLSXZip(t *testing.T) {
	good := `<row r="1">` + is("A1", "a") + `</row><row r="2">` + is("A2", "1") + `</row>`
	base := writeWorkbook(t, workbookParts{sheets: []string{good}})
	tests := []struct {
		name string
		edit func(name string, h *zip.FileHeader, data []byte) []byte
		add  *zip.FileHeader
		want string
	}{
		{
			name: "a 3 GiB part packed in 3 MiB",
			add:  &zip.FileHeader{Name: "xl/media/image1.png", Method: zip.Deflate, UncompressedSize64: 3 << 30, CompressedSize64: 3 << 20},
			want: "not a valid workbook: its part xl/media/image1.png unpacks to 3.0 GiB from 3.0 MiB, which no spreadsheet program writes (a zip bomb?)",
		},
		{
			name: "styles past the limit of a small part",
			edit: func(name string, h *zip.FileHeader, data []byte) []byte {
				if name == "xl/styles.xml" {
					h.UncompressedSize64 = maxSmallPart + 1
				}
				return data
			},
			want: "not a valid workbook: its part xl/styles.xml unpacks to 64.0 MiB, more than the 64.0 MiB such a part may have",
		},
		{
			name: "a sheet whose checksum does not match",
			edit: func(name string, h *zip.FileHeader, data []byte) []byte {
				if name == "xl/worksheets/sheet1.xml" {
					h.CRC32 ^= 1
				}
				return data
			},
			want: `the workbook is damaged: sheet "Sheet1" (xl/worksheets/sheet1.xml) cannot be unpacked (zip: checksum error)`,
		},
		{
			name: "a sheet that unpacks to more than it says",
			edit: func(name string, h *zip.FileHeader, data []byte) []byte {
				if name == "xl/worksheets/sheet1.xml" {
					h.UncompressedSize64 = 10
				}
				return data
			},
			want: `the workbook is damaged: sheet "Sheet1" (xl/worksheets/sheet1.xml) cannot be unpacked (zip: not a valid zip file)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := rewriteZip(t, base, tt.edit, tt.add)
			_, err := Open(p, Options{})
			checkFileError(t, err, p, tt.want)
		})
	}
}

// rewriteZip copies a zip archive part by part, raw, letting edit change a
// part's header (its sizes and checksum: the data is copied as it is
// packed), and adds a part of add's header with junk data.
func rewriteZip(t *testing.T, src string, edit func(string, *zip.FileHeader, []byte) []byte, add *zip.FileHeader) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	must(t, err)
	defer zr.Close()
	p := filepath.Join(t.TempDir(), "edited.xlsx")
	out, err := os.Create(p)
	must(t, err)
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, err := f.OpenRaw()
		must(t, err)
		data, err := io.ReadAll(rc)
		must(t, err)
		h := f.FileHeader
		if edit != nil {
			data = edit(f.Name, &h, data)
		}
		w, err := zw.CreateRaw(&h)
		must(t, err)
		_, err = w.Write(data)
		must(t, err)
	}
	if add != nil {
		var junk bytes.Buffer
		fw, _ := flate.NewWriter(&junk, flate.BestSpeed)
		fw.Write(bytes.Repeat([]byte{0}, 1<<16))
		fw.Close()
		w, err := zw.CreateRaw(add)
		must(t, err)
		_, err = w.Write(junk.Bytes())
		must(t, err)
	}
	must(t, zw.Close())
	must(t, out.Close())
	return p
}

func TestDecodeEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                 "plain",
		"a_x000D_b":             "a\rb",
		"_x005F_x000D_":         "_x000D_",
		"_xD83D__xDE00_":        "😀",
		"_xD83D_x":              "\uFFFDx",
		"_xDE00_":               "\uFFFD",
		"_x004":                 "_x004",
		"__x0041__":             "_A_",
		strings.Repeat("_x", 3): "_x_x_x",
	} {
		if got := string(decodeEscapes([]byte(in))); got != want {
			t.Errorf("decodeEscapes(%q) = %q, want %q", in, got, want)
		}
	}
}
