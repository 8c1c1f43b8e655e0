// Package cell names the kinds of value a spreadsheet cell can hold, so that
// what an input reader learnt about a cell (a date cell, a number cell) can
// reach the report that writes the cell back, with the same type.
package cell

// Kind is the type a cell had in the input. The cell's text is always the
// canonical form of its value: a Number is its digits as a spreadsheet shows
// them ("4670000000", "12.5"), a Date is YYYY-MM-DD, a DateTime is
// YYYY-MM-DDTHH:MM:SS, a Time is HH:MM:SS, a Bool is TRUE or FALSE, an
// Error is the error as a spreadsheet shows it ("#N/A").
type Kind uint8

const (
	Text Kind = iota // the zero value: every CSV cell, every text cell
	Number
	Date
	DateTime
	Time
	Bool
	// Error is a formula's error value (#N/A, #VALUE!, #REF!): its text is
	// the error, which no account field should receive.
	Error
)

var names = [...]string{"text", "number", "date", "date-time", "time", "bool", "formula error"}

func (k Kind) String() string {
	if int(k) < len(names) {
		return names[k]
	}
	return "unknown"
}

// Of returns the kind of cell i in kinds, which may be nil or shorter than
// the row (every cell text).
func Of(kinds []Kind, i int) Kind {
	if i < 0 || i >= len(kinds) {
		return Text
	}
	return kinds[i]
}
