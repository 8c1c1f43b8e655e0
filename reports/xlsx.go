package reports

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

const (
	sheetResults = "Results"
	sheetFailed  = "Failed"
	sheetSummary = "Summary"

	// widthSample is how many data rows a sheet holds back to size its
	// columns: a StreamWriter takes column widths only before its first row.
	widthSample = 200
	minColWidth = 6
	maxColWidth = 60
	// filterButton is the room, in characters, that an autofilter's
	// drop-down takes in a header cell.
	filterButton = 3

	commentAuthor = "acctimport"
)

// Package variables rather than constants so that tests can reach the
// limits without writing a million rows.
var (
	// maxComments caps the rule comments per sheet. Every comment lives in
	// memory until the file is saved (excelize keeps the comments part and its
	// VML drawing as structures, about 3 KB a comment, and checks each new
	// one against all earlier ones), so an unbounded number would make memory
	// and time grow with the rows. Past the cap the cell is still
	// highlighted, and the rule is in the row's Message either way.
	maxComments = 1000
	// maxSheetRows is the most rows an XLSX sheet can hold, header included.
	maxSheetRows = excelize.TotalRows
)

// xlsxWriter writes the Results and Failed sheets as rows arrive, through
// one StreamWriter each (excelize keeps a separate buffer and temp file per
// stream, so two can be filled in parallel), and the Summary at Close.
type xlsxWriter struct {
	path   string
	header []string
	opts   Options
	out    *pendingFile
	f      *excelize.File

	results, failed *streamSheet
	style           struct {
		header, invalid int
		status          map[Status]int
	}

	tally  map[Status]int
	err    error // the first error; the report is then abandoned
	closed bool
}

func createXLSX(path string, header []string, opts Options) (w *xlsxWriter, err error) {
	hdr := resultsHeader(header, opts)
	if len(hdr) > excelize.MaxColumns {
		return nil, fmt.Errorf("report %s: %d columns do not fit in an XLSX sheet (at most %d); write a .csv report instead",
			path, len(hdr), excelize.MaxColumns)
	}
	// The temporary output is created now, so that an unwritable path fails
	// before anything is sent rather than after the last row.
	out, err := createPending(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	w = &xlsxWriter{
		path:   path,
		header: header,
		opts:   opts,
		out:    out,
		f:      excelize.NewFile(),
		tally:  make(map[Status]int, len(Statuses)),
	}
	defer func() {
		if err != nil {
			w.abort()
			w = nil
			err = fmt.Errorf("report %s: %w", path, err)
		}
	}()

	if err = w.f.SetSheetName("Sheet1", sheetResults); err != nil {
		return
	}
	for _, name := range []string{sheetFailed, sheetSummary} {
		if _, err = w.f.NewSheet(name); err != nil {
			return
		}
	}
	if err = w.newStyles(); err != nil {
		return
	}
	if w.results, err = w.newStreamSheet(sheetResults, hdr); err != nil {
		return
	}
	if w.failed, err = w.newStreamSheet(sheetFailed, header); err != nil {
		return
	}
	return w, nil
}

// Fills and font colours follow Excel's own Good, Neutral and Bad cell
// styles, which users already read as ok, warning and error.
func (w *xlsxWriter) newStyles() error {
	fill := func(bg, fg string) *excelize.Style {
		return &excelize.Style{
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{bg}},
			Font: &excelize.Font{Color: fg},
		}
	}
	var err error
	if w.style.header, err = w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return err
	}
	if w.style.invalid, err = w.f.NewStyle(fill("FFC7CE", "9C0006")); err != nil {
		return err
	}
	good, amber, bad, grey := fill("C6EFCE", "006100"), fill("FFEB9C", "9C5700"), fill("FFC7CE", "9C0006"), fill("E7E6E6", "595959")
	w.style.status = make(map[Status]int, len(Statuses))
	for st, s := range map[Status]*excelize.Style{
		StatusOK: good, StatusValid: good, StatusPartial: amber,
		StatusFailed: bad, StatusInvalid: bad, StatusSkipped: grey,
	} {
		if w.style.status[st], err = w.f.NewStyle(s); err != nil {
			return err
		}
	}
	return nil
}

