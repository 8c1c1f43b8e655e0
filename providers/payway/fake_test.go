package payway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
)

const (
	testToken = "tulo-7f3a9c1e5b2d"
	testID    = "50f3ac249f6aef294d000007"
	otherID   = "50f3ac249f6aef294d000008"
)

var testCreds = providers.Credentials{TokenEnv: providers.NewSecret(testToken)}

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	t.Helper()
	f := NewFake(testCreds)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

type reply struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

// str returns a string member of the JSON answer.
func (r reply) str(k string) string { s, _ := r.json[k].(string); return s }

type call struct {
	method, path, auth, contentType string
	body                            string
}

func do(t *testing.T, srv *httptest.Server, c call) reply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPut
	}
	if c.path == "" {
		c.path = Path
	}
	req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
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
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("answer Content-Type %q", ct)
	}
	return r
}

// put sends a well-formed, authorised request with body.
func put(t *testing.T, srv *httptest.Server, body string) reply {
	t.Helper()
	return do(t, srv, call{auth: "Bearer " + testToken, contentType: "application/json", body: body})
}

// putJSON marshals v (as the provider would) and puts it.
func putJSON(t *testing.T, srv *httptest.Server, v map[string]any) reply {
	t.Helper()
	b, err := providers.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return put(t, srv, string(b))
}

