package providers

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// Redacted is what a secret looks like wherever it is printed.
const Redacted = "[redacted]"

// MaskedCell replaces, in a report, an input cell that feeds a secret field
// (a password column). It says what to do, and no real value plausibly has
// it: a masked cell fed back is its row's invalid, never hashed and sent.
const MaskedCell = "[masked in the report: put the value back]"

// Secret holds a credential. It never reveals itself through fmt, encoding or
// logging; only Reveal, called where the request is authorised, returns it.
type Secret struct{ v string }

// NewSecret wraps a credential.
func NewSecret(v string) Secret { return Secret{v} }

// Reveal returns the credential itself, for putting it into a request.
func (s Secret) Reveal() string { return s.v }

func (Secret) String() string                  { return Redacted }
func (Secret) GoString() string                { return Redacted }
func (Secret) MarshalText() ([]byte, error)    { return []byte(Redacted), nil }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// Credential is one secret a provider needs and where it comes from.
type Credential struct {
	Env         string // the environment variable that holds it
	Description string
	// Check reports a malformed value (such as a key with the wrong prefix);
	// nil accepts any non-empty value.
	Check func(string) error
	// Sample is a well-formed made-up value the sandbox hands to both its
	// fake and the client; "" means any value will do.
	Sample string
}

// Credentials are a provider's secrets, keyed by environment variable.
type Credentials map[string]Secret

// LoadCredentials reads every credential the provider needs from getenv
// (os.Getenv outside tests). A missing or malformed one is an error naming
// the variable, never its value.
func LoadCredentials(p Provider, getenv func(string) string) (Credentials, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	c := make(Credentials)
	var missing []string
	for _, cr := range p.Info().Credentials {
		v := strings.TrimSpace(getenv(cr.Env))
		if v == "" {
			missing = append(missing, cr.Env)
			continue
		}
		if cr.Check != nil {
			if err := cr.Check(v); err != nil {
				return nil, fmt.Errorf("environment variable %s: %w", cr.Env, err)
			}
		}
		c[cr.Env] = NewSecret(v)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s needs the environment variable%s %s (secrets are never read from the mapping); or try --sandbox",
			p.Info().Name, plural(len(missing)), strings.Join(missing, ", "))
	}
	return c, nil
}

// SandboxCredentials makes up credentials for a provider's sandbox: random,
// well-formed, and valid only for one in-process fake.
func SandboxCredentials(p Provider) Credentials {
	c := make(Credentials)
	for _, cr := range p.Info().Credentials {
		var b [12]byte
		_, _ = rand.Read(b[:])
		c[cr.Env] = NewSecret(cr.Sample + "sandbox-" + hex.EncodeToString(b[:]))
	}
	return c
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Scrub replaces every secret in s with Redacted, in every form an answer
// can carry it: as it is, escaped for a URL's query or path, escaped in JSON,
// XML or HTML. Use it on anything that may have seen a request: errors of
// the HTTP client carry the URL, and some APIs put their key in the URL.
func (c Credentials) Scrub(s string) string {
	if len(c) == 0 || s == "" {
		return s
	}
	return newScrubber(c, nil).scrub(s)
}

// OneWord refuses a credential with white space or control characters in
// it, which would only surface as a 401 on the first row, or as a header
// that cannot be sent; what names it ("a key", "a token").
func OneWord(v, what string) error {
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("contains white space or control characters; %s is one word", what)
		}
	}
	return nil
}
