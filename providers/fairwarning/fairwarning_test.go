package fairwarning

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

var formats = []string{FormatJSON, FormatXML}

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

// xmlCanCarry reports whether an invalid example survives as itself in XML,
// where everything is text: an int64 for a string field becomes the text
// "5", a fine string, and true for a number "1", a fine number, so the type
// error cannot be sent.
func xmlCanCarry(fd providers.Field, v any) bool {
	switch t := v.(type) {
	case int64:
		return fd.Type == providers.Int // a number is a number; 0 and 1 would be booleans too
	case string:
		// XML's booleans are 1 and 0 only: the text "true" is refused.
		return fd.Type == providers.String || fd.Type == providers.Date || fd.Type == providers.Bool && t != "1" && t != "0"
	}
	return false
}

func TestInfo(t *testing.T) {
	info := Provider{}.Info()
	if info.Name != "fairwarning" || info.BaseURL != BaseURL || info.Method != http.MethodPost || info.Path != Path ||
		info.Key != "user_id" || !strings.Contains(info.Document, "request headers") {
		t.Errorf("Info() = %+v", info)
	}
}

func TestLoadCredentials(t *testing.T) {
	const pub, priv = "pk_3f9a1c", "sk_77d0e2b4"
	env := func(p, q string) map[string]string { return map[string]string{PublicKeyEnv: p, PrivateKeyEnv: q} }
	providertest.CheckLoadCredentials(t, Provider{}, []providertest.CredentialCase{
		{Name: "ok", Env: env(pub, priv)},
		{Name: "trimmed", Env: env(" "+pub+"\n", priv)},
		{Name: "no private key", Env: env(pub, ""), Err: "FWS_PRIVATE_KEY"},
		{Name: "none", Env: env("", ""), Err: "FWS_PUBLIC_KEY, FWS_PRIVATE_KEY"},
		{Name: "with its header", Env: env("public-key: "+pub, priv), Err: "header name"},
		{Name: "two words", Env: env(pub, "sk 77d0"), Err: "white space"},
	})
}

// The format option, as `acctimport providers fairwarning` documents it.
func TestOptions(t *testing.T) {
	for src, xml := range map[string]bool{"format: json": false, "format: xml": true, "format: XML": true, "format: ''": false} {
		o, err := providertest.DecodeOptions(Provider{}, src)
		if err != nil || o.(*Options).XML() != xml {
			t.Errorf("%s: %v, XML() = %v", src, err, !xml)
		}
	}
	for _, src := range []string{"format: csv", "format: jsonx"} {
		if _, err := providertest.DecodeOptions(Provider{}, src); err == nil || !strings.Contains(err.Error(), "is not json or xml") {
			t.Errorf("%s: %v", src, err)
		}
	}
	if (*Options)(nil).XML() {
		t.Error("nil options send XML; JSON is the default")
	}
	if fs := providers.OptionFields(&Options{}); len(fs) != 1 || fs[0].Name != "format" || strings.Join(fs[0].Values, " ") != "json xml" || !strings.Contains(fs[0].Doc, "json (the default) or xml") {
		t.Errorf("OptionFields = %+v: format is not documented", fs)
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

func TestEncodeGolden(t *testing.T) {
	var golden []providertest.GoldenPayload
	for _, format := range formats {
		golden = append(golden, providertest.GoldenPayload{Name: "document_example", Payload: documentPayload(), Options: &Options{Format: format}},
			providertest.GoldenPayload{
				// Only what is required: the smallest body a row can make.
				Name: "required_only", Options: &Options{Format: format},
				Payload: map[string]any{
					"user_id": int64(7), "user_email": "bo@example.com", "user_pass": secretSHA1,
					"user_fname": "Bo", "user_lname": "Ek",
				},
			}, providertest.GoldenPayload{
				// Values of every type the mapping can build, even where the
				// table has no such field, and text XML must escape.
				Name: "value_types", Options: &Options{Format: format},
				Payload: map[string]any{
					"user_id": int64(7), "user_fname": "\"Quotes\" & <angles> 'apostrophes'\tand a tab",
					"user_lname": "Ünïcødé 名前", "tags": []string{"a", "b"}, "photo": []byte{0xFF, 0xD8, 0xFF},
					"nested":    map[string]any{"b": false, "a": int64(-1)},
					"addresses": []any{map[string]any{"address_zip": "00501", "address_type": int64(2)}},
					"maillists": map[string]int64{},
				},
			})
	}
	providertest.EncodeGolden(t, Provider{}, "testdata", golden, *providertest.Update)
}

// The XML form of addresses, mailing lists and booleans, pinned here in
// words as well as in the golden file: booleans are 1 and 0, since a server
// that casts the text "false" reads it as true.
func TestEncodeXMLShape(t *testing.T) {
	req, err := Provider{}.Encode(map[string]any{
		"user_id": int64(1), "user_verified": false, "user_is_tax_exempt": true,
		"addresses": []any{map[string]any{"address_type": int64(1), "address_current": true}, map[string]any{"address_type": int64(2)}},
		"maillists": map[string]int64{"news": 1, "auctions": 1},
	}, &Options{Format: FormatXML})
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0"?>` + "\n" + `<request><user_id>1</user_id><user_verified>0</user_verified><user_is_tax_exempt>1</user_is_tax_exempt>` +
		`<addresses><address><address_type>1</address_type><address_current>1</address_current></address>` +
		`<address><address_type>2</address_type></address></addresses>` +
		`<maillists><auctions>1</auctions><news>1</news></maillists></request>` + "\n"
	if string(req.Body) != want {
		t.Errorf("body\n%s\nwant\n%s", req.Body, want)
	}
}

func TestEncodeXMLRefuses(t *testing.T) {
	for name, tt := range map[string]struct {
		payload map[string]any
		msg     string
	}{
		"list name starting with a digit": {map[string]any{"maillists": map[string]int64{"2024-auctions": 1}}, `maillists: "2024-auctions" cannot be an XML element name`},
		"list name with a space":          {map[string]any{"maillists": map[string]any{"gun news": int64(1)}}, "cannot be an XML element name"},
		"control character":               {map[string]any{"user_fname": "Ann\x01"}, "user_fname holds the character U+0001"},
		"in an address":                   {map[string]any{"addresses": []any{map[string]any{"address_city": "\x0bX"}}}, "addresses[].address_city holds"},
		"unknown type":                    {map[string]any{"user_id": 1.5}, "user_id: a value of type float64"},
	} {
		if _, err := (Provider{}).Encode(tt.payload, &Options{Format: FormatXML}); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tt.msg)
		}
		if _, err := (Provider{}).Encode(tt.payload, &Options{}); err != nil && name != "unknown type" {
			t.Errorf("%s as JSON: %v", name, err)
		}
	}
}

