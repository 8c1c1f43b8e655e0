package reports

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFiles(t *testing.T) {
	for path, want := range map[string][]string{
		"out.xlsx":      {"out.xlsx"},
		"dir/run.XLSX":  {"dir/run.XLSX"},
		"out.csv":       {"out.csv", "out.failed.csv", "out.summary.csv"},
		"dir/run.1.CSV": {"dir/run.1.CSV", "dir/run.1.failed.CSV", "dir/run.1.summary.CSV"},
	} {
		if got := Files(path); !slices.Equal(got, want) {
			t.Errorf("Files(%q) = %q, want %q", path, got, want)
		}
	}
}

// Every file a report writes is one Files names, so a caller checking
// Files against the input checks them all.
func TestFilesListsWhatCloseWrites(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		writeReport(t, path, Options{}, sampleRows(), sampleSummary())
		var want []string
		for _, f := range Files(path) {
			want = append(want, filepath.Base(f))
		}
		slices.Sort(want)
		if got := listDir(t, dir); !slices.Equal(got, want) {
			t.Errorf("%s: Close wrote %q, Files says %q", name, got, want)
		}
	}
}

// The old temporary name NAME.tmp was fixed: a symlink planted there sent
// the report (and, for CSV, its companions) wherever it pointed. The work
// directory's name is unpredictable and created exclusively, so a planted
// link is never written through, and is left as it was.
func TestPlantedSymlinkNotFollowed(t *testing.T) {
	for _, name := range []string{"out.xlsx", "out.csv"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, name)
			var planted []string
			for _, f := range Files(path) {
				for _, tmp := range []string{f + ".tmp", filepath.Join(dir, "."+filepath.Base(f)+".tmp")} {
					if err := os.Symlink(victim, tmp); err != nil {
						t.Fatal(err)
					}
					planted = append(planted, tmp)
				}
			}
			writeReport(t, path, Options{}, sampleRows(), sampleSummary())
			if b, err := os.ReadFile(victim); err != nil || string(b) != "precious" {
				t.Errorf("the symlinks' target now holds %q (%v)", b, err)
			}
			for _, p := range planted {
				if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					t.Errorf("%s was replaced", p)
				}
			}
		})
	}
}

// RemoveTempFiles, for a process that exits without closing its reports
// (a third interrupt), takes away the work directories of every open report.
func TestRemoveTempFiles(t *testing.T) {
	dir := t.TempDir()
	var ws []Writer
	for _, name := range []string{"a.xlsx", "b.csv"} {
		w, err := Create(filepath.Join(dir, name), sampleHeader, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range sampleRows() {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		ws = append(ws, w)
	}
	if n := len(listDir(t, dir)); n != 2 {
		t.Fatalf("%d entries while writing, want 2 work directories", n)
	}
	RemoveTempFiles()
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("left after RemoveTempFiles: %v", got)
	}
	for _, w := range ws {
		if err := w.Close(nil); err == nil {
			t.Error("Close of a report whose files were removed succeeded")
		}
	}
	if got := listDir(t, dir); len(got) != 0 {
		t.Errorf("left after Close: %v", got)
	}
}