func (w *xlsxWriter) Write(r *Row) error {
	if w.closed {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if err := w.write(r); err != nil {
		w.err = fmt.Errorf("report %s: row %d: %w", w.path, r.Line, err)
		return w.err
	}
	return nil
}

func (w *xlsxWriter) write(r *Row) error {
	w.tally[r.Status]++
	cells := padCells(r.Cells, len(w.header))
	rules := issueRules(r.Issues, len(cells))

	fixed := len(fixedColumns)
	if w.opts.Payloads {
		fixed++
	}
	values := make([]any, 0, fixed+len(cells))
	var status any = string(r.Status)
	if id, ok := w.style.status[r.Status]; ok {
		status = excelize.Cell{StyleID: id, Value: string(r.Status)}
	}
	values = append(values, r.Line, status, text(r.Key), number(r.HTTPStatus), number(r.Attempts), text(r.Message))
	if w.opts.Payloads {
		values = append(values, text(r.Payload))
	}
	values, notes := w.appendCells(values, cells, rules)
	if err := w.results.add(values, notes); err != nil {
		return err
	}
	if !needsFix(r.Status) {
		return nil
	}
	// The Failed sheet keeps only the input's columns; the notes move with
	// them (copied: Results may still hold its own while sizing columns).
	var failedNotes []note
	for _, n := range notes {
		failedNotes = append(failedNotes, note{col: n.col - fixed, text: n.text})
	}
	return w.failed.add(values[fixed:], failedNotes)
}

// appendCells adds the input's cells to values, highlighting the invalid
// ones, and returns the comments those cells should carry.
func (w *xlsxWriter) appendCells(values []any, cells []string, rules []string) ([]any, []note) {
	var notes []note
	for i, c := range cells {
		if i < len(rules) && rules[i] != "" {
			notes = append(notes, note{col: len(values), text: rules[i]})
			values = append(values, excelize.Cell{StyleID: w.style.invalid, Value: text(c)})
			continue
		}
		values = append(values, text(c))
	}
	return values, notes
}

// issueRules returns, per input column, the rules it broke joined by line
// breaks, or nil when the row has no issue (the common case, kept free of
// allocations). Issues naming no real column are left to the Message.
func issueRules(issues []Issue, n int) []string {
	if len(issues) == 0 {
		return nil
	}
	var rules []string
	for _, is := range issues {
		if is.Column < 0 || is.Column >= n {
			continue
		}
		if rules == nil {
			rules = make([]string, n)
		}
		if rules[is.Column] != "" {
			rules[is.Column] += "\n"
		}
		rules[is.Column] += is.Rule
	}
	return rules
}

// text is a string cell's value. excelize's StreamWriter writes every Go
// string as an inline string (t="inlineStr"), never as a formula, so a
// value starting with "=" stays text; dates and numbers stay as read. An
// empty string writes no cell at all.
func text(s string) any {
	if s == "" {
		return nil
	}
	// Excel refuses longer cells, and excelize would cut them silently;
	// say so in the cell instead.
	if len(s) > excelize.TotalCellChars && utf16Len(s) > excelize.TotalCellChars {
		const mark = "… [cut: an XLSX cell holds at most 32767 characters]"
		s = truncateUTF16(s, excelize.TotalCellChars-utf16Len(mark)) + mark
	}
	return s
}

func number(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

func truncateUTF16(s string, limit int) string {
	n := 0
	for i, r := range s {
		size := 1
		if r >= 0x10000 {
			size = 2
		}
		if n+size > limit {
			return s[:i]
		}
		n += size
	}
	return s
}

func (w *xlsxWriter) Close(s *Summary) error {
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
		return fmt.Errorf("report %s: %w", w.path, err)
	}
	return nil
}

func (w *xlsxWriter) finish(s *Summary) error {
	for _, sh := range []*streamSheet{w.results, w.failed} {
		if err := sh.finish(); err != nil {
			return err
		}
	}
	if err := w.writeSummary(s); err != nil {
		return err
	}

	// excelize builds the whole zip in a bytes.Buffer before writing it out,
	// which for a million rows is tens of megabytes more memory; a zip
	// writer of our own over the output file keeps the save streaming. The
	// buffer excelize hands over stays empty, hence io.Discard. BestSpeed
	// deflate halves the time spent compressing for a somewhat larger file.
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w.out.w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	if err := w.f.Write(io.Discard); err != nil {
		return err
	}
	if err := w.out.commit(); err != nil {
		return err
	}
	// The report is complete; a temp file excelize failed to remove is not
	// worth failing the run for.
	_ = w.f.Close()
	return nil
}

// statusColours are the chart's colours, the darker tones of the Status
// column's fills, so a slice reads like the cells it counts.
var statusColours = map[Status]string{
	StatusOK: "63BE7B", StatusValid: "63BE7B", StatusPartial: "FFC000",
	StatusFailed: "E0464B", StatusInvalid: "ED7D31", StatusSkipped: "A6A6A6",
}

// writeSummary writes the Summary sheet: counts per status, the run's
// facts, and a chart of the statuses. It is a few dozen cells, so it
// uses the ordinary cell API, which (unlike a StreamWriter's sheet) Excel
// draws charts on reliably.
func (w *xlsxWriter) writeSummary(s *Summary) error {
	const sheet = sheetSummary
	items := summaryItems(s, w.tally, w.path)
	widths := []int{len("Item"), len("Value")}
	for _, it := range items {
		widths[0] = max(widths[0], textWidth(it.Item))
		widths[1] = max(widths[1], valueWidth(it.Value))
	}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := w.f.SetColWidth(sheet, col, col, colWidth(wd)); err != nil {
			return err
		}
	}
	if err := w.f.SetSheetRow(sheet, "A1", &[]any{"Item", "Value"}); err != nil {
		return err
	}
	if err := w.f.SetCellStyle(sheet, "A1", "B1", w.style.header); err != nil {
		return err
	}
	for i, it := range items {
		row := strconv.Itoa(i + 2)
		if err := w.f.SetCellStr(sheet, "A"+row, it.Item); err != nil {
			return err
		}
		var err error
		switch v := it.Value.(type) {
		case string:
			err = w.f.SetCellStr(sheet, "B"+row, v)
		default:
			err = w.f.SetCellValue(sheet, "B"+row, v)
		}
		if err != nil {
			return err
		}
		if st := Status(it.Item); statusColours[st] != "" {
			if err := w.f.SetCellStyle(sheet, "A"+row, "A"+row, w.style.status[st]); err != nil {
				return err
			}
		}
	}
	return w.addStatusChart(items)
}

