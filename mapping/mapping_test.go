package mapping

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func mustParse(t *testing.T, src string) *Mapping {
	t.Helper()
	m, err := Parse("m.yaml", []byte(src), testRegistry)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // substrings of the error, in order of appearance
	}{
		{"empty", ``, []string{"m.yaml: is empty"}},
		{"not yaml", "provider: [", []string{"not valid YAML"}},
		{"not a mapping", "- a\n- b\n", []string{"m.yaml:1: must be a YAML mapping"}},
		{"unknown top key", "provider: test\nfeilds:\n  id: A\n", []string{`m.yaml:2: unknown key "feilds"; did you mean "fields"?`}},
		{"no provider", "fields:\n  id: A\n", []string{"missing provider"}},
		{"unknown provider", "provider: tset\nfields:\n  id: A\n", []string{`m.yaml:1: unknown provider "tset"; did you mean "test"?`}},
		{"no fields", "provider: test\n", []string{"missing fields"}},
		{"unknown option", "provider: test\noptions:\n  mdoe: x\nfields:\n  id: A\n", []string{`m.yaml:3: unknown option "mdoe" for test; did you mean "mode"?`}},
		{"unknown source key", "provider: test\nfields:\n  id: {colum: A}\n", []string{`m.yaml:3: field "id": unknown key "colum"; did you mean "column"?`}},
		{"unknown transform", "provider: test\nfields:\n  id:\n    column: A\n    transform: [trim, lowr]\n", []string{`m.yaml:5: field "id": unknown transform "lowr"; did you mean "lower"?`}},
		{"column and value", "provider: test\nfields:\n  id: {column: A, value: b}\n", []string{"has both column and value"}},
		{"neither", "provider: test\nfields:\n  id: {transform: trim}\n", []string{"needs a column or a value"}},
		{"twice", "provider: test\nfields:\n  id: A\n  id: B\n", []string{`m.yaml:4: field "id" is mapped twice (also at line 3)`}},
		{"null source", "provider: test\nfields:\n  id:\n", []string{`field "id" has no source`}},
		{"bad base url", "provider: test\nbase_url: ftp://x\nfields:\n  id: A\n", []string{"m.yaml:2: base_url", "must start with https://"}},
		{"credentials in url", "provider: test\nbase_url: https://u:p@x\nfields:\n  id: A\n", []string{"must not carry credentials"}},
		{"several at once", "provider: test\nfoo: 1\nfields:\n  id: {colum: A}\n", []string{"m.yaml:2:", "m.yaml:4:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.src), testRegistry)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q\ndoes not contain %q (after offset %d)", msg, w, at)
				}
				at += i
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	header := []string{"Account", "E-mail", "Mobile", "City", "Street"}
	tests := []struct {
		name, fields string
		want         []string
	}{
		{"missing column", "  id: Account\n  email: {column: Email}\n", []string{`m.yaml:4: column "Email" not found in the input; did you mean "E-mail"?`}},
		{"unknown field", "  id: Account\n  emial: E-mail\n", []string{`m.yaml:4: test has no field "emial"; did you mean "email"?`}},
		{"required unmapped", "  email: E-mail\n", []string{`required field "id" is not mapped`}},
		{"object mapped whole", "  id: Account\n  address: City\n", []string{`field "address" is an object`}},
		{"member without required sibling", "  id: Account\n  address.city: City\n", []string{`address is mapped, so its required member "address.street" must be mapped too`}},
		{"split on a string", "  id: Account\n  email: {column: E-mail, split: \";\"}\n", []string{"split makes a list"}},
		{"format on a string", "  id: Account\n  email: {column: E-mail, format: DD/MM/YYYY}\n", []string{"format is for dates"}},
		{"bad format", "  id: Account\n  born: {column: City, format: \"hello\"}\n", []string{`format "hello" has no date parts`}},
		{"constant breaks rule", "  id: {value: zz}\n", []string{`field "id": value must match ^[0-9a-f]{4}$`}},
		{"bad index", "  id: Account\n  addresses[x].zip: City\n", []string{"index must be a number"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustParse(t, "provider: test\nfields:\n"+tc.fields)
			_, err := m.Compile(header, "")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompileFindsColumnDespiteCaseAndSpace(t *testing.T) {
	m := mustParse(t, "provider: test\nfields:\n  id: account \n")
	p, err := m.Compile([]string{"Account"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Build([]string{"ab12"}); r.Payload["id"] != "ab12" {
		t.Fatalf("payload %v", r.Payload)
	}
}

// TestBuild checks values, types and the message of each broken rule.
func TestBuild(t *testing.T) {
	const src = `provider: test
fields:
  id: {column: ID, transform: [trim, lower]}
  email: E-mail
  mobile: {column: Mobile, transform: digits}
  alias: Alias
  age: Age
  active: Active
  born: {column: Born, format: "DD/MM/YYYY"}
  seen: Seen
  tags: {column: Tags, split: ";"}
  password: {column: Password, transform: sha1}
  address.city: City
  address.street: Street
  addresses[0].zip: Zip
  addresses[1].zip: Zip2
`
	header := []string{"ID", "E-mail", "Mobile", "Alias", "Age", "Active", "Born", "Seen", "Tags", "Password", "City", "Street", "Zip", "Zip2"}
	m := mustParse(t, src)
	p, err := m.Compile(header, "")
	if err != nil {
		t.Fatal(err)
	}
	row := func(kv ...string) []string {
		cells := make([]string, len(header))
		for i := 0; i+1 < len(kv); i += 2 {
			for c, h := range header {
				if h == kv[i] {
					cells[c] = kv[i+1]
				}
			}
		}
		return cells
	}
	tests := []struct {
		name    string
		cells   []string
		payload string // JSON of the payload, "" to skip
		message string // the row's message, for people
		rules   string // the exact rules of its issues, for the cell comments
	}{
		{"minimal", row("ID", " AB12 "), `{"id":"ab12"}`, "", ""},
		{"blank cells are left out", row("ID", "ab12", "E-mail", "   ", "Age", ""), `{"id":"ab12"}`, "", ""},
		{"types", row("ID", "ab12", "Age", "42", "Active", "yes", "Born", "15/03/1987", "Seen", "2024-01-02T03:04:05Z", "Tags", "News; Sport;;"),
			`{"active":true,"age":42,"born":"1987-03-15","id":"ab12","seen":"2024-01-02T03:04:05Z","tags":["News","Sport"]}`, "", ""},
		{"date cell arrives as ISO despite format", row("ID", "ab12", "Born", "1987-03-15"), `{"born":"1987-03-15","id":"ab12"}`, "", ""},
		{"format reads days and months without their zero", row("ID", "ab12", "Born", "5/3/1987"), `{"born":"1987-03-05","id":"ab12"}`, "", ""},
		{"digits", row("ID", "ab12", "Mobile", "+46 70-123 45 67"), `{"id":"ab12","mobile":"+46701234567"}`, "", ""},
		{"unset bypasses rules", row("ID", "ab12", "Alias", "__UNSET__"), `{"alias":"__UNSET__","id":"ab12"}`, "", ""},
		{"sha1", row("ID", "ab12", "Password", "secret"), `{"id":"ab12","password":"e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"}`, "", ""},
		{"nested", row("ID", "ab12", "City", "Umeå", "Street", "Storgatan 1"), `{"address":{"city":"Umeå","street":"Storgatan 1"},"id":"ab12"}`, "", ""},
		{"array holes compacted", row("ID", "ab12", "Zip2", "90330"), `{"addresses":[{"zip":"90330"}],"id":"ab12"}`, "", ""},
		{"required missing", row("E-mail", "a@b.se"), "",
			"ID (id): the cell is empty, and test requires id in every row.", "id is required"},
		{"regex", row("ID", "ab12", "Mobile", "12345"), "",
			`Mobile (mobile): "12345" is not accepted; test takes values matching ^[+,0]?[0-9]{10,12}$.`,
			"mobile must match ^[+,0]?[0-9]{10,12}$"},
		{"length", row("ID", "ab12", "E-mail", strings.Repeat("x", 45)), "",
			`E-mail (email): "` + strings.Repeat("x", 40) + `…" (45 characters) is not accepted; test takes at most 20 characters.`,
			"email must be at most 20 characters"},
		{"int", row("ID", "ab12", "Age", "forty"), "", `Age (age): "forty" is not a whole number.`, "age must be a whole number"},
		{"int range", row("ID", "ab12", "Age", "200"), "", `Age (age): "200" is not accepted; test takes a whole number from 0 to 150.`, "age must be between 0 and 150"},
		{"bool", row("ID", "ab12", "Active", "maybe"), "", `Active (active): "maybe" is not a yes/no value (use TRUE/FALSE, yes/no, 1/0 or x).`, "active must be true or false"},
		{"date with wrong format", row("ID", "ab12", "Born", "1987/03/15"), "",
			`Born (born): "1987/03/15" is not a date in the format "DD/MM/YYYY" (nor YYYY-MM-DD).`,
			`born must be a date in the format "DD/MM/YYYY" (or YYYY-MM-DD, or a date cell)`},
		{"member required when object sent", row("ID", "ab12", "City", "Umeå"), "",
			"Street (address.street): the cell is empty, but test requires address.street whenever address is sent, and other cells of address have values: fill it, or empty them.",
			"address.street is required when address is sent"},
		{"a transform that fails is named", row("ID", "ab12", "Mobile", "n/a"), "",
			`Mobile (mobile): "n/a" has no digits.`, "mobile has no digits (transform digits)"},
		{"every issue listed", row("ID", "zz", "Age", "x"), "",
			`ID (id): "zz" is not accepted; test takes values matching ^[0-9a-f]{4}$. Age (age): "x" is not a whole number.`,
			"id must match ^[0-9a-f]{4}$ | age must be a whole number"},
		{"control characters escaped", row("ID", "ab12", "Age", "\x1b]0;pwned\a"), "",
			`Age (age): "\x1b]0;pwned\a" is not a whole number.`, "age must be a whole number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Build(tc.cells)
			if got := p.Message(&r); got != tc.message {
				t.Errorf("message %q\nwant    %q", got, tc.message)
			}
			var rules []string
			for _, is := range r.Issues {
				rules = append(rules, is.Rule)
			}
			if got := strings.Join(rules, " | "); got != tc.rules {
				t.Errorf("rules %q, want %q", got, tc.rules)
			}
			if tc.payload != "" {
				b, _ := json.Marshal(r.Payload)
				if string(b) != tc.payload {
					t.Errorf("payload %s\nwant    %s", b, tc.payload)
				}
			}
			if tc.message != "" && r.Valid() {
				t.Error("row with issues is valid")
			}
		})
	}
}

// TestDatesWithoutFormatAreNeverGuessed: a date written in a local layout
// without a format is invalid, and its message proposes the format that
// reads it, or both when day and month could be swapped; a proposal is made
// only when the format really makes the value valid.
func TestDatesWithoutFormatAreNeverGuessed(t *testing.T) {
	m := mustParse(t, "provider: test\nfields:\n  id: ID\n  born: Born\n  seen: Seen\n")
	p, err := m.Compile([]string{"ID", "Born", "Seen"}, "")
	if err != nil {
		t.Fatal(err)
	}
	const noFormat = "is not a date written YYYY-MM-DD, which is what the field reads without a format"
	tests := []struct {
		born, seen string
		want       string // a substring of the message; "" for a valid row
		change     string // the advice's change; "" for none
	}{
		{"1987-03-15", "", "", ""},
		{"03/04/2001", "", noFormat, `add format: "02/01/2006" (day first) or "01/02/2006" (month first), whichever the file is written in`},
		{"25/12/2001", "", noFormat + `. Fix: in m.yaml line 4, add format: "02/01/2006".`, `add format: "02/01/2006"`},
		{"3/5/1954", "", noFormat, `add format: "02/01/2006" (day first) or "01/02/2006" (month first), whichever the file is written in`},
		{"13/5/1954", "", noFormat, `add format: "02/01/2006"`},
		{"12/25/2001", "", noFormat, `add format: "01/02/2006"`},
		{"2001/12/25", "", noFormat, `add format: "2006/01/02"`},
		{"25.12.2001", "", noFormat, `add format: "02.01.2006"`},
		{"13/05/54", "", noFormat, ""},
		{"1987-02-30", "", "is written YYYY-MM-DD but is no real date", ""},
		{"1987-03-15T10:00:00", "", "has a time of day", ""},
		{"13/05/1954 10:30", "", noFormat, ""},
		{"", "25/01/2024 09:15", "is not a date-time written", `add format: "02/01/2006 15:04"`},
		{"", "02/01/2024 09:15", "is not a date-time written", `add format: "02/01/2006 15:04" (day first) or "01/02/2006 15:04" (month first), whichever the file is written in`},
	}
	for _, tc := range tests {
		r := p.Build([]string{"ab12", tc.born, tc.seen})
		got := p.Message(&r)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%q %q: message %q, want %q", tc.born, tc.seen, got, tc.want)
			continue
		}
		change := ""
		if len(r.Issues) > 0 && r.Issues[0].Advice != nil {
			change = r.Issues[0].Advice.Change
		}
		if change != tc.change {
			t.Errorf("%q %q: advice %q, want %q", tc.born, tc.seen, change, tc.change)
		}
	}
	r := p.Build([]string{"ab12", "", "1987-03-15T10:30:00"})
	if r.Payload["seen"] != "1987-03-15T10:30:00Z" {
		t.Errorf("naive date-time from a date cell: %v", r.Payload["seen"])
	}
}

func TestLayout(t *testing.T) {
	tests := []struct{ in, want string }{
		{"02/01/2006", "02/01/2006"},
		{"DD/MM/YYYY", "02/01/2006"},
		{"MM/DD/YYYY", "01/02/2006"},
		{"YYYY-MM-DD HH:mm:ss", "2006-01-02 15:04:05"},
		{"D.M.YYYY", "2.1.2006"},
		{"YYYYMMDD", "20060102"},
		{"DD MMM YYYY", "02 Jan 2006"},
	}
	for _, tc := range tests {
		got, err := layout(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("layout(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"hello", "MM/YYYY", "HH:mm"} {
		if _, err := layout(bad); err == nil {
			t.Errorf("layout(%q) accepted", bad)
		}
	}
}

func TestTransforms(t *testing.T) {
	tests := []struct{ name, in, want, err string }{
		{"trim", "  a b  ", "a b", ""},
		{"lower", "ÅSA@X.SE", "åsa@x.se", ""},
		{"upper", "se", "SE", ""},
		{"collapse", " a \n\t b ", "a b", ""},
		{"digits", "+46 (70) 123-45-67", "+46701234567", ""},
		{"digits", "070-123 45 67", "0701234567", ""},
		{"us_phone", "(555) 123-4567", "555-123-4567", ""},
		{"us_phone", "+1 555.123.4567", "555-123-4567", ""},
		{"us_phone", "5551234567", "555-123-4567", ""},
		{"us_phone", "555-1234", "", `is not a 10-digit North American phone number`},
		{"digits", "n/a", "", "has no digits"},
		{"sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d", ""},
		{"bool", "Yes", "true", ""},
		{"bool", "x", "true", ""},
		{"bool", "0", "false", ""},
		{"bool", "FALSE", "false", ""},
		{"bool", "perhaps", "", "must be true or false"},
		{"int", " 12 ", "12", ""},
		{"int", "12.0", "12", ""},
		{"int", "12.5", "", "must be a whole number"},
	}
	for _, tc := range tests {
		got, err := transforms[tc.name](tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s(%q): error %v, want %q", tc.name, tc.in, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%s(%q) = %q, %v; want %q", tc.name, tc.in, got, err, tc.want)
		}
	}
}

func TestMaskHidesSecrets(t *testing.T) {
	m := mustParse(t, "provider: test\nfields:\n  id: ID\n  password: {column: P, transform: sha1}\n")
	p, err := m.Compile([]string{"ID", "P"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !p.SecretColumns()[1] || p.SecretColumns()[0] {
		t.Fatalf("secret columns %v", p.SecretColumns())
	}
	r := p.Build([]string{"ab12", "hunter2"})
	masked := p.Mask(r.Payload)
	if masked["password"] != "[redacted]" || r.Payload["password"] == "[redacted]" {
		t.Fatalf("masked %v, payload %v", masked, r.Payload)
	}
}

// TestGoldenPayloads builds the payloads of a sample input and compares them
// with testdata/payloads.golden.json (go test ./mapping -update rewrites it).
func TestGoldenPayloads(t *testing.T) {
	m := mustParse(t, `provider: test
fields:
  id: ID
  email: {column: Email, transform: [trim, lower]}
  tags: {column: Tags, split: ","}
  born: {column: Born, format: "DD.MM.YYYY"}
  address.street: Street
  address.city: City
  addresses[0].zip: Zip
  alias: {value: imported}
`)
	header := []string{"ID", "Email", "Tags", "Born", "Street", "City", "Zip"}
	p, err := m.Compile(header, "")
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{
		{"0a1b", " Ann@Example.COM ", "a, b", "01.02.1990", "Storgatan 1", "Umeå", "90330"},
		{"0a1c", "", "", "", "", "", ""},
		{"0a1d", "bo@example.com", "x", "1990-02-01", "", "", "11122"},
	}
	var got []map[string]any
	for _, cells := range rows {
		r := p.Build(cells)
		if !r.Valid() {
			t.Fatalf("row %v: %s", cells, p.Message(&r))
		}
		got = append(got, r.Payload)
	}
	b, _ := json.MarshalIndent(got, "", "  ")
	golden := filepath.Join("testdata", "payloads.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./mapping -update to create it)", err)
	}
	if strings.TrimSpace(string(want)) != strings.TrimSpace(string(b)) {
		t.Errorf("payloads differ from %s:\n%s", golden, b)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("provider: test\nfields:\n  id: A\n"))
	f.Add([]byte("provider: test\noptions: {mode: x}\nfields:\n  id: {column: A, transform: [trim]}\n  addresses[0].zip: B\n"))
	f.Add([]byte("provider: test\nfields:\n  tags: {column: T, split: ';'}\n  born: {column: B, format: DD/MM/YYYY}\n"))
	f.Add([]byte("provider: test\nfields:\n  id: A\n  ssn: {column: B, transform: [personnummer]}\n  crn: {column: T, transform: [trim, orgnummer]}\n"))
	f.Add([]byte("provider: test\nfields:\n  id: A\n  lists: {column: T, split: ';'}\n  lists.news: {column: B, transform: [int]}\n  lists.all: {value: 1}\n"))
	f.Add([]byte("provider: test\nfields:\n  id: A\n  email.x: B\n  lists.: B\n"))
	f.Add([]byte("- [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse("f.yaml", data, testRegistry)
		if err != nil {
			return
		}
		header := []string{"A", "B", "T"}
		p, err := m.Compile(header, "")
		if err != nil {
			return
		}
		for _, cells := range [][]string{{"x", "1987-03-15", "a;b"}, {"ab12", "19121212-1212", " 5560360793"}, {"ab12", "13/05/1954", "[redacted]"}} {
			r := p.Build(cells)
			if _, err := json.Marshal(r.Payload); err != nil {
				t.Fatalf("payload does not encode: %v", err)
			}
			if !r.Valid() && p.Message(&r) == "" {
				t.Fatal("an invalid row without a message")
			}
		}
	})
}
