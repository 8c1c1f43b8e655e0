package reports

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A CSV report read back may hold anything: reading it ends in rows or an
// error, never a panic, and every row it returns is well formed.
func FuzzCSVReport(f *testing.F) {
	dir := f.TempDir()
	writeReportHeader(f, filepath.Join(dir, "seed.csv"), mergeHeader, Options{Payloads: true}, runRows(12), runSummary(runRows(12), "0/1", runStart, runStart))
	for _, name := range []string{"seed.csv", "seed.summary.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("\ufeffRow,Status,Key,HTTP status,Attempts,Message\n2,ok,,,,\n1,ok"), false)
	f.Add([]byte("Row,Status,Key,HTTP status,Attempts,Message\n\"2"), false)
	summary, err := os.ReadFile(filepath.Join(dir, "seed.summary.csv"))
	if err != nil {
		f.Fatal(err)
	}
	results, err := os.ReadFile(filepath.Join(dir, "seed.csv"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, asSummary bool) {
		d := t.TempDir()
		p := filepath.Join(d, "r.csv")
		res, sum := b, summary
		if asSummary {
			res, sum = results, b
		}
		if err := os.WriteFile(p, res, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "r.summary.csv"), sum, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := openReport(p, d)
		if err != nil {
			if !strings.Contains(err.Error(), "r.") {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		defer src.close()
		for n := 0; n < 1000; n++ {
			r, err := src.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				return
			}
			if r.Line < 1 || !isStatus(r.Status) || r.Attempts < 0 {
				t.Fatalf("row %+v", r)
			}
		}
	})
}

// The pass over a sheet's XML for the cells' types and styles ends in
// attributes or an error on any input, never a panic or a loop.
func FuzzSheetAttrs(f *testing.F) {
	f.Add(`<worksheet><sheetData><row r="1"><c r="A1" s="1" t="inlineStr"><is><t>x</t></is></c><c r="C1"/></row><row><c/></row></sheetData></worksheet>`)
	f.Add(`<worksheet><sheetData><row r="3"><c r="B3" s="x"/></row></sheetData></worksheet>`)
	f.Add(`<row r="2"><c r="A1"/></row>`)
	f.Add(`<row r="1048577">`)
	f.Fuzz(func(t *testing.T, xml string) {
		s := newSheetAttrs(io.NopCloser(strings.NewReader(xml)))
		for n := 1; n <= 50; n++ {
			at, err := s.row(n)
			if err != nil {
				return
			}
			for _, a := range at {
				if a.col < 0 || a.style < 0 {
					t.Fatalf("row %d: %+v", n, a)
				}
			}
		}
	})
}
