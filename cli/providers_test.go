package cli

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/acctimport/acctimport/providers/all"
)

func TestProvidersCommand(t *testing.T) {
	h := newHarness(t)
	if code := h.run("providers"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, h.stderr.String())
	}
	fitsTerminal(t, h.stdout.String())
	for _, name := range all.Registry.Names() {
		if !regexp.MustCompile(`(?m)^` + name + ` `).MatchString(h.stdout.String()) {
			t.Errorf("providers does not list %s:\n%s", name, h.stdout.String())
		}
	}
	if !strings.Contains(h.stdout.String(), "PUT {base_url}/api/v1/user/{user_id}") {
		t.Errorf("userapi's request, without a default host, is not shown with its base_url:\n%s", h.stdout.String())
	}
	for _, p := range all.Registry.All() {
		info := p.Info()
		t.Run(info.Name, func(t *testing.T) {
			if code := h.run("providers", info.Name); code != ExitOK {
				t.Fatalf("exit %d: %s", code, h.stderr.String())
			}
			out := h.stdout.String()
			fitsTerminal(t, out)
			// Wrapped lines read as one, for finding a phrase.
			flat := regexp.MustCompile(`\n +`).ReplaceAllString(out, " ")
			for _, want := range append(envNames(info), "documented in  "+info.Document) {
				if !strings.Contains(flat, want) {
					t.Errorf("%q not shown:\n%s", want, out)
				}
			}
			if strings.Contains(out, ".txt") || strings.Contains(out, "seeds/") {
				t.Errorf("the documentation is named by a file of this repository:\n%s", out)
			}
			// Every field is a line of its own, starting with its path.
			for _, f := range p.Table().Fields() {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(f.Path) + `  ` + regexp.QuoteMeta(f.Type.String())).MatchString(out) {
					t.Errorf("field %s (%s) not listed", f.Path, f.Type)
				}
				if r := f.RuleText(); r != "" && !strings.Contains(flat, r) {
					t.Errorf("rule of %s not shown: %s", f.Path, r)
				}
			}
		})
	}
	h.run("providers", "fairwarning")
	if !strings.Contains(h.stdout.String(), "format (json | xml): json (the default) or xml") {
		t.Errorf("the format option is not documented:\n%s", h.stdout.String())
	}
	h.run("providers", "userapi")
	if !strings.Contains(h.stdout.String(), "PUT {base_url}/api/v1/user/{user_id} (the documentation names no real host") {
		t.Errorf("userapi's missing host is not explained:\n%s", h.stdout.String())
	}
	if code := h.run("providers", "paywya"); code != ExitUsage || !strings.Contains(h.stderr.String(), `did you mean "payway"?`) {
		t.Errorf("unknown provider: exit %d, %q", code, h.stderr.String())
	}
}

// fitsTerminal fails the test for a line wider than the output's width,
// unless it is one word too long to break (a long pattern).
func fitsTerminal(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > width && len(strings.Fields(l)) > 1 {
			t.Errorf("a line of %d characters:\n%s", utf8.RuneCountInString(l), l)
		}
	}
}

func TestWrapWords(t *testing.T) {
	for _, tt := range []struct {
		text string
		n    int
		want []string
	}{
		{"", 10, []string{""}},
		{"one two three", 7, []string{"one two", "three"}},
		{"a   b\n c", 10, []string{"a b c"}},
		{"short averyveryverylongword end", 10, []string{"short", "averyveryverylongword", "end"}},
		{"été à Zürich", 7, []string{"été à", "Zürich"}},
	} {
		if got := wrapWords(tt.text, tt.n); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrapWords(%q, %d) = %q, want %q", tt.text, tt.n, got, tt.want)
		}
	}
}
