package fairwarning

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

const (
	testPublic  = "pk_live_3f9a1c0b"
	testPrivate = "sk_live_77d0e2b4a5"
)

var testCreds = providers.Credentials{
	PublicKeyEnv:  providers.NewSecret(testPublic),
	PrivateKeyEnv: providers.NewSecret(testPrivate),
}

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	t.Helper()
	f := NewFake(testCreds)
	f.now = func() time.Time { return time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC) }
	return f, providertest.Serve(t, f)
}

// reply is an answer of the fake, its members as text.
type reply struct {
	providertest.Reply
	fields map[string]string
}

func (r reply) errorText() string { return r.fields["error"] }

// send sends a raw request and reads the answer in the format its
// Content-Type names, failing the test if that is not the request's. A nil
// key is the right one.
func send(t *testing.T, srv *httptest.Server, method, path, contentType string, public, private *string, body string) reply {
	t.Helper()
	h := http.Header{}
	for name, k := range map[string]*string{"public-key": public, "private-key": private} {
		v := map[string]string{"public-key": testPublic, "private-key": testPrivate}[name]
		if k != nil {
			v = *k
		}
		if v != "" {
			h.Set(name, v)
		}
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	r := reply{Reply: providertest.Do(t, srv, providertest.Request(t, srv, method, path, h, body)), fields: map[string]string{}}
	providertest.NoSecret(t, r.Raw, testCreds)
	if answerFormat(&http.Request{Header: h}) == FormatXML {
		root, err := parseXML([]byte(r.Raw))
		if err != nil || root.name != "response" || !strings.HasPrefix(r.Header.Get("Content-Type"), xmlType) {
			t.Fatalf("answer %d is not an XML <response>: %v %q", r.Status, err, r.Raw)
		}
		for _, c := range root.children {
			r.fields[c.name] = c.text
		}
		return r
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(r.Raw), &obj); err != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), jsonType) {
		t.Fatalf("answer %d is not a JSON object: %q", r.Status, r.Raw)
	}
	for k, v := range obj {
		if s, ok := v.(string); ok {
			r.fields[k] = s
		} else if v != nil {
			r.fields[k] = fmt.Sprint(v)
		}
	}
	return r
}

// post encodes payload as the provider does, in format, and sends it with
// the right keys.
func post(t *testing.T, srv *httptest.Server, format string, payload map[string]any) reply {
	t.Helper()
	req, err := Provider{}.Encode(payload, &Options{Format: format})
	if err != nil {
		t.Fatal(err)
	}
	return send(t, srv, http.MethodPost, Path, req.ContentType, nil, nil, string(req.Body))
}

// raw sends body as it is, in format, with the right keys.
func raw(t *testing.T, srv *httptest.Server, format, body string) reply {
	t.Helper()
	return send(t, srv, http.MethodPost, Path, map[string]string{FormatJSON: jsonType, FormatXML: xmlType}[format], nil, nil, body)
}

func ptr[T any](v T) *T { return &v }

// The document's own words for a wrong method, missing and wrong keys, in
// the request's format.
func TestFakeRoutingAndAuth(t *testing.T) {
	for _, format := range formats {
		f, srv := newFake(t)
		req, _ := Provider{}.Encode(minimal(1), &Options{Format: format})
		body, ct := string(req.Body), req.ContentType
		invalid := msgInvalidKeys
		if format == FormatXML {
			invalid = msgInvalidKeysXML // the document's XML 401 has no full stop
		}
		for _, tt := range []struct {
			name, method, path string
			public, private    *string
			status             int
			msg                string
		}{
			{"GET, as the method table says", http.MethodGet, Path, nil, nil, 404, "API method (GET user/update) not found."},
			{"PUT", http.MethodPut, Path, nil, nil, 404, "API method (PUT user/update) not found."},
			{"other method", http.MethodPost, "/v1.1.1/user/updat", nil, nil, 404, "API method (user/updat) not found."},
			{"other version", http.MethodPost, "/v1.1/user/update", nil, nil, 404, "API method (user/update) not found."},
			{"trailing slash", http.MethodPost, Path + "/", nil, nil, 404, "API method (user/update) not found."},
			{"no keys", http.MethodPost, Path, ptr(""), ptr(""), 403, msgMissingKeys},
			{"no private key", http.MethodPost, Path, nil, ptr(""), 403, msgMissingKeys},
			{"wrong public key", http.MethodPost, Path, ptr("pk_live_3f9a1c0c"), nil, 401, invalid},
			{"keys swapped", http.MethodPost, Path, ptr(testPrivate), ptr(testPublic), 401, invalid},
		} {
			if r := send(t, srv, tt.method, tt.path, ct, tt.public, tt.private, body); r.Status != tt.status || r.errorText() != tt.msg {
				t.Errorf("%s %s: %d %s, want %d %q", format, tt.name, r.Status, r.Raw, tt.status, tt.msg)
			}
		}
		if n := len(f.Applied()); n != 0 {
			t.Errorf("%d requests applied", n)
		}
	}
}

