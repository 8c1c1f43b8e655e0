package mapping

import (
	"slices"
	"strings"
	"unicode"

	"github.com/acctimport/acctimport/providers"
)

// How init matches columns to fields: a column's header and a field's path
// are both read into what they hold (a concept: "email", "zip") and whose
// or which it is (qualifiers: billing, shipping, business, second), with
// one lexicon of the words real exports use, in English, Swedish and
// German. A header with a word the lexicon does not know is not matched by
// concept at all ("Email Opt Out" is not an e-mail address): a wrong match
// is worse than none. What the lexicon does not cover is matched only when
// the header and the field's name have the very same words ("FFL Number"
// and user_ffl_number).

// wordKind is what a word or phrase of a name says.
type wordKind uint8

const (
	kConcept wordKind = iota // what the column holds
	kWeak                    // a concept only when the name names no other: "company", "address"
	kQual                    // whose or which: "billing", "home", "2"
	kFiller                  // nothing: "number", "value"
)

type lexeme struct {
	kind    wordKind
	concept string // for kConcept and kWeak
	qual    string // for kQual, and for kWeak when another concept is named
}

func concept(c string) lexeme   { return lexeme{kind: kConcept, concept: c} }
func weak(c, q string) lexeme   { return lexeme{kind: kWeak, concept: c, qual: q} }
func qualifier(q string) lexeme { return lexeme{kind: kQual, qual: q} }
func phrases(l lexeme, ws ...string) map[string]lexeme {
	m := make(map[string]lexeme, len(ws))
	for _, w := range ws {
		m[w] = l
	}
	return m
}

