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

	"github.com/acctimport/acctimport/internal/cell"
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
	// maxPayloadWidth is wider: a request body is long, and wraps.
	maxPayloadWidth = 80
	// filterButton is the room, in characters, that an autofilter's
	// drop-down takes in a header cell.
	filterButton = 3

	// lineHeight is the height in points of one line of the default font
	// (Calibri 11, the workbook's default row height); maxRowHeight is the
	// most a spreadsheet allows.
	lineHeight   = 15
	maxRowHeight = 409

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
	layout *failedLayout
	fixed  int // the columns of Results before the input's
	dir    *workDir
	out    *pendingFile
	f      *excelize.File
	styles *styleSet

	results, failed *streamSheet

	tally  map[Status]int
	settle settling
	err    error // the first error; the report is then abandoned
	closed bool
}

func createXLSX(path string, header []string, opts Options) (w *xlsxWriter, err error) {
	hdr := resultsHeader(header, opts)
	layout := newFailedLayout(header)
	if n := max(len(hdr), len(layout.header)); n > excelize.MaxColumns {
		return nil, fmt.Errorf("report %s: %d columns do not fit in an XLSX sheet (at most %d); write a .csv report instead",
			path, n, excelize.MaxColumns)
	}
	// The work directory and the temporary output are created now, so that
	// an unwritable path fails before anything is sent rather than after the
	// last row.
	dir, err := newWorkDir(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	out, err := dir.createPending(path)
	if err != nil {
		dir.remove()
		return nil, fmt.Errorf("report: %w", err)
	}
	w = &xlsxWriter{
		path:   path,
		header: header,
		opts:   opts,
		layout: layout,
		fixed:  len(hdr) - len(header),
		dir:    dir,
		out:    out,
		// excelize spills a stream past 16 MiB to temporary files: in the
		// work directory, not the shared temporary folder, since they hold
		// row data and a killed run cannot remove them.
		f:     excelize.NewFile(excelize.Options{TmpDir: dir.path}),
		tally: make(map[Status]int, len(Statuses)),
	}
	w.styles = newStyleSet(w.f)
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
	if err = w.styles.init(); err != nil {
		return
	}
	wrapResults := map[int]int{len(fixedColumns) - 1: maxColWidth} // Message
	if opts.Payloads {
		wrapResults[len(fixedColumns)] = maxPayloadWidth
	}
	if w.results, err = w.newStreamSheet(sheetResults, hdr, wrapResults); err != nil {
		return
	}
	reasonCol := len(layout.keep)
	if w.failed, err = w.newStreamSheet(sheetFailed, layout.header, map[int]int{reasonCol: maxColWidth}); err != nil {
		return
	}
	return w, nil
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
	marks := issueMarks(r.Issues, len(cells))

	values := make([]any, 0, w.fixed+len(cells))
	values = append(values, w.styles.fixedNumber(r.Line), w.styles.statusCell(r.Status), text(r.Key), w.styles.fixedNumber(r.HTTPStatus), w.styles.fixedNumber(r.Attempts), text(r.Message))
	if w.opts.Payloads {
		values = append(values, text(r.Payload))
	}
	var notes []note
	for i, c := range cells {
		var m mark
		if i < len(marks) {
			m = marks[i]
		}
		if m.flagged && m.rule != "" {
			notes = append(notes, note{col: len(values), text: m.rule})
		}
		values = append(values, w.styles.inputCell(c, cell.Of(r.Kinds, i), m.flagged))
	}
	fix, why := w.settle.place(r)
	if !fix {
		return w.results.add(values, notes)
	}
	// Failed takes the same cell values, copied before Results can restyle
	// its own for a tall row, and its own notes.
	l := w.layout
	fv := make([]any, 0, len(l.keep)+2+len(cells)-len(w.header))
	for _, i := range l.keep {
		fv = append(fv, values[w.fixed+i])
	}
	fv = append(fv, w.styles.reasonCell(r.Status, why), l.originalRow(r))
	fv = append(fv, values[w.fixed+len(w.header):]...)
	var fnotes []note
	for _, n := range notes {
		if col := l.failedColumn(n.col - w.fixed); col >= 0 {
			fnotes = append(fnotes, note{col: col, text: n.text})
		}
	}
	if err := w.results.add(values, notes); err != nil {
		return err
	}
	return w.failed.add(fv, fnotes)
}

// mark is what the row's issues say about one input cell: whether it broke
// a rule (highlighted), and the rules, joined by line breaks, for its
// comment. An issue with no rule text highlights without a comment.
type mark struct {
	flagged bool
	rule    string
}

// issueMarks returns a mark per input column, or nil when the row has no
// issue (the common case, kept free of allocations). Issues naming no real
// column are left to the Message.
func issueMarks(issues []Issue, n int) []mark {
	if len(issues) == 0 {
		return nil
	}
	var marks []mark
	for _, is := range issues {
		if is.Column < 0 || is.Column >= n {
			continue
		}
		if marks == nil {
			marks = make([]mark, n)
		}
		m := &marks[is.Column]
		m.flagged = true
		if is.Rule == "" {
			continue
		}
		if m.rule != "" {
			m.rule += "\n"
		}
		m.rule += is.Rule
	}
	return marks
}

// text is a string cell's value: cleaned (see cleanText) and cut to what a
// cell holds. excelize's StreamWriter writes every Go string as an inline
// string (t="inlineStr"), never as a formula, so a value starting with "="
// stays text. An empty string writes no cell at all.
func text(s string) any {
	if s == "" {
		return nil
	}
	s = cleanText(s)
	// Excel refuses longer cells, and excelize would cut them silently;
	// say so in the cell instead.
	if len(s) > excelize.TotalCellChars && utf16Len(s) > excelize.TotalCellChars {
		const mark = "… [cut: an XLSX cell holds at most 32767 characters]"
		s = truncateUTF16(s, excelize.TotalCellChars-utf16Len(mark)) + mark
	}
	return s
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

// discard abandons the report, leaving whatever was at its path alone.
func (w *xlsxWriter) discard() {
	if !w.closed {
		w.closed = true
		w.abort()
	}
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
	if w.styles.err != nil {
		return w.styles.err
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
	// The report is complete; a temp file excelize failed to remove goes
	// with the work directory.
	_ = w.f.Close()
	w.dir.remove()
	return nil
}

// writeSummary writes the Summary sheet: counts per status, the run's
// facts, and a chart of the statuses. It is a few dozen cells, so it
// uses the ordinary cell API, which (unlike a StreamWriter's sheet) Excel
// draws charts on reliably.
func (w *xlsxWriter) writeSummary(s *Summary) error {
	const sheet = sheetSummary
	if err := setPrintLayout(w.f, sheet, false); err != nil {
		return err
	}
	items := summaryItems(s, w.tally, w.path, w.opts.Payloads)
	widths := []int{len("Item"), len("Value")}
	for _, it := range items {
		widths[0] = max(widths[0], textWidth(it.Item))
		widths[1] = max(widths[1], valueWidth(it.Value))
	}
	colWidths := make([]float64, len(widths))
	for i, wd := range widths {
		colWidths[i] = colWidth(wd, maxColWidth)
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := w.f.SetColWidth(sheet, col, col, colWidths[i]); err != nil {
			return err
		}
	}
	if err := w.f.SetSheetRow(sheet, "A1", &[]any{"Item", "Value"}); err != nil {
		return err
	}
	if err := w.f.SetCellStyle(sheet, "A1", "B1", w.styles.header); err != nil {
		return err
	}
	for i, it := range items {
		row := strconv.Itoa(i + 2)
		if err := w.f.SetCellStr(sheet, "A"+row, cleanText(it.Item)); err != nil {
			return err
		}
		var err error
		switch v := it.Value.(type) {
		case string:
			v = cleanText(v)
			err = w.f.SetCellStr(sheet, "B"+row, v)
			// Advice and long reasons wrap rather than run off the page.
			if n := wrappedLines(v, colWidths[1]); err == nil && n > 1 {
				if err = w.f.SetCellStyle(sheet, "B"+row, "B"+row, w.styles.get(styleKey{wrap: true})); err == nil {
					err = w.f.SetRowHeight(sheet, i+2, rowHeight(n))
				}
			}
		default:
			err = w.f.SetCellValue(sheet, "B"+row, v)
		}
		if err != nil {
			return err
		}
		if st := Status(it.Item); statusColours[st].chart != "" {
			if err := w.f.SetCellStyle(sheet, "A"+row, "A"+row, w.styles.status[st]); err != nil {
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
		c := statusColours[Status(it.Item)].chart
		if c == "" {
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

// abort drops everything: the temporary output and excelize's temp files,
// all in the work directory.
func (w *xlsxWriter) abort() {
	w.out.abort()
	_ = w.f.Close()
	w.dir.remove()
}

// setPrintLayout makes a sheet print landscape, as wide as one page and as
// many pages tall as it needs, and, for a sheet of rows, with its header on
// every page. Without it a report printed one column a page. SheetPr is part
// of what a StreamWriter writes first, so this comes before NewStreamWriter.
func setPrintLayout(f *excelize.File, sheet string, titles bool) error {
	fit, landscape, one, any := true, "landscape", 1, 0
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &any}); err != nil {
		return err
	}
	if !titles {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet})
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
	styles     *styleSet
	name       string
	sw         *excelize.StreamWriter
	filterCols int // the autofilter spans the header's columns
	rows       int // the last row number added, header included
	sized      bool
	pending    []pendingRow
	widths     []int       // content width per column while sampling
	wrap       map[int]int // the columns whose text wraps, with their widest width
	colWidths  []float64   // the widths set, once sized
	comments   int
}

type pendingRow struct {
	values []any
	notes  []note
}

func (w *xlsxWriter) newStreamSheet(name string, header []string, wrap map[int]int) (*streamSheet, error) {
	if err := setPrintLayout(w.f, name, true); err != nil {
		return nil, err
	}
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
	sh := &streamSheet{f: w.f, styles: w.styles, name: name, sw: sw, filterCols: len(header), wrap: wrap}
	values := make([]any, len(header))
	for i, h := range header {
		values[i] = excelize.Cell{StyleID: w.styles.header, Value: text(h)}
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
		sh.widths[i] = max(sh.widths[i], sh.styles.width(v))
	}
	sh.pending = append(sh.pending, pendingRow{values, notes})
	if len(sh.pending) > widthSample { // header plus widthSample rows
		return sh.flushPending()
	}
	return nil
}

// flushPending sets the column widths from the sample and writes it out.
func (sh *streamSheet) flushPending() error {
	sh.colWidths = make([]float64, len(sh.widths))
	for i, wd := range sh.widths {
		widest := maxColWidth
		if m, ok := sh.wrap[i]; ok {
			widest = m
		}
		sh.colWidths[i] = colWidth(wd, widest)
	}
	if err := setColWidths(sh.sw, sh.colWidths); err != nil {
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

// colWidthAt is the width column i was given; a column past the sample's
// (a long ragged row) has the default.
func (sh *streamSheet) colWidthAt(i int) float64 {
	if i < len(sh.colWidths) {
		return sh.colWidths[i]
	}
	return 9
}

func (sh *streamSheet) write(row int, values []any, notes []note) error {
	if err := sh.sw.SetRow("A"+strconv.Itoa(row), values, sh.fitRow(values)...); err != nil {
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
			Text:   cleanText(n.text),
			Width:  240,
			Height: uint(30 + 15*(utf8.RuneCountInString(n.text)/35+strings.Count(n.text, "\n"))),
		}); err != nil {
			return err
		}
		sh.comments++
	}
	return nil
}

// fitRow wraps the text of the row's wrap columns, and any cell of several
// lines, when it does not fit on one line, and returns the row height that
// shows all of it (a StreamWriter row has no automatic height: Excel shows
// a row as tall as the file says). In such a tall row every cell is
// aligned to the top, where a reader starts. The common one-line row is
// left alone, without a style or an allocation.
func (sh *streamSheet) fitRow(values []any) []excelize.RowOpts {
	lines := 1
	for i, v := range values {
		s, style, ok := textValue(v)
		if !ok {
			continue
		}
		if _, wraps := sh.wrap[i]; !wraps && strings.IndexByte(s, '\n') < 0 {
			continue
		}
		if n := wrappedLines(s, sh.colWidthAt(i)); n > 1 {
			values[i] = excelize.Cell{StyleID: sh.styles.wrapped(style), Value: s}
			lines = max(lines, n)
		}
	}
	if lines == 1 {
		return nil
	}
	for i, v := range values {
		switch v.(type) {
		case nil, excelize.Cell: // every style of ours is top-aligned
		default:
			values[i] = excelize.Cell{StyleID: sh.styles.top, Value: v}
		}
	}
	return []excelize.RowOpts{{Height: rowHeight(lines)}}
}

// textValue returns a value's text and style, if it is a text cell.
func textValue(v any) (s string, style int, ok bool) {
	switch v := v.(type) {
	case string:
		return v, 0, true
	case excelize.Cell:
		s, ok := v.Value.(string)
		return s, v.StyleID, ok
	}
	return "", 0, false
}

func rowHeight(lines int) float64 {
	return float64(min(lines*lineHeight, maxRowHeight))
}

// wrappedLines estimates how many lines s takes when wrapped in a column
// width wide: words go on a line while they fit, a word longer than a line
// (a JSON body has few spaces) fills the line it starts on and breaks, as
// Excel and LibreOffice break it, and a line break starts a new line. A
// column's width counts characters of the widest digit; ordinary text is
// narrower: 1.18 of its characters to a digit in DejaVu Sans, the widest
// font LibreOffice falls back to (measured on a rendered report), more in
// Calibri. Counting 1.15 errs on the side of a line too many, never of a
// cut message.
func wrappedLines(s string, width float64) int {
	capacity := max(int(width*1.15)-1, 4)
	most := maxRowHeight/lineHeight + 1
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		n += paragraphLines(line, capacity)
		if n >= most {
			return most
		}
	}
	return n
}

func paragraphLines(p string, capacity int) int {
	lines, col := 1, 0
	for word := range strings.SplitSeq(p, " ") {
		w := textWidth(word)
		if col > 0 {
			if col+1+w <= capacity {
				col += 1 + w
				continue
			}
			if w <= capacity {
				lines++
				col = w
				continue
			}
			// Too long for any line: it starts here and breaks.
			w -= capacity - col - 1
			lines++
		}
		if w > capacity {
			lines += (w - 1) / capacity
			w -= (w - 1) / capacity * capacity
		}
		col = w
	}
	return lines
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

// setColWidths sets the columns' widths. It goes from the last column to the
// first because excelize puts each new <col> in front of the earlier ones,
// and Excel wants them in ascending order.
func setColWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	return nil
}

// colWidth turns a content width in characters into a column width, with a
// little padding, within bounds so that one long message does not push
// every other column off screen.
func colWidth(content, widest int) float64 {
	return float64(min(max(content+2, minColWidth), widest))
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
		// A date's serial shows as YYYY-MM-DD (10) or with the time (19);
		// a number as its digits, which is no wider than its shortest form.
		return len(strconv.FormatFloat(v, 'f', -1, 64))
	case bool:
		return len("FALSE")
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
