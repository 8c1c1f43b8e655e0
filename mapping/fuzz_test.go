package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

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
`
	header := []string{"ID", "Mail", "Mobile", "Alias", "Age", "Active", "Born", "Seen", "Tags", "Lists", "Password", "Street", "City", "Zip"}
	seeds := [][]string{
		{"AB12", "a@b.se", "+46 70 123 45 67", "__UNSET__", "42", "yes", "15/03/1987", "2024-01-02T03:04:05Z", "a; b", "x,y", "hunter2", "Storgatan 1", " Stock\nholm ", "11122"},
		{"", "", "", "", "", "", "", "", "", "", "", "", "", ""},
		{"zz", "x", "n/a", "ab", "12.5", "perhaps", "31/02/2001", "03/04/2001", ";;", " , ", "", "", "Uppsala", " "},
		{"ab12", strings.Repeat("e", 30), "0701234567", "alias", "-1", "x", "2001-02-03", "2024-01-02 03:04", "=1+2", "news", "p", "=HYPERLINK()", "", "1"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13])
	}
	m, err := Parse("fuzz.yaml", []byte(src), testRegistry)
	if err != nil {
		f.Fatal(err)
	}
	p, err := m.Compile(header, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13 string) {
		cells := []string{c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13}
		row := p.Build(cells)
		again := p.Build(cells)
		if !reflect.DeepEqual(row, again) {
			t.Fatalf("Build is not deterministic:\n%#v\n%#v", row, again)
		}
		if !row.Valid() {
			msg := p.Message(&row)
			for _, is := range row.Issues {
				if is.Column < -1 || is.Column >= len(header) || is.Rule == "" {
					t.Fatalf("issue %+v names no column or rule", is)
				}
			}
			if msg == "" {
				t.Fatal("an invalid row without a message")
			}
			return
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
