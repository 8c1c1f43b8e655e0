package payway

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
const MaxBody = 1 << 20

// Fake is an in-memory Payway update-account API. It enforces the document:
// the Bearer token, the method and path, a JSON object body with only
// documented fields of the documented JSON types, every field's regex and
// size range (the provider's own table, so client and fake read the document
// the same way), a present and valid id, the address members required by the
// address format, and the uniqueness of email and social_security_number
// among its accounts. With atomic true (the default) any violation rejects
// the whole request; with atomic false the valid fields are applied and the
// answer is 207 Multi-Status listing the rest.
//
// Every well-formed id names an account: the fake creates it on first use,
// because a sandbox cannot know the accounts of the file it is fed.
//
// A Fake is safe for concurrent use.
type Fake struct {
	token string

	mu         sync.Mutex
	accounts   map[string]map[string]any
	emailOwner map[string]string // lower-cased e-mail -> account id
	ssnOwner   map[string]string // social security number -> account id
	applied    []providers.Applied
	queued     []Fault
	fault      func(*http.Request) (Fault, bool)
}

var _ providers.Fake = (*Fake)(nil)

// NewFake returns a fake that accepts only the token in c (none, if c has no
// PAYWAY_TOKEN: then every request is 401).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests and the
// sandbox that use the knobs.
func NewFake(c providers.Credentials) *Fake {
	return &Fake{
		token:      c[TokenEnv].Reveal(),
		accounts:   make(map[string]map[string]any),
		emailOwner: make(map[string]string),
		ssnOwner:   make(map[string]string),
	}
}

// Fault is an answer the fake gives instead of, or before, handling a
// request: a gateway's 429 or 503, or a slow server.
type Fault struct {
	// Status is the answer's status with a JSON error body; 0 handles the
	// request normally once Delay has passed.
	Status int
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
}

// FailNext answers the next n requests with status (and Retry-After, if not
// empty) before looking at them; nothing is applied.
func (f *Fake) FailNext(n, status int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queued = append(f.queued, Fault{Status: status, RetryAfter: retryAfter})
	}
}

// SetFault installs a hook asked about every request that FailNext has not
// already claimed; nil removes it. The hook must not read the body.
func (f *Fake) SetFault(hook func(r *http.Request) (Fault, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = hook
}

// SetAccount creates or overwrites an account with an e-mail address and a
// social security number (either may be empty), so tests can provoke the
// uniqueness rules.
func (f *Fake) SetAccount(id, email, ssn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc := f.account(id)
	if email != "" {
		f.setEmail(id, acc, email)
	}
	if ssn != "" {
		f.setSSN(id, acc, ssn)
	}
}

// Account returns a copy of an account's stored fields, as the fake applied
// them (strings, []string for tags, map[string]any for address).
func (f *Fake) Account(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acc, ok := f.accounts[id]
	if !ok {
		return nil, false
	}
	out := make(map[string]any, len(acc))
	for k, v := range acc {
		switch t := v.(type) {
		case []string:
			out[k] = slices.Clone(t)
		case map[string]any:
			out[k] = maps.Clone(t)
		default:
			out[k] = v
		}
	}
	return out, true
}

// Applied lists every request that was applied, wholly or (atomic false)
// partly, in the order they were applied.
func (f *Fake) Applied() []providers.Applied {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.applied)
}

func (f *Fake) nextFault(r *http.Request) (Fault, bool) {
	f.mu.Lock()
	if len(f.queued) > 0 {
		ft := f.queued[0]
		f.queued = f.queued[1:]
		f.mu.Unlock()
		return ft, true
	}
	hook := f.fault
	f.mu.Unlock()
	// Called without the lock, so a hook may use the fake's methods.
	if hook == nil {
		return Fault{}, false
	}
	return hook(r)
}

// WriteError answers r with Payway's error shape; the sandbox uses it for
// the faults it injects.
func (f *Fake) WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeError(w, status, errorCode(status), msg)
}

var _ providers.ErrorWriter = (*Fake)(nil)

// ServeHTTP checks a request in the order a real server's layers would:
// routing, authentication, then the body.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ft, ok := f.nextFault(r); ok {
		if ft.Delay > 0 {
			// The server notices a client that gave up only once the body
			// has been read, so read it now and hand on a copy.
			body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
			if err != nil {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			t := time.NewTimer(ft.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if ft.Status != 0 {
			if ft.RetryAfter != "" {
				w.Header().Set("Retry-After", ft.RetryAfter)
			}
			writeError(w, ft.Status, errorCode(ft.Status), "injected fault: "+http.StatusText(ft.Status))
			return
		}
	}
	if r.URL.Path != Path {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path)
		return
	}
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed; use PUT")
		return
	}
	if msg := f.checkAuth(r.Header.Get("Authorization")); msg != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="payway"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", msg)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("the body exceeds %d bytes", MaxBody))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "the body could not be read")
		return
	}
	req, err := parseRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	status, answer := f.update(req, body)
	writeJSON(w, status, answer)
}

