package mapping

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/acctimport/acctimport/providers"
)

// Starter writes a starter mapping for p. With a header (the columns of an
// input file), each column is matched to the field it most likely fills, by
// normalised names and the usual spellings ("E-mail", "Zip", "Postal code",
// "Mobile"); columns left over are listed as comments. Without one, every
// field is listed for the user to fill in. Required fields are always
// written out, so that the mapping fails loudly until they are given.
func Starter(p providers.Provider, header []string) []byte {
	info := p.Info()
	fields := starterFields(p.Table())
	match := matchColumns(fields, header)

	var b strings.Builder
	fmt.Fprintf(&b, "# A starter mapping for %s: %s.\n", info.Name, info.Title)
	fmt.Fprintf(&b, "# `acctimport providers %s` explains every field and rule; `acctimport validate` checks\n", info.Name)
	fmt.Fprintf(&b, "# a file against this mapping without sending anything.\n")
	fmt.Fprintf(&b, "# Credentials come from the environment, never from here: %s.\n", strings.Join(credentialEnvs(info), ", "))
	fmt.Fprintf(&b, "provider: %s\n", info.Name)
	fmt.Fprintf(&b, "# base_url: %s\n", info.BaseURL)
	if opts := providers.OptionFields(p.NewOptions()); len(opts) > 0 {
		b.WriteString("# options:\n")
		for _, o := range opts {
			fmt.Fprintf(&b, "#   %s: ...   # %s: %s\n", o.Name, o.Type, o.Doc)
		}
	}
	b.WriteString("fields:\n")
	for i, f := range fields {
		col, matched := match[i]
		hint := fieldHint(f.field)
		switch {
		case matched:
			fmt.Fprintf(&b, "  %s: %s%s\n", f.path, sourceFor(f.field, header[col]), hint)
		case f.field.Required && f.field.Parent() == "":
			fmt.Fprintf(&b, "  %s: %s%s\n", f.path, sourceFor(f.field, "COLUMN NAME"), hint)
		default:
			fmt.Fprintf(&b, "  # %s: %s%s\n", f.path, sourceFor(f.field, ""), hint)
		}
	}
	var left []string
	used := map[int]bool{}
	for _, c := range match {
		used[c] = true
	}
	for i, h := range header {
		if !used[i] {
			left = append(left, strconv.Quote(h))
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(&b, "# Columns not matched to a field (map them above, or leave them out):\n#   %s\n", strings.Join(left, ", "))
	}
	return []byte(b.String())
}

func credentialEnvs(info providers.Info) []string {
	out := make([]string, len(info.Credentials))
	for i, c := range info.Credentials {
		out[i] = c.Env
	}
	return out
}

// starterField is a fillable field: a leaf, with arrays given index 0.
type starterField struct {
	path  string
	field *providers.Field
	words []string // the normalised words of its path
	leaf  []string // of its last part only
}

func starterFields(t *providers.Table) []starterField {
	var out []starterField
	all := t.Fields()
	for i := range all {
		f := &all[i]
		if f.Type == providers.Object || f.Type == providers.ObjectList {
			continue
		}
		path := strings.ReplaceAll(f.Path, "[]", "[0]")
		leafName := f.Path[strings.LastIndexByte(f.Path, '.')+1:]
		parent := strings.TrimSuffix(f.Parent(), "[]")
		leaf := words(leafName)
		// "addresses[].address_city" is a city: drop the parent's own name.
		if parent != "" {
			leaf = without(leaf, words(singular(parent))...)
		}
		whole := append(words(parent), leaf...)
		out = append(out, starterField{path: path, field: f, words: whole, leaf: leaf})
	}
	return out
}

func singular(s string) string {
	if strings.HasSuffix(s, "es") && strings.HasSuffix(strings.TrimSuffix(s, "es"), "ss") {
		return strings.TrimSuffix(s, "es")
	}
	return strings.TrimSuffix(s, "s")
}

// matchColumns pairs columns with fields, best matches first, each used once.
func matchColumns(fields []starterField, header []string) map[int]int {
	type pair struct {
		field, col int
		score      float64
	}
	var pairs []pair
	for c, h := range header {
		hw := words(h)
		if len(hw) == 0 {
			continue
		}
		for i, f := range fields {
			s := max(similarity(hw, f.words), 0.9*similarity(hw, f.leaf))
			if s >= 0.5 {
				pairs = append(pairs, pair{i, c, s})
			}
		}
	}
	// Best score first; on a tie the earlier field (the document's order puts
	// billing before business) and the earlier column.
	sort.SliceStable(pairs, func(a, b int) bool {
		if pairs[a].score != pairs[b].score {
			return pairs[a].score > pairs[b].score
		}
		if pairs[a].field != pairs[b].field {
			return pairs[a].field < pairs[b].field
		}
		return pairs[a].col < pairs[b].col
	})
	match := map[int]int{}
	colUsed := map[int]bool{}
	for _, p := range pairs {
		if _, done := match[p.field]; done || colUsed[p.col] {
			continue
		}
		match[p.field] = p.col
		colUsed[p.col] = true
	}
	return match
}

// similarity is the share of words two names have in common (Jaccard).
func similarity(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inA := map[string]bool{}
	for _, w := range a {
		inA[w] = true
	}
	union := len(inA)
	common := 0
	seen := map[string]bool{}
	for _, w := range b {
		if seen[w] {
			continue
		}
		seen[w] = true
		if inA[w] {
			common++
		} else {
			union++
		}
	}
	return float64(common) / float64(union)
}

// synonyms map the spellings people use to one word; an entry may expand to
// several words ("dob" is a birth date).
var synonyms = map[string][]string{
	"e": nil, "mail": {"email"}, "emailaddress": {"email"}, "epost": {"email"},
	"zip": {"zip"}, "zipcode": {"zip"}, "postal": {"zip"}, "postcode": {"zip"}, "postalcode": {"zip"}, "postnummer": {"zip"},
	"mobile": {"mobile"}, "cell": {"mobile"}, "cellphone": {"mobile"}, "mobil": {"mobile"}, "handy": {"mobile"},
	"tel": {"phone"}, "telephone": {"phone"}, "telefon": {"phone"}, "ph": {"phone"},
	"firstname": {"first", "name"}, "fname": {"first", "name"}, "given": {"first"}, "forename": {"first", "name"}, "fornamn": {"first", "name"},
	"lastname": {"last", "name"}, "lname": {"last", "name"}, "surname": {"last", "name"}, "family": {"last"}, "efternamn": {"last", "name"},
	"mname": {"middle", "name"}, "middlename": {"middle", "name"},
	"dob": {"birth", "date"}, "born": {"birth", "date"}, "birthday": {"birth", "date"}, "birthdate": {"birth", "date"}, "birth": {"birth"},
	"pass": {"password"}, "pwd": {"password"}, "passwd": {"password"},
	"company": {"company"}, "organisation": {"company"}, "organization": {"company"}, "org": {"company"},
	"street": {"street"}, "address1": {"street"}, "addr": {"address"},
	"country": {"country"}, "land": {"country"}, "town": {"city"}, "ort": {"city"}, "stad": {"city"},
	"id": {"id"}, "identifier": {"id"}, "uuid": {"id"},
	"ssn": {"social", "security"}, "personnummer": {"social", "security"}, "personal": {"social", "security"},
	"fax": {"fax"},
}

// filler words carry no meaning for matching.
var filler = map[string]bool{"the": true, "of": true, "number": true, "no": true, "nr": true, "info": true, "code": true, "user": true, "data": true}

// words normalises a name to its meaningful words: "E-mail address" and
// "user_email" both give [email].
func words(s string) []string {
	var raw []string
	// Split on anything not a letter or digit, and on camelCase.
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			raw = append(raw, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	// "e-mail" arrives as "e", "mail".
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] == "e" && raw[i+1] == "mail" {
			raw = append(raw[:i], raw[i+1:]...)
		}
	}
	var out []string
	for _, w := range raw {
		if filler[w] {
			continue
		}
		if syn, ok := synonyms[w]; ok {
			out = append(out, syn...)
			continue
		}
		out = append(out, w)
	}
	// A mobile phone is a mobile.
	if slices.Contains(out, "mobile") {
		out = without(out, "phone")
	}
	return out
}

func without(ws []string, drop ...string) []string {
	var out []string
outer:
	for _, w := range ws {
		for _, d := range drop {
			if w == d {
				continue outer
			}
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return ws
	}
	return out
}

// sourceFor writes a field's source for a column, with what its type needs.
func sourceFor(f *providers.Field, column string) string {
	parts := []string{"column: " + strconv.Quote(column)}
	switch f.Type {
	case providers.StringList, providers.NameSet:
		parts = append(parts, `split: ";"`)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// fieldHint is the comment after a field: its type, whether required, its
// rules.
func fieldHint(f *providers.Field) string {
	h := []string{f.Type.String()}
	if f.Required {
		if f.Parent() != "" {
			h = append(h, "required with "+strings.TrimSuffix(f.Parent(), "[]"))
		} else {
			h = append(h, "required")
		}
	}
	if r := f.RuleText(); r != "" {
		h = append(h, r)
	}
	switch f.Type {
	case providers.Date, providers.DateTime:
		h = append(h, `add format: "DD/MM/YYYY" if the column is written that way`)
	case providers.File:
		h = append(h, "the column holds file paths, relative to the input file")
	}
	if f.Secret {
		h = append(h, "secret: masked in reports")
	}
	return "   # " + strings.Join(h, "; ")
}
