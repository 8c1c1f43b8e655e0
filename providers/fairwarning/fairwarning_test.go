package fairwarning

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	if info.Name != "fairwarning" || info.Document != "002_83966382ae56319f.txt" ||
		info.BaseURL != "https://api.fairwarningsoftware.com" || info.Method != http.MethodPost ||
		info.Path != "/v1.1.1/user/update" || info.Key != "user_id" || info.Title == "" {
		t.Errorf("Info() = %+v", info)
	}
	if len(info.Credentials) != 2 || info.Credentials[0].Env != "FWS_PUBLIC_KEY" || info.Credentials[1].Env != "FWS_PRIVATE_KEY" {
		t.Errorf("Credentials = %+v", info.Credentials)
	}
	for _, c := range info.Credentials {
		if c.Description == "" || c.Check == nil {
			t.Errorf("credential %s: no description or check", c.Env)
		}
	}
	if f, ok := (Provider{}).Table().Lookup(info.Key); !ok || !f.Required {
		t.Errorf("key %q is not a required field", info.Key)
	}
}

func TestLoadCredentials(t *testing.T) {
	const pub, priv = "pk_3f9a1c", "sk_77d0e2b4"
	tests := []struct {
		env     map[string]string
		wantErr string
	}{
		{map[string]string{PublicKeyEnv: pub, PrivateKeyEnv: priv}, ""},
		{map[string]string{PublicKeyEnv: " " + pub + "\n", PrivateKeyEnv: priv}, ""},
		{map[string]string{PublicKeyEnv: pub}, "FWS_PRIVATE_KEY"},
		{map[string]string{}, "FWS_PUBLIC_KEY, FWS_PRIVATE_KEY"},
		{map[string]string{PublicKeyEnv: "public-key: " + pub, PrivateKeyEnv: priv}, "header name"},
		{map[string]string{PublicKeyEnv: pub, PrivateKeyEnv: "sk 77d0"}, "white space"},
	}
	for i, tt := range tests {
		c, err := providers.LoadCredentials(Provider{}, func(k string) string { return tt.env[k] })
		if tt.wantErr == "" {
			if err != nil || c[PublicKeyEnv].Reveal() != pub || c[PrivateKeyEnv].Reveal() != priv {
				t.Errorf("case %d: %v, %v", i, c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("case %d: error %v, want one containing %q", i, err, tt.wantErr)
		}
		if err != nil && (strings.Contains(err.Error(), pub) || strings.Contains(err.Error(), "77d0")) {
			t.Errorf("case %d: the error %q reveals a key", i, err)
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		yaml    string
		xml     bool
		wantErr bool
	}{
		{"{}", false, false},
		{"format: json", false, false},
		{"format: xml", true, false},
		{"format: XML", true, false},
		{"format: ''", false, false},
		{"format: csv", false, true},
		{"format: jsonx", false, true},
	}
	for _, tt := range tests {
		o := Provider{}.NewOptions()
		dec := yaml.NewDecoder(strings.NewReader(tt.yaml))
		dec.KnownFields(true) // as the mapping decodes: strictly
		if err := dec.Decode(o); err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		err := o.Validate()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: Validate() = %v", tt.yaml, err)
		}
		if got := o.(*Options).XML(); got != tt.xml {
			t.Errorf("%s: XML() = %v, want %v", tt.yaml, got, tt.xml)
		}
	}
	dec := yaml.NewDecoder(strings.NewReader("fromat: xml"))
	dec.KnownFields(true)
	if err := dec.Decode(Provider{}.NewOptions()); err == nil {
		t.Error("an unknown option was accepted")
	}
	if (*Options)(nil).XML() {
		t.Error("nil options send XML; JSON is the default")
	}
}

// documentPayload has every field of the document's JSON example, as the
// mapping builds it.
func documentPayload() map[string]any {
	return map[string]any{
		"user_id": int64(48213), "type_id": int64(3),
		"user_is_preferred_bidder": true, "user_is_firearms_dealer": true,
		"user_ffl_number": "9-87-654-32-1A-23456", "user_class_3_ffl_number": "C3-1234",
		"user_ffl_expiration_date": "2027-06-30", "user_class_3_ffl_expiration_date": "2026-12-31",
		"user_is_tax_exempt": false, "user_tax_id": "TX-5521", "user_tax_id_expiration_month": int64(12),
		"user_tax_id_expiration_year": int64(2027), "user_tax_id_state": "IL",
		"user_email": "ann.lee@example.com", "user_alt_email": "ann@lee-arms.example",
		"user_pass": secretSHA1, "user_prefix": "Ms.", "user_fname": "Ann", "user_mname": "Marie",
		"user_lname": "Lee", "user_phone": "217-555-0142", "user_alt_phone": "217-555-0143",
		"user_fax": "217-555-0199", "user_company": "Lee Arms & Ammo <LLC>",
		"addresses": []any{
			map[string]any{
				"address_id": int64(901), "address_type": int64(1), "address_current": true,
				"address_street": "12 Elm St", "address_street2": "Apt 3", "address_city": "Springfield",
				"address_state": "IL", "address_zip": "62704", "address_country": "US",
			},
			map[string]any{
				"address_type": int64(2), "address_current": true, "address_street": "400 Depot Rd",
				"address_city": "Chatham", "address_state": "IL", "address_zip": "62629", "address_country": "US",
			},
		},
		"maillists": map[string]int64{"firearms-news": 1, "auctions": 1},
	}
}

// goldenPayloads are payloads as the mapping builds them, each encoded in
// both formats.
var goldenPayloads = []struct {
	name    string
	payload map[string]any
}{
	{"document_example", documentPayload()},
	{
		// Only what is required: the smallest body a row can make.
		name: "required_only",
		payload: map[string]any{
			"user_id": int64(7), "user_email": "bo@example.com", "user_pass": secretSHA1,
			"user_fname": "Bo", "user_lname": "Ek",
		},
	},
	{
		// Values of every type the mapping can build, even where the table
		// has no such field, and text XML must escape.
		name: "value_types",
		payload: map[string]any{
			"user_id":    int64(7),
			"user_fname": "\"Quotes\" & <angles> 'apostrophes'\tand a tab",
			"user_lname": "Ünïcødé 名前",
			"tags":       []string{"a", "b"},
			"photo":      []byte{0xFF, 0xD8, 0xFF},
			"nested":     map[string]any{"b": false, "a": int64(-1)},
			"addresses":  []any{map[string]any{"address_zip": "00501", "address_type": int64(2)}},
			"maillists":  map[string]int64{},
		},
	},
}

func TestEncodeGolden(t *testing.T) {
	for _, tt := range goldenPayloads {
		for _, format := range []string{FormatJSON, FormatXML} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				before, _ := json.Marshal(tt.payload)
				req, err := Provider{}.Encode(tt.payload, &Options{Format: format})
				if err != nil {
					t.Fatal(err)
				}
				wantType := map[string]string{FormatJSON: "application/json", FormatXML: "application/xml"}[format]
				if req.Method != http.MethodPost || req.Path != Path || req.ContentType != wantType || len(req.Query) != 0 {
					t.Errorf("request = %s %s %q %v", req.Method, req.Path, req.ContentType, req.Query)
				}
				if after, _ := json.Marshal(tt.payload); !bytes.Equal(before, after) {
					t.Errorf("Encode changed the payload: %s", after)
				}
				switch format {
				case FormatJSON:
					if !json.Valid(req.Body) {
						t.Fatalf("body is not JSON: %s", req.Body)
					}
				case FormatXML:
					if root, err := parseXML(req.Body); err != nil || root.name != "request" {
						t.Fatalf("body is not a <request>: %v\n%s", err, req.Body)
					}
				}
				golden := filepath.Join("testdata", tt.name+".golden."+format)
				body := req.Body
				if format == FormatJSON {
					body = append(body, '\n')
				}
				if *update {
					if err := os.WriteFile(golden, body, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(body, want) {
					t.Errorf("body differs from %s:\n got %s\nwant %s", golden, body, want)
				}
			})
		}
	}
}

// The XML form of addresses and mailing lists, pinned here in words as
// well as in the golden file.
func TestEncodeXMLShape(t *testing.T) {
	req, err := Provider{}.Encode(map[string]any{
		"user_id": int64(1), "user_verified": false,
		"addresses": []any{map[string]any{"address_type": int64(1), "address_city": "X"}, map[string]any{"address_type": int64(2)}},
		"maillists": map[string]int64{"news": 1, "auctions": 1},
	}, &Options{Format: FormatXML})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0"?>` + "\n" + `<request><user_id>1</user_id><user_verified>false</user_verified>` +
		`<addresses><address><address_type>1</address_type><address_city>X</address_city></address>` +
		`<address><address_type>2</address_type></address></addresses>` +
		`<maillists><auctions>1</auctions><news>1</news></maillists></request>` + "\n"
	if string(req.Body) != want {
		t.Errorf("body\n%s\nwant\n%s", req.Body, want)
	}
}

func TestEncodeXMLRefuses(t *testing.T) {
	tests := []struct {
		name    string
		payload map[string]any
		msg     string
	}{
		{"list name starting with a digit", map[string]any{"maillists": map[string]int64{"2024-auctions": 1}}, `maillists: "2024-auctions" cannot be an XML element name`},
		{"list name with a space", map[string]any{"maillists": map[string]int64{"gun news": 1}}, "cannot be an XML element name"},
		{"list name with a colon", map[string]any{"maillists": map[string]int64{"a:b": 1}}, "cannot be an XML element name"},
		{"control character", map[string]any{"user_fname": "Ann\x01"}, "user_fname holds the character U+0001"},
		{"in an address", map[string]any{"addresses": []any{map[string]any{"address_city": "\x0bX"}}}, "addresses[].address_city holds"},
		{"unknown type", map[string]any{"user_id": 1.5}, "user_id: a value of type float64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Provider{}.Encode(tt.payload, &Options{Format: FormatXML})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %v, want one containing %q", err, tt.msg)
			}
		})
	}
	// The same payloads are fine as JSON, which can carry them.
	if _, err := (Provider{}).Encode(tests[0].payload, &Options{}); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestEncodeOptions(t *testing.T) {
	payload := map[string]any{"user_id": int64(1)}
	for _, opts := range []providers.Options{nil, (*Options)(nil), &Options{}, &Options{Format: "json"}} {
		req, err := Provider{}.Encode(payload, opts)
		if err != nil || req.ContentType != "application/json" || string(req.Body) != `{"user_id":1}` {
			t.Errorf("Encode(%#v) = %+v, %v", opts, req, err)
		}
	}
	type otherOptions struct{ providers.Options }
	if _, err := (Provider{}).Encode(payload, otherOptions{}); err == nil {
		t.Error("another provider's options were accepted")
	}
}

