// Package fairwarning is acctimport's provider for FairWarning Software's
// user update API: POST /v1.1.1/user/update with the headers public-key and
// private-key, as documented in seeds/002_83966382ae56319f.txt and the
// vendor's request-headers page.
//
// It promises that every documented user, address and mailing-list field is
// in the table with its documented type and requirement (user_pass as a
// SHA-1 digest, masked in every report; phone numbers as XXX-XXX-XXXX); that
// a payload is sent as JSON, or as XML when the mapping says
// `options: {format: xml}`, with a Content-Type that tells the server both
// the body's format and the answer's; that an answer is read in whichever of
// the two formats it arrives, for successes and for the documented error
// bodies alike, and counts as ok only when it is the documented user
// details; and that its Fake enforces the same document in both formats,
// including that an e-mail address, being a login, belongs to one user only.
package fairwarning

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

const (
	// PublicKeyEnv and PrivateKeyEnv hold the API keys, sent as the
	// headers public-key and private-key.
	PublicKeyEnv  = "FWS_PUBLIC_KEY"
	PrivateKeyEnv = "FWS_PRIVATE_KEY"
	// Path is the update method. The document's method table says GET, but
	// its request examples are bodies labelled POST: POST is sent.
	Path = "/v1.1.1/user/update"
	// BaseURL is the document's host.
	BaseURL = "https://api.fairwarningsoftware.com"

	// The header names, as the vendor writes them.
	publicKeyHeader  = "public-key"
	privateKeyHeader = "private-key"

	jsonType = "application/json"
	xmlType  = "application/xml"
)

// Formats a mapping may choose in `options: {format: ...}`.
const (
	FormatJSON = "json"
	FormatXML  = "xml"
)

// Provider is the FairWarning user API. It holds no state: options,
// credentials and base URL come with each call.
type Provider struct{}

var _ providers.Provider = Provider{}

// Info describes the API for the registry and `acctimport providers
// fairwarning`.
func (Provider) Info() providers.Info {
	return providers.Info{
		Name:     "fairwarning",
		Title:    "FairWarning Software: update a user (JSON or XML)",
		Document: `FairWarning Software's API documentation, the "update" method of users (v1.1.1/user/update), and its page on request headers`,
		BaseURL:  BaseURL,
		Method:   http.MethodPost,
		Path:     Path,
		Credentials: []providers.Credential{
			{Env: PublicKeyEnv, Description: "FairWarning public API key, sent as the header public-key", Check: checkKey},
			{Env: PrivateKeyEnv, Description: "FairWarning private API key, sent as the header private-key", Check: checkKey},
		},
		Key: "user_id",
	}
}

// checkKey catches a key pasted with its header name or with white space in
// it, which would otherwise show up only as a 401 on the first row.
func checkKey(v string) error {
	lower := strings.ToLower(v)
	if strings.HasPrefix(lower, publicKeyHeader+":") || strings.HasPrefix(lower, privateKeyHeader+":") {
		return errors.New("holds the header name; set it to the key alone")
	}
	return providers.OneWord(v, "a key")
}

// Table returns the documented fields, built once.
func (Provider) Table() *providers.Table { return table }

// Options are FairWarning's knobs in a mapping's `options:`.
type Options struct {
	// Format is the body's format: "json" (the default, also when empty) or
	// "xml".
	Format string `yaml:"format" values:"json|xml" doc:"json (the default) or xml: the format of the request body, and so of the answer; XML booleans are sent as 1 and 0"`
}

// Validate accepts json, xml or nothing, in any case.
func (o *Options) Validate() error {
	switch strings.ToLower(strings.TrimSpace(o.Format)) {
	case "", FormatJSON, FormatXML:
		return nil
	}
	return fmt.Errorf("format %q is not json or xml", o.Format)
}

// XML reports whether requests are sent as XML.
func (o *Options) XML() bool {
	return o != nil && strings.EqualFold(strings.TrimSpace(o.Format), FormatXML)
}

// NewOptions returns options with nothing set: JSON.
func (Provider) NewOptions() providers.Options { return &Options{} }

// Encode makes the POST request for one payload, as JSON or as XML (see
// xml.go for the XML form of addresses and mailing lists). maillists is
// sent as the document's {<list_safe_name>: 1, ...} however the mapping
// filled it (see lists).
func (Provider) Encode(payload map[string]any, opts providers.Options) (*providers.Request, error) {
	o, err := providers.OptionsAs[*Options]("fairwarning", opts)
	if err != nil {
		return nil, err
	}
	if payload, err = withLists(payload); err != nil {
		return nil, fmt.Errorf("fairwarning: %w", err)
	}
	req := &providers.Request{Method: http.MethodPost, Path: Path, ContentType: jsonType}
	if o.XML() {
		req.ContentType = xmlType
		req.Body, err = encodeXML(payload)
	} else {
		req.Body, err = providers.MarshalJSON(payload)
	}
	if err != nil {
		return nil, fmt.Errorf("fairwarning: encoding the payload: %w", err)
	}
	return req, nil
}

