package reports

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/internal/cell"
)

// statusColour is how a status shows: the fill and font of its cells, after
// Excel's own Good, Neutral and Bad cell styles, which users already read as
// ok, warning and error, and the darker tone of the Summary's chart, so a
// slice reads like the cells it counts. invalid has a colour of its own
// (orange, between partial's amber and failed's red): a row that was never
// sent is not a row the provider refused. An invalid cell is filled as the
// invalid status is.
type statusColour struct{ fill, font, chart string }

var statusColours = map[Status]statusColour{
	StatusOK:      {"C6EFCE", "006100", "63BE7B"},
	StatusValid:   {"C6EFCE", "006100", "63BE7B"},
	StatusPartial: {"FFEB9C", "9C5700", "FFC000"},
	StatusFailed:  {"FFC7CE", "9C0006", "E0464B"},
	StatusInvalid: {"F4B183", "833C0B", "ED7D31"},
	StatusSkipped: {"E7E6E6", "595959", "A6A6A6"},
}

// The number formats of typed input cells. The date and time ones are ISO
// 8601, as the input reader gives them, and the reader reads them back as
// date cells.
const (
	numFmtDate     = "yyyy-mm-dd"
	numFmtDateTime = "yyyy-mm-dd hh:mm:ss"
	numFmtTime     = "hh:mm:ss"
	// numFmtBool shows a boolean as Excel does (LibreOffice shows 1 and 0
	// without it); Excel applies no number format to a boolean.
	numFmtBool = `"TRUE";"TRUE";"FALSE"`
)

// styleKey is one combination of what a cell of ours can look like. Every
// style is top-aligned, which changes nothing in a one-line row and keeps a
// tall row readable.
type styleKey struct {
	fill   Status // "" for none; StatusInvalid also marks an invalid cell
	format string // a number format code, "" for General
	wrap   bool
	bold   bool
	// left aligns a number to the left, under its header: the Results
	// sheet's Row, HTTP status and Attempts are short numbers in narrow
	// columns, and right-aligned they read as the next column's.
	left bool
}

// styleSet makes each combination once, as it is first needed: a workbook
// holds a style per combination, not per cell.
type styleSet struct {
	f      *excelize.File
	ids    map[styleKey]int
	keys   map[int]styleKey
	err    error // the first NewStyle error, reported by init or at Close
	header int
	top    int
	left   int
	status map[Status]int
}

func newStyleSet(f *excelize.File) *styleSet {
	return &styleSet{f: f, ids: map[styleKey]int{}, keys: map[int]styleKey{}, status: map[Status]int{}}
}

func (ss *styleSet) init() error {
	ss.header = ss.get(styleKey{bold: true})
	ss.top = ss.get(styleKey{})
	ss.left = ss.get(styleKey{left: true})
	for st := range statusColours {
		ss.status[st] = ss.get(styleKey{fill: st})
	}
	return ss.err
}

// get returns the style of k, making it if needed. A failure to make one
// (excelize refuses only malformed styles, which these are not) leaves the
// cell unstyled and is kept in ss.err.
func (ss *styleSet) get(k styleKey) int {
	if id, ok := ss.ids[k]; ok {
		return id
	}
	st := &excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: k.wrap}}
	if k.left {
		st.Alignment.Horizontal = "left"
	}
	// A font of a style replaces the workbook's default whole: it names the
	// default's family and size, or LibreOffice shows a serif font.
	font := func(colour string) *excelize.Font {
		return &excelize.Font{Family: "Calibri", Size: 11, Bold: k.bold, Color: colour}
	}
	if k.bold {
		st.Font = font("")
	}
	if c, ok := statusColours[k.fill]; ok {
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c.fill}}
		st.Font = font(c.font)
	}
	if k.format != "" {
		code := k.format
		st.CustomNumFmt = &code
	}
	id, err := ss.f.NewStyle(st)
	if err != nil {
		if ss.err == nil {
			ss.err = err
		}
		return 0
	}
	ss.ids[k], ss.keys[id] = id, k
	return id
}

// wrapped returns the style that is id with wrapping on.
func (ss *styleSet) wrapped(id int) int {
	k := ss.keys[id] // id 0, the default, is the zero key
	k.wrap = true
	return ss.get(k)
}

// fixedNumber is one of the Results sheet's own numbers (Row, HTTP status,
// Attempts), left-aligned under its header; 0 is an empty cell.
func (ss *styleSet) fixedNumber(n int) any {
	if n == 0 {
		return nil
	}
	return excelize.Cell{StyleID: ss.left, Value: n}
}

func (ss *styleSet) statusCell(s Status) any {
	if id, ok := ss.status[s]; ok {
		return excelize.Cell{StyleID: id, Value: string(s)}
	}
	return text(string(s))
}

