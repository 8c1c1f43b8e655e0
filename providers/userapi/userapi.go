// Package userapi is acctimport's provider for a user-profile API's "Update
// the User Profile" call: PUT /api/v1/user/{user_id}?api_key=KEY, as
// documented in seeds/003_4d1bd60a8eb28d71.txt.
//
// It promises that every field of the document's example body is in the
// table, in the document's order, with the formats the example shows checked
// before sending (e-mail, UUIDs, RFC 3339 date-times, booleans); that
// user_id names the user in the path and never travels in the body; that the
// key travels only in the api_key query parameter, which the shared Exchange
// scrubs from every error; that an answer counts as ok only when it is a 2xx
// whose data holds the updated user, as the document's answer does; and that
// its Fake enforces the same document, including that no two users share an
// e-mail address.
//
// The document names no production host, only the placeholder
// https://api.example.com (ExampleURL): the provider has no default base URL,
// so a run must be told the real one (a mapping's base_url or --base-url)
// and can never send a real key to the placeholder.
package userapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

const (
	// KeyEnv is the environment variable that holds the API key.
	KeyEnv = "USERAPI_KEY"
	// KeyPrefix starts every key: the document's "Format: starts with in-".
	KeyPrefix = "in-"
	// KeyParam is the query parameter that carries the key.
	KeyParam = "api_key"
	// PathPrefix is the endpoint's path up to the user id.
	PathPrefix = "/api/v1/user/"
	// ExampleURL is the document's placeholder host. It is not a default:
	// the provider has none (Info().BaseURL is "").
	ExampleURL = "https://api.example.com"
	// KeyField is the field that fills the path and identifies a user.
	KeyField = "user_id"
)

// Provider is the user-profile API. It holds no state: options, credentials
// and base URL come with each call.
type Provider struct{}

var _ providers.Provider = Provider{}

// Info describes the API for the registry and `acctimport providers userapi`.
func (Provider) Info() providers.Info {
	return providers.Info{
		Name:     "userapi",
		Title:    "User profile API: update a user (the document names no host: set base_url to yours)",
		Document: `the API's reference page "Update the User Profile" (its curl example's host, ` + ExampleURL + `, is a placeholder)`,
		Method:   http.MethodPut,
		Path:     PathPrefix + "{user_id}",
		Credentials: []providers.Credential{{
			Env:         KeyEnv,
			Description: "API key from the Settings page (starts with in-), sent as the api_key query parameter",
			Check:       checkKey,
			Sample:      KeyPrefix,
		}},
		Key:            KeyField,
		AnswerNamesKey: true,
	}
}

// checkKey refuses a value that cannot be a key, so the mistake surfaces
// before the first request rather than as a 401 on it. The message never
// repeats the value: it is a secret even when it is the wrong one.
func checkKey(v string) error {
	if !strings.HasPrefix(v, KeyPrefix) {
		return fmt.Errorf("is not a userapi key: keys start with %q (generate one on the Settings page)", KeyPrefix)
	}
	return nil
}

// Table returns the documented fields. It is built once, at package
// initialisation, so its regexes are compiled once.
func (Provider) Table() *providers.Table { return table }

// Options are the provider's knobs in a mapping's `options:`. The API has
// none; the empty struct makes any option an error when it is decoded.
type Options = providers.NoOptions

// NewOptions returns the empty options.
func (Provider) NewOptions() providers.Options { return &Options{} }

// Encode makes the PUT request for one payload: user_id goes into the path,
// every other field into the JSON body. The payload is copied, never changed.
//
// Request.Path is a decoded path: the shared Exchange sets it as the URL's
// Path and escapes it when the URL is written, so a user id "a b" is sent as
// /api/v1/user/a%20b. Escaping here as well would send a%2520b. The table's
// rule has already refused what escaping cannot make one segment ("/", "..").
func (Provider) Encode(payload map[string]any, opts providers.Options) (*providers.Request, error) {
	if _, err := providers.OptionsAs[*Options]("userapi", opts); err != nil {
		return nil, err
	}
	raw, ok := payload[KeyField]
	if !ok {
		return nil, errors.New("userapi: user_id is required: it names the user in the path")
	}
	id, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf("userapi: user_id is a %T, want a string", raw)
	}
	keyField, _ := table.Lookup(KeyField)
	if err := keyField.Check(id); err != nil {
		return nil, fmt.Errorf("userapi: user_id %q %v", id, err)
	}
	body := make(map[string]any, len(payload))
	for k, v := range payload {
		if k != KeyField {
			body[k] = v
		}
	}
	b, err := providers.MarshalJSON(body)
	if err != nil {
		return nil, fmt.Errorf("userapi: encoding the payload: %w", err)
	}
	return &providers.Request{
		Method:      http.MethodPut,
		Path:        PathPrefix + id,
		ContentType: "application/json",
		Body:        b,
	}, nil
}

