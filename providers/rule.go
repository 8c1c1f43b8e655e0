package providers

import (
	"bytes"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// Rule is one documented constraint on a field's value. Check's error and
// String are both phrased to follow the field's name: "must match ...".
type Rule interface {
	Check(v any) error
	String() string
}

// RuleError is a value that broke a rule.
type RuleError struct{ Rule Rule }

func (e *RuleError) Error() string { return e.Rule.String() }

// Match requires a string value to match a regular expression, written as
// the provider documents it (Go syntax; Ruby's \A and \z work as they are).
// It compiles once, when the provider's table is built.
func Match(pattern string) Rule {
	return matchRule{re: regexp.MustCompile(pattern), phrase: "must match " + pattern}
}

// MatchShown is Match with a friendlier description than the raw pattern,
// such as the document's own "dddddd-dddd".
func MatchShown(pattern, shown string) Rule {
	return matchRule{re: regexp.MustCompile(pattern), phrase: "must match " + shown}
}

// Pattern is Match described by a whole phrase instead of the pattern:
// Pattern(`^\d{3}-\d{3}-\d{4}$`, "must be written XXX-XXX-XXXX").
func Pattern(pattern, phrase string) Rule {
	return matchRule{re: regexp.MustCompile(pattern), phrase: phrase}
}

type matchRule struct {
	re     *regexp.Regexp
	phrase string
}

func (r matchRule) Check(v any) error {
	s, ok := v.(string)
	if !ok || !r.re.MatchString(s) {
		return &RuleError{r}
	}
	return nil
}

func (r matchRule) String() string { return r.phrase }

// Length bounds a string's length in characters; max 0 means no upper bound.
func Length(min, max int) Rule { return lengthRule{min, max} }

type lengthRule struct{ min, max int }

func (r lengthRule) Check(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	n := utf8.RuneCountInString(s)
	if n < r.min || (r.max > 0 && n > r.max) {
		return &RuleError{r}
	}
	return nil
}

func (r lengthRule) String() string {
	switch {
	case r.min == r.max:
		return fmt.Sprintf("must be exactly %d characters", r.max)
	case r.min == 0:
		return fmt.Sprintf("must be at most %d characters", r.max)
	case r.max == 0:
		return fmt.Sprintf("must be at least %d characters", r.min)
	}
	return fmt.Sprintf("must be %d to %d characters", r.min, r.max)
}

// Range bounds an integer value.
func Range(min, max int64) Rule { return rangeRule{min, max} }

type rangeRule struct{ min, max int64 }

func (r rangeRule) Check(v any) error {
	n, ok := v.(int64)
	if !ok || n < r.min || n > r.max {
		return &RuleError{r}
	}
	return nil
}

func (r rangeRule) String() string { return fmt.Sprintf("must be between %d and %d", r.min, r.max) }

// ValidDate requires a real calendar date written YYYY-MM-DD.
func ValidDate() Rule { return dateRule{} }

type dateRule struct{}

func (dateRule) Check(v any) error {
	s, ok := v.(string)
	if !ok {
		return &RuleError{dateRule{}}
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return &RuleError{dateRule{}}
	}
	return nil
}

func (dateRule) String() string { return "must be a date written YYYY-MM-DD" }

// Each applies a rule to every element of a string list.
func Each(r Rule) Rule { return eachRule{r} }

type eachRule struct{ r Rule }

func (e eachRule) Check(v any) error {
	list, ok := v.([]string)
	if !ok {
		return e.r.Check(v)
	}
	for _, s := range list {
		if err := e.r.Check(s); err != nil {
			return &RuleError{e}
		}
	}
	return nil
}

func (e eachRule) String() string { return "each item " + e.r.String() }

// JPEG requires a File value to be a JPEG image, judged by its first bytes
// (FF D8 FF), not by its name.
func JPEG() Rule { return jpegRule{} }

type jpegRule struct{}

func (jpegRule) Check(v any) error {
	b, ok := v.([]byte)
	if !ok || !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) {
		return &RuleError{jpegRule{}}
	}
	return nil
}

func (jpegRule) String() string { return "must be a JPEG image" }

// Email requires a plausible e-mail address: one @, a dotted domain, no
// spaces. Providers that document their own pattern use Match instead.
func Email() Rule {
	return Pattern(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`, "must be an e-mail address (name@example.com)")
}

// UUID requires a UUID written the usual way, 8-4-4-4-12 hex digits.
func UUID() Rule {
	return Pattern(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`,
		"must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)")
}

// ValidDateTime requires an RFC 3339 date-time with its zone:
// 2023-11-07T05:31:56Z.
func ValidDateTime() Rule { return dateTimeRule{} }

type dateTimeRule struct{}

func (dateTimeRule) Check(v any) error {
	s, ok := v.(string)
	if !ok {
		return &RuleError{dateTimeRule{}}
	}
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return &RuleError{dateTimeRule{}}
	}
	return nil
}

func (dateTimeRule) String() string { return "must be an RFC 3339 date-time (2023-11-07T05:31:56Z)" }
