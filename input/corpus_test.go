package input

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCase is what testdata/corpus/NAME.json says NAME must read as; see
// testdata/corpus/make.py, which wrote both. The expected cells come from
// Python's csv module (CSV) and openpyxl (XLSX), through the rules the reader
// documents: one row per record, blank lines too; blank rows skipped; header
// names trimmed; cells fitted to the header, a ragged row invalid; a line
// break inside a quoted cell as LF; the CSV-injection escape undone. Where
// the reader departs from Python on purpose (a quote that is not closed as
// RFC 4180 says costs its own row, where Python reads on to the end of the
// file or drops the quotes), make.py wrote the expectation by hand.
type corpusCase struct {
	Options struct {
		Encoding string `json:"encoding"`
	} `json:"options"`
	Header  []string    `json:"header"`
	Rows    []corpusRow `json:"rows"`
	Tail    bool        `json:"tail"`    // Rows are the file's last ones
	Error   string      `json:"error"`   // a *FileError that says this
	Damaged bool        `json:"damaged"` // ... and wraps ErrDamaged
	With    *corpusCase `json:"with"`    // read with Options.Encoding after Error
}

type corpusRow struct {
	Line  int      `json:"line"`
	Cells []string `json:"cells"`
	Kinds []string `json:"kinds"`
	Err   string   `json:"err"`
}

// TestCorpus reads every file of testdata/corpus and compares what it reads
// with what it must (see corpusCase).
func TestCorpus(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	if err != nil || len(specs) < 20 {
		t.Fatalf("corpus: %d files, %v", len(specs), err)
	}
	for _, spec := range specs {
		p := strings.TrimSuffix(spec, ".json")
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(spec)
			must(t, err)
			var c corpusCase
			must(t, json.Unmarshal(b, &c))
			if c.Error != "" {
				_, err := Open(p, Options{})
				checkFileError(t, err, p, c.Error)
				if c.Damaged && !errors.Is(err, ErrDamaged) {
					t.Errorf("errors.Is(err, ErrDamaged) = false: %v", err)
				}
				if c.With == nil {
					return
				}
				c.With.Options = c.Options
				c = *c.With
			}
			r, recs, err := readAll(t, p, Options{Encoding: c.Options.Encoding})
			if err != nil {
				t.Fatal(err)
			}
			if !equal(r.Header(), c.Header) {
				t.Errorf("header %q, want %q", r.Header(), c.Header)
			}
			if c.Tail && len(recs) > len(c.Rows) {
				recs = recs[len(recs)-len(c.Rows):]
			}
			want := make([]row, len(c.Rows))
			for i, cr := range c.Rows {
				want[i] = row{cr.Line, cr.Cells, cr.Err}
			}
			checkRows(t, recs, want)
			for i, rec := range recs {
				if i >= len(c.Rows) {
					break
				}
				var got []string
				for _, k := range rec.Kinds {
					got = append(got, k.String())
				}
				if !equal(got, c.Rows[i].Kinds) {
					t.Errorf("row %d: kinds %q, want %q", rec.Line, got, c.Rows[i].Kinds)
				}
			}
		})
	}
}
