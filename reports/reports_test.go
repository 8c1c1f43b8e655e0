package reports

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleHeader names an input column "Status" on purpose: the report's own
// Status column must not get in its way.
var sampleHeader = []string{"Account ID", "E-mail", "Mobile", "Born", "Status", "Notes"}

// sampleRows covers every status, formula-looking cells, a ragged row, line
// breaks, non-ASCII text and dates and numbers as the input had them.
func sampleRows() []*Row {
	return []*Row{
		{Line: 2, Status: StatusOK, Key: "A1", HTTPStatus: 200, Attempts: 1,
			Cells:   []string{"A1", "asa@example.se", "0701234567", "1990-01-02", "active", ""},
			Payload: `{"id":"A1"}`},
		{Line: 3, Status: StatusPartial, Key: "A2", HTTPStatus: 207, Attempts: 1,
			Message: "not updated: tags",
			Cells:   []string{"A2", "Åsa.Öberg@example.se", "4670123456789", "03/04/2001", "active", "line one\nline two"},
			Payload: `{"id":"A2","tags":["x"]}`},
		{Line: 4, Status: StatusFailed, Key: "=HYPERLINK(\"http://evil\")", HTTPStatus: 500, Attempts: 5,
			Message: "-HTTP 500: internal error",
			Cells:   []string{"=1+2", "+46701234567", "-5", "@SUM(A1)", "\tx", "\rcr"},
			Payload: `=cmd|' /C calc'!A0`},
		{Line: 5, Status: StatusInvalid, Key: "A4",
			Message: "Mobile: mobile_phone_number must match ^[0-9]{10}$; E-mail: email must be an e-mail address",
			Cells:   []string{"A4", "not-an-email", "12", "", "'=x", "  padded  "},
			Issues: []Issue{
				{Column: 2, Rule: "mobile_phone_number must match ^[0-9]{10}$"},
				{Column: 1, Rule: "email must be an e-mail address"},
				{Column: 3, Rule: "birth_date is required"},
				{Column: 9, Rule: "a column that does not exist"},
			}},
		{Line: 6, Status: StatusSkipped, Key: "A1", Message: "already done (journal)",
			Cells: []string{"A1", "asa@example.se", "0701234567", "1990-01-02", "active", ""}},
		{Line: 8, Status: StatusInvalid, Key: "A6", Message: "row has 3 cells, the header 6",
			Cells: []string{"A6", "short@example.se", "0701234599"}},
		{Line: 9, Status: StatusValid, Key: "A7",
			Cells: []string{"A7", "x@example.se", "0701234500", "2001-04-03T10:00:00Z", "closed", "12.50"}},
	}
}

func sampleSummary() *Summary {
	zone := time.FixedZone("CEST", 2*60*60)
	return &Summary{
		Provider: "payway",
		Input:    "accounts.csv",
		Mapping:  "payway.yaml",
		Start:    time.Date(2024, 5, 1, 10, 0, 0, 0, zone),
		End:      time.Date(2024, 5, 1, 10, 0, 2, 500_000_000, zone),
		Counts: map[Status]int{
			StatusOK: 1, StatusPartial: 1, StatusFailed: 1, StatusInvalid: 2, StatusSkipped: 1, StatusValid: 1,
		},
		Total:       7,
		Stopped:     "--max-failures 1 reached",
		NotReached:  3,
		Unjournaled: 2,
		Pace:        12.34,
		PeakPace:    20,
		Shard:       "1/4",
		Destination: "https://backend.worldoftulo.com",
		InputSum:    "5d41402abc4b2a76b9719d911017c592aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		MappingSum:  "7d793037a0760186574b0282f2f435e7bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
		Advice: []string{
			"Born: 30 of 30 rows are dates like 13/05/1954; add format: \"02/01/2006\" on line 7 of payway.yaml",
			"=Mobile: a formula-looking advice stays text",
		},
	}
}

// writeReport writes rows into a new report at path and closes it.
func writeReport(t testing.TB, path string, opts Options, rows []*Row, s *Summary) {
	t.Helper()
	writeReportHeader(t, path, sampleHeader, opts, rows, s)
}

// writeReportHeader is writeReport with another input header.
func writeReportHeader(t testing.TB, path string, header []string, opts Options, rows []*Row, s *Summary) {
	t.Helper()
	w, err := Create(path, header, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCreateRejectsUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"out.ods", "out", "out.xls", "out.json"} {
		_, err := Create(filepath.Join(dir, name), sampleHeader, Options{})
		if err == nil || !strings.Contains(err.Error(), ".xlsx or .csv") {
			t.Errorf("Create(%q) = %v, want an error naming .xlsx and .csv", name, err)
		}
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("files left behind: %v", got)
	}
}