// Authorize adds the key as the api_key query parameter, as the document's
// curl example does, keeping any other query parameter.
func (Provider) Authorize(r *http.Request, c providers.Credentials) {
	key := c[KeyEnv].Reveal()
	if key == "" {
		return
	}
	q := r.URL.Query()
	q.Set(KeyParam, key)
	r.URL.RawQuery = q.Encode()
}

// Read decides a row's outcome. A 2xx is ok only when it is the document's
// answer, {"message": "Data updated successfully", "meta": {}, "data":
// {...}}, with the updated user in data. A 2xx without it is failed: a
// bare message ({"message": "User not found"}) says what went wrong, and
// anything else (a proxy's page, an empty body) says nothing; either way
// nothing says the update happened, and a PUT is safe to send again.
func (Provider) Read(status int, _ http.Header, body []byte, _ providers.Options) providers.Answer {
	if status < 200 || status > 299 {
		return providers.Answer{Outcome: providers.Failed, Message: errorMessage(body)}
	}
	var a map[string]json.RawMessage
	if err := json.Unmarshal(body, &a); err != nil || a == nil {
		return providers.Answer{Outcome: providers.Failed, Message: unconfirmed(status, body)}
	}
	var data map[string]any
	if _, hasDetail := a["detail"]; !hasDetail && json.Unmarshal(a["data"], &data) == nil && len(data) > 0 {
		id, _ := data["id"].(string) // the updated user's
		return providers.Answer{Outcome: providers.OK, AccountID: id}
	}
	var msg string
	if json.Unmarshal(a["message"], &msg) == nil && strings.TrimSpace(msg) != "" {
		return providers.Answer{Outcome: providers.Failed, Message: fmt.Sprintf("HTTP %d without the updated user (data), so the update is not confirmed: %s", status, strings.TrimSpace(msg))}
	}
	return providers.Answer{Outcome: providers.Failed, Message: unconfirmed(status, body)}
}

func unconfirmed(status int, body []byte) string {
	msg := fmt.Sprintf("HTTP %d but the answer is not the API's JSON with the updated user, so the update is not confirmed", status)
	if m := errorMessage(body); m != "" {
		msg += ": " + m
	}
	return msg
}

// errorMessage reads an error answer. The document shows no error shape;
// the API's family answers as FastAPI does, so this reads FastAPI's two
// forms, {"detail": "text"} and the 422 validation list {"detail": [{"loc":
// ["body", "email"], "msg": "...", "type": "..."}]}, the latter as "email:
// msg; role_id: msg". That is an interpretation; any other body falls back
// to the shapes APIs commonly use, then to the body's text.
func errorMessage(body []byte) string {
	var e struct {
		Detail any `json:"detail"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch d := e.Detail.(type) {
		case string:
			if s := strings.TrimSpace(d); s != "" {
				return s
			}
		case []any:
			if s := validationList(d); s != "" {
				return s
			}
		}
	}
	return providers.ErrorMessage(body)
}

// validationList turns FastAPI's validation errors into "loc: msg" parts.
func validationList(items []any) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		msg, _ := m["msg"].(string)
		if msg = strings.TrimSpace(msg); msg == "" {
			continue
		}
		if where := location(m["loc"]); where != "" {
			msg = where + ": " + msg
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
}

// location writes a FastAPI loc, ["body", "tags", 0], as "tags[0]": the
// first element only says which part of the request it is, and a field name
// is what a user can find in the mapping. A loc that is only the part
// ("body") is kept, since the whole body is then what is wrong.
func location(v any) string {
	loc, ok := v.([]any)
	if !ok || len(loc) == 0 {
		return ""
	}
	if s, ok := loc[0].(string); ok && len(loc) > 1 {
		switch s {
		case "body", "path", "query", "header", "cookie":
			loc = loc[1:]
		}
	}
	var b strings.Builder
	for _, p := range loc {
		switch t := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(t)
		case float64:
			fmt.Fprintf(&b, "[%d]", int64(t))
		}
	}
	return b.String()
}
