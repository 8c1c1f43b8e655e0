package fairwarning

import "github.com/acctimport/acctimport/providers"

// Rules the document states in words, written as patterns. Where the
// document is vague, the comment at the field says how it was read.
const (
	// "sha1 encoded": a SHA-1 digest written as hex, as PHP's sha1() and the
	// mapping's sha1 transform write it (lower case).
	sha1Pattern = `^[0-9a-f]{40}$`
	// "(XXX-XXX-XXXX)".
	phonePattern = `^[0-9]{3}-[0-9]{3}-[0-9]{4}$`
	// "The 2-digit country code": country codes are ISO 3166-1 alpha-2
	// letters, so "2-digit" is read as two characters, and "digit" as a
	// slip. The document does not say upper case, so either case passes.
	countryPattern = `^[A-Za-z]{2}$`
)

// Address types, as the document numbers them.
const (
	Billing  = 1
	Shipping = 2
)

var (
	phoneRule = providers.Explained(providers.Pattern(phonePattern, "must be written XXX-XXX-XXXX (transform us_phone writes it so)"),
		"a phone number written XXX-XXX-XXXX, such as 416-555-0142")
	sha1Rule = providers.Explained(providers.Pattern(sha1Pattern,
		"must be the password's SHA-1, 40 lower-case hex digits (add transform: [sha1] to a column of plaintext passwords)"),
		"the password's SHA-1: 40 hexadecimal digits in lower case, which transform sha1 makes of a password")
)

