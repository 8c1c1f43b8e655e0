package input

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/acctimport/acctimport/internal/cell"
)

// xlsxReader streams one worksheet's XML straight out of the zip archive,
// so memory stays flat however many rows there are: nothing is unpacked to
// memory or disk but the parts it needs.
//
// Values are what a person sees in the cell, minus the decoration of its
// number format: dates and times as ISO 8601 text, numbers as their plain
// digits (to the 15 significant digits a spreadsheet keeps), booleans as
// TRUE and FALSE, formulas as their cached result, text exactly as typed.
// Record.Kinds says which cells were not text.
type xlsxReader struct {
	path   string
	wb     *workbook
	sheet  string // its name
	part   string // its part in the archive
	rc     io.ReadCloser
	dec    *xml.Decoder
	row    int  // the sheet row of the last row read
	rows   int  // row elements read, for Excel's limit
	inRow  bool // reading the cells of row r.row
	header []string
	next   *Record // the first data row, read ahead by Open
	err    error   // a file-level error that ended the reading

	text []byte // scratch: the text of the cell being read
}

func openXLSX(path string, opts Options) (r *xlsxReader, err error) {
	fail := func(e error) error { return &FileError{Path: path, Err: e} }
	// A workbook that is really CSV text or an old .xls says little as a
	// zip archive; look at the first bytes to say what it is.
	if err := sniffWorkbook(path); err != nil {
		return nil, fail(err)
	}
	wb, err := openWorkbook(path)
	if err != nil {
		return nil, err
	}
	x := &xlsxReader{path: path, wb: wb}
	defer func() {
		if err != nil {
			x.Close()
			r = nil
		}
	}()
	r = x
	sheet, err := chooseSheet(wb.sheets, opts.Sheet)
	if err != nil {
		return nil, fail(err)
	}
	r.sheet, r.part = sheet.name, sheet.part
	if r.part == "" {
		return nil, wb.damaged(fmt.Sprintf("sheet %q", sheet.name), "is listed in the workbook, but its cells are missing")
	}
	// A sheet cut off in the middle would end the reading after some rows
	// were sent; unpacking it once (at hundreds of MB/s, beside the shared
	// strings) finds that before anything is.
	checked := make(chan error, 1)
	go func() { checked <- r.checkEnd() }()
	serr := wb.readSharedStrings()
	if cerr := <-checked; cerr != nil {
		return nil, cerr
	}
	if serr != nil {
		return nil, serr
	}
	if r.rc, err = wb.open(r.part, maxSheetPart); err != nil {
		return nil, err
	}
	r.dec = xmlDecoder(guardGaps(r.rc, maxGap))

	// The header is the first row that is not blank; rows above it are
	// usually left empty for looks.
	cells, _, prob, err := r.nextRow()
	if err == io.EOF {
		return nil, fail(fmt.Errorf("sheet %q is empty: %w", sheet.name, ErrNoData))
	}
	if err != nil {
		return nil, err
	}
	headLine := r.row
	if prob.kind != probNone {
		return nil, fail(fmt.Errorf("sheet %q: header (row %d) cannot be read: %w", sheet.name, headLine, problemError(prob, r.header, 0, "")))
	}
	if r.header, err = checkHeader(cells, headLine); err != nil {
		return nil, fail(fmt.Errorf("sheet %q: %w", sheet.name, err))
	}
	rec, err := r.Next()
	if err == io.EOF {
		return nil, fail(fmt.Errorf("sheet %q: header (row %d) has %w under it", sheet.name, headLine, ErrNoData))
	}
	if err != nil {
		return nil, err
	}
	r.next = &rec
	return r, nil
}