// A masked payload (--payloads) must encode in both formats.
func TestEncodeMasked(t *testing.T) {
	p := documentPayload()
	p["user_pass"] = providers.Redacted
	for _, format := range []string{FormatJSON, FormatXML} {
		req, err := Provider{}.Encode(p, &Options{Format: format})
		if err != nil || strings.Contains(string(req.Body), secretSHA1) || !strings.Contains(string(req.Body), providers.Redacted) {
			t.Errorf("%s: %v\n%s", format, err, req.Body)
		}
	}
}

func TestAuthorize(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://x"+Path, nil)
	Provider{}.Authorize(r, testCreds)
	if r.Header.Get("public-key") != testPublic || r.Header.Get("private-key") != testPrivate {
		t.Errorf("headers %v", r.Header)
	}
	r, _ = http.NewRequest(http.MethodPost, "http://x"+Path, nil)
	Provider{}.Authorize(r, nil)
	if len(r.Header) != 0 {
		t.Errorf("headers without credentials: %v", r.Header)
	}
}

func TestRead(t *testing.T) {
	const (
		js  = "application/json"
		xm  = "application/xml; charset=utf-8"
		hdr = `<?xml version="1.0"?> `
	)
	okJSON := `{"user_id":48213,"user_active":true,"user_verified":false,"user_email":"ann@example.com","user_company":null}`
	okXML := hdr + `<response> <user_id>48213</user_id> <user_active>1</user_active> <user_email>ann@example.com</user_email> </response>`
	tests := []struct {
		name    string
		status  int
		ct      string
		body    string
		outcome providers.Outcome
		msg     string // the message, or "~text" for one that contains text
	}{
		{"ok json", 200, js, okJSON, providers.OK, ""},
		{"ok xml", 200, xm, okXML, providers.OK, ""},
		{"ok xml as text/xml", 200, "text/xml", okXML, providers.OK, ""},
		{"ok json sniffed", 200, "", okJSON, providers.OK, ""},
		{"ok xml sniffed", 200, "text/plain", okXML, providers.OK, ""},
		{"ok json with charset", 201, "application/json; charset=utf-8", okJSON, providers.OK, ""},
		{"401 json", 401, js, `{"error":"The API keys provided are invalid."}`, providers.Failed, "The API keys provided are invalid."},
		{"403 json", 403, js, `{"error":"API keys are missing."}`, providers.Failed, "API keys are missing."},
		{"404 json", 404, js, `{"error":"API method (user/updte) not found."}`, providers.Failed, "API method (user/updte) not found."},
		{"500 json", 500, js, `{"error": "The email address ann@example.com is already in use by another user."}`, providers.Failed,
			"The email address ann@example.com is already in use by another user."},
		{"401 xml", 401, xm, hdr + `<response><error>The API keys provided are invalid</error></response>`, providers.Failed, "The API keys provided are invalid"},
		{"403 xml", 403, xm, hdr + "\n<response><error>API keys are missing.</error></response>", providers.Failed, "API keys are missing."},
		{"404 xml", 404, xm, hdr + "\n<response><error>API method (user/x) not found.</error></response>", providers.Failed, "API method (user/x) not found."},
		{"500 xml", 500, xm, hdr + "<response><error>\n  user_zip is required.\n</error></response>", providers.Failed, "user_zip is required."},
		{"500 xml sniffed", 500, "text/html", hdr + "<response><error>boom &amp; bust</error></response>", providers.Failed, "boom & bust"},
		{"500 json sniffed", 500, "", `{"error":"boom"}`, providers.Failed, "boom"},
		{"error object", 500, js, `{"error":{"message":"deep"}}`, providers.Failed, "deep"},
		{"error in a 200 json", 200, js, `{"error":"user not found"}`, providers.Failed, "user not found"},
		{"error in a 200 xml", 200, xm, hdr + `<response><error>user not found</error></response>`, providers.Failed, "user not found"},
		{"empty error", 200, js, `{"error":""}`, providers.Failed, "the answer has an empty error"},
		{"proxy page", 200, "text/html", "<html><body>Maintenance</body></html>", providers.Failed, "~not FairWarning's user details"},
		{"empty 200", 200, js, "", providers.Failed, "~HTTP 200 but"},
		{"204", 204, "", "", providers.Failed, "~HTTP 204"},
		{"json without user_id", 200, js, `{"user_active":true}`, providers.Failed, "~not FairWarning's user details"},
		{"null user_id", 200, js, `{"user_id":null}`, providers.Failed, "~not FairWarning's user details"},
		{"xml of another root", 200, xm, hdr + `<request><user_id>1</user_id></request>`, providers.Failed, "~not FairWarning's user details"},
		{"json labelled xml", 200, xm, okJSON, providers.Failed, "~not FairWarning's user details"},
		{"gateway text", 502, "text/plain", "Bad Gateway\n", providers.Failed, "Bad Gateway"},
		{"gateway message", 503, js, `{"message":"try later"}`, providers.Failed, "try later"},
		{"no body", 500, "", "", providers.Failed, ""},
		{"long xml error", 500, xm, hdr + "<response><error>" + strings.Repeat("x ", 600) + "</error></response>", providers.Failed, "~…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.ct != "" {
				h.Set("Content-Type", tt.ct)
			}
			a := Provider{}.Read(tt.status, h, []byte(tt.body), &Options{})
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
			if n := len([]rune(a.Message)); n > 510 {
				t.Errorf("message of %d characters", n)
			}
			// A 500 that gives its reason is the server refusing the
			// request: not retried. One without a reason may be transient.
			wantPermanent := tt.status == 500 && tt.msg != "" && strings.Contains(tt.body, "error")
			if a.Permanent != wantPermanent {
				t.Errorf("permanent %v, want %v", a.Permanent, wantPermanent)
			}
		})
	}
}

