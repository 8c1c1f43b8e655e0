package reports

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/input"
	"github.com/acctimport/acctimport/internal/cell"
)

// xlsxReport reads a workbook we wrote. excelize's streaming Rows gives the
// cells' values but neither their types nor their styles, which say what a
// number cell is (a date is a number with a date format) and which cell was
// highlighted; a second streaming pass over the sheet's XML (sheetAttrs)
// reads those, in step with Rows.
type xlsxReport struct {
	path   string
	f      *excelize.File
	zr     *zip.ReadCloser
	parts  map[string]string // sheet name -> part name in the zip
	styles map[int]cellStyle
}

// cellStyle is what a style says about a cell read back.
type cellStyle struct {
	kind    cell.Kind // for a number cell: Number, Date, DateTime or Time
	flagged bool      // filled as an invalid cell is
}

func openXLSXReport(p, tmp string) (src *reportSource, err error) {
	x := &xlsxReport{path: p, styles: map[int]cellStyle{}}
	defer func() {
		if r := recover(); r != nil {
			err = sourceError(p, "", 0, "the workbook is damaged (%v)", r)
		}
		if err != nil {
			x.close()
			src = nil
		}
	}()
	if x.zr, err = zip.OpenReader(p); err != nil {
		return nil, sourceError(p, "", 0, "not a readable workbook: %v", err)
	}
	if err = x.checkParts(); err != nil {
		return nil, err
	}
	if x.parts, err = sheetParts(&x.zr.Reader); err != nil {
		return nil, sourceError(p, "", 0, "not a readable workbook: %v", err)
	}
	for _, name := range []string{sheetResults, sheetSummary} {
		if x.parts[name] == "" {
			return nil, sourceError(p, "", 0, "no %s sheet: not an acctimport report", name)
		}
	}
	x.f, err = excelize.OpenFile(p, excelize.Options{UnzipSizeLimit: maxWorkbookSize, UnzipXMLSizeLimit: sheetInMemory, TmpDir: tmp})
	if err != nil {
		return nil, sourceError(p, "", 0, "not a readable workbook: %v", err)
	}

	items, rows, err := x.summaryItems()
	if err != nil {
		return nil, err
	}
	sum, payloads, err := parseSummary(items, p, sheetSummary, func(i int) int { return rows[i] })
	if err != nil {
		return nil, err
	}
	comments, err := x.f.GetComments(sheetResults)
	if err != nil {
		return nil, sourceError(p, sheetResults, 0, "cannot read the comments: %v", err)
	}
	rules := make(map[string]string, len(comments))
	for _, c := range comments {
		t := c.Text
		for _, r := range c.Paragraph {
			t += r.Text
		}
		rules[c.Cell] = t
	}

	rs, err := x.f.Rows(sheetResults)
	if err != nil {
		return nil, sourceError(p, sheetResults, 0, "cannot read the sheet: %v", err)
	}
	attrs, err := x.openAttrs(sheetResults)
	if err != nil {
		rs.Close()
		return nil, err
	}
	n := 0 // the sheet row of the last row read
	nextRow := func() ([]string, []cellAttr, error) {
		for rs.Next() {
			n++
			vals, err := rs.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				return nil, nil, sourceError(p, sheetResults, n, "%v", err)
			}
			at, err := attrs.row(n)
			if err != nil {
				return nil, nil, sourceError(p, sheetResults, n, "%v", err)
			}
			if blankRow(vals) {
				continue
			}
			return vals, at, nil
		}
		if err := rs.Error(); err != nil {
			return nil, nil, sourceError(p, sheetResults, n, "%v", err)
		}
		return nil, nil, io.EOF
	}
	closeAll := func() error {
		attrs.close()
		err := rs.Close()
		x.close()
		return err
	}
	vals, at, err := nextRow()
	if err != nil {
		closeAll()
		if err == io.EOF {
			err = sourceError(p, sheetResults, 0, "the sheet is empty")
		}
		return nil, err
	}
	if err := x.checkText(vals, at, n); err != nil {
		closeAll()
		return nil, err
	}
	header, err := checkResultsHeader(vals, payloads, p, sheetResults)
	if err != nil {
		closeAll()
		return nil, err
	}
	first := len(vals) - len(header)
	src = &reportSource{path: p, summary: sum, payloads: payloads, header: header, close: closeAll}
	src.next = func() (r *Row, err error) {
		defer func() {
			if rec := recover(); rec != nil {
				err = sourceError(p, sheetResults, n, "the workbook is damaged (%v)", rec)
			}
		}()
		vals, at, err := nextRow()
		if err != nil {
			return nil, err
		}
		// The fixed columns are text and numbers as we write them; the
		// input's columns carry their types back.
		var kinds []cell.Kind
		var issues []Issue
		for _, a := range at {
			if a.col >= len(vals) {
				continue
			}
			v, kind, flagged, err := x.cellValue(vals[a.col], a)
			if err != nil {
				return nil, sourceError(p, sheetResults, n, "cell %s%d: %v", columnLetter(a.col), n, err)
			}
			vals[a.col] = v
			if a.col < first {
				continue
			}
			if kind != cell.Text {
				if kinds == nil {
					kinds = make([]cell.Kind, len(vals)-first)
				}
				kinds[a.col-first] = kind
			}
			if flagged {
				issues = append(issues, Issue{Column: a.col - first, Rule: rules[columnLetter(a.col)+strconv.Itoa(n)]})
			}
		}
		r, err = resultsRow(vals, payloads, p, sheetResults, n)
		if err != nil {
			return nil, err
		}
		r.Kinds, r.Issues = kinds, issues
		return r, nil
	}
	return src, nil
}

