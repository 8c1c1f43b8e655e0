package finerworks

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fakeapi"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
// It must hold the largest request the client can make: two files of
// providers.MaxFileSize, each a third larger in base64, and the rest.
const MaxBody = 16 << 20

// ForeignPrefix starts an account_key that the fake's app key may not use:
// another customer's account. As the document says of such a key, it "will
// not be utilized": the update lands on the app key's own account, and the
// answer is a success whose user_account is that own account. A sandbox run
// plays it with a row whose key starts so ("foreign-1001"); Deny adds keys.
const ForeignPrefix = "foreign-"

// usZIP is a US ZIP code, five digits or ZIP+4.
var usZIP = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)

// Fake is an in-memory FinerWorks update-user API on the shared engine
// (providers/fakeapi), which enforces PUT on /v3/update_user, both
// web_api_key and app_key headers (a missing or wrong one is a 401 in the
// document's answer shape, status.success false), a JSON body
// (application/json or text/json, the two the document lists) that is an
// object with only the documented fields, each of its documented JSON type
// (logo_data and portrait_data base64 bytes), and every rule of the
// provider's own table, so that client and fake read the document the same
// way. The routing errors are ASP.NET's own {"Message": ...}, as the API's
// framework answers them.
//
// Null is accepted for every field and changes nothing: the document says
// so of billing_info, business_info, logo_data and portrait_data, and its
// example answer shows null address members.
//
// Its business rules are the two the document warns about. A billing
// address in the US whose zip code is not a US ZIP cannot match a credit
// card's billing address: the answer is HTTP 200 with status.success false,
// as FinerWorks reports failures, and nothing is applied. And an
// account_key the app key may not use (see ForeignPrefix and Deny) "will
// not be utilized": the update goes to the app key's own account, and the
// answer, a success, names that account in user_account.
//
// Every other account_key names an account, created on first use, because
// a sandbox cannot know the accounts of the file it is fed. A request
// without account_key (or with an empty one) updates the app key's own
// account, as the document says; Applied records its Key as "".
//
// A Fake is safe for concurrent use.
type Fake struct {
	*fakeapi.Server
	webKey, appKey string
	accounts       *fakeapi.Accounts // an account's Seq is its account_id

	mu     sync.Mutex
	denied map[string]bool
}

// NewFake returns a fake that accepts only the keys in c (none, if c lacks
// either: then every request is 401).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests.
func NewFake(c providers.Credentials) *Fake {
	f := &Fake{
		webKey:   c[WebAPIKeyEnv].Reveal(),
		appKey:   c[AppKeyEnv].Reveal(),
		accounts: fakeapi.NewAccounts(),
		denied:   make(map[string]bool),
	}
	f.Server = fakeapi.New(fakeapi.Spec{
		Method:     http.MethodPut,
		Path:       Path,
		MediaTypes: []string{"application/json", "text/json"},
		MaxBody:    MaxBody,
		Authorize:  f.checkAuth,
		Refuse:     refuse,
		Handle:     f.handle,
	})
	return f
}

// Deny makes account keys ones the app key may not use, beside those that
// start with ForeignPrefix.
func (f *Fake) Deny(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		f.denied[k] = true
	}
}

// checkAuth refuses a request without both keys. The message never repeats
// what the client sent.
func (f *Fake) checkAuth(r *http.Request) (int, string) {
	web, app := r.Header.Get(webAPIKeyHeader), r.Header.Get(appKeyHeader)
	var missing []string
	if web == "" {
		missing = append(missing, webAPIKeyHeader)
	}
	if app == "" {
		missing = append(missing, appKeyHeader)
	}
	switch {
	case len(missing) > 0:
		return http.StatusUnauthorized, "Unauthorized: missing header " + strings.Join(missing, " and ")
	case f.webKey == "" || f.appKey == "" ||
		subtle.ConstantTimeCompare([]byte(web), []byte(f.webKey)) != 1 ||
		subtle.ConstantTimeCompare([]byte(app), []byte(f.appKey)) != 1:
		return http.StatusUnauthorized, "Unauthorized: invalid web_api_key or app_key"
	}
	return 0, ""
}

// refuse answers as the API's layers do: ASP.NET's routing and media type
// errors in its {"Message": ...}, the API's own in the document's shape.
func refuse(w http.ResponseWriter, r *http.Request, why fakeapi.Refusal) {
	switch why.Kind {
	case fakeapi.NotFound:
		writeASPNET(w, why.Status, fmt.Sprintf("No HTTP resource was found that matches the request URI '%s'.", r.URL.Path))
	case fakeapi.MethodNotAllowed:
		writeASPNET(w, why.Status, fmt.Sprintf("The requested resource does not support http method '%s'.", why.Detail))
	case fakeapi.UnsupportedMediaType:
		writeASPNET(w, why.Status, fmt.Sprintf("The request entity's media type '%s' is not supported for this resource: send application/json or text/json.", why.Detail))
	case fakeapi.TooLarge:
		writeFailure(w, why.Status, "The request body exceeds "+why.Detail+" bytes")
	case fakeapi.Malformed:
		writeFailure(w, why.Status, "malformed JSON: "+why.Detail)
	default:
		writeFailure(w, why.Status, why.Detail)
	}
}

