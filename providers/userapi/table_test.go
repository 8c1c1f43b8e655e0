package userapi

import (
	"reflect"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// fieldCase holds values for one field of the table, already of the Go type
// the mapping would build. The fake tests reuse them, so the table and the
// fake are checked against the same examples.
type fieldCase = providertest.FieldCase

const exampleUUID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

func textCase() fieldCase {
	// "<string>" fields: anything that is a string, however long.
	return fieldCase{Valid: []any{"", "<string>", "Ann Smith", strings.Repeat("å", 5000)}, Invalid: []any{int64(5), true}}
}

func boolCase() fieldCase {
	return fieldCase{Valid: []any{true, false}, Invalid: []any{"true", int64(1), "yes"}}
}

func uuidCase() fieldCase {
	return fieldCase{
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

func dateTimeCase() fieldCase {
	return fieldCase{
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
var fieldCases = map[string]fieldCase{
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

// documentOrder is the document's example body, in its order, after the
// path's user_id.
var documentOrder = []string{
	"user_id",
	"first_name", "last_name", "email", "is_active", "is_superuser", "birthdate", "is_enterprise",
	"role_id", "phone", "state", "country", "address", "active_billing_plan_id", "next_billing_plan_id",
	"stripe_customer_id", "stripe_subscription_id", "stripe_subscription_status",
	"stripe_has_payment_method", "is_trial", "used_trial", "is_paying",
	"stripe_last_payment_date", "billing_updated_at", "last_credits_refresh", "next_credits_refresh",
}

// TestFieldCases: every field has examples of what it accepts and refuses,
// and the table agrees with each.
func TestFieldCases(t *testing.T) {
	providertest.CheckFieldCases(t, Provider{}.Table(), fieldCases)
}

func TestTableMatchesDocument(t *testing.T) {
	if got := table.Paths(); !reflect.DeepEqual(got, documentOrder) {
		t.Errorf("table order\n got %q\nwant %q", got, documentOrder)
	}
	const (
		uuidRule = "must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)"
		dtRule   = "must be an RFC 3339 date-time (2023-11-07T05:31:56Z)"
	)
	want := map[string]struct {
		typ   providers.Type
		rules string
	}{
		"user_id":                    {providers.String, `must be one segment of the URL path: not empty, without "/", not "." or ".."`},
		"first_name":                 {providers.String, ""},
		"last_name":                  {providers.String, ""},
		"email":                      {providers.String, "must be an e-mail address (name@example.com)"},
		"is_active":                  {providers.Bool, ""},
		"is_superuser":               {providers.Bool, ""},
		"birthdate":                  {providers.DateTime, dtRule},
		"is_enterprise":              {providers.Bool, ""},
		"role_id":                    {providers.String, uuidRule},
		"phone":                      {providers.String, ""},
		"state":                      {providers.String, ""},
		"country":                    {providers.String, ""},
		"address":                    {providers.String, ""},
		"active_billing_plan_id":     {providers.String, uuidRule},
		"next_billing_plan_id":       {providers.String, uuidRule},
		"stripe_customer_id":         {providers.String, ""},
		"stripe_subscription_id":     {providers.String, ""},
		"stripe_subscription_status": {providers.String, ""},
		"stripe_has_payment_method":  {providers.Bool, ""},
		"is_trial":                   {providers.Bool, ""},
		"used_trial":                 {providers.Bool, ""},
		"is_paying":                  {providers.Bool, ""},
		"stripe_last_payment_date":   {providers.DateTime, dtRule},
		"billing_updated_at":         {providers.DateTime, dtRule},
		"last_credits_refresh":       {providers.DateTime, dtRule},
		"next_credits_refresh":       {providers.DateTime, dtRule},
	}
	for _, f := range table.Fields() {
		w, ok := want[f.Path]
		if !ok {
			t.Errorf("%s: not in the document", f.Path)
			continue
		}
		if f.Type != w.typ || f.RuleText() != w.rules {
			t.Errorf("%s: type %v, rules %q; want %v, %q", f.Path, f.Type, f.RuleText(), w.typ, w.rules)
		}
		// Only the path parameter is required: the document marks no body
		// field as required, and an update sends what changes.
		if f.Required != (f.Path == "user_id") {
			t.Errorf("%s: required %v", f.Path, f.Required)
		}
		if f.Secret || f.Unset != "" || f.Description == "" || !strings.HasSuffix(f.Description, ".") {
			t.Errorf("%s: secret %v, unset %q, description %q", f.Path, f.Secret, f.Unset, f.Description)
		}
	}
	if id, _ := table.Lookup("user_id"); !strings.Contains(id.Description, "never sent in the body") {
		t.Errorf("user_id description %q does not say it stays out of the body", id.Description)
	}
}

// The rule messages are what a user reads in the report; pin one of each.
func TestRuleMessages(t *testing.T) {
	tests := []struct {
		path string
		v    any
		want string
	}{
		{"user_id", "a/b", `must be one segment of the URL path: not empty, without "/", not "." or ".."`},
		{"email", "jsmith@example", "must be an e-mail address (name@example.com)"},
		{"role_id", "3c90c3cc", "must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)"},
		{"birthdate", "1987-03-15", "must be an RFC 3339 date-time (2023-11-07T05:31:56Z)"},
		{"is_paying", "yes", "must be true or false"},
		{"first_name", int64(1), "must be a string"},
	}
	for _, tt := range tests {
		f, _ := table.Lookup(tt.path)
		if err := f.Check(tt.v); err == nil || err.Error() != tt.want {
			t.Errorf("%s: Check(%q) = %v, want %q", tt.path, tt.v, err, tt.want)
		}
	}
}
