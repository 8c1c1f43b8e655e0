package userapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/acctimport/acctimport/providers"
)

const (
	// testKey has characters that a URL escapes, so a test can tell the
	// raw key from its escaped form.
	testKey = "in-a+b/c=d"
	testID  = "42"
	otherID = "43"
)

var testCreds = providers.Credentials{KeyEnv: providers.NewSecret(testKey)}

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	t.Helper()
	f := NewFake(testCreds)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// keyQuery is the query that carries key, escaped as it must be.
func keyQuery(key string) string { return KeyParam + "=" + url.QueryEscape(key) }

var goodQuery = keyQuery(testKey)

type reply struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

// detail returns the answer's detail when it is a string.
func (r reply) detail() string { s, _ := r.json["detail"].(string); return s }

// problems returns the answer's 422 validation list as "loc: msg (type)".
func (r reply) problems() []string {
	list, _ := r.json["detail"].([]any)
	var out []string
	for _, it := range list {
		m, _ := it.(map[string]any)
		loc, _ := m["loc"].([]any)
		parts := make([]string, len(loc))
		for i, p := range loc {
			parts[i] = fmt.Sprint(p)
		}
		out = append(out, fmt.Sprintf("%s: %v (%v)", strings.Join(parts, "."), m["msg"], m["type"]))
	}
	return out
}

func (r reply) hasProblem(want string) bool {
	return slices.ContainsFunc(r.problems(), func(p string) bool { return strings.HasPrefix(p, want) })
}

type call struct {
	method, path, query, contentType string
	header                           http.Header
	body                             string
}

