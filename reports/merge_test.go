package reports

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/internal/cell"
)

var mergeHeader = []string{"Account ID", "E-mail", "Born", "Amount", "Status", "Note"}

// runRows are the rows of one run of a file: every status, typed cells,
// issues with and without a rule, long messages, formula-looking text.
func runRows(n int) []*Row {
	rows := make([]*Row, n)
	for i := range rows {
		line := i + 2
		if i > n/2 {
			line += 3 // rows a reader skipped (blank) leave gaps
		}
		key := fmt.Sprintf("ACC%03d", i%(n/3)) // accounts repeat
		r := &Row{Line: line, Key: key, Status: StatusOK, HTTPStatus: 200, Attempts: 1,
			Payload: `{"id":"` + key + `"}`,
			Cells:   []string{key, fmt.Sprintf("user%d@example.se", i), fmt.Sprintf("19%02d-0%d-1%d", 50+i%40, 1+i%9, i%10), strconv.Itoa(i*7) + ".5", "active", ""},
			Kinds:   []cell.Kind{cell.Text, cell.Text, cell.Date, cell.Number},
		}
		switch i % 7 {
		case 1:
			r.Status, r.HTTPStatus, r.Attempts = StatusInvalid, 0, 0
			r.Message = "E-mail: email must match ^[a-z]+$; Born: birth_date is required"
			r.Issues = []Issue{{Column: 1, Rule: "email must match ^[a-z]+$"}, {Column: 2, Rule: "birth_date is required"}}
		case 2:
			r.Status, r.HTTPStatus, r.Attempts, r.Message = StatusFailed, 409, 1, ""
		case 3:
			r.Status, r.HTTPStatus, r.Message = StatusPartial, 207, "not updated: tags"
		case 4:
			r.Status, r.HTTPStatus, r.Attempts, r.Message = StatusSkipped, 0, 0, "already applied by an earlier run (journal)"
		case 5:
			r.Status, r.HTTPStatus, r.Attempts = StatusFailed, 500, 6
			r.Message = "-HTTP 500: " + strings.Repeat("the server said something long ", 6)
			r.Cells[5] = "=HYPERLINK(\"x\")\nsecond line"
		case 6:
			r.Status, r.HTTPStatus, r.Attempts = StatusInvalid, 0, 0
			r.Message = "Amount: highlighted without a comment"
			r.Issues = []Issue{{Column: 3}}
		}
		rows[i] = r
	}
	return rows
}

var runStart = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func runSummary(rows []*Row, shard string, start, end time.Time) *Summary {
	s := &Summary{
		Provider: "payway", Input: "accounts.xlsx", Mapping: "payway.yaml",
		InputSum:    strings.Repeat("ab", 32),
		MappingSum:  strings.Repeat("cd", 32),
		Destination: "https://backend.worldoftulo.com",
		Shard:       shard, Start: start, End: end, Counts: map[Status]int{},
		Advice: []string{"Born: check the format"},
	}
	for _, r := range rows {
		s.Counts[r.Status]++
		s.Total++
	}
	return s
}

