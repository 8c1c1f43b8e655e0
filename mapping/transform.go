package mapping

import (
	"crypto/sha1"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/acctimport/acctimport/providers"
)

// transforms is the closed set a mapping may name. An error makes the row
// invalid; its text never holds the value (see cellError).
var transforms = map[string]func(string) (string, error){
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
	"personnummer": personnummer,
	"orgnummer":    orgnummer,
}

// namedTransform is a transform with its name, for messages.
type namedTransform struct {
	name string
	fn   func(string) (string, error)
}

// cellError says why one cell's value cannot be sent. Its texts never hold
// the value: a message adds the value, clipped and escaped, only where it
// may be shown (never for a secret field).
type cellError struct {
	// rule is the exact rule, phrased to follow the field's name: "must
	// match ^[0-9]{10}$". A report puts it in the cell's comment.
	rule string
	// problem is for people, phrased to follow the value: "has no digits".
	problem string
	// broken is the provider's rule the value broke; nil when the value
	// could not be read at all.
	broken providers.Rule
	// near is set by a transform that recognised the value's form but found
	// it wrong (a personal number with a wrong control digit): a message may
	// say so when the transform is not in the mapping yet.
	near bool
}

func (e *cellError) Error() string {
	if e.rule != "" {
		return e.rule
	}
	return e.problem
}

// transformErr is a transform's refusal; applyAll names the transform.
func transformErr(problem string) error { return &cellError{problem: problem} }

// nearErr is the refusal of a value that has the transform's form.
func nearErr(problem string) error { return &cellError{problem: problem, near: true} }

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
		return "", transformErr("is not a 10-digit North American phone number")
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
		return "", transformErr("has no digits")
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
	return false, &cellError{rule: "must be true or false", problem: "is not a yes/no value (use TRUE/FALSE, yes/no, 1/0 or x)"}
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
	return 0, &cellError{rule: "must be a whole number", problem: "is not a whole number"}
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

// separatorsOnly reports whether the characters digits and us_phone would
// drop from s are only the separators people type in numbers (spaces,
// dashes, dots, slashes, brackets): then the transform keeps what the value
// means, and a message may suggest it. "a/b1" made "1" would be valid for
// some rules and still wrong.
func separatorsOnly(s string) bool {
	s = strings.TrimSpace(s)
	seen := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			seen = true
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return false
		}
	}
	return seen
}