func TestCreateChoosesByExtension(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]string{"a.xlsx": "*reports.xlsxWriter", "b.XLSX": "*reports.xlsxWriter", "c.csv": "*reports.csvWriter", "d.CSV": "*reports.csvWriter"} {
		w, err := Create(filepath.Join(dir, name), sampleHeader, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := typeName(w); got != want {
			t.Errorf("Create(%q) made a %s, want %s", name, got, want)
		}
		if err := w.Close(nil); err != nil {
			t.Fatal(err)
		}
	}
}

func typeName(w Writer) string {
	switch w.(type) {
	case *xlsxWriter:
		return "*reports.xlsxWriter"
	case *csvWriter:
		return "*reports.csvWriter"
	}
	return "?"
}

func TestCreateFailsEarlyOnUnwritablePath(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		path := filepath.Join(t.TempDir(), "missing", name)
		w, err := Create(path, sampleHeader, Options{})
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Create(%q) = %v, want a not-exist error before any row is written", path, err)
		}
		if w != nil {
			t.Errorf("Create(%q) failed but returned a non-nil Writer", path)
		}
	}
}

// The report appears under its name only once Close has succeeded; until
// then the folder holds only the report's private work directory, and no
// temporary file is left either way.
func TestAtomicWrite(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			w, err := Create(path, sampleHeader, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range sampleRows() {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			got := listDir(t, dir)
			if len(got) != 1 || !strings.HasPrefix(got[0], "."+name+".tmp-") {
				t.Fatalf("before Close the folder holds %q, want only the work directory", got)
			}
			if fi, err := os.Stat(filepath.Join(dir, got[0])); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
				t.Errorf("work directory %v, %v: want a directory only its owner can enter", fi.Mode(), err)
			}
			if err := w.Close(sampleSummary()); err != nil {
				t.Fatal(err)
			}
			want := Files(path)
			for i := range want {
				want[i] = filepath.Base(want[i])
			}
			slices.Sort(want)
			if got := listDir(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("after Close: %v, want %v", got, want)
			}
		})
	}
}

func TestCloseTwiceAndWriteAfterClose(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		t.Run(name, func(t *testing.T) {
			w, err := Create(filepath.Join(t.TempDir(), name), sampleHeader, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(nil); err != nil {
				t.Fatalf("Close(nil): %v", err)
			}
			if err := w.Close(nil); !errors.Is(err, errClosed) {
				t.Errorf("second Close = %v, want errClosed", err)
			}
			if err := w.Write(sampleRows()[0]); !errors.Is(err, errClosed) {
				t.Errorf("Write after Close = %v, want errClosed", err)
			}
		})
	}
}

func TestSummaryItems(t *testing.T) {
	tally := map[Status]int{StatusOK: 3, StatusFailed: 1}
	t.Run("caller's counts win", func(t *testing.T) {
		items := summaryItems(sampleSummary(), tally, "out.xlsx", false)
		got := map[string]any{}
		for _, it := range items {
			got[it.Item] = it.Value
		}
		want := map[string]any{
			"ok": 1, "partial": 1, "failed": 1, "invalid": 2, "skipped": 1, "valid": 1, "Total": 7,
			"Output": "out.xlsx", "Duration": "2.5s", "Rows per second": 2.8, "Dry run": "no",
			"Start": "2024-05-01T10:00:00+02:00", "Stopped early": "--max-failures 1 reached",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v (%T), want %v (%T)", k, got[k], got[k], v, v)
			}
		}
	})
	t.Run("writer's tally without counts", func(t *testing.T) {
		items := summaryItems(&Summary{DryRun: true}, tally, "out.xlsx", false)
		var order []string
		got := map[string]any{}
		for _, it := range items {
			order = append(order, it.Item)
			got[it.Item] = it.Value
		}
		wantOrder := "ok partial failed invalid skipped valid Total Provider Input Mapping Output Start End Duration Rows per second Dry run"
		if strings.Join(order, " ") != wantOrder {
			t.Errorf("items %q, want %q", order, wantOrder)
		}
		if got["ok"] != 3 || got["failed"] != 1 || got["valid"] != 0 || got["Total"] != 4 || got["Dry run"] != "yes" {
			t.Errorf("summary %v", got)
		}
	})
}

func TestCSVSidecars(t *testing.T) {
	for path, want := range map[string][2]string{
		"out.csv":             {"out.failed.csv", "out.summary.csv"},
		"dir/run.1.CSV":       {"dir/run.1.failed.CSV", "dir/run.1.summary.CSV"},
		"/tmp/a b/report.csv": {"/tmp/a b/report.failed.csv", "/tmp/a b/report.summary.csv"},
	} {
		failed, summary := CSVSidecars(path)
		if failed != want[0] || summary != want[1] {
			t.Errorf("CSVSidecars(%q) = %q, %q, want %q", path, failed, summary, want)
		}
	}
}
