package finerworks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	return providertest.ServeFake(t, NewFake(testCreds))
}

// reply is an answer of the fake in the document's shape, its status
// object picked out; or ASP.NET's {"Message": ...}.
type reply struct {
	providertest.Reply
	success bool
	code    float64 // status.status_code
	message string  // status.message, or ASP.NET's Message
	account map[string]any
}

// send sends a raw request; nil keys are the right ones.
func send(t *testing.T, srv *httptest.Server, method, path, contentType string, web, app *string, body string) reply {
	t.Helper()
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for name, k := range map[string]*string{webAPIKeyHeader: web, appKeyHeader: app} {
		v := map[string]string{webAPIKeyHeader: testWebKey, appKeyHeader: testAppKey}[name]
		if k != nil {
			v = *k
		}
		if v != "" {
			h[name] = []string{v}
		}
	}
	r := reply{Reply: providertest.Do(t, srv, providertest.Request(t, srv, method, path, h, body))}
	var a struct {
		Status *struct {
			Success    bool    `json:"success"`
			StatusCode float64 `json:"status_code"`
			Message    string  `json:"message"`
		} `json:"status"`
		UserAccount map[string]any `json:"user_account"`
		Message     string
	}
	if err := json.Unmarshal([]byte(r.Raw), &a); err != nil || (a.Status == nil) == (a.Message == "") {
		t.Fatalf("answer %d is neither the document's shape nor ASP.NET's: %q", r.Status, r.Raw)
	}
	if a.Status == nil {
		r.message = a.Message
		return r
	}
	r.success, r.code, r.message, r.account = a.Status.Success, a.Status.StatusCode, a.Status.Message, a.UserAccount
	// Success comes only with a 200 and the account; a failure's
	// status_code is the HTTP status.
	if r.success != (r.Status == 200 && r.code == 200 && r.account != nil) || !r.success && (int(r.code) != r.Status || r.message == "") {
		t.Errorf("status %d with %s", r.Status, r.Raw)
	}
	return r
}

// put sends a well-formed, authorised request: body, or v marshalled as
// the provider would.
func put(t *testing.T, srv *httptest.Server, v any) reply {
	t.Helper()
	return send(t, srv, http.MethodPut, Path, "application/json", nil, nil, providertest.Body(t, v))
}

func ptr(s string) *string { return &s }

const okBody = `{"account_key":"HLT-2041","payment_profile_id":"84123456"}`

// The keys, as the document's answer shape; routes and media types, as
// ASP.NET's.
func TestFakeRouting(t *testing.T) {
	f, srv := newFake(t)
	tests := []struct {
		name, method, path, contentType string
		web, app                        *string
		body                            string
		status                          int
		msg                             string
	}{
		{"text/json", "PUT", Path, "text/json", nil, nil, okBody, 200, ""},
		{"no keys", "PUT", Path, "application/json", ptr(""), ptr(""), okBody, 401, "Unauthorized: missing header web_api_key and app_key"},
		{"no web_api_key", "PUT", Path, "application/json", ptr(""), nil, okBody, 401, "Unauthorized: missing header web_api_key"},
		{"no app_key", "PUT", Path, "application/json", nil, ptr(""), okBody, 401, "Unauthorized: missing header app_key"},
		{"keys swapped", "PUT", Path, "application/json", ptr(testAppKey), ptr(testWebKey), okBody, 401, "Unauthorized: invalid web_api_key or app_key"},
		{"key prefix", "PUT", Path, "application/json", ptr(testWebKey[:6]), nil, okBody, 401, "Unauthorized: invalid web_api_key or app_key"},
		{"other path", "PUT", "/v3/update_users", "application/json", nil, nil, okBody, 404, "No HTTP resource was found that matches the request URI '/v3/update_users'."},
		{"POST", "POST", Path, "application/json", nil, nil, okBody, 405, "The requested resource does not support http method 'POST'."},
		{"no content type", "PUT", Path, "", nil, nil, okBody, 415, "The request entity's media type '' is not supported"},
		{"form", "PUT", Path, "application/x-www-form-urlencoded", nil, nil, "account_key=a", 415, "The request entity's media type 'application/x-www-form-urlencoded'"},
		{"malformed", "PUT", Path, "application/json", nil, nil, `{"account_key":`, 400, "malformed JSON: unexpected EOF"},
		{"array", "PUT", Path, "application/json", nil, nil, `[` + okBody + `]`, 400, "the body must be a JSON object"},
	}
	for _, tt := range tests {
		r := send(t, srv, tt.method, tt.path, tt.contentType, tt.web, tt.app, tt.body)
		if r.Status != tt.status || !strings.HasPrefix(r.message, tt.msg) {
			t.Errorf("%s: %d %s, want %d %q", tt.name, r.Status, r.Raw, tt.status, tt.msg)
		}
		if tt.status == 405 && r.Header.Get("Allow") != http.MethodPut {
			t.Errorf("Allow = %q", r.Header.Get("Allow"))
		}
	}
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d requests applied, want the one that was ok", n)
	}
}

