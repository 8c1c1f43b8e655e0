package finerworks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/acctimport/acctimport/providers"
)

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	t.Helper()
	f := NewFake(testCreds)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// reply is an answer of the fake, with its status object picked out.
type reply struct {
	status  int
	header  http.Header
	raw     string
	success bool
	code    float64 // status.status_code
	message string  // status.message
	account map[string]any
}

type call struct {
	method, path, contentType string
	web, app                  *string // nil: the right key
	body                      string
}

func ptr(s string) *string { return &s }

func do(t *testing.T, srv *httptest.Server, c call) reply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPut
	}
	if c.path == "" {
		c.path = Path
	}
	if c.contentType == "" {
		c.contentType = "application/json"
	}
	req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	web, app := testWebKey, testAppKey
	if c.web != nil {
		web = *c.web
	}
	if c.app != nil {
		app = *c.app
	}
	if web != "" {
		req.Header["web_api_key"] = []string{web}
	}
	if app != "" {
		req.Header["app_key"] = []string{app}
	}
	if c.contentType != "-" {
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	var a struct {
		Status *struct {
			Success    *bool   `json:"success"`
			StatusCode float64 `json:"status_code"`
			Message    *string `json:"message"`
			Debug      any     `json:"debug"`
		} `json:"status"`
		UserAccount map[string]any `json:"user_account"`
	}
	if err := json.Unmarshal(b, &a); err != nil || a.Status == nil || a.Status.Success == nil || a.Status.Message == nil {
		t.Fatalf("answer %d is not the document's shape: %q", resp.StatusCode, b)
	}
	r.success, r.code, r.message, r.account = *a.Status.Success, a.Status.StatusCode, *a.Status.Message, a.UserAccount
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("answer Content-Type %q", ct)
	}
	if strings.Contains(r.raw, testWebKey) || strings.Contains(r.raw, testAppKey) {
		t.Errorf("the answer reveals a key: %s", r.raw)
	}
	// Every failure is in the document's shape, with the HTTP status as its
	// status_code; success comes only with a 200.
	if r.success != (r.status == 200 && r.code == 200 && r.account != nil) {
		t.Errorf("status %d with %s", r.status, r.raw)
	}
	if !r.success && (int(r.code) != r.status || r.message == "") {
		t.Errorf("failure %d with %s", r.status, r.raw)
	}
	return r
}

// put sends a well-formed, authorised request with body.
func put(t *testing.T, srv *httptest.Server, body string) reply {
	t.Helper()
	return do(t, srv, call{body: body})
}

// putJSON marshals v as the provider would and puts it.
func putJSON(t *testing.T, srv *httptest.Server, v map[string]any) reply {
	t.Helper()
	b, err := providers.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return put(t, srv, string(b))
}

const okBody = `{"account_key":"HLT-2041","payment_profile_id":"84123456"}`

