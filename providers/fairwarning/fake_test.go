package fairwarning

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
)

const (
	testPublic  = "pk_live_3f9a1c0b"
	testPrivate = "sk_live_77d0e2b4a5"
)

var testCreds = providers.Credentials{
	PublicKeyEnv:  providers.NewSecret(testPublic),
	PrivateKeyEnv: providers.NewSecret(testPrivate),
}

var formats = []string{FormatJSON, FormatXML}

func newFake(t *testing.T) (*Fake, *httptest.Server) {
	t.Helper()
	f := NewFake(testCreds)
	f.now = func() time.Time { return time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC) }
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// minimal is a payload with only the required fields.
func minimal(id int64) map[string]any {
	return map[string]any{
		"user_id": id, "user_email": fmt.Sprintf("user%d@example.com", id), "user_pass": secretSHA1,
		"user_fname": "Ann", "user_lname": "Lee",
	}
}

// with returns minimal(id) with the fields of extra added (a nil value
// removes a field).
func with(id int64, extra map[string]any) map[string]any {
	p := minimal(id)
	for k, v := range extra {
		if v == nil {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	return p
}

type reply struct {
	status int
	header http.Header
	raw    string
	fields map[string]string // the answer's members, as text
}

func (r reply) errorText() string { return r.fields["error"] }

type call struct {
	method, path, contentType string
	public, private           *string // nil: the right key
	body                      string
}

func ptr[T any](v T) *T { return &v }

// do sends c and reads the answer in the format its Content-Type names,
// failing the test if the answer is not in the format of the request.
func do(t *testing.T, srv *httptest.Server, c call) reply {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.path == "" {
		c.path = Path
	}
	req, err := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := testPublic, testPrivate
	if c.public != nil {
		pub = *c.public
	}
	if c.private != nil {
		priv = *c.private
	}
	if pub != "" {
		req.Header.Set("public-key", pub)
	}
	if priv != "" {
		req.Header.Set("private-key", priv)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b), fields: map[string]string{}}
	ct := resp.Header.Get("Content-Type")
	if strings.HasPrefix(c.contentType, "application/xml") {
		if !strings.HasPrefix(ct, "application/xml") {
			t.Errorf("XML request answered with Content-Type %q", ct)
		}
		root, err := parseXML(b)
		if err != nil || root.name != "response" {
			t.Fatalf("answer %d is not an XML <response>: %v %q", r.status, err, b)
		}
		for _, c := range root.children {
			r.fields[c.name] = c.text
		}
		return r
	}
	if !strings.HasPrefix(ct, "application/json") {
		t.Errorf("answer Content-Type %q, want JSON", ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatalf("answer %d is not a JSON object: %q", r.status, b)
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
	return do(t, srv, call{contentType: req.ContentType, body: string(req.Body)})
}

func contentType(format string) string {
	if format == FormatXML {
		return "application/xml"
	}
	return "application/json"
}

func TestFakeRoutingAndAuth(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			req, _ := Provider{}.Encode(minimal(1), &Options{Format: format})
			body, ct := string(req.Body), req.ContentType
			invalid := msgInvalidKeys
			if format == FormatXML {
				invalid = msgInvalidKeysXML // the document's XML 401 has no full stop
			}
			tests := []struct {
				name   string
				c      call
				status int
				msg    string
			}{
				{"ok", call{contentType: ct, body: body}, 200, ""},
				{"charset", call{contentType: ct + "; charset=utf-8", body: body}, 200, ""},
				{"GET, as the method table says", call{method: http.MethodGet, contentType: ct}, 404, "API method (GET user/update) not found."},
				{"PUT", call{method: http.MethodPut, contentType: ct, body: body}, 404, "API method (PUT user/update) not found."},
				{"other method", call{path: "/v1.1.1/user/updat", contentType: ct, body: body}, 404, "API method (user/updat) not found."},
				{"other version", call{path: "/v1.1/user/update", contentType: ct, body: body}, 404, "API method (user/update) not found."},
				{"no version", call{path: "/user/update", contentType: ct, body: body}, 404, "API method (user/update) not found."},
				{"trailing slash", call{path: Path + "/", contentType: ct, body: body}, 404, "API method (user/update) not found."},
				{"no keys", call{public: ptr(""), private: ptr(""), contentType: ct, body: body}, 403, msgMissingKeys},
				{"no public key", call{public: ptr(""), contentType: ct, body: body}, 403, msgMissingKeys},
				{"no private key", call{private: ptr(""), contentType: ct, body: body}, 403, msgMissingKeys},
				{"wrong public key", call{public: ptr("pk_live_3f9a1c0c"), contentType: ct, body: body}, 401, invalid},
				{"wrong private key", call{private: ptr("x"), contentType: ct, body: body}, 401, invalid},
				{"keys swapped", call{public: ptr(testPrivate), private: ptr(testPublic), contentType: ct, body: body}, 401, invalid},
				{"key prefix", call{private: ptr(testPrivate[:6]), contentType: ct, body: body}, 401, invalid},
				{"too large", call{contentType: ct, body: body + strings.Repeat(" ", MaxBody)}, 413, "exceeds"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := do(t, srv, tt.c)
					if r.status != tt.status {
						t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
					}
					if tt.status == 200 {
						if r.fields["user_id"] != "1" {
							t.Errorf("answer %s", r.raw)
						}
						return
					}
					if tt.status == 401 || tt.status == 403 || tt.status == 404 {
						if r.errorText() != tt.msg {
							t.Errorf("error %q, want exactly %q", r.errorText(), tt.msg)
						}
					} else if !strings.Contains(r.errorText(), tt.msg) {
						t.Errorf("error %q, want one containing %q", r.errorText(), tt.msg)
					}
					if strings.Contains(r.raw, testPublic) || strings.Contains(r.raw, testPrivate) {
						t.Errorf("the answer reveals a key: %s", r.raw)
					}
				})
			}
			if n := len(f.Applied()); n != 2 {
				t.Errorf("%d requests applied, want the 2 that were ok", n)
			}
		})
	}
}

