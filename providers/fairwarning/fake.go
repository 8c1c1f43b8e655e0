package fairwarning

import (
	"crypto/subtle"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fakeapi"
)

// MaxBody is the largest request body the fake reads; a larger one is 413.
const MaxBody = 1 << 20

// The document's error texts. Its XML 401 has no full stop; both are kept
// as written.
const (
	msgInvalidKeys    = "The API keys provided are invalid."
	msgInvalidKeysXML = "The API keys provided are invalid"
	msgMissingKeys    = "API keys are missing."
)

// Fake is an in-memory FairWarning user API on the shared engine
// (providers/fakeapi), which enforces POST to /v1.1.1/user/update, both key
// headers, a JSON or XML body as its Content-Type says (JSON when there is
// none), only documented fields, each of its documented type (a number sent
// as a string is refused; an XML boolean is 1 or 0, as a server that casts
// the text "false" would read it as true), the table's rules, the required
// user fields and the required members of every address. The fake words it
// all as the document does: anything but the method is the documented 404
// "API method (...) not found.", a missing key 403, a wrong one 401, and
// every violation one 500 {"error": ...} naming all of them, in the
// request's format; success is the documented user details.
//
// Its one rule the client cannot check: an e-mail address is a login, so it
// belongs to one user; sending another user's address is a 500 "The email
// address ... is already in use by another user.". Addresses are compared
// without regard to case.
//
// Two answers the document does not list come from the HTTP layer below
// the API: 413 for a body over MaxBody and 415 for a Content-Type that is
// neither JSON nor XML, both in the error shape.
//
// Every user_id names a user: the fake creates it on first use, because a
// sandbox cannot know the users of the file it is fed. The fake's error
// texts are the API's answers, so they are written as the API writes its
// own: a capital letter and a full stop.
//
// A Fake is safe for concurrent use.
type Fake struct {
	*fakeapi.Server
	public, private string
	now             func() time.Time // the registration time of a new user

	// users holds each user's fields as the table's types, its
	// "addresses" ([]map[string]any) and "maillists" (sorted []string).
	users *fakeapi.Accounts
	// Changed only inside users.Update, under its lock.
	updates    int64 // the last user_update_id
	nextAddrID int64
}

// NewFake returns a fake that accepts only the keys in c (if c lacks one,
// every request is refused).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests and the
// sandbox that use its knobs.
func NewFake(c providers.Credentials) *Fake {
	f := &Fake{
		public:  c[PublicKeyEnv].Reveal(),
		private: c[PrivateKeyEnv].Reveal(),
		now:     time.Now,
		users:   fakeapi.NewAccounts("user_email"),
	}
	f.Server = fakeapi.New(fakeapi.Spec{
		Method:           http.MethodPost,
		Path:             Path,
		MediaTypes:       []string{jsonType, xmlType},
		DefaultMediaType: jsonType,
		MaxBody:          MaxBody,
		Decoders:         map[string]func([]byte) (map[string]any, error){xmlType: decodeXMLRequest},
		Authorize:        f.checkKeys,
		Refuse:           refuse,
		Handle:           f.handle,
	})
	return f
}

// answerFormat is the format of the answer to r: the request's, as its
// Content-Type says, and JSON when it says nothing usable.
func answerFormat(r *http.Request) string {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == xmlType {
		return FormatXML
	}
	return FormatJSON
}

// checkKeys refuses a missing key with 403 and a wrong one with 401. It
// compares in constant time and never echoes a key.
func (f *Fake) checkKeys(r *http.Request) (int, string) {
	pub, priv := r.Header.Get(publicKeyHeader), r.Header.Get(privateKeyHeader)
	switch {
	case pub == "" || priv == "":
		return http.StatusForbidden, msgMissingKeys
	case f.public == "" || f.private == "",
		subtle.ConstantTimeCompare([]byte(pub), []byte(f.public)) != 1,
		subtle.ConstantTimeCompare([]byte(priv), []byte(f.private)) != 1:
		if answerFormat(r) == FormatXML {
			return http.StatusUnauthorized, msgInvalidKeysXML
		}
		return http.StatusUnauthorized, msgInvalidKeys
	}
	return 0, ""
}

func refuse(w http.ResponseWriter, r *http.Request, why fakeapi.Refusal) {
	format := answerFormat(r)
	switch why.Kind {
	case fakeapi.NotFound, fakeapi.MethodNotAllowed:
		writeError(w, format, http.StatusNotFound, fmt.Sprintf("API method (%s) not found.", apiMethod(r)))
	case fakeapi.UnsupportedMediaType:
		writeError(w, format, why.Status, fmt.Sprintf("Content-Type %q is not accepted; send application/json or application/xml.", why.Detail))
	case fakeapi.TooLarge:
		writeError(w, format, why.Status, "The request body exceeds "+why.Detail+" bytes.")
	case fakeapi.Malformed:
		if format == FormatXML {
			writeError(w, format, http.StatusInternalServerError, why.Detail)
			return
		}
		writeError(w, format, http.StatusInternalServerError, "The request body is not valid JSON: "+why.Detail)
	case fakeapi.NotObject:
		writeError(w, format, http.StatusInternalServerError, "The request body must be a JSON object.")
	default:
		writeError(w, format, why.Status, why.Detail)
	}
}

