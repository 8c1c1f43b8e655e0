package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// row is an expected record: its Line, its Cells, and a part of its Err
// message ("" for none).
type row struct {
	line  int
	cells []string
	err   string
}

// readAll opens path and reads every record. Records are kept while reading
// goes on, so the test also shows that Cells stay valid after later calls.
func readAll(t testing.TB, path string, opts Options) (Reader, []Record, error) {
	t.Helper()
	r, err := Open(path, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return r, recs, nil
		}
		if err != nil {
			return r, recs, err
		}
		recs = append(recs, rec)
	}
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func utf16LE(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func win1252(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCSV(t *testing.T) {
	tests := []struct {
		name   string
		file   string // its extension matters
		data   []byte
		header []string
		rows   []row
	}{
		{
			name:   "Excel on Windows: CSV with semicolons, Windows-1252, CRLF",
			file:   "kunder.csv",
			data:   win1252(t, "Namn;Stad;Belopp\r\nÅsa Öberg;Göteborg;1,50\r\nKalle;Malmö;€ 2,75\r\n"),
			header: []string{"Namn", "Stad", "Belopp"},
			rows: []row{
				{2, []string{"Åsa Öberg", "Göteborg", "1,50"}, ""},
				{3, []string{"Kalle", "Malmö", "€ 2,75"}, ""},
			},
		},
		{
			name:   "Excel CSV UTF-8: BOM, commas",
			file:   "a.csv",
			data:   []byte("\uFEFFName,City\r\nÅsa,Göteborg\r\n"),
			header: []string{"Name", "City"},
			rows:   []row{{2, []string{"Åsa", "Göteborg"}, ""}},
		},
		{
			name:   "LibreOffice: quoted fields with delimiters, quotes and newlines",
			file:   "lo.csv",
			data:   []byte("id,note,city\n1,\"a, b\",\"x\"\"y\"\n2,\"line 1\nline 2\nline 3\",Lund\n3,plain,\"\"\n"),
			header: []string{"id", "note", "city"},
			rows: []row{
				{2, []string{"1", "a, b", `x"y`}, ""},
				{3, []string{"2", "line 1\nline 2\nline 3", "Lund"}, ""},
				{4, []string{"3", "plain", ""}, ""},
			},
		},
		{
			name:   "Excel Unicode text: UTF-16LE with BOM, tabs",
			file:   "export.txt",
			data:   utf16LE(t, "Name\tCity\r\nÅsa\tGöteborg\r\n李\t北京\r\n"),
			header: []string{"Name", "City"},
			rows: []row{
				{2, []string{"Åsa", "Göteborg"}, ""},
				{3, []string{"李", "北京"}, ""},
			},
		},
		{
			name:   "UTF-16BE with BOM",
			file:   "be.txt",
			data:   append([]byte{0xFE, 0xFF}, []byte("\x00a\x00\t\x00b\x00\n\x001\x00\t\x002")...),
			header: []string{"a", "b"},
			rows:   []row{{2, []string{"1", "2"}, ""}},
		},
		{
			name:   "pipe-delimited",
			file:   "p.csv",
			data:   []byte("id|name, first|email\n1|Bob, Jr|b@x.se\n2|Eve|e@x.se\n"),
			header: []string{"id", "name, first", "email"},
			rows: []row{
				{2, []string{"1", "Bob, Jr", "b@x.se"}, ""},
				{3, []string{"2", "Eve", "e@x.se"}, ""},
			},
		},
		{
			name:   ".tsv is tab-delimited whatever the content",
			file:   "t.tsv",
			data:   []byte("a,b\tc\n1,2\t3\n"),
			header: []string{"a,b", "c"},
			rows:   []row{{2, []string{"1,2", "3"}, ""}},
		},
		{
			name:   "semicolons with decimal commas in the data",
			file:   "s.csv",
			data:   []byte("id;amount;tags\n1;1,5;a,b,c\n2;2,25;d\n3;3;\n"),
			header: []string{"id", "amount", "tags"},
			rows: []row{
				{2, []string{"1", "1,5", "a,b,c"}, ""},
				{3, []string{"2", "2,25", "d"}, ""},
				{4, []string{"3", "3", ""}, ""},
			},
		},
		{
			name:   "one column",
			file:   "one.csv",
			data:   []byte("email\na@x.se\nb@x.se"),
			header: []string{"email"},
			rows:   []row{{2, []string{"a@x.se"}, ""}, {3, []string{"b@x.se"}, ""}},
		},
		{
			name:   "ragged rows",
			file:   "r.csv",
			data:   []byte("a,b,c\n1,2\n1,2,3,4\n1,2,3,,\n1,2,3\n"),
			header: []string{"a", "b", "c"},
			rows: []row{
				{2, []string{"1", "2", ""}, "row has 2 cells, the header has 3"},
				{3, []string{"1", "2", "3"}, "row has 4 cells, the header has 3"},
				{4, []string{"1", "2", "3"}, ""}, // empty cells on the right are harmless
				{5, []string{"1", "2", "3"}, ""},
			},
		},
		{
			name:   "trailing empty header cells are dropped",
			file:   "t.csv",
			data:   []byte("a,b,,\n1,2,,\n3,4,,x\n"),
			header: []string{"a", "b"},
			rows: []row{
				{2, []string{"1", "2"}, ""},
				{3, []string{"3", "4"}, "row has 4 cells, the header has 2"},
			},
		},
		{
			name:   "a quote inside a cell that does not start with one is a character, as Excel and Python read it",
			file:   "q.csv",
			data:   []byte("a,b,c\n1,12\" pizza,3\n4,37°36'37.8\"N,He said \"hi\" twice\n"),
			header: []string{"a", "b", "c"},
			rows: []row{
				{2, []string{"1", `12" pizza`, "3"}, ""},
				{3, []string{"4", `37°36'37.8"N`, `He said "hi" twice`}, ""},
			},
		},
		{
			name:   "text after a closing quote spoils its row only",
			file:   "q.csv",
			data:   []byte("a,b,c\n1,\"The Boss\" Smith,3\n4,5,6\n"),
			header: []string{"a", "b", "c"},
			rows: []row{
				// The cell holds the file's text, quotes and all, so that
				// the report shows what to fix.
				{2, []string{"1", `"The Boss" Smith`, "3"}, `column "b" starts with a " that is not closed`},
				{3, []string{"4", "5", "6"}, ""},
			},
		},
		{
			name:   "an unclosed quote does not swallow the rows after it",
			file:   "q.csv",
			data:   []byte("id,name,city\n1,\"Bob,Stockholm\n\n2,Alice,Malmö\n3,\"Eve\",Lund\n4,Ann,Umeå\n"),
			header: []string{"id", "name", "city"},
			rows: []row{
				{2, []string{"1", "", ""}, `column "name" starts with a " that is not closed by a " followed by a comma`},
				{4, []string{"2", "Alice", "Malmö"}, ""},
				{5, []string{"3", "Eve", "Lund"}, ""},
				{6, []string{"4", "Ann", "Umeå"}, ""},
			},
		},
		{
			name:   "an unclosed quote up to the end of the file",
			file:   "q.csv",
			data:   []byte("id;name\r\n1;\"Bob\r\n2;Alice\r\n3;Eve"),
			header: []string{"id", "name"},
			rows: []row{
				{2, []string{"1", ""}, "followed by a semicolon"},
				{3, []string{"2", "Alice"}, ""},
				{4, []string{"3", "Eve"}, ""},
			},
		},
		{
			name:   "row numbers count blank lines and multi-line cells as a spreadsheet does",
			file:   "l.csv",
			data:   []byte("\r\na,b\r\n1,\"x\r\ny\"\r\n\r\n2,z\r\n,\r\n  ,\r\n3,w"),
			header: []string{"a", "b"},
			rows: []row{
				{3, []string{"1", "x\ny"}, ""},
				{5, []string{"2", "z"}, ""},
				{8, []string{"3", "w"}, ""},
			},
		},
		{
			name:   "the CSV injection escape of our reports is undone",
			file:   "failed.csv",
			data:   []byte("'=Name,b\n'=SUM(A1),'+46701234567\n'-5,'@x\n'abc,''=x\n\"'\t1\",'\n"),
			header: []string{"=Name", "b"},
			rows: []row{
				{2, []string{"=SUM(A1)", "+46701234567"}, ""},
				{3, []string{"-5", "@x"}, ""},
				{4, []string{"'abc", "'=x"}, ""},
				{5, []string{"\t1", "'"}, ""},
			},
		},
		{
			name:   "old Mac Excel: CR alone ends a line",
			file:   "mac.csv",
			data:   []byte("id;name;city\r1;Åsa;Göteborg\r\r2;\"multi\nline\";Lund\r3;\"x\"\"y\";\r"),
			header: []string{"id", "name", "city"},
			rows: []row{
				{2, []string{"1", "Åsa", "Göteborg"}, ""},
				{4, []string{"2", "multi\nline", "Lund"}, ""},
				{5, []string{"3", `x"y`, ""}, ""},
			},
		},
		{
			name:   "LF, CRLF and CR mixed in one file",
			file:   "mixed.csv",
			data:   []byte("a,b\n1,x\r\n2,y\r3,z\n\r4,w"),
			header: []string{"a", "b"},
			rows: []row{
				{2, []string{"1", "x"}, ""},
				{3, []string{"2", "y"}, ""},
				{4, []string{"3", "z"}, ""},
				{6, []string{"4", "w"}, ""}, // LF then CR is two line breaks
			},
		},
		{
			name: "a space before a quote: the quote is a character, as in Excel and Python",
			file: "sp.csv",
			data: []byte("\"int\", \"number\", \"text, too\"\n1, 2, \"x\"\n"),
			// Python's csv reads ['int', ' "number"', ' "text', ' too"'];
			// so does Excel.
			header: []string{"int", `"number"`, `"text`, `too"`},
			rows:   []row{{2, []string{"1", " 2", ` "x"`, ""}, "row has 3 cells, the header has 4"}},
		},
		{
			name:   "RFC 4180 quoting where a cell starts with a quote",
			file:   "rfc.csv",
			data:   []byte("a,b,c\r\n\"1,5\",\"say \"\"hi\"\"\",\"\"\r\n\"\",\"line\r\nbreak\",\"cr\ronly\"\r\n"),
			header: []string{"a", "b", "c"},
			rows: []row{
				{2, []string{"1,5", `say "hi"`, ""}, ""},
				{3, []string{"", "line\nbreak", "cr\ronly"}, ""},
			},
		},
		{
			name:   "a quoted cell closed then followed by text keeps the text as written",
			file:   "q.csv",
			data:   []byte("a,b,c\n1,\"x, y\"z,3\n"),
			header: []string{"a", "b", "c"},
			rows:   []row{{2, []string{"1", `"x, y"z`, "3"}, `column "b" starts with a " that is not closed`}},
		},
		{
			name:   "cells are not trimmed, header names are",
			file:   "s.csv",
			data:   []byte(" a , b\n  1 ,2  \n"),
			header: []string{"a", "b"},
			rows:   []row{{2, []string{"  1 ", "2  "}, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, recs, err := readAll(t, writeFile(t, tt.file, tt.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Header(); !equal(got, tt.header) {
				t.Errorf("header = %q, want %q", got, tt.header)
			}
			checkRows(t, recs, tt.rows)
		})
	}
}

func checkRows(t *testing.T, recs []Record, want []row) {
	t.Helper()
	for i := 0; i < len(recs) || i < len(want); i++ {
		switch {
		case i >= len(recs):
			t.Errorf("missing record %d: %+v", i, want[i])
			continue
		case i >= len(want):
			t.Errorf("unexpected record %d: line %d %q %v", i, recs[i].Line, recs[i].Cells, recs[i].Err)
			continue
		}
		got, w := recs[i], want[i]
		if got.Line != w.line || !equal(got.Cells, w.cells) {
			t.Errorf("record %d = line %d %q, want line %d %q", i, got.Line, got.Cells, w.line, w.cells)
		}
		switch {
		case w.err == "" && got.Err != nil:
			t.Errorf("record %d (line %d): unexpected error %v", i, got.Line, got.Err)
		case w.err != "" && (got.Err == nil || !strings.Contains(got.Err.Error(), w.err)):
			t.Errorf("record %d (line %d): error %v, want one containing %q", i, got.Line, got.Err, w.err)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCSVFileErrors checks the problems with a whole file: each is a
// *FileError that names the file and says what is wrong.
func TestCSVFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		data   []byte
		opts   Options
		want   string
		noData bool
	}{
		{name: "empty file", file: "e.csv", data: nil, want: "the file is empty: no data rows", noData: true},
		{name: "only a BOM", file: "e.csv", data: []byte("\uFEFF"), want: "the file is empty", noData: true},
		{name: "only blank lines", file: "e.csv", data: []byte("\r\n\r\n,,\r\n"), want: "the file is empty", noData: true},
		{name: "header only", file: "h.csv", data: []byte("a,b\r\n"), want: "header (row 1) has no data rows under it", noData: true},
		{name: "header and blank rows", file: "h.csv", data: []byte("\na;b\n\n;\n"), want: "header (row 2) has no data rows under it", noData: true},
		{name: "duplicate names", file: "d.csv", data: []byte("Name,Email,Phone,City,Email\n1,2,3,4,5\n"), want: `header (row 1): duplicate column name "Email" in columns B and E`},
		{name: "duplicate after trimming", file: "d.csv", data: []byte("id,id ,x, id\n1,2,3,4\n"), want: `duplicate column name "id" in columns A, B and D`},
		{name: "empty name", file: "d.csv", data: []byte("a,,c\n1,2,3\n"), want: "header (row 1): column B has no name"},
		{name: "empty names", file: "d.csv", data: []byte(",,,d,,f\n1,2,3,4,5,6\n"), want: "columns A to C have no name; column E has no name"},
		{name: "a header of stray BOMs", file: "d.csv", data: []byte("\uFEFF\uFEFF,\uFEFF\n1\n"), want: "header (row 1) has no column names"},
		{name: "broken header", file: "d.csv", data: []byte("a,\"b\"c\n1,2\n"), want: "header (row 1) cannot be read"},
		{name: "a broken first row is the header, never skipped", file: "d.csv", data: []byte("\"id,name\n1,Bob\n2,Eve\n"), want: `header (row 1) cannot be read: column A starts with a " that is not closed`},
		{name: "a broken first row after blank lines", file: "d.csv", data: []byte("\r\n\r\n\"id\"x;name\r\n1;Bob\r\n"), want: `header (row 3) cannot be read: column A starts with a "`},
		{name: "a control character in the header", file: "d.csv", data: []byte("id,na\x1bme\n1,Bob\n"), want: "header (row 1) cannot be read: column B holds a control character (ESC, 0x1B)"},
		{name: "a workbook named .csv", file: "w.csv", data: []byte("PK\x03\x04\x14\x00\x06\x00"), want: "zip archive, not delimited text"},
		{name: "an .xls named .csv", file: "w.csv", data: []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, want: "old binary Excel (.xls)"},
		{name: "binary", file: "b.csv", data: []byte("a,b\x00\x01\x00\x00\x00\n"), want: "not a text file"},
		{name: "a sheet for a CSV", file: "s.csv", data: []byte("a\n1\n"), opts: Options{Sheet: "Data"}, want: `sheet "Data" was chosen, but a .csv file has no sheets`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file, tt.data)
			_, err := Open(p, tt.opts)
			checkFileError(t, err, p, tt.want)
			if got := errors.Is(err, ErrNoData); got != tt.noData {
				t.Errorf("errors.Is(err, ErrNoData) = %v, want %v", got, tt.noData)
			}
		})
	}
}

func checkFileError(t *testing.T, err error, path, want string) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want a *FileError", err, err)
	}
	if fe.Path != path {
		t.Errorf("FileError.Path = %q, want %q", fe.Path, path)
	}
	if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), path+": ") {
		t.Errorf("err = %q, want %q: ...%q...", err, path, want)
	}
}

