package payway

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// The token, and two accounts' ids.
const testToken, testID, otherID = "tulo-7f3a9c1e5b2d", "50f3ac249f6aef294d000007", "50f3ac249f6aef294d000008"

var testCreds = providers.Credentials{TokenEnv: providers.NewSecret(testToken)}

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	return providertest.ServeFake(t, NewFake(testCreds))
}

// send sends body as a PUT, with auth as the Authorization header ("" for
// none); the answer is always Payway's JSON.
func send(t *testing.T, srv *httptest.Server, auth, body string) providertest.Reply {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	if auth != "" {
		h.Set("Authorization", auth)
	}
	r := providertest.Do(t, srv, providertest.Request(t, srv, http.MethodPut, Path, h, body))
	if r.JSON == nil {
		t.Errorf("answer %d is not a JSON object: %q", r.Status, r.Raw)
	}
	return r
}

// put sends a well-formed, authorised request: a body, or a value as the
// provider would encode it.
func put(t *testing.T, srv *httptest.Server, v any) providertest.Reply {
	t.Helper()
	return send(t, srv, "Bearer "+testToken, providertest.Body(t, v))
}

// The Bearer scheme, in any case, and nothing else; an error is the common
// convention, its description saying why.
func TestFakeAuthorization(t *testing.T) {
	_, srv := newFake(t)
	body := `{"id":"` + testID + `"}`
	for auth, want := range map[string]string{
		"bearer " + testToken:        "",
		"":                           "missing Authorization: Bearer token",
		"Bearer nope":                "invalid token",
		"Bearer " + testToken[:5]:    "invalid token",
		"Basic " + testToken:         "the Authorization scheme must be Bearer",
		"Bearer ":                    "invalid token",
		testToken:                    "the Authorization scheme must be Bearer",
		"Bearer  " + testToken + " ": "",
	} {
		r := send(t, srv, auth, body)
		switch {
		case want == "" && r.Status != 200:
			t.Errorf("%q: %d %s", auth, r.Status, r.Raw)
		case want != "" && (r.Status != 401 || r.Str("error") != "unauthorized" || r.Str("error_description") != want ||
			r.Header.Get("WWW-Authenticate") == ""):
			t.Errorf("%q: %d %v %s, want 401 %q", auth, r.Status, r.Header, r.Raw, want)
		}
	}
}

