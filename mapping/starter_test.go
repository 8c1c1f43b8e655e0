package mapping

import (
	"slices"
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"E-mail", []string{"email"}},
		{"E-mail address", []string{"email", "address"}},
		{"user_email", []string{"email"}},
		{"Postal code", []string{"zip"}},
		{"ZIP", []string{"zip"}},
		{"zip_postal_code", []string{"zip", "zip"}},
		{"Mobile phone", []string{"mobile"}},
		{"mobile_phone_number", []string{"mobile"}},
		{"Cell", []string{"mobile"}},
		{"DOB", []string{"birth", "date"}},
		{"firstName", []string{"first", "name"}},
		{"Surname", []string{"last", "name"}},
		{"  ", nil},
	}
	for _, tc := range tests {
		if got := words(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStarterMatchesColumns(t *testing.T) {
	header := []string{"ID", "E-mail address", "Cell", "Date of birth", "Postal code", "Town", "Street", "Notes", "Photo", "Newsletters", "Password"}
	out := string(Starter(testProvider{}, header))
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
	out := string(Starter(testProvider{}, nil))
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