func do(t *testing.T, srv *httptest.Server, c call) reply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPut
	}
	if c.path == "" {
		c.path = PathPrefix + testID
	}
	u := srv.URL + c.path
	if c.query != "" {
		u += "?" + c.query
	}
	req, err := http.NewRequest(c.method, u, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if err := json.Unmarshal(b, &r.json); err != nil {
		t.Errorf("answer %d is not a JSON object: %q", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("answer Content-Type %q", ct)
	}
	return r
}

// put sends a well-formed, authorised request for user id with body.
func put(t *testing.T, srv *httptest.Server, id, body string) reply {
	t.Helper()
	return do(t, srv, call{path: PathPrefix + url.PathEscape(id), query: goodQuery, contentType: "application/json", body: body})
}

// putJSON marshals v (as the provider would) and puts it.
func putJSON(t *testing.T, srv *httptest.Server, id string, v map[string]any) reply {
	t.Helper()
	b, err := providers.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return put(t, srv, id, string(b))
}

func TestFakeRouting(t *testing.T) {
	f, srv := newFake(t)
	const body = `{"first_name":"Ann"}`
	const ct = "application/json"
	tests := []struct {
		name   string
		c      call
		status int
		detail string // the string detail, or "422:loc" for a validation list naming loc
	}{
		{"ok", call{query: goodQuery, contentType: ct, body: body}, 200, ""},
		{"charset", call{query: goodQuery, contentType: ct + "; charset=utf-8", body: body}, 200, ""},
		{"other parameters", call{query: "trace=1&" + goodQuery, contentType: ct, body: body}, 200, ""},
		{"no key", call{contentType: ct, body: body}, 401, "Not authenticated"},
		{"empty key", call{query: KeyParam + "=", contentType: ct, body: body}, 401, "Not authenticated"},
		{"key in a header", call{header: http.Header{"Api_key": {testKey}, "Authorization": {"Bearer " + testKey}}, contentType: ct, body: body}, 401, "Not authenticated"},
		{"key in the body", call{contentType: ct, body: `{"api_key":"` + testKey + `"}`}, 401, "Not authenticated"},
		{"wrong key", call{query: keyQuery("in-nope"), contentType: ct, body: body}, 401, "Invalid API key"},
		{"key prefix", call{query: keyQuery(testKey[:5]), contentType: ct, body: body}, 401, "Invalid API key"},
		{"key unescaped", call{query: KeyParam + "=" + testKey, contentType: ct, body: body}, 401, "Invalid API key"},
		{"other name", call{query: "apikey=" + url.QueryEscape(testKey), contentType: ct, body: body}, 401, "Not authenticated"},
		{"users", call{path: "/api/v1/users/42", query: goodQuery, contentType: ct, body: body}, 404, "Not Found"},
		{"v2", call{path: "/api/v2/user/42", query: goodQuery, contentType: ct, body: body}, 404, "Not Found"},
		{"no id", call{path: "/api/v1/user/", query: goodQuery, contentType: ct, body: body}, 404, "Not Found"},
		{"no slash", call{path: "/api/v1/user", query: goodQuery, contentType: ct, body: body}, 404, "Not Found"},
		{"two segments", call{path: "/api/v1/user/42/7", query: goodQuery, contentType: ct, body: body}, 404, "Not Found"},
		{"escaped slash", call{path: "/api/v1/user/42%2F7", query: goodQuery, contentType: ct, body: body}, 422, "422:path.user_id"},
		{"escaped dot dot", call{path: "/api/v1/user/%2E%2E", query: goodQuery, contentType: ct, body: body}, 422, "422:path.user_id"},
		{"POST", call{method: http.MethodPost, query: goodQuery, contentType: ct, body: body}, 405, "Method Not Allowed"},
		{"PATCH", call{method: http.MethodPatch, query: goodQuery, contentType: ct, body: body}, 405, "Method Not Allowed"},
		{"GET", call{method: http.MethodGet, query: goodQuery}, 405, "Method Not Allowed"},
		{"no content type", call{query: goodQuery, body: body}, 415, "Content-Type must be application/json"},
		{"text", call{query: goodQuery, contentType: "text/plain", body: body}, 415, "Content-Type must be application/json"},
		{"form", call{query: goodQuery, contentType: "application/x-www-form-urlencoded", body: "first_name=Ann"}, 415, "Content-Type must be application/json"},
		{"malformed", call{query: goodQuery, contentType: ct, body: `{"first_name":`}, 422, "422:body: JSON decode error"},
		{"trailing data", call{query: goodQuery, contentType: ct, body: body + `{}`}, 422, "422:body: JSON decode error"},
		{"empty", call{query: goodQuery, contentType: ct}, 422, "422:body: JSON decode error"},
		{"array", call{query: goodQuery, contentType: ct, body: `[` + body + `]`}, 422, "422:body: Input should be a valid dictionary"},
		{"string", call{query: goodQuery, contentType: ct, body: `"Ann"`}, 422, "422:body: Input should be a valid dictionary"},
		{"too large", call{query: goodQuery, contentType: ct,
			body: `{"first_name":"` + strings.Repeat("x", MaxBody) + `"}`}, 413, fmt.Sprintf("Request body larger than %d bytes", MaxBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.c)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if want, ok := strings.CutPrefix(tt.detail, "422:"); ok {
				if !r.hasProblem(want) {
					t.Errorf("problems %q, want one starting %q", r.problems(), want)
				}
			} else if tt.status != 200 && r.detail() != tt.detail {
				t.Errorf("detail %q, want %q", r.detail(), tt.detail)
			}
			for _, form := range []string{testKey, url.QueryEscape(testKey), url.PathEscape(testKey)} {
				if strings.Contains(r.raw, form) {
					t.Errorf("the answer reveals the key: %s", r.raw)
				}
			}
			switch tt.status {
			case 401:
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case 405:
				if got := r.header.Get("Allow"); got != http.MethodPut {
					t.Errorf("Allow = %q", got)
				}
			}
		})
	}
	if n := len(f.Applied()); n != 3 {
		t.Errorf("%d requests applied, want the 3 that were ok", n)
	}
}