// Without a Content-Type the body is JSON, and so is the answer; a type
// that is neither JSON nor XML is refused.
func TestFakeContentType(t *testing.T) {
	_, srv := newFake(t)
	req, _ := Provider{}.Encode(minimal(1), nil)
	if r := do(t, srv, call{body: string(req.Body)}); r.status != 200 || r.fields["user_id"] != "1" {
		t.Errorf("no Content-Type: %d %s", r.status, r.raw)
	}
	xmlReq, _ := Provider{}.Encode(minimal(1), &Options{Format: FormatXML})
	for _, tt := range []struct{ ct, body string }{
		{"text/plain", string(req.Body)},
		{"text/xml", string(xmlReq.Body)},
		{"application/x-www-form-urlencoded", "user_id=1"},
		{"application/json; charset", string(req.Body)},
	} {
		r := do(t, srv, call{contentType: tt.ct, body: tt.body})
		if r.status != 415 || !strings.Contains(r.errorText(), "application/json or application/xml") {
			t.Errorf("%s: %d %s, want 415", tt.ct, r.status, r.raw)
		}
	}
	// An XML body labelled JSON is not JSON.
	if r := do(t, srv, call{contentType: "application/json", body: string(xmlReq.Body)}); r.status != 500 || !strings.Contains(r.errorText(), "not valid JSON") {
		t.Errorf("XML as JSON: %d %s", r.status, r.raw)
	}
}

