package payway

import "github.com/acctimport/acctimport/providers"

// Patterns as the document writes them, translated from Ruby only where Go
// needs it: /i becomes (?i). Messages show them as the document does. Ruby's ^ and $ match at line breaks; Go's match
// only at the ends of the value, which is what the document means (a value
// with a line break in it is not an id) and the safer reading.
const (
	idPattern     = `(?i)^[a-f\d]{24}$`
	emailPattern  = `(?i)\A[\w+-.]+@[a-z\d-]+(.[a-z]+)*.[a-z]+\z`
	mobilePattern = `^[+,0]?[0-9]{10,12}$`
	ssnPattern    = `^\d{6}-\d{4}$`
	crnPattern    = `^(?:\d{6}-\d{4}|\d{7}-\d)$`
)

// maxText is the document's "Size range: ..1024", the bound of every
// free-text field.
const maxText = 1024

// addressNote marks the address members, which the update-account document
// leaves as "Address object": they come from Payway's public "Address input
// format" page.
const addressNote = " (Payway's Address input format page; not in the API document)"

// table is built once: the rules compile their regexes here.
var table = providers.NewTable(
	providers.Field{
		Path: "id", Type: providers.String, Required: true,
		Description: "Id of the account to update.",
		Rules: []providers.Rule{providers.Length(0, 24), providers.Explained(providers.MatchShown(idPattern, `/^[a-f\d]{24}$/i`),
			"an account id of 24 hexadecimal digits (0-9, a-f), such as 50f3ac249f6aef294d000007")},
	},
	providers.Field{
		Path: "email", Type: providers.String,
		Description: "The account's e-mail address, also its username for login; must be unique. The user is not notified of a change.",
		// The pattern is kept as documented, unescaped dots included: it
		// accepts "a@bcd", and the server is the one that decides.
		Rules: []providers.Rule{providers.Length(0, maxText), providers.Explained(providers.MatchShown(emailPattern, `/\A[\w+-.]+@[a-z\d-]+(.[a-z]+)*.[a-z]+\z/i`),
			"an e-mail address such as name@example.com: letters a-z (no å, ä, ö), digits, _ + - or . before the @, no spaces")},
	},
	providers.Field{
		Path: "first_name", Type: providers.String,
		Description: "The account's first name.",
		Rules:       []providers.Rule{providers.Length(0, maxText)},
	},
	providers.Field{
		Path: "last_name", Type: providers.String,
		Description: "The account's last name.",
		Rules:       []providers.Rule{providers.Length(0, maxText)},
	},
	providers.Field{
		Path: "alias", Type: providers.String,
		Description: "The account alias.",
		Rules:       []providers.Rule{providers.Length(0, maxText)},
		Unset:       Unset,
	},
	providers.Field{
		Path: "mobile_phone_number", Type: providers.String,
		Description: "The account's mobile phone number.",
		Rules: []providers.Rule{providers.Explained(providers.Match(mobilePattern),
			"10 to 12 digits, optionally after a + or a 0, without spaces or dashes (0701234567, +46701234567)")},
	},
	providers.Field{
		Path: "social_security_number", Type: providers.String,
		Description: "The account's social security number; must be unique.",
		Rules: []providers.Rule{providers.Explained(providers.MatchShown(ssnPattern, `"dddddd-dddd"`),
			"a personal number written YYMMDD-NNNN, such as 121212-1212")},
	},
	providers.Field{
		Path: "birth_date", Type: providers.Date,
		Description: "The account's birth date.",
		Rules:       []providers.Rule{providers.Length(10, 10), providers.ValidDate()},
	},
	providers.Field{
		Path: "company_registration_number", Type: providers.String,
		Description: "The account's company registration number.",
		Rules: []providers.Rule{providers.Explained(providers.MatchShown(crnPattern, `"dddddd-dddd" or "ddddddd-d"`),
			"an organisation number written NNNNNN-NNNN (or NNNNNNN-N), such as 556036-0793")},
	},
	providers.Field{
		Path: "company_name", Type: providers.String,
		Description: "The account's company name.",
		Rules:       []providers.Rule{providers.Length(0, maxText)},
	},
	providers.Field{
		Path: "account_origin", Type: providers.String,
		Description: "The origin of the account, e.g. the newspaper title.",
		Rules:       []providers.Rule{providers.Length(0, maxText)},
	},
	providers.Field{
		Path: "address", Type: providers.Object,
		Description: "The account's address" + addressNote + ".",
	},
	addressMember("first_name", false, "First name of the addressee"),
	addressMember("last_name", false, "Last name of the addressee"),
	addressMember("street", true, "Street name"),
	addressMember("street_number", false, "Street number"),
	addressMember("staircase", false, "Staircase"),
	addressMember("floor", false, "Floor"),
	addressMember("apartment", false, "Apartment"),
	addressMember("apartment_number", false, "Apartment number"),
	addressMember("zip_code", true, "Zip code"),
	addressMember("city", true, "City"),
	addressMember("country_code", true, "Country code"),
	addressMember("mobile_number", false, "Mobile number at the address"),
	addressMember("phone_number", false, "Phone number at the address"),
	addressMember("contact_email", false, "Contact e-mail for the address"),
	addressMember("drop_box", false, "Drop box"),
	addressMember("care_of", false, "Care of (c/o)"),
	addressMember("company_name", false, "Company name at the address"),
	addressMember("company_department", false, "Company department"),
	providers.Field{
		Path: "tags", Type: providers.StringList,
		Description: "Names of tags to apply. They replace all existing tags: include the account's current tags to keep them.",
	},
)

func addressMember(name string, required bool, desc string) providers.Field {
	return providers.Field{
		Path: "address." + name, Type: providers.String, Required: required,
		Description: desc + addressNote + ".",
		Rules:       []providers.Rule{providers.Length(0, maxText)},
	}
}
