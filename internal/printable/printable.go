// Package printable makes text from files and servers safe to print on a
// terminal: control characters (ESC, BEL, a lone CR, C1 controls), the
// Unicode controls that reorder text, and invalid UTF-8 are shown as
// escapes instead of acting on the terminal. A cell or a server message
// can otherwise set the window title, clear the screen or make one line
// read as another.
package printable

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// String returns s with every character that could act on a terminal
// written as an escape (\x1b, \u202e); newlines and tabs stay.
func String(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case Unsafe(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean reports whether s needs no escaping, without allocating.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 {
			return cleanSlow(s[i:])
		}
	}
	return true
}

func cleanSlow(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if Unsafe(r) {
			return false
		}
	}
	return true
}

// Unsafe reports the runes a terminal acts on (C0 and C1 controls but tab
// and newline, DEL), and those that make text read in another order than it
// is stored (the bidirectional controls).
func Unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}