// Without a Content-Type the body is JSON, and so is the answer; a type
// that is neither JSON nor XML is refused.
func TestFakeContentType(t *testing.T) {
	_, srv := newFake(t)
	req, _ := Provider{}.Encode(minimal(1), nil)
	if r := send(t, srv, http.MethodPost, Path, "", nil, nil, string(req.Body)); r.Status != 200 || r.fields["user_id"] != "1" {
		t.Errorf("no Content-Type: %d %s", r.Status, r.Raw)
	}
	xmlReq, _ := Provider{}.Encode(minimal(1), &Options{Format: FormatXML})
	for ct, body := range map[string]string{"text/xml": string(xmlReq.Body), "application/json; charset": string(req.Body)} {
		if r := send(t, srv, http.MethodPost, Path, ct, nil, nil, body); r.Status != 415 || !strings.Contains(r.errorText(), "application/json or application/xml") {
			t.Errorf("%s: %d %s, want 415", ct, r.Status, r.Raw)
		}
	}
	// An XML body labelled JSON is not JSON.
	if r := raw(t, srv, FormatJSON, string(xmlReq.Body)); r.Status != 500 || !strings.Contains(r.errorText(), "not valid JSON") {
		t.Errorf("XML as JSON: %d %s", r.Status, r.Raw)
	}
}

