package mapping

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
)

func TestFileField(t *testing.T) {
	dir := t.TempDir()
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, "rest of a JPEG"...)
	write := func(name string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("photos/ann.jpg", jpeg)
	write("photos/bob.png", []byte("\x89PNG\r\n\x1a\n"))
	write("big.jpg", append(jpeg, make([]byte, providers.MaxFileSize)...))
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.jpg")
	if err := os.WriteFile(outside, jpeg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.jpg")); err != nil {
		t.Fatal(err)
	}

	m := mustParse(t, "provider: test\nfields:\n  id: ID\n  photo: Photo\n")
	p, err := m.Compile([]string{"ID", "Photo"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cell, want string // want: "" for valid, else a substring of the issue
	}{
		{"photos/ann.jpg", ""},
		{`photos\ann.jpg`, ""},
		{"  photos/ann.jpg ", ""},
		{"photos/none.jpg", `Photo (photo): "photos/none.jpg" does not exist (paths are relative to the input file's folder).`},
		{"photos/bob.png", `Photo (photo): "photos/bob.png" is not accepted; test takes a JPEG image`},
		{"big.jpg", `Photo (photo): "big.jpg" is a file of 5.0 MiB; at most 5 MiB is sent.`},
		{"adir", `Photo (photo): "adir" is a folder, not a file: only regular files are read.`},
		{"../secret.jpg", "is outside the input file's folder"},
		{outside, "is outside the input file's folder"},
		{"link.jpg", `Photo (photo): "link.jpg" cannot be read`},
	}
	for _, tc := range tests {
		row := p.Build([]string{"ab12", tc.cell})
		if tc.want == "" {
			if !row.Valid() {
				t.Errorf("%q: %s", tc.cell, p.Message(&row))
				continue
			}
			if got, _ := row.Payload["photo"].([]byte); !bytes.Equal(got, jpeg) {
				t.Errorf("%q: payload photo = %q", tc.cell, got)
			}
			continue
		}
		if row.Valid() || !strings.Contains(p.Message(&row), tc.want) {
			t.Errorf("%q: got %q, want %q", tc.cell, p.Message(&row), tc.want)
		}
	}
}

func TestNameSetField(t *testing.T) {
	m := mustParse(t, "provider: test\nfields:\n  id: ID\n  lists: {column: Lists, split: \";\", transform: [trim, lower]}\n")
	p, err := m.Compile([]string{"ID", "Lists"}, "")
	if err != nil {
		t.Fatal(err)
	}
	row := p.Build([]string{"ab12", "News; Offers;;news"})
	if !row.Valid() {
		t.Fatal(p.Message(&row))
	}
	got := row.Payload["lists"].(map[string]int64)
	if len(got) != 2 || got["news"] != 1 || got["offers"] != 1 {
		t.Errorf("lists = %v", got)
	}
	if row := p.Build([]string{"ab12", " ; "}); row.Payload["lists"] != nil {
		t.Errorf("blank list sent: %v", row.Payload)
	}
}

// TestConstantOnlyObjectsDropped: an object filled from columns and
// constants is sent only when one of its columns has a value.
func TestConstantOnlyObjectsDropped(t *testing.T) {
	m := mustParse(t, `provider: test
fields:
  id: ID
  address.street: {value: Main street}
  address.city: City
  addresses[0].zip: Zip1
  addresses[1].zip: Zip2
  addresses[1].city: {value: Shipping}
`)
	p, err := m.Compile([]string{"ID", "City", "Zip1", "Zip2"}, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cells []string
		want  string
	}{
		{[]string{"ab12", "Oslo", "111", "222"}, `{"address":{"city":"Oslo","street":"Main street"},"addresses":[{"zip":"111"},{"city":"Shipping","zip":"222"}],"id":"ab12"}`},
		{[]string{"ab12", "", "111", ""}, `{"addresses":[{"zip":"111"}],"id":"ab12"}`},
		{[]string{"ab12", "", "", ""}, `{"id":"ab12"}`},
		{[]string{"ab12", "", "", "222"}, `{"addresses":[{"city":"Shipping","zip":"222"}],"id":"ab12"}`},
	}
	for _, tc := range tests {
		row := p.Build(tc.cells)
		if !row.Valid() {
			t.Errorf("%q: %s", tc.cells, p.Message(&row))
			continue
		}
		b, _ := json.Marshal(row.Payload)
		if string(b) != tc.want {
			t.Errorf("%q: %s, want %s", tc.cells, b, tc.want)
		}
	}
}

// TestBrokenRequiredMemberReportedOnce: a required member whose value breaks
// its rule is reported for the rule, not also as missing.
func TestBrokenRequiredMemberReportedOnce(t *testing.T) {
	m := mustParse(t, "provider: test\nfields:\n  id: ID\n  address.street: {column: Street, transform: [digits]}\n  address.city: City\n")
	p, err := m.Compile([]string{"ID", "Street", "City"}, "")
	if err != nil {
		t.Fatal(err)
	}
	row := p.Build([]string{"ab12", "no digits here", "Oslo"})
	if len(row.Issues) != 1 || !strings.Contains(row.Issues[0].Rule, "has no digits") {
		t.Errorf("issues %+v", row.Issues)
	}
}
