package reports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/internal/csvsafe"
)

// A report read back (by Merge) is input like any other, and may have been
// edited by hand: every problem is an error naming the file, the sheet and
// the row, and what is read is bounded.
const (
	// maxPartSize bounds each part of a workbook but its sheets (styles,
	// comments, shared strings), which excelize reads into memory whole.
	maxPartSize = 64 << 20
	// maxWorkbookSize bounds all parts together; sheets past
	// sheetInMemory go to temporary files in the work directory. A merge
	// holds every shard's report open at once, so it is small.
	maxWorkbookSize = 16 << 30
	sheetInMemory   = 1 << 20
	// maxSummaryRows bounds the Summary, a few dozen rows when we write it.
	maxSummaryRows = 10_000
	// maxCSVRecord bounds one line of a CSV report; a Payload of images can
	// be megabytes.
	maxCSVRecord = 64 << 20
)

// reportSource is one report opened for reading: its Summary and header
// read, its Results rows to come in order.
type reportSource struct {
	path     string
	summary  *Summary
	payloads bool
	header   []string // the input's columns
	next     func() (*Row, error)
	close    func() error
	last     int // the Row of the row returned last, to check the order
}

// sourceError is a problem at one place of a report.
func sourceError(file, sheet string, row int, format string, args ...any) error {
	where := file
	if sheet != "" {
		where += ", sheet " + sheet
	}
	if row > 0 {
		where += ", row " + strconv.Itoa(row)
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

// openReport opens a report by its extension. tmp is a private directory
// for excelize's temporary files.
func openReport(p, tmp string) (*reportSource, error) {
	if err := CheckPath(p); err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(p), ".csv") {
		return openCSVReport(p)
	}
	return openXLSXReport(p, tmp)
}

// Next returns the next Results row, or io.EOF, checking that the rows
// come in input order.
func (s *reportSource) Next() (*Row, error) {
	r, err := s.next()
	if err != nil {
		return nil, err
	}
	if r.Line <= s.last {
		return nil, fmt.Errorf("%s: Results row %d comes after row %d: the rows are not in input order (sorted by hand?); merge needs them as acctimport wrote them",
			s.path, r.Line, s.last)
	}
	s.last = r.Line
	return r, nil
}

// parseSummary reads a Summary's items back (the counterpart of
// summaryItems). Unknown items are left alone: a later version may add some.
func parseSummary(items [][2]string, file, sheet string, rowOf func(int) int) (*Summary, bool, error) {
	s := &Summary{Counts: map[Status]int{}}
	payloads := ""
	texts := map[string]*string{
		itemProvider: &s.Provider, itemInput: &s.Input, itemMapping: &s.Mapping, itemOutput: &s.Output,
		itemStopped: &s.Stopped, itemShard: &s.Shard, itemDestination: &s.Destination,
		itemInputSum: &s.InputSum, itemMappingSum: &s.MappingSum, itemPayloads: &payloads,
	}
	counts := map[string]*int{itemTotal: &s.Total, itemNotReached: &s.NotReached, itemNotReachedAtLeast: &s.NotReached, itemUnjournaled: &s.Unjournaled}
	if hasItem(items, itemNotReachedAtLeast) {
		s.NotReachedAtLeast = true
	}
	paces := map[string]*float64{itemPace: &s.Pace, itemPeakPace: &s.PeakPace}
	times := map[string]*time.Time{itemStart: &s.Start, itemEnd: &s.End}
	seen := map[string]bool{}
	for i, it := range items {
		item, v := it[0], it[1]
		bad := func(what string) error {
			return sourceError(file, sheet, rowOf(i), "%s is %q, not %s", item, v, what)
		}
		if item != itemAdvice && seen[item] {
			return nil, false, sourceError(file, sheet, rowOf(i), "%s is in the Summary twice", item)
		}
		seen[item] = true
		count := func() (int, error) {
			if v == "" {
				return 0, nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return 0, bad("a count")
			}
			return n, nil
		}
		var err error
		switch {
		case texts[item] != nil:
			*texts[item] = v
		case counts[item] != nil:
			*counts[item], err = count()
		case isStatus(Status(item)):
			s.Counts[Status(item)], err = count()
		case paces[item] != nil:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, false, bad("a pace")
			}
			*paces[item] = f
		case times[item] != nil:
			if v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, false, bad("a time (RFC 3339)")
			}
			*times[item] = t
		case item == itemDryRun:
			if v != "yes" && v != "no" {
				return nil, false, bad("yes or no")
			}
			s.DryRun = v == "yes"
		case item == itemAdvice:
			s.Advice = append(s.Advice, v)
		}
		if err != nil {
			return nil, false, err
		}
	}
	if !seen[itemTotal] || !seen[string(StatusOK)] {
		return nil, false, sourceError(file, sheet, 0, "not the Summary of an acctimport report (no %s or %s)", StatusOK, itemTotal)
	}
	return s, payloads == "yes", nil
}

