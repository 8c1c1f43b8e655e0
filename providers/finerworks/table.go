package finerworks

import "github.com/acctimport/acctimport/providers"

// The document gives every field as "Optional" and states no format for any
// of them. Its rules are therefore few: the JSON types its example body
// shows (every address member is a string), JPEG for the two images ("This
// should be a JPG image file"), and, as the only interpretation beyond the
// types, a plausible e-mail address for the members named email. The one
// deliberate departure is account_key, explained at its field.

// addressNote marks the members of billing_info and business_info: the
// document lists them only in its example body, without descriptions.
const addressNote = "; named only in the document's example body"

// table is built once: the rules compile their regexes here.
var table = providers.NewTable(fields()...)

// fields lists the body in the document's order.
func fields() []providers.Field {
	fs := []providers.Field{{
		Path: "account_key", Type: providers.String,
		// The document: "Optional". Without it the update goes to the app
		// key's own account, so acctimport requires it (and it is the key
		// that keeps two rows of one account from being in flight together).
		// Requiring it does not make the server use it: a key the app key
		// may not use "will not be utilized", and that update lands on the
		// app key's own account too, answered as a success. Only the
		// answer's user_account shows it, which is why Read reports it
		// (Answer.AccountID) for a run to compare across keys.
		Required: true,
		Description: "Account unique identifier. Note if it does not match the account unique identifier the app key is assigned to then this will not be utilized. " +
			"Only app keys with proper permissions can use this. " +
			"(Optional in the document, where leaving it out updates the app key's own account; required here. A key the app key may not use is ignored " +
			"and the app key's own account is updated instead: the report shows the account each answer names, and a run stops when two keys land on one account.)",
	}, {
		Path: "billing_info", Type: providers.Object,
		Description: "This is the address you want to keep on file in your billing address. To prevent payment validation issues (i.e. credit card zip code mismatch), " +
			"this should be the same address as your credit card. If null, no changes or modifications will occur for the user's billing address.",
	}}
	fs = append(fs, addressMembers("billing_info")...)
	fs = append(fs, providers.Field{
		Path: "business_info", Type: providers.Object,
		// The document ends with "the user's billing address", a slip for
		// the business address, which is what this object holds.
		Description: "This is the address you want to keep on file in your business address. If null, no changes or modifications will occur for the user's business address.",
	})
	fs = append(fs, addressMembers("business_info")...)
	return append(fs, providers.Field{
		// Not in the document's table of fields, but in its example body,
		// between business_info and logo_data, as a string.
		Path: "logo_url", Type: providers.String,
		Description: "The URL of the user's logo (in the document's example body only; the document does not describe it).",
	}, providers.Field{
		Path: "logo_data", Type: providers.File,
		Description: "Alternatively (to logo_url), the byte data for the image can be included in the JSON payload. This should be a JPG image file that has been converted to byte data " +
			"(sent base64-encoded, as the document's example \"QEA=\" shows; the cell holds the file's path). " +
			"The image will be resized and saved as 600x180 pixels. If null no changes or modifications will occur for the user's logo.",
		Rules: []providers.Rule{providers.JPEG()},
	}, providers.Field{
		Path: "portrait_data", Type: providers.File,
		Description: "Alternatively, the byte data for the image can be included in the JSON payload. This should be a JPG image file that has been converted to byte data " +
			"(sent base64-encoded, as the document's example \"QEA=\" shows; the cell holds the file's path). " +
			"If null no changes or modifications will occur for the user's portrait.",
		Rules: []providers.Rule{providers.JPEG()},
	}, providers.Field{
		Path: "payment_profile_id", Type: providers.String,
		Description: "Represents the user's BrainTree customer id. Required for billing of orders submitted via the api.",
	})
}

// memberNames are the address object's members in the document's order.
var memberNames = []struct{ name, desc string }{
	{"first_name", "First name"},
	{"last_name", "Last name"},
	{"company_name", "Company name"},
	{"address_1", "Address line 1"},
	{"address_2", "Address line 2"},
	{"address_3", "Address line 3"},
	{"city", "City"},
	{"state_code", "State code (\"AK\" in the document's example answer)"},
	{"province", "Province, outside the US"},
	{"zip_postal_code", "Zip or postal code"},
	{"country_code", "Country code (\"us\" in the document's example answer)"},
	{"phone", "Phone number"},
	{"email", "E-mail address"},
	{"address_order_po", "Order PO"},
}

// addressMembers lists the members of one address object. None is required:
// the document says nothing of them beyond their names, so a partial address
// is the server's to judge.
func addressMembers(parent string) []providers.Field {
	out := make([]providers.Field, 0, len(memberNames))
	for _, m := range memberNames {
		f := providers.Field{
			Path: parent + "." + m.name, Type: providers.String,
			Description: m.desc + addressNote + ".",
		}
		if m.name == "email" {
			f.Rules = []providers.Rule{providers.Email()}
		}
		out = append(out, f)
	}
	return out
}
