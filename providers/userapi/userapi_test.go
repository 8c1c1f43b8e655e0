package userapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/acctimport/acctimport/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestInfo(t *testing.T) {
	info := Provider{}.Info()
	if info.Name != "userapi" || info.Document != "003_4d1bd60a8eb28d71.txt" ||
		info.BaseURL != "https://api.example.com" || info.Method != http.MethodPut ||
		info.Path != "/api/v1/user/{user_id}" || info.Key != "user_id" ||
		!strings.Contains(info.Title, "base_url") {
		t.Errorf("Info() = %+v", info)
	}
	if len(info.Credentials) != 1 {
		t.Fatalf("Credentials = %+v, want USERAPI_KEY only", info.Credentials)
	}
	cr := info.Credentials[0]
	if cr.Env != "USERAPI_KEY" || cr.Sample != "in-" || cr.Check == nil || !strings.Contains(cr.Description, "api_key") {
		t.Errorf("credential %+v", cr)
	}
	if _, ok := (Provider{}).Table().Lookup(info.Key); !ok {
		t.Errorf("key %q is not a field", info.Key)
	}
}

func TestLoadCredentials(t *testing.T) {
	tests := []struct {
		value   string
		want    string // the key loaded, or "" when an error is expected
		wantErr string
	}{
		{"in-a+b/c=d", "in-a+b/c=d", ""},
		{"  in-7f3a9c1e\n", "in-7f3a9c1e", ""}, // LoadCredentials trims
		{"", "", "USERAPI_KEY"},
		{"sk-7f3a9c1e", "", `start with "in-"`},
		{"IN-7f3a9c1e", "", `start with "in-"`},
		{"7f3a9c1e-in-", "", `start with "in-"`},
	}
	for _, tt := range tests {
		c, err := providers.LoadCredentials(Provider{}, func(string) string { return tt.value })
		if tt.wantErr == "" {
			if err != nil || c[KeyEnv].Reveal() != tt.want {
				t.Errorf("%q: %v, %v", tt.value, c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: error %v, want one containing %q", tt.value, err, tt.wantErr)
		}
		if err != nil && tt.value != "" && strings.Contains(err.Error(), tt.value) {
			t.Errorf("%q: the error %q reveals the value", tt.value, err)
		}
	}
}

func TestSandboxCredentialsAreWellFormed(t *testing.T) {
	c := providers.SandboxCredentials(Provider{})
	key := c[KeyEnv].Reveal()
	if err := checkKey(key); err != nil {
		t.Errorf("sandbox key: %v", err)
	}
}

func TestOptions(t *testing.T) {
	for _, src := range []string{"{}", ""} {
		o := Provider{}.NewOptions()
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true) // as the mapping decodes: strictly
		if err := dec.Decode(o); err != nil && src != "" {
			t.Fatalf("%q: %v", src, err)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("%q: Validate() = %v", src, err)
		}
	}
	dec := yaml.NewDecoder(strings.NewReader("atomic: true"))
	dec.KnownFields(true)
	if err := dec.Decode(Provider{}.NewOptions()); err == nil {
		t.Error("an option was accepted; the API has none")
	}
}

// goldenPayloads are payloads as the mapping builds them.
var goldenPayloads = []struct {
	name    string
	payload map[string]any
}{
	{
		// The document's curl example, with its placeholders.
		name: "curl_example",
		payload: map[string]any{
			"user_id":                    exampleUUID,
			"first_name":                 "<string>",
			"last_name":                  "<string>",
			"email":                      "jsmith@example.com",
			"is_active":                  true,
			"is_superuser":               true,
			"birthdate":                  "2023-11-07T05:31:56Z",
			"is_enterprise":              true,
			"role_id":                    exampleUUID,
			"phone":                      "<string>",
			"state":                      "<string>",
			"country":                    "<string>",
			"address":                    "<string>",
			"active_billing_plan_id":     exampleUUID,
			"next_billing_plan_id":       exampleUUID,
			"stripe_customer_id":         "<string>",
			"stripe_subscription_id":     "<string>",
			"stripe_subscription_status": "<string>",
			"stripe_has_payment_method":  true,
			"is_trial":                   true,
			"used_trial":                 true,
			"is_paying":                  true,
			"stripe_last_payment_date":   "2023-11-07T05:31:56Z",
			"billing_updated_at":         "2023-11-07T05:31:56Z",
			"last_credits_refresh":       "2023-11-07T05:31:56Z",
			"next_credits_refresh":       "2023-11-07T05:31:56Z",
		},
	},
	{
		// A typical row: a few fields, falses, text that JSON must escape
		// (but not HTML-escape).
		name: "typical_row",
		payload: map[string]any{
			"user_id":      "1042",
			"first_name":   "Zoë",
			"last_name":    "O'Brien & Sons <Ltd>",
			"email":        "zoe.obrien@example.com",
			"is_active":    true,
			"is_superuser": false,
			"birthdate":    "1987-03-15T00:00:00Z",
			"address":      "12 \"Old\" Road\nDublin",
			"is_paying":    false,
		},
	},
	{
		// Only the user id: an empty object, which changes nothing.
		name:    "only_user_id",
		payload: map[string]any{"user_id": "42"},
	},
}

func TestEncodeGolden(t *testing.T) {
	for _, tt := range goldenPayloads {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(tt.payload)
			req, err := Provider{}.Encode(tt.payload, &Options{})
			if err != nil {
				t.Fatal(err)
			}
			wantPath := "/api/v1/user/" + tt.payload["user_id"].(string)
			if req.Method != http.MethodPut || req.Path != wantPath || req.ContentType != "application/json" || len(req.Query) != 0 {
				t.Errorf("request = %s %s %q %v", req.Method, req.Path, req.ContentType, req.Query)
			}
			if after, _ := json.Marshal(tt.payload); !bytes.Equal(before, after) {
				t.Errorf("Encode changed the payload: %s", after)
			}
			var body map[string]any
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("body is not a JSON object: %s", req.Body)
			}
			if _, ok := body["user_id"]; ok || len(body) != len(tt.payload)-1 {
				t.Errorf("body has %d fields (user_id in it: %v), want every field but user_id", len(body), ok)
			}
			golden := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, append(req.Body, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got := append(req.Body, '\n'); !bytes.Equal(got, want) {
				t.Errorf("body differs from %s:\n got %s\nwant %s", golden, got, want)
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	type otherOptions struct{ providers.Options }
	tests := []struct {
		name    string
		payload map[string]any
		opts    providers.Options
		want    string
	}{
		{"no user_id", map[string]any{"first_name": "Ann"}, nil, "user_id is required"},
		{"number", map[string]any{"user_id": int64(42)}, nil, "want a string"},
		{"empty", map[string]any{"user_id": ""}, nil, "must be one segment"},
		{"slash", map[string]any{"user_id": "42/../7"}, nil, "must be one segment"},
		{"dot dot", map[string]any{"user_id": ".."}, nil, "must be one segment"},
		{"other options", map[string]any{"user_id": "42"}, otherOptions{}, "options of type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Provider{}.Encode(tt.payload, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode = %v, %v; want an error containing %q", req, err, tt.want)
			}
		})
	}
	// nil and typed-nil options are fine: there are none.
	for _, o := range []providers.Options{nil, (*Options)(nil)} {
		if _, err := (Provider{}).Encode(map[string]any{"user_id": "42"}, o); err != nil {
			t.Errorf("options %#v: %v", o, err)
		}
	}
}

