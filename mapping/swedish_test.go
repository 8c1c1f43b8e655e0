package mapping

import (
	"strings"
	"testing"
	"time"
)

// The numbers are Skatteverket's and Wikipedia's public examples
// (19121212-1212, 811228-9874, the coordination number 701063-2391) and
// well-known organisation numbers, with typos made from them.
func TestPersonnummer(t *testing.T) {
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	nowFunc = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC) }
	tests := []struct{ in, want, err string }{
		{"19121212-1212", "121212-1212", ""},
		{"191212121212", "121212-1212", ""},
		{"1212121212", "121212-1212", ""},
		{"121212-1212", "121212-1212", ""},
		{"121212+1212", "121212-1212", ""}, // born 1912, over a hundred
		{"  19811228-9874 ", "811228-9874", ""},
		{"811228 9874", "811228-9874", ""},
		{"19701063-2391", "701063-2391", ""}, // samordningsnummer: day 3 + 60
		{"7010632391", "701063-2391", ""},
		{"000229-0005", "000229-0005", ""}, // 2000 was a leap year
		{"261231-1239", "261231-1239", ""}, // born in December 1926, written without the +
		{"19261231-1239", "261231-1239", ""},
		{"20261231-1239", "", "its birth date is in the future"},
		{"19121212-1213", "", "its control digit (the last one) is wrong"},
		{"1212121213", "", "its control digit (the last one) is wrong"},
		{"19811228-9875", "", "its control digit (the last one) is wrong"},
		{"811328-9873", "", "its first six digits are no date of birth"},
		{"19810230-1234", "", "its first six digits are no date of birth"},
		{"000229+0005", "", "its first six digits are no date of birth"}, // 1900 was not
		{"701093-2391", "", "is not a coordination number"},
		{"20300101-0008", "", "its birth date is in the future"},
		{"121212-121", "", "the - or + goes before the last four digits"},
		{"12121-21212", "", "before its last four digits"},
		{"121212--1212", "", "before its last four digits"},
		{"19121212+1212", "", "a + (for someone a hundred or older) goes only in the 10-digit form"},
		{"17121212-1212", "", "must start with a year from 1800 to 2099"},
		{"121212121", "", "a number cell drops a leading zero"},
		{"12121212", "", "it has 8 digits, not 10 or 12"},
		{"1212l21212", "", "characters other than digits"},
		{"", "", "it has 0 digits"},
	}
	checkTransform(t, "personnummer", tests)
}

// checkTransform runs a table of a transform's inputs, outputs and errors;
// an error never shows the value (a message adds it where it may).
func checkTransform(t *testing.T, name string, tests []struct{ in, want, err string }) {
	t.Helper()
	fn := transforms[name]
	for _, tc := range tests {
		got, err := fn(tc.in)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s(%q) = %q, %v; want %q", name, tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s(%q) = %q, %v; want an error with %q", name, tc.in, got, err, tc.err)
		}
		if err != nil && len(strings.TrimSpace(tc.in)) > 3 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
			t.Errorf("%s(%q): the error shows the value: %v", name, tc.in, err)
		}
	}
}

func TestOrgnummer(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"556036-0793", "556036-0793", ""},
		{"5560360793", "556036-0793", ""},
		{"165560360793", "556036-0793", ""},
		{"16556036-0793", "556036-0793", ""},
		{"202100-5448", "202100-5448", ""}, // Skatteverket
		{"556703-7485", "556703-7485", ""},
		{"212000-0142", "212000-0142", ""},
		{"556036-0794", "", "its control digit (the last one) is wrong"},
		{"556036-0739", "", "its control digit (the last one) is wrong"},
		{"811228-9874", "", "its third digit is below 2, which makes it a personal number (a sole trader's"},
		{"121212-1212", "", "its third digit is below 2"},
		{"556036+0793", "", "never +"},
		{"175560360793", "", "the 12-digit form starts with 16"},
		{"55603607", "", "it has 8 digits, not 10"},
		{"556036079", "", "a number cell drops a leading zero"},
	}
	checkTransform(t, "orgnummer", tests)
}

func TestLuhn(t *testing.T) {
	for _, ok := range []string{"1212121212", "8112289874", "7010632391", "5560360793", "2021005448"} {
		if !luhn(ok) {
			t.Errorf("luhn(%s) = false", ok)
		}
	}
	for _, bad := range []string{"1212121213", "8112289847", "5560360739", "0000000001"} {
		if luhn(bad) {
			t.Errorf("luhn(%s) = true", bad)
		}
	}
}