func TestFakeWithoutKey(t *testing.T) {
	srv := httptest.NewServer(NewFake(nil))
	t.Cleanup(srv.Close)
	for _, q := range []string{"", KeyParam + "=", goodQuery, keyQuery("in-")} {
		r := do(t, srv, call{query: q, contentType: "application/json", body: `{}`})
		if r.status != 401 {
			t.Errorf("query %q: status %d, want 401 from a fake with no key", q, r.status)
		}
	}
}

// The body's shape: only documented fields, user_id never, and every
// problem listed at once.
func TestFakeRejectsShape(t *testing.T) {
	f, srv := newFake(t)
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"unknown field", `{"nickname":"x"}`, []string{"body.nickname: Extra inputs are not permitted (extra_forbidden)"}},
		{"user_id in the body", `{"user_id":"42","first_name":"Ann"}`, []string{"body.user_id: user_id belongs in the path, not the body (extra_forbidden)"}},
		{"answer's id", `{"id":"42"}`, []string{"body.id: Extra inputs are not permitted (extra_forbidden)"}},
		{"answer's counts", `{"follower_count":0}`, []string{"body.follower_count: Extra inputs are not permitted (extra_forbidden)"}},
		{"key in the body", `{"api_key":"x"}`, []string{"body.api_key: Extra inputs are not permitted (extra_forbidden)"}},
		{"different case", `{"Email":"ann@example.com"}`, []string{"body.Email: Extra inputs are not permitted (extra_forbidden)"}},
		{"several", `{"zeta":1,"email":"bad","alpha":2,"is_paying":"yes"}`, []string{
			"body.alpha: Extra inputs are not permitted (extra_forbidden)",
			"body.zeta: Extra inputs are not permitted (extra_forbidden)",
			"body.email: must be an e-mail address (name@example.com) (value_error)",
			"body.is_paying: Input should be a valid boolean (bool_type)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := put(t, srv, testID, tt.body)
			if r.status != 422 || !reflect.DeepEqual(r.problems(), tt.want) {
				t.Errorf("%d %s\nwant 422 with %q", r.status, r.raw, tt.want)
			}
		})
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d requests applied", n)
	}
}

func TestFakeRejectsTypes(t *testing.T) {
	tests := []struct {
		field string
		value string // JSON
		want  string
	}{
		{"email", `5`, "Input should be a valid string (string_type)"},
		{"first_name", `null`, "Input should be a valid string (string_type)"},
		{"phone", `46701234567`, "Input should be a valid string (string_type)"},
		{"address", `{"city":"Dublin"}`, "Input should be a valid string (string_type)"},
		{"country", `["IE"]`, "Input should be a valid string (string_type)"},
		{"state", `true`, "Input should be a valid string (string_type)"},
		{"birthdate", `19870315`, "Input should be a valid string (string_type)"},
		{"role_id", `null`, "Input should be a valid string (string_type)"},
		{"is_active", `"true"`, "Input should be a valid boolean (bool_type)"},
		{"is_paying", `1`, "Input should be a valid boolean (bool_type)"},
		{"is_trial", `"yes"`, "Input should be a valid boolean (bool_type)"},
		{"used_trial", `null`, "Input should be a valid boolean (bool_type)"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			f, srv := newFake(t)
			r := put(t, srv, testID, `{"first_name":"Ann","`+tt.field+`":`+tt.value+`}`)
			want := []string{"body." + tt.field + ": " + tt.want}
			if r.status != 422 || !reflect.DeepEqual(r.problems(), want) {
				t.Errorf("%d %s, want 422 with %q", r.status, r.raw, want)
			}
			if n := len(f.Applied()); n != 0 {
				t.Errorf("%d requests applied", n)
			}
		})
	}
}

