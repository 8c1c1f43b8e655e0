// Package input streams the data rows of a spreadsheet the way a person sees
// them in a spreadsheet program: CSV read as Excel and Python's csv module
// read it (any common delimiter, line ending and encoding; quotes literal
// inside a cell), XLSX with dates as dates, numbers as their digits and text
// as typed. Memory does not grow with the number of rows, and no row or cell
// can make it grow past fixed limits; a row that cannot be read is that
// row's problem, never silently lost.
package input

import (
	"errors"
	"fmt"

	"github.com/acctimport/acctimport/internal/cell"
)

// Record is one data row.
type Record struct {
	// Line is the row number a spreadsheet program shows for this row when
	// it opens the file (the header is row 1 when it is the first row).
	Line int
	// Cells has exactly one value per header column.
	Cells []string
	// Kinds says, per cell, what type the cell had in an XLSX file, with
	// its text in that type's canonical form (see cell.Kind): a number cell
	// is cell.Number and its digits, a date cell cell.Date and YYYY-MM-DD, a
	// date-time cell cell.DateTime, a time cell cell.Time, a boolean cell
	// cell.Bool; text, error values (#N/A) and elapsed durations ([h]:mm:ss,
	// "36:00:00") are cell.Text. Kinds is nil when every cell of the row is
	// text, always in CSV; otherwise it is as long as Cells.
	Kinds []cell.Kind
	// Err is a problem with this row alone (a ragged row, a broken quote, a
	// control character, text that is not valid in the file's encoding, a
	// row or cell past its size limit): the row is invalid, the others go
	// on. Cells holds what could be read, with what may not be shown
	// (control characters, invalid bytes) replaced by U+FFFD.
	Err error
}

// Reader streams the records of one sheet or file.
type Reader interface {
	// Header returns the header row's names, trimmed.
	Header() []string
	// Next returns the next data row, skipping blank rows, or io.EOF.
	// Any other error is about the whole file, and ends the reading.
	Next() (Record, error)
	Close() error
}

// Options choose what to read.
type Options struct {
	Sheet string // XLSX: the sheet to read; "" means the first worksheet
	// Encoding is the character set of delimited text, by its IANA or WHATWG
	// name (windows-1252, iso-8859-7, macintosh, ibm850, ...; see
	// CheckEncoding). "" detects UTF-8, UTF-16 and Windows-1252, and refuses
	// other text, whose bytes would be guesswork.
	Encoding string
}

// FileError is a problem with a whole input file: it cannot be opened, is
// not the format its name says, has no header, no data rows, or a header
// with duplicate or empty names. Nothing should be sent.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// ErrNoData is a file with a header and no data rows, or an empty file.
var ErrNoData = errors.New("no data rows")
