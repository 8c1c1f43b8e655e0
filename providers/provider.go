package providers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
)

// Provider is one account API. Implementations are stateless values; the
// options, credentials and base URL of a run are passed in.
type Provider interface {
	Info() Info
	Table() *Table
	// NewOptions returns a fresh value for the mapping's `options:` to be
	// decoded into (strictly, by its yaml tags) and then validated.
	NewOptions() Options
	// Encode turns one payload (as the mapping built it: map[string]any with
	// string, int64, bool, []string, []byte (File), map[string]int64
	// (NameSet), map[string]any and []any values) into the request for it.
	// It must not keep or change payload.
	Encode(payload map[string]any, opts Options) (*Request, error)
	// Authorize puts the credentials on a request.
	Authorize(r *http.Request, c Credentials)
	// Read interprets an answer. For a non-2xx status only Message,
	// Permanent and Fatal are used. Message is the server's whole message
	// (the body is at most MaxAnswer bytes): the exchange scrubs secrets
	// from it, makes it printable and clips it, in that order.
	Read(status int, header http.Header, body []byte, opts Options) Answer
	// NewFake returns a fake of the API that enforces its document and
	// accepts only c.
	NewFake(c Credentials) Fake
}

// Info is what a provider says about itself.
type Info struct {
	Name  string // the mapping's `provider:`
	Title string // one line for `acctimport providers`
	// Document says where the API's documentation lives, in words a user
	// can follow: the vendor's page, with its URL where one is known.
	Document string
	// BaseURL is the production base URL; "" when the documentation names
	// none (a mapping's base_url or --base-url must then give it).
	BaseURL     string
	Method      string // for display: "PUT"
	Path        string // for display: "/external/api/v2/accounts"
	Credentials []Credential
	// Key is the path of the field that identifies an account: rows with the
	// same key are never in flight together.
	Key string
	// AnswerNamesKey says that an answer's AccountID names the account by
	// the same key the row sent (Payway's id, userapi's data.id): one that
	// names another account means the server changed another account than
	// the row asked for.
	AnswerNamesKey bool
}

// Options are a provider's knobs from the mapping's `options:`.
type Options interface {
	Validate() error
}

// Request is what a provider makes of one payload; the exchange adds the
// base URL and the credentials.
type Request struct {
	Method      string
	Path        string     // joined to the base URL's path
	Query       url.Values // without credentials
	ContentType string
	Body        []byte
	// Secrets are this row's secret values (a password, as typed and as
	// hashed): scrubbed from the answer's message like the credentials.
	Secrets []string
}

// Outcome is how a row ended on the server.
type Outcome int

const (
	OK      Outcome = iota // everything was applied
	Partial                // some fields were applied, some not (Message lists them)
	Failed                 // nothing was applied
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Partial:
		return "partial"
	}
	return "failed"
}

// Answer is a provider's reading of one response.
type Answer struct {
	Outcome Outcome
	Message string
	// Permanent marks a 5xx answer that no retry can change: an API that
	// reports its validation errors as 500 with a reason, as FairWarning
	// documents. Retrying it would only spend the rate limit.
	Permanent bool
	// Fatal marks an answer that no row can get past (a 404 "API method not
	// found": the base URL is wrong): the run stops, as on 401 or 403.
	Fatal bool
	// Account names the account the server says it changed, when its answer
	// says, for people: "12345 (jdoe)", shown in the report.
	Account string
	// AccountID is the same account's identity as the server gives it (an
	// account number), "" when the answer names none. It is what a run
	// compares to see two account keys landing on one account: two answers
	// name one account exactly when their AccountIDs are equal and not
	// empty. Account is for reading; its other parts (a username) may be
	// missing from one answer and present in another.
	AccountID string
}

// Fake is an in-process stand-in for a provider's API.
type Fake interface {
	http.Handler
	// Applied lists every request the fake accepted and applied, in order.
	Applied() []Applied
}

// ErrorWriter is implemented by fakes that can answer a fault injected by the
// sandbox (a 429, a 503) in their API's own error shape, so that the client
// reads it as it would read the real thing.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, r *http.Request, status int, msg string)
}

// Applied is one request a fake accepted.
type Applied struct {
	Key  string // the account key
	Body []byte // the request body as received
}

// MarshalJSON is json.Marshal without HTML escaping: "Smith & Sons" stays
// readable in the --payloads column, and the JSON means the same. Payloads
// take a fast path that writes the same bytes without reflection.
func MarshalJSON(v any) ([]byte, error) {
	if b, ok := appendJSON(make([]byte, 0, 512), v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// NoOptions are the options of an API without knobs: any option in a
// mapping is an error when it is decoded.
type NoOptions struct{}

// Validate accepts the only value there is.
func (*NoOptions) Validate() error { return nil }
