package finerworks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

const testWebKey, testAppKey = "fw-web-3c9a71d2e8", "fw-app-5b0e44f7a1"

var testCreds = providers.Credentials{WebAPIKeyEnv: providers.NewSecret(testWebKey), AppKeyEnv: providers.NewSecret(testAppKey)}

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
	if info.Name != "finerworks" || info.BaseURL != BaseURL || info.Path != Path || info.Key != "account_key" ||
		!strings.Contains(info.Document, "https://api.finerworks.com/v3/update_user") {
		t.Errorf("Info() = %+v", info)
	}
	if key, _ := (Provider{}).Table().Lookup(info.Key); !key.Required || !strings.Contains(key.Description, "own account is updated instead") {
		t.Errorf("account_key: %+v", key)
	}
}

func TestLoadCredentials(t *testing.T) {
	env := func(web, app string) map[string]string { return map[string]string{WebAPIKeyEnv: web, AppKeyEnv: app} }
	providertest.CheckLoadCredentials(t, Provider{}, []providertest.CredentialCase{
		{Name: "ok", Env: env(testWebKey, testAppKey)},
		{Name: "trimmed", Env: env(" "+testWebKey+"\n", testAppKey+" ")},
		{Name: "none", Env: env("", ""), Err: "FINERWORKS_WEB_API_KEY, FINERWORKS_APP_KEY"},
		{Name: "no app key", Env: env(testWebKey, ""), Err: "variable FINERWORKS_APP_KEY "},
		{Name: "no web key", Env: env("", testAppKey), Err: "variable FINERWORKS_WEB_API_KEY "},
		{Name: "web placeholder", Env: env("my-web-api-key-goes-here", testAppKey), Err: "FINERWORKS_WEB_API_KEY: is the document's placeholder", Quoted: true},
		{Name: "app placeholder", Env: env(testWebKey, "MY-APP-KEY-GOES-HERE"), Err: "FINERWORKS_APP_KEY: is the document's placeholder", Quoted: true},
		{Name: "space inside", Env: env("fw web", testAppKey), Err: "white space"},
		{Name: "control character", Env: env(testWebKey, "fw\x00app"), Err: "control characters"},
	})
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
		"account_key": "sample string 1", "billing_info": addr(), "business_info": addr(), "logo_url": "sample string 2",
		"logo_data": []byte("@@"), "portrait_data": []byte("@@"), "payment_profile_id": "sample string 3",
	}
}

func TestEncodeGolden(t *testing.T) {
	providertest.EncodeGolden(t, Provider{}, "testdata", []providertest.GoldenPayload{{
		// The document's example body, with "@@" as the image bytes: the
		// golden file must show the document's "QEA=".
		Name: "document_example", Payload: documentExample(),
	}, {
		// A typical row of the sample: an account key, a US billing address,
		// a business e-mail and a logo.
		Name: "typical_row",
		Payload: map[string]any{
			"account_key": "HLT-2041",
			"billing_info": map[string]any{
				"first_name": "Bob", "last_name": "Ross", "company_name": "Happy Little Trees & Co",
				"address_1": "742 Evergreen Terrace", "city": "Anchorage", "state_code": "AK",
				"zip_postal_code": "99501-1234", "country_code": "us", "phone": "907-555-0142",
			},
			"business_info": map[string]any{"company_name": "Happy Little Trees & Co", "email": "studio@happylittletrees.com"},
			"logo_data":     []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		},
	}, {
		// Values of every type the mapping can build, even where the table
		// has no such field: Encode writes what it is given.
		Name: "value_types",
		Payload: map[string]any{
			"account_key": int64(42), "payment_profile_id": true, "logo_url": []string{"a"},
			"billing_info":  map[string]any{"city": "Café \"Ümlaut\" <b>", "phone": map[string]int64{"x": 1}},
			"business_info": []any{"a", map[string]any{"b": false}}, "portrait_data": []byte{},
		},
	}}, *providertest.Update)
}

// The document's example body and ours mean the same JSON.
func TestEncodeMatchesDocumentExample(t *testing.T) {
	req, err := Provider{}.Encode(documentExample(), nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := `{"first_name": "sample string 1", "last_name": "sample string 2", "company_name": "sample string 3",
    "address_1": "sample string 4", "address_2": "sample string 5", "address_3": "sample string 6", "city": "sample string 7",
    "state_code": "sample string 8", "province": "sample string 9", "zip_postal_code": "sample string 10",
    "country_code": "sample string 11", "phone": "sample string 12", "email": "sample string 13", "address_order_po": "sample string 14"}`
	doc := `{"account_key": "sample string 1", "billing_info": ` + addr + `, "business_info": ` + addr + `,
  "logo_url": "sample string 2", "logo_data": "QEA=", "portrait_data": "QEA=", "payment_profile_id": "sample string 3"}`
	var got, want any
	if json.Unmarshal(req.Body, &got) != nil || json.Unmarshal([]byte(doc), &want) != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("body %s\nwant the document's %s", req.Body, doc)
	}
}