// checkEnd unpacks the sheet's part to see that it is whole: the zip's
// checksum holds and the XML ends where a worksheet ends.
func (r *xlsxReader) checkEnd() error {
	rc, err := r.wb.open(r.part, maxSheetPart)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := make([]byte, 256<<10)
	var tail []byte
	for {
		n, err := io.ReadFull(rc, buf)
		if n > 0 {
			tail = append(tail[:0], bytes.TrimRight(buf[:n], " \t\r\n")...)
			if len(tail) == 0 {
				tail = tail[:0]
			}
			if len(tail) > 64 {
				tail = tail[len(tail)-64:]
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return r.wb.damaged(r.where(), "cannot be unpacked (%v)", err)
		}
	}
	if !bytes.HasSuffix(tail, []byte("worksheet>")) || !bytes.Contains(tail, []byte("</")) {
		return r.wb.damaged(r.where(), "is cut off: its XML ends before the sheet does, so rows are missing")
	}
	return nil
}

// where names the sheet and its part for a message.
func (r *xlsxReader) where() string {
	return fmt.Sprintf("sheet %q (%s)", r.sheet, r.wb.parts[r.part].Name)
}

func (r *xlsxReader) Header() []string { return r.header }

func (r *xlsxReader) Next() (rec Record, err error) {
	if r.next != nil {
		rec, r.next = *r.next, nil
		return rec, nil
	}
	cells, kinds, prob, err := r.nextRow()
	if err != nil {
		return Record{}, err
	}
	rec = Record{Line: r.row}
	n := len(r.header)
	if prob.kind != probNone {
		rec.Err = problemError(prob, r.header, 0, "")
	}
	for i := n; i < len(cells) && rec.Err == nil; i++ {
		if strings.TrimSpace(cells[i]) != "" {
			rec.Err = fmt.Errorf("column %s has a value, but no name in the header", columnName(i))
		}
	}
	if len(cells) != n {
		fitted := make([]string, n)
		copy(fitted, cells)
		cells = fitted
	}
	if kinds != nil {
		if len(kinds) != n {
			fitted := make([]cell.Kind, n)
			copy(fitted, kinds)
			kinds = fitted
		}
		rec.Kinds = kinds
	}
	rec.Cells = cells
	return rec, nil
}

// nextRow returns the cells of the next row that is not blank, with r.row
// set to its row number, their kinds (nil when all are text) and the row's
// problem. The error is io.EOF at the end of the sheet, or a *FileError.
func (r *xlsxReader) nextRow() (cells []string, kinds []cell.Kind, prob problem, err error) {
	if r.err != nil {
		return nil, nil, problem{}, r.err
	}
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			return nil, nil, problem{}, r.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "row" {
				continue
			}
			if r.rows++; r.rows > maxSheetRows {
				return nil, nil, problem{}, r.fail(fmt.Errorf("it has more than %d rows, Excel's limit", maxSheetRows))
			}
			num := r.row + 1
			for _, a := range t.Attr {
				if a.Name.Local == "r" {
					if n, err := strconv.Atoi(strings.TrimSpace(a.Value)); err == nil && n > 0 {
						num = n
					}
				}
			}
			if num > maxSheetRows {
				return nil, nil, problem{}, r.fail(fmt.Errorf("row %d is past row %d, Excel's last", num, maxSheetRows))
			}
			r.row, r.inRow = num, true
			cells, kinds, prob, err = r.readRow()
			r.inRow = false
			if err != nil {
				return nil, nil, problem{}, err
			}
			if blank(cells) && prob.kind == probNone {
				continue
			}
			return cells, kinds, prob, nil
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				r.err = io.EOF
				return nil, nil, problem{}, io.EOF
			}
		}
	}
}

// fail turns an error of the sheet's XML into the reader's sticky
// *FileError.
func (r *xlsxReader) fail(err error) error {
	at := fmt.Sprintf("after row %d", r.row)
	if r.inRow {
		at = fmt.Sprintf("in row %d", r.row)
	}
	switch {
	case err == io.EOF:
		err = r.wb.damaged(r.where(), "is cut off %s: its XML ends before the sheet does, so rows are missing", at)
	case errors.Is(err, zip.ErrChecksum), errors.Is(err, zip.ErrFormat), errors.Is(err, io.ErrUnexpectedEOF):
		err = r.wb.damaged(r.where(), "cannot be unpacked %s (%v)", at, err)
	default:
		err = r.wb.damaged(r.where(), "is not valid XML %s (%v)", at, err)
	}
	r.err = err
	return err
}

