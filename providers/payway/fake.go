package payway

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fakeapi"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
const MaxBody = 1 << 20

// Fake is an in-memory Payway update-account API on the shared engine
// (providers/fakeapi), which enforces the method and path, the Bearer
// token, a JSON object body with only documented fields of the documented
// JSON types and every field's regex and size range (the provider's own
// table, so client and fake read the document the same way). The fake adds
// Payway's own rules: a present and valid id, the address members the
// address format requires ("must_be_set", the document's own example), the
// uniqueness of email and social_security_number among its accounts, and
// atomic: true (the default) rejects the whole request on any violation;
// false applies the valid fields and answers 207 Multi-Status listing the
// rest, or, when nothing could be applied, lists them without applying.
//
// Errors are {"error": code, "error_description": text}, the common
// convention the document refers to, with "errors" listing the fields of a
// refused update.
//
// Every well-formed id names an account: the fake creates it on first use,
// because a sandbox cannot know the accounts of the file it is fed.
//
// A Fake is safe for concurrent use.
type Fake struct {
	*fakeapi.Server
	token    string
	accounts *fakeapi.Accounts
}

// Fault is an answer the fake gives instead of, or before, handling a
// request (see fakeapi.Fault).
type Fault = fakeapi.Fault

// NewFake returns a fake that accepts only the token in c (none, if c has no
// PAYWAY_TOKEN: then every request is 401).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests and the
// sandbox that use the knobs.
func NewFake(c providers.Credentials) *Fake {
	f := &Fake{token: c[TokenEnv].Reveal(), accounts: fakeapi.NewAccounts(uniqueFields...)}
	f.Server = fakeapi.New(fakeapi.Spec{
		Method:     http.MethodPut,
		Path:       Path,
		MediaTypes: []string{"application/json"},
		MaxBody:    MaxBody,
		Authorize:  f.checkAuth,
		Refuse:     refuse,
		Handle:     f.handle,
	})
	return f
}

// checkAuth refuses a request without the Bearer token. The message never
// repeats what the client sent.
func (f *Fake) checkAuth(r *http.Request) (int, string) {
	h := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch {
	case h == "":
		return http.StatusUnauthorized, "missing Authorization: Bearer token"
	case !strings.EqualFold(scheme, "Bearer"):
		return http.StatusUnauthorized, "the Authorization scheme must be Bearer"
	case f.token == "" || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(f.token)) != 1:
		return http.StatusUnauthorized, "invalid token"
	}
	return 0, ""
}