// addStatusChart draws the rows per status, each in its colour, beside the
// Summary's table. The statuses are the table's first rows.
func (w *xlsxWriter) addStatusChart(items []summaryItem) error {
	points := make([]excelize.ChartDataPoint, 0, len(Statuses))
	n := 0
	for i, it := range items {
		c, ok := statusColours[Status(it.Item)]
		if !ok {
			break
		}
		n = i + 1
		points = append(points, excelize.ChartDataPoint{Index: i, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}}})
	}
	if n == 0 {
		return nil
	}
	last := strconv.Itoa(n + 1)
	// A pie, because excelize colours single data points only in pies, and
	// a share of the whole is what a reader of the outcome wants first.
	return w.f.AddChart(sheetSummary, "D2", &excelize.Chart{
		Type: excelize.Pie,
		Series: []excelize.ChartSeries{{
			Name:       "Summary!$B$1",
			Categories: "Summary!$A$2:$A$" + last,
			Values:     "Summary!$B$2:$B$" + last,
			DataPoint:  points,
		}},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Rows by status"}}},
		Legend:    excelize.ChartLegend{Position: "right"},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		Dimension: excelize.ChartDimension{Width: 480, Height: 300},
	})
}

// abort drops everything: the temporary output and excelize's temp files.
func (w *xlsxWriter) abort() {
	w.out.abort()
	_ = w.f.Close()
}

// note is a comment to put on the cell in column col (0-based) of a row.
type note struct {
	col  int
	text string
}

// streamSheet is one sheet written through a StreamWriter. Its header and
// first widthSample rows wait in pending until the column widths are known,
// because a StreamWriter takes widths only before its first row.
type streamSheet struct {
	f          *excelize.File
	name       string
	sw         *excelize.StreamWriter
	filterCols int // the autofilter spans the header's columns
	rows       int // the last row number added, header included
	sized      bool
	pending    []pendingRow
	widths     []int // content width per column while sampling
	comments   int
}

type pendingRow struct {
	values []any
	notes  []note
}

func (w *xlsxWriter) newStreamSheet(name string, header []string) (*streamSheet, error) {
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	// Freeze the header row so it stays in view while scrolling.
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	sh := &streamSheet{f: w.f, name: name, sw: sw, filterCols: len(header)}
	values := make([]any, len(header))
	for i, h := range header {
		values[i] = excelize.Cell{StyleID: w.style.header, Value: text(h)}
	}
	if err := sh.add(values, nil); err != nil {
		return nil, err
	}
	for i := range header {
		// Leave room for the filter drop-down in the header cells.
		sh.widths[i] += filterButton
	}
	return sh, nil
}