// maillists, however the mapping filled it: a split column's {name: 1}, or
// per-list paths' 1/0, true/false, "1"/"0"; a list set to 0 is left out,
// since the API only adds a user to the lists it is sent.
func TestEncodeMaillists(t *testing.T) {
	for _, tt := range []struct {
		lists any
		json  string // "" when maillists is left out
		err   string
	}{
		{map[string]int64{"news": 1, "auctions": 1}, `{"auctions":1,"news":1}`, ""},
		{map[string]int64{"news": 1, "auctions": 0}, `{"news":1}`, ""},
		{map[string]any{"news": int64(1), "offers": int64(0), "auctions": true, "sales": false, "events": "1", "promos": "0"},
			`{"auctions":1,"events":1,"news":1}`, ""},
		{map[string]any{"news": int64(0), "offers": false}, "", ""},
		{map[string]int64{"news": 2}, "", "maillists.news is 2"},
		{map[string]any{"news": "yes"}, "", "maillists.news is yes"},
		{map[string]any{"news": 1.5}, "", "maillists.news is 1.5"},
	} {
		payload := map[string]any{"user_id": int64(1), "maillists": tt.lists}
		for _, format := range formats {
			req, err := Provider{}.Encode(payload, &Options{Format: format})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("%v: %v, want %q", tt.lists, err, tt.err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%v: %v", tt.lists, err)
			}
			want := `{"user_id":1}`
			if tt.json != "" {
				want = `{"maillists":` + tt.json + `,"user_id":1}`
			}
			if format == FormatXML {
				want = `<?xml version="1.0"?>` + "\n<request><user_id>1</user_id>" + xmlLists(tt.json) + "</request>\n"
			}
			if string(req.Body) != want {
				t.Errorf("%v %s: %s, want %s", tt.lists, format, req.Body, want)
			}
		}
		if _, ok := payload["maillists"].(map[string]int64); ok && len(payload) != 2 {
			t.Error("Encode changed the payload")
		}
	}
}

// xmlLists writes `{"a":1,"b":1}` as XML's <maillists>.
func xmlLists(js string) string {
	if js == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("<maillists>")
	for _, kv := range strings.Split(strings.Trim(js, "{}"), ",") {
		name := strings.Trim(strings.TrimSuffix(kv, ":1"), `"`)
		b.WriteString("<" + name + ">1</" + name + ">")
	}
	return b.String() + "</maillists>"
}

