// Package reports writes the results spreadsheet of a run: the Results
// sheet (one row per input row, in input order), the Failed sheet (the rows
// that are not ok, with the input's columns exactly as read, ready to be fed
// back) and the Summary. XLSX is written with excelize's StreamWriter and CSV
// with encoding/csv, so memory does not grow with the number of rows.
package reports

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/acctimport/acctimport/internal/cell"
)

// Status is how one row ended.
type Status string

const (
	StatusOK      Status = "ok"
	StatusPartial Status = "partial"
	StatusFailed  Status = "failed"
	StatusInvalid Status = "invalid"
	StatusSkipped Status = "skipped"
	StatusValid   Status = "valid" // validate mode: the row would be sent
)

// Statuses lists every status in the order the Summary shows them.
var Statuses = []Status{StatusOK, StatusPartial, StatusFailed, StatusInvalid, StatusSkipped, StatusValid}

// Row is one input row's result.
type Row struct {
	Line       int // the row number the user sees in the input spreadsheet
	Status     Status
	Key        string // the account key
	HTTPStatus int    // 0 when no answer was received
	Attempts   int    // 0 when nothing was sent
	Message    string
	// Cells are the input's columns as read, secrets already masked.
	Cells []string
	// Kinds are the cells' types as read (nil: all text), so that a date
	// or number cell is written back as a date or a number.
	Kinds []cell.Kind
	// Issues mark the cells that broke a rule: highlighted, the rule as a
	// comment (an Issue without a Rule only highlights).
	Issues []Issue
	// Payload is the request body (secrets masked); written only when the
	// report was created with Options.Payloads.
	Payload string
}

// Issue is one broken rule in one input cell.
type Issue struct {
	Column int    // index into Cells
	Rule   string // the message, such as "mobile_phone_number must match ^[0-9]{10}$"
}

// Summary is the run's outcome and facts. The fields after Stopped are
// shown only when set.
type Summary struct {
	Provider string
	Input    string
	Mapping  string
	Output   string
	Start    time.Time
	End      time.Time
	DryRun   bool
	Counts   map[Status]int
	Total    int    // rows read
	Stopped  string // why the run stopped early, if it did

	// What identifies the run, so that Merge can tell the reports of one
	// run's shards from those of another run.
	InputSum    string // hex SHA-256 of the input file
	MappingSum  string // hex SHA-256 of the mapping file
	Shard       string // "I/N" for one shard of N; "" (or "0/1") for the whole input
	Destination string // where the rows went: the base URL, or "sandbox"; no secrets

	// Advice is what the run found wrong with the mapping rather than with
	// the rows, said once a line.
	Advice []string
	// NotReached is how many rows an interrupted or stopped run never got
	// to (they are in no sheet).
	NotReached int
	// NotReachedAtLeast says NotReached is a lower bound: counting the rest
	// of a huge input was cut short.
	NotReachedAtLeast bool
	// Unjournaled is how many rows were sent but not recorded in the
	// journal, because it could not be written: a resume sends them again.
	Unjournaled int
	// Pace and PeakPace are --rate auto's pace in requests per second: at
	// the end, and the highest sustained. For a merged report, the sums over
	// its shards.
	Pace, PeakPace float64
}

// Options shape a report.
type Options struct {
	Payloads bool // add a Payload column
}

// Writer receives rows in input order and writes them as they come. It is
// not safe for concurrent use: results flow to one writer.
type Writer interface {
	Write(r *Row) error
	// Close writes the Summary and finishes the file(s). It must be called
	// even after an error, to release temporary files.
	Close(s *Summary) error
}

// Create starts a report at path, in the format its extension names: .xlsx
// or .csv. header is the input's column names as read; they head the input
// columns of Results and the Failed rows, so that Failed can be fed back with
// the same mapping. Nothing appears at path (or at the other Files) until
// Close succeeds; until then everything is written in a private directory
// beside path, which Close removes whatever happens.
func Create(path string, header []string, opts Options) (Writer, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	// Each case returns its own nil on error: a nil *xlsxWriter in a Writer
	// would be a non-nil interface.
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".xlsx":
		w, err := createXLSX(path, header, opts)
		if err != nil {
			return nil, err
		}
		return w, nil
	case ".csv":
		w, err := createCSV(path, header, opts)
		if err != nil {
			return nil, err
		}
		return w, nil
	}
	panic("unreachable: CheckPath accepted " + path)
}

// CheckPath reports whether a report can be written in path's format, so a
// run can refuse a wrong name before it opens anything else.
func CheckPath(path string) error {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".xlsx", ".csv":
		return nil
	default:
		return fmt.Errorf("report %s: unsupported format %q: the output must end in .xlsx or .csv", path, ext)
	}
}

// CSVSidecars returns where a CSV report at path puts its Failed rows and its
// Summary: out.csv -> out.failed.csv, out.summary.csv.
func CSVSidecars(path string) (failed, summary string) {
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	return base + ".failed" + ext, base + ".summary" + ext
}

// Files returns every file a report at path writes: path itself, and for a
// .csv its .failed.csv and .summary.csv. None of them may be the input, the
// journal or a file of another report, since Close replaces them all.
func Files(path string) []string {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		failed, summary := CSVSidecars(path)
		return []string{path, failed, summary}
	}
	return []string{path}
}

