package payway

import (
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

var (
	long1024 = strings.Repeat("x", 1024)
	long1025 = strings.Repeat("x", 1025)
	// Characters, not bytes, are counted: 1024 of them is within range.
	runes1024 = strings.Repeat("å", 1024)
)

// validAddress has the members the address format requires.
func validAddress() map[string]any {
	return map[string]any{"street": "Storgatan", "zip_code": "11122", "city": "Stockholm", "country_code": "SE"}
}

func textCase() providertest.FieldCase {
	return providertest.FieldCase{Valid: []any{"", "Anna", long1024, runes1024}, Invalid: []any{long1025}}
}

// fieldCases has an entry for every field of the table (TestEveryFieldHasCases
// makes sure of it).
var fieldCases = map[string]providertest.FieldCase{
	"id": {
		Valid: []any{"50f3ac249f6aef294d000007", "50F3AC249F6AEF294D000007", "0123456789abcdef01234567"},
		Invalid: []any{
			"", "50f3ac249f6aef294d00000", // 23
			"50f3ac249f6aef294d0000071",  // 25: too long
			"50f3ac249f6aef294d00000g",   // not hex
			"50f3ac249f6aef294d00000\n7", // a line break: Ruby's ^$ would allow it, we do not
			"\n50f3ac249f6aef294d000007",
			" 50f3ac249f6aef294d00000",
			int64(5),
		},
	},
	"email": {
		Valid: []any{
			"adeprimo.servicedesk@no-reply.com", "A.B+C@EXAMPLE.SE", "first_last-1@sub.example.co.uk",
			"a,b@example.com", // the documented class [\w+-.] is the range + to ., comma included
			"a@bcd",           // the documented pattern's unescaped dots match any character
		},
		Invalid: []any{
			"", "no-at-sign", "a@b", "a b@example.com", "åsa@example.com", "a@example.com1",
			"a@@example.com", "a@example.com\n", "a/b@example.com",
			strings.Repeat("a", 1020) + "@example.com", // matches, but over 1024
			true,
		},
	},
	"first_name":     textCase(),
	"last_name":      textCase(),
	"company_name":   textCase(),
	"account_origin": textCase(),
	"alias": {
		Valid:   []any{"anna", long1024, Unset},
		Invalid: []any{long1025},
	},
	"mobile_phone_number": {
		Valid: []any{"0701234567", "+46701234567", ",4670123456", "012345678901", "1234567890", "123456789012", "0123456789012"},
		Invalid: []any{
			"", "070123456", // 9 digits
			"+4670123456789", // 13 digits
			"070-1234567", "+ 46701234567", "++46701234567", "070123456a", "0701234567\n", int64(701234567),
		},
	},
	"social_security_number": {
		Valid:   []any{"800101-1234", "000000-0000"},
		Invalid: []any{"", "8001011234", "19800101-1234", "800101-123", "80010a-1234", "800101+1234", "800101-1234\n"},
	},
	"birth_date": {
		Valid: []any{"1980-01-31", "2000-02-29"},
		Invalid: []any{
			"", "1980-1-31", // 9 characters
			"1980-02-30", "1900-02-29", "31/01/1980", "1980-13-01", "1980-01-31T00:00:00Z", int64(19800131),
		},
	},
	"company_registration_number": {
		Valid:   []any{"556000-1234", "1234567-8"},
		Invalid: []any{"", "5560001234", "556000-123", "123456-78", "1234567-89", "12345678-9", "55600a-1234"},
	},
	"tags": {
		Valid:   []any{[]string{"sports", "premium"}, []string{}, []string{""}},
		Invalid: []any{"sports", int64(1)},
	},
	"address": {
		Valid:   []any{validAddress()},
		Invalid: []any{"Storgatan 1", []any{validAddress()}},
	},
}

func init() {
	for _, f := range table.Fields() {
		if f.Parent() == "address" {
			c := textCase()
			if f.Required {
				c.Valid = c.Valid[1:] // an empty required member is not an address
			}
			fieldCases[f.Path] = c
		}
	}
}

// TestContract runs the suite every provider and its fake pass, the table's
// examples and golden file included.
func TestContract(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: Provider{},
		Payload:  func(n int) map[string]any { return map[string]any{"id": accountID(n), "first_name": "Anna"} },
		Place: func(n int, f providers.Field, v any) map[string]any {
			return providertest.Place(map[string]any{"id": accountID(n)}, f, v, map[string]map[string]any{"address": validAddress()})
		},
		Cases:       fieldCases,
		TableGolden: "testdata/table.golden",
	})
}

// atomic is an option, not a field; the address is Payway's Address input
// format, and tags replace the account's tags.
func TestTableDescriptions(t *testing.T) {
	if _, ok := table.Lookup("atomic"); ok {
		t.Error("atomic is in the table; it belongs to the options")
	}
	members := 0
	for _, f := range table.Fields() {
		if f.Parent() == "address" {
			members++
			if !strings.Contains(f.Description, "Address input format") {
				t.Errorf("%s: description %q", f.Path, f.Description)
			}
		}
	}
	if members != 18 {
		t.Errorf("%d address members, want 18", members)
	}
	if tags, _ := table.Lookup("tags"); !strings.Contains(tags.Description, "replace all existing tags") {
		t.Errorf("tags description %q does not say that tags are replaced", tags.Description)
	}
}
