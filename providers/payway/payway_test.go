package payway

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// accountID is a well-formed id for account n.
func accountID(n int) string { return fmt.Sprintf("%024x", n) }

func TestInfo(t *testing.T) {
	info := Provider{}.Info()
	if info.Name != "payway" || info.BaseURL != BaseURL || info.Path != Path || info.Key != "id" ||
		!strings.Contains(info.Document, `"Update account"`) {
		t.Errorf("Info() = %+v", info)
	}
}

func TestLoadCredentials(t *testing.T) {
	const tok = "c2VjcmV0LXRva2Vu"
	providertest.CheckLoadCredentials(t, Provider{}, []providertest.CredentialCase{
		{Name: "token", Env: map[string]string{TokenEnv: tok}},
		{Name: "trimmed", Env: map[string]string{TokenEnv: "  " + tok + "\n"}},
		{Name: "none", Env: map[string]string{}, Err: TokenEnv},
		{Name: "with its scheme", Env: map[string]string{TokenEnv: "Bearer " + tok}, Err: "token alone"},
		{Name: "two words", Env: map[string]string{TokenEnv: "abc def"}, Err: "white space"},
	})
}

func TestOptions(t *testing.T) {
	for src, want := range map[string]bool{"{}": true, "atomic: true": true, "atomic: false": false} {
		o, err := providertest.DecodeOptions(Provider{}, src)
		if err != nil || o.(*Options).IsAtomic() != want {
			t.Errorf("%s: %v, IsAtomic() = %v", src, err, !want)
		}
	}
	if !(*Options)(nil).IsAtomic() {
		t.Error("nil options are not atomic, the document's default")
	}
}

func ptr[T any](v T) *T { return &v }

func TestEncodeGolden(t *testing.T) {
	providertest.EncodeGolden(t, Provider{}, "testdata", []providertest.GoldenPayload{{
		// The document's curl example; no options, so no atomic.
		Name: "curl_example",
		Payload: map[string]any{
			"id": "50f3ac249f6aef294d000007", "email": "adeprimo.servicedesk@no-reply.com",
			"first_name": "Adeprimo", "last_name": "Servicedesk",
		},
	}, {
		Name: "every_field_non_atomic",
		Payload: map[string]any{
			"id": "50f3ac249f6aef294d000007", "email": "anna.svensson@example.se", "first_name": "Anna",
			"last_name": "Svensson", "alias": Unset, "mobile_phone_number": "+46701234567",
			"social_security_number": "800101-1234", "birth_date": "1980-01-01",
			"company_registration_number": "556000-1234", "company_name": "Svensson & Söner <AB>",
			"account_origin": "Daily News", "tags": []string{"premium", "sports"},
			"address": map[string]any{
				"street": "Storgatan", "street_number": "1", "zip_code": "11122",
				"city": "Stockholm", "country_code": "SE", "care_of": "Berg",
			},
		},
		Options: &Options{Atomic: ptr(false)},
	}, {
		// Values of every type the mapping can build, even where Payway's
		// table has no such field, and an explicit atomic true.
		Name: "value_types",
		Payload: map[string]any{
			"id": "50f3ac249f6aef294d000007", "first_name": int64(42), "last_name": true, "tags": []string{},
			"address":      map[string]any{"street": "Väg \"1\"", "floor": int64(3)},
			"company_name": []any{"a", map[string]any{"b": false}},
		},
		Options: &Options{Atomic: ptr(true)},
	}}, *providertest.Update)
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
	if _, err := (Provider{}).Encode(map[string]any{"id": "x", "atomic": false}, nil); err == nil {
		t.Error("atomic as a field was accepted")
	}
}