// fixedColumns head the Results sheet, before the input's own columns.
var fixedColumns = []string{"Row", "Status", "Key", "HTTP status", "Attempts", "Message"}

// resultsHeader is the header of the Results sheet or CSV.
func resultsHeader(header []string, opts Options) []string {
	h := make([]string, 0, len(fixedColumns)+1+len(header))
	h = append(h, fixedColumns...)
	if opts.Payloads {
		h = append(h, "Payload")
	}
	return append(h, header...)
}

// The Failed sheet ends with two columns of its own: why the row is there,
// and its row number in the first file it came from. Their names start with
// a prefix no export uses, so they do not collide with an input's columns;
// and a column of either name in the input is taken to be the report's own,
// from an earlier report fed back: Failed then leaves it out of the input's
// columns and writes the pair afresh, so a row that fails again does not
// gain a second pair.
const (
	ColumnReason      = "acctimport: Reason"
	ColumnOriginalRow = "acctimport: Original row"
)

// failedLayout is how the input's columns map to the Failed sheet's.
type failedLayout struct {
	keep   []int    // the input columns Failed keeps, in order
	origin int      // the input column holding an earlier Original row, or -1
	header []string // Failed's header: the kept columns, then Reason and Original row
	// column maps an input column to its Failed column, -1 for a dropped one.
	column []int
}

func newFailedLayout(header []string) *failedLayout {
	l := &failedLayout{origin: -1, column: make([]int, len(header))}
	for i, h := range header {
		switch h {
		case ColumnOriginalRow:
			if l.origin < 0 {
				l.origin = i
			}
			l.column[i] = -1
			continue
		case ColumnReason:
			l.column[i] = -1
			continue
		}
		l.column[i] = len(l.keep)
		l.keep = append(l.keep, i)
		l.header = append(l.header, h)
	}
	l.header = append(l.header, ColumnReason, ColumnOriginalRow)
	return l
}

// failedColumn returns where input column i (which may lie past the header,
// in a ragged row) lands on the Failed sheet, or -1. Cells past the header
// follow the report's own two columns, so they are kept but never taken for
// them.
func (l *failedLayout) failedColumn(i int) int {
	if i < len(l.column) {
		return l.column[i]
	}
	return len(l.keep) + 2 + i - len(l.column)
}

// originalRow is the row's number in the first file it came from: the
// number an earlier report wrote in its Original row column, when the input
// is such a report fed back and the cell still holds a row number, and
// otherwise the row's own number. A cell edited into something else is
// replaced, since a row number is all the column may hold.
func (l *failedLayout) originalRow(r *Row) int {
	if l.origin >= 0 && l.origin < len(r.Cells) {
		if n, err := strconv.Atoi(strings.TrimSpace(r.Cells[l.origin])); err == nil && n > 0 {
			return n
		}
	}
	return r.Line
}

// reason says on the Failed sheet why a row is there: its status, the HTTP
// status when the message does not give it, and the message.
func reason(r *Row) string {
	parts := []string{string(r.Status)}
	if r.HTTPStatus != 0 && !strings.Contains(r.Message, strconv.Itoa(r.HTTPStatus)) {
		parts = append(parts, "HTTP "+strconv.Itoa(r.HTTPStatus))
	}
	if r.Message != "" {
		parts = append(parts, r.Message)
	}
	return strings.Join(parts, ": ")
}

// settling puts on the Failed sheet, after a row of an account that did not
// go through, every later row of that account, whatever its status: feeding
// back the earlier row alone would apply it after the later ones and leave
// the account on an older value than the file's last row says. Fed back
// together, the rows are sent in the file's order again. It keeps one entry
// per account with a row to fix, not per row.
type settling struct{ first map[string]int }

// place says whether r goes on the Failed sheet, and why.
func (s *settling) place(r *Row) (bool, string) {
	if needsFix(r.Status) {
		if r.Key != "" {
			if s.first == nil {
				s.first = make(map[string]int)
			}
			if _, ok := s.first[r.Key]; !ok {
				s.first[r.Key] = r.Line
			}
		}
		return true, reason(r)
	}
	if line, ok := s.first[r.Key]; ok && r.Key != "" {
		return true, fmt.Sprintf("%s, but row %d of the same account did not go through: here so that, fed back, this row is sent again after it and the account ends as the file says", r.Status, line)
	}
	return false, ""
}

// needsFix reports whether a row belongs on the Failed sheet: the rows the
// user has to act on (partial, failed, invalid). Skipped rows were done by an
// earlier run, so feeding them back would apply them twice.
func needsFix(s Status) bool {
	switch s {
	case StatusOK, StatusValid, StatusSkipped:
		return false
	}
	return true
}

// padCells returns the row's cells with at least n entries, so that a short
// (ragged) row still lines up under the header and can be fed back; cells
// beyond the header are kept rather than dropped.
func padCells(cells []string, n int) []string {
	if len(cells) >= n {
		return cells
	}
	out := make([]string, n)
	copy(out, cells)
	return out
}
