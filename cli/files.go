package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/acctimport/acctimport/importer"
	"github.com/acctimport/acctimport/internal/printable"
	"github.com/acctimport/acctimport/reports"
)

// checkFiles refuses a run whose outputs would overwrite its input, its
// mapping or each other: `-i x.summary.csv -o x.csv` would write the CSV
// report's summary over the input, and a Failed sheet fed back as
// `-i accounts.failed.csv -o accounts.csv` would have its own fixes
// overwritten by the new Failed rows. Empty names are not written.
func checkFiles(input, mapping, output, journal, summaryJSON string) error {
	type named struct{ flag, path string }
	outs := []named{}
	for _, f := range reports.Files(output) {
		outs = append(outs, named{"the report (--output)", f})
	}
	outs = append(outs, named{"the journal (--journal)", journal}, named{"--summary-json", summaryJSON})
	ins := []named{{"the input (--input)", input}, {"the mapping (--mapping)", mapping}}
	for i, o := range outs {
		if o.path == "" {
			continue
		}
		for _, in := range ins {
			if samePath(o.path, in.path) {
				return fmt.Errorf("%s would write %s, which is %s; choose another name", o.flag, o.path, in.flag)
			}
		}
		for _, other := range outs[:i] {
			if other.path != "" && samePath(o.path, other.path) {
				return fmt.Errorf("%s and %s would both write %s; choose other names", other.flag, o.flag, o.path)
			}
		}
	}
	return nil
}

// checkWritable makes sure a file can be written at path before anything is
// sent, so that a run does not send every row and then fail on it: a file
// is made and removed in its folder.
func checkWritable(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".acctimport-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// samePath reports whether a and b name one file: the same cleaned absolute
// path, or, when both exist, the same file by its identity (a link, another
// spelling of the folder, a case-insensitive file system).
func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	if errA == nil && errB == nil && aa == bb {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// displayURL is a base URL as a journal and a message may show it: no user
// information, no query (some APIs keep their key there), no fragment.
func displayURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment, c.RawFragment = nil, "", "", ""
	return strings.TrimSuffix(c.String(), "/")
}

// resumeCommand is the command line that goes on with an interrupted or
// stopped run: the same arguments with --resume.
func resumeCommand(args []string) string {
	var b strings.Builder
	b.WriteString("acctimport")
	resume := false
	for _, a := range args {
		if a == "--resume" || a == "--resume=true" {
			resume = true
		}
		b.WriteByte(' ')
		b.WriteString(shellQuote(a))
	}
	if !resume {
		b.WriteString(" --resume")
	}
	return b.String()
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printJournalNotes tells what a resumed run made of its journal.
func (e *env) printJournalNotes(j *importer.Journal, res *importer.Result) {
	if n := j.Unmatched(); j.Resuming() && n > 0 {
		fmt.Fprintf(e.stdout, "journal: %s it records as applied matched no row of this run (the mapping or the input changed since, or the run did not reach them); rows with a changed payload were sent\n", rowsWord(n))
	}
	if res != nil && res.Unjournaled > 0 {
		fmt.Fprintf(e.stdout, "journal: %s sent but not recorded in %s; the report marks them, and a --resume would send them again\n", rowsWord(res.Unjournaled), printable.String(j.Path()))
	}
}
