//go:build unix

package mapping

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFileFieldRefusesFIFOAndSockets: a FIFO named in a file cell used to
// block the open for good, deaf to SIGTERM. Build runs in a goroutine, so
// that the test fails, rather than hanging the suite, if it ever blocks
// again; the FIFO is then opened for writing to let the goroutine go.
func TestFileFieldRefusesFIFOAndSockets(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.jpg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Through a link inside the folder, too: the check is on what the
	// name leads to.
	if err := os.Symlink("pipe.jpg", filepath.Join(dir, "link-to-pipe.jpg")); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.jpg")
	if l, err := net.Listen("unix", sock); err == nil {
		t.Cleanup(func() { l.Close() })
	} else {
		sock = ""
	}
	m := mustParse(t, "provider: test\nfields:\n  id: ID\n  photo: Photo\n")
	p, err := m.Compile([]string{"ID", "Photo"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ cell, want string }{
		{"pipe.jpg", `Photo (photo): "pipe.jpg" is a named pipe (FIFO), not a file: only regular files are read.`},
		{"link-to-pipe.jpg", `Photo (photo): "link-to-pipe.jpg" is a named pipe (FIFO), not a file`},
	}
	if sock != "" {
		cases = append(cases, struct{ cell, want string }{"s.jpg", `Photo (photo): "s.jpg" is a socket, not a file`})
	}
	for _, tc := range cases {
		done := make(chan Row, 1)
		go func() { done <- p.Build([]string{"ab12", tc.cell}) }()
		select {
		case row := <-done:
			if row.Valid() || !strings.HasPrefix(p.Message(&row), tc.want) || row.Issues[0].Column != 1 {
				t.Errorf("%s: %q, want %q", tc.cell, p.Message(&row), tc.want)
			}
		case <-time.After(30 * time.Second):
			// Unblock the open so the goroutine can end, then fail.
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Fatalf("%s: Build blocked on a FIFO", tc.cell)
		}
	}
}