func isStatus(s Status) bool {
	for _, st := range Statuses {
		if s == st {
			return true
		}
	}
	return false
}

// checkHeader checks that a Results header is a report's and returns the
// input's columns from it.
func checkResultsHeader(h []string, payloads bool, file, sheet string) ([]string, error) {
	want := fixedColumns
	if payloads {
		want = append(append([]string(nil), fixedColumns...), "Payload")
	}
	if len(h) < len(want) {
		return nil, sourceError(file, sheet, 1, "the header %q does not start with %s: not the Results of an acctimport report", h, strings.Join(want, ", "))
	}
	for i, c := range want {
		if h[i] != c {
			return nil, sourceError(file, sheet, 1, "column %s is %q, not %q: not the Results of an acctimport report", columnLetter(i), h[i], c)
		}
	}
	return append([]string(nil), h[len(want):]...), nil
}

func columnLetter(i int) string {
	s, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return strconv.Itoa(i + 1)
	}
	return s
}

// resultsRow parses the fixed columns of a Results row; cells are the
// row's values, padded to the header.
func resultsRow(vals []string, payloads bool, file, sheet string, row int) (*Row, error) {
	r := &Row{}
	get := func(i int) string {
		if i < len(vals) {
			return vals[i]
		}
		return ""
	}
	var err error
	if r.Line, err = strconv.Atoi(strings.TrimSpace(get(0))); err != nil || r.Line < 1 {
		return nil, sourceError(file, sheet, row, "Row is %q, not a row number", get(0))
	}
	r.Status = Status(get(1))
	if !isStatus(r.Status) {
		return nil, sourceError(file, sheet, row, "Status is %q, not one of %s", get(1), statusList())
	}
	r.Key = get(2)
	number := func(i int, name string, lo, hi int) (int, error) {
		v := strings.TrimSpace(get(i))
		if v == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, sourceError(file, sheet, row, "%s is %q, not a number from %d to %d", name, get(i), lo, hi)
		}
		return n, nil
	}
	if r.HTTPStatus, err = number(3, "HTTP status", 100, 999); err != nil {
		return nil, err
	}
	if r.Attempts, err = number(4, "Attempts", 0, math.MaxInt32); err != nil {
		return nil, err
	}
	r.Message = get(5)
	first := len(fixedColumns)
	if payloads {
		r.Payload = get(first)
		first++
	}
	if first < len(vals) {
		r.Cells = vals[first:]
	}
	return r, nil
}