func TestFakeRouting(t *testing.T) {
	f, srv := newFake(t)
	body := `{"id":"` + testID + `"}`
	auth := "Bearer " + testToken
	tests := []struct {
		name   string
		c      call
		status int
		msg    string
	}{
		{"ok", call{auth: auth, contentType: "application/json", body: body}, 200, ""},
		{"charset", call{auth: auth, contentType: "application/json; charset=utf-8", body: body}, 200, ""},
		{"bearer in lower case", call{auth: "bearer " + testToken, contentType: "application/json", body: body}, 200, ""},
		{"no token", call{contentType: "application/json", body: body}, 401, "missing"},
		{"wrong token", call{auth: "Bearer nope", contentType: "application/json", body: body}, 401, "invalid token"},
		{"token prefix", call{auth: "Bearer " + testToken[:5], contentType: "application/json", body: body}, 401, "invalid token"},
		{"basic", call{auth: "Basic " + testToken, contentType: "application/json", body: body}, 401, "Bearer"},
		{"empty bearer", call{auth: "Bearer ", contentType: "application/json", body: body}, 401, "invalid token"},
		{"other path", call{path: "/external/api/v2/account", auth: auth, contentType: "application/json", body: body}, 404, "no such endpoint"},
		{"v1 path", call{path: "/external/api/v1/accounts", auth: auth, contentType: "application/json", body: body}, 404, ""},
		{"POST", call{method: http.MethodPost, auth: auth, contentType: "application/json", body: body}, 405, "use PUT"},
		{"GET", call{method: http.MethodGet, auth: auth}, 405, ""},
		{"no content type", call{auth: auth, body: body}, 415, "application/json"},
		{"text", call{auth: auth, contentType: "text/plain", body: body}, 415, ""},
		{"form", call{auth: auth, contentType: "application/x-www-form-urlencoded", body: "id=" + testID}, 415, ""},
		{"malformed", call{auth: auth, contentType: "application/json", body: `{"id":`}, 400, "malformed JSON"},
		{"trailing data", call{auth: auth, contentType: "application/json", body: body + `{}`}, 400, "malformed JSON"},
		{"array", call{auth: auth, contentType: "application/json", body: `[` + body + `]`}, 400, "JSON object"},
		{"empty", call{auth: auth, contentType: "application/json"}, 400, "malformed JSON"},
		{"too large", call{auth: auth, contentType: "application/json",
			body: `{"id":"` + testID + `","first_name":"` + strings.Repeat("x", MaxBody) + `"}`}, 413, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.c)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
			if tt.status != 200 {
				if r.str("error") == "" || !strings.Contains(r.str("message"), tt.msg) {
					t.Errorf("error body %s, want a message containing %q", r.raw, tt.msg)
				}
				if strings.Contains(r.raw, testToken) {
					t.Errorf("the answer reveals the token: %s", r.raw)
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

func TestFakeWithoutToken(t *testing.T) {
	srv := httptest.NewServer(NewFake(nil))
	t.Cleanup(srv.Close)
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		r := do(t, srv, call{auth: auth, contentType: "application/json", body: `{"id":"` + testID + `"}`})
		if r.status != 401 {
			t.Errorf("auth %q: status %d, want 401 from a fake with no token", auth, r.status)
		}
	}
}

// Structural errors reject the request whatever atomic says: there is
// nothing sensible to apply.
func TestFakeRejectsShape(t *testing.T) {
	_, srv := newFake(t)
	tests := []struct {
		name string
		body string
		msg  string
	}{
		{"unknown field", `{"id":"` + testID + `","nickname":"x"}`, `unknown field "nickname"`},
		{"unknown member", `{"id":"` + testID + `","address":{"street":"s","zip_code":"1","city":"c","country_code":"SE","state":"x"}}`, `unknown field "address.state"`},
		{"member at the top", `{"id":"` + testID + `","address.city":"x"}`, `unknown field "address.city"`},
		{"response field", `{"id":"` + testID + `","updated_fields":"x"}`, `unknown field "updated_fields"`},
		{"atomic string", `{"id":"` + testID + `","atomic":"false"}`, "atomic: must be true or false"},
		{"atomic null", `{"id":"` + testID + `","atomic":null}`, "atomic: must be true or false"},
		{"no id", `{"first_name":"Anna"}`, "id: must_be_set"},
		{"id number", `{"id":5}`, "id: must be a string"},
		{"id bad", `{"id":"50f3ac249f6aef294d00000g","atomic":false}`, "id: must match"},
		{"id too long", `{"id":"50f3ac249f6aef294d0000071","atomic":false}`, "id: must be at most 24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := put(t, srv, tt.body)
			if r.status != 400 || !strings.Contains(r.str("message"), tt.msg) {
				t.Errorf("%d %s, want 400 with %q", r.status, r.raw, tt.msg)
			}
		})
	}
}

func TestFakeRejectsTypes(t *testing.T) {
	tests := []struct {
		field string
		value string // JSON
		msg   string
	}{
		{"email", `5`, "email: must be a string"},
		{"first_name", `null`, "first_name: must be a string"},
		{"birth_date", `19800101`, "birth_date: must be a string"},
		{"alias", `["a"]`, "alias: must be a string"},
		{"tags", `"premium"`, "tags: must be a list of strings"},
		{"tags", `["premium",1]`, "tags: must be a list of strings"},
		{"tags", `[null]`, "tags: must be a list of strings"},
		{"address", `"Storgatan 1"`, "address: must be an object"},
		{"address", `{"street":"s","zip_code":11122,"city":"c","country_code":"SE"}`, "address zip_code: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			f, srv := newFake(t)
			r := put(t, srv, `{"id":"`+testID+`","`+tt.field+`":`+tt.value+`}`)
			if r.status != 400 || !strings.Contains(r.str("message"), tt.msg) {
				t.Errorf("%d %s, want 400 with %q", r.status, r.raw, tt.msg)
			}
			// With atomic false the type error is one failed field.
			r = put(t, srv, `{"id":"`+testID+`","atomic":false,"first_name":"Anna","`+tt.field+`":`+tt.value+`}`)
			if r.status != 207 || !strings.Contains(r.str("not_updated_fields"), tt.msg) {
				t.Errorf("non-atomic: %d %s, want 207 listing %q", r.status, r.raw, tt.msg)
			}
			if tt.field != "first_name" && r.str("updated_fields") != "first_name" {
				t.Errorf("updated_fields = %q, want first_name", r.str("updated_fields"))
			}
			if n := len(f.Applied()); n != 1 {
				t.Errorf("%d requests applied, want the non-atomic one", n)
			}
		})
	}
}

// A value the table accepts is one the fake accepts, field by field; so
// neither can learn a field, or a rule, without the other.
func TestFakeAcceptsEveryValidExample(t *testing.T) {
	f, srv := newFake(t)
	for _, fd := range table.Fields() {
		if fd.Path == "id" {
			continue
		}
		for _, v := range fieldCases[fd.Path].Valid {
			body := map[string]any{"id": testID}
			field := fd.Path
			if parent := fd.Parent(); parent != "" {
				addr := validAddress()
				addr[strings.TrimPrefix(fd.Path, parent+".")] = v
				body[parent], field = addr, parent
			} else {
				body[fd.Path] = v
			}
			r := putJSON(t, srv, body)
			if r.status != 200 || r.str("updated_fields") != field || r.str("not_updated_fields") != "" || r.str("id") != testID {
				t.Errorf("%s = %.40q: %d %.200s", fd.Path, v, r.status, r.raw)
			}
		}
	}
	for _, v := range fieldCases["id"].Valid {
		if r := putJSON(t, srv, map[string]any{"id": v}); r.status != 200 || r.str("updated_fields") != "" {
			t.Errorf("id %q: %d %s", v, r.status, r.raw)
		}
	}
	if len(f.Applied()) == 0 {
		t.Error("nothing applied")
	}
}

// A value the table rejects is one the fake rejects, for every field and so
// for every rule (TestEveryFieldHasCases makes sure each rule is broken by
// some case).
func TestFakeRejectsEveryInvalidExample(t *testing.T) {
	_, srv := newFake(t)
	for _, fd := range table.Fields() {
		for _, v := range fieldCases[fd.Path].Invalid {
			if fd.Path == "id" {
				r := putJSON(t, srv, map[string]any{"id": v, "atomic": false})
				if r.status != 400 || !strings.HasPrefix(r.str("message"), "id: ") {
					t.Errorf("id = %q: %d %s, want 400", v, r.status, r.raw)
				}
				continue
			}
			ruleErr := fd.Check(v)
			if ruleErr == nil {
				t.Fatalf("%s = %q: the table accepts it", fd.Path, v)
			}
			body := map[string]any{"id": testID}
			if parent := fd.Parent(); parent != "" {
				addr := validAddress()
				addr[strings.TrimPrefix(fd.Path, parent+".")] = v
				body[parent] = addr
			} else {
				body[fd.Path] = v
			}
			label := strings.ReplaceAll(fd.Path, ".", " ") + ": "
			r := putJSON(t, srv, body)
			if r.status != 400 || !strings.Contains(r.str("message"), label) {
				t.Errorf("%s = %.40q: %d %.200s, want 400 naming the field", fd.Path, v, r.status, r.raw)
			}
			// The fake says what the table says, or that the JSON type is
			// wrong (an int64 where a string belongs).
			if _, isString := v.(string); isString && !strings.Contains(r.str("message"), label+ruleErr.Error()) {
				t.Errorf("%s = %.40q: message %.200q, want %q", fd.Path, v, r.str("message"), label+ruleErr.Error())
			}
			body["atomic"] = false
			if fd.Path == "first_name" {
				body["last_name"] = "Anna"
			} else {
				body["first_name"] = "Anna"
			}
			r = putJSON(t, srv, body)
			if r.status != 207 || !strings.Contains(r.str("not_updated_fields"), label) || r.str("updated_fields") == "" {
				t.Errorf("%s = %.40q non-atomic: %d %.200s, want 207 listing the field", fd.Path, v, r.status, r.raw)
			}
		}
	}
}

func TestFakeAddressRequiredMembers(t *testing.T) {
	f, srv := newFake(t)
	for _, member := range []string{"street", "zip_code", "city", "country_code"} {
		addr := validAddress()
		delete(addr, member)
		r := putJSON(t, srv, map[string]any{"id": testID, "address": addr})
		want := "address " + member + ": must_be_set"
		if r.status != 400 || !strings.Contains(r.str("message"), want) {
			t.Errorf("without %s: %d %s, want 400 with %q", member, r.status, r.raw, want)
		}
		addr[member] = ""
		r = putJSON(t, srv, map[string]any{"id": testID, "address": addr, "last_name": "Berg", "atomic": false})
		if r.status != 207 || r.str("not_updated_fields") != want || r.str("updated_fields") != "last_name" {
			t.Errorf("with an empty %s: %d %s, want 207 with %q", member, r.status, r.raw, want)
		}
	}
	// Several missing members are all listed, in table order.
	r := putJSON(t, srv, map[string]any{"id": testID, "address": map[string]any{"city": "Lund"}, "atomic": false})
	if got, want := r.str("not_updated_fields"), "address street: must_be_set, address zip_code: must_be_set, address country_code: must_be_set"; got != want {
		t.Errorf("not_updated_fields = %q, want %q", got, want)
	}
	if acc, _ := f.Account(testID); acc["address"] != nil || acc["last_name"] != "Berg" {
		t.Errorf("account = %v: an invalid address was stored, or last_name was not", acc)
	}
	// An optional member may be empty.
	addr := validAddress()
	addr["floor"] = ""
	if r := putJSON(t, srv, map[string]any{"id": testID, "address": addr}); r.status != 200 {
		t.Errorf("empty optional member: %d %s", r.status, r.raw)
	}
}

func TestFakeUniqueness(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value string
	}{
		{"email", "email", "taken@example.com"},
		{"email in another case", "email", "Taken@Example.COM"},
		{"social security number", "social_security_number", "800101-1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			f.SetAccount(otherID, "taken@example.com", "800101-1234")
			want := tt.field + ": must_be_unique"

			// atomic (the default): 409, nothing applied.
			r := putJSON(t, srv, map[string]any{"id": testID, tt.field: tt.value, "first_name": "Anna"})
			if r.status != 409 || !strings.Contains(r.str("message"), want) {
				t.Errorf("atomic: %d %s, want 409 with %q", r.status, r.raw, want)
			}
			if acc, ok := f.Account(testID); ok {
				t.Errorf("atomic: account stored %v", acc)
			}
			// A conflict together with a malformed field is a 400.
			r = putJSON(t, srv, map[string]any{"id": testID, tt.field: tt.value, "birth_date": "1980-02-30"})
			if r.status != 400 || !strings.Contains(r.str("message"), want) || !strings.Contains(r.str("message"), "birth_date: ") {
				t.Errorf("atomic with a bad date: %d %s", r.status, r.raw)
			}

			// atomic false: 207, the other fields applied.
			r = putJSON(t, srv, map[string]any{"id": testID, tt.field: tt.value, "first_name": "Anna", "atomic": false})
			if r.status != 207 || r.str("not_updated_fields") != want || r.str("updated_fields") != "first_name" {
				t.Errorf("non-atomic: %d %s", r.status, r.raw)
			}
			acc, _ := f.Account(testID)
			if acc["first_name"] != "Anna" || acc[tt.field] != nil {
				t.Errorf("non-atomic: account %v", acc)
			}
			if got := f.Applied(); len(got) != 1 || got[0].Key != testID {
				t.Errorf("Applied() = %v, want the non-atomic request", got)
			}

			// The owner itself may send its own value again.
			if r := putJSON(t, srv, map[string]any{"id": otherID, tt.field: tt.value}); r.status != 200 {
				t.Errorf("owner: %d %s", r.status, r.raw)
			}
		})
	}
}