func TestFakeRejectsJSONShape(t *testing.T) {
	_, srv := newFake(t)
	good := `"user_id":1,"user_email":"a@example.com","user_pass":"` + secretSHA1 + `","user_fname":"A","user_lname":"B"`
	tests := []struct {
		name string
		body string
		msg  string
	}{
		{"malformed", `{"user_id":`, "not valid JSON"},
		{"empty", ``, "not valid JSON"},
		{"trailing data", `{` + good + `}{}`, "data after the object"},
		{"array", `[{` + good + `}]`, "must be a JSON object"},
		{"unknown field", `{` + good + `,"nickname":"x"}`, `Unknown field "nickname".`},
		{"response field", `{` + good + `,"user_active":true}`, `Unknown field "user_active".`},
		{"member at the top", `{` + good + `,"address_city":"x"}`, `Unknown field "address_city".`},
		{"member path at the top", `{` + good + `,"addresses[].address_city":"x"}`, `Unknown field "addresses[].address_city".`},
		{"unknown address member", `{` + good + `,"addresses":[{"address_type":1,"address_street":"s","address_city":"c","address_state":"IL","address_zip":"1","address_country":"US","address_floor":"2"}]}`,
			`Unknown field "addresses[0].address_floor".`},
		{"addresses not an array", `{` + good + `,"addresses":{"address_type":1}}`, "addresses must be an array of address objects."},
		{"address not an object", `{` + good + `,"addresses":["12 Elm St"]}`, "addresses[0] must be an object."},
		{"maillists as an array", `{` + good + `,"maillists":["news"]}`, "maillists must be an object of list safe names set to 1."},
		{"maillist set to true", `{` + good + `,"maillists":{"news":true}}`, "maillists.news must be 1."},
		{"maillist set to 0", `{` + good + `,"maillists":{"news":0}}`, "maillists.news must be 1."},
		{"maillist set to \"1\"", `{` + good + `,"maillists":{"news":"1"}}`, "maillists.news must be 1."},
		{"maillist without a name", `{` + good + `,"maillists":{"":1}}`, "maillists has a list without a name."},
		{"null", `{` + good + `,"user_mname":null}`, "user_mname must be a string."},
		{"every problem at once", `{"user_id":"1","user_phone":"5551234567","nickname":1}`,
			`Unknown field "nickname".; user_id must be a whole number.; user_email is required.; user_pass is required.; user_fname is required.; user_lname is required.; user_phone must be written XXX-XXX-XXXX (transform us_phone writes it so).`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, call{contentType: "application/json", body: tt.body})
			if r.status != 500 || !strings.Contains(r.errorText(), tt.msg) {
				t.Errorf("%d %s, want 500 with %q", r.status, r.raw, tt.msg)
			}
		})
	}
}

