package input

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// textCheck says which text problems a cell is checked for, beyond control
// characters, which are always refused.
type textCheck struct {
	utf8 bool // the file is UTF-8: a byte sequence that is not is refused
	fffd bool // a chosen 8-bit encoding: U+FFFD stands for a byte it lacks
}

// badText returns the byte offset in s of the first character a cell may
// not hold, its kind (probControl, probUTF8 or probReplaced) and the
// character; kind is probNone when s is clean.
//
// A control character is one of C0 other than tab, LF and CR, DEL, or C1
// (U+0080 to U+009F): a terminal acts on them (ESC starts a command), an XLSX
// report cannot hold them, and no account field means them. Mostly the text
// is printable ASCII, which is checked eight bytes at a time.
func (tc textCheck) badText(s string) (int, problemKind, rune) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			// A byte below 0x20, or at 0x7F and above, sets its high bit
			// here (and perhaps others, which only sends us the slow way).
			if ((x-0x20*ones)&^x|(x+ones)|x)&highs == 0 {
				i += 8
				continue
			}
		}
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7F, c == '\t', c == '\n', c == '\r':
			i++
			continue
		case c < 0x80:
			return i, probControl, rune(c)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if tc.utf8 {
				return i, probUTF8, r
			}
		case r >= 0x80 && r <= 0x9F:
			return i, probControl, r
		case r == utf8.RuneError && tc.fffd:
			return i, probReplaced, r
		}
		i += size
	}
	return -1, probNone, 0
}

// cleanText replaces what badText refuses with U+FFFD, so that a refused
// cell's text can still be shown (a report, a terminal) without harm.
func cleanText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7F && r <= 0x9F || r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

var controlNames = [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
	"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

// controlName names a control character for a message: "ESC, 0x1B".
func controlName(r rune) string {
	switch {
	case r < 0x20:
		return fmt.Sprintf("%s, 0x%02X", controlNames[r], r)
	case r == 0x7F:
		return "DEL, 0x7F"
	}
	return fmt.Sprintf("U+%04X", r)
}

// problemError words a row's problem. A column is named by its header name
// where there is one; comma and enc are a text file's delimiter and
// encoding, for the problems only text has.
func problemError(p problem, header []string, comma rune, enc string) error {
	col := "column " + columnName(p.col)
	if p.col < len(header) {
		col = fmt.Sprintf("column %q", header[p.col])
	}
	switch p.kind {
	case probQuote:
		return fmt.Errorf("%s starts with a \" that is not closed by a \" followed by %s or the end of the line: double each \" inside a quoted cell", col, delimiterName(comma))
	case probQuoteLong:
		return fmt.Errorf("%s starts with a \" that is still open %s later, more than a row may hold: a stray quote (double each \" inside a quoted cell), or a cell far larger than a spreadsheet holds", col, sizeName(maxRecordBytes))
	case probLongRow:
		return fmt.Errorf("the row is longer than %s, the most a row may hold, and is not read", sizeName(maxRecordBytes))
	case probLongCell:
		return fmt.Errorf("%s holds more than %s, the most a cell may hold", col, sizeName(maxCellBytes))
	case probControl:
		return fmt.Errorf("%s holds a control character (%s), which no account field may hold: remove it", col, controlName(p.char))
	case probUTF8:
		return fmt.Errorf("%s is not valid UTF-8 text, although the file starts as UTF-8: save the file as UTF-8 (in Excel: \"CSV UTF-8\")", col)
	case probReplaced:
		return fmt.Errorf("%s has a byte that is not a character in %s: check --encoding", col, enc)
	case probBadString:
		return fmt.Errorf("%s refers to shared string %d, which the workbook does not have: the file is damaged; open it in Excel or LibreOffice and save it again", col, p.char)
	}
	return fmt.Errorf("%s cannot be read", col)
}