// checkAuth returns why the header is refused, or "". The message never
// repeats what the client sent.
func (f *Fake) checkAuth(h string) string {
	scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch {
	case h == "":
		return "missing Authorization: Bearer token"
	case !strings.EqualFold(scheme, "Bearer"):
		return "the Authorization scheme must be Bearer"
	case f.token == "" ||
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(f.token)) != 1:
		return "invalid token"
	}
	return ""
}

// request is a body that passed the structural checks: a JSON object with
// only documented fields, a valid id and, if present, a boolean atomic.
// Field values are still as JSON decoded them.
type request struct {
	id     string
	atomic bool
	fields map[string]any
}

func parseRequest(body []byte) (*request, error) {
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
	req := &request{atomic: true, fields: obj}
	for _, k := range sortedKeys(obj) {
		if k == "atomic" {
			b, ok := obj[k].(bool)
			if !ok {
				return nil, errors.New("atomic: must be true or false")
			}
			req.atomic = b
			delete(obj, k)
			continue
		}
		f, ok := table.Lookup(k)
		if !ok || f.Parent() != "" || k != f.Path {
			return nil, fmt.Errorf("unknown field %q", k)
		}
		if f.Type == providers.Object {
			if m, ok := obj[k].(map[string]any); ok {
				for _, mk := range sortedKeys(m) {
					if mf, ok := table.Lookup(k + "." + mk); !ok || mf.Path != k+"."+mk {
						return nil, fmt.Errorf("unknown field %q", k+"."+mk)
					}
				}
			}
		}
	}
	// Without a valid id there is no account to apply anything to, atomic or
	// not.
	idField, _ := table.Lookup("id")
	raw, ok := obj["id"]
	if !ok {
		return nil, errors.New("id: must_be_set")
	}
	id, err := convert(idField, raw)
	if err == nil {
		err = idField.Check(id)
	}
	if err != nil {
		return nil, fmt.Errorf("id: %v", err)
	}
	req.id = id.(string)
	return req, nil
}

// violation is one field the fake refuses, phrased as in the document's
// example answer: "address last_name: must_be_set".
type violation struct {
	path   string
	reason string
	unique bool // a uniqueness conflict rather than a malformed value
}

func (v violation) String() string {
	return strings.ReplaceAll(v.path, ".", " ") + ": " + v.reason
}

const (
	mustBeSet    = "must_be_set"
	mustBeUnique = "must_be_unique"
)

// update checks every field and applies what the atomic flag allows, all
// under the lock, so two requests cannot both claim one e-mail address. It
// returns the answer, to be written once the lock is released.
func (f *Fake) update(req *request, body []byte) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()

	valid := make(map[string]any, len(req.fields))
	var bad []violation
	for _, fd := range table.Fields() {
		raw, ok := req.fields[fd.Path]
		if !ok || fd.Parent() != "" || fd.Path == "id" {
			continue
		}
		v, vs := checkField(&fd, raw)
		if len(vs) > 0 {
			bad = append(bad, vs...)
			continue
		}
		if vio, ok := f.conflict(req.id, fd.Path, v); ok {
			bad = append(bad, vio)
			continue
		}
		valid[fd.Path] = v
	}

	if len(bad) > 0 && req.atomic {
		status, code := http.StatusConflict, "conflict"
		for _, v := range bad {
			if !v.unique {
				status, code = http.StatusBadRequest, "validation_failed"
				break
			}
		}
		msgs := make([]string, len(bad))
		errs := make([]map[string]string, len(bad))
		for i, v := range bad {
			msgs[i] = v.String()
			errs[i] = map[string]string{"field": v.path, "message": v.reason}
		}
		return status, map[string]any{
			"error":   code,
			"message": "nothing was updated (atomic): " + strings.Join(msgs, "; "),
			"errors":  errs,
		}
	}

	acc := f.account(req.id)
	updated := make([]string, 0, len(valid))
	for _, fd := range table.Fields() { // table order, so answers are deterministic
		v, ok := valid[fd.Path]
		if !ok {
			continue
		}
		switch {
		case fd.Path == "email":
			f.setEmail(req.id, acc, v.(string))
		case fd.Path == "social_security_number":
			f.setSSN(req.id, acc, v.(string))
		case fd.Unset != "" && v == fd.Unset:
			delete(acc, fd.Path)
		default:
			// tags and address are replaced whole, as the document says of
			// tags; an address is one object in the document.
			acc[fd.Path] = v
		}
		updated = append(updated, fd.Path)
	}
	f.applied = append(f.applied, providers.Applied{Key: req.id, Body: slices.Clone(body)})

	notUpdated := make([]string, len(bad))
	for i, v := range bad {
		notUpdated[i] = v.String()
	}
	status := http.StatusOK
	if len(bad) > 0 {
		status = http.StatusMultiStatus
	}
	// Strings, as in the document's example answer.
	return status, map[string]any{
		"id":                 req.id,
		"updated_fields":     strings.Join(updated, " "),
		"not_updated_fields": strings.Join(notUpdated, ", "),
	}
}

