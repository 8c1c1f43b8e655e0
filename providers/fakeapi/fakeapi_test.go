package fakeapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// table has a field of every kind Check converts.
var table = providers.NewTable(
	providers.Field{Path: "id", Type: providers.Int, Required: true},
	providers.Field{Path: "name", Type: providers.String, Rules: []providers.Rule{providers.Length(0, 5)}},
	providers.Field{Path: "born", Type: providers.Date, Rules: []providers.Rule{providers.ValidDate()}},
	providers.Field{Path: "active", Type: providers.Bool},
	providers.Field{Path: "tags", Type: providers.StringList},
	providers.Field{Path: "logo", Type: providers.File, Rules: []providers.Rule{providers.JPEG()}},
	providers.Field{Path: "lists", Type: providers.NameSet},
	providers.Field{Path: "home", Type: providers.Object},
	providers.Field{Path: "home.city", Type: providers.String, Required: true},
	providers.Field{Path: "home.zip", Type: providers.String},
	providers.Field{Path: "phones", Type: providers.ObjectList},
	providers.Field{Path: "phones[].number", Type: providers.String, Required: true},
)

func problems(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestCheckConvertsAndOrders(t *testing.T) {
	obj, err := DecodeJSON([]byte(`{"zeta":1,"id":7,"name":"Ann","born":"2001-02-03","active":true,"tags":["a"],
		"logo":"/9j/","lists":{"news":1},"home":{"city":"Lund","floor":2},"phones":[{"number":"1"},{"number":"2","ext":"9"}],"alpha":0}`))
	if err != nil {
		t.Fatal(err)
	}
	got, ps := Check(table, obj, CheckOptions{})
	// Unknown members first, depth first in sorted order.
	want := []string{`unknown field "alpha"`, `unknown field "home.floor"`, `unknown field "phones[1].ext"`, `unknown field "zeta"`}
	if !reflect.DeepEqual(problems(ps), want) {
		t.Errorf("problems %q, want %q", problems(ps), want)
	}
	wantValues := map[string]any{
		"id": int64(7), "name": "Ann", "born": "2001-02-03", "active": true, "tags": []string{"a"},
		"logo": []byte{0xFF, 0xD8, 0xFF}, "lists": map[string]int64{"news": 1}, "home": map[string]any{"city": "Lund"},
		"phones": []any{map[string]any{"number": "1"}, map[string]any{"number": "2"}},
	}
	if !reflect.DeepEqual(got, wantValues) {
		t.Errorf("values\n %#v\nwant\n %#v", got, wantValues)
	}
}

func TestCheckProblems(t *testing.T) {
	for body, want := range map[string][]string{
		`{}`:                            {"id: is required"},
		`{"id":"7"}`:                    {"id: must be a whole number"},
		`{"id":7.5}`:                    {"id: must be a whole number"},
		`{"id":7,"name":"Annabel"}`:     {"name: must be at most 5 characters"},
		`{"id":7,"name":null}`:          {"name: must be a string"},
		`{"id":7,"born":"2001-02-30"}`:  {"born: must be a date written YYYY-MM-DD"},
		`{"id":7,"active":"true"}`:      {"active: must be true or false"},
		`{"id":7,"tags":["a",1]}`:       {"tags: must be a list of strings"},
		`{"id":7,"logo":"not base64"}`:  {"logo: must be a base64 string"},
		`{"id":7,"logo":"QEA="}`:        {"logo: must be a JPEG image"},
		`{"id":7,"lists":{"a":2,"":1}}`: {"lists: has an empty name", "lists.a: must be 1"},
		`{"id":7,"lists":["a"]}`:        {"lists: must be an object of names set to 1"},
		`{"id":7,"home":{"zip":"1"}}`:   {"home.city: is required"},
		`{"id":7,"home":{"city":""}}`:   {"home.city: is required"},
		`{"id":7,"home":"Lund"}`:        {"home: must be an object"},
		`{"id":7,"phones":[{},"x"]}`:    {"phones[0].number: is required", "phones[1]: must be an object"},
		`{"id":7,"phones":{}}`:          {"phones: must be an array of objects"},
		`{"id":7,"home.city":"Lund"}`:   {`unknown field "home.city"`},
		`{"id":7,"phones[].number":""}`: {`unknown field "phones[].number"`},
	} {
		obj, err := DecodeJSON([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		got, ps := Check(table, obj, CheckOptions{})
		if !reflect.DeepEqual(problems(ps), want) {
			t.Errorf("%s: problems %q, want %q", body, problems(ps), want)
		}
		for _, p := range ps {
			top, _, _ := strings.Cut(p.Path, ".")
			top, _, _ = strings.Cut(top, "[")
			if _, ok := got[top]; ok && p.Kind != Unknown {
				t.Errorf("%s: %s passed despite %s", body, top, p)
			}
		}
	}
}

// XML's text converts as JSON does; its booleans are 1 and 0 only, and an
// empty element is an empty object.
func TestCheckText(t *testing.T) {
	obj := map[string]any{"id": Text(" 7 "), "name": Text("Ann"), "active": Text("1"), "home": Text(""), "lists": map[string]any{"news": Text("1")}}
	got, ps := Check(table, obj, CheckOptions{})
	if len(ps) != 0 || !reflect.DeepEqual(got, map[string]any{"id": int64(7), "name": "Ann", "active": true, "lists": map[string]int64{"news": 1}}) {
		t.Errorf("%v %v", got, problems(ps))
	}
	for _, v := range []string{"true", "false", "yes", ""} {
		_, ps := Check(table, map[string]any{"id": Text("7"), "active": Text(v)}, CheckOptions{})
		if len(ps) != 1 || ps[0].Kind != WrongType {
			t.Errorf("active %q: %v", v, problems(ps))
		}
	}
}

func TestCheckOptions(t *testing.T) {
	obj, _ := DecodeJSON([]byte(`{"name":null,"home":{"city":"Lund","zip":null},"logo":5}`))
	got, ps := Check(table, obj, CheckOptions{
		NullIsNoChange: true,
		Required:       func(f *providers.Field) bool { return f.Path == "home.city" },
		TypeMessage: func(f *providers.Field) string {
			if f.Type == providers.File {
				return "must be the image's bytes"
			}
			return ""
		},
	})
	if !reflect.DeepEqual(problems(ps), []string{"logo: must be the image's bytes"}) {
		t.Errorf("problems %q", problems(ps))
	}
	if !reflect.DeepEqual(got, map[string]any{"home": map[string]any{"city": "Lund", "zip": nil}}) {
		t.Errorf("values %v: a null field is left out, a null member kept", got)
	}
}

func TestAccounts(t *testing.T) {
	a := NewAccounts("email")
	a.Seed("1", map[string]any{"email": "Ann@example.com", "tags": []string{"x"}})
	err := a.Update("2", func(acc *Account) error {
		if !acc.Taken("email", "ann@EXAMPLE.com") {
			t.Error("a taken address, in another case, is free")
		}
		return ErrUnchanged
	})
	if !errors.Is(err, ErrUnchanged) {
		t.Errorf("Update = %v", err)
	}
	if _, ok := a.Get("2"); ok {
		t.Error("a refused change created its account")
	}
	_ = a.Update("1", func(acc *Account) error { acc.Set("email", "ann.new@example.com"); return nil })
	_ = a.Update("2", func(acc *Account) error {
		if acc.Taken("email", "ann@example.com") || acc.Seq != 2 {
			t.Errorf("the old address is still taken, or Seq %d", acc.Seq)
		}
		acc.Set("email", "ann@example.com")
		return nil
	})
	got, _ := a.Get("1")
	got["tags"].([]string)[0] = "changed"
	if again, _ := a.Get("1"); again["tags"].([]string)[0] != "x" || again["email"] != "ann.new@example.com" {
		t.Errorf("Get shares its values, or lost one: %v", again)
	}
}

// spec is a small API on the engine: PUT /v1/thing/{id} with a key header.
func spec(handled *int) Spec {
	return Spec{
		Method: http.MethodPut, Path: "/v1/thing/{id}", MediaTypes: []string{"application/json", "text/xml"},
		DefaultMediaType: "", MaxBody: 64,
		Decoders: map[string]func([]byte) (map[string]any, error){"text/xml": func([]byte) (map[string]any, error) { return nil, errors.New("no XML here") }},
		Authorize: func(r *http.Request) (int, string) {
			if r.Header.Get("Key") != "k" {
				return http.StatusForbidden, "no key"
			}
			return 0, ""
		},
		Refuse: func(w http.ResponseWriter, _ *http.Request, why Refusal) {
			http.Error(w, fmt.Sprintf("%d %s", why.Kind, why.Detail), why.Status)
		},
		Handle: func(w http.ResponseWriter, c *Call) {
			*handled++
			c.Record(c.Param)
			WriteJSON(w, http.StatusOK, "application/json", map[string]any{"id": c.Param})
		},
	}
}

func TestServerChecksInOrder(t *testing.T) {
	handled := 0
	s := New(spec(&handled))
	srv := httptest.NewServer(s)
	defer srv.Close()
	send := func(method, path, key, ct, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Key", key)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := make([]byte, 200)
		n, _ := resp.Body.Read(b)
		return resp.StatusCode, strings.TrimSpace(string(b[:n]))
	}
	for _, tt := range []struct {
		method, path, key, ct, body string
		status                      int
		msg                         string
	}{
		{"PUT", "/v1/thing/a%20b", "k", "application/json", `{}`, 200, `{"id":"a%20b"}`},
		{"PUT", "/v1/thing/", "k", "application/json", `{}`, 404, fmt.Sprintf("%d /v1/thing/", NotFound)},
		{"PUT", "/v1/thing/a/b", "k", "application/json", `{}`, 404, ""},
		{"POST", "/v1/thing/a", "", "", ``, 405, fmt.Sprintf("%d POST", MethodNotAllowed)},
		{"PUT", "/v1/thing/a", "", "text/plain", `{}`, 403, fmt.Sprintf("%d no key", Unauthorized)},
		{"PUT", "/v1/thing/a", "k", "", `{}`, 415, fmt.Sprint(UnsupportedMediaType)},
		{"PUT", "/v1/thing/a", "k", "application/json", strings.Repeat(" ", 65), 413, fmt.Sprintf("%d 64", TooLarge)},
		{"PUT", "/v1/thing/a", "k", "application/json", `{"a":`, 400, fmt.Sprintf("%d unexpected EOF", Malformed)},
		{"PUT", "/v1/thing/a", "k", "application/json", `[]`, 400, fmt.Sprintf("%d the body must be a JSON object", NotObject)},
		{"PUT", "/v1/thing/a", "k", "application/json", `{} {}`, 400, fmt.Sprintf("%d data after the JSON value", Malformed)},
		{"PUT", "/v1/thing/a", "k", "text/xml", `<a/>`, 400, fmt.Sprintf("%d no XML here", Malformed)},
	} {
		status, msg := send(tt.method, tt.path, tt.key, tt.ct, tt.body)
		if status != tt.status || !strings.HasPrefix(msg, tt.msg) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, status, msg, tt.status, tt.msg)
		}
	}
	if handled != 1 || len(s.Applied()) != 1 || s.Applied()[0].Key != "a%20b" {
		t.Errorf("handled %d, applied %v", handled, s.Applied())
	}

	// Faults come first, before routing and authentication.
	s.FailNext(1, http.StatusTooManyRequests, "3")
	if status, msg := send("GET", "/nowhere", "", "", ""); status != 429 || msg != fmt.Sprintf("%d injected fault: Too Many Requests", Injected) {
		t.Errorf("fault: %d %q", status, msg)
	}
	var mu sync.Mutex
	asked := 0
	s.SetFault(func(*http.Request) (Fault, bool) {
		mu.Lock()
		defer mu.Unlock()
		asked++
		s.Applied() // the hook may use the server: it is called without its lock
		return Fault{Delay: 5 * time.Millisecond}, true
	})
	start := time.Now()
	if status, _ := send("PUT", "/v1/thing/b", "k", "application/json", `{}`); status != 200 || time.Since(start) < 5*time.Millisecond {
		t.Errorf("delayed: %d after %v", status, time.Since(start))
	}
	s.SetFault(nil)
	send("PUT", "/v1/thing/c", "k", "application/json", `{}`)
	if asked != 1 || handled != 3 {
		t.Errorf("hook asked %d times, %d handled", asked, handled)
	}
}

// TestAppliedLogIsBounded: past its budget the log keeps keys, not bodies,
// so a long sandbox rehearsal does not hold every request in memory.
func TestAppliedLogIsBounded(t *testing.T) {
	defer func(old int) { maxKept = old }(maxKept)
	maxKept = 10
	handled := 0
	s := New(spec(&handled))
	for _, key := range []string{"a", "b", "c"} {
		(&Call{Body: []byte("123456"), server: s}).Record(key)
	}
	got := s.Applied()
	if len(got) != 3 || string(got[0].Body) != "123456" || got[1].Body != nil || got[2].Key != "c" {
		t.Errorf("applied %q", got)
	}
}

func TestNewRefusesAnIncompleteSpec(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a Spec without Handle did not panic")
		}
	}()
	s := spec(new(int))
	s.Handle = nil
	New(s)
}