func TestFakeRejectsXMLShape(t *testing.T) {
	_, srv := newFake(t)
	const hdr = `<?xml version="1.0"?>`
	good := `<user_id>1</user_id><user_email>a@example.com</user_email><user_pass>` + secretSHA1 + `</user_pass><user_fname>A</user_fname><user_lname>B</user_lname>`
	addr := `<address_type>1</address_type><address_street>s</address_street><address_city>c</address_city><address_state>IL</address_state><address_zip>1</address_zip><address_country>US</address_country>`
	tests := []struct {
		name string
		body string
		msg  string
	}{
		{"malformed", hdr + `<request><user_id>1</request>`, "not valid XML"},
		{"empty", ``, "not valid XML: no root element"},
		{"other root", hdr + `<user>` + good + `</user>`, "The XML root element must be <request>, not <user>."},
		{"two roots", hdr + `<request>` + good + `</request><request/>`, "data after the root element"},
		{"text after the root", hdr + `<request>` + good + `</request>x`, "text outside the root element"},
		{"DTD", `<!DOCTYPE request [<!ENTITY x "y">]><request>` + good + `</request>`, "DTDs and directives are not accepted"},
		{"undefined entity", hdr + `<request>` + good + `<user_mname>&x;</user_mname></request>`, "not valid XML"},
		{"mixed content", hdr + `<request>` + good + `text</request>`, "<request> mixes text and elements"},
		{"attribute", hdr + `<request>` + good + `<user_mname lang="en">M</user_mname></request>`, "<user_mname> has attributes"},
		{"attribute on the root", hdr + `<request id="1">` + good + `</request>`, "<request> has attributes"},
		{"unknown field", hdr + `<request>` + good + `<nickname>x</nickname></request>`, `Unknown field "nickname".`},
		{"twice", hdr + `<request>` + good + `<user_fname>C</user_fname></request>`, "user_fname appears twice."},
		{"address element name", hdr + `<request>` + good + `<addresses><addr>` + addr + `</addr></addresses></request>`,
			"<addresses> holds <addr>; each address is an <address> element."},
		{"addresses without wrappers", hdr + `<request>` + good + `<addresses>` + addr + `</addresses></request>`,
			"<addresses> holds <address_type>"},
		{"addresses as text", hdr + `<request>` + good + `<addresses>12 Elm St</addresses></request>`, "addresses must be an array of address objects."},
		{"unknown address member", hdr + `<request>` + good + `<addresses><address>` + addr + `<floor>2</floor></address></addresses></request>`,
			`Unknown field "addresses[0].floor".`},
		{"member twice", hdr + `<request>` + good + `<addresses><address>` + addr + `<address_city>d</address_city></address></addresses></request>`,
			"addresses[0].address_city appears twice."},
		{"maillists as text", hdr + `<request>` + good + `<maillists>news</maillists></request>`, "maillists must be an object"},
		{"maillist set to yes", hdr + `<request>` + good + `<maillists><news>yes</news></maillists></request>`, "maillists.news must be 1."},
		{"maillist empty", hdr + `<request>` + good + `<maillists><news/></maillists></request>`, "maillists.news must be 1."},
		{"nested value", hdr + `<request>` + good + `<user_mname><first>M</first></user_mname></request>`, "user_mname must be a string."},
		{"deep", hdr + `<request>` + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + `</request>`, "nested too deeply"},
		{"not UTF-8", hdr + "<request><user_fname>\xff</user_fname></request>", "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, srv, call{contentType: "application/xml", body: tt.body})
			if r.status != 500 || !strings.Contains(r.errorText(), tt.msg) {
				t.Errorf("%d %s, want 500 with %q", r.status, r.raw, tt.msg)
			}
		})
	}
	// Indentation, comments and a CDATA section are fine.
	body := hdr + "\n<request>\n  <!-- a comment -->\n  " + strings.ReplaceAll(good, "><", ">\n  <") +
		"\n  <user_company><![CDATA[Lee & Sons]]></user_company>\n  <addresses>\n    <address>" + addr + "</address>\n  </addresses>\n</request>\n"
	if r := do(t, srv, call{contentType: "application/xml", body: body}); r.status != 200 || r.fields["user_company"] != "Lee & Sons" {
		t.Errorf("indented XML: %d %s", r.status, r.raw)
	}
}

