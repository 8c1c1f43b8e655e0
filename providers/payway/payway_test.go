package payway

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/acctimport/acctimport/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestInfo(t *testing.T) {
	info := Provider{}.Info()
	if info.Name != "payway" || info.Document != "001_bb9c60684bd42d88.txt" ||
		info.BaseURL != "https://backend.worldoftulo.com" || info.Method != http.MethodPut ||
		info.Path != "/external/api/v2/accounts" || info.Key != "id" || info.Title == "" {
		t.Errorf("Info() = %+v", info)
	}
	if len(info.Credentials) != 1 || info.Credentials[0].Env != "PAYWAY_TOKEN" {
		t.Errorf("Credentials = %+v, want PAYWAY_TOKEN only", info.Credentials)
	}
	if _, ok := (Provider{}).Table().Lookup(info.Key); !ok {
		t.Errorf("key %q is not a field", info.Key)
	}
}

func TestLoadCredentials(t *testing.T) {
	const tok = "c2VjcmV0LXRva2Vu"
	tests := []struct {
		value   string
		wantErr string
	}{
		{tok, ""},
		{"  " + tok + "\n", ""}, // LoadCredentials trims
		{"", "PAYWAY_TOKEN"},
		{"Bearer " + tok, "token alone"},
		{"abc def", "white space"},
	}
	for _, tt := range tests {
		c, err := providers.LoadCredentials(Provider{}, func(string) string { return tt.value })
		if tt.wantErr == "" {
			if err != nil || c[TokenEnv].Reveal() != tok {
				t.Errorf("%q: %v, %v", tt.value, c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%q: error %v, want one containing %q", tt.value, err, tt.wantErr)
		}
		if err != nil && tt.value != "" && strings.Contains(err.Error(), strings.TrimSpace(strings.TrimPrefix(tt.value, "Bearer "))) {
			t.Errorf("%q: the error %q reveals the value", tt.value, err)
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		yaml string
		want bool
	}{
		{"{}", true},
		{"atomic: true", true},
		{"atomic: false", false},
	}
	for _, tt := range tests {
		o := Provider{}.NewOptions()
		dec := yaml.NewDecoder(strings.NewReader(tt.yaml))
		dec.KnownFields(true) // as the mapping decodes: strictly
		if err := dec.Decode(o); err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", tt.yaml, err)
		}
		if got := o.(*Options).IsAtomic(); got != tt.want {
			t.Errorf("%s: IsAtomic() = %v, want %v", tt.yaml, got, tt.want)
		}
	}
	dec := yaml.NewDecoder(strings.NewReader("atomik: true"))
	dec.KnownFields(true)
	if err := dec.Decode(Provider{}.NewOptions()); err == nil {
		t.Error("an unknown option was accepted")
	}
	if !(*Options)(nil).IsAtomic() {
		t.Error("nil options are not atomic, the document's default")
	}
}

func ptr[T any](v T) *T { return &v }

// goldenPayloads are payloads as the mapping builds them.
var goldenPayloads = []struct {
	name    string
	payload map[string]any
	opts    providers.Options
}{
	{
		// The document's curl example; no options, so no atomic.
		name: "curl_example",
		payload: map[string]any{
			"id": "50f3ac249f6aef294d000007", "email": "adeprimo.servicedesk@no-reply.com",
			"first_name": "Adeprimo", "last_name": "Servicedesk",
		},
	},
	{
		name: "every_field_non_atomic",
		payload: map[string]any{
			"id":                          "50f3ac249f6aef294d000007",
			"email":                       "anna.svensson@example.se",
			"first_name":                  "Anna",
			"last_name":                   "Svensson",
			"alias":                       Unset,
			"mobile_phone_number":         "+46701234567",
			"social_security_number":      "800101-1234",
			"birth_date":                  "1980-01-01",
			"company_registration_number": "556000-1234",
			"company_name":                "Svensson & Söner <AB>",
			"account_origin":              "Daily News",
			"tags":                        []string{"premium", "sports"},
			"address": map[string]any{
				"street": "Storgatan", "street_number": "1", "zip_code": "11122",
				"city": "Stockholm", "country_code": "SE", "care_of": "Berg",
			},
		},
		opts: &Options{Atomic: ptr(false)},
	},
	{
		// Values of every type the mapping can build, even where Payway's
		// table has no such field, and an explicit atomic true.
		name: "value_types",
		payload: map[string]any{
			"id":         "50f3ac249f6aef294d000007",
			"first_name": int64(42),
			"last_name":  true,
			"tags":       []string{},
			"address":    map[string]any{"street": "Väg \"1\"", "floor": int64(3)},
			"company_name": []any{
				"a", map[string]any{"b": false},
			},
		},
		opts: &Options{Atomic: ptr(true)},
	},
}

func TestEncodeGolden(t *testing.T) {
	for _, tt := range goldenPayloads {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(tt.payload)
			req, err := Provider{}.Encode(tt.payload, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if req.Method != http.MethodPut || req.Path != Path || req.ContentType != "application/json" || len(req.Query) != 0 {
				t.Errorf("request = %s %s %q %v", req.Method, req.Path, req.ContentType, req.Query)
			}
			if after, _ := json.Marshal(tt.payload); !bytes.Equal(before, after) {
				t.Errorf("Encode changed the payload: %s", after)
			}
			if !json.Valid(req.Body) {
				t.Fatalf("body is not JSON: %s", req.Body)
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

func TestEncodeAtomic(t *testing.T) {
	payload := map[string]any{"id": "50f3ac249f6aef294d000007"}
	for _, tt := range []struct {
		opts providers.Options
		want string
	}{
		{nil, `{"id":"50f3ac249f6aef294d000007"}`},
		{(*Options)(nil), `{"id":"50f3ac249f6aef294d000007"}`},
		{&Options{}, `{"id":"50f3ac249f6aef294d000007"}`},
		{&Options{Atomic: ptr(true)}, `{"atomic":true,"id":"50f3ac249f6aef294d000007"}`},
		{&Options{Atomic: ptr(false)}, `{"atomic":false,"id":"50f3ac249f6aef294d000007"}`},
	} {
		req, err := Provider{}.Encode(payload, tt.opts)
		if err != nil || string(req.Body) != tt.want {
			t.Errorf("Encode(%v) = %s, %v; want %s", tt.opts, req.Body, err, tt.want)
		}
	}
	if len(payload) != 1 {
		t.Errorf("Encode added to the payload: %v", payload)
	}
	if _, err := (Provider{}).Encode(map[string]any{"id": "x", "atomic": false}, nil); err == nil {
		t.Error("atomic as a field was accepted")
	}
	type otherOptions struct{ providers.Options }
	if _, err := (Provider{}).Encode(payload, otherOptions{}); err == nil {
		t.Error("another provider's options were accepted")
	}
}

func TestAuthorize(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPut, "http://x"+Path, nil)
	Provider{}.Authorize(r, providers.Credentials{TokenEnv: providers.NewSecret("tok-1")})
	if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
		t.Errorf("Authorization = %q", got)
	}
	r, _ = http.NewRequest(http.MethodPut, "http://x"+Path, nil)
	Provider{}.Authorize(r, nil)
	if got, ok := r.Header["Authorization"]; ok {
		t.Errorf("Authorization without credentials = %q", got)
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		outcome providers.Outcome
		msg     string // the message, or "~text" for one that contains text
	}{
		{"ok", 200, `{"id":"50f3ac249f6aef294d000007","updated_fields":"email first_name","not_updated_fields":""}`, providers.OK, ""},
		{"ok null", 200, `{"id":"50f3ac249f6aef294d000007","updated_fields":["email"],"not_updated_fields":null}`, providers.OK, ""},
		{"ok empty array", 200, `{"id":"x","updated_fields":[],"not_updated_fields":[]}`, providers.OK, ""},
		{"ok only id", 200, `{"id":"50f3ac249f6aef294d000007"}`, providers.OK, ""},
		{"document example", 200, `{"id":"50f3ac249f6aef294d000007","updated_fields":"social_security_number","not_updated_fields":"address last_name: must_be_set"}`,
			providers.Partial, "not updated: address last_name: must_be_set"},
		{"array", 200, `{"id":"x","updated_fields":["first_name"],"not_updated_fields":["email: must_be_unique"," ","alias: too_long"]}`,
			providers.Partial, "not updated: email: must_be_unique; alias: too_long"},
		{"multi-status", 207, `{"id":"x","updated_fields":"first_name","not_updated_fields":"email: must_be_unique"}`,
			providers.Partial, "not updated: email: must_be_unique"},
		{"multi-status nothing updated", 207, `{"id":"x","updated_fields":"","not_updated_fields":"email: must_be_unique"}`,
			providers.Partial, "not updated: email: must_be_unique (nothing was updated)"},
		{"multi-status without a list", 207, `{"id":"x","updated_fields":"first_name","not_updated_fields":""}`,
			providers.Partial, "~207 Multi-Status"},
		{"proxy page", 200, "<html><body><h1>Maintenance</h1></body></html>", providers.Failed, "~not Payway's JSON"},
		{"empty 200", 200, "", providers.Failed, "~not Payway's JSON"},
		{"204", 204, "", providers.Failed, "~HTTP 204"},
		{"empty object", 200, "{}", providers.Failed, "~not Payway's JSON"},
		{"error in a 200", 200, `{"error":"account locked"}`, providers.Failed, "~account locked"},
		{"wrong list type", 200, `{"id":"x","not_updated_fields":5}`, providers.Failed, "~not Payway's JSON"},
		{"error message", 400, `{"error":"validation_failed","message":"email: must_be_unique"}`, providers.Failed, "email: must_be_unique"},
		{"error only", 404, `{"error":"account not found"}`, providers.Failed, "account not found"},
		{"text error", 502, "Bad Gateway\n", providers.Failed, "Bad Gateway"},
		{"no body", 500, "", providers.Failed, ""},
		{"long proxy page", 200, "<html>" + strings.Repeat("Service unavailable. ", 100) + "</html>", providers.Failed, "~…"},
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
		})
	}
}

func TestFieldSetKeepsOrder(t *testing.T) {
	var a answer
	if err := json.Unmarshal([]byte(`{"not_updated_fields":["b","a"]}`), &a); err != nil {
		t.Fatal(err)
	}
	if got := a.NotUpdatedFields.list(); !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("list() = %q", got)
	}
}

func TestUnreadableIsShort(t *testing.T) {
	a := Provider{}.Read(200, nil, []byte(strings.Repeat("é", 10000)), nil)
	if n := len([]rune(a.Message)); n > 250 {
		t.Errorf("message of %d characters", n)
	}
}

func TestProviderNewFake(t *testing.T) {
	fake := Provider{}.NewFake(testCreds)
	if _, ok := fake.(*Fake); !ok {
		t.Fatalf("NewFake returned %T, want *Fake", fake)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPut, Path, strings.NewReader(`{"id":"`+testID+`"}`))
	req.Header.Set("Content-Type", "application/json")
	Provider{}.Authorize(req, testCreds)
	fake.ServeHTTP(rec, req)
	if rec.Code != 200 || len(fake.Applied()) != 1 {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func ExampleProvider_Encode() {
	req, _ := Provider{}.Encode(map[string]any{
		"id":   "50f3ac249f6aef294d000007",
		"tags": []string{"premium"},
	}, &Options{Atomic: ptr(false)})
	fmt.Println(req.Method, req.Path)
	fmt.Println(string(req.Body))
	// Output:
	// PUT /external/api/v2/accounts
	// {"atomic":false,"id":"50f3ac249f6aef294d000007","tags":["premium"]}
}