func TestOpenByExtension(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ file, want string }{
		{"missing.csv", "cannot open the file: no such file or directory"},
		{"missing.xlsx", "cannot open the file: no such file or directory"},
		{"old.xls", ".xls is the old binary Excel format, which cannot be read: open it in Excel or LibreOffice and save it as .xlsx or .csv"},
		{"data.ods", ".ods files cannot be read: use .csv, .tsv, .txt (delimited text) or .xlsx (workbook)"},
		{"data", "the file name has no extension"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := filepath.Join(dir, tt.file)
			_, err := Open(p, Options{})
			checkFileError(t, err, p, tt.want)
		})
	}
}

// TestCSVLateInvalidUTF8 is a file that samples as UTF-8 but has a
// Windows-1252 row after the sample: that row alone is refused, and its cells
// hold no invalid text.
func TestCSVLateInvalidUTF8(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("id,city\n")
	n := 1
	for b.Len() < 2*sampleSize {
		n++
		b.WriteString("1,Stockholm\n")
	}
	b.WriteString("2,G\xf6teborg\n3,Malmö\n")
	_, recs, err := readAll(t, writeFile(t, "late.csv", b.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-2:]
	checkRows(t, last, []row{
		{n + 1, []string{"2", "G\uFFFDteborg"}, `column "city" is not valid UTF-8 text, although the file starts as UTF-8: save the file as UTF-8`},
		{n + 2, []string{"3", "Malmö"}, ""},
	})
	for _, r := range recs[:len(recs)-2] {
		if r.Err != nil {
			t.Fatalf("line %d: %v", r.Line, r.Err)
		}
	}
}

// TestCSVControlCharacters: a control character anywhere in the file makes
// its row invalid, naming the column; the cell never holds it.
func TestCSVControlCharacters(t *testing.T) {
	var pad strings.Builder // past the sample, where the old check ended
	pad.WriteString("Id,Name,Note\n")
	n := 1
	for pad.Len() < 2*sampleSize {
		n++
		fmt.Fprintf(&pad, "%d,Åsa,ok\n", n)
	}
	data := pad.String() +
		"a,\x1b]0;pwned\x07,x\n" +
		"b,ok,bell\x07\n" +
		"c,\"quoted\x00nul\",x\n" +
		"d,del\x7f,x\n" +
		"e,csi\u009b2J,x\n" +
		"f,tab\tand\\n,\"line\nbreak\"\n"
	_, recs, err := readAll(t, writeFile(t, "c.csv", []byte(data)), Options{})
	must(t, err)
	for _, r := range recs[:n-1] {
		if r.Err != nil {
			t.Fatalf("row %d: %v", r.Line, r.Err)
		}
	}
	checkRows(t, recs[n-1:], []row{
		{n + 1, []string{"a", "\uFFFD]0;pwned\uFFFD", "x"}, `column "Name" holds a control character (ESC, 0x1B), which no account field may hold: remove it`},
		{n + 2, []string{"b", "ok", "bell\uFFFD"}, `column "Note" holds a control character (BEL, 0x07)`},
		{n + 3, []string{"c", "quoted\uFFFDnul", "x"}, `column "Name" holds a control character (NUL, 0x00)`},
		{n + 4, []string{"d", "del\uFFFD", "x"}, `column "Name" holds a control character (DEL, 0x7F)`},
		{n + 5, []string{"e", "csi\uFFFD2J", "x"}, `column "Name" holds a control character (U+009B)`},
		{n + 6, []string{"f", "tab\tand\\n", "line\nbreak"}, ""},
	})
}

// TestCSVLimits checks that a cell or a record past its size limit costs
// its own row only, with a message, and that reading goes on at the next
// line with the right row numbers.
func TestCSVLimits(t *testing.T) {
	under := strings.Repeat("x", maxCellBytes)
	over := strings.Repeat("y", maxCellBytes+1)
	long := strings.Repeat("z", maxRecordBytes+1)
	var after strings.Builder // no quote in it for more than a record's size
	n := 0
	for after.Len() <= maxRecordBytes {
		n++
		fmt.Fprintf(&after, "%d,row %d\n", n, n)
	}
	tests := []struct {
		name string
		data string
		rows []row
		last row // the last record, when rows is nil
		n    int
	}{
		{name: "a cell at the limit", data: "a,b\n1," + under + "\n2,ok\n", rows: []row{{2, []string{"1", under}, ""}, {3, []string{"2", "ok"}, ""}}},
		{name: "a cell past the limit", data: "a,b\n1," + over + "\n2,ok\n", rows: []row{{2, []string{"1", over}, `column "b" holds more than 1 MiB, the most a cell may hold`}, {3, []string{"2", "ok"}, ""}}},
		{name: "a quoted cell past the limit", data: "a,b\n1,\"" + over + "\"\n2,ok\n", rows: []row{{2, []string{"1", over}, `column "b" holds more than 1 MiB`}, {3, []string{"2", "ok"}, ""}}},
		{name: "a line past the limit", data: "a,b\n1," + long + "\r\n2,ok\r\n", rows: []row{{2, []string{"", ""}, "the row is longer than 4 MiB, the most a row may hold"}, {3, []string{"2", "ok"}, ""}}},
		{name: "a line past the limit at the end", data: "a,b\n0,ok\n1," + long, rows: []row{{2, []string{"0", "ok"}, ""}, {3, []string{"", ""}, "the row is longer than 4 MiB"}}},
		{name: "a line past the limit, CR only", data: "a,b\r1," + long + "\r2,ok\r", rows: []row{{2, []string{"", ""}, "the row is longer than 4 MiB"}, {3, []string{"2", "ok"}, ""}}},
		{
			name: "an unclosed quote on row 2 costs row 2 only",
			data: "id,name\n0,\"Bob\n" + after.String(),
			n:    n + 1,
			last: row{n + 2, []string{fmt.Sprint(n), fmt.Sprintf("row %d", n)}, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, recs, err := readAll(t, writeFile(t, "big.csv", []byte(tt.data)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.rows != nil {
				checkRows(t, recs, tt.rows)
				return
			}
			if len(recs) != tt.n {
				t.Fatalf("%d records, want %d", len(recs), tt.n)
			}
			checkRows(t, recs[:1], []row{{2, []string{"0", ""}, `column "name" starts with a " that is still open 4 MiB later`}})
			checkRows(t, recs[len(recs)-1:], []row{tt.last})
			for _, r := range recs[1:] {
				if r.Err != nil {
					t.Fatalf("row %d: %v", r.Line, r.Err)
				}
			}
		})
	}
}

// TestCSVLongLineMemory reads a line far past the limit: the reader must
// not hold it (encoding/csv read a 1 GB line into 4.4 GB).
func TestCSVLongLineMemory(t *testing.T) {
	const size = 64 << 20
	p := filepath.Join(t.TempDir(), "long.csv")
	f, err := os.Create(p)
	must(t, err)
	_, err = f.WriteString("a,b\n1,")
	must(t, err)
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for written := 0; written < size; written += len(chunk) {
		_, err = f.Write(chunk)
		must(t, err)
	}
	_, err = f.WriteString("\n2,ok\n")
	must(t, err)
	must(t, f.Close())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, recs, err := readAll(t, p, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, recs, []row{{2, []string{"", ""}, "the row is longer than 4 MiB"}, {3, []string{"2", "ok"}, ""}})
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4*maxRecordBytes {
		t.Errorf("reading a %d MiB line allocated %d MiB", size>>20, alloc>>20)
	}
}

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		sample string
		want   rune
	}{
		{"a,b,c\n1,2,3\n", ','},
		{"a;b;c\n1;2,5;3\n", ';'},
		{"a\tb\n1\t2\n", '\t'},
		{"a|b\n1|2\n", '|'},
		{"single\nx\n", ','},
		{"", ','},
		{"\"a;b\",c\n\"1;2\",3\n", ','},                             // quoted delimiters do not count
		{"a,b\n\"x\ny,z\",2\n3,4\n", ','},                           // nor do quoted newlines
		{"name;tags\nBob;a,b\nEve;c,d,e\nAnn;\n", ';'},              // the header decides
		{"h1,h2;h3\n1,2;3\n4,5;6\n", ';'},                           // a tie goes to the rarer character
		{"a;b;c\n1;2;3\n4;5;6\n7;8;9\nx,y\n", ';'},                  // most lines agree
		{"id,name\n" + strings.Repeat("1,ab;cd\n", 100), ','},       // long samples
		{"a,b\n1,2\n3,4\n5,6\npartial;line;cut;by;the;sample", ','}, // cut line ignored
	}
	for _, tt := range tests {
		if got := sniffDelimiter([]byte(tt.sample), false); got != tt.want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", tt.sample, got, tt.want)
		}
	}
}