func refuse(w http.ResponseWriter, _ *http.Request, why fakeapi.Refusal) {
	switch why.Kind {
	case fakeapi.NotFound:
		writeError(w, why.Status, "not_found", "no such endpoint: "+why.Detail)
	case fakeapi.MethodNotAllowed:
		writeError(w, why.Status, "method_not_allowed", why.Detail+" is not allowed; use PUT")
	case fakeapi.Unauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="payway"`)
		writeError(w, why.Status, "unauthorized", why.Detail)
	case fakeapi.UnsupportedMediaType:
		writeError(w, why.Status, "unsupported_media_type", "the body must be application/json")
	case fakeapi.TooLarge:
		writeError(w, why.Status, "payload_too_large", "the body exceeds "+why.Detail+" bytes")
	case fakeapi.Malformed:
		writeError(w, why.Status, "bad_request", "malformed JSON: "+why.Detail)
	default:
		writeError(w, why.Status, errorCode(why.Status), why.Detail)
	}
}

const (
	mustBeSet    = "must_be_set"
	mustBeUnique = "must_be_unique"
)

// violation is one field the fake refuses, phrased as in the document's
// example answer: "address last_name: must_be_set".
type violation struct {
	path   string
	reason string
	unique bool // a uniqueness conflict rather than a malformed value
}

func (v violation) String() string { return strings.ReplaceAll(v.path, ".", " ") + ": " + v.reason }

// handle applies Payway's rules. An unknown field, a broken atomic or a
// missing or broken id refuse the request whatever atomic says: there is
// nothing sensible to apply.
func (f *Fake) handle(w http.ResponseWriter, c *fakeapi.Call) {
	atomic := true
	if raw, ok := c.Object["atomic"]; ok {
		b, isBool := raw.(bool)
		if !isBool {
			writeError(w, http.StatusBadRequest, "bad_request", "atomic: must be true or false")
			return
		}
		atomic = b
		delete(c.Object, "atomic")
	}
	valid, problems := fakeapi.Check(table, c.Object, fakeapi.CheckOptions{})
	var bad []violation
	for _, p := range problems {
		switch {
		case p.Kind == fakeapi.Unknown:
			writeError(w, http.StatusBadRequest, "bad_request", p.String())
			return
		case p.Path == "id" && p.Kind == fakeapi.Missing:
			writeError(w, http.StatusBadRequest, "bad_request", "id: "+mustBeSet)
			return
		case p.Path == "id":
			writeError(w, http.StatusBadRequest, "bad_request", "id: "+p.Msg)
			return
		case p.Kind == fakeapi.Missing:
			bad = append(bad, violation{path: p.Path, reason: mustBeSet})
		default:
			bad = append(bad, violation{path: p.Path, reason: p.Msg})
		}
	}
	id := valid["id"].(string)
	delete(valid, "id")
	status, answer := f.update(c, id, atomic, valid, bad)
	fakeapi.WriteJSON(w, status, jsonType, answer)
}

// uniqueFields are the fields the document says must be unique. An e-mail
// address is a username, so it is compared without regard to case.
var uniqueFields = []string{"email", "social_security_number"}

// update applies what the atomic flag allows, as one change of the account,
// so two requests cannot both claim one e-mail address.
func (f *Fake) update(c *fakeapi.Call, id string, atomic bool, valid map[string]any, bad []violation) (status int, answer any) {
	_ = f.accounts.Update(id, func(acc *fakeapi.Account) error {
		for _, path := range uniqueFields {
			if v, ok := valid[path]; ok && acc.Taken(path, v.(string)) {
				bad = append(bad, violation{path: path, reason: mustBeUnique, unique: true})
				delete(valid, path)
			}
		}
		if len(bad) > 0 && (atomic || len(valid) == 0) {
			status, answer = refused(id, bad, atomic)
			return fakeapi.ErrUnchanged
		}
		updated := make([]string, 0, len(valid))
		for _, fd := range table.Fields() { // table order, so answers are deterministic
			v, ok := valid[fd.Path]
			if !ok {
				continue
			}
			if fd.Unset != "" && v == fd.Unset {
				acc.Delete(fd.Path)
			} else {
				// tags and address are replaced whole, as the document says
				// of tags; an address is one object in the document.
				acc.Set(fd.Path, v)
			}
			updated = append(updated, fd.Path)
		}
		c.Record(id)
		status = http.StatusOK
		if len(bad) > 0 {
			status = http.StatusMultiStatus
		}
		// Strings, as in the document's example answer.
		answer = map[string]any{"id": id, "updated_fields": strings.Join(updated, " "), "not_updated_fields": listed(bad)}
		return nil
	})
	return status, answer
}

// refused is the answer to an update that changed nothing: atomic, an error
// naming every violation (409 when they are all conflicts, else 400); not
// atomic, the document's answer listing them, with nothing updated.
func refused(id string, bad []violation, atomic bool) (int, any) {
	if !atomic {
		return http.StatusMultiStatus, map[string]any{"id": id, "updated_fields": "", "not_updated_fields": listed(bad)}
	}
	status, code := http.StatusConflict, "conflict"
	errs := make([]map[string]string, len(bad))
	for i, v := range bad {
		if !v.unique {
			status, code = http.StatusBadRequest, "validation_failed"
		}
		errs[i] = map[string]string{"field": v.path, "message": v.reason}
	}
	return status, map[string]any{
		"error":             code,
		"error_description": "nothing was updated (atomic): " + strings.ReplaceAll(listed(bad), ", ", "; "),
		"errors":            errs,
	}
}

func listed(bad []violation) string {
	out := make([]string, len(bad))
	for i, v := range bad {
		out[i] = v.String()
	}
	return strings.Join(out, ", ")
}

// SetAccount creates or overwrites an account with an e-mail address and a
// social security number (either may be empty), so tests can provoke the
// uniqueness rules.
func (f *Fake) SetAccount(id, email, ssn string) {
	fields := map[string]any{}
	if email != "" {
		fields["email"] = email
	}
	if ssn != "" {
		fields["social_security_number"] = ssn
	}
	f.accounts.Seed(id, fields)
}

// Account returns a copy of an account's stored fields, as the fake applied
// them (strings, []string for tags, map[string]any for address).
func (f *Fake) Account(id string) (map[string]any, bool) { return f.accounts.Get(id) }

// errorCode names a status the way the fake's error bodies do:
// "too_many_requests".
func errorCode(status int) string {
	return strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
}

const jsonType = "application/json; charset=utf-8"

// writeError answers {"error": code, "error_description": text}, the common
// error convention of Payway's APIs, which the document refers to.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	fakeapi.WriteJSON(w, status, jsonType, map[string]string{"error": code, "error_description": msg})
}
