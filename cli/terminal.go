package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

func stderrIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
