package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/acctimport/acctimport/internal/csvsafe"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// csvReader streams a delimited text file through encoding/csv.
//
// Cells are exactly as written in the file, with one exception: a cell that
// starts with a single quote followed by =, +, -, @, a tab or a carriage
// return loses the quote. That quote is the OWASP escape against CSV
// injection, which our own CSV reports add, so a report's Failed rows can be
// fixed and fed back unchanged; the cost is that a cell really meant to start
// with '= loses its quote too.
type csvReader struct {
	path      string
	file      *os.File
	src       *replayReader
	cr        *csv.Reader
	comma     rune
	checkUTF8 bool
	header    []string

	// Line bookkeeping, in physical lines of the file. A spreadsheet program
	// shows a quoted cell that spans lines as one row, so rows are counted
	// from the lines between records, not from the line numbers.
	row      int // the spreadsheet row of the last record read
	endLine  int // the physical line the last record ended on
	lineBase int // physical lines before the input of cr (after a resync)
	markLine int // endLine relative to cr, when the current record began

	next *Record // the first data row, read ahead by Open
	err  error   // a file-level error that ended the reading
}

func openCSV(path string, comma rune) (r *csvReader, err error) {
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
	enc, err := sniffEncoding(sample, atEOF)
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
	r = &csvReader{path: path, file: f, src: &replayReader{r: text}, comma: comma, checkUTF8: enc.checkUTF8}
	r.cr = r.newCSV()

	// The header is the first row that is not blank.
	var head Record
	for {
		rec, err := r.read()
		if err == io.EOF {
			return fail(fmt.Errorf("the file is empty: %w", ErrNoData))
		}
		if err != nil {
			return fail(err)
		}
		if blank(rec.Cells) {
			continue
		}
		if rec.Err != nil {
			return fail(fmt.Errorf("header (row %d) cannot be read: %w", rec.Line, rec.Err))
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

func (r *csvReader) newCSV() *csv.Reader {
	cr := csv.NewReader(r.src)
	cr.Comma = r.comma
	cr.FieldsPerRecord = -1 // ragged rows are the row's problem, not the file's
	// Safe: Next copies the cells into a fresh slice of its own, and
	// encoding/csv allocates each record's text anew.
	cr.ReuseRecord = true
	return cr
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
// not. Only a failure to read the file is an error.
func (r *csvReader) read() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	start := r.cr.InputOffset()
	r.src.mark(start)
	r.markLine = r.endLine - r.lineBase
	fields, err := r.cr.Read()
	if err != nil {
		return r.readError(fields, err, start)
	}

	first, _ := r.cr.FieldPos(0)
	last := len(fields) - 1
	lastLine, _ := r.cr.FieldPos(last)
	rec := r.advance(r.lineBase+first, r.lineBase+lastLine+strings.Count(fields[last], "\n"))
	rec.Cells = make([]string, len(fields))
	for i, f := range fields {
		if r.checkUTF8 && !utf8.ValidString(f) {
			if rec.Err == nil {
				rec.Err = fmt.Errorf("column %s is not valid UTF-8 text, although the file starts as UTF-8: save the file as UTF-8 (in Excel: \"CSV UTF-8\")", columnName(i))
			}
			// Never hand on bytes that are not text: they would be mojibake
			// in an API and break the XML of an XLSX report.
			f = strings.ToValidUTF8(f, "\uFFFD")
		}
		rec.Cells[i] = f
	}
	return rec, nil
}

// readError handles an error from encoding/csv; it is a function of its own
// so that the *csv.ParseError it needs is not allocated for every row.
func (r *csvReader) readError(fields []string, err error, start int64) (Record, error) {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return r.broken(fields, pe, start), nil
	case err == io.EOF:
		r.err = io.EOF
	default:
		r.err = &FileError{Path: r.path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	return Record{}, r.err
}

// advance moves the row count past a record on physical lines first..last
// and returns its Record. Blank lines between records count as rows.
func (r *csvReader) advance(first, last int) Record {
	r.row += first - r.endLine
	r.endLine = last
	return Record{Line: r.row}
}

// broken turns a record encoding/csv could not parse into a Record with an
// Err, and makes sure reading can go on after it.
//
// A quote that opens a cell and is never closed makes encoding/csv read on,
// over the following lines, until it finds another quote, or to the end of
// the file. When that happened, the reading restarts on the line after the
// one the broken record began on, so one stray quote costs one row instead of
// the rest of the file.
func (r *csvReader) broken(fields []string, pe *csv.ParseError, start int64) Record {
	col := columnName(len(fields))
	var rec Record
	if errors.Is(pe.Err, csv.ErrBareQuote) {
		rec = r.advance(r.lineBase+pe.StartLine, r.lineBase+pe.Line)
		rec.Err = fmt.Errorf("column %s has a \" inside a cell that does not start with one: put the whole cell in quotes and double each \" inside it", col)
	} else {
		rec = r.advance(r.lineBase+pe.StartLine, r.lineBase+pe.StartLine)
		rec.Err = fmt.Errorf("column %s starts with a \" that is not closed by a \" followed by %s or the end of the line: double each \" inside a quoted cell", col, delimiterName(r.comma))
		if pe.Line > pe.StartLine {
			r.resync(pe.StartLine-r.markLine, start)
		} else {
			r.endLine = r.lineBase + pe.Line
		}
	}
	// The fields read before the broken one are sound; the rest are lost.
	rec.Cells = make([]string, len(fields))
	for i, f := range fields {
		if r.checkUTF8 {
			f = strings.ToValidUTF8(f, "\uFFFD")
		}
		rec.Cells[i] = f
	}
	return rec
}

// resync restarts parsing after the first skip lines of the input that began
// at offset start (the beginning of the broken record, and the blank lines
// before it).
func (r *csvReader) resync(skip int, start int64) {
	held := r.src.since(start)
	pos := 0
	for ; skip > 0; skip-- {
		i := bytes.IndexByte(held[pos:], '\n')
		if i < 0 {
			pos = len(held)
			break
		}
		pos += i + 1
	}
	r.lineBase = r.endLine
	r.src.replay(held[pos:])
	r.cr = r.newCSV()
}

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

// replayReader passes text through to encoding/csv and holds on to what it
// passed since the start of the current record, so that after a broken
// record the lines it swallowed can be read again.
type replayReader struct {
	r    io.Reader
	held []byte // the bytes from offset off on, as handed out
	off  int64
	head int // held[:head] is before the mark and may be dropped
}

func (p *replayReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		// Drop what is before the mark when that frees at least half of
		// the buffer, so that copying stays cheap.
		if p.head > 0 && p.head >= len(p.held)/2 {
			m := copy(p.held, p.held[p.head:])
			p.held = p.held[:m]
			p.off += int64(p.head)
			p.head = 0
		}
		p.held = append(p.held, b[:n]...)
	}
	return n, err
}

// mark tells that nothing before offset pos is needed any more.
func (p *replayReader) mark(pos int64) {
	if h := int(pos - p.off); h > p.head && h <= len(p.held) {
		p.head = h
	}
}

// since returns the bytes handed out from offset pos on (after the mark).
func (p *replayReader) since(pos int64) []byte {
	return p.held[int(pos-p.off):]
}

// replay makes the reader hand out b before the rest of the input, as a new
// stream starting at offset 0.
func (p *replayReader) replay(b []byte) {
	p.r = io.MultiReader(bytes.NewReader(bytes.Clone(b)), p.r)
	p.held, p.off, p.head = p.held[:0], 0, 0
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
