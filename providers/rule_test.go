package providers_test

import (
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/all"
)

// TestEveryRuleExplains: every rule of every provider's table says in words
// what it accepts, so that no message for a person falls back to a regular
// expression, and its words are not the exact rule again.
func TestEveryRuleExplains(t *testing.T) {
	for _, p := range all.Registry.All() {
		for _, f := range p.Table().Fields() {
			for _, r := range f.Rules {
				e, ok := r.(providers.Explainer)
				if !ok {
					t.Errorf("%s: %s: rule %q has no words for people (wrap it in providers.Explained)", p.Info().Name, f.Path, r)
					continue
				}
				words := e.Explain()
				if words == "" || strings.Contains(words, "must") || strings.ContainsAny(words, "^$\\") {
					t.Errorf("%s: %s: rule %q explains itself as %q: say what a value looks like", p.Info().Name, f.Path, r, words)
				}
			}
		}
	}
}

func TestExplainedKeepsTheRule(t *testing.T) {
	r := providers.Explained(providers.Match(`^[0-9]{10}$`), "ten digits")
	if r.String() != "must match ^[0-9]{10}$" || providers.Explain(r) != "ten digits" {
		t.Fatalf("String %q, Explain %q", r, providers.Explain(r))
	}
	err := r.Check("123")
	re, ok := err.(*providers.RuleError)
	if !ok || providers.Explain(re.Rule) != "ten digits" || err.Error() != "must match ^[0-9]{10}$" {
		t.Fatalf("error %v", err)
	}
	if r.Check("0123456789") != nil {
		t.Fatal("valid value refused")
	}
	if got := providers.Explain(providers.Length(0, 5)); got != "at most 5 characters" {
		t.Errorf("Length explains as %q", got)
	}
}
