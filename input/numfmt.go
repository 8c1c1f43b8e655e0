package input

import (
	"errors"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
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

// isoFormats are the number formats that replace a date or time format, so
// that the value reads as ISO 8601 text whatever the workbook's locale.
//
// The [$-409] locale tag changes nothing in what they show (their parts are
// all digits), but without one excelize looks the empty locale up among all
// the languages it knows for every year and day it formats: a fifth of the
// time of reading a workbook with a date column.
var isoFormats = map[fmtKind]string{
	kindDate:     "[$-409]yyyy-mm-dd",
	kindDateTime: `[$-409]yyyy-mm-dd"T"hh:mm:ss`,
	kindTime:     "[$-409]hh:mm:ss",
	kindElapsed:  "[$-409][h]:mm:ss",
}

// In the 1904 date system excelize counts elapsed hours from 1900 (1462 days
// too many), so there an elapsed time carries a marker that tells
// fixElapsed1904 to take those days off. The marker is a private-use
// character, so only a text cell that starts with it could be taken for one.
const (
	elapsedMarker     = "\uE000"
	elapsedOffset1904 = 1462 * 24
)

var isoFormats1904 = map[fmtKind]string{
	kindDate:     isoFormats[kindDate],
	kindDateTime: isoFormats[kindDateTime],
	kindTime:     isoFormats[kindTime],
	kindElapsed:  `[$-409]"` + elapsedMarker + `"[h]:mm:ss`,
}

// fixElapsed1904 corrects an elapsed time excelize formatted in a 1904
// workbook (see elapsedMarker); anything else is returned as it is.
func fixElapsed1904(s string) string {
	rest, ok := strings.CutPrefix(s, elapsedMarker)
	if !ok {
		return s
	}
	hours, mmss, _ := strings.Cut(rest, ":")
	h, err := strconv.Atoi(hours)
	if err != nil {
		return rest
	}
	return strconv.Itoa(h-elapsedOffset1904) + ":" + mmss
}

func date1904(f *excelize.File) bool {
	return f.WorkBook != nil && f.WorkBook.WorkbookPr != nil && f.WorkBook.WorkbookPr.Date1904
}

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

// isoStyles rewrites, in memory only, the number formats of the workbook's
// cell styles so that excelize's formatted cell values are what a mapping
// wants: a date or time style shows its value as ISO 8601 text, and any other
// style shows a number as its plain digits (no thousands separators, percent
// signs, currency or exponent). Strings, booleans and errors are not affected
// by number formats.
//
// This reaches into the exported fields of excelize's style sheet (and, to
// add number formats, uses reflection, as their types are unexported): the
// streaming row iterator offers either formatted values or raw ones, and raw
// dates are serial numbers with nothing to tell them from numbers.
func isoStyles(f *excelize.File) error {
	st := f.Styles
	if st == nil || st.CellXfs == nil || len(st.CellXfs.Xf) == 0 {
		return nil // no styles: every cell is General, numbers read plainly
	}
	formats := isoFormats
	if date1904(f) {
		formats = isoFormats1904
	}
	custom := map[int]string{}
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			if nf == nil {
				continue
			}
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16 // the one excelize uses
			}
			custom[nf.NumFmtID] = code
		}
	}
	kinds := make([]fmtKind, len(st.CellXfs.Xf))
	needed := map[fmtKind]bool{}
	for i, xf := range st.CellXfs.Xf {
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		if code, ok := custom[id]; ok {
			kinds[i] = numFmtKind(code)
		} else {
			kinds[i] = builtinKind(id)
		}
		needed[kinds[i]] = true
	}

	// A number format id that is neither built in nor defined makes excelize
	// return the value as it read it: for a number, its shortest decimal
	// form (excelize.getCellDefault). General would not do: it shows more
	// than 11 digits in exponent notation.
	ids := map[fmtKind]int{}
	for _, k := range []fmtKind{kindDate, kindDateTime, kindTime, kindElapsed} {
		if !needed[k] {
			continue
		}
		id, err := addNumFmt(f, formats[k])
		if err != nil {
			return err
		}
		ids[k] = id
	}
	// Above every id there now is, the ISO formats just added included.
	plain := 163 // custom formats are numbered from 164
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			if nf != nil {
				plain = max(plain, nf.NumFmtID)
			}
		}
	}
	ids[kindNumber] = plain + 1
	for i := range kinds {
		id := ids[kinds[i]]
		st.CellXfs.Xf[i].NumFmtID = &id
	}
	return nil
}

// addNumFmt adds a custom number format to the style sheet through
// excelize's own NewStyle (which numbers it above every existing one) and
// returns its id. The style NewStyle also adds is never used by a cell.
func addNumFmt(f *excelize.File, code string) (int, error) {
	sid, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
	if err != nil {
		return 0, err
	}
	xf := f.Styles.CellXfs.Xf
	if sid < 0 || sid >= len(xf) || xf[sid].NumFmtID == nil {
		return 0, errors.New("cannot add a number format to this workbook's styles")
	}
	return *xf[sid].NumFmtID, nil
}
