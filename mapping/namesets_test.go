package mapping

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers/fairwarning"
)

// TestPerListMaillists: fairwarning's maillists is {<list_safe_name>: 1};
// a mapping fills it per list, from a column each or a constant, beside a
// column split into names. A per-list yes adds the list; a no or an empty
// cell leaves it out, which is no change (the document has no way to take
// a user off a list, so 0 is never sent).
func TestPerListMaillists(t *testing.T) {
	p := realPlan(t, fwMapping("user_pass: {column: Password, transform: [sha1]}",
		"  maillists.newsletter: {column: Newsletter, transform: [int]}",
		"  maillists.auctions: Auctions",
		"  maillists.all-customers: {value: 1}",
		"  maillists: {column: Lists, split: \";\", transform: [lower]}",
	), fwHeader)
	tests := []struct {
		name  string
		cells []string
		want  string // the maillists sent, as JSON; "" when invalid
		issue string
	}{
		{"yes and no", fwRow("pw", "Newsletter", "1", "Auctions", "no"), `{"all-customers":1,"newsletter":1}`, ""},
		{"number cells", fwRow("pw", "Newsletter", "1.0", "Auctions", "x"), `{"all-customers":1,"auctions":1,"newsletter":1}`, ""},
		{"blank and zero leave lists out", fwRow("pw", "Newsletter", "0"), `{"all-customers":1}`, ""},
		{"with the split column", fwRow("pw", "Newsletter", "1", "Lists", "Firearms-News; newsletter"), `{"all-customers":1,"firearms-news":1,"newsletter":1}`, ""},
		{"a no to a name the column lists", fwRow("pw", "Auctions", "0", "Lists", "auctions"), "",
			`Auctions (maillists.auctions): says no to "auctions", but Lists lists it: a no never takes a name out of maillists, so make the two agree.`},
		{"not a yes or no", fwRow("pw", "Auctions", "maybe"), "",
			`Auctions (maillists.auctions): "maybe" is not 1 or 0 (yes or no: add the list, or leave it out).`},
		{"int refuses words", fwRow("pw", "Newsletter", "yes"), "",
			`Newsletter (maillists.newsletter): "yes" is not a whole number.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Build(tc.cells)
			if tc.issue != "" {
				if got := p.Message(&r); got != tc.issue {
					t.Errorf("message %q\nwant    %q", got, tc.issue)
				}
				return
			}
			if !r.Valid() {
				t.Fatal(p.Message(&r))
			}
			b, _ := json.Marshal(r.Payload["maillists"])
			if string(b) != tc.want {
				t.Errorf("maillists %s, want %s", b, tc.want)
			}
			// The provider encodes it as its document shows, in JSON and XML.
			for _, format := range []string{"json", "xml"} {
				req, err := fairwarning.Provider{}.Encode(r.Payload, &fairwarning.Options{Format: format})
				if err != nil || !strings.Contains(string(req.Body), "newsletter") && strings.Contains(tc.want, "newsletter") {
					t.Errorf("%s: %v %s", format, err, req.Body)
				}
			}
		})
	}
}

func TestPerListErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"  user_email.news: Newsletter", `field "user_email" is a string, so "user_email.news" names nothing: only a set of names (such as fairwarning's maillists) takes one path per name`},
		{"  maillists.news: {column: Newsletter, split: \";\"}", `field "maillists.news" is one name of the set maillists: its cell says yes or no to that name, so split and format do not apply`},
		{"  maillists.news: {value: 0}", `field "maillists.news": a constant no adds nothing to maillists; leave the line out, or give {value: 1}`},
		{"  maillists.news: {value: 2}", `field "maillists.news": value must be 1 (add the name) or 0 (leave it out)`},
		{"  maillists.news letter: Newsletter", `"news letter" is not a list's name`},
		{"  maillists.nwes: Nope", `column "Nope" not found`},
		{"  mailists.news: Newsletter", `fairwarning has no field "mailists.news"`},
	}
	for _, tc := range tests {
		m, err := Parse("crm.yaml", []byte(fwMapping("user_pass: {column: Password, transform: [sha1]}", tc.line)), realRegistry)
		if err == nil {
			_, err = m.Compile(fwHeader, "")
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v\nwant %q", tc.line, err, tc.want)
		}
	}
}

// TestConstantSetNotShared: a constant set of names is the plan's; the
// names a row adds to it must not reach the next row.
func TestConstantSetNotShared(t *testing.T) {
	p := realPlan(t, fwMapping("user_pass: {column: Password, transform: [sha1]}",
		"  maillists: {value: customers}",
		"  maillists.auctions: Auctions",
	), fwHeader)
	r := p.Build(fwRow("pw", "Auctions", "1"))
	if got := r.Payload["maillists"].(map[string]int64); len(got) != 2 {
		t.Fatalf("maillists %v", got)
	}
	r = p.Build(fwRow("pw"))
	if got := r.Payload["maillists"].(map[string]int64); len(got) != 1 || got["customers"] != 1 {
		t.Errorf("the second row's maillists %v", got)
	}
}