// shardReports writes the rows of an unsharded run at whole and the same
// rows split n ways (by account, as --shard does) at shard-I.EXT, each with
// its own span within the whole run's; it returns the shards' paths.
func shardReports(t *testing.T, dir, whole string, exts []string, n int, opts Options) []string {
	t.Helper()
	rows := runRows(60)
	end := runStart.Add(time.Duration(n) * time.Minute)
	writeReportHeader(t, whole, mergeHeader, opts, rows, runSummary(rows, "", runStart, end))
	var paths []string
	for i := range n {
		var part []*Row
		for _, r := range rows {
			k, _ := strconv.Atoi(strings.TrimPrefix(r.Key, "ACC"))
			if k%n == i {
				part = append(part, r)
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("shard-%d%s", i, exts[i%len(exts)]))
		start := runStart.Add(time.Duration(i) * time.Second)
		stop := end.Add(-time.Duration(i) * time.Second)
		writeReportHeader(t, p, mergeHeader, opts, part, runSummary(part, fmt.Sprintf("%d/%d", i, n), start, stop))
		paths = append(paths, p)
	}
	// Given in no particular order.
	slices.Reverse(paths)
	return paths
}

// dumpSheet renders everything a reader sees of a sheet's cells: value,
// type, number format, fill, wrap, row height and comment.
func dumpSheet(t *testing.T, f *excelize.File, sheet string, formatted bool) string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: !formatted})
	if err != nil {
		t.Fatal(err)
	}
	comments, _ := f.GetComments(sheet)
	notes := map[string]string{}
	for _, c := range comments {
		s := c.Text
		for _, p := range c.Paragraph {
			s += p.Text
		}
		notes[c.Cell] = s
	}
	var b strings.Builder
	for r, row := range rows {
		h, _ := f.GetRowHeight(sheet, r+1)
		fmt.Fprintf(&b, "row %d height %v\n", r+1, h)
		for c, v := range row {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			fmt.Fprintf(&b, "  %s %q", ref, v)
			if !formatted {
				typ, _ := f.GetCellType(sheet, ref)
				id, _ := f.GetCellStyle(sheet, ref)
				st, _ := f.GetStyle(id)
				format := ""
				if st.CustomNumFmt != nil {
					format = *st.CustomNumFmt
				}
				wrap := st.Alignment != nil && st.Alignment.WrapText
				fmt.Fprintf(&b, " type=%v format=%q fill=%v wrap=%v", typ, format, st.Fill.Color, wrap)
			}
			if n, ok := notes[ref]; ok {
				fmt.Fprintf(&b, " comment=%q", n)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// summaryMap reads a report's Summary back, as Merge does.
func summaryMap(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	if strings.HasSuffix(path, ".csv") {
		_, sp := CSVSidecars(path)
		for _, rec := range readCSV(t, sp)[1:] {
			m[rec[0]] += rec[1] + "|"
		}
		return m
	}
	rows, err := openXLSX(t, path).GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		m[r[0]] += r[1] + "|"
	}
	return m
}

func diffLines(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(la), len(lb))
}

// The merge of a run's shard reports is the report one unsharded run of the
// same file writes: every cell of Results and Failed alike (values, types,
// formats, fills, comments, row heights), and the Summary's counts and
// facts over the run's span. Only Output differs.
func TestMergeEqualsUnsharded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		exts     []string
		out      string
		opts     Options
		comments int // maxComments, when not the default
	}{
		{"xlsx", []string{".xlsx"}, ".xlsx", Options{}, 0},
		// Past the cap the cells are highlighted without a comment, and the
		// first comments of the merged order are each within its shard's
		// first ones, so the merge still has them all.
		{"xlsx past the comment cap", []string{".xlsx"}, ".xlsx", Options{}, 5},
		{"xlsx with payloads", []string{".xlsx"}, ".xlsx", Options{Payloads: true}, 0},
		{"csv", []string{".csv"}, ".csv", Options{Payloads: true}, 0},
		{"xlsx into csv", []string{".xlsx"}, ".csv", Options{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.comments > 0 {
				old := maxComments
				maxComments = tc.comments
				t.Cleanup(func() { maxComments = old })
			}
			dir := t.TempDir()
			whole := filepath.Join(dir, "whole"+tc.out)
			shards := shardReports(t, dir, whole, tc.exts, 3, tc.opts)
			out := filepath.Join(dir, "merged"+tc.out)
			sum, err := Merge(context.Background(), out, shards, MergeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Shard != "" || sum.Total != 60 || sum.Counts[StatusOK] == 0 {
				t.Errorf("merged summary %+v", sum)
			}
			if tc.out == ".xlsx" {
				fw, fm := openXLSX(t, whole), openXLSX(t, out)
				for _, sheet := range []string{"Results", "Failed"} {
					w, m := dumpSheet(t, fw, sheet, false), dumpSheet(t, fm, sheet, false)
					if w != m {
						t.Errorf("%s differs: %s", sheet, diffLines(m, w))
					}
				}
			} else {
				for i, f := range Files(whole)[:2] {
					w, _ := os.ReadFile(f)
					m, _ := os.ReadFile(Files(out)[i])
					if string(w) != string(m) {
						t.Errorf("%s differs: %s", filepath.Base(f), diffLines(string(m), string(w)))
					}
				}
			}
			ws, ms := summaryMap(t, whole), summaryMap(t, out)
			delete(ws, itemOutput)
			delete(ms, itemOutput)
			if fmt.Sprint(ws) != fmt.Sprint(ms) {
				t.Errorf("Summary %v, want %v", ms, ws)
			}
		})
	}
}

