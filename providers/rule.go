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

// Explainer is a Rule that can say in words, for a person who does not read
// regular expressions, what its values look like: "10 to 12 digits, with an
// optional + or 0 in front". String stays the exact rule (a report's cell
// comment shows it); Explain is for the message that says what to fix.
type Explainer interface {
	Explain() string
}

// Explain says what values r accepts, in words: r's own Explain when it has
// one, else its String without the leading "must be " ("an e-mail
// address"). Every rule of the providers' tables explains itself, which
// TestEveryRuleExplains checks, so the fallback is for rules made elsewhere.
func Explain(r Rule) string {
	if e, ok := r.(Explainer); ok {
		return e.Explain()
	}
	s := r.String()
	if len(s) > len("must match ") && s[:len("must match ")] == "must match " {
		return "values matching " + s[len("must match "):]
	}
	for _, p := range []string{"must be ", "must "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}

// Explained gives r a description in words for people, keeping r's check
// and its exact String: Explained(Match(`^[+,0]?[0-9]{10,12}$`), "10 to 12
// digits, with an optional + or 0 in front").
func Explained(r Rule, words string) Rule { return explainedRule{r, words} }

type explainedRule struct {
	r     Rule
	words string
}

func (e explainedRule) Check(v any) error {
	if e.r.Check(v) != nil {
		return &RuleError{e}
	}
	return nil
}

func (e explainedRule) String() string  { return e.r.String() }
func (e explainedRule) Explain() string { return e.words }

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

func (r lengthRule) Explain() string { return r.String()[len("must be "):] }

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

func (r rangeRule) Explain() string { return fmt.Sprintf("a whole number from %d to %d", r.min, r.max) }

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

func (dateRule) Explain() string { return "a real date, written YYYY-MM-DD" }

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

func (e eachRule) Explain() string { return "items that are each " + Explain(e.r) }

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

func (jpegRule) Explain() string { return "a JPEG image (a .jpg file; PNG and others are refused)" }

// Email requires a plausible e-mail address: one @, a dotted domain, no
// spaces. Providers that document their own pattern use Match instead.
func Email() Rule {
	return Explained(Pattern(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`, "must be an e-mail address (name@example.com)"),
		"an e-mail address such as name@example.com, without spaces")
}

// UUID requires a UUID written the usual way, 8-4-4-4-12 hex digits.
func UUID() Rule {
	return Explained(Pattern(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`,
		"must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)"),
		"a UUID: 32 hexadecimal digits in groups of 8-4-4-4-12, such as 3c90c3cc-0d44-4b50-8888-8dd25736052a")
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

func (dateTimeRule) Explain() string {
	return "a date and time with its zone, such as 2023-11-07T05:31:56Z"
}