// lexicon maps folded words and phrases (lower case, diacritics folded,
// words joined by one space) to what they say. Longer phrases win.
var lexicon = func() map[string]lexeme {
	lex := map[string]lexeme{}
	add := func(m map[string]lexeme) {
		for k, v := range m {
			if _, dup := lex[k]; dup {
				panic("mapping: lexicon has " + k + " twice")
			}
			lex[k] = v
		}
	}
	add(phrases(concept("email"), "email", "emails", "mail", "email address", "emailaddress", "epost", "epostadress",
		"epost adress", "emailadresse", "email adresse", "mailadresse", "mail address", "e mail"))
	add(phrases(concept("first"), "first", "first name", "firstname", "fname", "given name", "givenname", "forename",
		"fornamn", "vorname", "tilltalsnamn"))
	add(phrases(concept("last"), "last", "last name", "lastname", "lname", "surname", "family name", "familyname",
		"efternamn", "nachname", "familienname"))
	add(phrases(concept("middle"), "middle name", "middlename", "mname", "additional name", "mellannamn"))
	add(phrases(concept("prefix"), "salutation", "name prefix", "prefix", "anrede"))
	add(phrases(concept("fullname"), "full name", "fullname", "display name", "contact name"))
	add(phrases(weak("fullname", ""), "name", "namn"))
	add(phrases(concept("mobile"), "mobile", "cell", "cellphone", "cell phone", "mobil", "handy", "mobiltelefon",
		"mobilnummer", "mobile phone", "mobilephone", "mobile number", "mobilnr", "mobiltelefonnummer", "natel", "gsm"))
	add(phrases(concept("phone"), "phone", "phones", "telephone", "tel", "telefon", "telefonnummer", "phone number",
		"phonenumber", "ph", "telnr", "tel nr"))
	add(phrases(concept("fax"), "fax", "telefax", "fax number"))
	add(phrases(concept("company"), "company name", "companyname", "organization name", "organisation name",
		"firmenname", "foretag", "foretagsnamn", "employer", "firma"))
	add(phrases(weak("company", "business"), "company", "organization", "organisation", "unternehmen"))
	add(phrases(concept("orgnr"), "orgnr", "org nr", "org no", "org number", "organisation number", "organization number",
		"organisationsnummer", "company registration number", "registration number", "orgnummer", "organisationsnr"))
	add(phrases(concept("ssn"), "ssn", "personnummer", "pers nr", "persnr", "personal number", "personal identity number",
		"social security number", "social security", "personnr", "person nr", "personal id number"))
	add(phrases(concept("birth"), "birthday", "birthdate", "birth date", "dob", "date of birth", "born", "fodelsedatum",
		"fodd", "geburtsdatum", "geburtstag", "day of birth", "fodelsedag"))
	add(phrases(concept("street"), "street", "street address", "streetaddress", "address line 1", "address line1",
		"address1", "line1", "gatuadress", "utdelningsadress", "strasse", "str", "besoksadress", "postadress"))
	add(phrases(weak("street", "default"), "address 1", "adress 1"))
	add(phrases(concept("street2"), "street2", "address line 2", "address line2", "address2", "line2", "suite", "unit",
		"extended address", "adress 2", "address 2", "adresszusatz"))
	add(phrases(concept("address"), "full address", "formatted", "formatted address"))
	add(phrases(weak("address", "default"), "address", "adress", "adresse", "addresses"))
	add(phrases(concept("zip"), "zip", "zipcode", "zip code", "postal code", "postalcode", "postcode", "post code",
		"postnummer", "postnr", "plz", "postleitzahl", "zip postal code", "postal"))
	add(phrases(concept("city"), "city", "town", "ort", "stad", "stadt", "postort", "locality", "city town"))
	add(phrases(concept("state"), "state", "province", "region", "state region", "state province", "state code",
		"province code", "prov", "bundesland", "county"))
	add(phrases(concept("country"), "country", "land", "country code", "countrycode", "country region", "nation", "lander"))
	add(phrases(concept("careof"), "c o", "care of", "co adress", "c o adress"))
	add(phrases(concept("pobox"), "po box", "pobox", "postbox", "post box", "box", "postfach"))
	add(phrases(concept("tags"), "tags", "tag", "taggar"))
	add(phrases(concept("lists"), "mailing lists", "mailing list", "maillists", "mail lists", "lists", "mailinglists"))
	add(phrases(concept("password"), "password", "pass", "passwd", "pwd", "losenord", "passwort", "kennwort"))
	add(phrases(concept("taxid"), "tax id", "taxid"))
	add(phrases(concept("taxexempt"), "tax exempt", "taxexempt"))
	add(phrases(concept("verified"), "verified"))
	add(phrases(concept("active"), "active"))
	add(phrases(concept("alias"), "alias"))
	add(phrases(concept("notes"), "notes", "note", "notiz", "anteckning", "anteckningar", "comment", "comments"))
	add(phrases(concept("title"), "title", "titel"))

	add(phrases(qualifier("billing"), "billing", "invoice", "faktura", "rechnung", "bill"))
	add(phrases(qualifier("shipping"), "shipping", "delivery", "leverans", "ship", "liefer"))
	add(phrases(qualifier("business"), "business", "work", "office", "studio", "geschaftlich"))
	add(phrases(qualifier("default"), "mailing", "default"))
	add(phrases(qualifier("home"), "home", "private", "privat", "hem"))
	add(phrases(qualifier("primary"), "primary", "main"))
	add(phrases(qualifier("second"), "2", "alt", "alternate", "alternative", "secondary"))
	add(phrases(qualifier("other"), "other", "3", "4", "5"))
	add(phrases(qualifier("person"), "person", "naturl", "natural"))
	add(phrases(lexeme{kind: kFiller}, "number", "no", "nr", "nummer", "the", "of", "value", "1", "code", "data", "info",
		"adressattyp", "und", "and", "hausnummer", "your", "e", "line", "details"))
	return lex
}()

// personConcepts are held by a person; providers that keep them in an
// address (FinerWorks) still prefer a top-level field for them.
var personConcepts = map[string]bool{
	"email": true, "first": true, "last": true, "middle": true, "prefix": true, "mobile": true, "phone": true,
	"fax": true, "company": true, "birth": true, "ssn": true, "orgnr": true,
}

// fallbacks: a column holding one concept may fill a field of another when
// the provider has no field of its own concept, at a lower score.
var fallbacks = map[string]string{"mobile": "phone", "address": "street", "street": "address"}

// reading is what a name says.
type reading struct {
	concept string
	quals   []string
	unknown bool // a word the lexicon does not know, or two concepts
	words   []string
}

func (r reading) has(q string) bool { return slices.Contains(r.quals, q) }

func (r *reading) qualify(q string) {
	if !r.has(q) {
		r.quals = append(r.quals, q)
	}
}

// fold lower-cases a name, folds the diacritics of the languages the
// lexicon knows, and splits it into words: on anything not a letter or
// digit, and between a lower-case and an upper-case letter (camelCase).
func fold(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
		}
		cur = append(cur, foldRune(unicode.ToLower(r))...)
	}
	flush()
	// "e-mail", "e-post" and "e-postadress" are one word.
	for i := 0; i+1 < len(words); i++ {
		if words[i] == "e" && (strings.HasPrefix(words[i+1], "mail") || strings.HasPrefix(words[i+1], "post")) {
			words[i+1] = "e" + words[i+1]
			words = append(words[:i], words[i+1:]...)
		}
	}
	return words
}

