package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"plain":                       "plain",
		"Åsa Öberg 図":                 "Åsa Öberg 図",
		"tab\tlf\ncr\r":               "tab\tlf\ncr\r",
		"\x1b]0;owned\x07":            "\uFFFD]0;owned\uFFFD",
		"\x1b[2Jclear":                "\uFFFD[2Jclear",
		"nul\x00":                     "nul\uFFFD",
		"del\x7f":                     "del\uFFFD",
		"c1 \u009b31m":                "c1 \uFFFD31m", // the one-character CSI
		"bad \xff\xfe utf-8":          "bad \uFFFD\uFFFD utf-8",
		"cut \xe2\x82":                "cut \uFFFD\uFFFD",
		"\uFFFD stays":                "\uFFFD stays",
		"ok then \x01 and Ö \x80 end": "ok then \uFFFD and Ö \uFFFD end",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\xff", "Ö\u009b", "\t\n\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("cleanText(%q) = %q: not UTF-8", s, got)
		}
		for _, r := range got {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f {
				t.Fatalf("cleanText(%q) = %q: holds %U", s, got, r)
			}
		}
		if cleanText(got) != got {
			t.Fatalf("cleanText is not idempotent on %q", s)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f
		}) && got != s {
			t.Fatalf("cleanText changed the clean %q to %q", s, got)
		}
	})
}

// A server message (or a cell) with control characters and invalid UTF-8
// reaches neither report raw: the CSV, which declares UTF-8, holds valid
// UTF-8 and no control character but tab and line breaks; the workbook the
// same replacement characters.
func TestReportsCleanText(t *testing.T) {
	hostile := "HTTP 500: \x1b]0;owned\x07\x1b[2J\xff\xfe \u009b31m"
	rows := []*Row{{Line: 2, Status: StatusFailed, HTTPStatus: 500, Attempts: 1, Key: "k\x1b",
		Message: hostile, Payload: "{\"a\":\"\x00\"}", Cells: []string{"A1\x07", "x"}}}
	want := "HTTP 500: \uFFFD]0;owned\uFFFD\uFFFD[2J\uFFFD\uFFFD \uFFFD31m"
	s := &Summary{Provider: "payway", Input: "in\x1b[2J.csv", Advice: []string{"fix \x07 this"}}

	t.Run("csv", func(t *testing.T) {
		dir := t.TempDir()
		writeReport(t, filepath.Join(dir, "out.csv"), Options{Payloads: true}, rows, s)
		for _, name := range []string{"out.csv", "out.failed.csv", "out.summary.csv"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(b) {
				t.Errorf("%s is not valid UTF-8", name)
			}
			for _, c := range b {
				if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
					t.Errorf("%s holds the control byte %#x", name, c)
				}
			}
			if bytes.ContainsRune(b, 0x9b) {
				t.Errorf("%s holds U+009B", name)
			}
		}
		results := readCSV(t, filepath.Join(dir, "out.csv"))
		if got := results[1][5]; got != want {
			t.Errorf("message %q, want %q", got, want)
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "out.xlsx")
		writeReport(t, path, Options{Payloads: true}, rows, s)
		f := openXLSX(t, path)
		if got, _ := f.GetCellValue("Results", "F2"); got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		if got, _ := f.GetCellValue("Failed", "A2"); got != "A1\uFFFD" {
			t.Errorf("Failed!A2 %q", got)
		}
	})
}