func (sh *streamSheet) add(values []any, notes []note) error {
	if sh.rows >= maxSheetRows {
		return fmt.Errorf("sheet %s is full: an XLSX sheet holds at most %d rows; write a .csv report instead",
			sh.name, maxSheetRows)
	}
	sh.rows++
	if sh.sized {
		return sh.write(sh.rows, values, notes)
	}
	for i, v := range values {
		if i >= len(sh.widths) {
			sh.widths = append(sh.widths, make([]int, i+1-len(sh.widths))...)
		}
		sh.widths[i] = max(sh.widths[i], valueWidth(v))
	}
	sh.pending = append(sh.pending, pendingRow{values, notes})
	if len(sh.pending) > widthSample { // header plus widthSample rows
		return sh.flushPending()
	}
	return nil
}

// flushPending sets the column widths from the sample and writes it out.
func (sh *streamSheet) flushPending() error {
	if err := setColWidths(sh.sw, sh.widths); err != nil {
		return err
	}
	sh.sized = true
	first := sh.rows - len(sh.pending) + 1
	for i, p := range sh.pending {
		if err := sh.write(first+i, p.values, p.notes); err != nil {
			return err
		}
	}
	sh.pending, sh.widths = nil, nil
	return nil
}

func (sh *streamSheet) write(row int, values []any, notes []note) error {
	if err := sh.sw.SetRow("A"+strconv.Itoa(row), values); err != nil {
		return err
	}
	// Comments are added while the sheet is still streaming: excelize keeps
	// them apart from the sheet data, and only the sheet's legacyDrawing
	// reference, written by Flush, ties them together. Added after Flush they
	// would make excelize read the whole streamed sheet back into memory.
	for _, n := range notes {
		if sh.comments >= maxComments {
			return nil
		}
		col, err := excelize.ColumnNumberToName(n.col + 1)
		if err != nil {
			return err
		}
		if err := sh.f.AddComment(sh.name, excelize.Comment{
			Cell:   col + strconv.Itoa(row),
			Author: commentAuthor,
			Text:   n.text,
			Width:  240,
			Height: uint(30 + 15*(utf8.RuneCountInString(n.text)/35+strings.Count(n.text, "\n"))),
		}); err != nil {
			return err
		}
		sh.comments++
	}
	return nil
}

// finish writes what is still pending, turns the autofilter on over the
// rows written, and ends the stream.
func (sh *streamSheet) finish() error {
	if !sh.sized {
		if err := sh.flushPending(); err != nil {
			return err
		}
	}
	if sh.filterCols > 0 {
		// The StreamWriter has no autofilter of its own. AutoFilter records
		// the range on the worksheet that this stream still holds (Flush
		// writes it as <autoFilter>) and adds the _xlnm._FilterDatabase name
		// Excel expects. Only now is the last row known. (A table,
		// StreamWriter.AddTable, would filter too, but demands unique header
		// names, and an input column may well be called "Status".)
		last, err := excelize.CoordinatesToCellName(sh.filterCols, sh.rows)
		if err != nil {
			return err
		}
		if err := sh.f.AutoFilter(sh.name, "A1:"+last, nil); err != nil {
			return err
		}
	}
	return sh.sw.Flush()
}

// setColWidths sizes the columns from their content widths. It goes from
// the last column to the first because excelize puts each new <col> in front
// of the earlier ones, and Excel wants them in ascending order.
func setColWidths(sw *excelize.StreamWriter, widths []int) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, colWidth(widths[i])); err != nil {
			return err
		}
	}
	return nil
}

// colWidth turns a content width in characters into a column width, with a
// little padding, within bounds so that one long message does not push
// every other column off screen.
func colWidth(content int) float64 {
	return float64(min(max(content+2, minColWidth), maxColWidth))
}

func valueWidth(v any) int {
	switch v := v.(type) {
	case excelize.Cell:
		return valueWidth(v.Value)
	case string:
		return textWidth(v)
	case int:
		return len(strconv.Itoa(v))
	case float64:
		return len(strconv.FormatFloat(v, 'f', -1, 64))
	}
	return 0
}

// textWidth approximates how many characters wide s shows: its longest line,
// with East Asian and other wide characters (from U+2E80 on, roughly) counted
// twice.
func textWidth(s string) int {
	widest := 0
	for line := range strings.SplitSeq(s, "\n") {
		n := 0
		for _, r := range line {
			n++
			if r >= 0x2E80 {
				n++
			}
		}
		widest = max(widest, n)
	}
	return widest
}