// checkField converts a top-level field's JSON value to the table's type and
// checks the table's rules; for the address it checks every member and the
// members the address format requires.
func checkField(fd *providers.Field, raw any) (any, []violation) {
	if fd.Type != providers.Object {
		v, err := convert(fd, raw)
		if err == nil {
			err = fd.Check(v)
		}
		if err != nil {
			return nil, []violation{{path: fd.Path, reason: err.Error()}}
		}
		return v, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, []violation{{path: fd.Path, reason: "must be an object"}}
	}
	out := make(map[string]any, len(obj))
	var bad []violation
	for _, m := range table.Fields() {
		if m.Parent() != fd.Path {
			continue
		}
		name := strings.TrimPrefix(m.Path, fd.Path+".")
		raw, ok := obj[name]
		if m.Required && (!ok || raw == "") {
			// The document's own example of a partial answer.
			bad = append(bad, violation{path: m.Path, reason: mustBeSet})
			continue
		}
		if !ok {
			continue
		}
		v, err := convert(&m, raw)
		if err == nil {
			err = m.Check(v)
		}
		if err != nil {
			bad = append(bad, violation{path: m.Path, reason: err.Error()})
			continue
		}
		out[name] = v
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// convert turns a JSON-decoded value into the Go type the table's rules
// expect for the field, refusing a JSON value of another type.
func convert(fd *providers.Field, raw any) (any, error) {
	switch fd.Type {
	case providers.String, providers.Date, providers.DateTime:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		return nil, errors.New("must be a string")
	case providers.StringList:
		list, ok := raw.([]any)
		if !ok {
			return nil, errors.New("must be a list of strings")
		}
		out := make([]string, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, errors.New("must be a list of strings")
			}
			out[i] = s
		}
		return out, nil
	}
	// Payway has no field of another type; a new one must be taught here.
	return nil, fmt.Errorf("cannot hold a %s here", fd.Type)
}

// conflict reports an e-mail address or social security number that
// another account already has. E-mail addresses are usernames, so they are
// compared without regard to case.
func (f *Fake) conflict(id, path string, v any) (violation, bool) {
	var owner string
	switch path {
	case "email":
		owner = f.emailOwner[strings.ToLower(v.(string))]
	case "social_security_number":
		owner = f.ssnOwner[v.(string)]
	default:
		return violation{}, false
	}
	if owner == "" || owner == id {
		return violation{}, false
	}
	return violation{path: path, reason: mustBeUnique, unique: true}, true
}

// account returns the stored account, creating it. Call with f.mu held.
func (f *Fake) account(id string) map[string]any {
	acc, ok := f.accounts[id]
	if !ok {
		acc = make(map[string]any)
		f.accounts[id] = acc
	}
	return acc
}

// setEmail and setSSN keep the uniqueness indexes in step with the accounts.
// Call with f.mu held.
func (f *Fake) setEmail(id string, acc map[string]any, email string) {
	if old, ok := acc["email"].(string); ok && f.emailOwner[strings.ToLower(old)] == id {
		delete(f.emailOwner, strings.ToLower(old))
	}
	acc["email"] = email
	f.emailOwner[strings.ToLower(email)] = id
}

func (f *Fake) setSSN(id string, acc map[string]any, ssn string) {
	if old, ok := acc["social_security_number"].(string); ok && f.ssnOwner[old] == id {
		delete(f.ssnOwner, old)
	}
	acc["social_security_number"] = ssn
	f.ssnOwner[ssn] = id
}

// sortedKeys makes the field named in an error the same on every run.
func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// errorCode names a status the way the fake's error bodies do:
// "too_many_requests".
func errorCode(status int) string {
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

// writeError answers with the fake's error shape, {"error": code,
// "message": text}: the document only refers to "the common error
// conventions of the Payway API", and this is the shape clients read.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := providers.MarshalJSON(v)
	if err != nil {
		// Only maps of strings are written; this cannot happen.
		http.Error(w, `{"error":"internal_error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
