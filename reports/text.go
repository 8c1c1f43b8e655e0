package reports

import (
	"strings"
	"unicode/utf8"
)

// cleanText returns s fit for a report cell: invalid UTF-8 and control
// characters (C0 except tab, line feed and carriage return, DEL, and C1)
// become U+FFFD. A server message or a cell may hold anything; the CSV
// declares UTF-8 and is read by terminals and spreadsheets, where an ESC
// sequence or a stray byte does harm, and XML cannot hold most control
// characters at all (excelize already turned them into U+FFFD silently, so
// both formats now agree). The common clean string is returned as it is,
// without allocating.
func cleanText(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if isBadASCII(c) {
				return cleanFrom(s, i)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r >= 0x80 && r <= 0x9F {
			return cleanFrom(s, i)
		}
		i += size - 1
	}
	return s
}

func isBadASCII(c byte) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7F
}

// cleanFrom replaces from byte i on, where the first bad character is.
func cleanFrom(s string, i int) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if isBadASCII(c) {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r >= 0x80 && r <= 0x9F {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
