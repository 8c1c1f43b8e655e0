package userapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

const (
	// testKey has characters that a URL escapes, so a test can tell the
	// raw key from its escaped form.
	testKey = "in-a+b/c=d"
	testID  = "42"
	otherID = "43"
)

var (
	testCreds = providers.Credentials{KeyEnv: providers.NewSecret(testKey)}
	goodQuery = KeyParam + "=" + url.QueryEscape(testKey)
)

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	return providertest.ServeFake(t, NewFake(testCreds))
}

// problems returns a 422 answer's validation list as "loc: msg (type)".
func problems(r providertest.Reply) []string {
	list, _ := r.JSON["detail"].([]any)
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

// call sends a raw request to path?query; a method "" is PUT.
func call(t *testing.T, srv *httptest.Server, method, path, query string, h http.Header, body string) providertest.Reply {
	t.Helper()
	if method == "" {
		method = http.MethodPut
	}
	if query != "" {
		path += "?" + query
	}
	r := providertest.Do(t, srv, providertest.Request(t, srv, method, path, h, body))
	if r.JSON == nil || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("answer %d is not JSON: %q", r.Status, r.Raw)
	}
	providertest.NoSecret(t, r.Raw, testCreds)
	return r
}

// put sends a well-formed, authorised request for user id: body, or v
// marshalled as the provider would.
func put(t *testing.T, srv *httptest.Server, id string, v any) providertest.Reply {
	t.Helper()
	return call(t, srv, "", PathPrefix+url.PathEscape(id), goodQuery, http.Header{"Content-Type": {"application/json"}}, providertest.Body(t, v))
}

// The key travels only in the api_key query parameter, escaped as a query
// escapes it; the path holds exactly one segment.
func TestFakeRouting(t *testing.T) {
	f, srv := newFake(t)
	ct := http.Header{"Content-Type": {"application/json"}}
	body := `{"first_name":"Ann"}`
	tests := []struct {
		name, method, path, query string
		header                    http.Header
		body                      string
		status                    int
		detail                    string // the string detail, or the first problem of a 422
	}{
		{"other parameters", "", PathPrefix + testID, "trace=1&" + goodQuery, ct, body, 200, ""},
		{"no key", "", PathPrefix + testID, "", ct, body, 401, "Not authenticated"},
		{"empty key", "", PathPrefix + testID, KeyParam + "=", ct, body, 401, "Not authenticated"},
		{"key in a header", "", PathPrefix + testID, "", http.Header{"Content-Type": {"application/json"}, "Api_key": {testKey}, "Authorization": {"Bearer " + testKey}}, body, 401, "Not authenticated"},
		{"key in the body", "", PathPrefix + testID, "", ct, `{"api_key":"` + testKey + `"}`, 401, "Not authenticated"},
		{"key unescaped", "", PathPrefix + testID, KeyParam + "=" + testKey, ct, body, 401, "Invalid API key"},
		{"other name", "", PathPrefix + testID, "apikey=" + url.QueryEscape(testKey), ct, body, 401, "Not authenticated"},
		{"users", "", "/api/v1/users/42", goodQuery, ct, body, 404, "Not Found"},
		{"no id", "", PathPrefix, goodQuery, ct, body, 404, "Not Found"},
		{"no slash", "", "/api/v1/user", goodQuery, ct, body, 404, "Not Found"},
		{"two segments", "", PathPrefix + "42/7", goodQuery, ct, body, 404, "Not Found"},
		{"escaped slash", "", PathPrefix + "42%2F7", goodQuery, ct, body, 422, `path.user_id: must be one segment of the URL path: not empty, without "/", not "." or ".." (value_error)`},
		{"escaped dot dot", "", PathPrefix + "%2E%2E", goodQuery, ct, body, 422, "path.user_id: must be one segment"},
		{"POST", http.MethodPost, PathPrefix + testID, goodQuery, ct, body, 405, "Method Not Allowed"},
		{"no content type", "", PathPrefix + testID, goodQuery, nil, body, 415, "Content-Type must be application/json"},
		{"malformed", "", PathPrefix + testID, goodQuery, ct, `{"first_name":`, 422, "body: JSON decode error"},
		{"array", "", PathPrefix + testID, goodQuery, ct, `[` + body + `]`, 422, "body: Input should be a valid dictionary"},
		{"too large", "", PathPrefix + testID, goodQuery, ct, `{"first_name":"` + strings.Repeat("x", MaxBody) + `"}`, 413, fmt.Sprintf("Request body larger than %d bytes", MaxBody)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.method, tt.path, tt.query, tt.header, tt.body)
			got := r.Str("detail")
			if ps := problems(r); len(ps) > 0 {
				got = ps[0]
			}
			if r.Status != tt.status || !strings.HasPrefix(got, tt.detail) {
				t.Errorf("%d %s, want %d %q", r.Status, r.Raw, tt.status, tt.detail)
			}
			if (r.Status == 401) != (r.Header.Get("WWW-Authenticate") == "APIKey") || (r.Status == 405) != (r.Header.Get("Allow") == http.MethodPut) {
				t.Errorf("headers %v", r.Header)
			}
		})
	}
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d requests applied, want the one that was ok", n)
	}
}