// Every problem of a body is one 500 naming all of them, in the document's
// words; the body's shape in JSON and in XML.
func TestFakeRejectsShape(t *testing.T) {
	_, srv := newFake(t)
	good := `"user_id":1,"user_email":"a@example.com","user_pass":"` + secretSHA1 + `","user_fname":"A","user_lname":"B"`
	const hdr = `<?xml version="1.0"?>`
	goodXML := `<user_id>1</user_id><user_email>a@example.com</user_email><user_pass>` + secretSHA1 + `</user_pass><user_fname>A</user_fname><user_lname>B</user_lname>`
	addr := `<address_type>1</address_type><address_street>s</address_street><address_city>c</address_city><address_state>IL</address_state><address_zip>1</address_zip><address_country>US</address_country>`
	for _, tt := range []struct{ format, body, msg string }{
		{FormatJSON, `{"user_id":`, "not valid JSON"},
		{FormatJSON, `{` + good + `}{}`, "The request body is not valid JSON: data after the JSON value"},
		{FormatJSON, `[{` + good + `}]`, "The request body must be a JSON object."},
		{FormatJSON, `{` + good + `,"user_active":true}`, `Unknown field "user_active".`},
		{FormatJSON, `{` + good + `,"address_city":"x"}`, `Unknown field "address_city".`},
		{FormatJSON, `{` + good + `,"addresses[].address_city":"x"}`, `Unknown field "addresses[].address_city".`},
		{FormatJSON, `{` + good + `,"addresses":[{"address_type":1,"address_street":"s","address_city":"c","address_state":"IL","address_zip":"1","address_country":"US","address_floor":"2"}]}`,
			`Unknown field "addresses[0].address_floor".`},
		{FormatJSON, `{` + good + `,"addresses":{"address_type":1}}`, "addresses must be an array of address objects."},
		{FormatJSON, `{` + good + `,"addresses":["12 Elm St"]}`, "addresses[0] must be an object."},
		{FormatJSON, `{` + good + `,"maillists":["news"]}`, "maillists must be an object of list safe names set to 1."},
		{FormatJSON, `{` + good + `,"maillists":{"news":true}}`, "maillists.news must be 1."},
		{FormatJSON, `{` + good + `,"maillists":{"news":0}}`, "maillists.news must be 1."},
		{FormatJSON, `{` + good + `,"maillists":{"news":"1"}}`, "maillists.news must be 1."},
		{FormatJSON, `{` + good + `,"maillists":{"":1}}`, "maillists has an empty name."},
		{FormatJSON, `{` + good + `,"user_mname":null}`, "user_mname must be a string."},
		{FormatJSON, `{"user_id":"1","user_phone":"5551234567","nickname":1}`,
			`Unknown field "nickname".; user_id must be a whole number.; user_email is required.; user_pass is required.; user_fname is required.; user_lname is required.; user_phone must be written XXX-XXX-XXXX (transform us_phone writes it so).`},
		{FormatXML, hdr + `<request><user_id>1</request>`, "not valid XML"},
		{FormatXML, ``, "not valid XML: no root element"},
		{FormatXML, hdr + `<user>` + goodXML + `</user>`, "The XML root element must be <request>, not <user>."},
		{FormatXML, hdr + `<request>` + goodXML + `</request><request/>`, "data after the root element"},
		{FormatXML, hdr + `<request>` + goodXML + `</request>x`, "text outside the root element"},
		{FormatXML, `<!DOCTYPE request [<!ENTITY x "y">]><request>` + goodXML + `</request>`, "DTDs and directives are not accepted"},
		{FormatXML, hdr + `<request>` + goodXML + `<user_mname>&x;</user_mname></request>`, "not valid XML"},
		{FormatXML, hdr + `<request>` + goodXML + `text</request>`, "<request> mixes text and elements"},
		{FormatXML, hdr + `<request>` + goodXML + `<user_mname lang="en">M</user_mname></request>`, "<user_mname> has attributes"},
		{FormatXML, hdr + `<request id="1">` + goodXML + `</request>`, "<request> has attributes"},
		{FormatXML, hdr + `<request>` + goodXML + `<user_fname>C</user_fname></request>`, "user_fname appears twice."},
		{FormatXML, hdr + `<request>` + goodXML + `<addresses><addr>` + addr + `</addr></addresses></request>`, "<addresses> holds <addr>; each address is an <address> element."},
		{FormatXML, hdr + `<request>` + goodXML + `<addresses>12 Elm St</addresses></request>`, "addresses must be an array of address objects."},
		{FormatXML, hdr + `<request>` + goodXML + `<addresses><address>` + addr + `<floor>2</floor></address></addresses></request>`, `Unknown field "addresses[0].floor".`},
		{FormatXML, hdr + `<request>` + goodXML + `<maillists>news</maillists></request>`, "maillists must be an object"},
		{FormatXML, hdr + `<request>` + goodXML + `<maillists><news>yes</news></maillists></request>`, "maillists.news must be 1."},
		{FormatXML, hdr + `<request>` + goodXML + `<user_mname><first>M</first></user_mname></request>`, "user_mname must be a string."},
		{FormatXML, hdr + `<request>` + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + `</request>`, "nested too deeply"},
		{FormatXML, hdr + "<request><user_fname>\xff</user_fname></request>", "not UTF-8"},
	} {
		if r := raw(t, srv, tt.format, tt.body); r.Status != 500 || !strings.Contains(r.errorText(), tt.msg) {
			t.Errorf("%s %.80s: %d %s, want 500 with %q", tt.format, tt.body, r.Status, r.Raw, tt.msg)
		}
	}
	// Indentation, comments and a CDATA section are fine.
	body := hdr + "\n<request>\n  <!-- a comment -->\n  " + strings.ReplaceAll(goodXML, "><", ">\n  <") +
		"\n  <user_company><![CDATA[Lee & Sons]]></user_company>\n  <addresses>\n    <address>" + addr + "</address>\n  </addresses>\n</request>\n"
	if r := raw(t, srv, FormatXML, body); r.Status != 200 || r.fields["user_company"] != "Lee & Sons" {
		t.Errorf("indented XML: %d %s", r.Status, r.Raw)
	}
}

