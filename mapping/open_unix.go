//go:build unix

package mapping

import "syscall"

// openNonblock makes opening a FIFO return at once instead of waiting for a
// writer; the file is refused right after, and a regular file ignores it.
const openNonblock = syscall.O_NONBLOCK
