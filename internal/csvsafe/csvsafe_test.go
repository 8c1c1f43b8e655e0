package csvsafe

import (
	"fmt"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+2", "'=1+2"},
		{"+46701234567", "'+46701234567"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{" =x", " =x"}, // spreadsheets do not evaluate it
		{"'", "'"},
		{"'0123", "'0123"},
		{"'=x", "''=x"}, // stays distinguishable from an escaped "=x"
		{"''-1", "'''-1"},
		{"\n=x", "\n=x"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Unescape(tc.want); got != tc.in {
			t.Errorf("Unescape(%q) = %q, want %q", tc.want, got, tc.in)
		}
	}
}

func FuzzEscapeRoundTrip(f *testing.F) {
	for _, s := range []string{"", "=", "'", "''", "'=", "-1", "@", "\t", "\r\n", "x", "'x", "''@a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if e != "" && formulaTrigger(e[0]) {
			t.Errorf("Escape(%q) = %q starts with a formula character", s, e)
		}
		if got := Unescape(e); got != s {
			t.Errorf("Unescape(Escape(%q)) = %q", s, got)
		}
	})
}

func ExampleEscape() {
	for _, s := range []string{"=1+2", "-5", "Ada", "'=x"} {
		e := Escape(s)
		fmt.Printf("%-5s -> %-6s -> %s\n", s, e, Unescape(e))
	}
	// Output:
	// =1+2  -> '=1+2  -> =1+2
	// -5    -> '-5    -> -5
	// Ada   -> Ada    -> Ada
	// '=x   -> ''=x   -> '=x
}