// Every type is checked with the type's own message: a number sent as a
// string, text that is not a number in XML, and an XML boolean other than
// 1 or 0, which a server that casts the text "false" reads as true.
func TestFakeRejectsTypes(t *testing.T) {
	_, srv := newFake(t)
	for _, tt := range []struct{ format, field, value, msg string }{
		{FormatJSON, "user_id", `"1"`, "user_id must be a whole number."},
		{FormatJSON, "user_id", `1.5`, "user_id must be a whole number."},
		{FormatJSON, "user_id", `1e3`, "user_id must be a whole number."},
		{FormatJSON, "user_tax_id_expiration_month", `"6"`, "user_tax_id_expiration_month must be a whole number."},
		{FormatJSON, "user_verified", `"true"`, "user_verified must be true or false."},
		{FormatJSON, "user_verified", `1`, "user_verified must be true or false."},
		{FormatJSON, "user_phone", `5551234567`, "user_phone must be a string."},
		{FormatJSON, "user_ffl_expiration_date", `20270630`, "user_ffl_expiration_date must be a date."},
		{FormatJSON, "user_company", `{"a":1}`, "user_company must be a string."},
		{FormatXML, "user_id", `abc`, "user_id must be a whole number."},
		{FormatXML, "type_id", `three`, "type_id must be a whole number."},
		{FormatXML, "user_verified", `yes`, "user_verified must be 1 or 0."},
		{FormatXML, "user_verified", `true`, "user_verified must be 1 or 0."},
		{FormatXML, "user_verified", `false`, "user_verified must be 1 or 0."},
		{FormatXML, "user_tax_id_expiration_year", `20x7`, "user_tax_id_expiration_year must be a whole number."},
	} {
		var body string
		if tt.format == FormatJSON {
			b, _ := providers.MarshalJSON(with(1, map[string]any{tt.field: nil}))
			body = strings.TrimSuffix(string(b), "}") + `,"` + tt.field + `":` + tt.value + `}`
		} else {
			b, _ := encodeXML(with(1, map[string]any{tt.field: nil}))
			body = strings.Replace(string(b), "</request>", "<"+tt.field+">"+tt.value+"</"+tt.field+"></request>", 1)
		}
		if r := raw(t, srv, tt.format, body); r.Status != 500 || r.errorText() != tt.msg {
			t.Errorf("%s %s=%s: %d %s, want 500 with exactly %q", tt.format, tt.field, tt.value, r.Status, r.Raw, tt.msg)
		}
	}
	// XML's 1 and 0, and numbers with surrounding space, are text XML may
	// carry.
	for _, v := range []string{"1", "0", " 1 "} {
		b, _ := encodeXML(minimal(1))
		body := strings.Replace(string(b), "</request>", "<user_verified>"+v+"</user_verified><type_id> 3 </type_id></request>", 1)
		if r := raw(t, srv, FormatXML, body); r.Status != 200 {
			t.Errorf("user_verified %q: %d %s", v, r.Status, r.Raw)
		}
	}
}

func TestFakeRequiredFields(t *testing.T) {
	for _, format := range formats {
		_, srv := newFake(t)
		for _, field := range []string{"user_id", "user_email", "user_pass", "user_fname", "user_lname"} {
			if r := post(t, srv, format, with(1, map[string]any{field: nil})); r.Status != 500 || r.errorText() != field+" is required." {
				t.Errorf("%s without %s: %d %s", format, field, r.Status, r.Raw)
			}
			if r := post(t, srv, format, with(1, map[string]any{field: ""})); r.Status != 500 || !strings.Contains(r.errorText(), field) {
				t.Errorf("%s with an empty %s: %d %s", format, field, r.Status, r.Raw)
			}
		}
		for _, member := range []string{"address_type", "address_street", "address_city", "address_state", "address_zip", "address_country"} {
			addr := validAddress()
			delete(addr, member)
			want := "addresses[1]." + member + " is required."
			if r := post(t, srv, format, with(1, map[string]any{"addresses": []any{validAddress(), addr}})); r.Status != 500 || r.errorText() != want {
				t.Errorf("%s without %s: %d %s, want 500 %q", format, member, r.Status, r.Raw, want)
			}
		}
	}
}

// The business rule: an e-mail address is one user's login.
func TestFakeEmailInUse(t *testing.T) {
	for _, format := range formats {
		f, srv := newFake(t)
		post(t, srv, format, with(1, map[string]any{"user_email": "ann@example.com"}))
		r := post(t, srv, format, with(2, map[string]any{"user_email": "ANN@Example.com"}))
		if r.Status != 500 || r.errorText() != "The email address ANN@Example.com is already in use by another user." {
			t.Errorf("%s: %d %s", format, r.Status, r.Raw)
		}
		if _, ok := f.User(2); ok {
			t.Errorf("%s: the refused user was created", format)
		}
	}
}

