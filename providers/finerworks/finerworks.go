// Package finerworks is acctimport's provider for the FinerWorks "Update User
// Profile" API: PUT /v3/update_user with the headers web_api_key and app_key,
// as documented in seeds/000_7e852f32ba466839.txt.
//
// It promises that every field of the document's body is in the table
// (logo_url too, which only the example body shows), with account_key
// required, so that no row leaves it out and updates the app key's own
// account on purpose; that logo_data and portrait_data are JPEG files sent
// as base64 in the JSON, exactly as the document's "QEA=" shows; that an
// answer is ok only when it is a 2xx AND the document's status.success is
// true, because FinerWorks reports failures in an HTTP 200 too; that every
// answer's user_account (account_id, account_username) is read into
// Answer.Account and Answer.AccountID, because requiring account_key does
// not prevent what the document warns of: a key the app key may not use
// "will not be utilized", and the update lands on the app key's own account
// with a success; only the account the answer names shows it. Its Fake
// enforces the same document, including a billing address whose zip code
// must match its country, and plays that unused key (ForeignPrefix).
package finerworks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/acctimport/acctimport/providers"
)

const (
	// WebAPIKeyEnv holds the value of the web_api_key header.
	WebAPIKeyEnv = "FINERWORKS_WEB_API_KEY"
	// AppKeyEnv holds the value of the app_key header.
	AppKeyEnv = "FINERWORKS_APP_KEY"
	// BaseURL is the document's production host.
	BaseURL = "https://api.finerworks.com"
	// Path is the endpoint.
	Path = "/v3/update_user"

	// The header names exactly as the document's examples spell them.
	webAPIKeyHeader = "web_api_key"
	appKeyHeader    = "app_key"
)

// Provider is the FinerWorks update-user API. It holds no state: options,
// credentials and base URL come with each call.
type Provider struct{}

var _ providers.Provider = Provider{}

// Info describes the API for the registry and `acctimport providers finerworks`.
func (Provider) Info() providers.Info {
	return providers.Info{
		Name:     "finerworks",
		Title:    "FinerWorks: update a user's profile (billing and business address, logo, portrait)",
		Document: `FinerWorks' API documentation, "Update User Profile" (PUT https://api.finerworks.com/v3/update_user)`,
		BaseURL:  BaseURL,
		Method:   http.MethodPut,
		Path:     Path,
		Credentials: []providers.Credential{
			{
				Env:         WebAPIKeyEnv,
				Description: "FinerWorks web API key, sent as the web_api_key header",
				Check:       checkKey("my-web-api-key-goes-here"),
				Sample:      "fw-web-",
			},
			{
				Env:         AppKeyEnv,
				Description: "FinerWorks app key, sent as the app_key header; updating other accounts than its own needs an app key with that permission",
				Check:       checkKey("my-app-key-goes-here"),
				Sample:      "fw-app-",
			},
		},
		Key: "account_key",
	}
}

// checkKey catches what would otherwise surface only as a 401 on the first
// row, or as a header that cannot be sent: the document's placeholder copied
// as it is, and white space inside a key.
func checkKey(placeholder string) func(string) error {
	return func(v string) error {
		if strings.EqualFold(v, placeholder) {
			return fmt.Errorf("is the document's placeholder %q; set it to your own key", placeholder)
		}
		return providers.OneWord(v, "a key")
	}
}

// Table returns the documented fields. It is built once, at package
// initialisation, so its regexes are compiled once.
func (Provider) Table() *providers.Table { return table }

// Options are FinerWorks' knobs in a mapping's `options:`: the API has none,
// so a mapping's options must be empty.
type Options = providers.NoOptions

// NewOptions returns the empty options.
func (Provider) NewOptions() providers.Options { return &Options{} }

// Encode makes the PUT request for one payload: the payload as a JSON
// object. File fields arrive as []byte, which encoding/json writes as base64,
// the document's "QEA=".
func (Provider) Encode(payload map[string]any, opts providers.Options) (*providers.Request, error) {
	if _, err := providers.OptionsAs[*Options]("finerworks", opts); err != nil {
		return nil, err
	}
	b, err := providers.MarshalJSON(payload)
	if err != nil {
		return nil, fmt.Errorf("finerworks: encoding the payload: %w", err)
	}
	return &providers.Request{
		Method:      http.MethodPut,
		Path:        Path,
		ContentType: "application/json",
		Body:        b,
	}, nil
}