func TestFakeRouting(t *testing.T) {
	f, srv := newFake(t)
	tests := []struct {
		name   string
		c      call
		status int
		msg    string
	}{
		{"ok", call{body: okBody}, 200, ""},
		{"charset", call{contentType: "application/json; charset=utf-8", body: okBody}, 200, ""},
		{"text/json", call{contentType: "text/json", body: okBody}, 200, ""},
		{"no keys", call{web: ptr(""), app: ptr(""), body: okBody}, 401, "missing header web_api_key and app_key"},
		{"no web_api_key", call{web: ptr(""), body: okBody}, 401, "missing header web_api_key"},
		{"no app_key", call{app: ptr(""), body: okBody}, 401, "missing header app_key"},
		{"wrong web_api_key", call{web: ptr("fw-web-nope"), body: okBody}, 401, "invalid web_api_key or app_key"},
		{"wrong app_key", call{app: ptr("fw-app-nope"), body: okBody}, 401, "invalid web_api_key or app_key"},
		{"keys swapped", call{web: ptr(testAppKey), app: ptr(testWebKey), body: okBody}, 401, "invalid"},
		{"key prefix", call{web: ptr(testWebKey[:6]), body: okBody}, 401, "invalid"},
		{"other path", call{path: "/v3/update_users", body: okBody}, 404, "/v3/update_users"},
		{"v2 path", call{path: "/v2/update_user", body: okBody}, 404, ""},
		{"POST", call{method: http.MethodPost, body: okBody}, 405, "use PUT"},
		{"GET", call{method: http.MethodGet}, 405, "'GET'"},
		{"no content type", call{contentType: "-", body: okBody}, 415, "application/json or text/json"},
		{"text", call{contentType: "text/plain", body: okBody}, 415, ""},
		{"form", call{contentType: "application/x-www-form-urlencoded", body: "account_key=a"}, 415, ""},
		{"malformed", call{body: `{"account_key":`}, 400, "malformed JSON"},
		{"trailing data", call{body: okBody + `{}`}, 400, "malformed JSON"},
		{"array", call{body: `[` + okBody + `]`}, 400, "JSON object"},
		{"empty", call{}, 400, "malformed JSON"},
		{"too large", call{body: `{"account_key":"` + strings.Repeat("x", MaxBody) + `"}`}, 413, "exceeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, tt.c)
			if r.status != tt.status || !strings.Contains(r.message, tt.msg) {
				t.Fatalf("%d %s, want %d with %q", r.status, r.raw, tt.status, tt.msg)
			}
			if tt.status == 405 && r.header.Get("Allow") != http.MethodPut {
				t.Errorf("Allow = %q", r.header.Get("Allow"))
			}
		})
	}
	if n := len(f.Applied()); n != 3 {
		t.Errorf("%d requests applied, want the 3 that were ok", n)
	}
}

// The largest request the client can make fits under MaxBody.
func TestFakeTakesTheLargestFiles(t *testing.T) {
	_, srv := newFake(t)
	big := make([]byte, providers.MaxFileSize)
	copy(big, []byte{0xFF, 0xD8, 0xFF})
	r := putJSON(t, srv, map[string]any{"account_key": "big", "logo_data": big, "portrait_data": big,
		"billing_info": map[string]any{"address_1": strings.Repeat("x", 10000)}})
	if r.status != 200 {
		t.Errorf("%d %.300s", r.status, r.raw)
	}
}

func TestFakeWithoutKeys(t *testing.T) {
	for _, c := range []providers.Credentials{nil, {WebAPIKeyEnv: providers.NewSecret(testWebKey)}} {
		srv := httptest.NewServer(NewFake(c))
		t.Cleanup(srv.Close)
		for _, k := range []string{"", "x", testAppKey} {
			if r := do(t, srv, call{app: ptr(k), body: okBody}); r.status != 401 {
				t.Errorf("%d app_key %q: status %d, want 401 from a fake without both keys", len(c), k, r.status)
			}
		}
	}
}