// The success answer is the document's user details, in the request's
// format, with what the fake stored.
func TestFakeAnswersUserDetails(t *testing.T) {
	docOrder := []string{
		"user_id", "user_active", "user_verified", "user_requires_password_reset", "user_type", "type_id",
		"user_mailing_lists", "user_is_consignor", "user_is_referrer", "user_is_account_exec", "user_is_preferred_bidder",
		"user_is_tax_exempt", "user_tax_id", "user_tax_id_expiration_month", "user_tax_id_expiration_year",
		"user_tax_id_state", "user_reg_date", "user_icon", "user_email", "user_alt_email", "user_prefix", "user_fname",
		"user_mname", "user_lname", "user_phone", "user_alt_phone", "user_fax", "user_company",
	}
	for _, format := range formats {
		f, srv := newFake(t)
		r := post(t, srv, format, documentPayload())
		active := map[string]string{FormatJSON: "true", FormatXML: "1"}[format]
		want := map[string]string{
			"user_id": "48213", "user_active": active, "user_email": "ann.lee@example.com", "user_fname": "Ann",
			"user_company": "Lee Arms & Ammo <LLC>", "user_tax_id_expiration_year": "2027", "type_id": "3",
			"user_is_preferred_bidder": active, "user_mailing_lists": `["auctions","firearms-news"]`,
			"user_reg_date": "2024-05-01 09:30:00", "user_phone": "217-555-0142",
		}
		for k, v := range want {
			if r.fields[k] != v {
				t.Errorf("%s: %s = %q, want %q", format, k, r.fields[k], v)
			}
		}
		if _, ok := r.fields["user_pass"]; ok {
			t.Error("the answer echoes the password")
		}
		// Members in the document's order; user_update_id only in XML.
		order := docOrder
		if format == FormatXML {
			order = slices.Insert(slices.Clone(docOrder), 4, "user_update_id")
		}
		if got := answerOrder(t, format, r.Raw); !slices.Equal(got, order) {
			t.Errorf("%s: members %v, want %v", format, got, order)
		}
		u, _ := f.User(48213)
		addrs, _ := u["addresses"].([]map[string]any)
		if len(addrs) != 2 || addrs[0]["address_id"] != int64(901) || addrs[1]["address_id"] != int64(902) ||
			!reflect.DeepEqual(u["maillists"], []string{"auctions", "firearms-news"}) {
			t.Errorf("%s: stored user %v", format, u)
		}
	}
}

func answerOrder(t *testing.T, format, raw string) []string {
	t.Helper()
	var names []string
	if format == FormatXML {
		root, err := parseXML([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range root.children {
			names = append(names, c.name)
		}
		return names
	}
	// Every value of the answer is a scalar: keys and values alternate.
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("answer %q", raw)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		names = append(names, k.(string))
	}
	return names
}

// Addresses are updated by address_id or added, and only one is current
// per type, as the document says; mailing lists add up.
func TestFakeAddressesAndLists(t *testing.T) {
	f, srv := newFake(t)
	billing := validAddress()
	billing["address_current"] = true
	post(t, srv, FormatJSON, with(1, map[string]any{"addresses": []any{billing}, "maillists": map[string]int64{"news": 1}}))
	u, _ := f.User(1)
	id := u["addresses"].([]map[string]any)[0]["address_id"].(int64)

	moved := validAddress()
	moved["address_street"], moved["address_current"] = "9 Oak Ave", true
	changed := validAddress()
	changed["address_id"], changed["address_zip"] = id, "62705"
	if r := post(t, srv, FormatXML, with(1, map[string]any{"addresses": []any{moved, changed}, "maillists": map[string]any{"auctions": true, "news": true}})); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	u, _ = f.User(1)
	addrs := u["addresses"].([]map[string]any)
	if len(addrs) != 2 || addrs[0]["address_zip"] != "62705" || addrs[0]["address_current"] != false ||
		addrs[1]["address_street"] != "9 Oak Ave" || addrs[1]["address_current"] != true {
		t.Errorf("addresses %v", addrs)
	}
	if !reflect.DeepEqual(u["maillists"], []string{"auctions", "news"}) {
		t.Errorf("maillists %v", u["maillists"])
	}
	addrs[0]["address_zip"] = "x"
	if again, _ := f.User(1); again["addresses"].([]map[string]any)[0]["address_zip"] != "62705" {
		t.Error("User shares its addresses with the fake")
	}
}
