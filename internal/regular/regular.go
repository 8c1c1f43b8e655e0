// Package regular tells a regular file from the other things a path can
// name. Opening a FIFO blocks until someone writes to it, deaf to signals,
// and a device can be endless: acctimport reads and writes regular files
// only, and says what a path is instead.
package regular

import (
	"fmt"
	"io/fs"
	"os"
)

// Check reports an error naming what path is when it exists and is not a
// regular file; a path that does not exist is no error (the caller's open
// says so). Links are followed, as an open would.
func Check(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return kind(path, st.Mode())
}

// CheckNoLink is Check for a file to be written: a symbolic link there is
// refused too, since writing through it would create or change a file
// somewhere else.
func CheckNoLink(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link; give the real path", path)
	}
	return kind(path, st.Mode())
}

func kind(path string, m fs.FileMode) error {
	what := ""
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		what = "a folder"
	case m&fs.ModeNamedPipe != 0:
		what = "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		what = "a device"
	default:
		what = "not a regular file"
	}
	return fmt.Errorf("%s is %s, not a file", path, what)
}
