package fairwarning

import (
	"slices"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// fieldCase holds values for one field of the table, already of the Go type
// the mapping would build. The fake tests reuse them, so the table and the
// fake are checked against the same examples.
type fieldCase = providertest.FieldCase

// sha1 of "secret", as the mapping's sha1 transform writes it.
const secretSHA1 = "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"

func textCase(required bool) fieldCase {
	c := fieldCase{Valid: []any{"Ann", "O'Brien & Sons <Co>", "Zoë", "  spaced  "}, Invalid: []any{int64(5), true}}
	if !required {
		c.Valid = append(c.Valid, "")
	}
	return c
}

func boolCase() fieldCase {
	return fieldCase{Valid: []any{true, false}, Invalid: []any{"true", int64(1)}}
}

func intCase() fieldCase {
	return fieldCase{Valid: []any{int64(0), int64(7), int64(123456789)}, Invalid: []any{"7", true}}
}

var phoneCase = fieldCase{
	Valid: []any{"555-123-4567", "000-000-0000"},
	Invalid: []any{
		"5551234567", "(555) 123-4567", "555.123.4567", "+1-555-123-4567", "555-1234-567",
		"555-123-45678", "55-123-4567", "555-123-4567\n", "abc-def-ghij", "", int64(5551234567),
	},
}

var dateCase = fieldCase{
	Valid:   []any{"2027-06-30", "2028-02-29"},
	Invalid: []any{"", "2027-6-30", "2027-02-29", "06/30/2027", "2027-06-30T00:00:00Z", "2027-13-01", int64(20270630)},
}

var emailCase = fieldCase{
	Valid:   []any{"ann@example.com", "Ann.Lee+bids@mail.example.co.uk"},
	Invalid: []any{"", "ann", "ann@example", "ann@@example.com", "ann lee@example.com", "ann@example.com.", int64(1)},
}

// validAddress has every member the document requires.
func validAddress() map[string]any {
	return map[string]any{
		"address_type": int64(Billing), "address_street": "12 Elm St", "address_city": "Springfield",
		"address_state": "IL", "address_zip": "62704", "address_country": "US",
	}
}

// fieldCases has an entry for every field of the table
// (TestEveryFieldHasCases makes sure of it).
var fieldCases = map[string]fieldCase{
	"user_id":                          {Valid: []any{int64(1), int64(48213)}, Invalid: []any{"48213", true}},
	"type_id":                          intCase(),
	"user_verified":                    boolCase(),
	"user_receive_texts":               boolCase(),
	"user_is_preferred_bidder":         boolCase(),
	"user_is_firearms_dealer":          boolCase(),
	"user_ffl_number":                  textCase(false),
	"user_class_3_ffl_number":          textCase(false),
	"user_ffl_expiration_date":         dateCase,
	"user_class_3_ffl_expiration_date": dateCase,
	"user_is_tax_exempt":               boolCase(),
	"user_tax_id":                      textCase(false),
	"user_tax_id_expiration_month": {
		Valid:   []any{int64(1), int64(6), int64(12)},
		Invalid: []any{int64(0), int64(13), int64(-1), "6"},
	},
	"user_tax_id_expiration_year": {
		Valid:   []any{int64(2027), int64(1000), int64(9999)},
		Invalid: []any{int64(27), int64(999), int64(10000), "2027"},
	},
	"user_tax_id_state": textCase(false),
	"user_email":        emailCase,
	"user_alt_email":    emailCase,
	"user_pass": {
		Valid: []any{secretSHA1, strings.Repeat("0", 40)},
		Invalid: []any{
			"secret", "", strings.ToUpper(secretSHA1), secretSHA1[:39], secretSHA1 + "0",
			strings.Repeat("g", 40), secretSHA1 + "\n", int64(1),
		},
	},
	"user_prefix":                  textCase(false),
	"user_fname":                   textCase(true),
	"user_mname":                   textCase(false),
	"user_lname":                   textCase(true),
	"user_phone":                   phoneCase,
	"user_alt_phone":               phoneCase,
	"user_cell_phone":              {Valid: []any{"555-123-4567", "+1 (555) 123 4567", "5551234567"}, Invalid: []any{int64(5551234567)}},
	"user_fax":                     phoneCase,
	"user_phone_country_code":      textCase(false),
	"user_alt_phone_country_code":  textCase(false),
	"user_cell_phone_country_code": textCase(false),
	"user_fax_country_code":        textCase(false),
	"user_company":                 textCase(false),
	"addresses":                    {Valid: []any{[]any{validAddress()}}, Invalid: []any{validAddress(), "x"}},
	"addresses[].address_id":       intCase(),
	"addresses[].address_type": {
		Valid:   []any{int64(Billing), int64(Shipping)},
		Invalid: []any{int64(0), int64(3), "1", true},
	},
	"addresses[].address_current": boolCase(),
	"addresses[].address_street":  textCase(true),
	"addresses[].address_street2": textCase(false),
	"addresses[].address_city":    textCase(true),
	"addresses[].address_state":   textCase(true),
	"addresses[].address_zip":     textCase(true),
	"addresses[].address_country": {
		Valid:   []any{"US", "ca", "Gb"},
		Invalid: []any{"", "USA", "U", "U1", "12", "U S", "US\n", int64(1)},
	},
	"maillists": {
		Valid:   []any{map[string]int64{"auctions": 1}, map[string]int64{"auctions": 1, "firearms-news": 1}},
		Invalid: []any{[]string{"auctions"}, "auctions"},
	},
}

// TestTableMatchesDocument pins the table to the document: its order, each
// field's type and requirement, and the rule each states.
// TestFieldCases: every field has examples of what it accepts and refuses,
// and the table agrees with each.
func TestFieldCases(t *testing.T) {
	providertest.CheckFieldCases(t, Provider{}.Table(), fieldCases)
}

func TestTableMatchesDocument(t *testing.T) {
	tests := []struct {
		path     string
		typ      providers.Type
		required bool
		rules    string
	}{
		{"user_id", providers.Int, true, ""},
		{"type_id", providers.Int, false, ""},
		{"user_verified", providers.Bool, false, ""},
		{"user_receive_texts", providers.Bool, false, ""},
		{"user_is_preferred_bidder", providers.Bool, false, ""},
		{"user_is_firearms_dealer", providers.Bool, false, ""},
		{"user_ffl_number", providers.String, false, ""},
		{"user_class_3_ffl_number", providers.String, false, ""},
		{"user_ffl_expiration_date", providers.Date, false, "must be a date written YYYY-MM-DD"},
		{"user_class_3_ffl_expiration_date", providers.Date, false, "must be a date written YYYY-MM-DD"},
		{"user_is_tax_exempt", providers.Bool, false, ""},
		{"user_tax_id", providers.String, false, ""},
		{"user_tax_id_expiration_month", providers.Int, false, "must be between 1 and 12"},
		{"user_tax_id_expiration_year", providers.Int, false, "must be a four-digit year"},
		{"user_tax_id_state", providers.String, false, ""},
		{"user_email", providers.String, true, "must be an e-mail address (name@example.com)"},
		{"user_alt_email", providers.String, false, "must be an e-mail address (name@example.com)"},
		{"user_pass", providers.String, true, "must be the password's SHA-1, 40 lower-case hex digits (add transform: [sha1] to a column of plaintext passwords)"},
		{"user_prefix", providers.String, false, ""},
		{"user_fname", providers.String, true, ""},
		{"user_mname", providers.String, false, ""},
		{"user_lname", providers.String, true, ""},
		{"user_phone", providers.String, false, "must be written XXX-XXX-XXXX (transform us_phone writes it so)"},
		{"user_alt_phone", providers.String, false, "must be written XXX-XXX-XXXX (transform us_phone writes it so)"},
		{"user_cell_phone", providers.String, false, ""},
		{"user_fax", providers.String, false, "must be written XXX-XXX-XXXX (transform us_phone writes it so)"},
		{"user_phone_country_code", providers.String, false, ""},
		{"user_alt_phone_country_code", providers.String, false, ""},
		{"user_cell_phone_country_code", providers.String, false, ""},
		{"user_fax_country_code", providers.String, false, ""},
		{"user_company", providers.String, false, ""},
		{"addresses", providers.ObjectList, false, ""},
		{"addresses[].address_id", providers.Int, false, ""},
		{"addresses[].address_type", providers.Int, true, "must be 1 (billing) or 2 (shipping)"},
		{"addresses[].address_current", providers.Bool, false, ""},
		{"addresses[].address_street", providers.String, true, ""},
		{"addresses[].address_street2", providers.String, false, ""},
		{"addresses[].address_city", providers.String, true, ""},
		{"addresses[].address_state", providers.String, true, ""},
		{"addresses[].address_zip", providers.String, true, ""},
		{"addresses[].address_country", providers.String, true, "must be a two-letter country code (US)"},
		{"maillists", providers.NameSet, false, ""},
	}
	fields := table.Fields()
	if len(fields) != len(tests) {
		t.Errorf("%d fields, want %d", len(fields), len(tests))
	}
	for i, tt := range tests {
		if i < len(fields) && fields[i].Path != tt.path {
			t.Errorf("field %d is %s, want %s (the document's order)", i, fields[i].Path, tt.path)
		}
		f, ok := table.Lookup(tt.path)
		if !ok {
			t.Errorf("%s: not in the table", tt.path)
			continue
		}
		if f.Type != tt.typ || f.Required != tt.required || f.RuleText() != tt.rules {
			t.Errorf("%s: type %v, required %v, rules %q; want %v, %v, %q",
				tt.path, f.Type, f.Required, f.RuleText(), tt.typ, tt.required, tt.rules)
		}
		if f.Description == "" {
			t.Errorf("%s: no description", tt.path)
		}
		if f.Secret != (tt.path == "user_pass") {
			t.Errorf("%s: Secret = %v", tt.path, f.Secret)
		}
	}
	if pass, _ := table.Lookup("user_pass"); !strings.Contains(pass.Description, "sha1") {
		t.Errorf("user_pass description %q does not say sha1", pass.Description)
	}
}

// The rule messages are what a user reads in the report; pin one of each
// kind, type errors included.
func TestRuleMessages(t *testing.T) {
	tests := []struct {
		path string
		v    any
		want string
	}{
		{"user_phone", "(555) 123-4567", "must be written XXX-XXX-XXXX (transform us_phone writes it so)"},
		{"user_pass", "hunter2", "must be the password's SHA-1, 40 lower-case hex digits (add transform: [sha1] to a column of plaintext passwords)"},
		{"addresses[].address_type", int64(3), "must be 1 (billing) or 2 (shipping)"},
		{"addresses[].address_country", "USA", "must be a two-letter country code (US)"},
		{"user_tax_id_expiration_year", int64(27), "must be a four-digit year"},
		{"user_tax_id_expiration_month", int64(13), "must be between 1 and 12"},
		{"user_ffl_expiration_date", "2027-02-30", "must be a date written YYYY-MM-DD"},
		{"user_email", "ann@", "must be an e-mail address (name@example.com)"},
		{"user_id", "48213", "must be a whole number"},
		{"user_verified", "yes", "must be true or false"},
		{"maillists", []string{"a"}, "must be a list of names"},
	}
	for _, tt := range tests {
		f, _ := table.Lookup(tt.path)
		if err := f.Check(tt.v); err == nil || err.Error() != tt.want {
			t.Errorf("%s: Check(%#v) = %v, want %q", tt.path, tt.v, err, tt.want)
		}
	}
}

func TestRequiredFields(t *testing.T) {
	var got []string
	for _, f := range table.Fields() {
		if f.Required {
			got = append(got, f.Path)
		}
	}
	want := []string{
		"user_id", "user_email", "user_pass", "user_fname", "user_lname",
		"addresses[].address_type", "addresses[].address_street", "addresses[].address_city",
		"addresses[].address_state", "addresses[].address_zip", "addresses[].address_country",
	}
	if !slices.Equal(got, want) {
		t.Errorf("required %v, want %v", got, want)
	}
}