func foldRune(r rune) []rune {
	switch r {
	case 'å', 'ä', 'à', 'á', 'â', 'ã':
		return []rune{'a'}
	case 'ö', 'ø', 'ó', 'ò', 'ô', 'õ':
		return []rune{'o'}
	case 'ü', 'ú', 'ù', 'û':
		return []rune{'u'}
	case 'é', 'è', 'ê', 'ë':
		return []rune{'e'}
	case 'í', 'ì', 'î', 'ï':
		return []rune{'i'}
	case 'ß':
		return []rune{'s', 's'}
	case 'ç':
		return []rune{'c'}
	case 'ñ':
		return []rune{'n'}
	case 'æ':
		return []rune{'a', 'e'}
	}
	return []rune{r}
}

// read says what a name holds, by the lexicon.
func read(name string) reading {
	words := fold(name)
	r := reading{words: words}
	var strong, weakOnes []lexeme
	for i := 0; i < len(words); {
		n := 0
		var lx lexeme
		for l := min(4, len(words)-i); l > 0; l-- {
			if got, ok := lexicon[strings.Join(words[i:i+l], " ")]; ok {
				n, lx = l, got
				break
			}
		}
		if n == 0 {
			r.unknown = true
			i++
			continue
		}
		i += n
		switch lx.kind {
		case kConcept:
			strong = append(strong, lx)
		case kWeak:
			weakOnes = append(weakOnes, lx)
		case kQual:
			r.qualify(lx.qual)
		}
	}
	concepts := map[string]bool{}
	for _, lx := range strong {
		concepts[lx.concept] = true
	}
	if len(concepts) == 0 {
		for _, lx := range weakOnes {
			concepts[lx.concept] = true
		}
		if len(concepts) > 1 && concepts["address"] { // "Default Address Company"
			delete(concepts, "address")
			r.qualify("default")
		}
		switch {
		case concepts["fullname"] && concepts["company"]: // "Name (Adressattyp Unternehmen)"
			concepts = map[string]bool{"company": true}
		case concepts["fullname"] && r.has("person"): // DATEV's "Name (Adressattyp natürl. Person)"
			concepts = map[string]bool{"last": true}
		}
	} else {
		for _, lx := range weakOnes {
			if lx.qual != "" {
				r.qualify(lx.qual)
			}
		}
	}
	if concepts["mobile"] && concepts["phone"] { // "Mobile Phone Number"
		delete(concepts, "phone")
	}
	if concepts["address"] && concepts["street"] { // "Street Address" read word by word
		delete(concepts, "address")
	}
	switch len(concepts) {
	case 0:
	case 1:
		for c := range concepts {
			r.concept = c
		}
	default:
		r.unknown = true // "Org.nr/Pers.nr": which one?
	}
	// A second phone or e-mail is a concept of its own, and a second
	// street line is the street's second line.
	if r.has("second") {
		switch r.concept {
		case "email", "phone":
			r.concept += "2"
		case "street":
			r.concept = "street2"
		}
	}
	return r
}

// fieldReading is what a field holds and where it sits.
type fieldReading struct {
	concept string
	roles   []string // of the object instance that holds it; nil at the top level
	name    []string // its own words, for matching by name
}

// instanceRoles says which addresses an object instance is: a provider's
// only address is the default one; a list of addresses has the billing (or
// only) one first and the shipping one second (FairWarning's address_type
// 1 and 2); named objects say what they are.
func instanceRoles(obj string, index int) []string {
	words := fold(obj)
	switch {
	case index == 0:
		return []string{"default", "billing"}
	case index == 1:
		return []string{"shipping"}
	case index > 1:
		return []string{"other"}
	case slices.Contains(words, "billing") || slices.Contains(words, "invoice"):
		return []string{"billing", "default"}
	case slices.Contains(words, "shipping") || slices.Contains(words, "delivery"):
		return []string{"shipping"}
	case slices.Contains(words, "business") || slices.Contains(words, "company"):
		return []string{"business"}
	}
	return []string{"default"}
}

// nameFiller are the words a name match ignores: "user_is_tax_exempt" and
// "Tax Exempt" name the same thing.
var nameFiller = map[string]bool{"user": true, "is": true, "the": true, "of": true, "number": true, "nr": true,
	"no": true, "date": true, "code": true, "info": true, "data": true, "id": true}

