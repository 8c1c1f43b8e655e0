package userapi

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fakeapi"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
const MaxBody = 1 << 20

// Fake is an in-memory user-profile API on the shared engine
// (providers/fakeapi), which enforces PUT on /api/v1/user/{user_id}, the
// api_key query parameter, a JSON object body with only the documented
// fields of the documented JSON types, and every field's rule (the
// provider's own table, so client and fake read the document the same way).
// The fake adds: user_id belongs in the path, not the body, and no two users
// share an e-mail address.
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
	*fakeapi.Server
	key   string
	users *fakeapi.Accounts // e-mail addresses unique, compared without regard to case
}

// NewFake returns a fake that accepts only the key in c (none, if c has no
// USERAPI_KEY: then every request is 401).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests that use
// SetUser and User.
func NewFake(c providers.Credentials) *Fake {
	f := &Fake{key: c[KeyEnv].Reveal(), users: fakeapi.NewAccounts("email")}
	f.Server = fakeapi.New(fakeapi.Spec{
		Method:     http.MethodPut,
		Path:       PathPrefix + "{user_id}",
		Authorize:  f.checkKey, // the key is in the query, beside the path
		MediaTypes: []string{"application/json"},
		MaxBody:    MaxBody,
		Refuse:     refuse,
		Handle:     f.handle,
	})
	return f
}

func refuse(w http.ResponseWriter, _ *http.Request, why fakeapi.Refusal) {
	switch why.Kind {
	case fakeapi.NotFound:
		writeDetail(w, why.Status, "Not Found")
	case fakeapi.MethodNotAllowed:
		writeDetail(w, why.Status, "Method Not Allowed")
	case fakeapi.Unauthorized:
		w.Header().Set("WWW-Authenticate", "APIKey")
		writeDetail(w, why.Status, why.Detail)
	case fakeapi.UnsupportedMediaType:
		writeDetail(w, why.Status, "Content-Type must be application/json")
	case fakeapi.TooLarge:
		writeDetail(w, why.Status, "Request body larger than "+why.Detail+" bytes")
	case fakeapi.Malformed:
		writeProblems(w, []problem{bodyProblem("", "JSON decode error: "+why.Detail, "json_invalid")})
	case fakeapi.NotObject:
		writeProblems(w, []problem{bodyProblem("", "Input should be a valid dictionary or object to extract fields from", "model_attributes_type")})
	default:
		writeDetail(w, why.Status, why.Detail)
	}
}

// checkKey refuses a request without the key. The message never repeats
// what the client sent.
func (f *Fake) checkKey(r *http.Request) (int, string) {
	switch key := r.URL.Query().Get(KeyParam); {
	case key == "":
		return http.StatusUnauthorized, "Not authenticated"
	case f.key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(f.key)) != 1:
		return http.StatusUnauthorized, "Invalid API key"
	}
	return 0, ""
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

// fastAPI words the engine's problems as FastAPI (pydantic) does.
func fastAPI(p fakeapi.Problem) problem {
	switch p.Kind {
	case fakeapi.Unknown:
		return bodyProblem(p.Path, "Extra inputs are not permitted", "extra_forbidden")
	case fakeapi.WrongType:
		if p.Field.Type == providers.Bool {
			return bodyProblem(p.Path, "Input should be a valid boolean", "bool_type")
		}
		return bodyProblem(p.Path, "Input should be a valid string", "string_type")
	}
	return bodyProblem(p.Path, p.Msg, "value_error")
}

// handle checks the path's user id and the body, every problem at once as
// FastAPI does, then applies the update.
func (f *Fake) handle(w http.ResponseWriter, c *fakeapi.Call) {
	var problems []problem
	keyField, _ := table.Lookup(KeyField)
	id, err := url.PathUnescape(c.Param)
	if err != nil {
		// Go's server refuses a malformed escape before a handler sees it.
		problems = append(problems, problem{Loc: []string{"path", KeyField}, Msg: "must be a valid percent-encoded path segment", Type: "value_error"})
	} else if err := keyField.Check(id); err != nil {
		problems = append(problems, problem{Loc: []string{"path", KeyField}, Msg: err.Error(), Type: "value_error"})
	}
	if _, inBody := c.Object[KeyField]; inBody {
		problems = append(problems, bodyProblem(KeyField, "user_id belongs in the path, not the body", "extra_forbidden"))
		delete(c.Object, KeyField)
	}
	fields, found := fakeapi.Check(table, c.Object, fakeapi.CheckOptions{
		Required: func(fd *providers.Field) bool { return fd.Required && fd.Path != KeyField },
	})
	for _, p := range found {
		problems = append(problems, fastAPI(p))
	}
	if len(problems) > 0 {
		writeProblems(w, problems)
		return
	}
	status, answer := f.update(c, id, fields)
	fakeapi.WriteJSON(w, status, "application/json", answer)
}

// update applies a checked body as one change of the user, so two
// requests cannot both claim one e-mail address.
func (f *Fake) update(c *fakeapi.Call, id string, fields map[string]any) (status int, answer any) {
	_ = f.users.Update(id, func(u *fakeapi.Account) error {
		if email, ok := fields["email"].(string); ok && u.Taken("email", email) {
			status, answer = http.StatusConflict, map[string]string{"detail": "email " + email + " is already used by another user"}
			return fakeapi.ErrUnchanged
		}
		for k, v := range fields {
			u.Set(k, v)
		}
		c.Record(id)
		data := u.Fields()
		data["id"] = id
		data["follower_count"] = 0
		data["following_count"] = 0
		status, answer = http.StatusOK, map[string]any{"message": "Data updated successfully", "meta": map[string]any{}, "data": data}
		return nil
	})
	return status, answer
}

// SetUser creates or overwrites a user's e-mail address, so tests can
// provoke the uniqueness rule.
func (f *Fake) SetUser(id, email string) { f.users.Seed(id, map[string]any{"email": email}) }

// User returns a copy of a user's stored fields, as the fake applied them.
func (f *Fake) User(id string) (map[string]any, bool) { return f.users.Get(id) }

func writeDetail(w http.ResponseWriter, status int, msg string) {
	fakeapi.WriteJSON(w, status, "application/json", map[string]string{"detail": msg})
}

func writeProblems(w http.ResponseWriter, problems []problem) {
	fakeapi.WriteJSON(w, http.StatusUnprocessableEntity, "application/json", map[string]any{"detail": problems})
}