// The body's shape: only documented fields, user_id never, every problem
// listed at once in FastAPI's words.
func TestFakeRejectsShape(t *testing.T) {
	f, srv := newFake(t)
	for body, want := range map[string][]string{
		`{"nickname":"x"}`:                      {"body.nickname: Extra inputs are not permitted (extra_forbidden)"},
		`{"user_id":"42","first_name":"Ann"}`:   {"body.user_id: user_id belongs in the path, not the body (extra_forbidden)"},
		`{"id":"42"}`:                           {"body.id: Extra inputs are not permitted (extra_forbidden)"},
		`{"follower_count":0}`:                  {"body.follower_count: Extra inputs are not permitted (extra_forbidden)"},
		`{"Email":"ann@example.com"}`:           {"body.Email: Extra inputs are not permitted (extra_forbidden)"},
		`{"email":5,"first_name":null}`:         {"body.first_name: Input should be a valid string (string_type)", "body.email: Input should be a valid string (string_type)"},
		`{"is_active":"true","is_paying":1}`:    {"body.is_active: Input should be a valid boolean (bool_type)", "body.is_paying: Input should be a valid boolean (bool_type)"},
		`{"birthdate":19870315,"role_id":null}`: {"body.birthdate: Input should be a valid string (string_type)", "body.role_id: Input should be a valid string (string_type)"},
		`{"zeta":1,"email":"bad","alpha":2,"is_paying":"yes"}`: {
			"body.alpha: Extra inputs are not permitted (extra_forbidden)",
			"body.zeta: Extra inputs are not permitted (extra_forbidden)",
			"body.email: must be an e-mail address (name@example.com) (value_error)",
			"body.is_paying: Input should be a valid boolean (bool_type)",
		},
	} {
		if r := put(t, srv, testID, body); r.Status != 422 || !reflect.DeepEqual(problems(r), want) {
			t.Errorf("%s: %d %s\nwant 422 with %q", body, r.Status, r.Raw, want)
		}
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d requests applied", n)
	}
}

// Every user id the table accepts arrives whole, escaped by the client and
// unescaped by the server; every one it refuses is refused in the path.
func TestFakeUserIDInPath(t *testing.T) {
	f, srv := newFake(t)
	for _, v := range fieldCases[KeyField].Valid {
		id := v.(string)
		r := put(t, srv, id, `{}`)
		if data, _ := r.JSON["data"].(map[string]any); r.Status != 200 || data["id"] != id {
			t.Errorf("user_id %q: %d %s", id, r.Status, r.Raw)
		}
		if got := f.Applied(); got[len(got)-1].Key != id {
			t.Errorf("user_id %q applied as %q", id, got[len(got)-1].Key)
		}
	}
	keyField, _ := table.Lookup(KeyField)
	for _, v := range fieldCases[KeyField].Invalid {
		id, ok := v.(string)
		if !ok {
			continue // a path is always text
		}
		r := put(t, srv, id, `{}`)
		want := []string{"path.user_id: " + keyField.Check(id).Error() + " (value_error)"}
		switch {
		case id == "":
			if r.Status != 404 { // no segment where the id should be: no route
				t.Errorf("user_id %q: %d %s, want 404", id, r.Status, r.Raw)
			}
		case r.Status != 422 || !reflect.DeepEqual(problems(r), want):
			t.Errorf("user_id %q: %d %s, want 422 %q", id, r.Status, r.Raw, want)
		}
	}
}

func TestFakeAnswer(t *testing.T) {
	f, srv := newFake(t)
	put(t, srv, testID, map[string]any{"email": "ann@example.com", "is_paying": true})
	r := put(t, srv, testID, map[string]any{"first_name": "Ann", "is_paying": false})
	want := map[string]any{
		"message": "Data updated successfully",
		"meta":    map[string]any{},
		"data": map[string]any{
			"id": testID, "email": "ann@example.com", "first_name": "Ann", "is_paying": false,
			"follower_count": float64(0), "following_count": float64(0),
		},
	}
	if r.Status != 200 || !reflect.DeepEqual(r.JSON, want) {
		t.Errorf("%d %s\nwant %v", r.Status, r.Raw, want)
	}
	if a := (Provider{}).Read(r.Status, r.Header, []byte(r.Raw), nil); a.Outcome != providers.OK {
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

// A taken address is FastAPI's 409 with a detail; a broken rule is reported
// first, since nothing is looked up for a request that cannot be applied.
func TestFakeUniqueness(t *testing.T) {
	f, srv := newFake(t)
	f.SetUser(otherID, "ann@example.com")
	r := put(t, srv, testID, map[string]any{"email": "Ann@Example.COM", "first_name": "Ann"})
	if r.Status != 409 || r.Str("detail") != "email Ann@Example.COM is already used by another user" {
		t.Errorf("%d %s", r.Status, r.Raw)
	}
	if u, ok := f.User(testID); ok {
		t.Errorf("a refused request stored %v", u)
	}
	r = put(t, srv, testID, map[string]any{"email": "ann@example.com", "role_id": "x"})
	if r.Status != 422 || len(problems(r)) != 1 || !strings.HasPrefix(problems(r)[0], "body.role_id: ") {
		t.Errorf("conflict and a broken rule: %d %s", r.Status, r.Raw)
	}
}
