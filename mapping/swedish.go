package mapping

import (
	"strings"
	"time"
)

// nowFunc is the clock that tells a personal number's century when the
// number is written without it; tests set it.
var nowFunc = time.Now

// personnummer writes a Swedish personal number (or coordination number,
// samordningsnummer, whose day is the birth day plus 60) the way Payway
// documents it, YYMMDD-NNNN, whatever form a system exported it in:
// 19500101-1005, 195001011005, 5001011005, 500101-1005, or 500101+1005
// (the + of someone a hundred or older). The date must exist and the
// control digit must be right, so that a typo is caught before sending.
//
// The output always has "-": Payway's form has no other separator, and the
// century, which the + or the 12-digit form tells, is needed only to check
// the date (29 February 1900 is no date).
func personnummer(s string) (string, error) {
	d, sep, err := idDigits(s, "a personal number")
	if err != nil {
		return "", err
	}
	var century int
	switch len(d) {
	case 12:
		if sep == '+' {
			return "", transformErr("is not a personal number: a + (for someone a hundred or older) goes only in the 10-digit form")
		}
		century = int(d[0]-'0')*10 + int(d[1]-'0')
		if century < 18 || century > 20 {
			return "", transformErr("is not a personal number: its 12-digit form must start with a year from 1800 to 2099")
		}
		d = d[2:]
	case 10:
		century = -1
	case 9, 11:
		return "", transformErr(lostZero(len(d), "a personal number"))
	default:
		return "", transformErr("is not a personal number: it has " + itoa(len(d)) + " digits, not 10 or 12 (YYMMDD-NNNN or YYYYMMDD-NNNN)")
	}
	yy := num2(d[0:2])
	month := num2(d[2:4])
	day := num2(d[4:6])
	coordination := day > 60
	if coordination {
		day -= 60
	}
	now := nowFunc()
	year := century*100 + yy
	if century < 0 {
		// The 10-digit form: the latest year ending in yy not after this
		// year, a hundred years earlier with a +.
		year = now.Year() - (now.Year()-yy)%100
		if sep == '+' {
			year -= 100
		}
	}
	birth := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if century < 0 && sep != '+' && birth.After(now) {
		// Born later this year, a hundred years ago: written without the
		// + that would say so.
		year -= 100
		birth = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	}
	if month < 1 || month > 12 || day < 1 || birth.Day() != day || birth.Month() != time.Month(month) {
		what := "is not a personal number: its first six digits are no date of birth (YYMMDD)"
		if coordination {
			what = "is not a coordination number: its first six digits are no date of birth with 60 added to the day"
		}
		return "", nearErr(what)
	}
	if birth.After(now) {
		return "", nearErr("is not a personal number: its birth date is in the future")
	}
	if !luhn(d) {
		return "", nearErr("is not a personal number: its control digit (the last one) is wrong, so a digit was probably mistyped")
	}
	return d[0:6] + "-" + d[6:10], nil
}

// orgnummer writes a Swedish organisation number as NNNNNN-NNNN, from
// 556036-0793, 5560360793 or the 12-digit 165560360793 (Skatteverket's
// form with 16 in front). Its third digit is at least 2, which is what
// tells it from a personal number, and its control digit must be right.
func orgnummer(s string) (string, error) {
	d, sep, err := idDigits(s, "an organisation number")
	if err != nil {
		return "", err
	}
	if sep == '+' {
		return "", transformErr("is not an organisation number: they are written with - (NNNNNN-NNNN), never +")
	}
	switch len(d) {
	case 12:
		if d[:2] != "16" {
			return "", transformErr("is not an organisation number: the 12-digit form starts with 16")
		}
		d = d[2:]
	case 10:
	case 9, 11:
		return "", transformErr(lostZero(len(d), "an organisation number"))
	default:
		return "", transformErr("is not an organisation number: it has " + itoa(len(d)) + " digits, not 10 (NNNNNN-NNNN)")
	}
	if d[2] < '2' {
		msg := "is not an organisation number: its third digit is below 2, which makes it a personal number"
		if _, err := personnummer(d); err == nil {
			msg += " (a sole trader's business uses the owner's personal number: map it to the personal number field, or send it as it is without orgnummer)"
		}
		return "", nearErr(msg)
	}
	if !luhn(d) {
		return "", nearErr("is not an organisation number: its control digit (the last one) is wrong, so a digit was probably mistyped")
	}
	return d[0:6] + "-" + d[6:10], nil
}

// idDigits takes the digits of a number written with at most one -, + or
// space before its last four digits, and reports the separator (a space
// reads as -).
func idDigits(s, what string) (digits string, sep byte, err error) {
	s = strings.TrimSpace(s)
	var b [16]byte
	n, at := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(b) {
				return "", 0, transformErr("is not " + what + ": it has too many digits")
			}
			b[n] = c
			n++
		case c == '-' || c == '+' || c == ' ':
			if sep != 0 || (n != 6 && n != 8) {
				return "", 0, transformErr("is not " + what + ": it may have one - or + before its last four digits, and nothing else between them")
			}
			sep, at = c, n
		default:
			return "", 0, transformErr("is not " + what + ": it has characters other than digits and one - or +")
		}
	}
	if sep != 0 && n != at+4 {
		return "", 0, transformErr("is not " + what + ": the - or + goes before the last four digits")
	}
	if sep == ' ' {
		sep = '-'
	}
	return string(b[:n]), sep, nil
}

func lostZero(n int, what string) string {
	return "is not " + what + ": it has " + itoa(n) + " digits; a number cell drops a leading zero, so format the column as text in the spreadsheet"
}

// luhn checks the control digit of a 10-digit number: the last digit makes
// the Luhn sum of all ten a multiple of 10.
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[i] - '0')
		if i%2 == 0 {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

func num2(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
