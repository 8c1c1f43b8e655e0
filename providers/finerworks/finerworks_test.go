package finerworks

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/acctimport/acctimport/providers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	testWebKey = "fw-web-3c9a71d2e8"
	testAppKey = "fw-app-5b0e44f7a1"
)

var testCreds = providers.Credentials{
	WebAPIKeyEnv: providers.NewSecret(testWebKey),
	AppKeyEnv:    providers.NewSecret(testAppKey),
}

// jpegBytes is a real, tiny JPEG image. Encoding into memory cannot fail.
func jpegBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 50}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// pngBytes is a real, tiny PNG image: the wrong kind for FinerWorks.
func pngBytes() []byte {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestInfo(t *testing.T) {
	info := Provider{}.Info()
	if info.Name != "finerworks" || info.Document != "000_7e852f32ba466839.txt" ||
		info.BaseURL != "https://api.finerworks.com" || info.Method != http.MethodPut ||
		info.Path != "/v3/update_user" || info.Key != "account_key" || info.Title == "" {
		t.Errorf("Info() = %+v", info)
	}
	var envs []string
	for _, c := range info.Credentials {
		envs = append(envs, c.Env)
		if c.Description == "" || c.Check == nil || c.Sample == "" {
			t.Errorf("credential %+v is not described", c)
		}
	}
	if strings.Join(envs, " ") != "FINERWORKS_WEB_API_KEY FINERWORKS_APP_KEY" {
		t.Errorf("credentials %v", envs)
	}
	key, ok := (Provider{}).Table().Lookup(info.Key)
	if !ok || !key.Required {
		t.Errorf("key %q is not a required field", info.Key)
	}
}

func TestLoadCredentials(t *testing.T) {
	tests := []struct {
		name     string
		web, app string
		wantErr  string
	}{
		{"ok", testWebKey, testAppKey, ""},
		{"trimmed", " " + testWebKey + "\n", testAppKey + " ", ""},
		{"none", "", "", "FINERWORKS_WEB_API_KEY, FINERWORKS_APP_KEY"},
		{"no app key", testWebKey, "", "variable FINERWORKS_APP_KEY "},
		{"no web key", "", testAppKey, "variable FINERWORKS_WEB_API_KEY "},
		{"web placeholder", "my-web-api-key-goes-here", testAppKey, "FINERWORKS_WEB_API_KEY: is the document's placeholder"},
		{"app placeholder", testWebKey, "MY-APP-KEY-GOES-HERE", "FINERWORKS_APP_KEY: is the document's placeholder"},
		{"space inside", "fw web", testAppKey, "white space"},
		{"control character", testWebKey, "fw\x00app", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{WebAPIKeyEnv: tt.web, AppKeyEnv: tt.app}
			c, err := providers.LoadCredentials(Provider{}, func(k string) string { return env[k] })
			if tt.wantErr == "" {
				if err != nil || c[WebAPIKeyEnv].Reveal() != testWebKey || c[AppKeyEnv].Reveal() != testAppKey {
					t.Errorf("%v, %v", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			for _, v := range []string{tt.web, tt.app} {
				if v = strings.TrimSpace(v); len(v) > 4 && !strings.Contains(v, "goes-here") && strings.Contains(err.Error(), v) {
					t.Errorf("the error %q reveals a key", err)
				}
			}
		})
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
		t.Error("an option was accepted; FinerWorks has none")
	}
}

// goldenPayloads are payloads as the mapping builds them.
var goldenPayloads = []struct {
	name    string
	payload map[string]any
}{
	{
		// The document's example body, with "@@" as the image bytes: the
		// golden file must show the document's "QEA=".
		name:    "document_example",
		payload: documentExample(),
	},
	{
		// A typical row of the sample: an account key, a US billing address,
		// a business e-mail and a logo.
		name: "typical_row",
		payload: map[string]any{
			"account_key": "HLT-2041",
			"billing_info": map[string]any{
				"first_name": "Bob", "last_name": "Ross", "company_name": "Happy Little Trees & Co",
				"address_1": "742 Evergreen Terrace", "city": "Anchorage", "state_code": "AK",
				"zip_postal_code": "99501-1234", "country_code": "us", "phone": "907-555-0142",
			},
			"business_info": map[string]any{"company_name": "Happy Little Trees & Co", "email": "studio@happylittletrees.com"},
			"logo_data":     []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		},
	},
	{
		// Values of every type the mapping can build, even where the table
		// has no such field: Encode writes what it is given.
		name: "value_types",
		payload: map[string]any{
			"account_key":        int64(42),
			"payment_profile_id": true,
			"logo_url":           []string{"a"},
			"billing_info":       map[string]any{"city": "Café \"Ümlaut\" <b>", "phone": map[string]int64{"x": 1}},
			"business_info":      []any{"a", map[string]any{"b": false}},
			"portrait_data":      []byte{},
		},
	},
}

func documentExample() map[string]any {
	addr := func() map[string]any {
		m := map[string]any{}
		for i, n := range memberNames {
			m[n.name] = fmt.Sprintf("sample string %d", i+1)
		}
		return m
	}
	return map[string]any{
		"account_key":        "sample string 1",
		"billing_info":       addr(),
		"business_info":      addr(),
		"logo_url":           "sample string 2",
		"logo_data":          []byte("@@"),
		"portrait_data":      []byte("@@"),
		"payment_profile_id": "sample string 3",
	}
}

func TestEncodeGolden(t *testing.T) {
	for _, tt := range goldenPayloads {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := json.Marshal(tt.payload)
			req, err := Provider{}.Encode(tt.payload, &Options{})
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

// The document's example body and ours mean the same JSON.
func TestEncodeMatchesDocumentExample(t *testing.T) {
	req, err := Provider{}.Encode(documentExample(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const doc = `{
  "account_key": "sample string 1",
  "billing_info": {"first_name": "sample string 1", "last_name": "sample string 2", "company_name": "sample string 3",
    "address_1": "sample string 4", "address_2": "sample string 5", "address_3": "sample string 6", "city": "sample string 7",
    "state_code": "sample string 8", "province": "sample string 9", "zip_postal_code": "sample string 10",
    "country_code": "sample string 11", "phone": "sample string 12", "email": "sample string 13", "address_order_po": "sample string 14"},
  "business_info": {"first_name": "sample string 1", "last_name": "sample string 2", "company_name": "sample string 3",
    "address_1": "sample string 4", "address_2": "sample string 5", "address_3": "sample string 6", "city": "sample string 7",
    "state_code": "sample string 8", "province": "sample string 9", "zip_postal_code": "sample string 10",
    "country_code": "sample string 11", "phone": "sample string 12", "email": "sample string 13", "address_order_po": "sample string 14"},
  "logo_url": "sample string 2",
  "logo_data": "QEA=",
  "portrait_data": "QEA=",
  "payment_profile_id": "sample string 3"
}`
	var got, want any
	if err := json.Unmarshal(req.Body, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body %s\nwant the document's %s", req.Body, doc)
	}
}

func TestEncodeOptions(t *testing.T) {
	payload := map[string]any{"account_key": "a"}
	for _, opts := range []providers.Options{nil, (*Options)(nil), &Options{}} {
		req, err := Provider{}.Encode(payload, opts)
		if err != nil || string(req.Body) != `{"account_key":"a"}` {
			t.Errorf("Encode(%#v) = %v, %v", opts, req, err)
		}
	}
	type otherOptions struct{ providers.Options }
	if _, err := (Provider{}).Encode(payload, otherOptions{}); err == nil {
		t.Error("another provider's options were accepted")
	}
}

func TestAuthorize(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPut, "http://x"+Path, nil)
	Provider{}.Authorize(r, testCreds)
	// Exactly the document's spelling, not Go's canonical "Web_api_key".
	if got := r.Header["web_api_key"]; len(got) != 1 || got[0] != testWebKey {
		t.Errorf("web_api_key = %q (header %v)", got, r.Header)
	}
	if got := r.Header["app_key"]; len(got) != 1 || got[0] != testAppKey {
		t.Errorf("app_key = %q (header %v)", got, r.Header)
	}
	// On the wire, too, as the document's curl example sends them.
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"\r\nweb_api_key: " + testWebKey + "\r\n", "\r\napp_key: " + testAppKey + "\r\n"} {
		if !strings.Contains(wire.String(), line) {
			t.Errorf("the request does not send %q:\n%s", strings.TrimSpace(line), wire.String())
		}
	}
	r, _ = http.NewRequest(http.MethodPut, "http://x"+Path, nil)
	Provider{}.Authorize(r, nil)
	if len(r.Header) != 0 {
		t.Errorf("headers without credentials: %v", r.Header)
	}
}

func TestRead(t *testing.T) {
	const okBody = `{"status":{"success":true,"status_code":200,"message":"","debug":null},"user_account":{"account_id":1,"account_username":"bob_ross"}}`
	tests := []struct {
		name    string
		status  int
		body    string
		outcome providers.Outcome
		msg     string // the message, or "~text" for one that contains text
	}{
		{"document example", 200, okBody, providers.OK, ""},
		{"ok without user_account", 200, `{"status":{"success":true}}`, providers.OK, ""},
		{"ok with a message", 201, `{"status":{"success":true,"status_code":201,"message":"Updated"}}`, providers.OK, ""},
		{"ok with debug", 200, `{"status":{"success":true,"status_code":200,"message":"","debug":{"trace":[1,2]}},"user_account":null}`, providers.OK, ""},
		{"failure in a 200", 200, `{"status":{"success":false,"status_code":200,"message":"Billing zip code 1234 does not match country US","debug":null},"user_account":null}`,
			providers.Failed, "Billing zip code 1234 does not match country US"},
		{"failure in a 200, status_code 400", 200, `{"status":{"success":false,"status_code":400,"message":" Invalid account_key \n"}}`,
			providers.Failed, "Invalid account_key"},
		{"failure without a message", 200, `{"status":{"success":false,"status_code":409,"message":""}}`,
			providers.Failed, "status.success is false and status.message is empty (status_code 409)"},
		{"failure without anything", 200, `{"status":{"success":false}}`,
			providers.Failed, "status.success is false and status.message is empty"},
		{"proxy page", 200, "<html><body><h1>Maintenance</h1></body></html>", providers.Failed, "~unreadable answer: HTTP 200"},
		{"empty 200", 200, "", providers.Failed, "~unreadable answer"},
		{"204", 204, "", providers.Failed, "~unreadable answer: HTTP 204"},
		{"empty object", 200, "{}", providers.Failed, "~unreadable answer"},
		{"status without success", 200, `{"status":{"status_code":200,"message":"ok"}}`, providers.Failed, "~unreadable answer"},
		{"success as a string", 200, `{"status":{"success":"true"}}`, providers.Failed, "~unreadable answer"},
		{"success null", 200, `{"status":{"success":null}}`, providers.Failed, "~unreadable answer"},
		{"status not an object", 200, `{"status":"ok"}`, providers.Failed, "~unreadable answer"},
		{"another API's error in a 200", 200, `{"error":"account locked"}`, providers.Failed, "~account locked"},
		{"long proxy page", 200, "<html>" + strings.Repeat("Service unavailable. ", 100) + "</html>", providers.Failed, "~…"},
		{"401", 401, `{"status":{"success":false,"status_code":401,"message":"Unauthorized: invalid web_api_key or app_key","debug":null},"user_account":null}`,
			providers.Failed, "Unauthorized: invalid web_api_key or app_key"},
		{"400 with a message", 400, `{"status":{"success":false,"status_code":400,"message":"The request is invalid: logo_data: must be a JPEG image"}}`,
			providers.Failed, "The request is invalid: logo_data: must be a JPEG image"},
		{"error without a message", 500, `{"status":{"success":false,"status_code":500,"message":""}}`, providers.Failed, `~"status_code":500`},
		{"ASP.NET error", 404, `{"Message":"No HTTP resource was found that matches the request URI"}`, providers.Failed, "~No HTTP resource"},
		{"text error", 502, "Bad Gateway\n", providers.Failed, "Bad Gateway"},
		{"no body", 500, "", providers.Failed, ""},
		{"long error page", 503, "<html>" + strings.Repeat("Service unavailable. ", 100) + "</html>", providers.Failed, "~…"},
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
			if n := len([]rune(a.Message)); n > 250 {
				t.Errorf("message of %d characters", n)
			}
		})
	}
}

func TestReadClipsLongMessages(t *testing.T) {
	long := strings.Repeat("é", 2000)
	a := Provider{}.Read(200, nil, []byte(`{"status":{"success":false,"message":"`+long+`"}}`), nil)
	if n := len([]rune(a.Message)); a.Outcome != providers.Failed || n != maxMessage+1 || !strings.HasSuffix(a.Message, "…") {
		t.Errorf("%v, message of %d characters", a.Outcome, n)
	}
}

func TestProviderNewFake(t *testing.T) {
	fake := Provider{}.NewFake(testCreds)
	if _, ok := fake.(*Fake); !ok {
		t.Fatalf("NewFake returned %T, want *Fake", fake)
	}
	if _, ok := fake.(providers.ErrorWriter); !ok {
		t.Error("the fake is not a providers.ErrorWriter")
	}
}

func ExampleProvider_Encode() {
	req, _ := Provider{}.Encode(map[string]any{
		"account_key":  "HLT-2041",
		"billing_info": map[string]any{"zip_postal_code": "99501", "country_code": "us"},
		"logo_data":    []byte("@@"),
	}, nil)
	fmt.Println(req.Method, req.Path)
	fmt.Println(string(req.Body))
	// Output:
	// PUT /v3/update_user
	// {"account_key":"HLT-2041","billing_info":{"country_code":"us","zip_postal_code":"99501"},"logo_data":"QEA="}
}