// Structural errors reject the request whatever atomic says: there is
// nothing sensible to apply.
func TestFakeRejectsShape(t *testing.T) {
	f, srv := newFake(t)
	for body, want := range map[string]string{
		`{"id":"` + testID + `","nickname":"x"}`: `unknown field "nickname"`,
		`{"id":"` + testID + `","address":{"street":"s","zip_code":"1","city":"c","country_code":"SE","state":"x"}}`: `unknown field "address.state"`,
		`{"id":"` + testID + `","address.city":"x"}`:                                                                 `unknown field "address.city"`,
		`{"id":"` + testID + `","updated_fields":"x"}`:                                                               `unknown field "updated_fields"`,
		`{"id":"` + testID + `","atomic":"false"}`:                                                                   "atomic: must be true or false",
		`{"id":"` + testID + `","atomic":null}`:                                                                      "atomic: must be true or false",
		`{"first_name":"Anna","atomic":false}`:                                                                       "id: must_be_set",
		`{"id":5}`:                                                                                                   "id: must be a string",
		`{"id":"50f3ac249f6aef294d00000g","atomic":false}`:                                                           "id: must match",
		`{"id":"50f3ac249f6aef294d0000071","atomic":false}`:                                                          "id: must be at most 24",
	} {
		if r := put(t, srv, body); r.Status != 400 || !strings.Contains(r.Str("error_description"), want) {
			t.Errorf("%s: %d %s, want 400 with %q", body, r.Status, r.Raw, want)
		}
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
}

// A field of the wrong type fails the request, or with atomic false only
// that field.
func TestFakeRejectsTypes(t *testing.T) {
	for field, value := range map[string]string{
		"email": `5`, "first_name": `null`, "birth_date": `19800101`, "alias": `["a"]`,
		"tags": `"premium"`, "tags ": `["premium",1]`, "tags  ": `[null]`, "address": `"Storgatan 1"`,
		"address zip_code": `{"street":"s","zip_code":11122,"city":"c","country_code":"SE"}`,
	} {
		field := strings.TrimSpace(field)
		top, _, _ := strings.Cut(field, " ")
		want := field + ": must be a string"
		switch field {
		case "tags":
			want = "tags: must be a list of strings"
		case "address":
			want = "address: must be an object"
		}
		f, srv := newFake(t)
		r := put(t, srv, `{"id":"`+testID+`","`+top+`":`+value+`}`)
		if r.Status != 400 || !strings.Contains(r.Str("error_description"), want) {
			t.Errorf("%s=%s: %d %s, want 400 with %q", top, value, r.Status, r.Raw, want)
		}
		r = put(t, srv, `{"id":"`+testID+`","atomic":false,"last_name":"Berg","`+top+`":`+value+`}`)
		if r.Status != 207 || r.Str("not_updated_fields") != want || r.Str("updated_fields") != "last_name" || len(f.Applied()) != 1 {
			t.Errorf("%s=%s non-atomic: %d %s, want 207 listing %q", top, value, r.Status, r.Raw, want)
		}
	}
}

// With atomic false, every invalid example of the table is listed as not
// updated while the rest is applied, in the document's words.
func TestFakeNonAtomicListsEveryInvalidExample(t *testing.T) {
	_, srv := newFake(t)
	for _, fd := range table.Fields() {
		if fd.Path == "id" {
			continue
		}
		for _, v := range fieldCases[fd.Path].Invalid {
			body := map[string]any{"id": testID, "atomic": false, "last_name": "Berg"}
			if name, ok := strings.CutPrefix(fd.Path, "address."); ok {
				addr := validAddress()
				addr[name] = v
				body["address"] = addr
			} else {
				body[fd.Path] = v
			}
			if fd.Path == "last_name" {
				body["first_name"] = "Anna"
			}
			label := strings.ReplaceAll(fd.Path, ".", " ") + ": "
			if r := put(t, srv, body); r.Status != 207 || !strings.HasPrefix(r.Str("not_updated_fields"), label) || r.Str("updated_fields") == "" {
				t.Errorf("%s = %.40q: %d %.200s, want 207 listing the field", fd.Path, v, r.Status, r.Raw)
			}
		}
	}
}

// atomic false with nothing valid: the answer lists every field and says
// nothing was updated, and nothing is applied.
func TestFakeNothingApplied(t *testing.T) {
	f, srv := newFake(t)
	r := put(t, srv, map[string]any{"id": testID, "atomic": false, "mobile_phone_number": "12", "birth_date": "1980-02-30"})
	if r.Status != 207 || r.Str("updated_fields") != "" || r.Str("id") != testID ||
		r.Str("not_updated_fields") != "mobile_phone_number: must match ^[+,0]?[0-9]{10,12}$, birth_date: must be a date written YYYY-MM-DD" {
		t.Errorf("%d %s", r.Status, r.Raw)
	}
	if a := (Provider{}).Read(r.Status, r.Header, []byte(r.Raw), nil); a.Outcome != providers.Failed {
		t.Errorf("Read: %+v, want failed", a)
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
	if _, ok := f.Account(testID); ok {
		t.Error("the account was created")
	}
}

func TestFakeAddressRequiredMembers(t *testing.T) {
	f, srv := newFake(t)
	for _, member := range []string{"street", "zip_code", "city", "country_code"} {
		addr := validAddress()
		delete(addr, member)
		want := "address " + member + ": must_be_set"
		if r := put(t, srv, map[string]any{"id": testID, "address": addr}); r.Status != 400 || !strings.Contains(r.Str("error_description"), want) {
			t.Errorf("without %s: %d %s, want 400 with %q", member, r.Status, r.Raw, want)
		}
		addr[member] = ""
		r := put(t, srv, map[string]any{"id": testID, "address": addr, "last_name": "Berg", "atomic": false})
		if r.Status != 207 || r.Str("not_updated_fields") != want || r.Str("updated_fields") != "last_name" {
			t.Errorf("with an empty %s: %d %s, want 207 with %q", member, r.Status, r.Raw, want)
		}
	}
	// Several missing members are all listed, in table order.
	r := put(t, srv, map[string]any{"id": testID, "address": map[string]any{"city": "Lund"}, "atomic": false, "alias": "a"})
	if got, want := r.Str("not_updated_fields"), "address street: must_be_set, address zip_code: must_be_set, address country_code: must_be_set"; got != want {
		t.Errorf("not_updated_fields = %q, want %q", got, want)
	}
	if acc, _ := f.Account(testID); acc["address"] != nil || acc["last_name"] != "Berg" {
		t.Errorf("account = %v: an invalid address was stored, or last_name was not", acc)
	}
	// An optional member may be empty.
	addr := validAddress()
	addr["floor"] = ""
	if r := put(t, srv, map[string]any{"id": testID, "address": addr}); r.Status != 200 {
		t.Errorf("empty optional member: %d %s", r.Status, r.Raw)
	}
}

func TestFakeUniqueness(t *testing.T) {
	for name, tt := range map[string]struct{ field, value string }{
		"email":                  {"email", "taken@example.com"},
		"email in another case":  {"email", "Taken@Example.COM"},
		"social security number": {"social_security_number", "800101-1234"},
	} {
		t.Run(name, func(t *testing.T) {
			f, srv := newFake(t)
			f.SetAccount(otherID, "taken@example.com", "800101-1234")
			want := tt.field + ": must_be_unique"
			// atomic (the default): 409, nothing applied.
			r := put(t, srv, map[string]any{"id": testID, tt.field: tt.value, "first_name": "Anna"})
			if r.Status != 409 || r.Str("error") != "conflict" || !strings.Contains(r.Str("error_description"), want) {
				t.Errorf("atomic: %d %s, want 409 with %q", r.Status, r.Raw, want)
			}
			if acc, ok := f.Account(testID); ok {
				t.Errorf("atomic: account stored %v", acc)
			}
			// A conflict together with a malformed field is a 400.
			r = put(t, srv, map[string]any{"id": testID, tt.field: tt.value, "birth_date": "1980-02-30"})
			if r.Status != 400 || !strings.Contains(r.Str("error_description"), want) || !strings.Contains(r.Str("error_description"), "birth_date: ") {
				t.Errorf("atomic with a bad date: %d %s", r.Status, r.Raw)
			}
			// atomic false: 207, the other fields applied.
			r = put(t, srv, map[string]any{"id": testID, tt.field: tt.value, "first_name": "Anna", "atomic": false})
			if r.Status != 207 || r.Str("not_updated_fields") != want || r.Str("updated_fields") != "first_name" {
				t.Errorf("non-atomic: %d %s", r.Status, r.Raw)
			}
			if acc, _ := f.Account(testID); acc["first_name"] != "Anna" || acc[tt.field] != nil {
				t.Errorf("non-atomic: account %v", acc)
			}
			if got := f.Applied(); len(got) != 1 || got[0].Key != testID {
				t.Errorf("Applied() = %v, want the non-atomic request", got)
			}
			// The owner itself may send its own value again.
			if r := put(t, srv, map[string]any{"id": otherID, tt.field: tt.value}); r.Status != 200 {
				t.Errorf("owner: %d %s", r.Status, r.Raw)
			}
		})
	}
}

func TestFakeAppliesDocumentSemantics(t *testing.T) {
	f, srv := newFake(t)
	put(t, srv, map[string]any{"id": testID, "tags": []string{"a", "b"}, "alias": "anna", "address": validAddress()})
	r := put(t, srv, map[string]any{"id": testID, "tags": []string{"c"}, "alias": Unset,
		"address": map[string]any{"street": "Lillgatan", "zip_code": "22100", "city": "Lund", "country_code": "SE"}})
	if r.Status != 200 || r.Str("updated_fields") != "alias address tags" {
		t.Errorf("%d %s", r.Status, r.Raw)
	}
	acc, _ := f.Account(testID)
	want := map[string]any{
		"tags":    []string{"c"}, // tags replace all existing tags
		"address": map[string]any{"street": "Lillgatan", "zip_code": "22100", "city": "Lund", "country_code": "SE"},
	}
	if !reflect.DeepEqual(acc, want) {
		t.Errorf("account = %v, want %v (alias cleared by %s)", acc, want, Unset)
	}
	acc["tags"].([]string)[0] = "changed"
	if again, _ := f.Account(testID); again["tags"].([]string)[0] != "c" {
		t.Error("Account shares its tags with the fake")
	}
}

// The error shape, through the shared exchange, as a row's message.
func TestExchangeCarriesTheDescription(t *testing.T) {
	f, srv := newFake(t)
	f.SetAccount(otherID, "taken@example.com", "")
	x := providertest.Exchange(t, Provider{}, srv, testCreds, &Options{})
	_, err := providertest.Send(t, x, map[string]any{"id": testID, "email": "taken@example.com", "mobile_phone_number": "12"})
	want := "HTTP 400: validation_failed: nothing was updated (atomic): mobile_phone_number: must match ^[+,0]?[0-9]{10,12}$; email: must_be_unique"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant  %s", err, want)
	}
	res, err := providertest.Send(t, providertest.Exchange(t, Provider{}, srv, testCreds, &Options{Atomic: ptr(false)}),
		map[string]any{"id": testID, "email": "taken@example.com", "first_name": "Anna"})
	if err != nil || res.Outcome != providers.Partial || res.HTTPStatus != 207 || res.Message != "not updated: email: must_be_unique" {
		t.Errorf("%+v, %v", res, err)
	}
}
