package input

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits for opening a workbook. The XML of a sheet larger than
// xmlInMemoryLimit goes to a temporary file and is streamed from there;
// unzipLimit refuses zip bombs while leaving room for a full-height sheet.
const (
	unzipLimit       = 4 << 30
	xmlInMemoryLimit = 16 << 20
)

// xlsxReader streams one worksheet with excelize's row iterator, so memory
// stays flat however many rows there are.
//
// Values are what a person sees in the cell, minus the decoration of its
// number format: dates and times as ISO 8601 text (see isoStyles), numbers as
// their plain digits, booleans as TRUE and FALSE, formulas as their cached
// result. Excelize can panic on malformed workbooks; every call into it is
// guarded, and a panic becomes a *FileError.
type xlsxReader struct {
	path   string
	f      *excelize.File
	rows   *excelize.Rows
	row    int // the sheet row of the last row read
	header []string
	d1904  bool    // see fixElapsed1904
	next   *Record // the first data row, read ahead by Open
	err    error   // a file-level error that ended the reading
}

func openXLSX(path string, opts Options) (r *xlsxReader, err error) {
	fail := func(e error) error { return &FileError{Path: path, Err: e} }
	// A workbook that is really CSV text or an old .xls says little to
	// excelize; look at the first bytes to say what it is.
	if err := sniffWorkbook(path); err != nil {
		return nil, fail(err)
	}
	x := &xlsxReader{path: path}
	defer func() {
		if p := recover(); p != nil {
			err = x.panicked(p)
		}
		if err != nil {
			x.Close()
			r = nil
		}
	}()
	r = x
	r.f, err = excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: unzipLimit, UnzipXMLSizeLimit: xmlInMemoryLimit})
	if err != nil {
		return nil, fail(workbookError(err))
	}
	sheet, err := chooseSheet(r.f, opts.Sheet)
	if err != nil {
		return nil, fail(err)
	}
	if err := isoStyles(r.f); err != nil {
		return nil, fail(err)
	}
	r.d1904 = date1904(r.f)
	if r.rows, err = r.f.Rows(sheet); err != nil {
		var missing excelize.ErrSheetNotExist
		if errors.As(err, &missing) {
			return nil, fail(fmt.Errorf("sheet %q is listed in the workbook, but its cells are missing: the file is damaged; open it in Excel or LibreOffice and save it again", sheet))
		}
		return nil, fail(fmt.Errorf("cannot read sheet %q: %w", sheet, err))
	}

	// The header is the first row that is not blank; rows above it are
	// usually left empty for looks.
	cells, err := r.nextRow()
	if err == io.EOF {
		return nil, fail(fmt.Errorf("sheet %q is empty: %w", sheet, ErrNoData))
	}
	if err != nil {
		return nil, err
	}
	headLine := r.row
	if r.header, err = checkHeader(cells, headLine); err != nil {
		return nil, fail(fmt.Errorf("sheet %q: %w", sheet, err))
	}
	rec, err := r.Next()
	if err == io.EOF {
		return nil, fail(fmt.Errorf("sheet %q: header (row %d) has %w under it", sheet, headLine, ErrNoData))
	}
	if err != nil {
		return nil, err
	}
	r.next = &rec
	return r, nil
}

func (r *xlsxReader) Header() []string { return r.header }

func (r *xlsxReader) Next() (rec Record, err error) {
	if r.next != nil {
		rec, r.next = *r.next, nil
		return rec, nil
	}
	cells, err := r.nextRow()
	if err != nil {
		return Record{}, err
	}
	rec = Record{Line: r.row}
	n := len(r.header)
	for i := n; i < len(cells); i++ {
		if strings.TrimSpace(cells[i]) != "" {
			rec.Err = fmt.Errorf("column %s has a value, but no name in the header", columnName(i))
			break
		}
	}
	if len(cells) != n {
		fitted := make([]string, n)
		copy(fitted, cells)
		cells = fitted
	}
	rec.Cells = cells
	return rec, nil
}

// nextRow returns the cells of the next row that is not blank, with r.row
// set to its row number.
func (r *xlsxReader) nextRow() (cells []string, err error) {
	if r.err != nil {
		return nil, r.err
	}
	defer func() {
		if p := recover(); p != nil {
			err = r.panicked(p)
		}
	}()
	for r.rows.Next() {
		// Next steps through row numbers one at a time, also over rows
		// missing from the file, so counting calls gives the row number.
		r.row++
		cells, err := r.rows.Columns()
		if err != nil {
			r.err = &FileError{Path: r.path, Err: fmt.Errorf("row %d cannot be read: %w", r.row, err)}
			return nil, r.err
		}
		if blank(cells) {
			continue
		}
		for i, c := range cells {
			if r.d1904 {
				c = fixElapsed1904(c)
			}
			cells[i] = plainNumber(c)
		}
		return cells, nil
	}
	if err := r.rows.Error(); err != nil {
		r.err = &FileError{Path: r.path, Err: fmt.Errorf("reading after row %d: %w", r.row, err)}
		return nil, r.err
	}
	r.err = io.EOF
	return nil, io.EOF
}