func TestSniffEncoding(t *testing.T) {
	tests := []struct {
		sample []byte
		atEOF  bool
		want   string
	}{
		{[]byte("plain ascii"), true, "UTF-8"},
		{[]byte("Göteborg"), true, "UTF-8"},
		{[]byte("G\xf6teborg"), true, "Windows-1252"},
		{[]byte("Göteborg\xc3"), false, "UTF-8"}, // cut inside ö
		{[]byte("Göteborg\xc3"), true, "UTF-8"},  // not cut: broken, but mostly UTF-8
		{[]byte("G\xf6teborg,M\xfcller"), true, "Windows-1252"},
		{[]byte("Malmö,G\xf6teborg,Lund"), true, "UTF-8"}, // a row pasted from elsewhere
		{[]byte("Göteborg\xe2\x82"), false, "UTF-8"},      // cut inside €
		{[]byte("\xef\xbb\xbfa"), true, "UTF-8"},
		{[]byte("\xff\xfea\x00"), true, "UTF-16LE"},
		{[]byte("\xfe\xff\x00a"), true, "UTF-16BE"},
		{[]byte("a\x00,\x00b\x00\n\x00"), true, "UTF-16LE"}, // no BOM
		{[]byte("\x00a\x00,\x00b\x00\n"), true, "UTF-16BE"},
	}
	for _, tt := range tests {
		enc, err := sniffEncoding(tt.sample, tt.atEOF)
		if err != nil || enc.name != tt.want {
			t.Errorf("sniffEncoding(%q, %v) = %q, %v; want %q", tt.sample, tt.atEOF, enc.name, err, tt.want)
		}
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := columnName(i); got != want {
			t.Errorf("columnName(%d) = %q, want %q", i, got, want)
		}
	}
}

