package mapping

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/acctimport/acctimport/providers"
)

// FuzzBuild feeds arbitrary cells to a plan that fills a field of every
// type. Build must never panic; it must be deterministic; a row it calls
// valid must carry only values that pass their field's rules and encode as
// JSON; a row it calls invalid must say why, naming real columns.
func FuzzBuild(f *testing.F) {
	const src = `provider: test
fields:
  id: {column: ID, transform: [trim, lower]}
  email: {column: Mail, transform: [trim]}
  mobile: {column: Mobile, transform: [digits]}
  alias: Alias
  age: {column: Age, transform: [int]}
  active: Active
  born: {column: Born, format: DD/MM/YYYY}
  seen: Seen
  tags: {column: Tags, split: ";"}
  lists: {column: Lists, split: ","}
  password: {column: Password, transform: [sha1]}
  address.street: Street
  address.city: {column: City, transform: [collapse]}
  addresses[1].zip: Zip
  ssn: {column: SSN, transform: [personnummer]}
  crn: {column: CRN, transform: [trim, orgnummer]}
  lists.news: {column: News, transform: [int]}
`
	header := []string{"ID", "Mail", "Mobile", "Alias", "Age", "Active", "Born", "Seen", "Tags", "Lists", "Password", "Street", "City", "Zip", "SSN", "CRN", "News"}
	seeds := [][]string{
		{"AB12", "a@b.se", "+46 70 123 45 67", "__UNSET__", "42", "yes", "15/03/1987", "2024-01-02T03:04:05Z", "a; b", "x,y", "hunter2", "Storgatan 1", " Stock\nholm ", "11122", "19121212-1212", "556036-0793", "1"},
		{"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""},
		{"zz", "x", "n/a", "ab", "12.5", "perhaps", "31/02/2001", "03/04/2001", ";;", " , ", "", "", "Uppsala", " ", "121212+1213", "165560360793", "0"},
		{"ab12", strings.Repeat("e", 30), "0701234567", "alias", "-1", "x", "2001-02-03", "2024-01-02 03:04", "=1+2", "news", "p", "=HYPERLINK()", "", "1", "7010632391", "8112289874", "yes"},
		{"ab12", "\x1b]0;x\a", "070-123 45 67", "al", "1", "1", "13/05/1954", "25/01/2024 09:15", "", "news", "[redacted]", "", "", "", "5001011000", "55603607", "0"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16])
	}
	m, err := Parse("fuzz.yaml", []byte(src), testRegistry)
	if err != nil {
		f.Fatal(err)
	}
	p, err := m.Compile(header, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16 string) {
		cells := []string{c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16}
		row := p.Build(cells)
		again := p.Build(cells)
		if !reflect.DeepEqual(row, again) {
			t.Fatalf("Build is not deterministic:\n%#v\n%#v", row, again)
		}
		const password = 10
		if !row.Valid() {
			msg := p.Message(&row)
			for _, is := range row.Issues {
				if is.Column < -1 || is.Column >= len(header) || is.Rule == "" || is.Text == "" {
					t.Fatalf("issue %+v names no column, rule or text", is)
				}
				if is.Advice != nil && (is.Advice.Line == 0 || is.Advice.Change == "" || is.Advice.Column != header[is.Column]) {
					t.Fatalf("advice %+v", *is.Advice)
				}
			}
			if msg == "" {
				t.Fatal("an invalid row without a message")
			}
			// Nothing raw reaches a terminal, and a long cell is clipped.
			for _, r := range msg {
				if r != ' ' && !unicode.IsPrint(r) {
					t.Fatalf("message has %U: %q", r, msg)
				}
			}
			if pw := strings.TrimSpace(c10); len(pw) >= 4 && strings.Contains(msg+fmt.Sprint(row.Issues), pw) && !strings.Contains(header[password]+strings.Join(nonSecret(cells, password), "\x00"), pw) {
				t.Fatalf("the password %q is shown: %s", pw, msg)
			}
			return
		}
		if isMask(c10) {
			t.Fatalf("a mask passed as a password: %v", row.Payload)
		}
		if _, err := json.Marshal(row.Payload); err != nil {
			t.Fatalf("payload does not encode: %v", err)
		}
		checkPayload(t, "", row.Payload)
		if id := row.Payload["id"]; id != row.Key {
			t.Fatalf("key %q, id %v", row.Key, id)
		}
	})
}

// checkPayload walks a payload and checks every leaf against its field.
func checkPayload(t *testing.T, prefix string, obj map[string]any) {
	t.Helper()
	for k, v := range obj {
		path := prefix + k
		switch x := v.(type) {
		case map[string]any:
			checkPayload(t, path+".", x)
		case []any:
			for _, e := range x {
				m, ok := e.(map[string]any)
				if !ok {
					t.Fatalf("%s holds %T", path, e)
				}
				checkPayload(t, path+"[].", m)
			}
		default:
			f, ok := testTable.Lookup(path)
			if !ok {
				t.Fatalf("payload has %s, which is no field", path)
			}
			if err := f.Check(v); err != nil {
				t.Fatalf("valid row, but %s = %#v breaks its rule: %v", path, v, err)
			}
			if f.Type == providers.String && v == "" {
				t.Fatalf("%s is sent empty", path)
			}
		}
	}
}

// nonSecret is every cell but the secret one: a password that another cell
// holds too may rightly appear in a message about that cell.
func nonSecret(cells []string, secret int) []string {
	out := append([]string(nil), cells...)
	out[secret] = ""
	return out
}
