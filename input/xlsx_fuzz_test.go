package input

import (
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// FuzzXLSXCell writes one cell of any kind, with any number format, into a
// workbook and reads it back: the reader must never panic, a problem must be
// a *FileError, and a text cell must come back as the text it is (an XLSX
// reader that "helpfully" turns 00123 or 1e5 typed as text into numbers
// would corrupt account ids).
func FuzzXLSXCell(f *testing.F) {
	seeds := []struct {
		v    string
		fmt  string
		kind uint8
	}{
		{"00123", "@", 0}, {"1e5", "General", 0}, {"=1+2", "General", 0}, {"45000", "dd/mm/yyyy", 1},
		{"45000.75", "yyyy-mm-dd hh:mm", 1}, {"0.5", "h:mm AM/PM", 1}, {"46701234567", "0", 1},
		{"1234567.891", `#,##0.00 "kr"`, 1}, {"-1", "yyyy-mm-dd", 1}, {"3e300", "0.00E+00", 1},
		{"true", "General", 2}, {"", "General", 0}, {"Åsa\nÖberg", "General", 0}, {"60", "[h]:mm:ss", 1},
	}
	for _, s := range seeds {
		f.Add(s.v, s.fmt, s.kind)
	}
	f.Fuzz(func(t *testing.T, v, numFmt string, kind uint8) {
		if len(v) > 1000 || len(numFmt) > 255 || !utf8.ValidString(v) || !utf8.ValidString(numFmt) {
			return
		}
		x := excelize.NewFile()
		defer x.Close()
		style, err := x.NewStyle(&excelize.Style{CustomNumFmt: &numFmt})
		if err != nil {
			return // excelize refuses the format: nothing to read
		}
		if err := x.SetCellStr("Sheet1", "A1", "Value"); err != nil {
			t.Fatal(err)
		}
		text := false
		switch kind % 3 {
		case 0:
			err = x.SetCellStr("Sheet1", "A2", v)
			text = true
		case 1:
			n, perr := strconv.ParseFloat(v, 64)
			if perr != nil {
				return
			}
			err = x.SetCellFloat("Sheet1", "A2", n, -1, 64)
		case 2:
			b, perr := strconv.ParseBool(v)
			if perr != nil {
				return
			}
			err = x.SetCellBool("Sheet1", "A2", b)
		}
		if err != nil {
			return
		}
		if err := x.SetCellStyle("Sheet1", "A2", "A2", style); err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "f.xlsx")
		if err := x.SaveAs(path); err != nil {
			return
		}
		r, err := Open(path, Options{})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Open: %v (%T), want a *FileError", err, err)
			}
			return
		}
		defer r.Close()
		rec, err := r.Next()
		if err == io.EOF {
			if strings.TrimSpace(v) != "" && text {
				t.Fatalf("text cell %q was lost", v)
			}
			return
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: %v (%T)", err, err)
			}
			return
		}
		if len(rec.Cells) != 1 || !utf8.ValidString(rec.Cells[0]) {
			t.Fatalf("cells %q", rec.Cells)
		}
		if text && rec.Err == nil && !strings.ContainsAny(v, "\r\x00") && rec.Cells[0] != v && !hasControl(v) {
			t.Fatalf("text cell %q read back as %q", v, rec.Cells[0])
		}
	})
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' {
			return true
		}
	}
	return false
}

// FuzzXLSXSheet puts arbitrary XML in a sheet, and shared strings beside
// it: the reader must never panic or hang, a problem must be a *FileError,
// and every record must have one cell of valid, control-free text per header
// column, on increasing rows, with Kinds nil or as long as Cells.
func FuzzXLSXSheet(f *testing.F) {
	for _, s := range []string{
		`<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>`,
		`<row><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row><c s=""><v>1E+11</v></c><c t="str"><v>x_x000D_</v></c></row>`,
		`<row r="1"><c r="B1" t="inlineStr"><is><t>b</t></is></c></row><row r="3"><c r="B3" t="d"><v>2021-01-01T10:00:00Z</v></c><c r="C3" t="b"><v>1</v></c></row>`,
		`<row r="1048577"><c><v>1</v></c></row>`,
		`<row><c r="XFE1"><v>1</v></c></row>`,
		`<row r="1"><c t="s"><v>99</v></c></row>`,
		`<row><c t="inlineStr"><is><t>_x001B_</t></is></c></row><row><c><v>-1</v></c></row>`,
	} {
		f.Add(s, "<t>x</t>")
	}
	f.Fuzz(func(t *testing.T, sheet, sst string) {
		if len(sheet) > 4000 || len(sst) > 1000 {
			return
		}
		p := writeWorkbook(t, workbookParts{
			sheets:  []string{sheet},
			strings: []string{sst, "<t>1E+11</t>"},
			styles:  `<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="46"/></cellXfs>`,
		})
		r, err := Open(p, Options{})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Open: %v (%T), want a *FileError", err, err)
			}
			return
		}
		defer r.Close()
		checkStream(t, r, len(sheet))
	})
}
