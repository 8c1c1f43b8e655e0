package userapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// The document's host is a placeholder: there is no default, so a run
// without base_url can never send a real key there.
func TestInfoHasNoBaseURL(t *testing.T) {
	info := Provider{}.Info()
	if info.BaseURL != "" || !strings.Contains(info.Document, "placeholder") || !strings.Contains(info.Title, "base_url") ||
		info.Path != PathPrefix+"{user_id}" || info.Key != KeyField {
		t.Errorf("Info() = %+v", info)
	}
}

func TestLoadCredentials(t *testing.T) {
	key := func(v string) map[string]string { return map[string]string{KeyEnv: v} }
	providertest.CheckLoadCredentials(t, Provider{}, []providertest.CredentialCase{
		{Name: "escapable", Env: key("in-a+b/c=d")},
		{Name: "trimmed", Env: key("  in-7f3a9c1e\n")},
		{Name: "none", Env: key(""), Err: KeyEnv},
		{Name: "another prefix", Env: key("sk-7f3a9c1e"), Err: `start with "in-"`},
		{Name: "upper case", Env: key("IN-7f3a9c1e"), Err: `start with "in-"`},
		{Name: "prefix elsewhere", Env: key("7f3a9c1e-in-"), Err: `start with "in-"`},
	})
}

func TestEncodeGolden(t *testing.T) {
	providertest.EncodeGolden(t, Provider{}, "testdata", []providertest.GoldenPayload{{
		// The document's curl example, with its placeholders.
		Name: "curl_example",
		Payload: map[string]any{
			"user_id": exampleUUID, "first_name": "<string>", "last_name": "<string>", "email": "jsmith@example.com",
			"is_active": true, "is_superuser": true, "birthdate": "2023-11-07T05:31:56Z", "is_enterprise": true,
			"role_id": exampleUUID, "phone": "<string>", "state": "<string>", "country": "<string>", "address": "<string>",
			"active_billing_plan_id": exampleUUID, "next_billing_plan_id": exampleUUID, "stripe_customer_id": "<string>",
			"stripe_subscription_id": "<string>", "stripe_subscription_status": "<string>", "stripe_has_payment_method": true,
			"is_trial": true, "used_trial": true, "is_paying": true, "stripe_last_payment_date": "2023-11-07T05:31:56Z",
			"billing_updated_at": "2023-11-07T05:31:56Z", "last_credits_refresh": "2023-11-07T05:31:56Z",
			"next_credits_refresh": "2023-11-07T05:31:56Z",
		},
	}, {
		// A typical row: a few fields, falses, text that JSON must escape
		// (but not HTML-escape).
		Name: "typical_row",
		Payload: map[string]any{
			"user_id": "1042", "first_name": "Zoë", "last_name": "O'Brien & Sons <Ltd>", "email": "zoe.obrien@example.com",
			"is_active": true, "is_superuser": false, "birthdate": "1987-03-15T00:00:00Z", "address": "12 \"Old\" Road\nDublin",
			"is_paying": false,
		},
	}, {
		// Only the user id: an empty object, which changes nothing.
		Name:    "only_user_id",
		Payload: map[string]any{"user_id": "42"},
	}}, *providertest.Update)
}

// user_id fills the path, escaped once, and never the body.
func TestEncodePath(t *testing.T) {
	for id, path := range map[string]string{"42": PathPrefix + "42", "a b": PathPrefix + "a b"} {
		req, err := Provider{}.Encode(map[string]any{"user_id": id, "email": "a@b.cd"}, nil)
		if err != nil || req.Path != path || string(req.Body) != `{"email":"a@b.cd"}` {
			t.Errorf("%q: %+v, %v", id, req, err)
		}
	}
	for name, payload := range map[string]map[string]any{
		"user_id is required":  {"first_name": "Ann"},
		"want a string":        {"user_id": int64(42)},
		"must be one segment":  {"user_id": "42/../7"},
		"must be one segment ": {"user_id": ".."},
	} {
		if req, err := (Provider{}).Encode(payload, nil); err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Errorf("Encode(%v) = %v, %v; want an error containing %q", payload, req, err, name)
		}
	}
}

func TestAuthorize(t *testing.T) {
	const key = "in-a+b/c=d"
	r, _ := http.NewRequest(http.MethodPut, "http://x/api/v1/user/42?trace=1", nil)
	Provider{}.Authorize(r, providers.Credentials{KeyEnv: providers.NewSecret(key)})
	q := r.URL.Query()
	if q.Get("api_key") != key || q.Get("trace") != "1" || len(q) != 2 || len(r.Header) != 0 {
		t.Errorf("query = %q, headers %v", r.URL.RawQuery, r.Header)
	}
	if want := "api_key=" + url.QueryEscape(key); !strings.Contains(r.URL.RawQuery, want) {
		t.Errorf("query %q, want the key escaped: %q", r.URL.RawQuery, want)
	}
}

