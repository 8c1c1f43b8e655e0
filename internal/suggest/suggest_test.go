package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"E-mail", "First name", "mobile_phone_number", "email", "fields", "address.city"}
	tests := []struct{ word, want string }{
		{"E-mail ", "E-mail"},
		{"e mail", "E-mail"},
		{"firstname", "First name"},
		{"feilds", "fields"},
		{"emial", "email"},
		{"mobile_phone", "mobile_phone_number"},
		{"adress.city", "address.city"},
		{"zzzzzz", ""},
		{"id", ""},
	}
	for _, tc := range tests {
		got, ok := Closest(tc.word, cands)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Closest(%q) = %q, %v; want %q", tc.word, got, ok, tc.want)
		}
	}
}