// apiMethod names the method a request asked for, as the API's 404 does:
// the path without its version ("user/update"), and the HTTP method when
// that is what is wrong.
func apiMethod(r *http.Request) string {
	name := strings.Trim(r.URL.Path, "/")
	if v, rest, ok := strings.Cut(name, "/"); ok && versionRE.MatchString(v) {
		name = rest
	}
	if r.URL.Path == Path {
		return r.Method + " " + name
	}
	return name
}

var versionRE = regexp.MustCompile(`^v[0-9]+(\.[0-9]+)*$`)

// handle checks every field by the table, naming every problem in one 500
// as the document's {"error": <custom error>}, and applies the rest.
func (f *Fake) handle(w http.ResponseWriter, c *fakeapi.Call) {
	format := FormatJSON
	if c.MediaType == xmlType {
		format = FormatXML
	}
	fields, problems := fakeapi.Check(table, c.Object, fakeapi.CheckOptions{TypeMessage: typeMessage(format)})
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = describe(p)
		}
		writeError(w, format, http.StatusInternalServerError, strings.Join(msgs, "; "))
		return
	}
	details, err := f.update(c, fields)
	if err != nil {
		writeError(w, format, http.StatusInternalServerError, err.Error())
		return
	}
	writeDetails(w, format, details)
}

// typeMessage words a value of the wrong type as the table does, with the
// shapes of addresses, lists and XML booleans spelled out.
func typeMessage(format string) func(*providers.Field) string {
	return func(fd *providers.Field) string {
		switch {
		case fd.Type == providers.ObjectList:
			return "must be an array of address objects"
		case fd.Type == providers.NameSet:
			return "must be an object of list safe names set to 1"
		case fd.Type == providers.Bool && format == FormatXML:
			return "must be 1 or 0"
		}
		return (&providers.Field{Type: fd.Type}).Check(nil).Error()
	}
}

// describe words a problem as the API writes its errors.
func describe(p fakeapi.Problem) string {
	switch p.Kind {
	case fakeapi.Unknown:
		return fmt.Sprintf("Unknown field %q.", p.Path)
	case fakeapi.Missing:
		return p.Path + " is required."
	}
	return p.Path + " " + p.Msg + "."
}

// regDate is the stored field of a user's registration time.
const regDate = "user_reg_date"

// update applies a checked request as one change of the user, so that two
// requests cannot both claim one e-mail address, and returns the user's
// details.
func (f *Fake) update(c *fakeapi.Call, fields map[string]any) (ds []detail, err error) {
	id := fields["user_id"].(int64)
	addrs, _ := fields["addresses"].([]any)
	lists, _ := fields["maillists"].(map[string]int64)
	delete(fields, "addresses")
	delete(fields, "maillists")
	key := strconv.FormatInt(id, 10)
	err = f.users.Update(key, func(u *fakeapi.Account) error {
		email := fields["user_email"].(string)
		if u.Taken("user_email", email) {
			return fmt.Errorf("The email address %s is already in use by another user.", email)
		}
		if _, ok := u.Field(regDate); !ok {
			u.Set(regDate, f.now().UTC().Format(time.DateTime))
		}
		for k, v := range fields {
			u.Set(k, v)
		}
		stored, _ := u.Field("addresses")
		all, _ := stored.([]map[string]any)
		for _, a := range addrs {
			all = f.putAddress(all, a.(map[string]any))
		}
		if len(all) > 0 {
			u.Set("addresses", all)
		}
		if len(lists) > 0 {
			old, _ := u.Field("maillists")
			names, _ := old.([]string)
			names = slices.Concat(names, slices.Collect(maps.Keys(lists)))
			slices.Sort(names)
			u.Set("maillists", slices.Compact(names))
		}
		f.updates++
		c.Record(key)
		ds = f.details(id, u)
		return nil
	})
	return ds, err
}

// putAddress updates the address with the sent address_id, or adds a new
// one ("Leave blank to add a new address"). A current address makes the
// others of its type not current: "Only one current address per type."
// Call inside users.Update.
func (f *Fake) putAddress(all []map[string]any, a map[string]any) []map[string]any {
	a = maps.Clone(a)
	if cur, _ := a["address_current"].(bool); cur {
		for _, other := range all {
			if other["address_type"] == a["address_type"] {
				other["address_current"] = false
			}
		}
	}
	if id, ok := a["address_id"].(int64); ok {
		for _, other := range all {
			if other["address_id"] == id {
				maps.Copy(other, a)
				return all
			}
		}
		f.nextAddrID = max(f.nextAddrID, id)
	} else {
		f.nextAddrID++
		a["address_id"] = f.nextAddrID
	}
	return append(all, a)
}