func TestFakeFreesAChangedValue(t *testing.T) {
	_, srv := newFake(t)
	steps := []struct {
		id, email string
		status    int
	}{
		{otherID, "old@example.com", 200},
		{testID, "old@example.com", 409},
		{otherID, "new@example.com", 200}, // frees old@
		{testID, "old@example.com", 200},
		{otherID, "old@example.com", 409},
	}
	for i, s := range steps {
		if r := putJSON(t, srv, map[string]any{"id": s.id, "email": s.email}); r.status != s.status {
			t.Errorf("step %d: %d %s, want %d", i, r.status, r.raw, s.status)
		}
	}
}

func TestFakeAppliesDocumentSemantics(t *testing.T) {
	f, srv := newFake(t)
	putJSON(t, srv, map[string]any{"id": testID, "tags": []string{"a", "b"}, "alias": "anna", "address": validAddress()})
	r := putJSON(t, srv, map[string]any{"id": testID, "tags": []string{"c"}, "alias": Unset,
		"address": map[string]any{"street": "Lillgatan", "zip_code": "22100", "city": "Lund", "country_code": "SE"}})
	if r.status != 200 || r.str("updated_fields") != "alias address tags" {
		t.Errorf("%d %s", r.status, r.raw)
	}
	acc, _ := f.Account(testID)
	want := map[string]any{
		"tags":    []string{"c"}, // tags replace all existing tags
		"address": map[string]any{"street": "Lillgatan", "zip_code": "22100", "city": "Lund", "country_code": "SE"},
	}
	if !reflect.DeepEqual(acc, want) {
		t.Errorf("account = %v, want %v (alias cleared by %s)", acc, want, Unset)
	}
	// Account returns a copy.
	acc["tags"].([]string)[0] = "changed"
	if again, _ := f.Account(testID); again["tags"].([]string)[0] != "c" {
		t.Error("Account shares its tags with the fake")
	}
}