// Every type is checked: a number sent as a string (or as text that is not
// a number, in XML) is refused with the type's own message.
func TestFakeRejectsTypes(t *testing.T) {
	_, srv := newFake(t)
	tests := []struct {
		format string
		field  string
		value  string // JSON, or the XML element's content
		msg    string
	}{
		{FormatJSON, "user_id", `"1"`, "user_id must be a whole number."},
		{FormatJSON, "user_id", `1.5`, "user_id must be a whole number."},
		{FormatJSON, "user_id", `1e3`, "user_id must be a whole number."},
		{FormatJSON, "type_id", `"3"`, "type_id must be a whole number."},
		{FormatJSON, "user_tax_id_expiration_month", `"6"`, "user_tax_id_expiration_month must be a whole number."},
		{FormatJSON, "user_verified", `"true"`, "user_verified must be true or false."},
		{FormatJSON, "user_verified", `1`, "user_verified must be true or false."},
		{FormatJSON, "user_fname", `5`, "user_fname must be a string."},
		{FormatJSON, "user_phone", `5551234567`, "user_phone must be a string."},
		{FormatJSON, "user_ffl_expiration_date", `20270630`, "user_ffl_expiration_date must be a date."},
		{FormatJSON, "user_company", `["a"]`, "user_company must be a string."},
		{FormatJSON, "user_company", `{"a":1}`, "user_company must be a string."},
		{FormatXML, "user_id", `abc`, "user_id must be a whole number."},
		{FormatXML, "user_id", `1.5`, "user_id must be a whole number."},
		{FormatXML, "type_id", `three`, "type_id must be a whole number."},
		{FormatXML, "user_verified", `yes`, "user_verified must be true or false."},
		{FormatXML, "user_verified", `TRUE`, "user_verified must be true or false."},
		{FormatXML, "user_tax_id_expiration_year", `20x7`, "user_tax_id_expiration_year must be a whole number."},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.field+"="+tt.value, func(t *testing.T) {
			var body string
			if tt.format == FormatJSON {
				b, _ := providers.MarshalJSON(with(1, map[string]any{tt.field: nil}))
				body = strings.TrimSuffix(string(b), "}") + `,"` + tt.field + `":` + tt.value + `}`
			} else {
				b, _ := encodeXML(with(1, map[string]any{tt.field: nil}))
				body = strings.Replace(string(b), "</request>", "<"+tt.field+">"+tt.value+"</"+tt.field+"></request>", 1)
			}
			r := do(t, srv, call{contentType: contentType(tt.format), body: body})
			if r.status != 500 || r.errorText() != tt.msg {
				t.Errorf("%d %s, want 500 with exactly %q", r.status, r.raw, tt.msg)
			}
		})
	}
	// XML Schema's booleans, and numbers with surrounding space, are text
	// XML may carry.
	for _, v := range []string{"true", "false", "1", "0", " true "} {
		b, _ := encodeXML(minimal(1))
		body := strings.Replace(string(b), "</request>", "<user_verified>"+v+"</user_verified><type_id> 3 </type_id></request>", 1)
		if r := do(t, srv, call{contentType: "application/xml", body: body}); r.status != 200 {
			t.Errorf("user_verified %q: %d %s", v, r.status, r.raw)
		}
	}
}

// A value the table accepts is one the fake accepts, field by field and in
// both formats; so neither can learn a field, or a rule, without the other.
func TestFakeAcceptsEveryValidExample(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			n := 0
			for _, fd := range table.Fields() {
				for _, v := range fieldCases[fd.Path].Valid {
					payload := placed(int64(100+n), fd, v)
					n++
					r := post(t, srv, format, payload)
					if r.status != 200 || r.fields["user_id"] != fmt.Sprint(payload["user_id"]) {
						t.Errorf("%s = %#v: %d %.300s", fd.Path, v, r.status, r.raw)
					}
				}
			}
			if len(f.Applied()) != n {
				t.Errorf("%d applied, want %d", len(f.Applied()), n)
			}
		})
	}
}

// placed returns minimal(id) with v at fd's place: a member goes into a
// valid address.
func placed(id int64, fd providers.Field, v any) map[string]any {
	p := minimal(id)
	if name, ok := strings.CutPrefix(fd.Path, "addresses[]."); ok {
		addr := validAddress()
		addr[name] = v
		p["addresses"] = []any{addr}
		return p
	}
	p[fd.Path] = v
	return p
}