// FuzzCSV feeds arbitrary bytes to the CSV reader: it must never panic, every
// problem with the whole file must be a *FileError, and every record must
// have one cell of valid UTF-8 text per header column, on increasing lines.
func FuzzCSV(f *testing.F) {
	seeds := []string{
		"a,b\n1,2\n",
		"\uFEFFa;b\r\n1;2\r\n",
		"a,b\n1,\"x\ny\"\n\n3,4",
		"a,b\n1,\"unclosed\n2,3\n\"4\",5\n",
		"a,b\n1,x\"y\n",
		"a|b|c\n1|2\n1|2|3|4\n",
		"\xff\xfea\x00\t\x00b\x00\n\x001\x00\t\x002\x00",
		"a,b\nG\xf6teborg,1\n",
		"a,a\n1,2\n",
		",b\n1,2\n",
		"a\n",
		"'=a,b\n'-1,'@2\n",
		"\"\n\"\"\n\"\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(p, Options{})
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Open: %v (%T), want a *FileError", err, err)
			}
			return
		}
		defer r.Close()
		checkStream(t, r, len(data)+1)
	})
}

// checkStream reads r to the end, checking what every Reader promises: no
// more than max records, each with one cell of valid, control-free text per
// header column and Kinds nil or as long, on increasing rows; every error a
// *FileError.
func checkStream(t *testing.T, r Reader, max int) {
	t.Helper()
	n := len(r.Header())
	if n == 0 {
		t.Fatal("empty header")
	}
	line := 0
	for i := 0; ; i++ {
		if i > max {
			t.Fatal("more records than bytes")
		}
		rec, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Next: %v (%T), want a *FileError", err, err)
			}
			return
		}
		if len(rec.Cells) != n || rec.Kinds != nil && len(rec.Kinds) != n {
			t.Fatalf("row %d: %d cells, %d kinds, header %d", rec.Line, len(rec.Cells), len(rec.Kinds), n)
		}
		if rec.Line <= line {
			t.Fatalf("row %d after row %d", rec.Line, line)
		}
		line = rec.Line
		for _, c := range rec.Cells {
			if _, k, _ := (textCheck{utf8: true}).badText(c); k != probNone {
				t.Fatalf("row %d: cell %q", rec.Line, c)
			}
		}
	}
}