// A value the table accepts is one the fake accepts, field by field; so
// neither can learn a field, or a rule, without the other.
func TestFakeAcceptsEveryValidExample(t *testing.T) {
	f, srv := newFake(t)
	for _, fd := range table.Fields() {
		if fd.Path == KeyField {
			continue
		}
		for _, v := range fieldCases[fd.Path].Valid {
			r := putJSON(t, srv, testID, map[string]any{fd.Path: v})
			data, _ := r.json["data"].(map[string]any)
			if r.status != 200 || data == nil || data[fd.Path] != v {
				t.Errorf("%s = %.40q: %d %.200s", fd.Path, v, r.status, r.raw)
			}
		}
	}
	// Every valid user id arrives whole, escaped by the client and
	// unescaped by the server.
	for _, v := range fieldCases[KeyField].Valid {
		id := v.(string)
		r := put(t, srv, id, `{}`)
		data, _ := r.json["data"].(map[string]any)
		if r.status != 200 || data["id"] != id {
			t.Errorf("user_id %q: %d %s", id, r.status, r.raw)
		}
		if got := f.Applied(); got[len(got)-1].Key != id {
			t.Errorf("user_id %q applied as %q", id, got[len(got)-1].Key)
		}
	}
}

// A value the table rejects is one the fake rejects, for every field and so
// for every rule (TestEveryFieldHasCases makes sure each rule is broken by
// some case), with the table's own message or a type error.
func TestFakeRejectsEveryInvalidExample(t *testing.T) {
	f, srv := newFake(t)
	for _, fd := range table.Fields() {
		for _, v := range fieldCases[fd.Path].Invalid {
			ruleErr := fd.Check(v)
			if ruleErr == nil {
				t.Fatalf("%s = %q: the table accepts it", fd.Path, v)
			}
			if fd.Path == KeyField {
				id, ok := v.(string)
				if !ok {
					continue // a path is always text
				}
				r := put(t, srv, id, `{}`)
				switch {
				case id == "":
					// No segment where the id should be: no route.
					if r.status != 404 {
						t.Errorf("user_id %q: %d %s, want 404", id, r.status, r.raw)
					}
				case r.status != 422 || !r.hasProblem("path.user_id: "+ruleErr.Error()):
					t.Errorf("user_id %q: %d %s, want 422 naming the path's user_id", id, r.status, r.raw)
				}
				continue
			}
			r := putJSON(t, srv, testID, map[string]any{fd.Path: v})
			if r.status != 422 {
				t.Errorf("%s = %.40q: %d %.200s, want 422", fd.Path, v, r.status, r.raw)
				continue
			}
			want := "body." + fd.Path + ": " + ruleErr.Error() + " (value_error)"
			if !holds(fd.Type, v) {
				// A JSON value of another type: a type error, as the client's.
				want = "body." + fd.Path + ": Input should be a valid "
			}
			if !r.hasProblem(want) {
				t.Errorf("%s = %.40q: problems %q, want %q", fd.Path, v, r.problems(), want)
			}
		}
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d requests applied", n)
	}
}

func TestFakeAnswer(t *testing.T) {
	f, srv := newFake(t)
	r := putJSON(t, srv, testID, map[string]any{"email": "ann@example.com", "is_paying": true})
	r = putJSON(t, srv, testID, map[string]any{"first_name": "Ann", "is_paying": false})
	want := map[string]any{
		"message": "Data updated successfully",
		"meta":    map[string]any{},
		"data": map[string]any{
			"id": testID, "email": "ann@example.com", "first_name": "Ann", "is_paying": false,
			"follower_count": float64(0), "following_count": float64(0),
		},
	}
	if r.status != 200 || !reflect.DeepEqual(r.json, want) {
		t.Errorf("%d %s\nwant %v", r.status, r.raw, want)
	}
	if a := (Provider{}).Read(r.status, r.header, []byte(r.raw), nil); a.Outcome != providers.OK {
		t.Errorf("Read of the fake's answer: %+v", a)
	}
	u, _ := f.User(testID)
	u["first_name"] = "changed"
	if again, _ := f.User(testID); again["first_name"] != "Ann" {
		t.Error("User shares its map with the fake")
	}
	if _, ok := f.User(otherID); ok {
		t.Error("a user that was never sent exists")
	}
}

