package userapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

const exampleUUID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

func textCase() providertest.FieldCase {
	// "<string>" fields: anything that is a string, however long.
	return providertest.FieldCase{Valid: []any{"", "<string>", "Ann Smith", strings.Repeat("å", 5000)}, Invalid: []any{int64(5), true}}
}

func boolCase() providertest.FieldCase {
	return providertest.FieldCase{Valid: []any{true, false}, Invalid: []any{"true", int64(1), "yes"}}
}

func uuidCase() providertest.FieldCase {
	return providertest.FieldCase{
		Valid: []any{exampleUUID, "3C90C3CC-0D44-4B50-8888-8DD25736052A", "00000000-0000-0000-0000-000000000000"},
		Invalid: []any{
			"", "3c90c3cc0d444b5088888dd25736052a", // no dashes
			"3c90c3cc-0d44-4b50-8888-8dd25736052",   // 11 at the end
			"3c90c3cc-0d44-4b50-8888-8dd25736052a0", // 13 at the end
			"3c90c3cc-0d44-4b50-8888-8dd25736052g",  // not hex
			"{3c90c3cc-0d44-4b50-8888-8dd25736052a}",
			" " + exampleUUID, exampleUUID + "\n", int64(3),
		},
	}
}

func dateTimeCase() providertest.FieldCase {
	return providertest.FieldCase{
		Valid: []any{"2023-11-07T05:31:56Z", "1987-03-15T00:00:00Z", "2024-01-15T14:30:00+01:00", "2024-02-29T23:59:59.123Z"},
		Invalid: []any{
			"", "2023-11-07", // a date alone: the mapping makes it midnight UTC
			"2023-11-07T05:31:56", // no zone
			"2023-11-07 05:31:56Z", "07/11/2023 05:31", "2023-02-30T00:00:00Z", "2023-11-07T25:00:00Z",
			int64(1699335116),
		},
	}
}

// fieldCases has an entry for every field of the table (TestEveryFieldHasCases
// makes sure of it).
var fieldCases = map[string]providertest.FieldCase{
	"user_id": {
		Valid: []any{"42", exampleUUID, "a b", "50%", "ann@example.com", "x?y#z", "é", "...", ".x"},
		Invalid: []any{
			"", "/", "a/b", "42/", "/42", ".", "..", int64(42),
		},
	},
	"email": {
		Valid: []any{"jsmith@example.com", "Ann.Smith+news@Example.co.uk", "a@b.se"},
		Invalid: []any{
			"", "jsmith", "jsmith@example", "jsmith@@example.com", "j smith@example.com",
			"jsmith@example.com.", "jsmith@example.com\n", int64(1),
		},
	},
	"first_name":                 textCase(),
	"last_name":                  textCase(),
	"phone":                      textCase(),
	"state":                      textCase(),
	"country":                    textCase(),
	"address":                    textCase(),
	"stripe_customer_id":         textCase(),
	"stripe_subscription_id":     textCase(),
	"stripe_subscription_status": textCase(),
	"is_active":                  boolCase(),
	"is_superuser":               boolCase(),
	"is_enterprise":              boolCase(),
	"stripe_has_payment_method":  boolCase(),
	"is_trial":                   boolCase(),
	"used_trial":                 boolCase(),
	"is_paying":                  boolCase(),
	"role_id":                    uuidCase(),
	"active_billing_plan_id":     uuidCase(),
	"next_billing_plan_id":       uuidCase(),
	"birthdate":                  dateTimeCase(),
	"stripe_last_payment_date":   dateTimeCase(),
	"billing_updated_at":         dateTimeCase(),
	"last_credits_refresh":       dateTimeCase(),
	"next_credits_refresh":       dateTimeCase(),
}

// TestContract runs the suite every provider and its fake pass, the table's
// examples and golden file included: the document's example body in its
// order after the path's user_id, the only required field (the document
// marks no body field required, and an update sends what changes).
func TestContract(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: Provider{},
		Payload:  func(n int) map[string]any { return map[string]any{KeyField: fmt.Sprint(n), "first_name": "Ann"} },
		Place: func(n int, f providers.Field, v any) map[string]any {
			return providertest.Place(map[string]any{KeyField: fmt.Sprint(n)}, f, v, nil)
		},
		Cases:       fieldCases,
		TableGolden: "testdata/table.golden",
		Unique: func(n int, email string) map[string]any {
			return map[string]any{KeyField: fmt.Sprint(n), "email": email}
		},
	})
}

// The descriptions are sentences, and user_id's says it is never in the
// body.
func TestTableDescriptions(t *testing.T) {
	for _, f := range table.Fields() {
		if f.Unset != "" || !strings.HasSuffix(f.Description, ".") {
			t.Errorf("%s: unset %q, description %q", f.Path, f.Unset, f.Description)
		}
	}
	if id, _ := table.Lookup("user_id"); !strings.Contains(id.Description, "never sent in the body") {
		t.Errorf("user_id description %q does not say it stays out of the body", id.Description)
	}
}
