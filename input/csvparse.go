package input

import (
	"bytes"
	"io"
)

// Limits of one CSV record. Excel holds at most 32,767 characters in a cell;
// these leave room for far more, and bound what one row can cost: past them
// a row is refused, quickly, without reading it whole into memory.
const (
	maxCellBytes   = 1 << 20
	maxRecordBytes = 4 << 20
)

// csvParser splits delimited text into records the way Excel and Python's
// csv module read it, where encoding/csv is stricter:
//
//   - A record ends at a line break outside quotes: CRLF, LF, or CR alone
//     (old Mac Excel's "CSV (Macintosh)").
//   - A cell that starts with a quote is quoted as RFC 4180 says: it ends at
//     a quote followed by the delimiter or the end of the line, a doubled
//     quote inside it is one quote, and it may hold delimiters and line
//     breaks (a CRLF inside it becomes LF, as in encoding/csv).
//   - A quote anywhere else is a literal character: 37°36'37.8"N, or
//     ` "number"` with a space before the quote (Excel and Python agree).
//
// A quoted cell that is not closed as it should be is a problem of its row
// only (see problem), and a record is never larger than maxRecordBytes in
// memory.
type csvParser struct {
	src   io.Reader
	comma byte
	buf   []byte
	r, w  int // buf[r:w] is unread; the current record starts at r
	eof   bool
	err   error // a read error other than io.EOF

	// Caches of the next LF and CR at or after a position (see findByte):
	// a CR-only file has no LF, and searching the whole buffer for one on
	// every line would make reading quadratic.
	lf, lfScan int
	cr, crScan int

	rec    []byte // the current record's cells, unquoted, one after another
	ends   []int  // where each cell ends in rec
	joined string // the last record's cells, one after another, as returned
}

// problemKind is what is wrong with a record, if anything.
type problemKind uint8

const (
	probNone      problemKind = iota
	probQuote                 // a quoted cell closed by a quote followed by other text, or never closed
	probQuoteLong             // a quoted cell still open maxRecordBytes later
	probLongRow               // a record longer than maxRecordBytes
	probLongCell              // a cell longer than maxCellBytes
	probControl               // a control character in a cell
	probUTF8                  // text that is not valid in the file's encoding
	probReplaced              // a byte the chosen encoding does not define
	probBadString             // XLSX: a shared string that is not there (its number in char)
)

// problem is the first thing wrong with a record: what, in which cell, and
// for probControl which character.
type problem struct {
	kind problemKind
	col  int
	char rune
}

func newCSVParser(src io.Reader, comma byte) *csvParser {
	return &csvParser{src: src, comma: comma, buf: make([]byte, 64<<10), lf: -1, cr: -1}
}

