package reports

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchRows makes n rows of 10 input columns like a typical accounts file,
// one in ten failed and one in twenty invalid in one cell.
func benchRows(n int) ([]string, []*Row) {
	header := make([]string, 10)
	for i := range header {
		header[i] = fmt.Sprintf("Column %d", i+1)
	}
	rows := make([]*Row, n)
	for i := range rows {
		cells := []string{
			"ACC" + strconv.Itoa(100000+i), "user" + strconv.Itoa(i) + "@example.se", "07012" + strconv.Itoa(10000+i%90000),
			"1985-04-12", "Storgatan " + strconv.Itoa(i%200), "Göteborg", "41" + strconv.Itoa(100+i%900), "SE",
			"gold;newsletter", "created by migration 2024",
		}
		r := &Row{Line: i + 2, Status: StatusOK, Key: cells[0], HTTPStatus: 200, Attempts: 1, Cells: cells}
		switch {
		case i%20 == 7:
			r.Status, r.HTTPStatus, r.Attempts = StatusInvalid, 0, 0
			r.Message = "Column 3: mobile_phone_number must match ^[+,0]?[0-9]{10,12}$"
			r.Issues = []Issue{{Column: 2, Rule: "mobile_phone_number must match ^[+,0]?[0-9]{10,12}$"}}
		case i%10 == 3:
			r.Status, r.HTTPStatus, r.Attempts, r.Message = StatusFailed, 500, 6, "HTTP 500: internal error"
		}
		rows[i] = r
	}
	return header, rows
}

const benchN = 100_000

func benchmarkReport(b *testing.B, name string) {
	header, rows := benchRows(benchN)
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		w, err := Create(filepath.Join(dir, name), header, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(&Summary{Provider: "payway"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkXLSXReport writes a 100,000-row XLSX report, Close included.
func BenchmarkXLSXReport(b *testing.B) { benchmarkReport(b, "out.xlsx") }

// BenchmarkCSVReport writes a 100,000-row CSV report and its companions.
func BenchmarkCSVReport(b *testing.B) { benchmarkReport(b, "out.csv") }

// BenchmarkXLSXBaseline is the floor the XLSX report is measured against:
// excelize's own StreamWriter writing the same cells into one plain sheet
// and saving it, with nothing else (no Failed sheet, styles, comments,
// filter or atomic rename).
func BenchmarkXLSXBaseline(b *testing.B) {
	header, rows := benchRows(benchN)
	path := filepath.Join(b.TempDir(), "base.xlsx")
	b.ReportAllocs()
	for b.Loop() {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		hdr := make([]any, 0, 16)
		for _, h := range resultsHeader(header, Options{}) {
			hdr = append(hdr, h)
		}
		if err := sw.SetRow("A1", hdr); err != nil {
			b.Fatal(err)
		}
		for i, r := range rows {
			values := []any{r.Line, string(r.Status), r.Key, r.HTTPStatus, r.Attempts, text(r.Message)}
			for _, c := range r.Cells {
				values = append(values, c)
			}
			if err := sw.SetRow("A"+strconv.Itoa(i+2), values); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := f.SaveAs(path); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
	}
	b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
