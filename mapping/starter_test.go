package mapping

import (
	"slices"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fairwarning"
	"github.com/acctimport/acctimport/providers/payway"
)

func TestFold(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"E-mail", []string{"email"}},
		{"E-Mail-Adresse", []string{"email", "adresse"}},
		{"E-postadress", []string{"epostadress"}},
		{"Förnamn", []string{"fornamn"}},
		{"Straße", []string{"strasse"}},
		{"MailingPostalCode", []string{"mailing", "postal", "code"}},
		{"USt-IdNr.", []string{"ust", "id", "nr"}},
		{"Address Line1", []string{"address", "line1"}},
		{"  ", nil},
	}
	for _, tc := range tests {
		if got := fold(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		in, concept string
		quals       []string
	}{
		{"E-Mail Address", "email", nil},
		{"Email Opt Out", "", nil},
		{"Mobile Phone Number", "mobile", nil},
		{"Billing Prov/State", "state", []string{"billing"}},
		{"Address 1 - City", "city", []string{"default"}},
		{"E-mail 2 Address", "email2", []string{"second", "default"}},
		{"Org.nr/Pers.nr", "", nil},
		{"Name (Adressattyp Unternehmen)", "company", nil},
		{"Default Address Company", "company", []string{"default"}},
		{"c/o-adress", "careof", nil},
		{"Company", "company", nil},
		{"Company Main Phone", "phone", []string{"primary", "business"}},
	}
	for _, tc := range tests {
		r := read(tc.in)
		got := r.concept
		if r.unknown {
			got = ""
		}
		if got != tc.concept || tc.quals != nil && !slices.Equal(r.quals, tc.quals) {
			t.Errorf("read(%q) = %q %q (unknown %v), want %q %q", tc.in, r.concept, r.quals, r.unknown, tc.concept, tc.quals)
		}
	}
}

func TestStarterMatchesColumns(t *testing.T) {
	header := []string{"ID", "E-mail address", "Cell", "Date of birth", "Postal code", "Town", "Street", "Notes", "Photo", "Newsletters", "Password"}
	out := string(Starter(testProvider{}, Sample{Header: header}))
	for _, want := range []string{
		`  id: {column: "ID"}`,
		`  email: {column: "E-mail address"}`,
		`  mobile: {column: "Cell"}`,
		`  photo: {column: "Photo"}`,
		`  password: {column: "Password"}`,
		`  addresses[0].zip: {column: "Postal code"}`,
		`  address.street: {column: "Street"}`,
		`  # tags: {column: "", split: ";"}`,
		`  born: {column: "Date of birth"}`,
		`  address.city: {column: "Town"}`,
		`#   "Notes", "Newsletters"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("starter lacks %q:\n%s", want, out)
		}
	}
	// What it matched is a mapping that compiles as it is.
	m, err := Parse("starter.yaml", []byte(out), testRegistry)
	if err != nil {
		t.Fatalf("starter does not parse: %v\n%s", err, out)
	}
	if _, err := m.Compile(header, ""); err != nil {
		t.Errorf("starter does not compile: %v\n%s", err, out)
	}
}

func TestStarterWithoutInput(t *testing.T) {
	out := string(Starter(testProvider{}, Sample{}))
	if !strings.Contains(out, `  id: {column: "COLUMN NAME"}`) {
		t.Errorf("required field not written out:\n%s", out)
	}
	if !strings.Contains(out, `  # email: {column: ""}`) {
		t.Errorf("optional field not offered:\n%s", out)
	}
	m, err := Parse("starter.yaml", []byte(out), testRegistry)
	if err != nil {
		t.Fatalf("starter does not parse: %v", err)
	}
	_, err = m.Compile([]string{"Account"}, "")
	if err == nil || !strings.Contains(err.Error(), `column "COLUMN NAME" not found`) {
		t.Errorf("an unfilled starter must fail loudly, got %v", err)
	}
}