// The largest request the client can make fits under MaxBody.
func TestFakeTakesTheLargestFiles(t *testing.T) {
	_, srv := newFake(t)
	big := make([]byte, providers.MaxFileSize)
	copy(big, []byte{0xFF, 0xD8, 0xFF})
	r := put(t, srv, map[string]any{"account_key": "big", "logo_data": big, "portrait_data": big,
		"billing_info": map[string]any{"address_1": strings.Repeat("x", 10000)}})
	if r.Status != 200 {
		t.Errorf("%d %.300s", r.Status, r.Raw)
	}
}

// Every problem of a body at once, in the table's order after the unknown
// fields; bytes as base64 of a JPEG.
func TestFakeRejectsShapeAndTypes(t *testing.T) {
	f, srv := newFake(t)
	b64 := base64.StdEncoding.EncodeToString(jpegBytes())
	for body, want := range map[string]string{
		`{"account_key":"a","billing_info":{"city":"x","street":"y"}}`: `unknown field "billing_info.street"`,
		`{"account_key":"a","business_info":{"zip":"99501"}}`:          `unknown field "business_info.zip"`,
		`{"account_key":"a","billing_info.city":"x"}`:                  `unknown field "billing_info.city"`,
		`{"Account_Key":"a"}`: `unknown field "Account_Key"`,
		`{"account_key":5,"x":1,"billing_info":{"email":"nope"}}`: `unknown field "x"; account_key: must be a string; billing_info.email: must be an e-mail address`,
		`{"billing_info":[]}`:                                 "billing_info: must be an object",
		`{"business_info":{"phone":5555555555}}`:              "business_info.phone: must be a string",
		`{"logo_data":[255,216,255]}`:                         "logo_data: must be a base64 string of the image's bytes",
		`{"logo_data":"not base64!"}`:                         "logo_data: must be a base64 string of the image's bytes",
		`{"logo_data":"` + strings.TrimRight(b64, "=") + `"}`: "logo_data: must be a base64 string of the image's bytes",
		`{"portrait_data":"QEA="}`:                            "portrait_data: must be a JPEG image",
	} {
		if r := put(t, srv, body); r.Status != 400 || !strings.HasPrefix(r.message, "The request is invalid: "+want) {
			t.Errorf("%s: %d %s, want 400 with %q", body, r.Status, r.Raw, want)
		}
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
}

// "If null, no changes or modifications will occur": null is accepted for
// every field and changes nothing; a null member is stored as null, since
// an address is replaced whole.
func TestFakeNullChangesNothing(t *testing.T) {
	f, srv := newFake(t)
	logo := jpegBytes()
	put(t, srv, map[string]any{
		"account_key":  "HLT-2041",
		"billing_info": map[string]any{"city": "Anchorage", "zip_postal_code": "99501", "country_code": "us"},
		"logo_data":    logo, "payment_profile_id": "84123456",
	})
	r := put(t, srv, `{"account_key":"HLT-2041","billing_info":null,"business_info":null,"logo_url":null,"logo_data":null,"portrait_data":null,"payment_profile_id":null}`)
	if r.Status != 200 || !r.success {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	want := map[string]any{
		"billing_info": map[string]any{"city": "Anchorage", "zip_postal_code": "99501", "country_code": "us"},
		"logo_data":    logo, "payment_profile_id": "84123456",
	}
	if acc, _ := f.Account("HLT-2041"); !reflect.DeepEqual(acc, want) {
		t.Errorf("account %v, want %v", acc, want)
	}
	put(t, srv, `{"account_key":"HLT-2041","billing_info":{"city":"Juneau","address_2":null}}`)
	if acc, _ := f.Account("HLT-2041"); !reflect.DeepEqual(acc["billing_info"], map[string]any{"city": "Juneau", "address_2": nil}) {
		t.Errorf("billing_info %v", acc["billing_info"])
	}
}

// The business rule: a US billing address needs a US ZIP code, or the
// answer is an HTTP 200 with status.success false, and nothing is applied.
func TestFakeBillingZipMustMatchCountry(t *testing.T) {
	for name, tt := range map[string]struct {
		billing map[string]any
		msg     string // "" when the update succeeds
	}{
		"zip":          {map[string]any{"country_code": "us", "zip_postal_code": "99501"}, ""},
		"zip+4":        {map[string]any{"country_code": "US", "zip_postal_code": "99501-1234"}, ""},
		"leading zero": {map[string]any{"country_code": "Us", "zip_postal_code": "02134"}, ""},
		"Excel ate the zero": {map[string]any{"country_code": "us", "zip_postal_code": "2134"},
			"Billing zip code 2134 does not match country US; it must match the credit card's billing address"},
		"padded country":                 {map[string]any{"country_code": " us ", "zip_postal_code": "99501 "}, "Billing zip code 99501  does not match"},
		"canadian postal code in the US": {map[string]any{"country_code": "us", "zip_postal_code": "K1A 0B1"}, "Billing zip code K1A 0B1 does not match"},
		"zip+4 without the dash":         {map[string]any{"country_code": "us", "zip_postal_code": "995011234"}, "Billing zip code 995011234"},
		"no zip":                         {map[string]any{"country_code": "us", "city": "Anchorage"}, "Billing zip code (none) does not match"},
		"null zip":                       {map[string]any{"country_code": "us", "zip_postal_code": nil}, "Billing zip code (none)"},
		"canada":                         {map[string]any{"country_code": "ca", "zip_postal_code": "K1A 0B1"}, ""},
		"no country":                     {map[string]any{"zip_postal_code": "1234"}, ""},
		"usa is not us":                  {map[string]any{"country_code": "usa", "zip_postal_code": "1234"}, ""},
	} {
		f, srv := newFake(t)
		r := put(t, srv, map[string]any{"account_key": "HLT-2041", "billing_info": tt.billing})
		_, created := f.Account("HLT-2041")
		switch {
		case tt.msg == "" && (r.Status != 200 || !r.success || len(f.Applied()) != 1):
			t.Errorf("%s: %d %s, want success", name, r.Status, r.Raw)
		case tt.msg != "" && (r.Status != 200 || r.success || !strings.Contains(r.message, tt.msg) || len(f.Applied()) != 0 || created):
			t.Errorf("%s: %d %s, want 200 with success false and %q, nothing applied", name, r.Status, r.Raw, tt.msg)
		}
	}
	// The business address is not the credit card's: no rule.
	_, srv := newFake(t)
	if r := put(t, srv, map[string]any{"account_key": "a", "business_info": map[string]any{"country_code": "us", "zip_postal_code": "1234"}}); !r.success {
		t.Errorf("business_info: %d %s", r.Status, r.Raw)
	}
}

func TestFakeAnswersTheAccount(t *testing.T) {
	_, srv := newFake(t)
	r := put(t, srv, map[string]any{
		"account_key":   "bob_ross",
		"billing_info":  map[string]any{"first_name": "Bob", "email": "bobbyross12@gmail.com", "zip_postal_code": "88888", "country_code": "us"},
		"business_info": map[string]any{"company_name": "Happy Little Trees, Inc"},
		"logo_url":      "https://example.com/logo.jpg",
		"portrait_data": jpegBytes(),
	})
	want := map[string]any{
		"account_id": 1.0, "account_username": "bob_ross", "account_email": "bobbyross12@gmail.com",
		"logo_url": "https://example.com/logo.jpg", "payment_profile_id": nil, "user_account_credits": 0.0,
	}
	for k, v := range want {
		if r.account[k] != v {
			t.Errorf("user_account.%s = %v, want %v", k, r.account[k], v)
		}
	}
	if billing, _ := r.account["billing_info"].(map[string]any); len(billing) != len(memberNames) || billing["first_name"] != "Bob" || billing["address_2"] != nil {
		t.Errorf("billing_info %v, want every member, null where unknown", billing)
	}
	// A second account gets the next id.
	if r = put(t, srv, map[string]any{"account_key": "other"}); r.account["account_id"] != 2.0 || r.account["billing_info"] != nil {
		t.Errorf("second account: %s", r.Raw)
	}
}

// Without account_key, and with a key the app key may not use, the update
// goes to the app key's own account, as the document says, and the answer
// says so in user_account.
func TestFakeOwnAccount(t *testing.T) {
	f, srv := newFake(t)
	f.Deny("OTHER-CUSTOMER")
	for _, b := range []string{
		`{"payment_profile_id":"1"}`, `{"account_key":"","payment_profile_id":"2"}`, `{"account_key":null,"logo_url":"u"}`,
		`{"account_key":"` + ForeignPrefix + `1001","payment_profile_id":"3"}`, `{"account_key":"OTHER-CUSTOMER","logo_url":"v"}`,
	} {
		if r := put(t, srv, b); r.Status != 200 || !r.success || r.account["account_username"] != OwnUsername || r.account["account_id"] != 1.0 {
			t.Errorf("%s: %d %s", b, r.Status, r.Raw)
		}
	}
	if acc, ok := f.Account(""); !ok || acc["payment_profile_id"] != "3" || acc["logo_url"] != "v" {
		t.Errorf("own account %v", acc)
	}
	for _, a := range f.Applied() {
		if a.Key != "" {
			t.Errorf("Applied key %q, want the own account's \"\"", a.Key)
		}
	}
	if _, ok := f.Account(ForeignPrefix + "1001"); ok {
		t.Error("the foreign key's account was created")
	}
}

// Account returns a copy.
func TestFakeAccountIsACopy(t *testing.T) {
	f, srv := newFake(t)
	put(t, srv, `{"account_key":"A-1","billing_info":{"city":"Anchorage"},"logo_data":"`+base64.StdEncoding.EncodeToString(jpegBytes())+`"}`)
	acc, _ := f.Account("A-1")
	acc["billing_info"].(map[string]any)["city"] = "changed"
	acc["logo_data"].([]byte)[0] = 0
	again, _ := f.Account("A-1")
	if again["billing_info"].(map[string]any)["city"] != "Anchorage" || !bytes.HasPrefix(again["logo_data"].([]byte), []byte{0xFF, 0xD8}) {
		t.Error("Account shares its values with the fake")
	}
}
