// Package providertest holds what every provider's tests share: the
// contract suite (Run) that every provider and its fake must pass, as
// restic runs one test suite on every backend and Go CDK's drivertest on
// every driver; the check of a field table against its examples
// (CheckFieldCases); and small helpers for sending, reading and golden
// files, so that a provider's tests list its own examples and nothing of
// the machinery.
package providertest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
)

// FieldCase is a field's examples: values it must accept and values it must
// refuse, in the Go types a payload holds.
type FieldCase struct {
	Valid   []any
	Invalid []any
}

// CheckFieldCases checks a table against its examples: every field has some
// of each kind, every rule refuses at least one invalid example (so a rule
// that accepts everything, a pattern typed wrong, cannot go unnoticed), no
// example names a field the table lacks, and the field accepts every valid
// example and refuses every invalid one.
func CheckFieldCases(t *testing.T, table *providers.Table, cases map[string]FieldCase) {
	t.Helper()
	for _, f := range table.Fields() {
		c, ok := cases[f.Path]
		if !ok {
			t.Errorf("%s: no test cases", f.Path)
			continue
		}
		if len(c.Valid) == 0 || len(c.Invalid) == 0 {
			t.Errorf("%s: %d valid and %d invalid examples, want some of each", f.Path, len(c.Valid), len(c.Invalid))
		}
		for _, r := range f.Rules {
			rejects := false
			for _, v := range c.Invalid {
				if r.Check(v) != nil {
					rejects = true
				}
			}
			if !rejects {
				t.Errorf("%s: no invalid example breaks the rule %q", f.Path, r)
			}
		}
	}
	for path, c := range cases {
		f, ok := table.Lookup(path)
		if !ok {
			t.Errorf("cases for %s, which is not in the table", path)
			continue
		}
		for _, v := range c.Valid {
			if err := f.Check(v); err != nil {
				t.Errorf("%s: Check(%.40v) = %v, want nil", path, v, err)
			}
		}
		for _, v := range c.Invalid {
			if err := f.Check(v); err == nil {
				t.Errorf("%s: Check(%.40v) = nil, want an error", path, v)
			}
		}
	}
}

// TableGolden renders a table, and what its rules say of every invalid
// example, and compares that with the golden file at path (rewritten with
// -update). It pins the table to the document (order, types, requirements,
// rules, secrets) and the words a user reads in the report, one line each,
// so a change of either shows as a diff to review.
func TableGolden(t *testing.T, table *providers.Table, cases map[string]FieldCase, path string, update bool) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# field | type | required | rules | secret\n")
	for _, f := range table.Fields() {
		req, secret := "", ""
		if f.Required {
			req = "required"
		}
		if f.Secret {
			secret = "secret"
		}
		b.WriteString(strings.TrimRight(fmt.Sprintf("%s | %s | %s | %s | %s", f.Path, f.Type, req, f.RuleText(), secret), " ") + "\n")
	}
	b.WriteString("\n# field = invalid example: what the report says\n")
	for _, f := range table.Fields() {
		for _, v := range cases[f.Path].Invalid {
			msg := "(accepted)"
			if err := f.Check(v); err != nil {
				msg = err.Error()
			}
			fmt.Fprintf(&b, "%s = %s: %s\n", f.Path, shown(v), msg)
		}
	}
	Golden(t, path, []byte(b.String()), update)
}

// shown writes an example short and on one line.
func shown(v any) string {
	var s string
	switch t := v.(type) {
	case string:
		s = strconv.Quote(t)
	case []byte:
		s = fmt.Sprintf("%d bytes % x", len(t), t[:min(len(t), 8)])
	default:
		s = fmt.Sprintf("%T %v", v, v)
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60]) + "…"
	}
	return s
}
