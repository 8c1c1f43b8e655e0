package finerworks

import (
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// fieldCase holds values for one field of the table, already of the Go type
// the mapping would build. The fake tests reuse them, so the table and the
// fake are checked against the same examples.
type fieldCase = providertest.FieldCase

// textCase is a member or field the document says nothing about beyond its
// JSON type: any string, and nothing else.
func textCase() fieldCase {
	return fieldCase{
		Valid:   []any{"", "sample string 1", "Happy Little Trees, Inc", "Ünïcode ✓", strings.Repeat("x", 5000)},
		Invalid: []any{int64(5), true, []string{"a"}},
	}
}

func emailCase() fieldCase {
	return fieldCase{
		Valid: []any{"bobbyross12@gmail.com", "Studio.Owner+prints@Example.co.uk", "a@b.cd"},
		Invalid: []any{
			"", "sample string 13", "bob@gmail", "bob ross@gmail.com", "@gmail.com", "bob@",
			"bob@@gmail.com", "bob@gmail.com\n", int64(13),
		},
	}
}

// fileCase needs real JPEG and PNG bytes, so it is filled in init.
var fileCase fieldCase

func init() {
	fileCase = fieldCase{
		Valid: []any{jpegBytes(), []byte{0xFF, 0xD8, 0xFF}, []byte{0xFF, 0xD8, 0xFF, 0xE1, 'E', 'x', 'i', 'f'}},
		Invalid: []any{
			pngBytes(), []byte("@@"), []byte{}, []byte{0xFF, 0xD8}, []byte("GIF89a"),
			int64(1), // not bytes at all
		},
	}
	for _, f := range table.Fields() {
		if f.Parent() == "" {
			continue
		}
		if strings.HasSuffix(f.Path, ".email") {
			fieldCases[f.Path] = emailCase()
		} else {
			fieldCases[f.Path] = textCase()
		}
	}
	fieldCases["logo_data"] = fileCase
	fieldCases["portrait_data"] = fileCase
}

// fieldCases has an entry for every field of the table (TestEveryFieldHasCases
// makes sure of it).
var fieldCases = map[string]fieldCase{
	"account_key":        {Valid: []any{"sample string 1", "HLT-2041", "3fa85f64-5717-4562-b3fc-2c963f66afa6"}, Invalid: []any{int64(1), false}},
	"billing_info":       {Valid: []any{map[string]any{}, map[string]any{"city": "Anchorage"}}, Invalid: []any{"742 Evergreen Terrace", []any{}}},
	"business_info":      {Valid: []any{map[string]any{}, map[string]any{"email": "a@b.cd"}}, Invalid: []any{"Happy Little Trees", int64(1)}},
	"logo_url":           textCase(),
	"payment_profile_id": {Valid: []any{"", "84123456", "cus_abc"}, Invalid: []any{int64(84123456)}},
}

// The table is the document's body, in its order, with its types.
// TestFieldCases: every field has examples of what it accepts and refuses,
// and the table agrees with each.
func TestFieldCases(t *testing.T) {
	providertest.CheckFieldCases(t, Provider{}.Table(), fieldCases)
}

func TestTableMatchesDocument(t *testing.T) {
	want := []struct {
		path     string
		typ      providers.Type
		required bool
		rules    string
	}{
		{"account_key", providers.String, true, ""},
		{"billing_info", providers.Object, false, ""},
	}
	addr := func(parent string) {
		for _, m := range []string{"first_name", "last_name", "company_name", "address_1", "address_2", "address_3", "city",
			"state_code", "province", "zip_postal_code", "country_code", "phone", "email", "address_order_po"} {
			rules := ""
			if m == "email" {
				rules = "must be an e-mail address (name@example.com)"
			}
			want = append(want, struct {
				path     string
				typ      providers.Type
				required bool
				rules    string
			}{parent + "." + m, providers.String, false, rules})
		}
	}
	addr("billing_info")
	want = append(want, struct {
		path     string
		typ      providers.Type
		required bool
		rules    string
	}{"business_info", providers.Object, false, ""})
	addr("business_info")
	want = append(want, []struct {
		path     string
		typ      providers.Type
		required bool
		rules    string
	}{
		{"logo_url", providers.String, false, ""},
		{"logo_data", providers.File, false, "must be a JPEG image"},
		{"portrait_data", providers.File, false, "must be a JPEG image"},
		{"payment_profile_id", providers.String, false, ""},
	}...)

	got := table.Fields()
	if len(got) != len(want) {
		t.Fatalf("%d fields, want %d", len(got), len(want))
	}
	for i, w := range want {
		f := got[i]
		if f.Path != w.path || f.Type != w.typ || f.Required != w.required || f.RuleText() != w.rules || f.Secret || f.Unset != "" {
			t.Errorf("field %d = %s %v required=%v %q, want %s %v required=%v %q",
				i, f.Path, f.Type, f.Required, f.RuleText(), w.path, w.typ, w.required, w.rules)
		}
		if f.Description == "" {
			t.Errorf("%s has no description", f.Path)
		}
	}
	key, _ := table.Lookup("account_key")
	if !strings.Contains(key.Description, "required here") {
		t.Errorf("account_key does not say why it is required: %q", key.Description)
	}
}
