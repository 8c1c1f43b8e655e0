package providers

import (
	"bytes"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/acctimport/acctimport/internal/printable"
)

// MaxMessage is the longest message, in characters, that the exchange hands
// on from a server: enough for any reason a server gives, short enough for a
// report's cell. It clips after scrubbing, so a cut never keeps part of a
// secret.
const MaxMessage = 500

// maxAccount bounds the account a server says it changed (Answer.Account).
const maxAccount = 120

// scrubber replaces secrets in text from a server: the run's credentials and
// the row's own secrets, in every form a server can echo them in. The
// credentials' forms are worked out once a run (knownSecrets); a row's own
// secrets and the replacer only when an answer holds text to scrub.
type scrubber struct {
	known    *knownSecrets
	extra    []string
	built    bool
	forms    []string // longest first, so a secret holding another is replaced whole
	replacer *strings.Replacer
	lower    []string // the secrets lower-cased, for pieces of them
}

// knownSecrets are a set of secrets in every form, longest first, and
// lower-cased for finding pieces of them: worked out once for a run's
// credentials, as they are the same for every answer. Safe for concurrent
// use once made.
type knownSecrets struct {
	forms []string
	lower []string

	once     sync.Once
	replacer *strings.Replacer
}

func newKnownSecrets(vals []string) *knownSecrets {
	k := &knownSecrets{}
	seen := make(map[string]bool)
	for _, v := range vals {
		for _, f := range secretForms(v) {
			if f != "" && !seen[f] {
				seen[f] = true
				k.forms = append(k.forms, f)
			}
		}
		if len(v) >= minPartial {
			k.lower = append(k.lower, asciiLower(v))
		}
	}
	slices.SortStableFunc(k.forms, func(a, b string) int { return len(b) - len(a) })
	return k
}

func credentialValues(creds Credentials) []string {
	vals := make([]string, 0, len(creds))
	for _, sec := range creds {
		vals = append(vals, sec.v)
	}
	return vals
}

// shared is k's replacer, made on first use.
func (k *knownSecrets) shared() *strings.Replacer {
	k.once.Do(func() { k.replacer = newRedactor(k.forms) })
	return k.replacer
}

// newRedactor replaces each of forms (longest first) with Redacted; nil for
// none.
func newRedactor(forms []string) *strings.Replacer {
	if len(forms) == 0 {
		return nil
	}
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Redacted)
	}
	return strings.NewReplacer(pairs...)
}

// newScrubber knows creds and a row's extra secrets.
func newScrubber(creds Credentials, extra []string) *scrubber {
	return &scrubber{known: newKnownSecrets(credentialValues(creds)), extra: extra}
}

func (s *scrubber) build() {
	if s.built {
		return
	}
	s.built = true
	if len(s.extra) == 0 {
		s.forms, s.lower = s.known.forms, s.known.lower
		return
	}
	row := newKnownSecrets(s.extra)
	s.forms = slices.Clone(s.known.forms)
	for _, f := range row.forms {
		if !slices.Contains(s.forms, f) {
			s.forms = append(s.forms, f)
		}
	}
	slices.SortStableFunc(s.forms, func(a, b string) int { return len(b) - len(a) })
	s.lower = append(slices.Clone(s.known.lower), row.lower...)
}

// replaceWhole replaces every whole secret in text; text that holds none,
// as almost every answer, is given back without a replacer being made.
func (s *scrubber) replaceWhole(text string) string {
	s.build()
	if !slices.ContainsFunc(s.forms, func(f string) bool { return strings.Contains(text, f) }) {
		return text
	}
	if s.replacer == nil {
		if len(s.extra) == 0 {
			s.replacer = s.known.shared()
		} else {
			s.replacer = newRedactor(s.forms)
		}
	}
	return s.replacer.Replace(text)
}

// secretForms are the ways a server's answer can carry v: as it is, escaped
// for a URL's query or path, escaped in JSON (with and without HTML escaping,
// and with PHP's escaped slashes), escaped in XML or HTML, and with its white
// space folded, as an error body's text is.
func secretForms(v string) []string {
	if v == "" {
		return nil
	}
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v), html.EscapeString(v), strings.Join(strings.Fields(v), " ")}
	for _, escapeHTML := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(v) == nil {
			q := strings.TrimSuffix(b.String(), "\n")
			q = q[1 : len(q)-1]
			forms = append(forms, q, strings.ReplaceAll(q, "/", `\/`))
		}
	}
	return forms
}