func TestAuthorize(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPut, "http://x"+Path, nil)
	Provider{}.Authorize(r, testCreds)
	// Exactly the document's spelling, not Go's canonical "Web_api_key",
	// on the wire too, as the document's curl example sends them.
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"\r\nweb_api_key: " + testWebKey + "\r\n", "\r\napp_key: " + testAppKey + "\r\n"} {
		if !strings.Contains(wire.String(), line) {
			t.Errorf("the request does not send %q:\n%s", strings.TrimSpace(line), wire.String())
		}
	}
}

func TestRead(t *testing.T) {
	const okBody = `{"status":{"success":true,"status_code":200,"message":"","debug":null},"user_account":{"account_id":1,"account_username":"bob_ross"}}`
	providertest.CheckRead(t, Provider{}, &Options{}, []providertest.ReadCase{
		{Name: "document example", Status: 200, Body: okBody, Outcome: providers.OK, Account: "1 (bob_ross)", AccountID: "1"},
		{Name: "account as a string", Status: 200, Body: `{"status":{"success":true},"user_account":{"account_id":" 12345 ","account_username":"jdoe"}}`,
			Outcome: providers.OK, Account: "12345 (jdoe)", AccountID: "12345"},
		{Name: "account without a username", Status: 200, Body: `{"status":{"success":true},"user_account":{"account_id":7,"account_username":null}}`,
			Outcome: providers.OK, Account: "7", AccountID: "7"},
		{Name: "account without an id", Status: 200, Body: `{"status":{"success":true},"user_account":{"account_id":null,"account_username":"jdoe"}}`,
			Outcome: providers.OK, Account: "jdoe", AccountID: "username jdoe"},
		{Name: "user_account of another shape", Status: 200, Body: `{"status":{"success":true},"user_account":"bob"}`, Outcome: providers.OK},
		{Name: "ok without user_account", Status: 200, Body: `{"status":{"success":true}}`, Outcome: providers.OK},
		{Name: "ok with debug", Status: 200, Body: `{"status":{"success":true,"status_code":200,"message":"","debug":{"trace":[1,2]}},"user_account":null}`, Outcome: providers.OK},
		{Name: "failure in a 200", Status: 200, Body: `{"status":{"success":false,"status_code":200,"message":"Billing zip code 1234 does not match country US","debug":null},"user_account":null}`,
			Outcome: providers.Failed, Msg: "Billing zip code 1234 does not match country US"},
		{Name: "failure in a 200, status_code 400", Status: 200, Body: `{"status":{"success":false,"status_code":400,"message":" Invalid account_key \n"}}`,
			Outcome: providers.Failed, Msg: "Invalid account_key"},
		{Name: "failure without a message", Status: 200, Body: `{"status":{"success":false,"status_code":409,"message":""}}`,
			Outcome: providers.Failed, Msg: "status.success is false and status.message is empty (status_code 409)"},
		{Name: "proxy page", Status: 200, Body: "<html><body><h1>Maintenance</h1></body></html>", Outcome: providers.Failed, Msg: "~unreadable answer: HTTP 200"},
		{Name: "empty 200", Status: 200, Outcome: providers.Failed, Msg: "~unreadable answer"},
		{Name: "204", Status: 204, Outcome: providers.Failed, Msg: "~unreadable answer: HTTP 204"},
		{Name: "status without success", Status: 200, Body: `{"status":{"status_code":200,"message":"ok"}}`, Outcome: providers.Failed, Msg: "~unreadable answer"},
		{Name: "success as a string", Status: 200, Body: `{"status":{"success":"true"}}`, Outcome: providers.Failed, Msg: "~unreadable answer"},
		{Name: "status not an object", Status: 200, Body: `{"status":"ok"}`, Outcome: providers.Failed, Msg: "~unreadable answer"},
		{Name: "another API's error in a 200", Status: 200, Body: `{"error":"account locked"}`, Outcome: providers.Failed, Msg: "~account locked"},
		{Name: "401", Status: 401, Body: `{"status":{"success":false,"status_code":401,"message":"Unauthorized: invalid web_api_key or app_key","debug":null},"user_account":null}`,
			Outcome: providers.Failed, Msg: "Unauthorized: invalid web_api_key or app_key"},
		{Name: "error without a message", Status: 500, Body: `{"status":{"success":false,"status_code":500,"message":""}}`, Outcome: providers.Failed, Msg: `~"status_code":500`},
		// ASP.NET's own errors, for a route or a media type it has no action for.
		{Name: "ASP.NET 404", Status: 404, Body: `{"Message":"No HTTP resource was found that matches the request URI 'https://api.finerworks.com/v3/update_users'."}`,
			Outcome: providers.Failed, Msg: "No HTTP resource was found that matches the request URI 'https://api.finerworks.com/v3/update_users'."},
		{Name: "ASP.NET with a detail", Status: 405, Body: `{"Message":"The requested resource does not support http method 'POST'.","MessageDetail":"Use PUT."}`,
			Outcome: providers.Failed, Msg: "The requested resource does not support http method 'POST'.: Use PUT."},
		{Name: "text error", Status: 502, Body: "Bad Gateway\n", Outcome: providers.Failed, Msg: "Bad Gateway"},
		{Name: "no body", Status: 500, Outcome: providers.Failed},
	})
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