// Authorize adds both keys. The header names are set as the document spells
// them, in lower case with underscores (http.Header.Set would send
// "Web_api_key"); header names are case-insensitive, but there is no reason
// to differ from the document.
func (Provider) Authorize(r *http.Request, c providers.Credentials) {
	if v := c[WebAPIKeyEnv].Reveal(); v != "" {
		r.Header[webAPIKeyHeader] = []string{v}
	}
	if v := c[AppKeyEnv].Reveal(); v != "" {
		r.Header[appKeyHeader] = []string{v}
	}
}

// answer is the document's response. status decides the outcome;
// user_account names the account that was changed.
type answer struct {
	Status      *answerStatus  `json:"status"`
	UserAccount *userAccountID `json:"user_account"`
}

// userAccountID is the part of the document's user_account that says which
// account it is. account_id is kept as it was written (a number in the
// document, a string from some servers); it is the identity compared.
type userAccountID struct {
	ID       json.RawMessage `json:"account_id"`
	Username *string         `json:"account_username"`
}

// account returns the account for people ("12345 (jdoe)") and its identity
// for comparing ("12345"); "" and "" when the answer names none.
func (u *userAccountID) account() (shown, id string) {
	if u == nil {
		return "", ""
	}
	var n json.Number
	var s string
	switch {
	case json.Unmarshal(u.ID, &n) == nil && n != "":
		id = n.String()
	case json.Unmarshal(u.ID, &s) == nil:
		id = strings.TrimSpace(s)
	}
	name := ""
	if u.Username != nil {
		name = strings.TrimSpace(*u.Username)
	}
	switch {
	case id != "" && name != "":
		return id + " (" + name + ")", id
	case id != "":
		return id, id
	case name != "":
		// No account_id: the username is the only identity there is.
		return name, "username " + name
	}
	return "", ""
}

// answerStatus is the document's response_status. status_code and debug are
// kept loosely typed: they only ever feed a message.
type answerStatus struct {
	Success    *bool  `json:"success"`
	StatusCode any    `json:"status_code"`
	Message    string `json:"message"`
}

// Read decides a row's outcome. A 2xx is ok only when it is the documented
// answer with status.success true: FinerWorks answers some failures with an
// HTTP 200 and status.success false, and its status.message is the row's
// message. A 2xx that is not that JSON (a proxy's page, an empty body) is
// failed, because nothing says the update happened, and a PUT is safe to
// send again. A non-2xx's message is status.message when there is one, else
// ASP.NET's {"Message": ...} (its routing and framework errors), else the
// body as text. Every answer that names its user_account gives the
// Answer's Account and AccountID.
func (Provider) Read(status int, _ http.Header, body []byte, _ providers.Options) providers.Answer {
	var a answer
	jsonErr := json.Unmarshal(body, &a)
	if jsonErr != nil {
		// A user_account of an unexpected shape must not hide the status.
		var bare struct {
			Status *answerStatus `json:"status"`
		}
		if json.Unmarshal(body, &bare) == nil {
			a, jsonErr = answer{Status: bare.Status}, nil
		}
	}
	if status < 200 || status > 299 {
		if jsonErr == nil && a.Status != nil && strings.TrimSpace(a.Status.Message) != "" {
			return providers.Answer{Outcome: providers.Failed, Message: strings.TrimSpace(a.Status.Message)}
		}
		return providers.Answer{Outcome: providers.Failed, Message: providers.ErrorMessage(body)}
	}
	if jsonErr != nil || a.Status == nil || a.Status.Success == nil {
		return providers.Answer{Outcome: providers.Failed, Message: unreadable(status, body)}
	}
	if !*a.Status.Success {
		msg := strings.TrimSpace(a.Status.Message)
		if msg == "" {
			msg = "status.success is false and status.message is empty"
			if a.Status.StatusCode != nil {
				msg += fmt.Sprintf(" (status_code %v)", a.Status.StatusCode)
			}
		}
		return providers.Answer{Outcome: providers.Failed, Message: msg}
	}
	shown, id := a.UserAccount.account()
	return providers.Answer{Outcome: providers.OK, Account: shown, AccountID: id}
}

func unreadable(status int, body []byte) string {
	msg := fmt.Sprintf("unreadable answer: HTTP %d but not FinerWorks' JSON with status.success, so the update is not confirmed", status)
	if m := providers.ErrorMessage(body); m != "" {
		msg += ": " + m
	}
	return msg
}