// A masked payload (--payloads) must encode in both formats.
func TestEncodeMasked(t *testing.T) {
	p := documentPayload()
	p["user_pass"] = providers.Redacted
	for _, format := range formats {
		req, err := Provider{}.Encode(p, &Options{Format: format})
		if err != nil || strings.Contains(string(req.Body), secretSHA1) || !strings.Contains(string(req.Body), providers.Redacted) {
			t.Errorf("%s: %v\n%s", format, err, req.Body)
		}
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
	failed, ok := providers.Failed, providers.OK
	providertest.CheckRead(t, Provider{}, &Options{}, []providertest.ReadCase{
		{Name: "ok json", Status: 200, ContentType: js, Body: okJSON, Outcome: ok},
		{Name: "ok xml", Status: 200, ContentType: xm, Body: okXML, Outcome: ok},
		{Name: "ok xml as text/xml", Status: 200, ContentType: "text/xml", Body: okXML, Outcome: ok},
		{Name: "ok json sniffed", Status: 200, Body: okJSON, Outcome: ok},
		{Name: "ok xml sniffed", Status: 200, ContentType: "text/plain", Body: okXML, Outcome: ok},
		{Name: "401 json", Status: 401, ContentType: js, Body: `{"error":"The API keys provided are invalid."}`, Outcome: failed, Msg: "The API keys provided are invalid."},
		{Name: "403 json", Status: 403, ContentType: js, Body: `{"error":"API keys are missing."}`, Outcome: failed, Msg: "API keys are missing."},
		// The documented 404: the method is not there, for any row.
		{Name: "404 json", Status: 404, ContentType: js, Body: `{"error":"API method (user/updte) not found."}`, Outcome: failed, Msg: "API method (user/updte) not found.", Fatal: true},
		{Name: "404 xml", Status: 404, ContentType: xm, Body: hdr + "\n<response><error>API method (user/x) not found.</error></response>", Outcome: failed, Msg: "API method (user/x) not found.", Fatal: true},
		{Name: "another 404", Status: 404, ContentType: "text/html", Body: "<html>Not Found</html>", Outcome: failed, Msg: "<html>Not Found</html>"},
		{Name: "500 json", Status: 500, ContentType: js, Body: `{"error": "The email address ann@example.com is already in use by another user."}`, Outcome: failed,
			Msg: "The email address ann@example.com is already in use by another user.", Permanent: true},
		{Name: "401 xml", Status: 401, ContentType: xm, Body: hdr + `<response><error>The API keys provided are invalid</error></response>`, Outcome: failed, Msg: "The API keys provided are invalid"},
		{Name: "500 xml", Status: 500, ContentType: xm, Body: hdr + "<response><error>\n  user_zip is required.\n</error></response>", Outcome: failed, Msg: "user_zip is required.", Permanent: true},
		{Name: "500 xml sniffed", Status: 500, ContentType: "text/html", Body: hdr + "<response><error>boom &amp; bust</error></response>", Outcome: failed, Msg: "boom & bust", Permanent: true},
		{Name: "500 json sniffed", Status: 500, Body: `{"error":"boom"}`, Outcome: failed, Msg: "boom", Permanent: true},
		{Name: "error object", Status: 500, ContentType: js, Body: `{"error":{"message":"deep"}}`, Outcome: failed, Msg: "deep", Permanent: true},
		{Name: "error in a 200 json", Status: 200, ContentType: js, Body: `{"error":"user not found"}`, Outcome: failed, Msg: "user not found"},
		{Name: "error in a 200 xml", Status: 200, ContentType: xm, Body: hdr + `<response><error>user not found</error></response>`, Outcome: failed, Msg: "user not found"},
		{Name: "empty error", Status: 200, ContentType: js, Body: `{"error":""}`, Outcome: failed, Msg: "the answer has an empty error"},
		{Name: "proxy page", Status: 200, ContentType: "text/html", Body: "<html><body>Maintenance</body></html>", Outcome: failed, Msg: "~not FairWarning's user details"},
		{Name: "204", Status: 204, Outcome: failed, Msg: "~HTTP 204"},
		{Name: "null user_id", Status: 200, ContentType: js, Body: `{"user_id":null}`, Outcome: failed, Msg: "~not FairWarning's user details"},
		{Name: "xml of another root", Status: 200, ContentType: xm, Body: hdr + `<request><user_id>1</user_id></request>`, Outcome: failed, Msg: "~not FairWarning's user details"},
		{Name: "json labelled xml", Status: 200, ContentType: xm, Body: okJSON, Outcome: failed, Msg: "~not FairWarning's user details"},
		{Name: "gateway text", Status: 502, ContentType: "text/plain", Body: "Bad Gateway\n", Outcome: failed, Msg: "Bad Gateway"},
		{Name: "gateway message", Status: 503, ContentType: js, Body: `{"message":"try later"}`, Outcome: failed, Msg: "try later"},
		{Name: "no body", Status: 500, Outcome: failed},
	})
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
