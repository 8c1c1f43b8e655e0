// Package providertest holds what every provider's tests share: the
// contract suite (Run) that every provider and its fake must pass, as
// restic runs one test suite on every backend and Go CDK's drivertest on
// every driver; the check of a field table against its examples
// (CheckFieldCases); and small helpers for sending, reading and golden
// files, so that a provider's tests list its own examples and nothing of
// the machinery.
package providertest

import (
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