func TestProviderNewFake(t *testing.T) {
	fake := Provider{}.NewFake(testCreds)
	if _, ok := fake.(*Fake); !ok {
		t.Fatalf("NewFake returned %T, want *Fake", fake)
	}
	req, _ := Provider{}.Encode(minimal(5), nil)
	hr := httptest.NewRequest(req.Method, req.Path, bytes.NewReader(req.Body))
	hr.Header.Set("Content-Type", req.ContentType)
	Provider{}.Authorize(hr, testCreds)
	rec := httptest.NewRecorder()
	fake.ServeHTTP(rec, hr)
	if rec.Code != 200 || len(fake.Applied()) != 1 || fake.Applied()[0].Key != "5" {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func ExampleProvider_Encode() {
	payload := map[string]any{
		"user_id":    int64(48213),
		"user_email": "ann@example.com",
		"maillists":  map[string]int64{"auctions": 1},
	}
	req, _ := Provider{}.Encode(payload, &Options{})
	fmt.Println(req.Method, req.Path, req.ContentType)
	fmt.Println(string(req.Body))
	req, _ = Provider{}.Encode(payload, &Options{Format: "xml"})
	fmt.Println(req.ContentType)
	fmt.Print(string(req.Body))
	// Output:
	// POST /v1.1.1/user/update application/json
	// {"maillists":{"auctions":1},"user_email":"ann@example.com","user_id":48213}
	// application/xml
	// <?xml version="1.0"?>
	// <request><user_id>48213</user_id><user_email>ann@example.com</user_email><maillists><auctions>1</auctions></maillists></request>
}
