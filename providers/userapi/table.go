package userapi

import (
	"strings"

	"github.com/acctimport/acctimport/providers"
)

// The document describes its fields only by example: a curl body with a
// placeholder or sample value for each, and the answer echoing them. So:
//   - the descriptions below are read from the field names and the example,
//     and say so where the name alone could mislead;
//   - no body field is required: the endpoint updates a profile, and the
//     document marks none as required;
//   - rules come only from what the example values show: "jsmith@example.com"
//     (an e-mail address), "3c90c3cc-0d44-4b50-8888-8dd25736052a" (a UUID),
//     "2023-11-07T05:31:56Z" (an RFC 3339 date-time) and true/false
//     (booleans). "<string>" fields take any string: the document states no
//     length or format for them, so none is invented.
const exampleNote = " (the document gives only an example value)"

// table is built once: the rules compile their regexes here.
var table = providers.NewTable(
	providers.Field{
		Path: "user_id", Type: providers.String, Required: true,
		Description: "The user to update: the {user_id} of the path /api/v1/user/{user_id}. It is never sent in the body.",
		Rules: []providers.Rule{providers.Explained(pathSegment{},
			`the user's id as one part of the URL: not empty, no "/", not "." or ".."`)},
	},
	text("first_name", "The user's first name."),
	text("last_name", "The user's last name."),
	providers.Field{
		Path: "email", Type: providers.String,
		Description: "The user's e-mail address, as jsmith@example.com; no two users may share one.",
		Rules:       []providers.Rule{providers.Email()},
	},
	boolean("is_active", "Whether the user's account is active."),
	boolean("is_superuser", "Whether the user is a superuser (administrator)."),
	dateTime("birthdate", "The user's birth date, as a date-time such as 2023-11-07T05:31:56Z; a date alone is sent as midnight UTC."),
	boolean("is_enterprise", "Whether the user is on an enterprise account."),
	uuid("role_id", "The id of the user's role."),
	text("phone", "The user's phone number"+exampleNote+"."),
	text("state", "The user's state or region"+exampleNote+"."),
	text("country", "The user's country"+exampleNote+"."),
	text("address", "The user's postal address, as one string"+exampleNote+"."),
	uuid("active_billing_plan_id", "The id of the billing plan the user is on now."),
	uuid("next_billing_plan_id", "The id of the billing plan the user moves to next."),
	text("stripe_customer_id", "The user's Stripe customer id"+exampleNote+"."),
	text("stripe_subscription_id", "The user's Stripe subscription id"+exampleNote+"."),
	text("stripe_subscription_status", "The status of the user's Stripe subscription"+exampleNote+"."),
	boolean("stripe_has_payment_method", "Whether the user has a payment method in Stripe."),
	boolean("is_trial", "Whether the user is on a trial."),
	boolean("used_trial", "Whether the user has already used their trial."),
	boolean("is_paying", "Whether the user is paying."),
	dateTime("stripe_last_payment_date", "When the user last paid through Stripe."),
	dateTime("billing_updated_at", "When the user's billing was last updated."),
	dateTime("last_credits_refresh", "When the user's credits were last refreshed."),
	dateTime("next_credits_refresh", "When the user's credits are next refreshed."),
)

func text(path, desc string) providers.Field {
	return providers.Field{Path: path, Type: providers.String, Description: desc}
}

func boolean(path, desc string) providers.Field {
	return providers.Field{Path: path, Type: providers.Bool, Description: desc}
}

func uuid(path, desc string) providers.Field {
	return providers.Field{
		Path: path, Type: providers.String, Description: desc + " A UUID, as 3c90c3cc-0d44-4b50-8888-8dd25736052a.",
		Rules: []providers.Rule{providers.UUID()},
	}
}

func dateTime(path, desc string) providers.Field {
	return providers.Field{
		Path: path, Type: providers.DateTime, Description: desc,
		Rules: []providers.Rule{providers.ValidDateTime()},
	}
}

// pathSegment requires user_id to be exactly one segment of the path. The
// document does not say what a user id looks like (its answer shows a UUID
// as "id", but the path parameter has no stated format), so only what would
// send the request elsewhere is refused: an empty id, a "/", and the dot
// segments "." and "..", which a server or proxy resolves to another path.
type pathSegment struct{}

func (r pathSegment) Check(v any) error {
	s, ok := v.(string)
	if !ok || s == "" || s == "." || s == ".." || strings.ContainsRune(s, '/') {
		return &providers.RuleError{Rule: r}
	}
	return nil
}

func (pathSegment) String() string {
	return `must be one segment of the URL path: not empty, without "/", not "." or ".."`
}
