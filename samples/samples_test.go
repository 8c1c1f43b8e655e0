// Package samples holds a mapping and an input file per provider, used by
// the README and the tests. The XLSX samples are made from the CSV ones, typed
// the way a person's Excel file is (dates as date cells, phone numbers as
// numbers): go test ./samples -update rewrites them.
package samples

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/mapping"
	"github.com/acctimport/acctimport/providers/all"
)

var update = flag.Bool("update", false, "rewrite the XLSX samples from the CSV ones")

var (
	ddmmyyyy = regexp.MustCompile(`^(\d{2})/(\d{2})/(\d{4})$`)
	plainNum = regexp.MustCompile(`^[1-9][0-9]{0,14}$`)
)

// writeXLSX turns a CSV sample into a workbook typed as a person's would be.
func writeXLSX(t *testing.T, csvPath, xlsxPath string) {
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := "Accounts"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	dateFmt := "dd/mm/yyyy"
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		t.Fatal(err)
	}
	bold, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	for r, rec := range records {
		for c, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			switch {
			case r == 0:
				err = x.SetCellStr(sheet, cell, v)
				_ = x.SetCellStyle(sheet, cell, cell, bold)
			case ddmmyyyy.MatchString(v):
				m := ddmmyyyy.FindStringSubmatch(v)
				d, _ := time.Parse("02/01/2006", m[0])
				if d.Format("02/01/2006") != m[0] { // 31/02 is not a date: keep the text
					err = x.SetCellStr(sheet, cell, v)
					break
				}
				err = x.SetCellValue(sheet, cell, d)
				_ = x.SetCellStyle(sheet, cell, cell, dateStyle)
			case plainNum.MatchString(v):
				n, _ := strconv.ParseInt(v, 10, 64)
				err = x.SetCellInt(sheet, cell, n)
			default:
				err = x.SetCellStr(sheet, cell, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := x.SaveAs(xlsxPath); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, path string) ([]string, []input.Record) {
	t.Helper()
	r, err := input.Open(path, input.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []input.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return r.Header(), recs
}

// TestXLSXMatchesCSV checks that each XLSX sample says what its CSV says:
// the same rows and cells, dates typed as dates arriving as ISO dates.
func TestXLSXMatchesCSV(t *testing.T) {
	csvs, _ := filepath.Glob("*.csv")
	if len(csvs) == 0 {
		t.Fatal("no CSV samples")
	}
	for _, c := range csvs {
		x := strings.TrimSuffix(c, ".csv") + ".xlsx"
		if *update {
			writeXLSX(t, c, x)
		}
		t.Run(x, func(t *testing.T) {
			ch, crecs := readAll(t, c)
			xh, xrecs := readAll(t, x)
			if fmt.Sprint(ch) != fmt.Sprint(xh) || len(crecs) != len(xrecs) {
				t.Fatalf("header %v / %d rows vs %v / %d rows", ch, len(crecs), xh, len(xrecs))
			}
			for i := range crecs {
				if crecs[i].Line != xrecs[i].Line {
					t.Errorf("row %d: line %d vs %d", i, crecs[i].Line, xrecs[i].Line)
				}
				for j, want := range crecs[i].Cells {
					got := xrecs[i].Cells[j]
					if m := ddmmyyyy.FindStringSubmatch(want); m != nil && got != want {
						want = m[3] + "-" + m[2] + "-" + m[1]
					}
					if got != want {
						t.Errorf("%s row %d, %s: %q, CSV has %q", x, crecs[i].Line, ch[j], got, crecs[i].Cells[j])
					}
				}
			}
		})
	}
}

// TestMappingsCompile checks every sample mapping against its provider's
// inputs (fairwarning-xml.yaml reads fairwarning.csv).
func TestMappingsCompile(t *testing.T) {
	maps, _ := filepath.Glob("*.yaml")
	for _, mp := range maps {
		if strings.HasPrefix(mp, "kubernetes") {
			continue
		}
		m, err := mapping.Load(mp, all.Registry)
		if err != nil {
			t.Errorf("%s: %v", mp, err)
			continue
		}
		for _, ext := range []string{".csv", ".xlsx"} {
			in := m.Provider.Info().Name + ext
			h, _ := readAll(t, in)
			if _, err := m.Compile(h, ""); err != nil {
				t.Errorf("%s with %s: %v", mp, in, err)
			}
		}
	}
}