// A value the table rejects is one the fake rejects, with the table's own
// message, for every field and so for every rule (TestEveryFieldHasCases
// makes sure each rule is broken by some case).
func TestFakeRejectsEveryInvalidExample(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			for _, fd := range table.Fields() {
				for _, v := range fieldCases[fd.Path].Invalid {
					if format == FormatXML && !xmlCanCarry(fd, v) {
						continue
					}
					ruleErr := fd.Check(v)
					if ruleErr == nil {
						t.Fatalf("%s = %#v: the table accepts it", fd.Path, v)
					}
					payload := placed(1, fd, v)
					label := fd.Path
					if name, ok := strings.CutPrefix(fd.Path, "addresses[]."); ok {
						label = "addresses[0]." + name
					}
					r := post(t, srv, format, payload)
					if r.status != 500 {
						t.Errorf("%s = %#v: %d %.300s, want 500", fd.Path, v, r.status, r.raw)
						continue
					}
					want := label + " " + ruleErr.Error() + "."
					if v == "" && fd.Required {
						want = label + " is required."
					}
					switch {
					case fd.Type == providers.ObjectList || fd.Type == providers.NameSet:
						// Sent in a form of its own; only the field must be named.
						want = fd.Path
					case format == FormatXML && fd.Type != providers.String && fd.Type != providers.Date:
						// Text that is not a number or boolean: the type's message.
						want = label + " must be "
					}
					if !strings.Contains(r.errorText(), want) {
						t.Errorf("%s = %#v: error %q, want %q", fd.Path, v, r.errorText(), want)
					}
				}
			}
			if n := len(f.Applied()); n != 0 {
				t.Errorf("%d invalid requests applied", n)
			}
		})
	}
}

// xmlCanCarry reports whether an invalid example survives as itself in XML,
// where everything is text: an int64 for a string field becomes the text
// "5", which is a fine string, so the type error cannot be sent.
func xmlCanCarry(fd providers.Field, v any) bool {
	switch v.(type) {
	case int64:
		// 0 and 1 are booleans in XML Schema.
		return fd.Type == providers.Int
	case bool:
		return fd.Type == providers.Int
	case string:
		// A string with a newline is fine in XML and is sent as such.
		return fd.Type == providers.String || fd.Type == providers.Date
	}
	return false
}

func TestFakeRequiredAddressMembers(t *testing.T) {
	for _, format := range formats {
		_, srv := newFake(t)
		for _, member := range []string{"address_type", "address_street", "address_city", "address_state", "address_zip", "address_country"} {
			addr := validAddress()
			delete(addr, member)
			r := post(t, srv, format, with(1, map[string]any{"addresses": []any{validAddress(), addr}}))
			want := "addresses[1]." + member + " is required."
			if r.status != 500 || r.errorText() != want {
				t.Errorf("%s without %s: %d %s, want 500 %q", format, member, r.status, r.raw, want)
			}
		}
		// Optional members may be left out.
		if r := post(t, srv, format, with(1, map[string]any{"addresses": []any{validAddress()}})); r.status != 200 {
			t.Errorf("%s: %d %s", format, r.status, r.raw)
		}
	}
}

func TestFakeRequiredUserFields(t *testing.T) {
	for _, format := range formats {
		_, srv := newFake(t)
		for _, field := range []string{"user_id", "user_email", "user_pass", "user_fname", "user_lname"} {
			r := post(t, srv, format, with(1, map[string]any{field: nil}))
			if r.status != 500 || r.errorText() != field+" is required." {
				t.Errorf("%s without %s: %d %s", format, field, r.status, r.raw)
			}
			r = post(t, srv, format, with(1, map[string]any{field: ""}))
			if r.status != 500 || !strings.Contains(r.errorText(), field) {
				t.Errorf("%s with an empty %s: %d %s", format, field, r.status, r.raw)
			}
		}
	}
}

