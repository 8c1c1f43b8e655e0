package printable

import "testing"

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, åäö, 日本", "plain text, åäö, 日本"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"\x1b]0;owned\x07title", `\x1b]0;owned\x07title`},
		{"clear\x1b[2J", `clear\x1b[2J`},
		{"back\rover", `back\x0dover`},
		{"c1 \u009b31m", `c1 \x9b31m`},
		{"bad \xff utf8", `bad \xff utf8`},
		{"rtl \u202eevil", `rtl \u202eevil`},
		{"del\x7f", `del\x7f`},
		{"", ""},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStringCleanDoesNotAllocate(t *testing.T) {
	s := "an ordinary message about row 12, column E-mail"
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("%v allocations for clean text", n)
	}
}