// table is built once, at package initialisation: the user table in the
// document's order, then user_company (only in the example bodies), then the
// address table and the mailing lists.
var table = providers.NewTable(
	providers.Field{
		Path: "user_id", Type: providers.Int, Required: true,
		Description: "The user's unique identification number from the FWS management software.",
	},
	providers.Field{
		Path: "type_id", Type: providers.Int,
		Description: "The ID associated with the customer type from the FWS management software.",
	},
	boolField("user_verified", "Whether the user's email address has been verified."),
	boolField("user_receive_texts", "Whether the user agrees to receive texts."),
	boolField("user_is_preferred_bidder", "Indicates whether this user is auto-approved to bid (when applicable)."),
	boolField("user_is_firearms_dealer", "Indicates whether this user is a licensed firearms dealer."),
	textField("user_ffl_number", "Federal firearms license number."),
	textField("user_class_3_ffl_number", "Class 3 federal firearms license number."),
	dateField("user_ffl_expiration_date", "Federal firearms license expiration date (YYYY-MM-DD)."),
	dateField("user_class_3_ffl_expiration_date", "Class 3 federal firearms license expiration date (YYYY-MM-DD)."),
	boolField("user_is_tax_exempt", "Indicates whether the user is tax exempt."),
	textField("user_tax_id", "The user's tax exempt tax ID."),
	providers.Field{
		Path: "user_tax_id_expiration_month", Type: providers.Int,
		Description: "The user's tax exempt expiration month.",
		Rules:       []providers.Rule{providers.Explained(providers.Range(1, 12), "a month, from 1 to 12")},
	},
	providers.Field{
		// "expiration year": read as a calendar year written in full, so a
		// two-digit "27" is caught here rather than stored as the year 27.
		Path: "user_tax_id_expiration_year", Type: providers.Int,
		Description: "The user's tax exempt expiration year.",
		Rules:       []providers.Rule{providers.Explained(shown(providers.Range(1000, 9999), "must be a four-digit year"), "a year written with four digits, such as 2027")},
	},
	textField("user_tax_id_state", "The user's tax exempt state."),
	providers.Field{
		Path: "user_email", Type: providers.String, Required: true,
		Description: "The primary email address, which will also be used as the user's login.",
		Rules:       []providers.Rule{providers.Email()},
	},
	providers.Field{
		Path: "user_alt_email", Type: providers.String,
		Description: "An alternate email address for the user.",
		Rules:       []providers.Rule{providers.Email()},
	},
	providers.Field{
		Path: "user_pass", Type: providers.String, Required: true, Secret: true,
		Description: "The user's password, sha1 encoded.",
		Rules:       []providers.Rule{sha1Rule},
	},
	textField("user_prefix", "The user's name prefix."),
	providers.Field{
		Path: "user_fname", Type: providers.String, Required: true,
		Description: "The user's first name.",
	},
	textField("user_mname", "The user's middle name."),
	providers.Field{
		Path: "user_lname", Type: providers.String, Required: true,
		Description: "The user's last name.",
	},
	phoneField("user_phone", "The user's primary phone number (XXX-XXX-XXXX)."),
	phoneField("user_alt_phone", "The user's alternate, or secondary, phone number (XXX-XXX-XXXX)."),
	// No form is documented for the cell phone, unlike the others: no rule.
	textField("user_cell_phone", "The user's cell phone for receiving texts."),
	phoneField("user_fax", "The user's fax number (XXX-XXX-XXXX)."),
	textField("user_phone_country_code", "The country code for the user's phone number."),
	textField("user_alt_phone_country_code", "The country code for the user's alt phone number."),
	textField("user_cell_phone_country_code", "The country code for the user's cell phone number."),
	textField("user_fax_country_code", "The country code for the user's fax number."),
	// Not in the field table, but in both example request bodies; its
	// description is the response table's.
	textField("user_company", "The user's company name (in the document's example requests, not in its field table)."),

	providers.Field{
		Path: "addresses", Type: providers.ObjectList,
		Description: "Addresses sent with the update; there can be several (billing and shipping).",
	},
	providers.Field{
		Path: "addresses[].address_id", Type: providers.Int,
		Description: "The existing address ID if updating an address. Leave blank to add a new address.",
	},
	providers.Field{
		Path: "addresses[].address_type", Type: providers.Int, Required: true,
		Description: `The type of address: "1" for billing, "2" for shipping.`,
		// The document quotes the numbers, but the JSON example sends
		// address_type unquoted beside address_id: an int, as its table says.
		Rules: []providers.Rule{providers.Explained(shown(providers.Range(Billing, Shipping), "must be 1 (billing) or 2 (shipping)"), "1 for a billing address or 2 for a shipping one")},
	},
	providers.Field{
		Path: "addresses[].address_current", Type: providers.Bool,
		Description: "Whether this is the current address for the address type specified. (Only one current address per type.)",
	},
	addressField("address_street", true, "The house number and street name."),
	addressField("address_street2", false, "The unit/apartment number and prefix. (Apt 3)"),
	addressField("address_city", true, "The city"),
	addressField("address_state", true, "The state abbreviation"),
	addressField("address_zip", true, "The zip code"),
	providers.Field{
		Path: "addresses[].address_country", Type: providers.String, Required: true,
		Description: "The 2-digit country code.",
		Rules: []providers.Rule{providers.Explained(providers.Pattern(countryPattern, "must be a two-letter country code (US)"),
			"a country's two-letter code, such as US or CA")},
	},

	providers.Field{
		// The document's <list_safe_name>: 1 pairs; 1 is the only value it
		// shows, and the mapping's NameSet sends exactly that.
		Path: "maillists", Type: providers.NameSet,
		Description: "Mailing lists to add the user to, by their safe names (each sent as <list_safe_name>: 1).",
	},
)

func textField(path, desc string) providers.Field {
	return providers.Field{Path: path, Type: providers.String, Description: desc}
}

func boolField(path, desc string) providers.Field {
	return providers.Field{Path: path, Type: providers.Bool, Description: desc}
}

func dateField(path, desc string) providers.Field {
	return providers.Field{Path: path, Type: providers.Date, Description: desc, Rules: []providers.Rule{providers.ValidDate()}}
}

func phoneField(path, desc string) providers.Field {
	return providers.Field{Path: path, Type: providers.String, Description: desc, Rules: []providers.Rule{phoneRule}}
}

func addressField(name string, required bool, desc string) providers.Field {
	return providers.Field{Path: "addresses[]." + name, Type: providers.String, Required: required, Description: desc}
}

// shownRule is a rule described by the document's words rather than its
// own: Range(1, 2) reads "must be 1 (billing) or 2 (shipping)".
type shownRule struct {
	rule   providers.Rule
	phrase string
}

func shown(r providers.Rule, phrase string) providers.Rule { return shownRule{r, phrase} }

func (s shownRule) Check(v any) error {
	if s.rule.Check(v) != nil {
		return &providers.RuleError{Rule: s}
	}
	return nil
}

func (s shownRule) String() string { return s.phrase }
