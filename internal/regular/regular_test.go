package regular

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.csv")
	fifo := filepath.Join(dir, "fifo.csv")
	link := filepath.Join(dir, "link.csv")
	dangling := filepath.Join(dir, "dangling.journal")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path        string
		check, nolk string // "" for no error, else a part of it
	}{
		{file, "", ""},
		{filepath.Join(dir, "missing"), "", ""},
		{fifo, "a FIFO", "a FIFO"},
		{dir, "a folder", "a folder"},
		{"/dev/null", "a device", "a device"},
		{link, "", "symbolic link"},
		{dangling, "", "symbolic link"},
	} {
		for _, c := range []struct {
			f    func(string) error
			want string
		}{{Check, tc.check}, {CheckNoLink, tc.nolk}} {
			err := c.f(tc.path)
			if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: %v, want %q", tc.path, err, c.want)
			}
		}
	}
}