// scrub replaces every secret in s, whole or in part: a server that echoes
// a key half-masked ("in-Super****", "****XwVb"), or in another case,
// reveals as much as one that echoes it whole, so a run of minPartial or
// more characters that starts or ends a secret is replaced too, in any case.
// Pieces from a secret's middle are not looked for: no server echoes those,
// and a random key shares some 4 characters with many an id.
func (s *scrubber) scrub(text string) string {
	if text == "" {
		return text
	}
	s.build()
	if len(s.forms) == 0 {
		return text
	}
	text = s.replaceWhole(text)
	parts := strings.Split(text, Redacted)
	for i, p := range parts {
		parts[i] = s.scrubPieces(p)
	}
	return strings.Join(parts, Redacted)
}

// scrubPieces replaces the runs of text that begin or end a secret.
func (s *scrubber) scrubPieces(text string) string {
	if len(text) < minPartial {
		return text
	}
	lower := asciiLower(text)
	cut := make([]bool, len(text)) // bytes to replace
	found := false
	for _, sec := range s.lowered() {
		head, tail := sec[:minPartial], sec[len(sec)-minPartial:]
		for i := 0; ; {
			j := strings.Index(lower[i:], head)
			if j < 0 {
				break
			}
			start := i + j
			end := start + minPartial
			for end < len(lower) && end-start < len(sec) && lower[end] == sec[end-start] {
				end++
			}
			for k := start; k < end; k++ {
				cut[k] = true
			}
			found = true
			i = start + 1
		}
		for i := 0; ; {
			j := strings.Index(lower[i:], tail)
			if j < 0 {
				break
			}
			end := i + j + minPartial
			start := end - minPartial
			for start > 0 && end-start < len(sec) && lower[start-1] == sec[len(sec)-(end-start)-1] {
				start--
			}
			for k := start; k < end; k++ {
				cut[k] = true
			}
			found = true
			i = end - minPartial + 1
		}
	}
	if !found {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if !cut[i] {
			j := i
			for j < len(text) && !cut[j] {
				j++
			}
			b.WriteString(text[i:j])
			i = j
			continue
		}
		for i < len(text) && cut[i] {
			i++
		}
		b.WriteString(Redacted)
	}
	return b.String()
}

// lowered are the secrets as they are, lower-cased, for finding pieces.
func (s *scrubber) lowered() []string {
	s.build()
	return s.lower
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// minPartial is the shortest piece of a secret that counts as revealing it.
const minPartial = 4

// trimPartialTail removes from the end of a body that was cut at MaxAnswer
// the start of a secret the cut went through: scrubbing cannot recognise a
// secret that is not whole.
func (s *scrubber) trimPartialTail(body []byte) []byte {
	s.build()
	for _, f := range s.forms {
		for k := min(len(f)-1, len(body)); k >= minPartial; k-- {
			if bytes.HasSuffix(body, []byte(f[:k])) {
				body = body[:len(body)-k]
				break
			}
		}
	}
	return body
}

// message turns a server's text into one a report or a terminal can show:
// secrets scrubbed first, then control characters and invalid UTF-8
// replaced, white space folded, and only then clipped to max characters, so
// that no cut keeps part of a secret.
func (s *scrubber) message(text string, max int) string {
	if text == "" {
		return ""
	}
	return clip(cleanText(s.scrub(text)), max)
}

// identity is message for an account's id, which is compared rather than
// read: only whole secrets are replaced, never the pieces scrub looks for,
// which an id may share with a key by chance (and a changed id would look
// like another account).
func (s *scrubber) identity(text string) string {
	if text == "" {
		return ""
	}
	return clip(cleanText(s.replaceWhole(text)), maxAccount)
}

// cleanText makes server text safe to print: invalid UTF-8 becomes U+FFFD,
// line breaks and tabs become spaces and runs of white space one space, and
// what could act on a terminal or make a line read other than it is (an ESC,
// a BEL, C1 controls, bidirectional overrides) is written as a visible escape
// (\x1b, \u202e), as everything acctimport prints is.
func cleanText(s string) string {
	if isClean(s) {
		return s
	}
	return printable.String(strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " "))
}

// isClean reports text that cleanText would leave as it is.
func isClean(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prev := rune(0)
	for _, r := range s {
		switch {
		case r == ' ':
			if prev == ' ' {
				return false
			}
		case r < 0x21 || r == 0x7f:
			return false
		case r >= 0x80 && (r == utf8.RuneError || r <= 0x9f || unicode.IsSpace(r) || printable.Unsafe(r)):
			return false
		}
		prev = r
	}
	return true
}

// isBidiControl reports the explicit directional formatting characters of
// Unicode's bidirectional algorithm (embeddings, overrides, isolates, marks).

// clip shortens s to at most max characters, marking the cut, and never
// cuts a Redacted in two.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == max {
			cut = i
			break
		}
		n++
	}
	if j := strings.LastIndex(s[:cut], "["); j >= 0 && strings.HasPrefix(Redacted, s[j:cut]) && strings.HasPrefix(s[j:], Redacted) {
		cut = j
	}
	return strings.TrimRight(s[:cut], " ") + "…"
}