// Reports of one run may come in both formats; the CSV shards' cells come
// back as text (a CSV has no types), so the merge equals the unsharded run
// in what a spreadsheet shows.
func TestMergeMixedFormats(t *testing.T) {
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.xlsx")
	shards := shardReports(t, dir, whole, []string{".csv", ".xlsx"}, 4, Options{})
	out := filepath.Join(dir, "merged.xlsx")
	if _, err := Merge(context.Background(), out, shards, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	fw, fm := openXLSX(t, whole), openXLSX(t, out)
	for _, sheet := range []string{"Results", "Failed"} {
		w, m := dumpSheet(t, fw, sheet, true), dumpSheet(t, fm, sheet, true)
		// Comments come only from the workbook shards.
		strip := func(s string) string {
			var out []string
			for l := range strings.SplitSeq(s, "\n") {
				if i := strings.Index(l, " comment="); i >= 0 {
					l = l[:i]
				}
				out = append(out, l)
			}
			return strings.Join(out, "\n")
		}
		if strip(w) != strip(m) {
			t.Errorf("%s differs: %s", sheet, diffLines(strip(m), strip(w)))
		}
	}
}

// Merge refuses what is not one run's shards, naming the difference, and
// writes nothing.
func TestMergeRefuses(t *testing.T) {
	rows := runRows(30)
	type report struct {
		name    string
		rows    []*Row
		header  []string
		opts    Options
		summary func(*Summary)
	}
	even := func(keep bool) []*Row {
		var out []*Row
		for i, r := range rows {
			if (i%2 == 0) == keep {
				out = append(out, r)
			}
		}
		return out
	}
	shard := func(name string, i int, change func(*Summary)) report {
		return report{name: name, rows: even(i == 0), summary: func(s *Summary) {
			s.Shard = fmt.Sprintf("%d/2", i)
			if change != nil {
				change(s)
			}
		}}
	}
	for _, tc := range []struct {
		name    string
		reports []report
		partial bool
		want    string
	}{
		{"another input", []report{shard("a.xlsx", 0, nil), shard("b.xlsx", 1, func(s *Summary) { s.InputSum = strings.Repeat("ef", 32) })},
			false, `different runs: input (SHA-256) "abababababab…" and "efefefefefef…"`},
		{"another mapping", []report{shard("a.xlsx", 0, nil), shard("b.csv", 1, func(s *Summary) { s.MappingSum = "0" })},
			false, `mapping (SHA-256) "cdcdcdcdcdcd…" and "0"`},
		{"another provider", []report{shard("a.xlsx", 0, nil), shard("b.xlsx", 1, func(s *Summary) { s.Provider = "userapi" })},
			false, `provider "payway" and "userapi"`},
		{"another destination", []report{shard("a.xlsx", 0, nil), shard("b.xlsx", 1, func(s *Summary) { s.Destination = "sandbox" })},
			false, `destination "https://backend.worldoftulo.com" and "sandbox"`},
		{"a dry run", []report{shard("a.xlsx", 0, nil), shard("b.xlsx", 1, func(s *Summary) { s.DryRun = true })},
			false, `dry run "no" and "yes"`},
		{"another header", []report{shard("a.xlsx", 0, nil), {name: "b.xlsx", rows: even(false), header: []string{"Account ID", "Mail"}, summary: func(s *Summary) { s.Shard = "1/2" }}},
			false, `input column 2 is "E-mail" in one and "Mail" in the other`},
		{"payloads in one", []report{shard("a.xlsx", 0, nil), {name: "b.xlsx", rows: even(false), opts: Options{Payloads: true}, summary: func(s *Summary) { s.Shard = "1/2" }}},
			false, `Payload column "no" and "yes"`},
		{"one shard twice", []report{shard("a.xlsx", 0, nil), shard("b.xlsx", 0, nil)},
			false, "a.xlsx and ", /* b.xlsx both hold shard 0/2 */
		},
		{"a missing shard", []report{shard("a.xlsx", 0, func(s *Summary) { s.Shard = "0/3" }), shard("b.xlsx", 1, func(s *Summary) { s.Shard = "1/3" })},
			false, "shards 2/3 are missing: give their reports too, or --partial"},
		{"different splits", []report{shard("a.xlsx", 0, nil), shard("b.xlsx", 1, func(s *Summary) { s.Shard = "1/3" })},
			false, "reports of different --shard splits"},
		{"a whole run", []report{shard("a.xlsx", 0, func(s *Summary) { s.Shard = "" }), shard("b.xlsx", 1, nil)},
			false, "is the report of a whole run (no --shard)"},
		{"overlapping rows", []report{{name: "a.xlsx", rows: rows[:20], summary: func(s *Summary) { s.Shard = "0/2" }}, {name: "b.csv", rows: rows[10:], summary: func(s *Summary) { s.Shard = "1/2" }}},
			false, "row 12 is in both"},
		{"a bad shard", []report{shard("a.xlsx", 0, func(s *Summary) { s.Shard = "2/2" }), shard("b.xlsx", 1, nil)},
			false, `shard "2/2" is not I/N with I from 0 to N-1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for _, r := range tc.reports {
				p := filepath.Join(dir, r.name)
				h := mergeHeader
				if r.header != nil {
					h = r.header
				}
				s := runSummary(r.rows, "", runStart, runStart.Add(time.Minute))
				r.summary(s)
				writeReportHeader(t, p, h, r.opts, r.rows, s)
				paths = append(paths, p)
			}
			before := listDir(t, dir)
			out := filepath.Join(dir, "merged.xlsx")
			_, err := Merge(context.Background(), out, paths, MergeOptions{Partial: tc.partial})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Merge = %v, want an error containing %q", err, tc.want)
			}
			if got := listDir(t, dir); !slices.Equal(got, before) {
				t.Errorf("the folder holds %q after a refused merge, want %q", got, before)
			}
		})
	}
}

// A missing shard merges with --partial; the Summary then says which
// shards the report holds.
func TestMergePartial(t *testing.T) {
	dir := t.TempDir()
	shards := shardReports(t, dir, filepath.Join(dir, "whole.xlsx"), []string{".xlsx"}, 3, Options{})
	var two []string
	for _, p := range shards {
		if !strings.Contains(p, "shard-1") {
			two = append(two, p)
		}
	}
	out := filepath.Join(dir, "merged.csv")
	if _, err := Merge(context.Background(), out, two, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "shards 1/3 are missing") {
		t.Fatalf("without --partial: %v", err)
	}
	sum, err := Merge(context.Background(), out, two, MergeOptions{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Shard != "0,2/3" {
		t.Errorf("Shard %q, want 0,2/3", sum.Shard)
	}
	if got := summaryMap(t, out)[itemShard]; got != "0,2/3|" {
		t.Errorf("Summary shard %q", got)
	}
	// A partial merge merges again with the shard it lacked.
	whole := filepath.Join(dir, "all.xlsx")
	var one string
	for _, p := range shards {
		if strings.Contains(p, "shard-1") {
			one = p
		}
	}
	sum, err = Merge(context.Background(), whole, []string{out, one}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Shard != "" || sum.Total != 60 {
		t.Errorf("merged again: %+v", sum)
	}
}

// The output may not be one of the reports, nor one of a CSV report's
// companions, nor may a report be given twice; nothing is touched.
func TestMergeOutputPaths(t *testing.T) {
	dir := t.TempDir()
	shards := shardReports(t, dir, filepath.Join(dir, "whole.csv"), []string{".csv", ".xlsx"}, 2, Options{})
	csvShard := shards[1] // shard-0.csv (reversed)
	if !strings.HasSuffix(csvShard, ".csv") {
		t.Fatalf("bad test: %v", shards)
	}
	failed, summary := CSVSidecars(csvShard)
	base := strings.TrimSuffix(csvShard, ".csv")
	for _, tc := range []struct {
		out  string
		in   []string
		want string
	}{
		{csvShard, shards, "would overwrite"},
		{shards[0], shards, "would overwrite"},
		{base + ".failed.csv", shards, "would overwrite " + failed},
		{strings.TrimSuffix(summary, ".summary.csv") + ".csv", shards, "would overwrite"},
		{filepath.Join(dir, "x.xlsx"), []string{shards[0], filepath.Join(dir, ".", filepath.Base(shards[0]))}, "is given twice"},
	} {
		before := map[string]string{}
		for _, n := range listDir(t, dir) {
			b, _ := os.ReadFile(filepath.Join(dir, n))
			before[n] = string(b)
		}
		_, err := Merge(context.Background(), tc.out, tc.in, MergeOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Merge(-o %s) = %v, want %q", filepath.Base(tc.out), err, tc.want)
		}
		for _, n := range listDir(t, dir) {
			b, _ := os.ReadFile(filepath.Join(dir, n))
			if before[n] != string(b) {
				t.Errorf("Merge(-o %s) changed %s", filepath.Base(tc.out), n)
			}
		}
	}
}

// A report edited by hand is input like any other: the merge fails with the
// file, the sheet and the row, and writes nothing.
func TestMergeHandEdited(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, path string)
		ext  string
		want string
	}{
		{"status", func(t *testing.T, p string) { setCell(t, p, "Results", "B3", "done") }, ".xlsx",
			`sheet Results, row 3: Status is "done", not one of ok, partial, failed, invalid, skipped, valid`},
		{"row number", func(t *testing.T, p string) { setCell(t, p, "Results", "A4", "four") }, ".xlsx",
			`sheet Results, row 4: Row is "four", not a row number`},
		{"sorted by hand", func(t *testing.T, p string) { setCell(t, p, "Results", "A4", "1") }, ".xlsx",
			"Results row 1 comes after row 4: the rows are not in input order"},
		{"attempts", func(t *testing.T, p string) { setCell(t, p, "Results", "E2", "-1") }, ".xlsx",
			`sheet Results, row 2: Attempts is "-1", not a number from 0`},
		{"header", func(t *testing.T, p string) { setCell(t, p, "Results", "C1", "Account") }, ".xlsx",
			`sheet Results, row 1: column C is "Account", not "Key"`},
		{"summary count", func(t *testing.T, p string) { setCell(t, p, "Summary", "B2", "many") }, ".xlsx",
			`sheet Summary, row 2: ok is "many", not a count`},
		{"summary start", func(t *testing.T, p string) { setCell(t, p, "Summary", "B13", "yesterday") }, ".xlsx",
			`sheet Summary, row 13: Start is "yesterday", not a time`},
		{"no summary", func(t *testing.T, p string) { deleteSheet(t, p, "Summary") }, ".xlsx",
			"no Summary sheet: not an acctimport report"},
		{"csv status", func(t *testing.T, p string) { editCSV(t, p, ",ok,", ",OK,") }, ".csv",
			`, row 2: Status is "OK"`},
		{"csv quote", func(t *testing.T, p string) { editCSV(t, p, "\n2,", "\n\"2,") }, ".csv",
			`, row 2: extraneous or missing " in quoted-field`},
		{"csv summary", func(t *testing.T, p string) { _, s := CSVSidecars(p); editCSV(t, s, "Total,", "Totals,") }, ".csv",
			"not the Summary of an acctimport report"},
		{"csv no summary", func(t *testing.T, p string) { _, s := CSVSidecars(p); _ = os.Remove(s) }, ".csv",
			"the Summary of a CSV report"},
		{"not a workbook", func(t *testing.T, p string) { _ = os.WriteFile(p, []byte("Row,Status\n"), 0o644) }, ".xlsx",
			"not a readable workbook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			shards := shardReports(t, dir, filepath.Join(dir, "whole"+tc.ext), []string{tc.ext}, 2, Options{})
			tc.edit(t, shards[1]) // shard-0
			before := listDir(t, dir)
			_, err := Merge(context.Background(), filepath.Join(dir, "merged.xlsx"), shards, MergeOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "shard-0") {
				t.Fatalf("Merge = %v, want an error naming shard-0 and %q", err, tc.want)
			}
			if got := listDir(t, dir); !slices.Equal(got, before) {
				t.Errorf("left behind: %q, had %q", got, before)
			}
		})
	}
}

func setCell(t *testing.T, path, sheet, ref, v string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.SetCellStr(sheet, ref, v); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

func deleteSheet(t *testing.T, path, sheet string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.DeleteSheet(sheet); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
}

func editCSV(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), old, new, 1)
	if s == string(b) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A cancelled merge stops and leaves nothing.
func TestMergeCancelled(t *testing.T) {
	dir := t.TempDir()
	shards := shardReports(t, dir, filepath.Join(dir, "whole.xlsx"), []string{".xlsx"}, 2, Options{})
	before := listDir(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Merge(ctx, filepath.Join(dir, "merged.xlsx"), shards, MergeOptions{}); err != context.Canceled {
		t.Fatalf("Merge = %v, want context.Canceled", err)
	}
	if got := listDir(t, dir); !slices.Equal(got, before) {
		t.Errorf("left behind: %q", got)
	}
}