func (r *xlsxReader) Close() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = r.panicked(p)
		}
	}()
	if r.rows != nil {
		err = r.rows.Close()
		r.rows = nil
	}
	if r.f != nil {
		// Removes the temporary files that large sheets are unpacked to.
		if cerr := r.f.Close(); err == nil {
			err = cerr
		}
		r.f = nil
	}
	return err
}

// panicked turns a panic inside excelize into the reader's sticky error.
func (r *xlsxReader) panicked(p any) error {
	r.err = &FileError{Path: r.path, Err: fmt.Errorf("the workbook is damaged or uses a feature that cannot be read (%v): open it in Excel or LibreOffice and save it again", p)}
	return r.err
}

// exponent matches how excelize writes numbers with more than 15 significant
// digits (strconv's 'G' format with precision 15).
var exponent = regexp.MustCompile(`^-?[0-9](\.[0-9]+)?E[+-][0-9]+$`)

// plainNumber writes a number excelize gave in exponent notation in its
// digits, as a spreadsheet program shows it with a "0" format: 1.2345678901234E+19
// becomes 12345678901234000000. A text cell holding such a string would be
// rewritten too, but a spreadsheet program only keeps it as text when it is
// typed with a leading quote.
func plainNumber(s string) string {
	if len(s) < 4 || !strings.Contains(s, "E") || !exponent.MatchString(s) {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// chooseSheet returns the sheet to read: the one asked for, or else the first
// worksheet (a chart sheet has no cells).
func chooseSheet(f *excelize.File, want string) (string, error) {
	names := f.GetSheetList()
	if len(names) == 0 {
		return "", errors.New("not a valid workbook: it has no sheets")
	}
	kinds := sheetTypes(f)
	var worksheets []string
	for _, n := range names {
		if kinds[n] == "" {
			worksheets = append(worksheets, n)
		}
	}
	if want == "" {
		if len(worksheets) == 0 {
			return "", fmt.Errorf("the workbook has no worksheets, only %s", quoteList(names))
		}
		return worksheets[0], nil
	}
	for _, exact := range []bool{true, false} {
		for _, n := range names {
			if n == want || !exact && strings.EqualFold(n, want) {
				if k := kinds[n]; k != "" {
					return "", fmt.Errorf("sheet %q is a %s, which has no cells; the worksheets are %s", n, k, quoteList(worksheets))
				}
				return n, nil
			}
		}
	}
	return "", fmt.Errorf("sheet %q not found; the workbook has %s", want, quoteList(names))
}

// sheetTypes maps the names of the sheets that are not worksheets to what
// they are ("chart sheet"), from the workbook's relationships. Excelize loads
// those at open; their types are unexported, so they are read through JSON.
func sheetTypes(f *excelize.File) map[string]string {
	type rels struct {
		Relationships []struct{ ID, Type, Target string }
	}
	load := func(p string) (rels, bool) {
		var out rels
		v, ok := f.Relationships.Load(p)
		if !ok {
			return out, false
		}
		b, err := json.Marshal(v)
		return out, err == nil && json.Unmarshal(b, &out) == nil
	}
	root, ok := load("_rels/.rels")
	if !ok {
		return nil
	}
	wbRels := ""
	for _, rel := range root.Relationships {
		if strings.HasSuffix(rel.Type, "/officeDocument") {
			wb := strings.TrimPrefix(rel.Target, "/")
			wbRels = strings.TrimPrefix(path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels"), "/")
		}
	}
	wb, ok := load(wbRels)
	if !ok || f.WorkBook == nil {
		return nil
	}
	types := map[string]string{}
	for _, s := range f.WorkBook.Sheets.Sheet {
		for _, rel := range wb.Relationships {
			if rel.ID != s.ID {
				continue
			}
			switch t := rel.Type[strings.LastIndexByte(rel.Type, '/')+1:]; strings.ToLower(t) {
			case "worksheet":
			case "chartsheet":
				types[s.Name] = "chart sheet"
			case "dialogsheet":
				types[s.Name] = "dialog sheet"
			case "xlmacrosheet", "xlintlmacrosheet":
				types[s.Name] = "macro sheet"
			default:
				types[s.Name] = t
			}
		}
	}
	return types
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
		// Excelize tells these apart; see workbookError.
		return nil
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

// workbookError says what excelize's error on opening means for the user.
func workbookError(err error) error {
	var pe *os.PathError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("cannot open the file: %w", pe.Err)
	case errors.Is(err, excelize.ErrWorkbookFileFormat), errors.Is(err, excelize.ErrWorkbookPassword):
		return errors.New("not a valid workbook: this is a password-protected workbook or an old binary Excel (.xls) file; remove the password, or save it as .xlsx")
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("not a valid workbook: the .xlsx (zip) archive is damaged or incomplete (%v)", err)
	}
	return fmt.Errorf("not a valid workbook: %w", err)
}
