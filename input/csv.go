package input

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/text/transform"

	"github.com/acctimport/acctimport/internal/csvsafe"
)

// csvReader streams a delimited text file through csvParser.
//
// Cells are exactly as written in the file, with one exception: a cell that
// starts with a single quote followed by =, +, -, @, a tab or a carriage
// return loses the quote. That quote is the OWASP escape against CSV
// injection, which our own CSV reports add, so a report's Failed rows can be
// fixed and fed back unchanged; the cost is that a cell really meant to start
// with '= loses its quote too.
type csvReader struct {
	path   string
	file   *os.File
	p      *csvParser
	comma  rune
	enc    textEncoding
	header []string
	row    int // the spreadsheet row of the last record read

	next *Record // the first data row, read ahead by Open
	err  error   // a file-level error that ended the reading
}

func openCSV(path string, comma rune, encoding string) (r *csvReader, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: fmt.Errorf("cannot open the file: %w", unwrapPathError(err))}
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fail := func(err error) (*csvReader, error) { return nil, &FileError{Path: path, Err: err} }

	br := bufio.NewReaderSize(f, sampleSize)
	sample, err := br.Peek(sampleSize)
	atEOF := err == io.EOF
	if err != nil && !atEOF {
		return fail(fmt.Errorf("cannot read the file: %w", err))
	}
	var enc textEncoding
	if encoding != "" {
		enc, err = chosenEncoding(sample, encoding)
	} else {
		enc, err = sniffEncoding(sample, atEOF)
	}
	if err != nil {
		return fail(err)
	}
	if comma == 0 {
		comma = sniffDelimiter(enc.decodeSample(sample), atEOF)
	}
	if _, err := br.Discard(enc.bom); err != nil {
		return fail(fmt.Errorf("cannot read the file: %w", err))
	}
	var text io.Reader = br
	if enc.decoder != nil {
		text = transform.NewReader(br, enc.decoder.NewDecoder())
	}
	r = &csvReader{path: path, file: f, p: newCSVParser(text, byte(comma)), comma: comma, enc: enc}

	// The header is the first row that is not blank. A row that cannot be
	// read is the header as far as anyone can tell: it is refused, never
	// passed over for the next one.
	var head Record
	for {
		rec, err := r.read()
		if err == io.EOF {
			return fail(fmt.Errorf("the file is empty: %w", ErrNoData))
		}
		if err != nil {
			return fail(err)
		}
		if rec.Err != nil {
			return fail(fmt.Errorf("header (row %d) cannot be read: %w", rec.Line, rec.Err))
		}
		if blank(rec.Cells) {
			continue
		}
		head = rec
		break
	}
	if r.header, err = checkHeader(unescapeCells(head.Cells), head.Line); err != nil {
		return fail(err)
	}
	// Read ahead to the first data row, so that a header with nothing under
	// it is refused before anything is sent.
	rec, err := r.Next()
	if err == io.EOF {
		return fail(fmt.Errorf("header (row %d) has %w under it", head.Line, ErrNoData))
	}
	if err != nil {
		return nil, err
	}
	r.next = &rec
	return r, nil
}

func (r *csvReader) Header() []string { return r.header }

func (r *csvReader) Close() error { return r.file.Close() }

// Next returns the next data row. Its Cells stay valid after later calls, as
// rows are processed concurrently.
func (r *csvReader) Next() (Record, error) {
	if r.next != nil {
		rec := *r.next
		r.next = nil
		return rec, nil
	}
	for {
		rec, err := r.read()
		if err != nil {
			return Record{}, err
		}
		if blank(rec.Cells) && rec.Err == nil {
			continue
		}
		r.fit(&rec)
		return rec, nil
	}
}

// read returns the next record of the file with its cells as read, blank or
// not, and its problem as its Err. Only a failure to read the file is an
// error.
func (r *csvReader) read() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	cells, prob, err := r.p.next()
	if err != nil {
		if err == io.EOF {
			r.err = io.EOF
		} else {
			r.err = &FileError{Path: r.path, Err: fmt.Errorf("cannot read the file after row %d: %w", r.row, err)}
		}
		return Record{}, r.err
	}
	// Every record is a row, a blank line too: that is how a spreadsheet
	// program numbers them.
	r.row++
	rec := Record{Line: r.row, Cells: cells}
	// One look at the whole record: the cells are parts of one string.
	check := textCheck{utf8: r.enc.checkUTF8, fffd: r.enc.checkFFFD}
	if _, kind, _ := check.badText(r.p.joined); kind != probNone {
		for i, c := range cells {
			_, kind, char := check.badText(c)
			if kind == probNone {
				continue
			}
			if prob.kind == probNone {
				prob = problem{kind: kind, col: i, char: char}
			}
			// Never hand on bytes that are not text: they would be
			// mojibake in an API, reach a terminal, or break the XML of
			// an XLSX report.
			cells[i] = cleanText(c)
		}
	}
	if prob.kind != probNone {
		rec.Err = problemError(prob, r.header, r.comma, r.enc.name)
	}
	return rec, nil
}

func sizeName(n int) string { return fmt.Sprintf("%d MiB", n>>20) }

// fit gives a record exactly one cell per header column, undoes the CSV
// injection escape, and flags a ragged row. Extra cells that are empty are no
// problem: they are the empty columns some programs add on the right.
func (r *csvReader) fit(rec *Record) {
	n := len(r.header)
	cells := rec.Cells
	if len(cells) != n && rec.Err == nil {
		if len(cells) < n || !blank(cells[n:]) {
			rec.Err = fmt.Errorf("row has %s, the header has %d", cellCount(len(cells)), n)
		}
	}
	if len(cells) != n {
		fitted := make([]string, n)
		copy(fitted, cells)
		cells = fitted
	}
	rec.Cells = unescapeCells(cells)
}

// unescapeCells removes, in place, the leading ' that guards a cell from
// being taken for a formula in acctimport's own CSV reports (see csvsafe),
// so a Failed CSV fed back reads exactly as the original did.
func unescapeCells(cells []string) []string {
	for i, c := range cells {
		cells[i] = csvsafe.Unescape(c)
	}
	return cells
}

func cellCount(n int) string {
	if n == 1 {
		return "1 cell"
	}
	return fmt.Sprintf("%d cells", n)
}

func delimiterName(d rune) string {
	switch d {
	case '\t':
		return "a tab"
	case ',':
		return "a comma"
	case ';':
		return "a semicolon"
	case '|':
		return "a |"
	}
	return fmt.Sprintf("%q", d)
}

// unwrapPathError drops the path an *os.PathError repeats, as FileError names
// the file already.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
