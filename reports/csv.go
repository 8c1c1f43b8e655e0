package reports

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"

	"github.com/gocarina/gocsv"

	"github.com/acctimport/acctimport/internal/csvsafe"
)

// The CSV files start with a UTF-8 byte order mark: without it Excel reads a
// CSV in the machine's ANSI code page and mangles every accented name. The
// input reader accepts the BOM, so a Failed CSV can be fed back as it is.
const utf8BOM = "\ufeff"

// Lines end in LF, not CRLF: encoding/csv's CRLF mode also rewrites the line
// breaks inside quoted cells (it drops a lone CR), and the Failed rows must
// keep their cells exactly as read. Excel and LibreOffice read LF files.
const csvCRLF = false

var errClosed = errors.New("reports: report already closed")

// csvWriter writes Results to path and the Failed rows and Summary beside it.
type csvWriter struct {
	path        string
	summaryPath string
	header      []string
	opts        Options
	layout      *failedLayout

	dir                   *workDir
	results, failed       *pendingFile
	resultsCSV, failedCSV *csv.Writer
	record, failedRecord  []string // reused for every line
	settle                settling

	tally  map[Status]int
	err    error // the first write error; the report is then abandoned
	closed bool
}

func createCSV(path string, header []string, opts Options) (*csvWriter, error) {
	failedPath, summaryPath := CSVSidecars(path)
	w := &csvWriter{
		path:        path,
		summaryPath: summaryPath,
		header:      header,
		opts:        opts,
		layout:      newFailedLayout(header),
		tally:       make(map[Status]int, len(Statuses)),
	}
	var err error
	if w.dir, err = newWorkDir(path); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if w.results, err = w.dir.createPending(path); err != nil {
		w.abort()
		return nil, fmt.Errorf("report: %w", err)
	}
	if w.failed, err = w.dir.createPending(failedPath); err != nil {
		w.abort()
		return nil, fmt.Errorf("report: %w", err)
	}
	w.resultsCSV = newCSVWriter(w.results)
	w.failedCSV = newCSVWriter(w.failed)

	hdr := resultsHeader(header, opts)
	w.record = make([]string, 0, len(hdr))
	if err := w.resultsCSV.Write(escapeAll(hdr)); err != nil {
		w.abort()
		return nil, fmt.Errorf("report %s: %w", path, err)
	}
	if err := w.failedCSV.Write(escapeAll(w.layout.header)); err != nil {
		w.abort()
		return nil, fmt.Errorf("report %s: %w", failedPath, err)
	}
	return w, nil
}

func newCSVWriter(p *pendingFile) *csv.Writer {
	_, _ = p.w.WriteString(utf8BOM) // a bufio error sticks and surfaces on the next write
	cw := csv.NewWriter(p.w)
	cw.UseCRLF = csvCRLF
	return cw
}

// escapeAll returns cells cleaned and escaped for CSV. It copies only when
// a cell changes (never touching the caller's slice), so the common row
// costs no allocation.
func escapeAll(cells []string) []string {
	out := cells
	copied := false
	for i, c := range cells {
		if e := escape(c); e != c {
			if !copied {
				out = append([]string(nil), cells...)
				copied = true
			}
			out[i] = e
		}
	}
	return out
}

// escape is a text cell as the CSV holds it: cleaned of what a UTF-8 text
// file must not hold, then guarded against formula injection.
func escape(s string) string { return csvsafe.Escape(cleanText(s)) }

func (w *csvWriter) Write(r *Row) error {
	if w.closed {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	w.tally[r.Status]++
	cells := padCells(r.Cells, len(w.header))

	rec := w.record[:0]
	rec = append(rec,
		strconv.Itoa(r.Line),
		escape(string(r.Status)),
		escape(r.Key),
		blankZero(r.HTTPStatus),
		blankZero(r.Attempts),
		escape(r.Message),
	)
	if w.opts.Payloads {
		rec = append(rec, escape(r.Payload))
	}
	for _, c := range cells {
		rec = append(rec, escape(c))
	}
	w.record = rec
	if err := w.resultsCSV.Write(rec); err != nil {
		w.err = fmt.Errorf("report %s: row %d: %w", w.path, r.Line, err)
		return w.err
	}
	if fix, why := w.settle.place(r); fix {
		if err := w.failedCSV.Write(w.failedLine(r, why, rec[len(rec)-len(cells):])); err != nil {
			w.err = fmt.Errorf("report %s: row %d: %w", w.failed.final, r.Line, err)
			return w.err
		}
	}
	return nil
}

// failedLine lays out a Failed line from the row's escaped cells.
func (w *csvWriter) failedLine(r *Row, why string, escaped []string) []string {
	l := w.layout
	rec := w.failedRecord[:0]
	for _, i := range l.keep {
		rec = append(rec, escaped[i])
	}
	rec = append(rec, escape(why), strconv.Itoa(l.originalRow(r)))
	rec = append(rec, escaped[len(w.header):]...)
	w.failedRecord = rec
	return rec
}

func blankZero(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// summaryLine is one line of NAME.summary.csv: a fixed two-column layout
// (item,value) that stays readable as a table and easy to parse, whatever
// items later versions add.
type summaryLine struct {
	Item  string `csv:"item"`
	Value string `csv:"value"`
}

// discard abandons the report, leaving whatever was at its path alone.
func (w *csvWriter) discard() {
	if !w.closed {
		w.closed = true
		w.abort()
	}
}

func (w *csvWriter) Close(s *Summary) error {
	if w.closed {
		return errClosed
	}
	w.closed = true
	if w.err != nil {
		w.abort()
		return fmt.Errorf("report %s not written: %w", w.path, w.err)
	}
	if err := w.finish(s); err != nil {
		w.abort()
		return err
	}
	return nil
}

// finish writes the Summary and renames the three files into place, Results
// last: once the file the user asked for exists, its companions do too.
func (w *csvWriter) finish(s *Summary) error {
	for _, cw := range []*csv.Writer{w.resultsCSV, w.failedCSV} {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("report %s: %w", w.path, err)
		}
	}

	summary, err := w.dir.createPending(w.summaryPath)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer summary.abort()
	items := summaryItems(s, w.tally, w.path, w.opts.Payloads)
	lines := make([]summaryLine, len(items))
	for i, it := range items {
		lines[i] = summaryLine{Item: escape(it.Item), Value: escape(valueText(it.Value))}
	}
	if err := gocsv.MarshalCSV(lines, gocsv.NewSafeCSVWriter(newCSVWriter(summary))); err != nil {
		return fmt.Errorf("report %s: %w", w.summaryPath, err)
	}

	for _, p := range []*pendingFile{w.failed, summary, w.results} {
		if err := p.commit(); err != nil {
			return err
		}
	}
	w.dir.remove()
	return nil
}

// abort drops the files not yet in place and the work directory.
func (w *csvWriter) abort() {
	w.results.abort()
	w.failed.abort()
	w.dir.remove()
}
