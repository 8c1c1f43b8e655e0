package mapping

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// transform rewrites one cell's text. An error makes the row invalid.
type transform func(string) (string, error)

// transforms is the closed set a mapping may name.
var transforms = map[string]transform{
	"trim":  func(s string) (string, error) { return strings.TrimSpace(s), nil },
	"lower": func(s string) (string, error) { return strings.ToLower(s), nil },
	"upper": func(s string) (string, error) { return strings.ToUpper(s), nil },
	// collapse folds runs of white space, including line breaks typed with
	// Alt+Enter in Excel, into one space and trims the ends.
	"collapse": func(s string) (string, error) { return strings.Join(strings.Fields(s), " "), nil },
	"digits":   digits,
	"us_phone": usPhone,
	// sha1 hashes a plaintext value to its hex digest, for APIs that take a
	// hash (a password must never travel or be stored in clear).
	"sha1": func(s string) (string, error) {
		sum := sha1.Sum([]byte(s))
		return hex.EncodeToString(sum[:]), nil
	},
	"bool": func(s string) (string, error) {
		b, err := parseBool(s)
		if err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	},
	"int": func(s string) (string, error) {
		n, err := parseInt(s)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	},
}

// usPhone writes a North American number the way US APIs document it,
// XXX-XXX-XXXX, whatever the spreadsheet made of it: "(555) 123-4567",
// "555.123.4567", "+1 555 123 4567" or the number 5551234567.
func usPhone(s string) (string, error) {
	var d []byte
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if len(d) != 10 {
		return "", fmt.Errorf("%q is not a 10-digit phone number", s)
	}
	return string(d[:3]) + "-" + string(d[3:6]) + "-" + string(d[6:]), nil
}

func transformNames() []string {
	names := make([]string, 0, len(transforms))
	for n := range transforms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// digits keeps only the digits and a leading +: "+46 70-123 45 67" becomes
// "+46701234567". A value with no digit at all is an error rather than an
// empty string that would silently drop the field.
func digits(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if strings.TrimPrefix(out, "+") == "" {
		return "", fmt.Errorf("has no digits")
	}
	return out, nil
}

// parseBool reads the spellings people use in spreadsheets.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "1", "x", "on", "sant", "ja", "wahr", "vrai":
		return true, nil
	case "false", "no", "n", "0", "off", "falskt", "nej", "falsch", "faux":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a yes/no value (use TRUE/FALSE, yes/no, 1/0 or x)", s)
}

// parseInt reads an integer, tolerating the ".0" a number cell may carry
// when a spreadsheet program exported it.
func parseInt(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	if whole, frac, ok := strings.Cut(t, "."); ok && strings.Trim(frac, "0") == "" {
		if n, err := strconv.ParseInt(whole, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%q is not a whole number", s)
}

// isBlank reports a cell that holds nothing but white space: it leaves its
// field out of the payload, which means "no change".
func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
