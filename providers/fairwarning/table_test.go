package fairwarning

import (
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// sha1 of "secret", as the mapping's sha1 transform writes it.
const secretSHA1 = "e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"

func textCase(required bool) providertest.FieldCase {
	c := providertest.FieldCase{Valid: []any{"Ann", "O'Brien & Sons <Co>", "Zoë", "  spaced  "}, Invalid: []any{int64(5), true}}
	if !required {
		c.Valid = append(c.Valid, "")
	}
	return c
}

func boolCase() providertest.FieldCase {
	return providertest.FieldCase{Valid: []any{true, false}, Invalid: []any{"true", int64(1)}}
}

func intCase() providertest.FieldCase {
	return providertest.FieldCase{Valid: []any{int64(0), int64(7), int64(123456789)}, Invalid: []any{"7", true}}
}

var phoneCase = providertest.FieldCase{
	Valid: []any{"555-123-4567", "000-000-0000"},
	Invalid: []any{
		"5551234567", "(555) 123-4567", "555.123.4567", "+1-555-123-4567", "555-1234-567",
		"555-123-45678", "55-123-4567", "555-123-4567\n", "abc-def-ghij", "", int64(5551234567),
	},
}

var dateCase = providertest.FieldCase{
	Valid:   []any{"2027-06-30", "2028-02-29"},
	Invalid: []any{"", "2027-6-30", "2027-02-29", "06/30/2027", "2027-06-30T00:00:00Z", "2027-13-01", int64(20270630)},
}

var emailCase = providertest.FieldCase{
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
var fieldCases = map[string]providertest.FieldCase{
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

// TestContract runs the suite every provider and its fake pass, in both
// formats, the table's examples and golden file included.
func TestContract(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: Provider{},
		Options:  []providers.Options{&Options{Format: FormatJSON}, &Options{Format: FormatXML}},
		Payload:  func(n int) map[string]any { return minimal(int64(n)) },
		Place: func(n int, f providers.Field, v any) map[string]any {
			return providertest.Place(minimal(int64(n)), f, v, map[string]map[string]any{"addresses": validAddress()})
		},
		Cases:       fieldCases,
		TableGolden: "testdata/table.golden",
		Sendable: func(opts providers.Options, f providers.Field, v any) bool {
			return !opts.(*Options).XML() || xmlCanCarry(f, v)
		},
		Unique: func(n int, email string) map[string]any { return with(int64(n), map[string]any{"user_email": email}) },
	})
}

// user_pass is sent as its SHA-1, and its description says so.
func TestPasswordIsSHA1(t *testing.T) {
	if pass, _ := table.Lookup("user_pass"); !strings.Contains(pass.Description, "sha1") {
		t.Errorf("user_pass description %q does not say sha1", pass.Description)
	}
}