func blankRow(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

// checkText makes sure the header's cells are text.
func (x *xlsxReport) checkText(vals []string, at []cellAttr, row int) error {
	for _, a := range at {
		if !a.text() && a.col < len(vals) && vals[a.col] != "" {
			return sourceError(x.path, sheetResults, row, "header cell %s%d is not text", columnLetter(a.col), row)
		}
	}
	return nil
}

func (x *xlsxReport) close() {
	if x.f != nil {
		_ = x.f.Close()
		x.f = nil
	}
	if x.zr != nil {
		_ = x.zr.Close()
		x.zr = nil
	}
}

// checkParts refuses a workbook whose parts inflate past sane sizes before
// excelize reads them into memory (the sizes are the zip's, which
// archive/zip holds every part to).
func (x *xlsxReport) checkParts() error {
	var total uint64
	for _, f := range x.zr.File {
		total += f.UncompressedSize64
		if !strings.HasPrefix(f.Name, "xl/worksheets/") && f.UncompressedSize64 > maxPartSize {
			return sourceError(x.path, "", 0, "part %s inflates to %d MiB, past the %d MiB a report's part can be", f.Name, f.UncompressedSize64>>20, maxPartSize>>20)
		}
	}
	if total > maxWorkbookSize {
		return sourceError(x.path, "", 0, "the workbook inflates to %d GiB, past the %d GiB a report can be", total>>30, maxWorkbookSize>>30)
	}
	return nil
}

// summaryItems reads the Summary sheet's two columns, with their rows.
func (x *xlsxReport) summaryItems() ([][2]string, []int, error) {
	rs, err := x.f.Rows(sheetSummary)
	if err != nil {
		return nil, nil, sourceError(x.path, sheetSummary, 0, "cannot read the sheet: %v", err)
	}
	defer rs.Close()
	var items [][2]string
	var rows []int
	for n := 1; rs.Next(); n++ {
		if n > maxSummaryRows {
			return nil, nil, sourceError(x.path, sheetSummary, n, "more than %d rows: not the Summary of an acctimport report", maxSummaryRows)
		}
		vals, err := rs.Columns()
		if err != nil {
			return nil, nil, sourceError(x.path, sheetSummary, n, "%v", err)
		}
		for len(vals) < 2 {
			vals = append(vals, "")
		}
		if n == 1 {
			if vals[0] != "Item" || vals[1] != "Value" {
				return nil, nil, sourceError(x.path, sheetSummary, 1, "the header is %q, not Item, Value: not the Summary of an acctimport report", vals[:2])
			}
			continue
		}
		if vals[0] == "" && vals[1] == "" {
			continue
		}
		items = append(items, [2]string{vals[0], vals[1]})
		rows = append(rows, n)
	}
	if err := rs.Error(); err != nil {
		return nil, nil, sourceError(x.path, sheetSummary, 0, "%v", err)
	}
	return items, rows, nil
}

// cellValue turns a cell's raw value back into its canonical text and kind
// (see cell.Kind), and says whether it was highlighted.
func (x *xlsxReport) cellValue(raw string, a cellAttr) (string, cell.Kind, bool, error) {
	st, err := x.style(a.style)
	if err != nil {
		return "", 0, false, err
	}
	switch a.typ {
	case "b":
		switch raw {
		case "1":
			return "TRUE", cell.Bool, st.flagged, nil
		case "0":
			return "FALSE", cell.Bool, st.flagged, nil
		}
		return "", 0, false, fmt.Errorf("a boolean cell holding %q", raw)
	case "", "n":
		if raw == "" {
			return "", cell.Text, st.flagged, nil
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return "", 0, false, fmt.Errorf("a number cell holding %q", raw)
		}
		switch st.kind {
		case cell.Date, cell.DateTime, cell.Time:
			s, ok := serialText(v, st.kind)
			if !ok {
				return "", 0, false, fmt.Errorf("a date cell holding %v, which is no date", v)
			}
			return s, st.kind, st.flagged, nil
		}
		return strconv.FormatFloat(v, 'f', -1, 64), cell.Number, st.flagged, nil
	}
	return raw, cell.Text, st.flagged, nil
}

// style returns what style id says, from the workbook's styles.
func (x *xlsxReport) style(id int) (cellStyle, error) {
	if st, ok := x.styles[id]; ok {
		return st, nil
	}
	var st cellStyle
	if id != 0 {
		s, err := x.f.GetStyle(id)
		if err != nil {
			return st, fmt.Errorf("style %d: %v", id, err)
		}
		st.kind = numFmtKind(s)
		if len(s.Fill.Color) > 0 {
			c := strings.ToUpper(s.Fill.Color[0])
			st.flagged = strings.TrimPrefix(c, "FF") == statusColours[StatusInvalid].fill || c == statusColours[StatusInvalid].fill
		}
	}
	if len(x.styles) < 1<<16 {
		x.styles[id] = st
	}
	return st, nil
}

// numFmtKind is the kind of cell a style's number format makes, read as
// the input package reads it.
func numFmtKind(s *excelize.Style) cell.Kind {
	code := ""
	if s.CustomNumFmt != nil {
		code = *s.CustomNumFmt
	}
	return input.NumberFormatKind(s.NumFmt, code)
}

// serialText is the inverse of serialValue: a serial number as the text of
// a date, date-time or time cell, to the second.
func serialText(v float64, k cell.Kind) (string, bool) {
	if v < 0 || v >= 2958466 { // 9999-12-31
		return "", false
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	if secs >= 86400 {
		days++
		secs = 0
	}
	clock := time.Duration(secs) * time.Second
	if k == cell.Time {
		return time.Time{}.Add(clock).Format("15:04:05"), true
	}
	if days < 1 {
		return "", false
	}
	start := excelEpoch
	if days < 61 {
		start = start.AddDate(0, 0, 1)
	}
	t := start.AddDate(0, 0, int(days)).Add(clock)
	if k == cell.Date {
		return t.Format("2006-01-02"), true
	}
	return t.Format("2006-01-02T15:04:05"), true
}

// sheetParts maps the workbook's sheet names to their parts, from
// xl/workbook.xml and its relationships.
func sheetParts(zr *zip.Reader) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	parts := map[string]string{}
	for _, s := range wb.Sheets {
		parts[s.Name] = targets[s.ID]
	}
	return parts, nil
}

func readXMLPart(zr *zip.Reader, name string, v any) error {
	f, err := zr.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := xml.NewDecoder(io.LimitReader(f, maxPartSize)).Decode(v); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}

// openAttrs starts the pass over a sheet's XML for the cells' types and
// styles.
func (x *xlsxReport) openAttrs(sheet string) (*sheetAttrs, error) {
	f, err := x.zr.Open(x.parts[sheet])
	if err != nil {
		return nil, sourceError(x.path, sheet, 0, "cannot read the sheet: %v", err)
	}
	return newSheetAttrs(f), nil
}

// cellAttr is what a cell's XML element says of it besides its value.
type cellAttr struct {
	col   int // 0-based
	style int
	typ   string // the t attribute: "" or "n" for a number, "s", "inlineStr", "str", "b", "e", "d"
}

func (a cellAttr) text() bool {
	switch a.typ {
	case "s", "inlineStr", "str":
		return true
	}
	return false
}

// sheetAttrs streams the <row> and <c> elements of a worksheet, skipping
// their content.
type sheetAttrs struct {
	rc      io.ReadCloser
	dec     *xml.Decoder
	last    int // the last row element read
	held    []cellAttr
	heldRow int // the row of held, when it is ahead of the caller
	done    bool
}

func newSheetAttrs(rc io.ReadCloser) *sheetAttrs {
	return &sheetAttrs{rc: rc, dec: xml.NewDecoder(rc)}
}

func (s *sheetAttrs) close() { _ = s.rc.Close() }

// row returns the attributes of row n's cells (none for a row the sheet
// does not have). Rows are asked for in ascending order.
func (s *sheetAttrs) row(n int) ([]cellAttr, error) {
	for {
		if s.heldRow == n && s.held != nil {
			at := s.held
			s.held, s.heldRow = nil, 0
			return at, nil
		}
		if s.heldRow > n || s.done {
			return nil, nil
		}
		r, at, err := s.readRow()
		if err != nil {
			return nil, err
		}
		if r == 0 {
			s.done = true
			return nil, nil
		}
		if r < n {
			continue
		}
		s.held, s.heldRow = at, r
		if at == nil {
			s.held = []cellAttr{}
		}
	}
}

// readRow reads up to the next row element and returns its number and
// cells; 0 at the end of the sheet data.
func (s *sheetAttrs) readRow() (int, []cellAttr, error) {
	for {
		tok, err := s.dec.Token()
		if err == io.EOF {
			return 0, nil, nil
		}
		if err != nil {
			return 0, nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		r := s.last + 1
		if v := attr(se, "r"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= s.last || n > excelize.TotalRows {
				return 0, nil, fmt.Errorf("row element r=%q out of order", v)
			}
			r = n
		}
		s.last = r
		var cells []cellAttr
		col := -1
		for {
			tok, err := s.dec.Token()
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return 0, nil, err
			}
			switch t := tok.(type) {
			case xml.StartElement:
				if t.Name.Local != "c" {
					if err := s.dec.Skip(); err != nil {
						return 0, nil, err
					}
					continue
				}
				col++
				if ref := attr(t, "r"); ref != "" {
					c, rr, err := excelize.CellNameToCoordinates(ref)
					if err != nil || rr != r {
						return 0, nil, fmt.Errorf("cell %q in row %d", ref, r)
					}
					col = c - 1
				}
				a := cellAttr{col: col, typ: attr(t, "t")}
				if v := attr(t, "s"); v != "" {
					if a.style, err = strconv.Atoi(v); err != nil || a.style < 0 {
						return 0, nil, fmt.Errorf("cell %s%d has style %q", columnLetter(col), r, v)
					}
				}
				if len(cells) >= excelize.MaxColumns {
					return 0, nil, fmt.Errorf("more than %d cells in row %d", excelize.MaxColumns, r)
				}
				cells = append(cells, a)
				if err := s.dec.Skip(); err != nil {
					return 0, nil, err
				}
			case xml.EndElement:
				if t.Name.Local == "row" {
					return r, cells, nil
				}
			}
		}
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}