func TestFakeUniqueness(t *testing.T) {
	f, srv := newFake(t)
	f.SetUser(otherID, "ann@example.com")
	for _, email := range []string{"ann@example.com", "Ann@Example.COM"} {
		r := putJSON(t, srv, testID, map[string]any{"email": email, "first_name": "Ann"})
		want := "email " + email + " is already used by another user"
		if r.status != 409 || r.detail() != want {
			t.Errorf("%s: %d %s, want 409 %q", email, r.status, r.raw, want)
		}
	}
	if u, ok := f.User(testID); ok {
		t.Errorf("a refused request stored %v", u)
	}
	// The owner may send its own address again, in another case too.
	if r := putJSON(t, srv, otherID, map[string]any{"email": "ANN@example.com"}); r.status != 200 {
		t.Errorf("owner: %d %s", r.status, r.raw)
	}
	// Changing an address frees the old one.
	steps := []struct {
		id, email string
		status    int
	}{
		{testID, "ann@example.com", 409},
		{otherID, "ann.new@example.com", 200},
		{testID, "ann@example.com", 200},
		{otherID, "ann@example.com", 409},
	}
	for i, s := range steps {
		if r := putJSON(t, srv, s.id, map[string]any{"email": s.email}); r.status != s.status {
			t.Errorf("step %d: %d %s, want %d", i, r.status, r.raw, s.status)
		}
	}
	// A broken rule is reported before the conflict: nothing is looked up
	// for a request that cannot be applied.
	r := putJSON(t, srv, otherID, map[string]any{"email": "ann@example.com", "role_id": "x"})
	if r.status != 422 || !r.hasProblem("body.role_id: ") {
		t.Errorf("conflict and a broken rule: %d %s", r.status, r.raw)
	}
}

func TestFakeApplied(t *testing.T) {
	f, srv := newFake(t)
	calls := []struct{ id, body string }{
		{testID, `{"first_name":"Ann"}`},
		{testID, `{"role_id":"x"}`}, // rejected
		{"a b/c", `{"is_paying":true}`},
		{otherID, ` {"email" : "bo@example.com"} `},
	}
	for _, c := range calls {
		put(t, srv, c.id, c.body)
	}
	want := []providers.Applied{
		{Key: testID, Body: []byte(calls[0].body)},
		{Key: otherID, Body: []byte(calls[3].body)},
	}
	if got := f.Applied(); !reflect.DeepEqual(got, want) {
		t.Errorf("Applied() = %s, want %s", got, want)
	}
}

func TestFakeWriteError(t *testing.T) {
	f := NewFake(testCreds)
	rec := httptest.NewRecorder()
	f.WriteError(rec, httptest.NewRequest(http.MethodPut, PathPrefix+testID, nil), http.StatusServiceUnavailable, "injected fault")
	if rec.Code != 503 || rec.Header().Get("Content-Type") != "application/json" || rec.Body.String() != `{"detail":"injected fault"}`+"\n" {
		t.Errorf("%d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if a := (Provider{}).Read(rec.Code, rec.Header(), rec.Body.Bytes(), nil); a.Message != "injected fault" {
		t.Errorf("Read = %+v", a)
	}
}

// Concurrent requests for one e-mail address: exactly one user gets it.
func TestFakeConcurrentUniqueness(t *testing.T) {
	f, srv := newFake(t)
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := fmt.Sprintf("%s%s%d?%s", srv.URL, PathPrefix, i+1, goodQuery)
			req, _ := http.NewRequest(http.MethodPut, u, strings.NewReader(`{"email":"same@example.com"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if statuses[0] != 200 || statuses[1] != 409 || statuses[n-1] != 409 {
		t.Errorf("statuses %v, want one 200 and the rest 409", statuses)
	}
	if len(f.Applied()) != 1 {
		t.Errorf("Applied() = %d requests, want 1", len(f.Applied()))
	}
}

// holds reports whether v has the Go type the mapping builds for t.
func holds(t providers.Type, v any) bool {
	switch t {
	case providers.Bool:
		_, ok := v.(bool)
		return ok
	default:
		_, ok := v.(string)
		return ok
	}
}
