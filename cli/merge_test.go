package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/reports"
)

// shardReport writes the report of shard i of n of one run, holding rows
// lines (each ok unless listed in failed).
func shardReport(t *testing.T, path string, i, n int, lines []int, failed map[int]bool, provider string) {
	t.Helper()
	w, err := reports.Create(path, []string{"Account ID", "E-mail"}, reports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[reports.Status]int{}
	for _, l := range lines {
		r := &reports.Row{Line: l, Status: reports.StatusOK, Key: fmt.Sprint("A", l), HTTPStatus: 200, Attempts: 1,
			Cells: []string{fmt.Sprint("A", l), "x@example.se"}}
		if failed[l] {
			r.Status, r.HTTPStatus, r.Message = reports.StatusFailed, 409, "HTTP 409: conflict"
		}
		counts[r.Status]++
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2024, 5, 1, 10, 0, i, 0, time.UTC)
	if err := w.Close(&reports.Summary{
		Provider: provider, Input: "accounts.csv", Mapping: "payway.yaml",
		InputSum: strings.Repeat("a", 64), MappingSum: strings.Repeat("b", 64), Destination: "sandbox",
		Shard: fmt.Sprintf("%d/%d", i, n), Start: start, End: start.Add(time.Minute),
		Counts: counts, Total: len(lines),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "s0.xlsx"), filepath.Join(dir, "s1.csv"), filepath.Join(dir, "s2.xlsx")
	shardReport(t, a, 0, 3, []int{2, 5, 8}, nil, "payway")
	shardReport(t, b, 1, 3, []int{3, 6}, map[int]bool{6: true}, "payway")
	shardReport(t, c, 2, 3, []int{4, 7}, nil, "payway")
	h := newHarness(t)

	t.Run("merged", func(t *testing.T) {
		out := filepath.Join(dir, "all.xlsx")
		if code := h.run("merge", "-o", out, c, a, b); code != ExitRowsFailed {
			t.Fatalf("exit %d, want %d (a row failed)\nstdout: %s\nstderr: %s", code, ExitRowsFailed, h.stdout.String(), h.stderr.String())
		}
		for _, want := range []string{"merged 3 reports: 7 rows: ok 6, failed 1", "report: " + out} {
			if !strings.Contains(h.stdout.String(), want) {
				t.Errorf("stdout %q lacks %q", h.stdout.String(), want)
			}
		}
		results := sheet(t, out, "Results")
		var rows []string
		for _, r := range results[1:] {
			rows = append(rows, r[0])
		}
		if got := strings.Join(rows, " "); got != "2 3 4 5 6 7 8" {
			t.Errorf("Results rows %s, want input order", got)
		}
		if failed := sheet(t, out, "Failed"); len(failed) != 2 || failed[1][0] != "A6" {
			t.Errorf("Failed %q", failed)
		}
	})
	t.Run("all ok", func(t *testing.T) {
		out := filepath.Join(dir, "ok.csv")
		if code := h.run("merge", "-o", out, a, c, "--partial"); code != ExitOK {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, h.stdout.String(), h.stderr.String())
		}
		if !strings.Contains(h.stdout.String(), "partial: the report holds shards 0,2/3 only") {
			t.Errorf("stdout %q does not say the merge is partial", h.stdout.String())
		}
	})
	t.Run("refused", func(t *testing.T) {
		d := filepath.Join(dir, "other.xlsx")
		shardReport(t, d, 1, 3, []int{3, 6}, nil, "userapi")
		out := filepath.Join(dir, "refused.xlsx")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"merge", "-o", out, a, d, c}, `reports of different runs: provider "payway" and "userapi"`},
			{[]string{"merge", "-o", out, a, c}, "shards 1/3 are missing"},
			{[]string{"merge", a, b, c}, "-o OUTPUT is required"},
			{[]string{"merge", "-o", filepath.Join(dir, "s1.failed.csv"), a, b, c}, "would overwrite"},
			{[]string{"merge", "-o", filepath.Join(dir, "x.ods"), a, b, c}, ".xlsx or .csv"},
			{[]string{"merge", "-o", out}, "requires at least 1 arg"},
		} {
			if code := h.run(tc.args...); code != ExitUsage {
				t.Errorf("%v: exit %d, want %d", tc.args, code, ExitUsage)
			}
			if !strings.Contains(h.stderr.String(), tc.want) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, h.stderr.String(), tc.want)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("a refused merge wrote %s", out)
		}
	})
}
