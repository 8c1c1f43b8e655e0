package reports

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// pendingFile is an output file written under a temporary name in the same
// directory as its final name, and renamed only once it is complete and
// synced: a crash or an error never leaves half a report under the name the
// user asked for. The same directory keeps the rename atomic (one file
// system).
type pendingFile struct {
	final string
	tmp   string
	f     *os.File
	w     *bufio.Writer
}

func createPending(final string) (*pendingFile, error) {
	tmp := final + ".tmp"
	// A stale .tmp from a crashed run is ours to overwrite.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, err
	}
	return &pendingFile{final: final, tmp: tmp, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// commit flushes, syncs and renames the file to its final name. Without the
// sync a machine crash could leave the rename on disk but not the data.
func (p *pendingFile) commit() error {
	if p.f == nil {
		return errors.New("reports: file already closed")
	}
	err := p.w.Flush()
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err == nil {
		err = os.Rename(p.tmp, p.final)
	}
	if err != nil {
		_ = os.Remove(p.tmp)
		return fmt.Errorf("writing %s: %w", p.final, err)
	}
	syncDir(filepath.Dir(p.final))
	return nil
}

// abort closes and removes the temporary file; safe to call after commit.
func (p *pendingFile) abort() {
	if p == nil || p.f == nil {
		return
	}
	_ = p.f.Close()
	p.f = nil
	_ = os.Remove(p.tmp)
}

// syncDir makes a rename durable. It is best effort: some systems cannot
// sync a directory, and the report is complete either way.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