// TestStarterSamplesValues: with the input's first rows, init chooses the
// transform and the date format a column needs, by trying them on the
// values as Build will; an ambiguous date column is said to be, never
// guessed; a column whose values fit nothing is offered in a comment.
func TestStarterSamplesValues(t *testing.T) {
	header := []string{"Payway ID", "Mobile", "Pers. nr", "Born", "Signed up", "Org. nr", "E-mail", "Tags"}
	rows := [][]string{
		{"5f3ac249f6aef294d0000071", "070-123 45 67", "19121212-1212", "13/05/1954", "05/03/2001", "556036-0793", "a@b.se", "x, y"},
		{"5f3ac249f6aef294d0000072", "+46 70 234 56 78", "811228-9874", "1954-05-14", "06/04/2002", "5567037485", " c@d.se", "z"},
		{"5f3ac249f6aef294d0000073", "0701234568", "7010632391", "3/5/1960", "07/08/2003", "165560360793", "e@f.se", ""},
	}
	out := string(Starter(payway.Provider{}, Sample{Header: header, Rows: rows}))
	for _, want := range []string{
		`  id: {column: "Payway ID"}   #`,
		`  mobile_phone_number: {column: "Mobile", transform: [digits]}`,
		`transform digits makes 3 of 3 values sampled valid (1 as they are)`,
		`  social_security_number: {column: "Pers. nr", transform: [personnummer]}`,
		`  birth_date: {column: "Born", format: "02/01/2006"}`,
		`2 of 3 values sampled are written 02/01/2006 (like "13/05/1954")`,
		`  company_registration_number: {column: "Org. nr", transform: [orgnummer]}`,
		`  email: {column: "E-mail", transform: [trim]}`,
		`  tags: {column: "Tags", split: ","}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("starter lacks %q:\n%s", want, out)
		}
	}
	// "Signed up" is no payway field; as a birth date it would be ambiguous.
	amb := string(Starter(payway.Provider{}, Sample{Header: []string{"Payway ID", "Born"}, Rows: [][]string{
		{"5f3ac249f6aef294d0000071", "05/03/2001"}, {"5f3ac249f6aef294d0000072", "06/04/2002"}}}))
	if !strings.Contains(amb, `  birth_date: {column: "Born"}`) ||
		!strings.Contains(amb, `no format chosen: in every value sampled day and month are 12 or less, so "02/01/2006" (day first) and "01/02/2006" (month first) read them all`) {
		t.Errorf("an ambiguous date column:\n%s", amb)
	}
	us := string(Starter(payway.Provider{}, Sample{Header: []string{"Payway ID", "Born"}, Rows: [][]string{
		{"5f3ac249f6aef294d0000071", "05/13/1954"}, {"5f3ac249f6aef294d0000072", "06/04/2002"}}}))
	if !strings.Contains(us, `  birth_date: {column: "Born", format: "01/02/2006"}`) {
		t.Errorf("a month-first date column:\n%s", us)
	}
	// A key column of another system's ids is not offered as the key.
	foreign := string(Starter(payway.Provider{}, Sample{Header: []string{"ID", "E-mail"}, Rows: [][]string{{"1001", "a@b.se"}, {"1002", "c@d.se"}}}))
	if !strings.Contains(foreign, `  id: {column: "COLUMN NAME"}`) ||
		!strings.Contains(foreign, `  # id: {column: "ID"}   # not mapped: only 0 of 2 values sampled would be valid (such as "1001"); is it the right column?`) {
		t.Errorf("a foreign key column:\n%s", foreign)
	}
	// Every starter made from a sample compiles against its header.
	for _, s := range []string{out, amb, us} {
		m, err := Parse("starter.yaml", []byte(s), providers.NewRegistry(payway.Provider{}))
		if err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		if _, err := m.Compile(header, ""); err != nil {
			t.Errorf("%v\n%s", err, s)
		}
	}
}

// TestStarterSecretsAndWeakKey: a plaintext password column gets sha1, and
// no value of it is shown; with no header naming the key, a column of
// distinct values that pass the key's rule is offered with a warning.
func TestStarterSecretsAndWeakKey(t *testing.T) {
	header := []string{"Customer ID", "First Name", "Last Name", "E-mail", "Password"}
	rows := [][]string{
		{"10231", "Robert", "MacLeod", "r@example.ca", "Tartan!2024"},
		{"10232", "Linda", "Tremblay", "l@example.ca", "maple-leaf-7"},
	}
	out := string(Starter(fairwarning.Provider{}, Sample{Header: header, Rows: rows}))
	for _, want := range []string{
		`  user_pass: {column: "Password", transform: [sha1]}`,
		`  user_id: {column: "Customer ID"}   # int; required; CHECK: the account key: "Customer ID" was chosen because its values look like user_id`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("starter lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Tartan") || strings.Contains(out, "maple") {
		t.Errorf("a password shown:\n%s", out)
	}
}