func TestRead(t *testing.T) {
	const documented = `{"message":"Data updated successfully","meta":{},"data":{"first_name":"<string>","email":"jsmith@example.com","id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","is_active":true,"follower_count":0,"following_count":0}}`
	providertest.CheckRead(t, Provider{}, &Options{}, []providertest.ReadCase{
		{Name: "document example", Status: 200, Body: documented, Outcome: providers.OK, AccountID: "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
		{Name: "201", Status: 201, Body: documented, Outcome: providers.OK, AccountID: "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
		{Name: "data only", Status: 200, Body: `{"data":{"id":"42"}}`, Outcome: providers.OK, AccountID: "42"},
		// Without the updated user, nothing says the update happened.
		{Name: "a bare message", Status: 200, Body: `{"message":"User not found"}`, Outcome: providers.Failed,
			Msg: "HTTP 200 without the updated user (data), so the update is not confirmed: User not found"},
		{Name: "success without data", Status: 200, Body: `{"message":"Data updated successfully","meta":{}}`, Outcome: providers.Failed,
			Msg: "~without the updated user (data)"},
		{Name: "null data", Status: 200, Body: `{"message":"User not found","data":null}`, Outcome: providers.Failed, Msg: "~: User not found"},
		{Name: "empty data", Status: 200, Body: `{"message":"Data updated successfully","data":{}}`, Outcome: providers.Failed, Msg: "~without the updated user"},
		{Name: "proxy page", Status: 200, Body: "<html><body><h1>Maintenance</h1></body></html>", Outcome: providers.Failed, Msg: "~not the API's JSON"},
		{Name: "empty 200", Status: 200, Outcome: providers.Failed, Msg: "~not the API's JSON"},
		{Name: "204", Status: 204, Outcome: providers.Failed, Msg: "~HTTP 204"},
		{Name: "empty object", Status: 200, Body: "{}", Outcome: providers.Failed, Msg: "~not the API's JSON"},
		{Name: "null", Status: 200, Body: "null", Outcome: providers.Failed, Msg: "~not the API's JSON"},
		{Name: "array", Status: 200, Body: `[{"message":"Data updated successfully"}]`, Outcome: providers.Failed, Msg: "~not the API's JSON"},
		{Name: "detail in a 200", Status: 200, Body: `{"detail":"user is locked","data":{"id":"42"}}`, Outcome: providers.Failed, Msg: "~user is locked"},
		{Name: "conflict", Status: 409, Body: `{"detail":"email ann@example.com is already used by another user"}`, Outcome: providers.Failed,
			Msg: "email ann@example.com is already used by another user"},
		{Name: "401", Status: 401, Body: `{"detail":"Invalid API key"}`, Outcome: providers.Failed, Msg: "Invalid API key"},
		{Name: "validation list", Status: 422, Body: `{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address","type":"value_error"},{"loc":["body","role_id"],"msg":"Input should be a valid UUID","type":"uuid_parsing","input":"x"}]}`,
			Outcome: providers.Failed, Msg: "email: value is not a valid email address; role_id: Input should be a valid UUID"},
		{Name: "validation in the path and a list item", Status: 422, Body: `{"detail":[{"loc":["path","user_id"],"msg":"bad id","type":"value_error"},{"loc":["body","tags",0],"msg":"bad tag","type":"x"}]}`,
			Outcome: providers.Failed, Msg: "user_id: bad id; tags[0]: bad tag"},
		{Name: "validation of the whole body", Status: 422, Body: `{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}`,
			Outcome: providers.Failed, Msg: "body: Field required"},
		{Name: "validation without loc", Status: 422, Body: `{"detail":[{"msg":"Something is wrong","type":"x"}]}`, Outcome: providers.Failed, Msg: "Something is wrong"},
		{Name: "empty validation list", Status: 422, Body: `{"detail":[]}`, Outcome: providers.Failed, Msg: "~detail"},
		{Name: "detail object", Status: 400, Body: `{"detail":{"message":"nested"}}`, Outcome: providers.Failed, Msg: "nested"},
		{Name: "other shape", Status: 400, Body: `{"error":"bad request"}`, Outcome: providers.Failed, Msg: "bad request"},
		{Name: "text error", Status: 502, Body: "Bad Gateway\n", Outcome: providers.Failed, Msg: "Bad Gateway"},
		{Name: "no body", Status: 500, Outcome: providers.Failed},
	})
}

func ExampleProvider_Encode() {
	req, _ := Provider{}.Encode(map[string]any{
		"user_id":   "3c90c3cc-0d44-4b50-8888-8dd25736052a",
		"email":     "jsmith@example.com",
		"is_paying": true,
	}, nil)
	fmt.Println(req.Method, req.Path)
	fmt.Println(string(req.Body))
	// Output:
	// PUT /api/v1/user/3c90c3cc-0d44-4b50-8888-8dd25736052a
	// {"email":"jsmith@example.com","is_paying":true}
}
