package input

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The benchmarks read generated files with the reader and with the library
// underneath it alone (the Raw benchmarks), so the ratio between them shows
// the reader's own cost on this machine. Each reports rows/s.

const (
	benchCSVRows  = 100_000
	benchXLSXRows = 20_000
)

var benchHeader = []string{"id", "email", "first_name", "last_name", "mobile", "born", "city", "zip", "amount", "tags"}

func benchRow(i int) []string {
	return []string{
		fmt.Sprint(100000 + i), fmt.Sprintf("user%d@example.com", i), "Åsa", "Öberg",
		fmt.Sprint(46701000000 + i), "1987-03-14", "Göteborg", "41301", fmt.Sprintf("%d.50", i%1000), "a;b",
	}
}

func writeBenchCSV(b *testing.B) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(p)
	must(b, err)
	w := bufio.NewWriter(f)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	must(b, cw.Write(benchHeader))
	for i := range benchCSVRows {
		must(b, cw.Write(benchRow(i)))
	}
	cw.Flush()
	must(b, cw.Error())
	must(b, w.Flush())
	must(b, f.Close())
	return p
}

func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVRead(b *testing.B) {
	p := writeBenchCSV(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := Open(p, Options{})
		must(b, err)
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			must(b, err)
			if rec.Err != nil {
				b.Fatal(rec.Err)
			}
			n++
		}
		must(b, r.Close())
		if n != benchCSVRows {
			b.Fatalf("%d rows", n)
		}
	}
	reportRows(b, benchCSVRows)
}

// BenchmarkCSVReadRaw is encoding/csv alone, reusing its record.
func BenchmarkCSVReadRaw(b *testing.B) {
	p := writeBenchCSV(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(p)
		must(b, err)
		cr := csv.NewReader(f)
		cr.ReuseRecord = true
		n := 0
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			must(b, err)
			n++
		}
		f.Close()
		if n != benchCSVRows+1 {
			b.Fatalf("%d rows", n)
		}
	}
	reportRows(b, benchCSVRows)
}

func writeBenchXLSX(b *testing.B) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "bench.xlsx")
	f := excelize.NewFile()
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	must(b, err)
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4})
	must(b, err)
	sw, err := f.NewStreamWriter("Sheet1")
	must(b, err)
	head := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		head[i] = h
	}
	must(b, sw.SetRow("A1", head))
	born := time.Date(1987, 3, 14, 0, 0, 0, 0, time.UTC)
	for i := range benchXLSXRows {
		s := benchRow(i)
		row := []any{i, s[1], s[2], s[3], 46701000000 + i, excelize.Cell{StyleID: date, Value: born}, s[6], s[7],
			excelize.Cell{StyleID: money, Value: float64(i%1000) + 0.5}, s[9]}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		must(b, err)
		must(b, sw.SetRow(cell, row))
	}
	must(b, sw.Flush())
	must(b, f.SaveAs(p))
	must(b, f.Close())
	return p
}

func BenchmarkXLSXRead(b *testing.B) {
	p := writeBenchXLSX(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r, err := Open(p, Options{})
		must(b, err)
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			must(b, err)
			if n == 0 && (rec.Cells[5] != "1987-03-14" || rec.Cells[8] != "0.5") {
				b.Fatalf("first row %q", rec.Cells)
			}
			n++
		}
		must(b, r.Close())
		if n != benchXLSXRows {
			b.Fatalf("%d rows", n)
		}
	}
	reportRows(b, benchXLSXRows)
}

// BenchmarkXLSXReadRaw is excelize's streaming iterator alone, with its
// default formatted values.
func BenchmarkXLSXReadRaw(b *testing.B) {
	p := writeBenchXLSX(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		f, err := excelize.OpenFile(p)
		must(b, err)
		rows, err := f.Rows("Sheet1")
		must(b, err)
		n := 0
		for rows.Next() {
			_, err := rows.Columns()
			must(b, err)
			n++
		}
		must(b, rows.Close())
		must(b, f.Close())
		if n != benchXLSXRows+1 {
			b.Fatalf("%d rows", n)
		}
	}
	reportRows(b, benchXLSXRows)
}

// writeHostileCSV writes a file of size bytes: a header, then either one line
// without an end (long) or an unclosed quote on row 2 followed by ordinary
// rows.
func writeHostileCSV(b *testing.B, size int, long bool) (string, int) {
	b.Helper()
	p := filepath.Join(b.TempDir(), "hostile.csv")
	f, err := os.Create(p)
	must(b, err)
	w := bufio.NewWriter(f)
	cw := csv.NewWriter(w)
	must(b, cw.Write(benchHeader))
	cw.Flush()
	rows := 0
	if long {
		w.WriteString("1,")
		for n := 0; n < size; n += 16 {
			w.WriteString("0123456789abcdef")
		}
		rows = 1
	} else {
		w.WriteString("1,\"user1@example.com,Åsa,Öberg,46701000001,1987-03-14,Göteborg,41301,1.50,a\n")
		rows = 1
		for i := 0; w.Buffered()+rows*100 < size; i++ {
			must(b, cw.Write(benchRow(i)))
			rows++
			if rows%1000 == 0 {
				cw.Flush()
			}
		}
		cw.Flush()
	}
	must(b, w.Flush())
	must(b, f.Close())
	return p, rows
}

// BenchmarkCSVHostile reads the files of issue 11: a 64 MiB line without a
// line break, and an unclosed quote on row 2 of a 64 MiB file. B/op stays
// near the record limit whatever the file's size.
func BenchmarkCSVHostile(b *testing.B) {
	for _, long := range []bool{true, false} {
		name := "unclosed-quote"
		if long {
			name = "long-line"
		}
		b.Run(name, func(b *testing.B) {
			p, rows := writeHostileCSV(b, 64<<20, long)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r, err := Open(p, Options{})
				must(b, err)
				n, bad := 0, 0
				for {
					rec, err := r.Next()
					if err == io.EOF {
						break
					}
					must(b, err)
					n++
					if rec.Err != nil {
						bad++
					}
				}
				must(b, r.Close())
				if n != rows || bad != 1 {
					b.Fatalf("%d rows (%d invalid), want %d (1)", n, bad, rows)
				}
			}
		})
	}
}