var nameSynonyms = map[string]string{"expires": "expiration", "expiry": "expiration", "exp": "expiration"}

func nameWords(s string) []string {
	var out []string
	for _, w := range fold(s) {
		if nameFiller[w] {
			continue
		}
		if syn, ok := nameSynonyms[w]; ok {
			w = syn
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// fieldPrefixes are words field names carry that say nothing of what
// they hold: fairwarning's user_fname, userapi's is_active.
var fieldPrefixes = map[string]bool{"user": true, "is": true}

func readField(f *providers.Field, leaf string, roles []string, key bool) fieldReading {
	fr := fieldReading{roles: roles, name: nameWords(leaf)}
	if key {
		fr.concept = "key"
		return fr
	}
	var words []string
	for _, w := range fold(leaf) {
		if !fieldPrefixes[w] {
			words = append(words, w)
		}
	}
	joined := strings.Join(words, " ")
	// Ids of other things ("address_id", "role_id", "type_id") hold no
	// concept of the lexicon, unless the lexicon names them ("tax_id").
	if _, named := lexicon[joined]; !named && len(words) > 1 && words[len(words)-1] == "id" {
		return fr
	}
	r := read(joined)
	switch {
	case r.unknown || r.has("other"): // "address_3"
	case slices.Contains(words, "street") && slices.Contains(words, "number"): // a house number
	default:
		fr.concept = r.concept
	}
	if f.Type == providers.NameSet && fr.concept == "" {
		fr.concept = "lists"
	}
	return fr
}

// keyWords are the words a header may put before "id" or "key" to name the
// provider's account key: the key field's own ("account" of account_key),
// the provider's name, and the role nouns of its title ("update an
// account", "update a user").
func keyWords(info providers.Info) map[string]bool {
	kw := map[string]bool{}
	for _, w := range fold(info.Key) {
		if w != "id" && w != "key" {
			kw[w] = true
		}
	}
	for _, w := range fold(info.Name) {
		kw[w] = true
	}
	for _, w := range fold(info.Title) {
		if w == "account" || w == "user" {
			kw[w] = true
		}
	}
	return kw
}

// isKeyHeader reports a header that names the provider's account key: a
// bare "ID", or one named for the provider ("Account ID" for payway,
// "User ID" for fairwarning). Another system's id ("Contact ID", a customer
// number) is not: a wrong key updates the wrong accounts.
func isKeyHeader(header string, kw map[string]bool) bool {
	words := fold(header)
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	if len(words) == 1 {
		return last == "id" || last == "key" && kw["key"]
	}
	if strings.HasSuffix(last, "id") && len(last) > 2 && kw[strings.TrimSuffix(last, "id")] {
		words = append(words[:len(words)-1], strings.TrimSuffix(last, "id"), "id") // "AccountId"
		last = "id"
	}
	if last != "id" && last != "key" {
		return false
	}
	for _, w := range words[:len(words)-1] {
		if !kw[w] {
			return false
		}
	}
	return true
}

// pairScore says how well a column's reading fits a field; 0 for not at all.
func pairScore(h reading, f fieldReading) float64 {
	if h.has("other") || h.concept == "" || f.concept == "" {
		return 0
	}
	score := 1.0
	switch {
	case h.concept == f.concept:
	case fallbacks[h.concept] == f.concept:
		score = 0.6
	default:
		return 0
	}
	instance := ""
	for _, q := range []string{"billing", "shipping", "business"} {
		if h.has(q) {
			instance = q
		}
	}
	person := personConcepts[strings.TrimSuffix(h.concept, "2")]
	// "home" picks the default address like "mailing" does, but a home
	// phone is not the phone of an address the way "Default Address Phone"
	// is: it ranks with an unqualified phone, after a primary one.
	home := h.has("default") || h.has("home")
	if f.roles == nil {
		switch {
		case instance == "shipping":
			return 0
		case instance != "" && !person:
			return 0 // a business street is not the user's address
		case instance != "":
			score *= 0.8
		case home && person:
			score *= 0.9
		}
	} else {
		switch {
		case instance != "" && !slices.Contains(f.roles, instance):
			return 0
		case instance == "" && !slices.Contains(f.roles, "default"):
			return 0
		case instance == "" && person && !h.has("default"):
			score *= 0.9 // a top-level field, where there is one, first
		}
	}
	if h.has("primary") {
		score += 0.15 // "Primary Phone" before "Home Phone"
	}
	return score
}