// reasonCell is the Failed sheet's Reason, filled as the row's status is.
func (ss *styleSet) reasonCell(s Status, reason string) any {
	return excelize.Cell{StyleID: ss.get(styleKey{fill: s}), Value: text(reason)}
}

// inputCell is an input cell as the report writes it: with the type it had
// in the input (a date as a date, a number as a number), so that a column
// still sorts, and highlighted when it broke a rule. A cell whose text is
// not what its kind promises, or that a typed cell cannot hold exactly,
// stays text; text is never a formula.
func (ss *styleSet) inputCell(s string, k cell.Kind, invalid bool) any {
	var fill Status
	if invalid {
		fill = StatusInvalid
	}
	if v, format, ok := typedValue(s, k); ok {
		return excelize.Cell{StyleID: ss.get(styleKey{fill: fill, format: format}), Value: v}
	}
	if invalid {
		return excelize.Cell{StyleID: ss.get(styleKey{fill: fill}), Value: text(s)}
	}
	return text(s)
}

// width is how many characters a value shows as: a date cell as its date,
// not its serial number.
func (ss *styleSet) width(v any) int {
	if c, ok := v.(excelize.Cell); ok {
		switch ss.keys[c.StyleID].format {
		case numFmtDate:
			return len("2006-01-02")
		case numFmtDateTime:
			return len("2006-01-02 15:04:05")
		case numFmtTime:
			return len("15:04:05")
		}
	}
	return valueWidth(v)
}

// typedValue converts a cell's canonical text (see cell.Kind) to the value a
// typed cell holds, with its number format.
func typedValue(s string, k cell.Kind) (v any, format string, ok bool) {
	switch k {
	case cell.Number:
		return numberValue(s)
	case cell.Date:
		return serialValue(s, "2006-01-02", numFmtDate, true)
	case cell.DateTime:
		return serialValue(s, "2006-01-02T15:04:05", numFmtDateTime, true)
	case cell.Time:
		return serialValue(s, "15:04:05", numFmtTime, false)
	case cell.Bool:
		switch s {
		case "TRUE":
			return true, numFmtBool, true
		case "FALSE":
			return false, numFmtBool, true
		}
	}
	return nil, "", false
}

// maxExactDigits is how many significant digits a spreadsheet keeps of a
// number: past 15 it shows (and saves) the number rounded.
const maxExactDigits = 15

// numberValue returns the number s is, with a format that shows every digit
// of it (General would show 4670123456789 as 4.67012E+12), when a number
// cell can hold s exactly: its float64 writes back as s, and it has no more
// significant digits than a spreadsheet keeps. A 19-digit account number is
// past both, and stays text.
func numberValue(s string) (any, string, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || strconv.FormatFloat(v, 'f', -1, 64) != s {
		return nil, "", false
	}
	if v == 0 && s != "0" { // -0
		return nil, "", false
	}
	if significantDigits(s) > maxExactDigits {
		return nil, "", false
	}
	format := "0"
	if _, frac, ok := strings.Cut(s, "."); ok {
		format += "." + strings.Repeat("0", len(frac))
	}
	return v, format, true
}

// significantDigits counts the digits of a plain decimal from its first
// non-zero digit to its last one (trailing zeros of an integer do not count:
// 4670000000 is exact in a spreadsheet).
func significantDigits(s string) int {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	digits = strings.TrimLeft(digits, "0")
	if !strings.Contains(s, ".") {
		digits = strings.TrimRight(digits, "0")
	}
	return len(digits)
}

// Excel counts days from 1899-12-30 (in the 1900 date system, which a new
// workbook uses), but believes in a 29 February 1900, so that its dates
// before March 1900 are a day off from LibreOffice's (which has no such
// day). A date cell is written only from March 1900 on, where both agree.
var (
	excelEpoch     = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	excelFirstDate = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)
)

// timeNudge is added to a time of day, a tenth of a millisecond: a second
// is not a binary fraction of a day, and LibreOffice shows a time cell
// truncated, so 10:00:00 stored a hair below showed as 09:59:59. Above the
// second by far less than half of one, it reads back as the same second
// everywhere.
const timeNudge = 1e-4

// serialValue returns the spreadsheet serial number of a date, date-time or
// time written in layout, when s is exactly that (a date every spreadsheet
// program reads alike: from March 1900 on).
func serialValue(s, layout, format string, dated bool) (any, string, bool) {
	t, err := time.Parse(layout, s)
	if err != nil || t.Format(layout) != s {
		return nil, "", false
	}
	var secs float64
	if format != numFmtDate {
		secs = (float64(t.Hour()*3600+t.Minute()*60+t.Second()) + timeNudge) / 86400
	}
	if !dated {
		return secs, format, true
	}
	if t.Before(excelFirstDate) {
		return nil, "", false
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	// In seconds, not a Duration, which would overflow past 2262.
	days := float64((day.Unix() - excelEpoch.Unix()) / 86400)
	return days + secs, format, true
}