// The business rule: an e-mail address is one user's login.
func TestFakeEmailInUse(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			steps := []struct {
				id     int64
				email  string
				status int
			}{
				{1, "ann@example.com", 200},
				{2, "ann@example.com", 500},
				{2, "ANN@Example.com", 500}, // a login is not case-sensitive
				{1, "ann@example.com", 200}, // its owner may send it again
				{2, "bo@example.com", 200},
				{1, "ann.lee@example.com", 200}, // frees ann@
				{2, "ann@example.com", 200},
				{1, "Ann@example.com", 500},
			}
			for i, s := range steps {
				r := post(t, srv, format, with(s.id, map[string]any{"user_email": s.email}))
				if r.status != s.status {
					t.Errorf("step %d: %d %s, want %d", i, r.status, r.raw, s.status)
				}
				if s.status == 500 {
					want := "The email address " + s.email + " is already in use by another user."
					if r.errorText() != want {
						t.Errorf("step %d: error %q, want %q", i, r.errorText(), want)
					}
				}
			}
			if n := len(f.Applied()); n != 5 {
				t.Errorf("%d applied, want 5", n)
			}
			if u, _ := f.User(1); u["user_email"] != "ann.lee@example.com" {
				t.Errorf("user 1 = %v", u)
			}
		})
	}
}