func TestFakeApplied(t *testing.T) {
	f, srv := newFake(t)
	bodies := []string{
		`{"id":"` + testID + `","first_name":"A"}`,
		`{"id":"` + testID + `","mobile_phone_number":"12"}`, // rejected
		`{"id":"` + otherID + `","first_name":"B","email":"x","atomic":false}`,
	}
	for _, b := range bodies {
		put(t, srv, b)
	}
	want := []providers.Applied{{Key: testID, Body: []byte(bodies[0])}, {Key: otherID, Body: []byte(bodies[2])}}
	if got := f.Applied(); !reflect.DeepEqual(got, want) {
		t.Errorf("Applied() = %s, want %s", got, want)
	}
}

func TestFakeFailNext(t *testing.T) {
	f, srv := newFake(t)
	f.FailNext(2, http.StatusTooManyRequests, "3")
	body := `{"id":"` + testID + `"}`
	for i := range 2 {
		// Faults come before routing and auth: a gateway answers them.
		r := do(t, srv, call{body: body})
		if r.status != 429 || r.header.Get("Retry-After") != "3" || r.str("error") != "too_many_requests" {
			t.Errorf("request %d: %d %v %s", i, r.status, r.header, r.raw)
		}
	}
	if r := put(t, srv, body); r.status != 200 {
		t.Errorf("after the faults: %d %s", r.status, r.raw)
	}
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d applied, want 1", n)
	}
}