// fill reads more input into buf, keeping buf[r:]. It reports whether
// anything was read.
func (p *csvParser) fill() bool {
	if p.eof {
		return false
	}
	if p.r > 0 && (p.w == len(p.buf) || p.r >= len(p.buf)/2) {
		n := copy(p.buf, p.buf[p.r:p.w])
		p.shift(p.r)
		p.w = n
	}
	if p.w == len(p.buf) {
		// A record may need maxRecordBytes, and a little more to see
		// that it needs more.
		grown := make([]byte, max(min(2*len(p.buf), maxRecordBytes+64<<10), len(p.buf)+4096))
		copy(grown, p.buf[:p.w])
		p.buf = grown
	}
	for range 100 { // a reader that keeps returning nothing is broken
		n, err := p.src.Read(p.buf[p.w:])
		p.w += n
		if err != nil {
			if err != io.EOF {
				p.err = err
			}
			p.eof = true
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	p.err = io.ErrNoProgress
	p.eof = true
	return false
}

// shift moves every position back by n, after buf[n:] moved to the front.
func (p *csvParser) shift(n int) {
	p.r -= n
	p.lf, p.lfScan = max(p.lf-n, -1), max(p.lfScan-n, 0)
	p.cr, p.crScan = max(p.cr-n, -1), max(p.crScan-n, 0)
	if p.lf < p.r {
		p.lf = -1
	}
	if p.cr < p.r {
		p.cr = -1
	}
}

// resetScan forgets the caches, when parsing goes back to bytes it passed.
func (p *csvParser) resetScan() { p.lf, p.lfScan, p.cr, p.crScan = -1, 0, -1, 0 }

// findByte returns the index in buf of the first c at or after from, or -1
// if there is none before w. pos and scan cache the answer: pos is the last
// c found, and there is no c in [from, scan) once a search from from failed.
func (p *csvParser) findByte(c byte, from int, pos, scan *int) int {
	if *pos >= from {
		return *pos
	}
	start := max(from, *scan)
	if i := bytes.IndexByte(p.buf[start:p.w], c); i >= 0 {
		*pos = start + i
		return *pos
	}
	*scan = p.w
	return -1
}

// findEOL returns the index in buf of the first CR or LF at or after from,
// or -1.
func (p *csvParser) findEOL(from int) int {
	lf := p.findByte('\n', from, &p.lf, &p.lfScan)
	cr := p.findByte('\r', from, &p.cr, &p.crScan)
	switch {
	case lf < 0:
		return cr
	case cr < 0:
		return lf
	}
	return min(lf, cr)
}

// lineEnd returns the offset, from the record's start, of the end of the
// line that offset off is on: its CR or LF, or the end of the input. It is -1
// when the record would grow past maxRecordBytes first.
func (p *csvParser) lineEnd(off int) int {
	for {
		if i := p.findEOL(p.r + off); i >= 0 {
			if i-p.r > maxRecordBytes {
				return -1
			}
			return i - p.r
		}
		if p.eof {
			return p.w - p.r
		}
		if p.w-p.r > maxRecordBytes {
			return -1
		}
		p.fill()
	}
}

// byteAt returns the byte at offset off from the record's start, reading
// more input if needed; ok is false at the end of the input.
func (p *csvParser) byteAt(off int) (c byte, ok bool) {
	for p.r+off >= p.w {
		if !p.fill() {
			return 0, false
		}
	}
	return p.buf[p.r+off], true
}

// endLine consumes the line break at offset off (CRLF, LF or CR) or the end
// of the input, and moves the start past it.
func (p *csvParser) endLine(off int) {
	c, ok := p.byteAt(off)
	if !ok {
		p.r = p.w
		return
	}
	off++
	if c == '\r' {
		if c, ok := p.byteAt(off); ok && c == '\n' {
			off++
		}
	}
	p.r += off
}

// skipLine drops the input up to and including the next line break at or
// after offset off, without holding it: a line too long to be a record.
func (p *csvParser) skipLine(off int) {
	p.r += off
	for {
		if i := p.findEOL(p.r); i >= 0 {
			p.endLine(i - p.r)
			return
		}
		p.r = p.w
		if !p.fill() {
			return
		}
	}
}

// next returns the cells of the next record, and what is wrong with it; a
// blank line is one empty cell. The error is io.EOF at the end of the input,
// or a read error.
func (p *csvParser) next() ([]string, problem, error) {
	if p.r >= p.w && !p.fill() {
		if p.err != nil {
			return nil, problem{}, p.err
		}
		return nil, problem{}, io.EOF
	}
	p.rec, p.ends = p.rec[:0], p.ends[:0]
	var prob problem
	off := 0 // the start of the current cell, from the record's start
	le := -1 // the end of the line off is on, once known
	for {
		col := len(p.ends)
		var c byte
		ok := p.r+off < p.w
		if ok {
			c = p.buf[p.r+off]
		} else {
			c, ok = p.byteAt(off)
		}
		if ok && c == '"' {
			end, more, k := p.quoted(off)
			if k != probNone && prob.kind == probNone {
				prob = problem{kind: k, col: col}
			}
			if k == probQuoteLong || k == probQuote && end < 0 {
				// The cell ran over lines to find its end, or never found
				// one: go on at the line after the one it began on, so
				// that one stray quote costs one row.
				p.rec = p.rec[:p.cellStart()]
				p.resync(off)
				return p.cells(), prob, nil
			}
			if len(p.rec)-p.cellStart() > maxCellBytes && prob.kind == probNone {
				prob = problem{kind: probLongCell, col: col}
			}
			p.ends = append(p.ends, len(p.rec))
			if more {
				off = end + 1
				continue
			}
			p.endLine(end)
			return p.cells(), prob, nil
		}
		if le < off {
			if le = p.lineEnd(off); le < 0 {
				if prob.kind == probNone {
					prob = problem{kind: probLongRow, col: col}
				}
				p.skipLine(off)
				p.rec, p.ends = p.rec[:0], p.ends[:0]
				return nil, prob, nil
			}
		}
		line := p.buf[p.r+off : p.r+le]
		i := bytes.IndexByte(line, p.comma)
		if i < 0 {
			i = len(line)
		}
		p.rec = append(p.rec, line[:i]...)
		if i > maxCellBytes && prob.kind == probNone {
			prob = problem{kind: probLongCell, col: col}
		}
		p.ends = append(p.ends, len(p.rec))
		if i < len(line) {
			off += i + 1
			continue
		}
		p.endLine(le)
		return p.cells(), prob, nil
	}
}

// cellStart is where the cell being read begins in rec.
func (p *csvParser) cellStart() int {
	if len(p.ends) == 0 {
		return 0
	}
	return p.ends[len(p.ends)-1]
}

// quoted reads the quoted cell whose opening quote is at offset off into
// rec. It returns the offset just after the cell (the delimiter, line break
// or end of input), whether another cell follows, and a problem:
//
//   - probQuote with end >= 0: the closing quote is followed by other text
//     on the same line. The cell then holds its text exactly as written in
//     the file, quotes and all, up to the next delimiter.
//   - probQuote with end < 0: the same after a line break inside the cell,
//     or no closing quote before the end of the input.
//   - probQuoteLong: no closing quote within maxRecordBytes.
func (p *csvParser) quoted(off int) (end int, more bool, kind problemKind) {
	start := len(p.rec)
	spanned := false
	i := off + 1
	for {
		abs := p.r + i
		j := bytes.IndexByte(p.buf[abs:p.w], '"')
		if j < 0 {
			seg := p.buf[abs:p.w]
			// A CR at the end of what is read may be the first half of a
			// CRLF: leave it for the next round.
			if n := len(seg); n > 0 && seg[n-1] == '\r' && !p.eof {
				seg = seg[:n-1]
			}
			spanned = p.appendText(seg) || spanned
			i += len(seg)
			if i > maxRecordBytes {
				return -1, false, probQuoteLong
			}
			if !p.fill() && p.r+i >= p.w {
				return -1, false, probQuote // never closed
			}
			continue
		}
		spanned = p.appendText(p.buf[abs:abs+j]) || spanned
		i += j // at the quote
		if i > maxRecordBytes {
			return -1, false, probQuoteLong
		}
		c, ok := p.byteAt(i + 1)
		if ok && c == '"' {
			p.rec = append(p.rec, '"')
			i += 2
			continue
		}
		i++ // past the closing quote
		switch {
		case !ok, c == '\r', c == '\n':
			return i, false, probNone
		case c == p.comma:
			return i, true, probNone
		case spanned:
			return -1, false, probQuote
		}
		// Text after the closing quote, on the same line: the cell is the
		// file's text from the opening quote to the next delimiter.
		le := p.lineEnd(i)
		if le < 0 {
			return -1, false, probQuoteLong
		}
		line := p.buf[p.r+off : p.r+le]
		rest := line[i-off:]
		p.rec = p.rec[:start]
		if k := bytes.IndexByte(rest, p.comma); k >= 0 {
			p.rec = append(p.rec, line[:i-off+k]...)
			return i + k, true, probQuote
		}
		p.rec = append(p.rec, line...)
		return le, false, probQuote
	}
}

// appendText appends text from inside a quoted cell to rec, with each CRLF
// as LF, and reports whether it held a line break.
func (p *csvParser) appendText(b []byte) bool {
	cr := bytes.IndexByte(b, '\r')
	if cr < 0 {
		p.rec = append(p.rec, b...)
		return bytes.IndexByte(b, '\n') >= 0
	}
	for len(b) > 0 {
		if cr < 0 {
			p.rec = append(p.rec, b...)
			break
		}
		p.rec = append(p.rec, b[:cr]...)
		if cr+1 < len(b) && b[cr+1] == '\n' {
			p.rec = append(p.rec, '\n')
			b = b[cr+2:]
		} else {
			p.rec = append(p.rec, '\r')
			b = b[cr+1:]
		}
		cr = bytes.IndexByte(b, '\r')
	}
	return true
}

// resync goes on reading at the line after the one offset off is on; the
// cells read before off are kept.
func (p *csvParser) resync(off int) {
	p.resetScan()
	if i := p.findEOL(p.r + off); i >= 0 {
		p.endLine(i - p.r)
	} else {
		p.skipLine(p.w - p.r)
	}
	p.resetScan()
}

// cells returns the record's cells as strings of one allocation; the slice
// is the caller's.
func (p *csvParser) cells() []string {
	s := string(p.rec)
	p.joined = s
	cells := make([]string, len(p.ends))
	start := 0
	for i, e := range p.ends {
		cells[i] = s[start:e]
		start = e
	}
	// Do not let one huge record keep its buffer for the rest of the file.
	if cap(p.rec) > 1<<20 {
		p.rec = nil
	}
	return cells
}