func TestEncodeLeavesPayloadAlone(t *testing.T) {
	payload := map[string]any{"user_id": "42", "email": "ann@example.com"}
	if _, err := (Provider{}).Encode(payload, nil); err != nil {
		t.Fatal(err)
	}
	if len(payload) != 2 || payload["user_id"] != "42" {
		t.Errorf("payload after Encode: %v", payload)
	}
}

func TestAuthorize(t *testing.T) {
	const key = "in-a+b/c=d"
	r, _ := http.NewRequest(http.MethodPut, "http://x/api/v1/user/42?trace=1", nil)
	Provider{}.Authorize(r, providers.Credentials{KeyEnv: providers.NewSecret(key)})
	q := r.URL.Query()
	if q.Get("api_key") != key || q.Get("trace") != "1" || len(q) != 2 {
		t.Errorf("query = %q", r.URL.RawQuery)
	}
	if want := "api_key=" + url.QueryEscape(key); !strings.Contains(r.URL.RawQuery, want) {
		t.Errorf("query %q, want the key escaped: %q", r.URL.RawQuery, want)
	}
	if len(r.Header) != 0 {
		t.Errorf("headers %v: the key goes in the query only", r.Header)
	}
	r, _ = http.NewRequest(http.MethodPut, "http://x/api/v1/user/42", nil)
	Provider{}.Authorize(r, nil)
	if r.URL.RawQuery != "" {
		t.Errorf("query without credentials = %q", r.URL.RawQuery)
	}
}

