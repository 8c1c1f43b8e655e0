package mapping

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fairwarning"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/providers/userapi"
)

var realRegistry = providers.NewRegistry(payway.Provider{}, fairwarning.Provider{}, userapi.Provider{})

func realPlan(t testing.TB, src string, header []string) *Plan {
	t.Helper()
	m, err := Parse("crm.yaml", []byte(src), realRegistry)
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Compile(header, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMessagesForPeople: a broken rule is said in words, with the value,
// what the provider takes and, when a transform of the mapping would make
// the value valid, that transform; the exact rule stays in Issue.Rule for
// the cell comment.
func TestMessagesForPeople(t *testing.T) {
	p := realPlan(t, `provider: payway
fields:
  id: Account ID
  email: E-mail
  mobile_phone_number: Mobile Phone
  social_security_number: Pers. nr
  company_registration_number: {column: Org. nr, transform: [trim]}
  company_name: Company
`, []string{"Account ID", "E-mail", "Mobile Phone", "Pers. nr", "Org. nr", "Company"})
	const id = "5f3ac249f6aef294d0000071"
	tests := []struct {
		name    string
		cells   []string
		message string
		rule    string
		change  string
	}{
		{"digits proposed", []string{id, "", "070-123 45 01", "", "", ""},
			`Mobile Phone (mobile_phone_number): "070-123 45 01" is not accepted; payway takes 10 to 12 digits, optionally after a + or a 0, without spaces or dashes (0701234567, +46701234567). Fix: in crm.yaml line 5, add transform: [digits]; it makes this "0701234501".`,
			"mobile_phone_number must match ^[+,0]?[0-9]{10,12}$", "add transform: [digits]"},
		{"too short for any transform", []string{id, "", "070-12", "", "", ""},
			`Mobile Phone (mobile_phone_number): "070-12" is not accepted; payway takes 10 to 12 digits, optionally after a + or a 0, without spaces or dashes (0701234567, +46701234567).`,
			"mobile_phone_number must match ^[+,0]?[0-9]{10,12}$", ""},
		{"personnummer proposed", []string{id, "", "", "19500101-1005", "", ""},
			`Pers. nr (social_security_number): "19500101-1005" is not accepted; payway takes a personal number written YYMMDD-NNNN, such as 121212-1212. Fix: in crm.yaml line 6, add transform: [personnummer]; it makes this "500101-1005".`,
			`social_security_number must match "dddddd-dddd"`, "add transform: [personnummer]"},
		{"a typo is not proposed a fix", []string{id, "", "", "19500101-1006", "", ""},
			`Pers. nr (social_security_number): "19500101-1006" is not accepted; payway takes a personal number written YYMMDD-NNNN, such as 121212-1212; transform personnummer would write it so, but it is not a personal number: its control digit (the last one) is wrong, so a digit was probably mistyped.`,
			`social_security_number must match "dddddd-dddd"`, ""},
		{"orgnummer added to the transforms", []string{id, "", "", "", " 5560360793", ""},
			`Org. nr (company_registration_number): " 5560360793" is not accepted; payway takes an organisation number written NNNNNN-NNNN (or NNNNNNN-N), such as 556036-0793. Fix: in crm.yaml line 7, change transform: [trim] to [trim, orgnummer]; it makes this "556036-0793".`,
			`company_registration_number must match "dddddd-dddd" or "ddddddd-d"`, "change transform: [trim] to [trim, orgnummer]"},
		{"trim proposed", []string{id, " anna@example.se", "", "", "", ""},
			`E-mail (email): " anna@example.se" is not accepted; payway takes an e-mail address such as name@example.com: letters a-z (no å, ä, ö), digits, _ + - or . before the @, no spaces. Fix: in crm.yaml line 4, add transform: [trim]; it makes this "anna@example.se".`,
			`email must match /\A[\w+-.]+@[a-z\d-]+(.[a-z]+)*.[a-z]+\z/i`, "add transform: [trim]"},
		{"long values clipped", []string{id, "", "", "", "", strings.Repeat("AB", 600)},
			`Company (company_name): "` + strings.Repeat("AB", 20) + `…" (1200 characters) is not accepted; payway takes at most 1024 characters.`,
			"company_name must be at most 1024 characters", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Build(tc.cells)
			if len(r.Issues) != 1 {
				t.Fatalf("issues %+v", r.Issues)
			}
			is := r.Issues[0]
			if got := p.Message(&r); got != tc.message {
				t.Errorf("message\n%s\nwant\n%s", got, tc.message)
			}
			if is.Rule != tc.rule {
				t.Errorf("rule %q, want %q", is.Rule, tc.rule)
			}
			change := ""
			if is.Advice != nil {
				change = is.Advice.Change
				if is.Advice.File != "crm.yaml" || is.Advice.Line == 0 || is.Advice.Field != is.Field || is.Advice.Column != p.Header()[is.Column] {
					t.Errorf("advice %+v", *is.Advice)
				}
			}
			if change != tc.change {
				t.Errorf("advice %q, want %q", change, tc.change)
			}
		})
	}
}

// TestNoProposalChangesWhatAValueMeans: digits would make "team/42" a valid
// user id ("42"), and a different user; it is proposed only for values
// whose other characters are separators.
func TestNoProposalChangesWhatAValueMeans(t *testing.T) {
	p := realPlan(t, "provider: userapi\nfields:\n  user_id: ID\n", []string{"ID"})
	r := p.Build([]string{"team/42"})
	if r.Valid() || r.Issues[0].Advice != nil || strings.Contains(p.Message(&r), "Fix") {
		t.Fatalf("%s", p.Message(&r))
	}
}

// TestSecretsAreNeverShown: a secret field's value appears in no message,
// rule or advice, not even as what a transform would make of it.
func TestSecretsAreNeverShown(t *testing.T) {
	p := realPlan(t, fwMapping("user_pass: Password"), fwHeader)
	const pass = "Tartan!2024"
	r := p.Build(fwRow(pass))
	if r.Valid() {
		t.Fatal("a plaintext password passed as a SHA-1")
	}
	msg := p.Message(&r)
	want := `Password (user_pass): the value (a secret, not shown) is not accepted; fairwarning takes the password's SHA-1: 40 hexadecimal digits in lower case, which transform sha1 makes of a password. Fix: in crm.yaml line 8, add transform: [sha1].`
	if msg != want {
		t.Errorf("message\n%s\nwant\n%s", msg, want)
	}
	for _, s := range []string{msg, r.Issues[0].Rule, fmt.Sprint(*r.Issues[0].Advice)} {
		if strings.Contains(s, "Tart") || strings.Contains(s, sha1hex(pass)[:8]) {
			t.Errorf("a secret shown: %s", s)
		}
	}
}

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

var fwHeader = []string{"ID", "First", "Last", "E-mail", "Password", "Newsletter", "Auctions", "Lists"}

func fwMapping(pass string, more ...string) string {
	return `provider: fairwarning
fields:
  user_id: ID
  user_fname: First
  user_lname: Last
  user_email: E-mail
  # the password
  ` + pass + "\n" + strings.Join(more, "\n") + "\n"
}

func fwRow(pass string, more ...string) []string {
	row := []string{"10231", "Robert", "MacLeod", "r@example.ca", pass, "", "", ""}
	for i := 0; i+1 < len(more); i += 2 {
		row[slices.Index(fwHeader, more[i])] = more[i+1]
	}
	return row
}

// TestMaskedCellsFedBack: a report masks a secret column's cells; fed back,
// such a cell is the row's invalid, saying what to do, and is never
// transformed (the sha1 of the mask is a password anybody can compute).
// The old mask, [redacted], written by earlier versions, is refused too.
func TestMaskedCellsFedBack(t *testing.T) {
	p := realPlan(t, fwMapping("user_pass: {column: Password, transform: [trim, sha1]}"), fwHeader)
	for _, mask := range []string{providers.MaskedCell, providers.Redacted, " " + providers.Redacted + " "} {
		r := p.Build(fwRow(mask))
		if r.Valid() || len(r.Issues) != 1 || r.Issues[0].Column != 4 {
			t.Fatalf("%q: issues %+v", mask, r.Issues)
		}
		if msg := p.Message(&r); !strings.HasPrefix(msg, "Password (user_pass): masked in a report: put the value back") {
			t.Errorf("%q: message %q", mask, msg)
		}
		if _, sent := r.Payload["user_pass"]; sent || len(r.Secrets) != 0 {
			t.Errorf("%q: payload %v, secrets %q", mask, r.Payload, r.Secrets)
		}
	}
	// A real password that merely contains the mask's words is a password.
	if r := p.Build(fwRow("my [redacted] pass")); !r.Valid() {
		t.Errorf("%s", p.Message(&r))
	}
}

// TestRowSecrets: a row carries its secret values as typed and as sent,
// for the exchange to scrub from what a server echoes.
func TestRowSecrets(t *testing.T) {
	p := realPlan(t, fwMapping("user_pass: {column: Password, transform: [trim, sha1]}"), fwHeader)
	r := p.Build(fwRow(" hunter22 "))
	if !r.Valid() {
		t.Fatal(p.Message(&r))
	}
	want := []string{" hunter22 ", "hunter22", sha1hex("hunter22")}
	if !slices.Equal(r.Secrets, want) {
		t.Errorf("secrets %q, want %q", r.Secrets, want)
	}
	if r.Payload["user_pass"] != sha1hex("hunter22") {
		t.Errorf("payload %v", r.Payload)
	}
	// A plan without secrets fills none.
	q := realPlan(t, "provider: userapi\nfields:\n  user_id: ID\n", []string{"ID"})
	if r := q.Build([]string{"u1"}); r.Secrets != nil {
		t.Errorf("secrets %q", r.Secrets)
	}
}

// TestAdviceSaidOnce: a problem of the mapping carries the same advice on
// every row, so that a run says it once: "24 of 30 rows: ...".
func TestAdviceSaidOnce(t *testing.T) {
	p := realPlan(t, "provider: payway\nfields:\n  id: ID\n  birth_date: Born\n  mobile_phone_number: Mobile\n", []string{"ID", "Born", "Mobile"})
	var tally Tally
	var first *Advice
	for i := range 30 {
		born := fmt.Sprintf("%02d/05/1954", 13+i%16) // day first
		if i >= 24 {
			born = fmt.Sprintf("%02d/05/1954", 1+i%12) // day and month could be swapped
		}
		r := p.Build([]string{fmt.Sprintf("5f3ac249f6aef294d%07d", i), born, fmt.Sprintf("070-123 45 %02d", i)})
		if len(r.Issues) != 2 {
			t.Fatalf("row %d: %s", i, p.Message(&r))
		}
		if i == 0 {
			first = r.Issues[0].Advice
		} else if i < 24 && r.Issues[0].Advice != first {
			t.Fatalf("row %d: another *Advice for the same problem", i)
		}
		tally.Add(&r)
	}
	got := tally.Lines(30)
	want := []string{
		`30 of 30 rows: Mobile (mobile_phone_number) has values payway takes only after transform digits: in crm.yaml line 5, add transform: [digits]`,
		`24 of 30 rows: Born (birth_date) has dates written day first: in crm.yaml line 4, add format: "02/01/2006"`,
		`6 of 30 rows: Born (birth_date) has dates whose day and month could be swapped: in crm.yaml line 4, add format: "02/01/2006" (day first) or "01/02/2006" (month first), whichever the file is written in`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := tally.Counts(); len(c) != 3 || c[0].Rows != 30 || c[0].Advice.Field != "mobile_phone_number" {
		t.Errorf("counts %+v", c)
	}
}

func TestAdviceLineEscapesTheColumn(t *testing.T) {
	a := &Advice{File: "m.yaml", Line: 3, Field: "email", Column: "E-mail\x1b[2J", Finding: "has values x", Change: "add transform: [trim]"}
	if got := AdviceLine(a, 1, 1); got != `1 of 1 row: "E-mail\x1b[2J" (email) has values x: in m.yaml line 3, add transform: [trim]` {
		t.Errorf("%q", got)
	}
}

func TestShowValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Umeå", `"Umeå"`},
		{`=HYPERLINK("x")`, `"=HYPERLINK("x")"`},
		{"a\x1b[2Jb", `"a\x1b[2Jb"`},
		{"\x00\a\r\n\t", `"\x00\a\r\n\t"`},
		{"abc\u202edef", `"abc\u202edef"`},
		{"bad\xffutf8", `"bad\xffutf8"`},
		{strings.Repeat("é", 41), `"` + strings.Repeat("é", 40) + `…" (41 characters)`},
	}
	for _, tc := range tests {
		if got := showValue(tc.in); got != tc.want {
			t.Errorf("showValue(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