// withLists returns payload with maillists as the document has it, {name:
// 1}, and without it when no list is set; payload itself is not changed. A
// split column fills maillists as map[string]int64 of 1s; per-list paths
// (maillists.news) may fill it with 1 or 0, true or false, "1" or "0". A list
// set to 1 is sent; one set to 0 is left out, since the API only adds a user
// to the lists it is sent (a 0 could be read as adding too). Any other value
// is an error: the document allows 1 alone.
func withLists(payload map[string]any) (map[string]any, error) {
	values := map[string]any{}
	switch m := payload["maillists"].(type) {
	case map[string]int64:
		if !slices.ContainsFunc(slices.Collect(maps.Values(m)), func(n int64) bool { return n != 1 }) {
			return payload, nil
		}
		for k, v := range m {
			values[k] = v
		}
	case map[string]any:
		values = m
	default:
		return payload, nil // absent, or not a set of names: the table's rule reports that
	}
	lists := make(map[string]int64, len(values))
	for _, name := range slices.Sorted(maps.Keys(values)) {
		on, ok := listValue(values[name])
		if !ok {
			return nil, fmt.Errorf("maillists.%s is %v: a list is set with 1 (or true) and left out with 0 (or false); the document allows no other value", name, values[name])
		}
		if on {
			lists[name] = 1
		}
	}
	out := maps.Clone(payload)
	if len(lists) == 0 {
		delete(out, "maillists")
	} else {
		out["maillists"] = lists
	}
	return out, nil
}

// listValue reads one list's value: on, and whether it is one of 1/0.
func listValue(v any) (on, ok bool) {
	switch t := v.(type) {
	case int64:
		return t == 1, t == 0 || t == 1
	case int:
		return t == 1, t == 0 || t == 1
	case bool:
		return t, true
	case string:
		return t == "1", t == "0" || t == "1"
	}
	return false, false
}

// Authorize adds the two key headers; a missing key leaves its header out,
// which the API answers with 403 "API keys are missing.".
func (Provider) Authorize(r *http.Request, c providers.Credentials) {
	if k := c[PublicKeyEnv].Reveal(); k != "" {
		r.Header.Set(publicKeyHeader, k)
	}
	if k := c[PrivateKeyEnv].Reveal(); k != "" {
		r.Header.Set(privateKeyHeader, k)
	}
}

// Read decides a row's outcome. The answer's format is its Content-Type's
// (the server answers in the request's format), or, without a usable one,
// what the body looks like. A non-2xx carries {"error": ...} or
// <response><error>...</error></response>. A 2xx is ok when it is the
// documented user details; a 2xx with an error in it, or one that is not
// the documented answer at all (an empty body, a proxy's page), is failed:
// nothing says the user was updated, and the update is safe to send again.
func (Provider) Read(status int, header http.Header, body []byte, _ providers.Options) providers.Answer {
	a := readAnswer(header.Get("Content-Type"), body)
	if status < 200 || status > 299 {
		msg := a.err
		if msg == "" {
			msg = providers.ErrorMessage(body)
		}
		// FairWarning answers its validation and business errors with a
		// 500 and the documented {"error": ...}: a reason means the server
		// looked at the request and refused it, so retrying cannot help. A
		// 500 without one is an ordinary failure and is retried.
		permanent := status == http.StatusInternalServerError && a.err != ""
		// The documented 404, "API method (...) not found.", says the
		// method is not there: every row would fail the same way.
		fatal := status == http.StatusNotFound && strings.HasPrefix(a.err, "API method")
		return providers.Answer{Outcome: providers.Failed, Message: msg, Permanent: permanent, Fatal: fatal}
	}
	switch {
	case a.err != "":
		return providers.Answer{Outcome: providers.Failed, Message: a.err}
	case a.userID:
		return providers.Answer{Outcome: providers.OK}
	}
	return providers.Answer{Outcome: providers.Failed, Message: unconfirmed(status, body)}
}

// answer is what Read found in a body.
type answer struct {
	err    string // the answer's error message
	userID bool   // it holds the user details (a user_id)
}

func readAnswer(contentType string, body []byte) answer {
	asXML := false
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == xmlType || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		asXML = true
	case mt == jsonType || strings.HasSuffix(mt, "+json"):
	default:
		asXML = bytes.HasPrefix(bytes.TrimSpace(body), []byte("<"))
	}
	if asXML {
		root, err := parseXML(body)
		if err != nil || root.name != "response" {
			return answer{}
		}
		a := answer{userID: root.child("user_id") != nil}
		if e := root.child("error"); e != nil {
			a.err = clean(e.text)
			if a.err == "" {
				a.err = "the answer has an empty error"
			}
		}
		return a
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return answer{}
	}
	var a answer
	if raw, ok := obj["user_id"]; ok && string(raw) != "null" {
		a.userID = true
	}
	if raw, ok := obj["error"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		a.err = providers.ErrorMessage(raw)
		if s, ok := v.(string); ok {
			a.err = clean(s)
		}
		if a.err == "" {
			a.err = "the answer has an empty error"
		}
	}
	return a
}

// clean folds white space: XML answers are often indented.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func unconfirmed(status int, body []byte) string {
	msg := fmt.Sprintf("HTTP %d but the answer is not FairWarning's user details, so the update is not confirmed", status)
	if m := providers.ErrorMessage(body); m != "" {
		msg += ": " + m
	}
	return msg
}