// readRow reads the cells of the row element just started.
func (r *xlsxReader) readRow() (cells []string, kinds []cell.Kind, prob problem, err error) {
	col := -1
	size := 0
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			return nil, nil, problem{}, r.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			ref, style, typ := "", 0, ""
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "r":
					ref = a.Value
				case "s":
					// An empty or broken style is General, as in Excel.
					style, _ = strconv.Atoi(strings.TrimSpace(a.Value))
				case "t":
					typ = a.Value
				}
			}
			if c, ok := refColumn(ref); ok {
				col = c
			} else {
				col++
			}
			if col >= maxSheetCols {
				return nil, nil, problem{}, r.fail(fmt.Errorf("row %d has a cell past column XFD, Excel's last", r.row))
			}
			v, inline, err := r.readCell()
			if err != nil {
				return nil, nil, problem{}, err
			}
			val, kind, bad := r.value(typ, style, v, inline)
			if bad >= 0 && prob.kind == probNone {
				prob = problem{kind: probBadString, col: col, char: rune(bad)}
			}
			if val == "" {
				continue
			}
			if size += len(val); size > maxRecordBytes {
				return nil, nil, problem{kind: probLongRow}, r.skipRow()
			}
			if len(val) > maxCellBytes && prob.kind == probNone {
				prob = problem{kind: probLongCell, col: col}
			}
			if kind == cell.Text {
				if _, k, ch := (textCheck{}).badText(val); k != probNone {
					if prob.kind == probNone {
						prob = problem{kind: k, col: col, char: ch}
					}
					val = cleanText(val)
				}
			}
			for len(cells) <= col {
				cells = append(cells, "")
			}
			cells[col] = val
			if kind != cell.Text {
				for len(kinds) <= col {
					kinds = append(kinds, cell.Text)
				}
				kinds[col] = kind
			}
		case xml.EndElement:
			if t.Name.Local == "row" {
				return cells, kinds, prob, nil
			}
		}
	}
}

// skipRow reads on to the end of the current row.
func (r *xlsxReader) skipRow() error {
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			return r.fail(err)
		}
		if t, ok := tok.(xml.EndElement); ok && t.Name.Local == "row" {
			return nil
		}
	}
}

// readCell reads the cell element just started up to its end: the text of
// its value (v), or of its inline string (is), whose runs' texts are one
// after another and whose phonetic runs (rPh) are no part of it.
func (r *xlsxReader) readCell() (text []byte, inline bool, err error) {
	r.text = r.text[:0]
	in := "" // the element whose text is kept: "v", or "t" inside "is"
	ph := 0
	for {
		tok, err := r.dec.RawToken()
		if err != nil {
			return nil, false, r.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				in = "v"
			case "is":
				inline = true
			case "t":
				if inline {
					in = "t"
				}
			case "rPh":
				ph++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "c":
				return r.text, inline, nil
			case "v", "t":
				in = ""
			case "rPh":
				ph--
			}
		case xml.CharData:
			if in != "" && ph == 0 && (in == "t") == inline {
				r.text = append(r.text, t...)
			}
		}
	}
}

// value is a cell's text and kind from its type (t), style (s) and text. bad
// is the number of a missing shared string, or -1.
func (r *xlsxReader) value(typ string, style int, v []byte, inline bool) (s string, k cell.Kind, bad int) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(string(v)))
		str, ok := r.wb.sst.get(i)
		if err != nil || !ok {
			if len(v) == 0 {
				return "", cell.Text, -1
			}
			return "", cell.Text, i
		}
		return str, cell.Text, -1
	case "inlineStr", "str":
		return string(decodeEscapes(v)), cell.Text, -1
	case "b":
		switch strings.TrimSpace(string(v)) {
		case "1", "true", "TRUE":
			return "TRUE", cell.Bool, -1
		case "0", "false", "FALSE":
			return "FALSE", cell.Bool, -1
		}
		return string(v), cell.Text, -1
	case "e":
		return string(v), cell.Error, -1
	case "d":
		return isoCell(string(v), r.wb.styleKind(style))
	}
	if inline {
		return string(decodeEscapes(v)), cell.Text, -1
	}
	if len(v) == 0 {
		return "", cell.Text, -1
	}
	return r.number(v, r.wb.styleKind(style))
}

