package userapi

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
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/acctimport/acctimport/providers"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
const MaxBody = 1 << 20

// Fake is an in-memory user-profile API. It enforces the document: PUT on
// /api/v1/user/{user_id} only, the api_key query parameter, a JSON body that
// is an object with only the documented fields (user_id belongs in the path,
// not the body) of the documented JSON types, every field's rule (the
// provider's own table, so client and fake read the document the same way),
// and one rule the client cannot check: no two users share an e-mail
// address.
//
// The document shows no error answers. The fake answers as FastAPI does,
// the framework the API's family is built on: {"detail": "text"} for 401,
// 404, 405, 409, 413 and 415, and 422 {"detail": [{"loc": [...], "msg":
// "...", "type": "..."}]} listing every field that broke a rule. A missing
// key and a wrong one are both 401 ("Not authenticated", "Invalid API key"),
// so that neither is retried and the run stops at once.
//
// Every user id names a user: the fake creates it on first use, because a
// sandbox cannot know the users of the file it is fed.
//
// A Fake is safe for concurrent use.
type Fake struct {
	key string

	mu         sync.Mutex
	users      map[string]map[string]any
	emailOwner map[string]string // lower-cased e-mail -> user id
	applied    []providers.Applied
}

var (
	_ providers.Fake        = (*Fake)(nil)
	_ providers.ErrorWriter = (*Fake)(nil)
)

// NewFake returns a fake that accepts only the key in c (none, if c has no
// USERAPI_KEY: then every request is 401).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests that use
// SetUser and User.
func NewFake(c providers.Credentials) *Fake {
	return &Fake{
		key:        c[KeyEnv].Reveal(),
		users:      make(map[string]map[string]any),
		emailOwner: make(map[string]string),
	}
}

// SetUser creates or overwrites a user's e-mail address, so tests can
// provoke the uniqueness rule.
func (f *Fake) SetUser(id, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setEmail(id, f.user(id), email)
}

// User returns a copy of a user's stored fields, as the fake applied them.
func (f *Fake) User(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, false
	}
	return maps.Clone(u), true
}

// Applied lists every request that was applied, in the order they were
// applied.
func (f *Fake) Applied() []providers.Applied {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.applied)
}

// WriteError answers r with the API's error shape, {"detail": msg}; the
// sandbox uses it for the faults it injects.
func (f *Fake) WriteError(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	writeDetail(w, status, msg)
}

// ServeHTTP checks a request in the order the real server's layers would:
// routing, the key, then the body.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The escaped path, so an id holding an escaped "/" is still one
	// segment here, and is then refused by the user_id rule.
	rawID, ok := strings.CutPrefix(r.URL.EscapedPath(), PathPrefix)
	if !ok || rawID == "" || strings.Contains(rawID, "/") {
		writeDetail(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", http.MethodPut)
		writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if msg := f.checkKey(r.URL.Query().Get(KeyParam)); msg != "" {
		w.Header().Set("WWW-Authenticate", "APIKey")
		writeDetail(w, http.StatusUnauthorized, msg)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeDetail(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeDetail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("Request body larger than %d bytes", MaxBody))
			return
		}
		writeDetail(w, http.StatusBadRequest, "The request body could not be read")
		return
	}
	id, fields, problems := parse(rawID, body)
	if len(problems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": problems})
		return
	}
	status, answer := f.update(id, fields, body)
	writeJSON(w, status, answer)
}

// checkKey returns why the key is refused, or "". The message never repeats
// what the client sent.
func (f *Fake) checkKey(key string) string {
	switch {
	case key == "":
		return "Not authenticated"
	case f.key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(f.key)) != 1:
		return "Invalid API key"
	}
	return ""
}

// problem is one entry of FastAPI's 422 validation list.
type problem struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

func bodyProblem(field, msg, typ string) problem {
	loc := []string{"body"}
	if field != "" {
		loc = append(loc, field)
	}
	return problem{Loc: loc, Msg: msg, Type: typ}
}

