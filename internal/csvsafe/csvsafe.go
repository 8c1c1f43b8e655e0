// Package csvsafe guards CSV cells against formula injection in a way that
// can be undone exactly: the reports write with Escape, and the input reader
// reads a report's CSV back with Unescape.
package csvsafe

// A spreadsheet program opening a CSV evaluates a cell that starts with one
// of these as a formula (CSV injection). Quoting the field does not stop it;
// OWASP's advice is a leading apostrophe, which spreadsheets show as text.
func formulaTrigger(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// needsEscape reports whether s would be evaluated as a formula, either as it
// stands or once a reader strips one leading apostrophe from it. Covering the
// second case keeps escaping reversible: a value that really starts with an
// apostrophe, such as "'=x", gains a second one, and so does not look like
// an escaped "=x".
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '\'' {
			return formulaTrigger(s[i])
		}
	}
	return false
}

// Escape returns s as it must be written to a CSV report: with a
// leading apostrophe when a spreadsheet would take it for a formula (it
// starts with =, +, -, @, tab or CR, possibly after apostrophes), unchanged
// otherwise. Unescape undoes it; an input reader that accepts a
// report's Failed CSV back must apply it to every cell.
func Escape(s string) string {
	if needsEscape(s) {
		return "'" + s
	}
	return s
}

// Unescape reverses Escape: for every s,
// Unescape(Escape(s)) == s. A cell that starts with an
// apostrophe not followed by a formula character is left alone, so a
// hand-made file's "'0123" keeps its apostrophe.
func Unescape(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsEscape(s[1:]) {
		return s[1:]
	}
	return s
}
