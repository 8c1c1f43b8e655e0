package reports

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// workDir is a report's private directory for everything it writes before
// the report is complete: the pending output files and excelize's spill
// files. It is made with os.MkdirTemp in the output's own folder, so its
// name cannot be guessed, it is created exclusively (a planted file or
// symlink of that name makes MkdirTemp pick another name), only its owner
// can enter it (0700: the spill files hold row data), and a rename out of it
// stays on one file system, hence atomic. Nothing lands in the shared
// temporary folder, and one RemoveAll cleans up whatever was left.
//
// github.com/google/renameio/v2 was considered for the atomic replace and
// not used: it does not build on Windows (its temp-file code is
// //go:build !windows, and acctimport builds there), and without WithTempDir
// it probes the shared os.TempDir(); inside a private directory the
// remaining work is a sync and a rename.
type workDir struct {
	path string
	once sync.Once
}

// newWorkDir makes the private directory beside final, named after it so a
// leftover of a killed run says what it belonged to.
func newWorkDir(final string) (*workDir, error) {
	p, err := os.MkdirTemp(filepath.Dir(final), "."+filepath.Base(final)+".tmp-")
	if err != nil {
		return nil, err
	}
	d := &workDir{path: p}
	live.add(d)
	return d, nil
}

// remove deletes the directory and everything in it; safe to call twice and
// from another goroutine (RemoveTempFiles).
func (d *workDir) remove() {
	if d == nil {
		return
	}
	d.once.Do(func() {
		_ = os.RemoveAll(d.path)
		live.del(d)
	})
}

// live holds the work directories of the reports not yet closed, for
// RemoveTempFiles.
var live = &workDirs{m: map[*workDir]struct{}{}}

type workDirs struct {
	mu sync.Mutex
	m  map[*workDir]struct{}
}

func (l *workDirs) add(d *workDir) {
	l.mu.Lock()
	l.m[d] = struct{}{}
	l.mu.Unlock()
}

func (l *workDirs) del(d *workDir) {
	l.mu.Lock()
	delete(l.m, d)
	l.mu.Unlock()
}

// RemoveTempFiles deletes the temporary files of every report that is still
// open, abandoning those reports (their writers then fail). It is for a
// process that must exit without closing its reports, such as on a third
// interrupt: call it just before os.Exit. Close removes a report's
// temporary files in every other case.
func RemoveTempFiles() {
	live.mu.Lock()
	ds := make([]*workDir, 0, len(live.m))
	for d := range live.m {
		ds = append(ds, d)
	}
	live.mu.Unlock()
	for _, d := range ds {
		d.remove()
	}
}

// pendingFile is an output file written inside a workDir and renamed to its
// final name only once it is complete and synced: a crash or an error never
// leaves half a report under the name the user asked for.
type pendingFile struct {
	final string
	tmp   string
	f     *os.File
	w     *bufio.Writer
}

func (d *workDir) createPending(final string) (*pendingFile, error) {
	tmp := filepath.Join(d.path, filepath.Base(final))
	// O_EXCL: the directory is new and private, so the name is free; if it
	// is not, something is wrong and nothing is overwritten.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
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