// parse checks the path's user id and the body, returning every problem at
// once as FastAPI does. fields holds the body's values converted to the
// table's Go types.
func parse(rawID string, body []byte) (id string, fields map[string]any, problems []problem) {
	keyField, _ := table.Lookup(KeyField)
	id, err := url.PathUnescape(rawID)
	if err != nil {
		// Go's server refuses a malformed escape before a handler sees it.
		problems = append(problems, problem{Loc: []string{"path", KeyField}, Msg: "must be a valid percent-encoded path segment", Type: "value_error"})
	} else if err := keyField.Check(id); err != nil {
		problems = append(problems, problem{Loc: []string{"path", KeyField}, Msg: err.Error(), Type: "value_error"})
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // so a number is never mistaken for anything but a number
	var v any
	if err := dec.Decode(&v); err != nil {
		return id, nil, append(problems, bodyProblem("", "JSON decode error: "+err.Error(), "json_invalid"))
	}
	if _, err := dec.Token(); err != io.EOF {
		return id, nil, append(problems, bodyProblem("", "JSON decode error: data after the object", "json_invalid"))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return id, nil, append(problems, bodyProblem("", "Input should be a valid dictionary or object to extract fields from", "model_attributes_type"))
	}

	for _, k := range slices.Sorted(maps.Keys(obj)) {
		switch f, known := table.Lookup(k); {
		case k == KeyField:
			problems = append(problems, bodyProblem(k, "user_id belongs in the path, not the body", "extra_forbidden"))
		case !known || f.Path != k:
			problems = append(problems, bodyProblem(k, "Extra inputs are not permitted", "extra_forbidden"))
		}
	}
	fields = make(map[string]any, len(obj))
	for _, fd := range table.Fields() {
		raw, ok := obj[fd.Path]
		if !ok || fd.Path == KeyField {
			continue
		}
		val, typeErr := convert(&fd, raw)
		if typeErr != nil {
			problems = append(problems, *typeErr)
			continue
		}
		if err := fd.Check(val); err != nil {
			problems = append(problems, bodyProblem(fd.Path, err.Error(), "value_error"))
			continue
		}
		fields[fd.Path] = val
	}
	return id, fields, problems
}

// convert turns a JSON-decoded value into the Go type the table's rules
// expect for the field, refusing a JSON value of another type, null
// included: the client never sends null, and the document shows none.
// Types are strict, as the client's are: "true" is not a boolean.
func convert(fd *providers.Field, raw any) (any, *problem) {
	switch fd.Type {
	case providers.String, providers.DateTime:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		p := bodyProblem(fd.Path, "Input should be a valid string", "string_type")
		return nil, &p
	case providers.Bool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
		p := bodyProblem(fd.Path, "Input should be a valid boolean", "bool_type")
		return nil, &p
	}
	// The API has no field of another type; a new one must be taught here.
	p := bodyProblem(fd.Path, "cannot hold a "+fd.Type.String()+" here", "type_error")
	return nil, &p
}

// update applies a checked body under the lock, so two requests cannot both
// claim one e-mail address. It returns the answer, to be written once the
// lock is released.
func (f *Fake) update(id string, fields map[string]any, body []byte) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if email, ok := fields["email"].(string); ok {
		// Compared without regard to case: an address's domain is, and
		// users sign in with it.
		if owner := f.emailOwner[strings.ToLower(email)]; owner != "" && owner != id {
			return http.StatusConflict, map[string]string{
				"detail": "email " + email + " is already used by another user",
			}
		}
	}
	u := f.user(id)
	for k, v := range fields {
		if k == "email" {
			f.setEmail(id, u, v.(string))
			continue
		}
		u[k] = v
	}
	f.applied = append(f.applied, providers.Applied{Key: id, Body: slices.Clone(body)})

	data := make(map[string]any, len(u)+3)
	maps.Copy(data, u)
	data["id"] = id
	data["follower_count"] = 0
	data["following_count"] = 0
	return http.StatusOK, map[string]any{
		"message": "Data updated successfully",
		"meta":    map[string]any{},
		"data":    data,
	}
}

// user returns the stored user, creating it. Call with f.mu held.
func (f *Fake) user(id string) map[string]any {
	u, ok := f.users[id]
	if !ok {
		u = make(map[string]any)
		f.users[id] = u
	}
	return u
}

// setEmail keeps the uniqueness index in step with the users. Call with
// f.mu held.
func (f *Fake) setEmail(id string, u map[string]any, email string) {
	if old, ok := u["email"].(string); ok && f.emailOwner[strings.ToLower(old)] == id {
		delete(f.emailOwner, strings.ToLower(old))
	}
	u["email"] = email
	f.emailOwner[strings.ToLower(email)] = id
}

func writeDetail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"detail": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := providers.MarshalJSON(v)
	if err != nil {
		// Only strings, booleans and maps of them are written; this cannot
		// happen.
		http.Error(w, `{"detail":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