// handle applies FinerWorks' rules to a body the engine has decoded: the
// table's checks, every problem at once, then the business rules.
func (f *Fake) handle(w http.ResponseWriter, c *fakeapi.Call) {
	fields, problems := fakeapi.Check(table, c.Object, fakeapi.CheckOptions{
		NullIsNoChange: true,
		// The server does not require account_key: without it, the update
		// goes to the app key's own account.
		Required: func(*providers.Field) bool { return false },
		TypeMessage: func(fd *providers.Field) string {
			if fd.Type == providers.File {
				return "must be a base64 string of the image's bytes"
			}
			return ""
		},
	})
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.String()
		}
		writeFailure(w, http.StatusBadRequest, "The request is invalid: "+strings.Join(msgs, "; "))
		return
	}
	key, _ := fields["account_key"].(string)
	delete(fields, "account_key")
	if msg := zipMismatch(fields); msg != "" {
		// FinerWorks' way: an HTTP 200 whose status says it failed.
		writeFailure(w, http.StatusOK, msg)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":       statusObject(true, http.StatusOK, ""),
		"user_account": f.apply(c, key, fields),
	})
}

// zipMismatch applies the business rule: a US billing address needs a US
// ZIP code. It returns the failure's message, or "".
func zipMismatch(fields map[string]any) string {
	billing, _ := fields["billing_info"].(map[string]any)
	country, _ := billing["country_code"].(string)
	if !strings.EqualFold(strings.TrimSpace(country), "us") {
		return ""
	}
	zip, _ := billing["zip_postal_code"].(string)
	if usZIP.MatchString(zip) {
		return ""
	}
	if zip == "" {
		zip = "(none)"
	}
	return fmt.Sprintf("Billing zip code %s does not match country US; it must match the credit card's billing address", zip)
}

// apply stores the update and returns the account as the answer shows it.
// A key the app key may not use is not utilized: the own account ("") is
// updated instead. An address sent replaces the one on file ("the address
// you want to keep on file"); every other field replaces its value.
func (f *Fake) apply(c *fakeapi.Call, key string, fields map[string]any) (user map[string]any) {
	f.mu.Lock()
	if strings.HasPrefix(key, ForeignPrefix) || f.denied[key] {
		key = ""
	}
	f.mu.Unlock()
	_ = f.accounts.Update(key, func(acc *fakeapi.Account) error {
		for k, v := range fields {
			acc.Set(k, v)
		}
		c.Record(key)
		user = userAccount(key, acc)
		return nil
	})
	return user
}

// Account returns a copy of the fields the fake applied to an account
// ("" is the app key's own account).
func (f *Fake) Account(key string) (map[string]any, bool) { return f.accounts.Get(key) }

// OwnUsername is the username of the app key's own account in the fake's
// answers.
const OwnUsername = "app_key_owner"

// userAccount is the document's user_account.
func userAccount(key string, acc *fakeapi.Account) map[string]any {
	username := key
	if username == "" {
		username = OwnUsername
	}
	field := func(name string) any { v, _ := acc.Field(name); return v }
	billing := addressOut(field("billing_info"))
	var email any
	if billing != nil {
		email = billing["email"]
	}
	return map[string]any{
		"account_id":           acc.Seq,
		"account_username":     username,
		"account_email":        email,
		"billing_info":         billing,
		"business_info":        addressOut(field("business_info")),
		"logo_url":             field("logo_url"),
		"payment_profile_id":   field("payment_profile_id"),
		"user_account_credits": 0.0,
	}
}

// addressOut writes an address with every member, null where unknown, as
// the document's example answer does; nil for no address on file.
func addressOut(v any) map[string]any {
	addr, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]any, len(memberNames))
	for _, m := range memberNames {
		out[m.name] = addr[m.name]
	}
	return out
}

func statusObject(success bool, code int, msg string) map[string]any {
	return map[string]any{"success": success, "status_code": code, "message": msg, "debug": nil}
}

// writeFailure answers in the document's shape with status.success false
// and a status_code equal to the HTTP status.
func writeFailure(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"status": statusObject(false, code, msg), "user_account": nil})
}

// writeASPNET answers as ASP.NET Web API does when no action is reached.
func writeASPNET(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"Message": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	fakeapi.WriteJSON(w, code, "application/json; charset=utf-8", v)
}
