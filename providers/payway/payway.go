// Package payway is acctimport's provider for Payway (Adeprimo's Tulo)
// "Update account" API: PUT /external/api/v2/accounts with a Bearer token,
// as documented in seeds/001_bb9c60684bd42d88.txt.
//
// It promises that every documented field, with the document's own regexes
// and size ranges, is in the table; that a payload is sent as the JSON object
// the document shows, with `atomic` taken from the mapping's options and not
// from a column; that an answer counts as ok only when the server says it
// updated everything (a non-empty `not_updated_fields` or a 207 Multi-Status
// is partial, or failed when `updated_fields` is empty, and a 2xx the
// provider cannot read is never ok); that an error's message is its
// `error_description`, after its `error` code; and that its
// Fake enforces the same document, including the uniqueness of `email` and
// `social_security_number` and the all-or-nothing semantics of `atomic`.
package payway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

const (
	// TokenEnv is the environment variable that holds the API token.
	TokenEnv = "PAYWAY_TOKEN"
	// Path is the endpoint, the same on stage and production.
	Path = "/external/api/v2/accounts"
	// BaseURL is production; the document's stage environment is StageURL.
	BaseURL = "https://backend.worldoftulo.com"
	// StageURL is the document's stage environment, for a mapping's base_url.
	StageURL = "https://payway-api.stage.adeprimo.se"
	// Unset is the value that clears a field that supports it (alias).
	Unset = "__UNSET__"
)

// Provider is the Payway account API. It holds no state: options,
// credentials and base URL come with each call.
type Provider struct{}

var _ providers.Provider = Provider{}

// Info describes the API for the registry and `acctimport providers payway`.
func (Provider) Info() providers.Info {
	return providers.Info{
		Name:     "payway",
		Title:    "Payway (Adeprimo/Tulo): update an account",
		Document: `Payway's developer documentation (Adeprimo's Tulo), the page "Update account" (/v2/accounts)`,
		BaseURL:  BaseURL,
		Method:   http.MethodPut,
		Path:     Path,
		Credentials: []providers.Credential{{
			Env:         TokenEnv,
			Description: "Payway API token with the scope /external/account/w, sent as Authorization: Bearer",
			Check:       checkToken,
		}},
		Key:            "id",
		AnswerNamesKey: true,
	}
}

// checkToken catches the two mistakes that would otherwise surface only as a
// 401 on the first row (or, for a line break, as an unsendable header).
func checkToken(v string) error {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return errors.New(`holds "Bearer ..."; set it to the token alone`)
	}
	return providers.OneWord(v, "a token")
}

// Table returns the documented fields. It is built once, at package
// initialisation, so its regexes are compiled once.
func (Provider) Table() *providers.Table { return table }

// Options are Payway's knobs in a mapping's `options:`.
type Options struct {
	// Atomic is the document's `atomic`: true (the server's default) applies
	// all fields or none; false applies what it can and answers 207
	// Multi-Status listing the rest. Nil leaves it to the server.
	Atomic *bool `yaml:"atomic" doc:"true (the server's default): all fields or none are applied, a broken one fails the row; false: what can be applied is, and the rest is listed (partial)"`
}

// Validate accepts every value: atomic is a bool or absent, which decoding
// has already ensured.
func (o *Options) Validate() error { return nil }

// IsAtomic is the effective value of atomic, the server's default when the
// mapping does not set it.
func (o *Options) IsAtomic() bool {
	return o == nil || o.Atomic == nil || *o.Atomic
}

// NewOptions returns options with nothing set.
func (Provider) NewOptions() providers.Options { return &Options{} }