// number formats a number cell by what its style makes of it.
func (r *xlsxReader) number(v []byte, kind fmtKind) (string, cell.Kind, int) {
	if kind == kindNumber {
		if plainDecimal(v) {
			return string(v), cell.Number, -1
		}
	}
	s := strings.TrimSpace(string(v))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s, cell.Text, -1
	}
	if kind != kindNumber {
		if out, k, ok := serialDate(f, kind, r.wb.d1904); ok {
			return out, k, -1
		}
	}
	return formatNumber(s, f), cell.Number, -1
}

// plainDecimal reports whether v already is a number as formatNumber writes
// it: -?(0|[1-9][0-9]*)(\.[0-9]*[1-9])? with at most 15 significant digits.
// Most numbers in a sheet are, and need no parsing.
func plainDecimal(v []byte) bool {
	i := 0
	if len(v) > 0 && v[0] == '-' {
		i = 1
	}
	if i == len(v) || len(v)-i > 16 {
		return false
	}
	if v[i] == '0' && i+1 < len(v) && v[i+1] != '.' {
		return false
	}
	digits, point := 0, -1
	for j := i; j < len(v); j++ {
		switch c := v[j]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && point < 0 && j > i:
			point = j
		default:
			return false
		}
	}
	if point >= 0 && (point == len(v)-1 || v[len(v)-1] == '0') {
		return false
	}
	if i == 1 && digits == 1 && v[1] == '0' {
		return false // -0
	}
	return digits <= 15 && (v[i] != '0' || point == i+1 || len(v) == i+1)
}

// formatNumber writes a number in its plain digits, as a spreadsheet shows
// it with a "0" or "General" format wide enough: never in exponent notation,
// and rounded to the 15 significant digits a spreadsheet keeps (Excel shows
// 0.1+0.2 as 0.3, and 123456789012345678 as 123456789012346000).
func formatNumber(text string, f float64) string {
	if f == 0 {
		return "0"
	}
	if significantDigits(text) > 15 {
		f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'e', 14, 64), 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// significantDigits counts the digits of a number's text before its
// exponent, without leading zeros and, for an integer, trailing ones.
func significantDigits(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimLeft(s, "+-0.")
	if !strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
	}
	return len(strings.ReplaceAll(s, ".", ""))
}

// The day a serial number of 0 falls on, in each date system. In the 1900
// system Excel counts 1900-02-29, which was no day, as serial 60; days
// before it are one further from this epoch than they seem.
var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialDate formats a date or time cell's serial number as ISO 8601 text,
// rounded to the second as a spreadsheet shows it. A number no date format
// can show (negative, or past 9999-12-31) is not a date.
func serialDate(f float64, kind fmtKind, d1904 bool) (string, cell.Kind, bool) {
	if f < 0 || f >= 2958466 {
		return "", 0, false
	}
	secs := int64(math.Round(f * 86400))
	days, clock := secs/86400, secs%86400
	hms := fmt.Sprintf("%02d:%02d:%02d", clock/3600, clock/60%60, clock%60)
	if kind == kindElapsed {
		// [h]:mm:ss counts hours past a day, from serial 0.
		return fmt.Sprintf("%d:%02d:%02d", secs/3600, clock/60%60, clock%60), cell.Text, true
	}
	if kind == kindTime {
		return hms, cell.Time, true
	}
	var date string
	switch {
	case d1904:
		date = epoch1904.AddDate(0, 0, int(days)).Format("2006-01-02")
	case days == 60:
		date = "1900-02-29" // what Excel shows
	case days < 60:
		date = epoch1900.AddDate(0, 0, int(days)+1).Format("2006-01-02")
	default:
		date = epoch1900.AddDate(0, 0, int(days)).Format("2006-01-02")
	}
	if kind == kindDate {
		return date, cell.Date, true
	}
	return date + "T" + hms, cell.DateTime, true
}

