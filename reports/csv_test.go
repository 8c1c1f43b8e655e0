package reports

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gocarina/gocsv"

	"github.com/acctimport/acctimport/internal/csvsafe"
)

func TestCSVGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"report", Options{}},
		{"report_payloads", Options{Payloads: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := sampleSummary()
			s.Output = "accounts.results.csv" // not the temporary path
			writeReport(t, filepath.Join(dir, "out.csv"), tc.opts, sampleRows(), s)
			for _, name := range []string{"out.csv", "out.failed.csv", "out.summary.csv"} {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, tc.name+"."+strings.TrimPrefix(name, "out."), got)
			}
		})
	}
}

// readCSV reads a report CSV back as a spreadsheet user's tools would see
// it, after checking the byte order mark.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rest, ok := bytes.CutPrefix(b, []byte(utf8BOM))
	if !ok {
		t.Fatalf("%s has no UTF-8 BOM", path)
	}
	if bytes.Contains(rest, []byte("\r\n")) {
		t.Errorf("%s has CRLF line ends, want LF throughout", path)
	}
	cr := csv.NewReader(bytes.NewReader(rest))
	cr.FieldsPerRecord = -1 // a ragged row's extra cells are kept
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return records
}

// The Failed CSV, read back and unescaped the way the input reader does it,
// gives exactly the cells of the rows to fix.
func TestCSVFailedRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeReport(t, filepath.Join(dir, "out.csv"), Options{}, sampleRows(), sampleSummary())
	records := readCSV(t, filepath.Join(dir, "out.failed.csv"))
	want := [][]string{append(slices.Clone(sampleHeader), ColumnReason, ColumnOriginalRow)}
	for _, r := range sampleRows() {
		if needsFix(r.Status) {
			want = append(want, append(padCells(r.Cells, len(sampleHeader)), reason(r), strconv.Itoa(r.Line)))
		}
	}
	if len(records) != len(want) {
		t.Fatalf("failed.csv has %d records, want %d", len(records), len(want))
	}
	for i, rec := range records {
		for j := range rec {
			rec[j] = csvsafe.Unescape(rec[j])
		}
		if !slices.Equal(rec, want[i]) {
			t.Errorf("failed.csv record %d = %q, want %q", i+1, rec, want[i])
		}
	}
}

// Every cell of every CSV that a spreadsheet would run as a formula carries
// the apostrophe.
func TestCSVFormulaInjection(t *testing.T) {
	dir := t.TempDir()
	s := sampleSummary()
	s.Input = "-accounts.csv"
	writeReport(t, filepath.Join(dir, "out.csv"), Options{Payloads: true}, sampleRows(), s)
	escaped := 0
	for _, name := range []string{"out.csv", "out.failed.csv", "out.summary.csv"} {
		for _, rec := range readCSV(t, filepath.Join(dir, name)) {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q would run as a formula", name, cell)
				}
				if strings.HasPrefix(cell, "'") {
					escaped++
				}
			}
		}
	}
	if escaped == 0 {
		t.Error("no escaped cell found: the sample lost its formula-looking cells")
	}
	results := readCSV(t, filepath.Join(dir, "out.csv"))
	if got := results[3][2]; got != `'=HYPERLINK("http://evil")` {
		t.Errorf("key = %q", got)
	}
	if got := results[3][6]; got != `'=cmd|' /C calc'!A0` {
		t.Errorf("payload = %q", got)
	}
}

func TestCSVHeaders(t *testing.T) {
	for _, payloads := range []bool{false, true} {
		dir := t.TempDir()
		writeReport(t, filepath.Join(dir, "out.csv"), Options{Payloads: payloads}, sampleRows(), nil)
		want := []string{"Row", "Status", "Key", "HTTP status", "Attempts", "Message"}
		if payloads {
			want = append(want, "Payload")
		}
		want = append(want, sampleHeader...)
		results := readCSV(t, filepath.Join(dir, "out.csv"))
		if !slices.Equal(results[0], want) {
			t.Errorf("payloads=%v: header %q, want %q", payloads, results[0], want)
		}
		if len(results) != len(sampleRows())+1 {
			t.Errorf("payloads=%v: %d records, want %d", payloads, len(results), len(sampleRows())+1)
		}
	}
}

// The summary CSV reads back into its typed lines.
func TestCSVSummary(t *testing.T) {
	dir := t.TempDir()
	writeReport(t, filepath.Join(dir, "out.csv"), Options{}, sampleRows(), &Summary{Provider: "userapi", DryRun: true})
	b, err := os.ReadFile(filepath.Join(dir, "out.summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []summaryLine
	if err := gocsv.UnmarshalBytes(bytes.TrimPrefix(b, []byte(utf8BOM)), &lines); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range lines {
		got[l.Item] = l.Value
	}
	// Without Counts the writer's own tally stands.
	for item, want := range map[string]string{
		"ok": "1", "partial": "1", "failed": "1", "invalid": "2", "skipped": "1", "valid": "1", "Total": "7",
		"Provider": "userapi", "Dry run": "yes", "Output": filepath.Join(dir, "out.csv"), "Start": "",
	} {
		if got[item] != want {
			t.Errorf("%s = %q, want %q", item, got[item], want)
		}
	}
	if _, ok := got["Stopped early"]; ok {
		t.Error("Stopped early shown for a run that was not stopped")
	}
}

// Close after a failed write abandons all three files.
func TestCSVCloseAfterError(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "out.csv"), sampleHeader, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sampleRows()[0]); err != nil {
		t.Fatal(err)
	}
	w.(*csvWriter).err = os.ErrClosed // as if the disk had gone away
	if err := w.Write(sampleRows()[1]); err != os.ErrClosed {
		t.Errorf("Write after an error = %v", err)
	}
	if err := w.Close(sampleSummary()); err == nil {
		t.Error("Close after an error succeeded")
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("files left behind: %v", got)
	}
}