// Encode makes the PUT request for one payload. `atomic` is sent only when
// the mapping sets it: the document's default is true, and leaving it out
// keeps the body exactly what the user asked for.
func (Provider) Encode(payload map[string]any, opts providers.Options) (*providers.Request, error) {
	o, err := providers.OptionsAs[*Options]("payway", opts)
	if err != nil {
		return nil, err
	}
	if _, ok := payload["atomic"]; ok {
		// The mapping should never let it through; refuse rather than let a
		// column silently override, or be overridden by, the option.
		return nil, errors.New("payway: atomic is set in the mapping's options, not as a field")
	}
	var b []byte
	if o != nil && o.Atomic != nil {
		b, err = providers.MarshalJSONWith(payload, "atomic", *o.Atomic)
	} else {
		b, err = providers.MarshalJSON(payload)
	}
	if err != nil {
		return nil, fmt.Errorf("payway: encoding the payload: %w", err)
	}
	return &providers.Request{
		Method:      http.MethodPut,
		Path:        Path,
		ContentType: "application/json",
		Body:        b,
	}, nil
}

// Authorize adds the Bearer token.
func (Provider) Authorize(r *http.Request, c providers.Credentials) {
	if tok := c[TokenEnv].Reveal(); tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
}

// answer is the document's response. Its field lists are strings in the
// document's example ("social_security_number") but arrays are accepted too.
type answer struct {
	ID               *string   `json:"id"`
	UpdatedFields    *fieldSet `json:"updated_fields"`
	NotUpdatedFields *fieldSet `json:"not_updated_fields"`
}

// fieldSet is a list of field names (or "field: reason" entries) sent as one
// string, as in the document's example, or as an array of strings. A string
// is kept whole: the document never shows how several names are separated.
type fieldSet []string

func (s *fieldSet) UnmarshalJSON(b []byte) error {
	var one *string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = nil
		if one != nil && strings.TrimSpace(*one) != "" {
			*s = fieldSet{strings.TrimSpace(*one)}
		}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*s = (*s)[:0]
	for _, m := range many {
		if m = strings.TrimSpace(m); m != "" {
			*s = append(*s, m)
		}
	}
	return nil
}

func (s *fieldSet) list() []string {
	if s == nil {
		return nil
	}
	return *s
}

// Read decides a row's outcome. A 2xx is ok only when it is the documented
// answer with nothing in not_updated_fields: a 207, or anything listed as not
// updated, is partial; a 2xx that is not that JSON object (a proxy's HTML
// page, an empty body) is failed, because nothing says the update happened,
// and a PUT is safe to send again.
func (Provider) Read(status int, _ http.Header, body []byte, _ providers.Options) providers.Answer {
	if status < 200 || status > 299 {
		// The document defers to "the common error conventions of the Payway
		// API": {"error": code, "error_description": text}, which
		// ErrorMessage reads as "code: text", with the other usual shapes.
		return providers.Answer{Outcome: providers.Failed, Message: providers.ErrorMessage(body)}
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return providers.Answer{Outcome: providers.Failed, Message: unreadable(status, body)}
	}
	if a.ID == nil && a.UpdatedFields == nil && a.NotUpdatedFields == nil {
		// Valid JSON but not the documented answer ({} or {"error": ...}).
		return providers.Answer{Outcome: providers.Failed, Message: unreadable(status, body)}
	}
	id := ""
	if a.ID != nil {
		id = *a.ID // "id of the updated account"
	}
	notUpdated := a.NotUpdatedFields.list()
	switch {
	case len(notUpdated) > 0 && len(a.UpdatedFields.list()) == 0:
		// Nothing in updated_fields: nothing was applied, whatever the
		// status says.
		return providers.Answer{Outcome: providers.Failed, Message: "not updated: " + strings.Join(notUpdated, "; ") + " (nothing was updated)", AccountID: id}
	case len(notUpdated) > 0:
		return providers.Answer{Outcome: providers.Partial, Message: "not updated: " + strings.Join(notUpdated, "; "), AccountID: id}
	case status == http.StatusMultiStatus:
		return providers.Answer{Outcome: providers.Partial, Message: "207 Multi-Status: some fields were not updated (the answer does not say which)", AccountID: id}
	}
	return providers.Answer{Outcome: providers.OK, AccountID: id}
}

func unreadable(status int, body []byte) string {
	msg := fmt.Sprintf("HTTP %d but the answer is not Payway's JSON, so the update is not confirmed", status)
	if m := providers.ErrorMessage(body); m != "" {
		msg += ": " + m
	}
	return msg
}
