package cli

import (
	"bytes"
	"encoding/binary"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

const badInputMapping = `provider: payway
fields:
  id: Account
  email: {column: E-mail, transform: [trim, lower]}
  first_name: First name
`

const goodRows = "Account,E-mail,First name\n" +
	"000000000000000000000001,ann@example.com,Ann\n" +
	"000000000000000000000002,bob@example.com,Bob\n"

func workbook(t *testing.T, sheet string, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		row := make([]any, len(r))
		for j, v := range r {
			row[j] = v
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// TestBadInputs walks every kind of bad input a person can hand over: a
// broken file or mapping exits 2 with a message naming the problem and sends
// nothing; a broken row is that row's `invalid` and the others go on.
func TestBadInputs(t *testing.T) {
	xlsx := func(rows ...[]string) func(*testing.T) []byte {
		return func(t *testing.T) []byte { return workbook(t, "Sheet1", rows) }
	}
	text := func(s string) func(*testing.T) []byte { return func(*testing.T) []byte { return []byte(s) } }
	huge := strings.Repeat("x", 3<<20)

	tests := []struct {
		name     string
		file     string // the input's name
		content  func(*testing.T) []byte
		mapping  string // "" for badInputMapping
		args     []string
		noCreds  bool
		code     int
		message  string   // in stderr (exit 2) or in the report (exit 1)
		applied  []string // the account ids the fake must have applied, in any order
		invalid  int      // rows reported invalid
		noReport bool
	}{
		// The file as a whole.
		{name: "empty file", file: "in.csv", content: text(""), code: ExitUsage, message: "in.csv: the file is empty"},
		{name: "header only", file: "in.csv", content: text("Account,E-mail,First name\r\n"), code: ExitUsage, message: "no data rows"},
		{name: "blank lines only after header", file: "in.csv", content: text("Account,E-mail,First name\n\n,,\n \n"), code: ExitUsage, message: "no data rows"},
		{name: "corrupt xlsx", file: "in.xlsx", content: text("PK\x03\x04 this zip was cut short"), code: ExitUsage, message: "in.xlsx"},
		{name: "csv renamed xlsx", file: "in.xlsx", content: text(goodRows), code: ExitUsage, message: "in.xlsx"},
		{name: "xlsx renamed csv", file: "in.csv", content: xlsx([]string{"Account"}, []string{"1"}), code: ExitUsage, message: "in.csv"},
		{name: "old xls renamed xlsx", file: "in.xlsx", content: text("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 old excel"), code: ExitUsage, message: "in.xlsx"},
		{name: "missing sheet", file: "in.xlsx", content: xlsx([]string{"Account", "E-mail", "First name"}, []string{"000000000000000000000001", "a@b.se", "A"}), args: []string{"--sheet", "Accounts"}, code: ExitUsage, message: `"Accounts"`},
		{name: "duplicate header", file: "in.csv", content: text("Account,E-mail,E-mail,First name\n1,a@b.se,c@d.se,A\n"), code: ExitUsage, message: `"E-mail"`},
		{name: "empty header name", file: "in.csv", content: text("Account,,First name,E-mail\n1,x,A,a@b.se\n"), code: ExitUsage, message: "column B has no name"},
		// The mapping.
		{name: "mapping typo", file: "in.csv", content: text(goodRows), mapping: "provider: payway\nfeilds:\n  id: Account\n", code: ExitUsage, message: `m.yaml:2: unknown key "feilds"; did you mean "fields"?`},
		{name: "unknown field", file: "in.csv", content: text(goodRows), mapping: "provider: payway\nfields:\n  id: Account\n  emial: E-mail\n", code: ExitUsage, message: `m.yaml:4: payway has no field "emial"; did you mean "email"?`},
		{name: "missing column", file: "in.csv", content: text(goodRows), mapping: "provider: payway\nfields:\n  id: Account\n  email: Email\n", code: ExitUsage, message: `m.yaml:4: column "Email" not found in the input; did you mean "E-mail"?`},
		{name: "unknown transform", file: "in.csv", content: text(goodRows), mapping: "provider: payway\nfields:\n  id: Account\n  email: {column: E-mail, transform: [lowercase]}\n", code: ExitUsage, message: `unknown transform "lowercase"; did you mean "lower"?`},
		{name: "missing credential", file: "in.csv", content: text(goodRows), noCreds: true, code: ExitUsage, message: "PAYWAY_TOKEN"},
		{name: "plain http to another host", file: "in.csv", content: text(goodRows), args: []string{"--base-url", "http://accounts.example.com"}, code: ExitUsage, message: "plain http"},
		// Rows: the broken ones are invalid, the others go on.
		{
			name: "unclosed quote", file: "in.csv",
			content: text("Account,E-mail,First name\n000000000000000000000001,\"ann@example.com,Ann\n000000000000000000000002,bob@example.com,Bob\n"),
			code:    ExitRowsFailed, message: "quote", invalid: 1, applied: []string{"000000000000000000000002"},
		},
		{
			name: "ragged rows", file: "in.csv",
			content: text("Account,E-mail,First name\n000000000000000000000001,ann@example.com,Ann,extra\n000000000000000000000002,bob@example.com\n000000000000000000000003,cid@example.com,Cid\n"),
			// A short row may be a shifted one: it is not guessed at either.
			code: ExitRowsFailed, message: "row has 2 cells, the header has 3", invalid: 2, applied: []string{"000000000000000000000003"},
		},
		{
			name: "windows-1252", file: "in.csv",
			content: text("Account;E-mail;First name\r\n000000000000000000000001;ann@example.com;J\xf6rg M\xfcller\r\n"),
			code:    ExitOK, applied: []string{"000000000000000000000001"}, message: "Jörg Müller",
		},
		{
			name: "utf-16 unicode text", file: "in.txt",
			content: text(string(utf16LE("Account\tE-mail\tFirst name\r\n000000000000000000000001\tann@example.com\tÅsa\r\n"))),
			code:    ExitOK, applied: []string{"000000000000000000000001"}, message: "Åsa",
		},
		{
			name: "multi-megabyte cell", file: "in.csv",
			content: text("Account,E-mail,First name\n000000000000000000000001,ann@example.com," + huge + "\n000000000000000000000002,bob@example.com,Bob\n"),
			code:    ExitRowsFailed, message: `column "First name" holds more than 1 MiB, the most a cell may hold`, invalid: 1, applied: []string{"000000000000000000000002"},
		},
		{
			name: "blank rows", file: "in.csv",
			content: text("Account,E-mail,First name\n\n000000000000000000000001,ann@example.com,Ann\n,,\n\n000000000000000000000002,bob@example.com,Bob\n"),
			code:    ExitOK, applied: []string{"000000000000000000000001", "000000000000000000000002"},
		},
		{
			name: "cells starting with =", file: "in.csv",
			content: text("Account,E-mail,First name\n000000000000000000000001,\"=HYPERLINK(\"\"http://x\"\",\"\"a@b.se\"\")\",Ann\n000000000000000000000002,bob@example.com,=1+2\n"),
			code:    ExitRowsFailed, message: `is not accepted; payway takes an e-mail address`, invalid: 1, applied: []string{"000000000000000000000002"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := payway.NewFake(providers.Credentials{payway.TokenEnv: providers.NewSecret(token)})
			srv := httptest.NewServer(fake)
			defer srv.Close()
			dir := t.TempDir()
			in := filepath.Join(dir, tc.file)
			if err := os.WriteFile(in, tc.content(t), 0o644); err != nil {
				t.Fatal(err)
			}
			m := filepath.Join(dir, "m.yaml")
			src := tc.mapping
			if src == "" {
				src = badInputMapping
			}
			if err := os.WriteFile(m, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "report.csv")
			h := newHarness(t)
			if !tc.noCreds {
				h.env["PAYWAY_TOKEN"] = token
			}
			args := []string{"run", "-m", m, "-i", in, "-o", out, "--rate", "0", "--no-progress", "--retries", "0"}
			if !containsArg(tc.args, "--base-url") {
				args = append(args, "--base-url", srv.URL)
			}
			code := h.run(append(args, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, h.stderr.String())
			}
			got := map[string]bool{}
			for _, a := range fake.Applied() {
				got[a.Key] = true
			}
			if len(got) != len(tc.applied) {
				t.Errorf("the fake applied %v, want %v", keys(got), tc.applied)
			}
			for _, id := range tc.applied {
				if !got[id] {
					t.Errorf("%s was not applied", id)
				}
			}
			if tc.code == ExitUsage {
				if !strings.Contains(h.stderr.String(), tc.message) {
					t.Errorf("stderr %q does not say %q", h.stderr.String(), tc.message)
				}
				if _, err := os.Stat(out); err == nil {
					t.Error("a report was written for a run that never started")
				}
				return
			}
			header, report := readReport(t, out)
			st := column(t, header, "Status")
			invalid := 0
			var all strings.Builder
			for _, r := range report {
				if r[st] == "invalid" {
					invalid++
				}
				all.WriteString(strings.Join(r, "|") + "\n")
			}
			if invalid != tc.invalid {
				t.Errorf("%d rows invalid, want %d:\n%s", invalid, tc.invalid, all.String())
			}
			if tc.message != "" && !strings.Contains(all.String(), tc.message) {
				t.Errorf("the report does not say %q:\n%.2000s", tc.message, all.String())
			}
			// What was sent is what the cells said, not a re-encoding.
			for _, a := range fake.Applied() {
				if tc.name == "cells starting with =" && !bytes.Contains(a.Body, []byte(`"first_name":"=1+2"`)) {
					t.Errorf("a formula-looking cell was not sent as the text it is: %s", a.Body)
				}
			}
		})
	}
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
