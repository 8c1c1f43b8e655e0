package input

import (
	"strings"
	"testing"
)

func TestNumFmtKind(t *testing.T) {
	tests := []struct {
		code string
		want fmtKind
	}{
		{"General", kindNumber},
		{"general", kindNumber},
		{"0", kindNumber},
		{"#,##0.00", kindNumber},
		{"0%", kindNumber},
		{"0.00E+00", kindNumber},
		{"##0.0e-0", kindNumber},
		{"@", kindNumber},
		{`#,##0.00 "kr";[Red]-#,##0.00 "kr"`, kindNumber},
		{`_-* #,##0.00\ "SEK"_-;\-* #,##0.00\ "SEK"_-;_-* "-"??\ "SEK"_-;_-@_-`, kindNumber},
		{`[$$-409]#,##0.00`, kindNumber},
		{`[<=9999999]###-####;(###) ###-####`, kindNumber},
		{`0 "days"`, kindNumber},
		{`0\d`, kindNumber},
		{`# ?/?`, kindNumber},

		{"mm-dd-yy", kindDate},
		{"dd/mm/yyyy", kindDate},
		{"yyyy-mm-dd", kindDate},
		{"YYYY-MM-DD", kindDate},
		{"d-mmm", kindDate},
		{"mmm-yy", kindDate},
		{"mmmm", kindDate},
		{`[$-409]d\-mmm\-yyyy;@`, kindDate},
		{`[$-F800]dddd\,\ mmmm\ dd\,\ yyyy`, kindDate},
		{`yyyy"年"m"月"d"日"`, kindDate},
		{`[$-411]ge.m.d`, kindDate},
		{`[Red]dd/mm/yyyy`, kindDate},

		{"yyyy-mm-dd hh:mm", kindDateTime},
		{"m/d/yy h:mm", kindDateTime},
		{"dd.mm.yyyy hh:mm:ss", kindDateTime},
		{"d/m/yy h:mm AM/PM", kindDateTime},

		{"h:mm", kindTime},
		{"hh:mm:ss", kindTime},
		{"mm:ss", kindTime},
		{"mm:ss.0", kindTime},
		{"h:mm AM/PM", kindTime},
		{"h:mm a/p", kindTime},
		{`[$-F400]h:mm:ss\ AM/PM`, kindTime},
		{`h"時"mm"分"`, kindTime},

		{"[h]:mm:ss", kindElapsed},
		{"[mm]:ss", kindElapsed},
		{"[ss]", kindElapsed},

		{`"yyyy-mm-dd"`, kindNumber},
		{`\y\m\d`, kindNumber},
		{`"unterminated`, kindNumber},
		{`[unterminated`, kindNumber},
		{"", kindNumber},
	}
	for _, tt := range tests {
		if got := numFmtKind(tt.code); got != tt.want {
			t.Errorf("numFmtKind(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func TestBuiltinKind(t *testing.T) {
	want := map[fmtKind][]int{
		kindNumber:   {0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 37, 38, 39, 40, 41, 42, 43, 44, 48, 49, 59, 80, 163},
		kindDate:     {14, 15, 16, 17, 27, 28, 29, 30, 31, 36, 50, 51, 57, 58},
		kindTime:     {18, 19, 20, 21, 32, 33, 45, 47},
		kindElapsed:  {46},
		kindDateTime: {22, 34, 35, 52, 53, 54, 55, 56},
	}
	for k, ids := range want {
		for _, id := range ids {
			if got := builtinKind(id); got != k {
				t.Errorf("builtinKind(%d) = %d, want %d", id, got, k)
			}
		}
	}
}

// FuzzNumFmtKind checks that any format code is classified without a panic,
// and that quoting or escaping a code makes it a plain text literal, which
// shows no date.
func FuzzNumFmtKind(f *testing.F) {
	for _, s := range []string{"yyyy-mm-dd", "h:mm AM/PM", "[h]:mm:ss", `#,##0 "kr"`, "0.00E+00", `[$-409]d\-mmm`, "General", `"`, `[`, `\`, "_", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		numFmtKind(code)
		quoted := `"` + strings.ReplaceAll(code, `"`, "") + `"`
		if k := numFmtKind(quoted); k != kindNumber {
			t.Errorf("numFmtKind(%q) = %d, want a number", quoted, k)
		}
		var escaped strings.Builder
		for _, r := range code {
			escaped.WriteByte('\\')
			escaped.WriteRune(r)
		}
		if k := numFmtKind(escaped.String()); k != kindNumber {
			t.Errorf("numFmtKind(%q) = %d, want a number", escaped.String(), k)
		}
	})
}