// User returns a copy of a user's stored fields, addresses included (as
// "addresses", a []map[string]any), mailing lists (as "maillists", a sorted
// []string) and the registration time (as "user_reg_date").
func (f *Fake) User(id int64) (map[string]any, bool) { return f.users.Get(strconv.FormatInt(id, 10)) }

// detail is one member of the success answer; its order is the document's.
type detail struct {
	name    string
	value   any  // nil for a field the user does not have
	xmlOnly bool // only the XML answer has it
}

// details is the document's success answer for u. Call inside
// users.Update.
func (f *Fake) details(id int64, u *fakeapi.Account) []detail {
	field := func(name string, dflt any) detail {
		if v, ok := u.Field(name); ok {
			return detail{name: name, value: v}
		}
		return detail{name: name, value: dflt}
	}
	names, _ := u.Field("maillists")
	if names == nil {
		names = []string{}
	}
	lists, _ := json.Marshal(names)
	return []detail{
		{name: "user_id", value: id},
		{name: "user_active", value: true},
		field("user_verified", false),
		{name: "user_requires_password_reset", value: false},
		{name: "user_update_id", value: f.updates, xmlOnly: true},
		{name: "user_type", value: int64(2)}, // not an admin
		field("type_id", nil),
		{name: "user_mailing_lists", value: string(lists)},
		{name: "user_is_consignor", value: false},
		{name: "user_is_referrer", value: false},
		{name: "user_is_account_exec", value: false},
		field("user_is_preferred_bidder", false),
		field("user_is_tax_exempt", false),
		field("user_tax_id", nil),
		field("user_tax_id_expiration_month", nil),
		field("user_tax_id_expiration_year", nil),
		field("user_tax_id_state", nil),
		field(regDate, ""),
		{name: "user_icon", value: ""},
		field("user_email", nil),
		field("user_alt_email", nil),
		field("user_prefix", nil),
		field("user_fname", nil),
		field("user_mname", nil),
		field("user_lname", nil),
		field("user_phone", nil),
		field("user_alt_phone", nil),
		field("user_fax", nil),
		field("user_company", nil),
	}
}

// writeDetails writes the success answer in format, members in the
// document's order; XML booleans as 1 and 0, as the document's server does.
func writeDetails(w http.ResponseWriter, format string, ds []detail) {
	var b strings.Builder
	if format == FormatXML {
		b.WriteString(xmlHeader + "\n<response>")
		for _, d := range ds {
			b.WriteString("<" + d.name + ">")
			switch v := d.value.(type) {
			case nil:
			case bool:
				b.WriteString(xmlBool(v))
			default:
				_ = writeTextTo(&b, fmt.Sprint(v))
			}
			b.WriteString("</" + d.name + ">")
		}
		b.WriteString("</response>\n")
		write(w, format, http.StatusOK, b.String())
		return
	}
	b.WriteString("{")
	first := true
	for _, d := range ds {
		if d.xmlOnly {
			continue
		}
		if !first {
			b.WriteString(",")
		}
		first = false
		k, _ := providers.MarshalJSON(d.name)
		v, _ := providers.MarshalJSON(d.value)
		b.Write(k)
		b.WriteString(":")
		b.Write(v)
	}
	b.WriteString("}\n")
	write(w, format, http.StatusOK, b.String())
}

// writeError answers with the document's error shape in format:
// {"error":"..."} or <response><error>...</error></response>.
func writeError(w http.ResponseWriter, format string, status int, msg string) {
	if format == FormatXML {
		var b strings.Builder
		b.WriteString(xmlHeader + "\n<response><error>")
		_ = writeTextTo(&b, msg)
		b.WriteString("</error></response>\n")
		write(w, format, status, b.String())
		return
	}
	body, _ := providers.MarshalJSON(map[string]string{"error": msg})
	write(w, format, status, string(body)+"\n")
}

func write(w http.ResponseWriter, format string, status int, body string) {
	ct := jsonType
	if format == FormatXML {
		ct = xmlType
	}
	w.Header().Set("Content-Type", ct+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// writeTextTo escapes s for XML, dropping what XML cannot carry (an answer
// must always be written).
func writeTextTo(w io.Writer, s string) error {
	s = strings.Map(func(r rune) rune {
		if isXMLChar(r) {
			return r
		}
		return -1
	}, s)
	return xml.EscapeText(w, []byte(s))
}