// Concurrent requests for one e-mail address: exactly one user gets it.
func TestFakeConcurrentEmail(t *testing.T) {
	f, srv := newFake(t)
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		format := formats[i%2]
		wg.Go(func() {
			req, _ := Provider{}.Encode(with(int64(i+1), map[string]any{"user_email": "same@example.com"}), &Options{Format: format})
			hr, _ := http.NewRequest(req.Method, srv.URL+req.Path, strings.NewReader(string(req.Body)))
			hr.Header.Set("Content-Type", req.ContentType)
			Provider{}.Authorize(hr, testCreds)
			resp, err := srv.Client().Do(hr)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if statuses[0] != 200 || statuses[1] != 500 || statuses[n-1] != 500 {
		t.Errorf("statuses %v, want one 200 and the rest 500", statuses)
	}
	if len(f.Applied()) != 1 {
		t.Errorf("Applied() = %d requests, want 1", len(f.Applied()))
	}
}

func TestFakeApplied(t *testing.T) {
	f, srv := newFake(t)
	bodies := []struct{ ct, body string }{
		{"application/json", `{"user_id":12,"user_email":"a@example.com","user_pass":"` + secretSHA1 + `","user_fname":"A","user_lname":"B"}`},
		{"application/json", `{"user_id":13,"user_email":"b@example.com","user_pass":"plain","user_fname":"A","user_lname":"B"}`}, // rejected
		{"application/xml", `<request><user_id>14</user_id><user_email>c@example.com</user_email><user_pass>` + secretSHA1 + `</user_pass><user_fname>C</user_fname><user_lname>D</user_lname></request>`},
	}
	for _, b := range bodies {
		do(t, srv, call{contentType: b.ct, body: b.body})
	}
	want := []providers.Applied{{Key: "12", Body: []byte(bodies[0].body)}, {Key: "14", Body: []byte(bodies[2].body)}}
	if got := f.Applied(); !reflect.DeepEqual(got, want) {
		t.Errorf("Applied() = %s, want %s", got, want)
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
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			r := post(t, srv, format, documentPayload())
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			want := map[string]string{
				"user_id": "48213", "user_active": "true", "user_email": "ann.lee@example.com", "user_fname": "Ann",
				"user_company": "Lee Arms & Ammo <LLC>", "user_tax_id_expiration_year": "2027", "type_id": "3",
				"user_is_preferred_bidder": "true", "user_mailing_lists": `["auctions","firearms-news"]`,
				"user_reg_date": "2024-05-01 09:30:00", "user_phone": "217-555-0142",
			}
			for k, v := range want {
				if r.fields[k] != v {
					t.Errorf("%s = %q, want %q", k, r.fields[k], v)
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
			if got := answerOrder(t, format, r.raw); !slices.Equal(got, order) {
				t.Errorf("members %v, want %v", got, order)
			}
			u, _ := f.User(48213)
			addrs, _ := u["addresses"].([]map[string]any)
			if len(addrs) != 2 || addrs[0]["address_id"] != int64(901) || addrs[1]["address_id"] != int64(902) ||
				!reflect.DeepEqual(u["maillists"], []string{"auctions", "firearms-news"}) {
				t.Errorf("stored user %v", u)
			}
		})
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
// per type, as the document says.
func TestFakeAddresses(t *testing.T) {
	f, srv := newFake(t)
	billing := validAddress()
	billing["address_current"] = true
	post(t, srv, FormatJSON, with(1, map[string]any{"addresses": []any{billing}}))
	u, _ := f.User(1)
	first := u["addresses"].([]map[string]any)[0]
	id := first["address_id"].(int64)

	moved := validAddress()
	moved["address_street"], moved["address_current"] = "9 Oak Ave", true
	changed := validAddress()
	changed["address_id"], changed["address_zip"] = id, "62705"
	if r := post(t, srv, FormatXML, with(1, map[string]any{"addresses": []any{moved, changed}})); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	u, _ = f.User(1)
	addrs := u["addresses"].([]map[string]any)
	if len(addrs) != 2 || addrs[0]["address_zip"] != "62705" || addrs[0]["address_current"] != false ||
		addrs[1]["address_street"] != "9 Oak Ave" || addrs[1]["address_current"] != true {
		t.Errorf("addresses %v", addrs)
	}
	// User returns copies.
	addrs[0]["address_zip"] = "x"
	if again, _ := f.User(1); again["addresses"].([]map[string]any)[0]["address_zip"] != "62705" {
		t.Error("User shares its addresses with the fake")
	}
	if _, ok := f.User(99); ok {
		t.Error("User(99) exists")
	}
	if got := slices.Sorted(maps.Keys(u)); !slices.Contains(got, "user_pass") {
		t.Errorf("stored fields %v", got)
	}
}

func TestFakeWithoutKeys(t *testing.T) {
	srv := httptest.NewServer(NewFake(nil))
	t.Cleanup(srv.Close)
	req, _ := Provider{}.Encode(minimal(1), nil)
	r := do(t, srv, call{contentType: req.ContentType, body: string(req.Body)})
	if r.status != 401 {
		t.Errorf("status %d, want 401 from a fake with no keys", r.status)
	}
}

func TestFakeFailNextAndWriteError(t *testing.T) {
	for _, format := range formats {
		f, srv := newFake(t)
		f.FailNext(2, http.StatusTooManyRequests, "3")
		req, _ := Provider{}.Encode(minimal(1), &Options{Format: format})
		for i := range 2 {
			// Faults come before routing and auth: a gateway answers them.
			r := do(t, srv, call{public: ptr(""), contentType: req.ContentType, body: string(req.Body)})
			if r.status != 429 || r.header.Get("Retry-After") != "3" || !strings.Contains(r.errorText(), "Too Many Requests") {
				t.Errorf("%s request %d: %d %v %s", format, i, r.status, r.header, r.raw)
			}
		}
		if r := do(t, srv, call{contentType: req.ContentType, body: string(req.Body)}); r.status != 200 {
			t.Errorf("%s after the faults: %d %s", format, r.status, r.raw)
		}
		if n := len(f.Applied()); n != 1 {
			t.Errorf("%s: %d applied, want 1", format, n)
		}

		// WriteError, as the sandbox calls it.
		var ew providers.ErrorWriter = f
		rec := httptest.NewRecorder()
		hr := httptest.NewRequest(http.MethodPost, Path, nil)
		hr.Header.Set("Content-Type", contentType(format))
		ew.WriteError(rec, hr, http.StatusServiceUnavailable, "down for <maintenance> & more")
		a := Provider{}.Read(rec.Code, rec.Header(), rec.Body.Bytes(), nil)
		if rec.Code != 503 || !strings.HasPrefix(rec.Header().Get("Content-Type"), contentType(format)) ||
			a.Message != "down for <maintenance> & more" {
			t.Errorf("%s WriteError: %d %v %q, read as %q", format, rec.Code, rec.Header(), rec.Body, a.Message)
		}
	}
}
