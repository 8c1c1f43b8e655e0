package finerworks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// textCase is a member or field the document says nothing about beyond its
// JSON type: any string, and nothing else.
func textCase() providertest.FieldCase {
	return providertest.FieldCase{
		Valid:   []any{"", "sample string 1", "Happy Little Trees, Inc", "Ünïcode ✓", strings.Repeat("x", 5000)},
		Invalid: []any{int64(5), true, []string{"a"}},
	}
}

func emailCase() providertest.FieldCase {
	return providertest.FieldCase{
		Valid: []any{"bobbyross12@gmail.com", "Studio.Owner+prints@Example.co.uk", "a@b.cd"},
		Invalid: []any{
			"", "sample string 13", "bob@gmail", "bob ross@gmail.com", "@gmail.com", "bob@",
			"bob@@gmail.com", "bob@gmail.com\n", int64(13),
		},
	}
}

// fileCase needs real JPEG and PNG bytes, so it is filled in init.
var fileCase providertest.FieldCase

func init() {
	fileCase = providertest.FieldCase{
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
var fieldCases = map[string]providertest.FieldCase{
	"account_key":        {Valid: []any{"sample string 1", "HLT-2041", "3fa85f64-5717-4562-b3fc-2c963f66afa6"}, Invalid: []any{int64(1), false}},
	"billing_info":       {Valid: []any{map[string]any{}, map[string]any{"city": "Anchorage"}}, Invalid: []any{"742 Evergreen Terrace", []any{}}},
	"business_info":      {Valid: []any{map[string]any{}, map[string]any{"email": "a@b.cd"}}, Invalid: []any{"Happy Little Trees", int64(1)}},
	"logo_url":           textCase(),
	"payment_profile_id": {Valid: []any{"", "84123456", "cus_abc"}, Invalid: []any{int64(84123456)}},
}

// TestContract runs the suite every provider and its fake pass, the table's
// examples and golden file included.
func TestContract(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: Provider{},
		Payload: func(n int) map[string]any {
			return map[string]any{"account_key": fmt.Sprintf("HLT-%d", n), "payment_profile_id": "84123456"}
		},
		Place: func(n int, f providers.Field, v any) map[string]any {
			return providertest.Place(map[string]any{"account_key": fmt.Sprintf("HLT-%d", n)}, f, v, nil)
		},
		Cases:       fieldCases,
		TableGolden: "testdata/table.golden",
	})
}

// account_key is required here, though the document says optional: its
// description says why, and what the server does with one it ignores.
func TestAccountKeyIsExplained(t *testing.T) {
	if key, _ := table.Lookup("account_key"); !strings.Contains(key.Description, "required here") {
		t.Errorf("account_key does not say why it is required: %q", key.Description)
	}
}
