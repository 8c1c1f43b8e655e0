package input

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/acctimport/acctimport/internal/regular"
)

// Open opens a spreadsheet for reading, choosing the format by the file's
// extension: .csv, .tsv and .txt are delimited text, .xlsx is a workbook.
//
// Every problem with the file as a whole is a *FileError that names the file
// and says what to fix: it cannot be opened, is not the format its name says,
// the sheet does not exist, the header is missing or has duplicate or empty
// names, or there are no data rows (errors.Is(err, ErrNoData)); text whose
// character set is neither UTF-8, UTF-16 nor Windows-1252 and was not named
// in Options.Encoding; a damaged workbook (errors.Is(err, ErrDamaged)),
// including a sheet cut off in the middle. Open reads ahead to the first data
// row, so a file with a header and nothing under it is refused here, before
// anything could be sent.
//
// Next returns a *FileError only for damage that Open could not see: a
// workbook whose sheet XML breaks in the middle (ErrDamaged, naming the row
// after which it broke), or a file that cannot be read any more. Rows read
// before it are sound.
//
// A Record's Cells are its own: they stay valid after later calls to Next,
// so rows can be processed concurrently. In delimited text, a cell that
// starts with a single quote followed by =, +, -, @, a tab or a carriage
// return loses the quote: it is the CSV-injection escape our own CSV reports
// write, so that their rows can be fed back unchanged.
func Open(path string, opts Options) (Reader, error) {
	if err := regular.Check(path); err != nil {
		return nil, &FileError{Path: path, Err: errors.New("not a file to read: " + strings.TrimPrefix(err.Error(), path+" "))}
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv", ".txt", ".tsv":
		if opts.Sheet != "" {
			return nil, &FileError{Path: path, Err: fmt.Errorf("sheet %q was chosen, but a %s file has no sheets", opts.Sheet, ext)}
		}
		var comma rune // detected
		if ext == ".tsv" {
			comma = '\t'
		}
		return openCSV(path, comma, opts.Encoding)
	case ".xlsx":
		if opts.Encoding != "" {
			return nil, &FileError{Path: path, Err: fmt.Errorf("--encoding %s was given, but an .xlsx workbook says its own character set: leave --encoding out", opts.Encoding)}
		}
		return openXLSX(path, opts)
	case ".xls":
		return nil, &FileError{Path: path, Err: errors.New(".xls is the old binary Excel format, which cannot be read: open it in Excel or LibreOffice and save it as .xlsx or .csv")}
	case "":
		return nil, &FileError{Path: path, Err: errors.New("the file name has no extension: name it .csv, .tsv, .txt (delimited text) or .xlsx (workbook)")}
	default:
		return nil, &FileError{Path: path, Err: fmt.Errorf("%s files cannot be read: use .csv, .tsv, .txt (delimited text) or .xlsx (workbook)", ext)}
	}
}

// checkHeader trims the header's names and checks them: a name may not be
// empty (except trailing ones, which are dropped: spreadsheet programs often
// export a few empty columns to the right of the data) and may not repeat, as
// the mapping refers to columns by name. It returns the names to use; line is
// the header's row number, for the message.
func checkHeader(cells []string, line int) ([]string, error) {
	names := make([]string, len(cells))
	for i, c := range cells {
		names[i] = strings.TrimSpace(strings.ReplaceAll(c, "\uFEFF", ""))
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("header (row %d) has no column names", line)
	}
	var problems []string
	for i := 0; i < len(names); i++ {
		if names[i] != "" {
			continue
		}
		j := i // names[i:j+1] are empty
		for j+1 < len(names) && names[j+1] == "" {
			j++
		}
		if j == i {
			problems = append(problems, fmt.Sprintf("column %s has no name", columnName(i)))
		} else {
			problems = append(problems, fmt.Sprintf("columns %s to %s have no name", columnName(i), columnName(j)))
		}
		i = j
	}
	// Report every duplicate once, with all the columns it appears in.
	seen := make(map[string][]int, len(names))
	for i, n := range names {
		if n != "" {
			seen[n] = append(seen[n], i)
		}
	}
	for i, n := range names {
		cols := seen[n]
		if len(cols) < 2 || cols[0] != i {
			continue
		}
		letters := make([]string, len(cols))
		for j, c := range cols {
			letters[j] = columnName(c)
		}
		problems = append(problems, fmt.Sprintf("duplicate column name %q in columns %s", n, joinAnd(letters)))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("header (row %d): %s", line, strings.Join(problems, "; "))
	}
	return names, nil
}

// columnName is the spreadsheet letter of the zero-based column i: A, B, ...,
// Z, AA, AB, ...
func columnName(i int) string {
	var b [8]byte
	p := len(b)
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		p--
		b[p] = byte('A' + (n-1)%26)
	}
	return string(b[p:])
}

// joinAnd joins ["A", "B", "C"] as "A, B and C".
func joinAnd(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// blank reports whether a row has nothing but empty or white-space cells: a
// person sees it as an empty row, so it is skipped.
func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" && strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// quoteList formats sheet names for a message: "Data", "Lists".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
