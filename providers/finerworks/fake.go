package finerworks

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/acctimport/acctimport/providers"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
// It must hold the largest request the client can make: two files of
// providers.MaxFileSize, each a third larger in base64, and the rest.
const MaxBody = 16 << 20

// usZIP is a US ZIP code, five digits or ZIP+4.
var usZIP = regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`)

// Fake is an in-memory FinerWorks update-user API. It enforces the document:
// PUT on /v3/update_user, both web_api_key and app_key headers (a missing or
// wrong one is a 401 in the document's answer shape, status.success false),
// a JSON body (application/json or text/json, the two the document lists)
// that is an object with only the documented fields, each of its documented
// JSON type, and every rule of the provider's own table, so that client and
// fake read the document the same way. logo_data and portrait_data must be
// base64 that decodes to a JPEG.
//
// Null is accepted for every field and changes nothing: the document says so
// of billing_info, business_info, logo_data and portrait_data, and its
// example answer shows null address members.
//
// Its business rule is the one the document warns about: a billing address
// in the US whose zip code is not a US ZIP cannot match a credit card's
// billing address; such a request is answered HTTP 200 with status.success
// false, as FinerWorks reports failures, and nothing is applied.
//
// Its app key may update any account: every account_key names an account,
// created on first use, because a sandbox cannot know the accounts of the
// file it is fed. A request without account_key (or with an empty one)
// updates the app key's own account, as the document says; Applied records
// its Key as "".
//
// A Fake is safe for concurrent use.
type Fake struct {
	webKey, appKey string

	mu       sync.Mutex
	accounts map[string]*account
	applied  []providers.Applied
	queued   []Fault
}

var (
	_ providers.Fake        = (*Fake)(nil)
	_ providers.ErrorWriter = (*Fake)(nil)
)

// account is what the fake keeps of one account: the fields it applied, as
// Go values (strings; map[string]any for an address, whose members are
// strings or nil; []byte for an image).
type account struct {
	id     int64
	fields map[string]any
}

// NewFake returns a fake that accepts only the keys in c (none, if c lacks
// either: then every request is 401).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests.
func NewFake(c providers.Credentials) *Fake {
	return &Fake{
		webKey:   c[WebAPIKeyEnv].Reveal(),
		appKey:   c[AppKeyEnv].Reveal(),
		accounts: make(map[string]*account),
	}
}

// Fault is an answer the fake gives before looking at a request, as a
// gateway in front of the API would.
type Fault struct {
	Status     int
	RetryAfter string // sent as the Retry-After header when not empty
}

// FailNext answers the next n requests with status (and Retry-After, if not
// empty) in the API's error shape; nothing is applied.
func (f *Fake) FailNext(n, status int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queued = append(f.queued, Fault{Status: status, RetryAfter: retryAfter})
	}
}

// Applied lists every request that was applied, in order.
func (f *Fake) Applied() []providers.Applied {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.applied)
}

// Account returns a copy of the fields the fake applied to an account
// ("" is the app key's own account).
func (f *Fake) Account(key string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc, ok := f.accounts[key]
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(acc.fields))
	for k, v := range acc.fields {
		switch t := v.(type) {
		case map[string]any:
			out[k] = maps.Clone(t)
		case []byte:
			out[k] = slices.Clone(t)
		default:
			out[k] = v
		}
	}
	return out, true
}

// WriteError answers r in the document's answer shape with status.success
// false; the sandbox uses it for the faults it injects.
func (f *Fake) WriteError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	writeFailure(w, status, msg)
}

func (f *Fake) nextFault() (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queued) == 0 {
		return Fault{}, false
	}
	ft := f.queued[0]
	f.queued = f.queued[1:]
	return ft, true
}

// ServeHTTP checks a request in the order a real server's layers would:
// routing, authentication, then the body, then the business rule.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ft, ok := f.nextFault(); ok {
		if ft.RetryAfter != "" {
			w.Header().Set("Retry-After", ft.RetryAfter)
		}
		writeFailure(w, ft.Status, "injected fault: "+http.StatusText(ft.Status))
		return
	}
	if r.URL.Path != Path {
		writeFailure(w, http.StatusNotFound, "No HTTP resource was found that matches the request URI "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		writeFailure(w, http.StatusMethodNotAllowed, "The requested resource does not support http method '"+r.Method+"'; use PUT")
		return
	}
	if msg := f.checkAuth(r.Header); msg != "" {
		writeFailure(w, http.StatusUnauthorized, msg)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && mt != "text/json") {
		writeFailure(w, http.StatusUnsupportedMediaType, "The request body must be application/json or text/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeFailure(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body exceeds %d bytes", MaxBody))
			return
		}
		writeFailure(w, http.StatusBadRequest, "The request body could not be read")
		return
	}
	u, err := parseUpdate(body)
	if err != nil {
		writeFailure(w, http.StatusBadRequest, err.Error())
		return
	}
	if msg := zipMismatch(u.fields); msg != "" {
		// FinerWorks' way: an HTTP 200 whose status says it failed.
		writeFailure(w, http.StatusOK, msg)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":       statusObject(true, http.StatusOK, ""),
		"user_account": f.apply(u, body),
	})
}

// checkAuth returns why the headers are refused, or "". The message never
// repeats what the client sent.
func (f *Fake) checkAuth(h http.Header) string {
	web, app := h.Get(webAPIKeyHeader), h.Get(appKeyHeader)
	var missing []string
	if web == "" {
		missing = append(missing, webAPIKeyHeader)
	}
	if app == "" {
		missing = append(missing, appKeyHeader)
	}
	switch {
	case len(missing) > 0:
		return "Unauthorized: missing header " + strings.Join(missing, " and ")
	case f.webKey == "" || f.appKey == "" ||
		subtle.ConstantTimeCompare([]byte(web), []byte(f.webKey)) != 1 ||
		subtle.ConstantTimeCompare([]byte(app), []byte(f.appKey)) != 1:
		return "Unauthorized: invalid web_api_key or app_key"
	}
	return ""
}

// change is a body that passed every check: the account it names and the
// fields to apply, converted to the table's Go types (null fields left out).
type change struct {
	key    string
	fields map[string]any
}

// parseUpdate checks the body's shape, the JSON type of every field and the
// table's rules, and reports every problem at once, in the table's order.
func parseUpdate(body []byte) (*change, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // so a number is never mistaken for anything but a number
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("malformed JSON: data after the object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the body must be a JSON object")
	}
	var problems []string
	for _, k := range sortedKeys(obj) {
		if f, ok := table.Lookup(k); !ok || f.Path != k || f.Parent() != "" {
			problems = append(problems, fmt.Sprintf("unknown field %q", k))
			continue
		}
		if m, ok := obj[k].(map[string]any); ok {
			for _, mk := range sortedKeys(m) {
				if mf, ok := table.Lookup(k + "." + mk); !ok || mf.Path != k+"."+mk {
					problems = append(problems, fmt.Sprintf("unknown field %q", k+"."+mk))
				}
			}
		}
	}
	u := &change{fields: make(map[string]any, len(obj))}
	for _, fd := range table.Fields() {
		raw, ok := obj[fd.Path]
		if !ok || raw == nil || fd.Parent() != "" {
			continue
		}
		val, err := checkField(&fd, raw)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if fd.Path == "account_key" {
			u.key = val.(string)
			continue
		}
		u.fields[fd.Path] = val
	}
	if len(problems) > 0 {
		return nil, errors.New("The request is invalid: " + strings.Join(problems, "; "))
	}
	return u, nil
}

// checkField converts a top-level field's JSON value to the table's type
// and checks the table's rules; for an address, every member it has.
func checkField(fd *providers.Field, raw any) (any, error) {
	if fd.Type != providers.Object {
		v, err := convert(fd, raw)
		if err == nil {
			err = fd.Check(v)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", fd.Path, err)
		}
		return v, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: must be an object", fd.Path)
	}
	out := make(map[string]any, len(obj))
	var problems []string
	for _, m := range table.Fields() {
		if m.Parent() != fd.Path {
			continue
		}
		name := strings.TrimPrefix(m.Path, fd.Path+".")
		raw, ok := obj[name]
		if !ok {
			continue
		}
		if raw == nil {
			out[name] = nil
			continue
		}
		v, err := convert(&m, raw)
		if err == nil {
			err = m.Check(v)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", m.Path, err))
			continue
		}
		out[name] = v
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

// convert turns a JSON-decoded value into the Go type the table's rules
// expect, refusing a JSON value of another type.
func convert(fd *providers.Field, raw any) (any, error) {
	switch fd.Type {
	case providers.String:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		return nil, errors.New("must be a string")
	case providers.File:
		// The document's example sends bytes as a base64 string ("QEA=").
		s, ok := raw.(string)
		if !ok {
			return nil, errors.New("must be a base64 string of the image's bytes")
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, errors.New("must be a base64 string of the image's bytes")
		}
		return b, nil
	}
	// FinerWorks has no field of another type; a new one must be taught here.
	return nil, fmt.Errorf("cannot hold a %s here", fd.Type)
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
func (f *Fake) apply(u *change, body []byte) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc, ok := f.accounts[u.key]
	if !ok {
		acc = &account{id: int64(len(f.accounts) + 1), fields: make(map[string]any)}
		f.accounts[u.key] = acc
	}
	// An address sent replaces the one on file ("the address you want to
	// keep on file"); every other field replaces its value.
	maps.Copy(acc.fields, u.fields)
	f.applied = append(f.applied, providers.Applied{Key: u.key, Body: slices.Clone(body)})
	return userAccount(u.key, acc)
}

// userAccount is the document's user_account. Call with f.mu held.
func userAccount(key string, acc *account) map[string]any {
	username := key
	if username == "" {
		username = "app_key_owner"
	}
	billing := addressOut(acc.fields["billing_info"])
	var email any
	if billing != nil {
		email = billing["email"]
	}
	return map[string]any{
		"account_id":           acc.id,
		"account_username":     username,
		"account_email":        email,
		"billing_info":         billing,
		"business_info":        addressOut(acc.fields["business_info"]),
		"logo_url":             acc.fields["logo_url"],
		"payment_profile_id":   acc.fields["payment_profile_id"],
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

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := providers.MarshalJSON(v)
	if err != nil {
		// Only strings, numbers, bools and maps of them are written.
		http.Error(w, `{"status":{"success":false,"status_code":500,"message":"internal error","debug":null}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// sortedKeys makes the field named in an error the same on every run.
func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