func statusList() string {
	s := make([]string, len(Statuses))
	for i, st := range Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

func openCSVReport(p string) (*reportSource, error) {
	_, summaryPath := CSVSidecars(p)
	items, lines, err := readCSVSummary(summaryPath)
	if err != nil {
		return nil, err
	}
	sum, payloads, err := parseSummary(items, summaryPath, "", func(i int) int { return lines[i] })
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	cr, err := newCSVReader(f)
	if err != nil {
		f.Close()
		return nil, sourceError(p, "", 0, "%v", err)
	}
	h, _, err := cr.read()
	if err != nil {
		f.Close()
		if err == io.EOF {
			err = errors.New("the file is empty")
		}
		return nil, sourceError(p, "", 1, "%v", err)
	}
	header, err := checkResultsHeader(h, payloads, p, "")
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &reportSource{path: p, summary: sum, payloads: payloads, header: header, close: f.Close}
	s.next = func() (*Row, error) {
		vals, line, err := cr.read()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, sourceError(p, "", line, "%v", err)
		}
		return resultsRow(vals, payloads, p, "", line)
	}
	return s, nil
}

// csvReport reads a CSV we wrote: a BOM, LF lines, cells unescaped (see
// csvsafe), each record bounded.
type csvReport struct {
	r     *csv.Reader
	limit *recordLimit
}

func newCSVReader(rd io.Reader) (*csvReport, error) {
	lim := &recordLimit{r: rd, left: maxCSVRecord}
	br := &bomReader{r: lim}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	return &csvReport{r: cr, limit: lim}, nil
}

// read returns the next record and the line it starts on.
func (c *csvReport) read() ([]string, int, error) {
	rec, err := c.r.Read()
	c.limit.left = maxCSVRecord
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, errRecordTooLong):
			return nil, 0, fmt.Errorf("a line is longer than %d MiB", maxCSVRecord>>20)
		case errors.As(err, &pe):
			return nil, pe.StartLine, pe.Err
		}
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	for i, v := range rec {
		rec[i] = csvsafe.Unescape(v)
	}
	return rec, line, nil
}

var errRecordTooLong = errors.New("record too long")

// recordLimit fails a read once more than left bytes were read since the
// last record: encoding/csv would otherwise hold a line of any length.
type recordLimit struct {
	r    io.Reader
	left int
}

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errRecordTooLong
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= n
	return n, err
}

// bomReader drops a leading UTF-8 byte order mark.
type bomReader struct {
	r       io.Reader
	started bool
}

func (b *bomReader) Read(p []byte) (int, error) {
	if b.started {
		return b.r.Read(p)
	}
	b.started = true
	var head [3]byte
	n, err := io.ReadFull(b.r, head[:])
	rest := head[:n]
	if bytes.Equal(rest, []byte(utf8BOM)) {
		rest = nil
	}
	if err == io.ErrUnexpectedEOF {
		err = nil
	}
	c := copy(p, rest)
	if c < len(rest) {
		// p is shorter than the bytes held back: put them in front of r.
		b.r = io.MultiReader(bytes.NewReader(rest[c:]), b.r)
	}
	if c == 0 && err == nil {
		return b.r.Read(p)
	}
	return c, err
}

func readCSVSummary(p string) ([][2]string, []int, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fmt.Errorf("the Summary of a CSV report: %w", err)
	}
	defer f.Close()
	cr, err := newCSVReader(io.LimitReader(f, maxPartSize))
	if err != nil {
		return nil, nil, err
	}
	var items [][2]string
	var lines []int
	for n := 0; ; n++ {
		rec, line, err := cr.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, sourceError(p, "", line, "%v", err)
		}
		if n == 0 {
			if len(rec) != 2 || rec[0] != "item" || rec[1] != "value" {
				return nil, nil, sourceError(p, "", 1, "the header is %q, not item,value: not the Summary of an acctimport report", rec)
			}
			continue
		}
		if len(rec) != 2 {
			return nil, nil, sourceError(p, "", line, "%d cells, not 2 (item,value)", len(rec))
		}
		if n > maxSummaryRows {
			return nil, nil, sourceError(p, "", line, "more than %d items: not the Summary of an acctimport report", maxSummaryRows)
		}
		items = append(items, [2]string{rec[0], rec[1]})
		lines = append(lines, line)
	}
	return items, lines, nil
}

// hasItem reports whether a Summary's items hold one named name.
func hasItem(items [][2]string, name string) bool {
	for _, it := range items {
		if it[0] == name {
			return true
		}
	}
	return false
}