func TestRead(t *testing.T) {
	const documented = `{"message":"Data updated successfully","meta":{},"data":{"first_name":"<string>","email":"jsmith@example.com","id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","is_active":true,"follower_count":0,"following_count":0}}`
	tests := []struct {
		name    string
		status  int
		body    string
		outcome providers.Outcome
		msg     string // the message, or "~text" for one that contains text
	}{
		{"document example", 200, documented, providers.OK, ""},
		{"201", 201, documented, providers.OK, ""},
		{"message only", 200, `{"message":"Data updated successfully"}`, providers.OK, ""},
		{"data only", 200, `{"data":{"id":"42"}}`, providers.OK, ""},
		{"proxy page", 200, "<html><body><h1>Maintenance</h1></body></html>", providers.Failed, "~not the API's JSON"},
		{"empty 200", 200, "", providers.Failed, "~not the API's JSON"},
		{"204", 204, "", providers.Failed, "~HTTP 204"},
		{"empty object", 200, "{}", providers.Failed, "~not the API's JSON"},
		{"null", 200, "null", providers.Failed, "~not the API's JSON"},
		{"array", 200, `[{"message":"Data updated successfully"}]`, providers.Failed, "~not the API's JSON"},
		{"detail in a 200", 200, `{"detail":"user is locked"}`, providers.Failed, "~user is locked"},
		{"long proxy page", 200, "<html>" + strings.Repeat("Service unavailable. ", 100) + "</html>", providers.Failed, "~…"},
		{"conflict", 409, `{"detail":"email ann@example.com is already used by another user"}`, providers.Failed,
			"email ann@example.com is already used by another user"},
		{"401", 401, `{"detail":"Invalid API key"}`, providers.Failed, "Invalid API key"},
		{"404", 404, `{"detail":"Not Found"}`, providers.Failed, "Not Found"},
		{"validation list", 422, `{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address","type":"value_error"},{"loc":["body","role_id"],"msg":"Input should be a valid UUID","type":"uuid_parsing","input":"x"}]}`,
			providers.Failed, "email: value is not a valid email address; role_id: Input should be a valid UUID"},
		{"validation in the path and a list item", 422, `{"detail":[{"loc":["path","user_id"],"msg":"bad id","type":"value_error"},{"loc":["body","tags",0],"msg":"bad tag","type":"x"}]}`,
			providers.Failed, "user_id: bad id; tags[0]: bad tag"},
		{"validation of the whole body", 422, `{"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]}`,
			providers.Failed, "body: Field required"},
		{"validation without loc", 422, `{"detail":[{"msg":"Something is wrong","type":"x"}]}`, providers.Failed, "Something is wrong"},
		{"empty validation list", 422, `{"detail":[]}`, providers.Failed, "~detail"},
		{"detail object", 400, `{"detail":{"message":"nested"}}`, providers.Failed, "nested"},
		{"other shape", 400, `{"error":"bad request"}`, providers.Failed, "bad request"},
		{"text error", 502, "Bad Gateway\n", providers.Failed, "Bad Gateway"},
		{"no body", 500, "", providers.Failed, ""},
		{"long detail", 400, `{"detail":"` + strings.Repeat("é", 1000) + `"}`, providers.Failed, "~…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Provider{}.Read(tt.status, http.Header{}, []byte(tt.body), &Options{})
			if a.Outcome != tt.outcome {
				t.Errorf("outcome %v, want %v (%q)", a.Outcome, tt.outcome, a.Message)
			}
			if want, ok := strings.CutPrefix(tt.msg, "~"); ok {
				if !strings.Contains(a.Message, want) {
					t.Errorf("message %q, want one containing %q", a.Message, want)
				}
			} else if a.Message != tt.msg {
				t.Errorf("message %q, want %q", a.Message, tt.msg)
			}
			if len(a.Message) > 600 {
				t.Errorf("message of %d bytes", len(a.Message))
			}
		})
	}
}

func TestProviderNewFake(t *testing.T) {
	fake := Provider{}.NewFake(testCreds)
	if _, ok := fake.(*Fake); !ok {
		t.Fatalf("NewFake returned %T, want *Fake", fake)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPut, PathPrefix+"42", strings.NewReader(`{"first_name":"Ann"}`))
	req.Header.Set("Content-Type", "application/json")
	Provider{}.Authorize(req, testCreds)
	fake.ServeHTTP(rec, req)
	if rec.Code != 200 || len(fake.Applied()) != 1 {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
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