func TestFakeSetFault(t *testing.T) {
	f, srv := newFake(t)
	var mu sync.Mutex
	seen := 0
	f.SetFault(func(r *http.Request) (Fault, bool) {
		mu.Lock()
		defer mu.Unlock()
		seen++
		if strings.Contains(r.Header.Get("X-Test"), "fail") {
			return Fault{Status: http.StatusServiceUnavailable}, true
		}
		return Fault{}, false
	})
	req, _ := http.NewRequest(http.MethodPut, srv.URL+Path, strings.NewReader(`{"id":"`+testID+`"}`))
	req.Header.Set("X-Test", "fail")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" {
		t.Errorf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if r := put(t, srv, `{"id":"`+testID+`"}`); r.status != 200 {
		t.Errorf("%d %s", r.status, r.raw)
	}
	f.SetFault(nil)
	put(t, srv, `{"id":"`+testID+`"}`)
	if seen != 2 {
		t.Errorf("hook asked %d times, want 2", seen)
	}
}

// Concurrent requests for one e-mail address: exactly one account gets it.
func TestFakeConcurrentUniqueness(t *testing.T) {
	f, srv := newFake(t)
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"id":"%024x","email":"same@example.com"}`, i+1)
			req, _ := http.NewRequest(http.MethodPut, srv.URL+Path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testToken)
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

func TestFakeDelayThenHandle(t *testing.T) {
	f, srv := newFake(t)
	f.SetFault(func(*http.Request) (Fault, bool) { return Fault{Delay: 10 * time.Millisecond}, true })
	start := time.Now()
	if r := put(t, srv, `{"id":"`+testID+`","first_name":"Slow"}`); r.status != 200 || r.str("updated_fields") != "first_name" {
		t.Errorf("%d %s", r.status, r.raw)
	}
	if d := time.Since(start); d < 10*time.Millisecond {
		t.Errorf("answered after %v, before the delay", d)
	}
	f.SetFault(func(*http.Request) (Fault, bool) {
		return Fault{Delay: time.Millisecond, Status: http.StatusGatewayTimeout}, true
	})
	if r := put(t, srv, `{"id":"`+testID+`"}`); r.status != 504 {
		t.Errorf("%d %s", r.status, r.raw)
	}
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d applied, want 1", n)
	}
}