func TestRead(t *testing.T) {
	const doc = `{"id":"50f3ac249f6aef294d000007","updated_fields":"social_security_number","not_updated_fields":"address last_name: must_be_set"}`
	providertest.CheckRead(t, Provider{}, &Options{}, []providertest.ReadCase{
		{Name: "ok", Status: 200, Body: `{"id":"50f3ac249f6aef294d000007","updated_fields":"email first_name","not_updated_fields":""}`, Outcome: providers.OK, AccountID: "50f3ac249f6aef294d000007"},
		{Name: "ok null", Status: 200, Body: `{"id":"x","updated_fields":["email"],"not_updated_fields":null}`, Outcome: providers.OK, AccountID: "x"},
		{Name: "ok empty arrays", Status: 200, Body: `{"id":"x","updated_fields":[],"not_updated_fields":[]}`, Outcome: providers.OK, AccountID: "x"},
		{Name: "ok only id", Status: 200, Body: `{"id":"50f3ac249f6aef294d000007"}`, Outcome: providers.OK, AccountID: "50f3ac249f6aef294d000007"},
		{Name: "document example", Status: 200, Body: doc, Outcome: providers.Partial, Msg: "not updated: address last_name: must_be_set", AccountID: "50f3ac249f6aef294d000007"},
		{Name: "arrays", Status: 200, Body: `{"id":"x","updated_fields":["first_name"],"not_updated_fields":["email: must_be_unique"," ","alias: too_long"]}`,
			Outcome: providers.Partial, Msg: "not updated: email: must_be_unique; alias: too_long", AccountID: "x"},
		{Name: "multi-status", Status: 207, Body: `{"id":"x","updated_fields":"first_name","not_updated_fields":"email: must_be_unique"}`,
			Outcome: providers.Partial, Msg: "not updated: email: must_be_unique", AccountID: "x"},
		// Nothing in updated_fields: nothing was applied.
		{Name: "multi-status, nothing updated", Status: 207, Body: `{"id":"x","updated_fields":"","not_updated_fields":"email: must_be_unique"}`,
			Outcome: providers.Failed, Msg: "not updated: email: must_be_unique (nothing was updated)", AccountID: "x"},
		{Name: "200, nothing updated", Status: 200, Body: `{"id":"x","updated_fields":[],"not_updated_fields":["email: must_be_unique"]}`,
			Outcome: providers.Failed, Msg: "not updated: email: must_be_unique (nothing was updated)", AccountID: "x"},
		{Name: "no updated_fields", Status: 200, Body: `{"id":"x","not_updated_fields":"alias: too_long"}`,
			Outcome: providers.Failed, Msg: "not updated: alias: too_long (nothing was updated)", AccountID: "x"},
		{Name: "multi-status without a list", Status: 207, Body: `{"id":"x","updated_fields":"first_name","not_updated_fields":""}`,
			Outcome: providers.Partial, Msg: "~207 Multi-Status", AccountID: "x"},
		{Name: "proxy page", Status: 200, Body: "<html><body><h1>Maintenance</h1></body></html>", Outcome: providers.Failed, Msg: "~not Payway's JSON"},
		{Name: "empty 200", Status: 200, Outcome: providers.Failed, Msg: "~not Payway's JSON"},
		{Name: "204", Status: 204, Outcome: providers.Failed, Msg: "~HTTP 204"},
		{Name: "empty object", Status: 200, Body: "{}", Outcome: providers.Failed, Msg: "~not Payway's JSON"},
		{Name: "error in a 200", Status: 200, Body: `{"error":"account locked"}`, Outcome: providers.Failed, Msg: "~account locked"},
		{Name: "wrong list type", Status: 200, Body: `{"id":"x","not_updated_fields":5}`, Outcome: providers.Failed, Msg: "~not Payway's JSON"},
		// The common error convention: the description says why.
		{Name: "error description", Status: 404, Body: `{"error":"not_found","error_description":"no account 50f3ac249f6aef294d000007"}`,
			Outcome: providers.Failed, Msg: "not_found: no account 50f3ac249f6aef294d000007"},
		{Name: "conflict", Status: 409, Body: `{"error":"conflict","error_description":"nothing was updated (atomic): email: must_be_unique","errors":[{"field":"email","message":"must_be_unique"}]}`,
			Outcome: providers.Failed, Msg: "conflict: nothing was updated (atomic): email: must_be_unique"},
		{Name: "error message", Status: 400, Body: `{"error":"validation_failed","message":"email: must_be_unique"}`, Outcome: providers.Failed, Msg: "email: must_be_unique"},
		{Name: "error only", Status: 404, Body: `{"error":"account not found"}`, Outcome: providers.Failed, Msg: "account not found"},
		{Name: "text error", Status: 502, Body: "Bad Gateway\n", Outcome: providers.Failed, Msg: "Bad Gateway"},
		{Name: "no body", Status: 500, Outcome: providers.Failed},
	})
}

// Payway's answer says which fields it applied: everything is ok, some is
// partial, none is failed, whatever the status.
func ExampleProvider_Read() {
	for _, body := range []string{
		`{"id":"50f3ac249f6aef294d000007","updated_fields":"email first_name","not_updated_fields":""}`,
		`{"id":"50f3ac249f6aef294d000007","updated_fields":"social_security_number","not_updated_fields":"address last_name: must_be_set"}`,
		`{"id":"50f3ac249f6aef294d000007","updated_fields":"","not_updated_fields":"email: must_be_unique"}`,
	} {
		a := Provider{}.Read(200, nil, []byte(body), &Options{Atomic: ptr(false)})
		fmt.Println(strings.TrimSpace(a.Outcome.String() + " " + a.Message))
	}
	// Output:
	// ok
	// partial not updated: address last_name: must_be_set
	// failed not updated: email: must_be_unique (nothing was updated)
}

// The field lists decode the same whether a string takes the fast path
// (no escapes) or encoding/json's.
func TestFieldSetDecoding(t *testing.T) {
	for _, tc := range []struct {
		json string
		want []string
	}{
		{`"email first_name"`, []string{"email first_name"}},
		{`"  email  "`, []string{"email"}},
		{`""`, nil},
		{`"   "`, nil},
		{`null`, nil},
		{`"e\u006dail \"x\""`, []string{`email "x"`}},
		{"\"caf\xff\"", []string{"caf\uFFFD"}},
		{`["email", " ", "first_name"]`, []string{"email", "first_name"}},
		{`[]`, nil},
	} {
		var a answer
		if err := json.Unmarshal([]byte(`{"updated_fields":`+tc.json+`}`), &a); err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if got := a.UpdatedFields.list(); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("%s: %q, want %q", tc.json, got, tc.want)
		}
	}
	var a answer
	if err := json.Unmarshal([]byte(`{"updated_fields": 3}`), &a); err == nil {
		t.Error("a number taken as a field list")
	}
}
