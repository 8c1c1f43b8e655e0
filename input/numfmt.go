package input

import (
	"strings"

	"github.com/acctimport/acctimport/internal/cell"
)

// fmtKind is what a number format makes of a number, as far as reading the
// value goes: a date, a time, both, or just a number.
type fmtKind int

const (
	kindNumber   fmtKind = iota
	kindDate             // 2006-01-02
	kindDateTime         // 2006-01-02T15:04:05
	kindTime             // 15:04:05
	kindElapsed          // [h]:mm:ss, a duration that may exceed a day
)

// builtinKind classifies the built-in number formats, which a workbook refers
// to by id without spelling them out (ECMA-376 part 1, 18.8.30). Ids 27-36 and
// 50-81 depend on the workbook's language; where one id is a date in one
// language and a time in another, it is read as a date and time, which loses
// nothing.
func builtinKind(id int) fmtKind {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id == 50, id == 51, id == 57, id == 58:
		return kindDate
	case id >= 18 && id <= 21, id == 32, id == 33, id == 45, id == 47:
		return kindTime
	case id == 46:
		return kindElapsed
	case id == 22, id >= 34 && id <= 35, id >= 52 && id <= 56:
		return kindDateTime
	}
	return kindNumber
}

// numFmtKind classifies a number format code by its date and time tokens
// (y, m, d, h, s, and e for an era year), ignoring what a format code does
// not render as a date part: "quoted text", \escaped and _padding or *fill
// characters, [brackets] such as [$-409] or [Red] (but [h], [mm] and [ss] are
// elapsed time), AM/PM and the word General. An m is minutes next to h or s,
// and a month otherwise.
func numFmtKind(code string) fmtKind {
	var date, clock, month, elapsed bool
	lower := strings.ToLower(code)
	for i := 0; i < len(lower); i++ {
		switch c := lower[i]; c {
		case '"':
			if j := strings.IndexByte(lower[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(lower)
			}
		case '\\', '_', '*', '!':
			i++
		case '[':
			j := strings.IndexByte(lower[i+1:], ']')
			if j < 0 {
				i = len(lower)
				break
			}
			switch inner := lower[i+1 : i+1+j]; strings.Trim(inner, "hms") {
			case "":
				if inner != "" {
					elapsed = true
				}
			}
			i += j + 1
		case 'g':
			if strings.HasPrefix(lower[i:], "general") {
				i += len("general") - 1
			}
		case 'a':
			switch {
			case strings.HasPrefix(lower[i:], "am/pm"):
				clock = true
				i += len("am/pm") - 1
			case strings.HasPrefix(lower[i:], "a/p"):
				clock = true
				i += len("a/p") - 1
			}
		case 'e':
			// 0.00E+00 is scientific notation; e alone is the era year.
			if i+1 < len(lower) && (lower[i+1] == '+' || lower[i+1] == '-') {
				i++
				break
			}
			date = true
		case 'y', 'd':
			date = true
		case 'h', 's':
			clock = true
		case 'm':
			month = true
		}
	}
	switch {
	case date && clock:
		return kindDateTime
	case date || (month && !clock && !elapsed):
		return kindDate
	case elapsed:
		return kindElapsed
	case clock:
		return kindTime
	}
	return kindNumber
}

// NumberFormatKind is the kind of cell a number format makes of a number,
// as this package reads it: id is the format's id in the workbook's styles,
// code its custom code ("" for a built-in format). An elapsed time ([h]:mm)
// is read as text. The reports package reads its own workbooks back with it,
// so that a report and an input are read alike.
func NumberFormatKind(id int, code string) cell.Kind {
	k := builtinKind(id)
	if code != "" {
		k = numFmtKind(code)
	}
	switch k {
	case kindDate:
		return cell.Date
	case kindDateTime:
		return cell.DateTime
	case kindTime:
		return cell.Time
	case kindElapsed:
		return cell.Text
	}
	return cell.Number
}