func TestFakeRejectsShape(t *testing.T) {
	f, srv := newFake(t)
	tests := []struct {
		name string
		body string
		msg  string
	}{
		{"unknown field", `{"account_key":"a","nickname":"x"}`, `unknown field "nickname"`},
		{"unknown billing member", `{"account_key":"a","billing_info":{"city":"x","street":"y"}}`, `unknown field "billing_info.street"`},
		{"unknown business member", `{"account_key":"a","business_info":{"zip":"99501"}}`, `unknown field "business_info.zip"`},
		{"member at the top", `{"account_key":"a","billing_info.city":"x"}`, `unknown field "billing_info.city"`},
		{"answer field", `{"account_key":"a","user_account_credits":5}`, `unknown field "user_account_credits"`},
		{"field in the wrong case", `{"Account_Key":"a"}`, `unknown field "Account_Key"`},
		{"several at once", `{"account_key":5,"x":1,"billing_info":{"email":"nope"}}`,
			`unknown field "x"; account_key: must be a string; billing_info.email: must be an e-mail address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := put(t, srv, tt.body)
			if r.status != 400 || !strings.Contains(r.message, tt.msg) {
				t.Errorf("%d %s, want 400 with %q", r.status, r.raw, tt.msg)
			}
		})
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
}

func TestFakeRejectsTypes(t *testing.T) {
	_, srv := newFake(t)
	b64 := base64.StdEncoding.EncodeToString(jpegBytes())
	tests := []struct {
		field string
		value string // JSON
		msg   string
	}{
		{"account_key", `1`, "account_key: must be a string"},
		{"payment_profile_id", `84123456`, "payment_profile_id: must be a string"},
		{"logo_url", `["x"]`, "logo_url: must be a string"},
		{"billing_info", `"742 Evergreen Terrace"`, "billing_info: must be an object"},
		{"billing_info", `[]`, "billing_info: must be an object"},
		{"billing_info", `{"zip_postal_code":99501}`, "billing_info.zip_postal_code: must be a string"},
		{"business_info", `{"phone":5555555555}`, "business_info.phone: must be a string"},
		{"business_info", `{"email":true}`, "business_info.email: must be a string"},
		{"logo_data", `[255,216,255]`, "logo_data: must be a base64 string"},
		{"logo_data", `"not base64!"`, "logo_data: must be a base64 string"},
		{"logo_data", `"` + strings.TrimRight(b64, "=") + `"`, "logo_data: must be a base64 string"},
		{"portrait_data", `{"data":"` + b64 + `"}`, "portrait_data: must be a base64 string"},
		{"portrait_data", `"QEA="`, "portrait_data: must be a JPEG image"},
		{"portrait_data", `"` + base64.StdEncoding.EncodeToString(pngBytes()) + `"`, "portrait_data: must be a JPEG image"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value[:min(len(tt.value), 20)], func(t *testing.T) {
			r := put(t, srv, `{"account_key":"a","`+tt.field+`":`+tt.value+`}`)
			if r.status != 400 || !strings.Contains(r.message, tt.msg) {
				t.Errorf("%d %s, want 400 with %q", r.status, r.raw, tt.msg)
			}
		})
	}
}

// A value the table accepts is one the fake accepts, field by field; so
// neither can learn a field, or a rule, without the other.
func TestFakeAcceptsEveryValidExample(t *testing.T) {
	f, srv := newFake(t)
	n := 0
	for _, fd := range table.Fields() {
		for _, v := range fieldCases[fd.Path].Valid {
			body := map[string]any{"account_key": "HLT-2041"}
			if parent := fd.Parent(); parent != "" {
				body[parent] = map[string]any{strings.TrimPrefix(fd.Path, parent+"."): v}
			} else {
				body[fd.Path] = v
			}
			if r := putJSON(t, srv, body); r.status != 200 || !r.success {
				t.Errorf("%s = %.40q: %d %.200s", fd.Path, v, r.status, r.raw)
			}
			n++
		}
	}
	if got := len(f.Applied()); got != n {
		t.Errorf("%d applied, want %d", got, n)
	}
}

// A value the table rejects is one the fake rejects, for every field and so
// for every rule (TestEveryFieldHasCases makes sure each rule is broken by
// some case), with the table's own words.
func TestFakeRejectsEveryInvalidExample(t *testing.T) {
	f, srv := newFake(t)
	for _, fd := range table.Fields() {
		for _, v := range fieldCases[fd.Path].Invalid {
			ruleErr := fd.Check(v)
			if ruleErr == nil {
				t.Fatalf("%s = %q: the table accepts it", fd.Path, v)
			}
			body := map[string]any{"account_key": "HLT-2041"}
			if parent := fd.Parent(); parent != "" {
				body[parent] = map[string]any{strings.TrimPrefix(fd.Path, parent+"."): v}
			} else {
				body[fd.Path] = v
			}
			r := putJSON(t, srv, body)
			if r.status != 400 || !strings.Contains(r.message, fd.Path+": ") {
				t.Errorf("%s = %.40q: %d %.200s, want 400 naming the field", fd.Path, v, r.status, r.raw)
			}
			// The fake says what the table says, unless the JSON type is
			// wrong (an int64 where a string belongs) or, for a file, the
			// bytes never were bytes.
			_, isString := v.(string)
			_, isBytes := v.([]byte)
			if (isString && fd.Type == providers.String || isBytes) && !strings.Contains(r.message, fd.Path+": "+ruleErr.Error()) {
				t.Errorf("%s = %.40q: message %.200q, want %q", fd.Path, v, r.message, fd.Path+": "+ruleErr.Error())
			}
		}
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
}

// "If null, no changes or modifications will occur": null is accepted for
// every field and changes nothing.
func TestFakeNullChangesNothing(t *testing.T) {
	f, srv := newFake(t)
	logo := jpegBytes()
	first := map[string]any{
		"account_key":        "HLT-2041",
		"billing_info":       map[string]any{"city": "Anchorage", "zip_postal_code": "99501", "country_code": "us"},
		"logo_data":          logo,
		"payment_profile_id": "84123456",
	}
	if r := putJSON(t, srv, first); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	r := put(t, srv, `{"account_key":"HLT-2041","billing_info":null,"business_info":null,"logo_url":null,"logo_data":null,"portrait_data":null,"payment_profile_id":null}`)
	if r.status != 200 || !r.success {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	acc, _ := f.Account("HLT-2041")
	want := map[string]any{
		"billing_info":       map[string]any{"city": "Anchorage", "zip_postal_code": "99501", "country_code": "us"},
		"logo_data":          logo,
		"payment_profile_id": "84123456",
	}
	if !reflect.DeepEqual(acc, want) {
		t.Errorf("account %v, want %v", acc, want)
	}
	// A null member is stored as null: the address is replaced whole.
	put(t, srv, `{"account_key":"HLT-2041","billing_info":{"city":"Juneau","address_2":null}}`)
	acc, _ = f.Account("HLT-2041")
	if got := acc["billing_info"]; !reflect.DeepEqual(got, map[string]any{"city": "Juneau", "address_2": nil}) {
		t.Errorf("billing_info %v", got)
	}
}

// The business rule: a US billing address needs a US ZIP code, or the
// answer is an HTTP 200 with status.success false, and nothing is applied.
func TestFakeBillingZipMustMatchCountry(t *testing.T) {
	tests := []struct {
		name    string
		billing map[string]any
		msg     string // "" when the update succeeds
	}{
		{"zip", map[string]any{"country_code": "us", "zip_postal_code": "99501"}, ""},
		{"zip+4", map[string]any{"country_code": "US", "zip_postal_code": "99501-1234"}, ""},
		{"leading zero", map[string]any{"country_code": "Us", "zip_postal_code": "02134"}, ""},
		{"Excel ate the zero", map[string]any{"country_code": "us", "zip_postal_code": "2134"},
			"Billing zip code 2134 does not match country US; it must match the credit card's billing address"},
		{"upper case country", map[string]any{"country_code": "US", "zip_postal_code": "1234"}, "Billing zip code 1234 does not match country US"},
		{"padded country", map[string]any{"country_code": " us ", "zip_postal_code": "99501 "}, "Billing zip code 99501  does not match"},
		{"canadian postal code in the US", map[string]any{"country_code": "us", "zip_postal_code": "K1A 0B1"}, "Billing zip code K1A 0B1 does not match"},
		{"zip+4 without the dash", map[string]any{"country_code": "us", "zip_postal_code": "995011234"}, "Billing zip code 995011234"},
		{"no zip", map[string]any{"country_code": "us", "city": "Anchorage"}, "Billing zip code (none) does not match"},
		{"null zip", map[string]any{"country_code": "us", "zip_postal_code": nil}, "Billing zip code (none)"},
		{"canada", map[string]any{"country_code": "ca", "zip_postal_code": "K1A 0B1"}, ""},
		{"no country", map[string]any{"zip_postal_code": "1234"}, ""},
		{"usa is not us", map[string]any{"country_code": "usa", "zip_postal_code": "1234"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t)
			r := putJSON(t, srv, map[string]any{"account_key": "HLT-2041", "billing_info": tt.billing, "payment_profile_id": "84123456"})
			if tt.msg == "" {
				if r.status != 200 || !r.success || len(f.Applied()) != 1 {
					t.Errorf("%d %s, want success", r.status, r.raw)
				}
				return
			}
			if r.status != 200 || r.success || r.code != 200 || !strings.Contains(r.message, tt.msg) || r.account != nil {
				t.Errorf("%d %s, want 200 with success false and %q", r.status, r.raw, tt.msg)
			}
			if n := len(f.Applied()); n != 0 {
				t.Errorf("%d applied", n)
			}
			if _, ok := f.Account("HLT-2041"); ok {
				t.Error("the account was created")
			}
		})
	}
	// The business address is not the credit card's: no rule.
	_, srv := newFake(t)
	if r := putJSON(t, srv, map[string]any{"account_key": "a", "business_info": map[string]any{"country_code": "us", "zip_postal_code": "1234"}}); r.status != 200 || !r.success {
		t.Errorf("business_info: %d %s", r.status, r.raw)
	}
}

func TestFakeAnswersTheAccount(t *testing.T) {
	_, srv := newFake(t)
	r := putJSON(t, srv, map[string]any{
		"account_key":   "bob_ross",
		"billing_info":  map[string]any{"first_name": "Bob", "email": "bobbyross12@gmail.com", "zip_postal_code": "88888", "country_code": "us"},
		"business_info": map[string]any{"company_name": "Happy Little Trees, Inc"},
		"logo_url":      "https://example.com/logo.jpg",
		"portrait_data": jpegBytes(),
	})
	if r.status != 200 || r.message != "" || r.code != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	want := map[string]any{
		"account_id": 1.0, "account_username": "bob_ross", "account_email": "bobbyross12@gmail.com",
		"logo_url": "https://example.com/logo.jpg", "payment_profile_id": nil, "user_account_credits": 0.0,
	}
	for k, v := range want {
		if r.account[k] != v {
			t.Errorf("user_account.%s = %v, want %v", k, r.account[k], v)
		}
	}
	billing, _ := r.account["billing_info"].(map[string]any)
	if len(billing) != len(memberNames) || billing["first_name"] != "Bob" || billing["address_2"] != nil {
		t.Errorf("billing_info %v, want every member, null where unknown", billing)
	}
	// A second account gets the next id.
	r = putJSON(t, srv, map[string]any{"account_key": "other"})
	if r.account["account_id"] != 2.0 || r.account["billing_info"] != nil {
		t.Errorf("second account: %s", r.raw)
	}
}

// Without account_key the update goes to the app key's own account, as the
// document says.
func TestFakeOwnAccount(t *testing.T) {
	f, srv := newFake(t)
	bodies := []string{`{"payment_profile_id":"1"}`, `{"account_key":"","payment_profile_id":"2"}`, `{"account_key":null,"logo_url":"u"}`}
	for _, b := range bodies {
		if r := put(t, srv, b); r.status != 200 || r.account["account_username"] != "app_key_owner" {
			t.Errorf("%s: %d %s", b, r.status, r.raw)
		}
	}
	acc, ok := f.Account("")
	if !ok || acc["payment_profile_id"] != "2" || acc["logo_url"] != "u" {
		t.Errorf("own account %v", acc)
	}
	for _, a := range f.Applied() {
		if a.Key != "" {
			t.Errorf("Applied key %q, want the own account's \"\"", a.Key)
		}
	}
}

func TestFakeApplied(t *testing.T) {
	f, srv := newFake(t)
	bodies := []string{
		`{"account_key":"A-1","payment_profile_id":"1"}`,
		`{"account_key":"A-2","billing_info":{"email":"nope"}}`,                            // invalid
		`{"account_key":"A-3","billing_info":{"country_code":"us","zip_postal_code":"1"}}`, // business rule
		`{"account_key":"A-2","logo_url":"https://example.com/l.jpg"}`,
	}
	for _, b := range bodies {
		put(t, srv, b)
	}
	want := []providers.Applied{{Key: "A-1", Body: []byte(bodies[0])}, {Key: "A-2", Body: []byte(bodies[3])}}
	if got := f.Applied(); !reflect.DeepEqual(got, want) {
		t.Errorf("Applied() = %s, want %s", got, want)
	}
	// Account returns a copy.
	put(t, srv, `{"account_key":"A-1","billing_info":{"city":"Anchorage"},"logo_data":"`+base64.StdEncoding.EncodeToString(jpegBytes())+`"}`)
	acc, _ := f.Account("A-1")
	acc["billing_info"].(map[string]any)["city"] = "changed"
	acc["logo_data"].([]byte)[0] = 0
	again, _ := f.Account("A-1")
	if again["billing_info"].(map[string]any)["city"] != "Anchorage" || !bytes.HasPrefix(again["logo_data"].([]byte), []byte{0xFF, 0xD8}) {
		t.Error("Account shares its values with the fake")
	}
}

func TestFakeWriteError(t *testing.T) {
	f := NewFake(testCreds)
	rec := httptest.NewRecorder()
	f.WriteError(rec, httptest.NewRequest(http.MethodPut, Path, nil), http.StatusServiceUnavailable, "try later")
	var a map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"status": map[string]any{"success": false, "status_code": 503.0, "message": "try later", "debug": nil}, "user_account": nil}
	if rec.Code != 503 || !reflect.DeepEqual(a, want) {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	// The client reads it as it reads the real thing.
	if ans := (Provider{}).Read(rec.Code, rec.Header(), rec.Body.Bytes(), nil); ans.Message != "try later" {
		t.Errorf("Read: %+v", ans)
	}
}

func TestFakeFailNext(t *testing.T) {
	f, srv := newFake(t)
	f.FailNext(2, http.StatusTooManyRequests, "3")
	for i := range 2 {
		// Faults come before routing and auth: a gateway answers them.
		r := do(t, srv, call{web: ptr(""), body: okBody})
		if r.status != 429 || r.header.Get("Retry-After") != "3" || r.success || r.code != 429 {
			t.Errorf("request %d: %d %v %s", i, r.status, r.header, r.raw)
		}
	}
	if r := put(t, srv, okBody); r.status != 200 {
		t.Errorf("after the faults: %d %s", r.status, r.raw)
	}
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d applied, want 1", n)
	}
}

// Many rows of one account and of many accounts at once: every request is
// applied once, and the race detector has something to look at.
func TestFakeConcurrent(t *testing.T) {
	f, srv := newFake(t)
	const n = 32
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf(`{"account_key":"K-%d","payment_profile_id":"%d"}`, i%4, i)
			req, _ := http.NewRequest(http.MethodPut, srv.URL+Path, strings.NewReader(body))
			Provider{}.Authorize(req, testCreds)
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
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: %d", i, s)
		}
	}
	if got := len(f.Applied()); got != n {
		t.Errorf("%d applied, want %d", got, n)
	}
	for k := range 4 {
		if _, ok := f.Account(fmt.Sprintf("K-%d", k)); !ok {
			t.Errorf("account K-%d missing", k)
		}
	}
}