// isoCell formats a cell of type d, whose text is an ISO 8601 date, time or
// both (not a serial number, so the date system does not matter), as its
// style shows it; a style without a date shows what the text has.
func isoCell(v string, kind fmtKind) (string, cell.Kind, int) {
	v = strings.TrimSpace(v)
	var t time.Time
	var err error
	hasDate, hasTime := true, true
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "15:04:05.999999999", "15:04:05", "15:04"} {
		if t, err = time.Parse(layout, v); err == nil {
			hasDate = strings.HasPrefix(layout, "2006")
			hasTime = layout != "2006-01-02"
			break
		}
	}
	if err != nil {
		return v, cell.Text, -1
	}
	t = t.Round(time.Second)
	switch {
	case kind == kindDate || kind == kindNumber && !hasTime:
		return t.Format("2006-01-02"), cell.Date, -1
	case kind == kindTime || kind == kindElapsed || kind == kindNumber && !hasDate:
		return t.Format("15:04:05"), cell.Time, -1
	}
	return t.Format("2006-01-02T15:04:05"), cell.DateTime, -1
}

// refColumn is the zero-based column of a cell reference such as "AB12".
func refColumn(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i]
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A') + 1
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a') + 1
		case c == '$' && i == 0:
		default:
			if i == 0 || col == 0 {
				return 0, false
			}
			return col - 1, true
		}
		if col > maxSheetCols {
			return maxSheetCols, true
		}
	}
	if col == 0 {
		return 0, false
	}
	return col - 1, true
}

func (r *xlsxReader) Close() error {
	var err error
	if r.rc != nil {
		err = r.rc.Close()
		r.rc = nil
	}
	if r.wb != nil {
		if cerr := r.wb.Close(); err == nil {
			err = cerr
		}
		r.wb = nil
	}
	return err
}

// chooseSheet returns the sheet to read: the one asked for, or else the first
// worksheet (a chart sheet has no cells).
func chooseSheet(sheets []sheetEntry, want string) (sheetEntry, error) {
	if len(sheets) == 0 {
		return sheetEntry{}, errors.New("not a valid workbook: it has no sheets")
	}
	var names, worksheets []string
	for _, s := range sheets {
		names = append(names, s.name)
		if s.kind == "" {
			worksheets = append(worksheets, s.name)
		}
	}
	if want == "" {
		for _, s := range sheets {
			if s.kind == "" {
				return s, nil
			}
		}
		return sheetEntry{}, fmt.Errorf("the workbook has no worksheets, only %s", quoteList(names))
	}
	for _, exact := range []bool{true, false} {
		for _, s := range sheets {
			if s.name == want || !exact && strings.EqualFold(s.name, want) {
				if s.kind != "" {
					return sheetEntry{}, fmt.Errorf("sheet %q is a %s, which has no cells; the worksheets are %s", s.name, s.kind, quoteList(worksheets))
				}
				return s, nil
			}
		}
	}
	return sheetEntry{}, fmt.Errorf("sheet %q not found; the workbook has %s", want, quoteList(names))
}

// sniffWorkbook looks at the first bytes of a .xlsx file, to tell a user
// who renamed a CSV or kept an old .xls what they have.
func sniffWorkbook(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot open the file: %w", unwrapPathError(err))
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return fmt.Errorf("cannot read the file: %w", err)
	case n == 0:
		return errors.New("not a valid workbook: the file is empty")
	case bytes.HasPrefix(head, zipMagic):
		return nil
	case bytes.HasPrefix(head, oleMagic):
		// Encrypted workbooks are OLE files too.
		return errors.New("not a valid workbook: this is a password-protected workbook or an old binary Excel (.xls) file; remove the password, or save it as .xlsx")
	case looksLikeText(head):
		return errors.New("not a valid workbook: this is a text file (CSV?) with an .xlsx name; name it .csv, or open it in Excel and save it as a workbook")
	}
	return errors.New("not a valid workbook: the file is not an .xlsx (zip) archive")
}

func looksLikeText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// workbookError says what an error opening the zip archive means.
func workbookError(err error) error {
	var pe *os.PathError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("cannot open the file: %w", pe.Err)
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("not a valid workbook: the .xlsx (zip) archive is damaged or incomplete (%v): if it was copied or downloaded, copy it again; otherwise open it in Excel or LibreOffice and save it again", err)
	}
	return fmt.Errorf("not a valid workbook: %w", err)
}
