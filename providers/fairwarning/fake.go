package fairwarning

import (
	"crypto/subtle"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/acctimport/acctimport/providers"
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

// Fake is an in-memory FairWarning user API. It enforces the document: POST
// to /v1.1.1/user/update (anything else is the documented 404 "API method
// (...) not found."), both key headers (403 when one is missing, 401 when
// one is wrong), a JSON or XML body as its Content-Type says (JSON when
// there is none), only documented fields, each of its documented type (a
// number sent as a string is refused) and passing the provider's own table
// rules, the required user fields, and the required members of every
// address. Every violation is the documented 500 {"error": ...} naming all
// of them. It answers in the request's format, with the documented user
// details on success.
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
// sandbox cannot know the users of the file it is fed.
//
// The fake's error texts are the API's answers, so they are written as the
// API writes its own: a capital letter and a full stop.
//
// A Fake is safe for concurrent use.
type Fake struct {
	public, private string
	now             func() time.Time // the registration time of a new user

	mu         sync.Mutex
	users      map[int64]*user
	emailOwner map[string]int64 // lower-cased e-mail -> user_id
	applied    []providers.Applied
	updates    int64 // the last user_update_id
	nextAddrID int64
	queued     []fault
}

var (
	_ providers.Fake        = (*Fake)(nil)
	_ providers.ErrorWriter = (*Fake)(nil)
)

// user is what the fake stores of one user: the fields as converted by the
// table's types, its addresses and its mailing lists.
type user struct {
	fields    map[string]any
	addresses []map[string]any
	lists     map[string]bool
	regDate   time.Time
}

// NewFake returns a fake that accepts only the keys in c (if c lacks one,
// every request is refused).
func (Provider) NewFake(c providers.Credentials) providers.Fake { return NewFake(c) }

// NewFake is Provider.NewFake with the concrete type, for tests and the
// sandbox that use its knobs.
func NewFake(c providers.Credentials) *Fake {
	return &Fake{
		public:     c[PublicKeyEnv].Reveal(),
		private:    c[PrivateKeyEnv].Reveal(),
		now:        time.Now,
		users:      make(map[int64]*user),
		emailOwner: make(map[string]int64),
	}
}

type fault struct {
	status     int
	retryAfter string
}

// FailNext answers the next n requests with status (and Retry-After, if not
// empty), in the API's error shape, before looking at them; nothing is
// applied.
func (f *Fake) FailNext(n, status int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.queued = append(f.queued, fault{status, retryAfter})
	}
}

func (f *Fake) nextFault() (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.queued) == 0 {
		return fault{}, false
	}
	ft := f.queued[0]
	f.queued = f.queued[1:]
	return ft, true
}

// Applied lists every request that was applied, in order.
func (f *Fake) Applied() []providers.Applied {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.applied)
}

// User returns a copy of a user's stored fields, addresses included (as
// "addresses", a []map[string]any) and mailing lists (as "maillists", a
// sorted []string).
func (f *Fake) User(id int64) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, false
	}
	out := maps.Clone(u.fields)
	if len(u.addresses) > 0 {
		addrs := make([]map[string]any, len(u.addresses))
		for i, a := range u.addresses {
			addrs[i] = maps.Clone(a)
		}
		out["addresses"] = addrs
	}
	if len(u.lists) > 0 {
		out["maillists"] = slices.Sorted(maps.Keys(u.lists))
	}
	return out, true
}

// WriteError answers r with the API's error shape, in r's format; the
// sandbox uses it for the faults it injects.
func (f *Fake) WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	writeError(w, answerFormat(r), status, msg)
}

// answerFormat is the format of the answer to r: the request's, as its
// Content-Type says, and JSON when it says nothing usable.
func answerFormat(r *http.Request) string {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == xmlType {
		return FormatXML
	}
	return FormatJSON
}

// ServeHTTP checks a request in the order a real server's layers would:
// routing, authentication, then the body.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := answerFormat(r)
	if ft, ok := f.nextFault(); ok {
		if ft.retryAfter != "" {
			w.Header().Set("Retry-After", ft.retryAfter)
		}
		writeError(w, format, ft.status, "injected fault: "+http.StatusText(ft.status))
		return
	}
	if r.URL.Path != Path || r.Method != http.MethodPost {
		writeError(w, format, http.StatusNotFound, fmt.Sprintf("API method (%s) not found.", apiMethod(r)))
		return
	}
	if status := f.checkKeys(r.Header); status != 0 {
		msg := msgMissingKeys
		if status == http.StatusUnauthorized {
			msg = msgInvalidKeys
			if format == FormatXML {
				msg = msgInvalidKeysXML
			}
		}
		writeError(w, format, status, msg)
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); ct != "" && (err != nil || mt != jsonType && mt != xmlType) {
		writeError(w, format, http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not accepted; send application/json or application/xml.", ct))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, format, http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body exceeds %d bytes.", MaxBody))
			return
		}
		writeError(w, format, http.StatusBadRequest, "The request body could not be read.")
		return
	}
	var raw map[string]any
	if format == FormatXML {
		raw, err = decodeXMLRequest(body)
	} else {
		raw, err = decodeJSONRequest(body)
	}
	if err != nil {
		writeError(w, format, http.StatusInternalServerError, err.Error())
		return
	}
	req, problems := check(raw)
	if len(problems) > 0 {
		writeError(w, format, http.StatusInternalServerError, strings.Join(problems, "; "))
		return
	}
	details, err := f.update(req, body)
	if err != nil {
		writeError(w, format, http.StatusInternalServerError, err.Error())
		return
	}
	writeDetails(w, format, details)
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

// checkKeys returns 0 for the right keys, 403 when one is missing and 401
// when one is wrong. It compares in constant time and never echoes a key.
func (f *Fake) checkKeys(h http.Header) int {
	pub, priv := h.Get(publicKeyHeader), h.Get(privateKeyHeader)
	switch {
	case pub == "" || priv == "":
		return http.StatusForbidden
	case f.public == "" || f.private == "",
		subtle.ConstantTimeCompare([]byte(pub), []byte(f.public)) != 1,
		subtle.ConstantTimeCompare([]byte(priv), []byte(f.private)) != 1:
		return http.StatusUnauthorized
	}
	return 0
}

// xmlText is a value as an XML body carries it: text, whatever the field's
// type; check converts it by the table.
type xmlText string

// decodeJSONRequest reads a JSON object, keeping numbers as json.Number so
// that check can tell 5 from "5" and 5.5.
func decodeJSONRequest(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("The request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("The request body is not valid JSON: data after the object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("The request body must be a JSON object.")
	}
	return obj, nil
}

// decodeXMLRequest reads the XML form (see xml.go) into the same shape a
// JSON body decodes to, with xmlText for every value: addresses become a
// []any of objects, maillists an object.
func decodeXMLRequest(body []byte) (map[string]any, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, fmt.Errorf("The request body is not valid XML: %v", strings.TrimPrefix(err.Error(), errNotXML.Error()+": "))
	}
	if root.name != "request" {
		return nil, fmt.Errorf("The XML root element must be <request>, not <%s>.", root.name)
	}
	return xmlObject(root, "")
}

// xmlObject turns an element's children into an object; prefix names the
// element in messages ("addresses[0].").
func xmlObject(n *node, prefix string) (map[string]any, error) {
	if n.attrs {
		return nil, fmt.Errorf("<%s> has attributes, which the API does not take.", n.name)
	}
	obj := make(map[string]any, len(n.children))
	for _, c := range n.children {
		if _, dup := obj[c.name]; dup {
			return nil, fmt.Errorf("%s%s appears twice.", prefix, c.name)
		}
		if c.attrs {
			return nil, fmt.Errorf("<%s> has attributes, which the API does not take.", c.name)
		}
		switch {
		case prefix == "" && c.name == "addresses" && len(c.children) > 0:
			list := make([]any, 0, len(c.children))
			for i, a := range c.children {
				if a.name != itemName("addresses") {
					return nil, fmt.Errorf("<addresses> holds <%s>; each address is an <address> element.", a.name)
				}
				m, err := xmlObject(a, fmt.Sprintf("addresses[%d].", i))
				if err != nil {
					return nil, err
				}
				list = append(list, m)
			}
			obj[c.name] = list
		case len(c.children) > 0:
			m, err := xmlObject(c, prefix+c.name+".")
			if err != nil {
				return nil, err
			}
			obj[c.name] = m
		default:
			obj[c.name] = xmlText(c.text)
		}
	}
	return obj, nil
}

// request is a body that passed every check, its values converted to the
// table's Go types.
type request struct {
	userID    int64
	fields    map[string]any // top-level fields other than addresses and maillists
	addresses []map[string]any
	lists     []string
}

// check converts every value by the table's type and checks the table's
// rules, the required fields and the required members. It returns every
// problem, in table order, unknown fields first.
func check(raw map[string]any) (*request, []string) {
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if f, ok := table.Lookup(k); !ok || f.Path != k || f.Parent() != "" {
			problems = append(problems, fmt.Sprintf("Unknown field %q.", k))
		}
	}
	req := &request{fields: make(map[string]any, len(raw))}
	for _, fd := range table.Fields() {
		if fd.Parent() != "" {
			continue
		}
		v, present := raw[fd.Path]
		if !present || fd.Required && isEmptyText(v) {
			if fd.Required {
				problems = append(problems, fd.Path+" is required.")
			}
			continue
		}
		switch fd.Type {
		case providers.ObjectList, providers.NameSet:
			if isEmptyText(v) {
				continue // an empty <addresses/> or <maillists/>: none
			}
		}
		switch fd.Type {
		case providers.ObjectList:
			addrs, ps := checkAddresses(v)
			problems = append(problems, ps...)
			req.addresses = addrs
		case providers.NameSet:
			lists, ps := checkLists(v)
			problems = append(problems, ps...)
			req.lists = lists
		default:
			cv := convert(fd.Type, v)
			if err := fd.Check(cv); err != nil {
				problems = append(problems, fd.Path+" "+err.Error()+".")
				continue
			}
			req.fields[fd.Path] = cv
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	req.userID = req.fields["user_id"].(int64)
	return req, nil
}

func checkAddresses(v any) ([]map[string]any, []string) {
	list, ok := v.([]any)
	if !ok {
		return nil, []string{"addresses must be an array of address objects."}
	}
	var problems []string
	out := make([]map[string]any, 0, len(list))
	for i, e := range list {
		prefix := fmt.Sprintf("addresses[%d].", i)
		obj, ok := e.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("addresses[%d] must be an object.", i))
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if f, ok := table.Lookup("addresses[]." + k); !ok || f.Path != "addresses[]."+k {
				problems = append(problems, fmt.Sprintf("Unknown field %q.", prefix+k))
			}
		}
		addr := make(map[string]any, len(obj))
		for _, fd := range table.Fields() {
			name, ok := strings.CutPrefix(fd.Path, "addresses[].")
			if !ok {
				continue
			}
			raw, present := obj[name]
			if !present || fd.Required && isEmptyText(raw) {
				if fd.Required {
					problems = append(problems, prefix+name+" is required.")
				}
				continue
			}
			cv := convert(fd.Type, raw)
			if err := fd.Check(cv); err != nil {
				problems = append(problems, prefix+name+" "+err.Error()+".")
				continue
			}
			addr[name] = cv
		}
		out = append(out, addr)
	}
	return out, problems
}

// checkLists accepts the document's {<list_safe_name>: 1, ...}.
func checkLists(v any) ([]string, []string) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, []string{"maillists must be an object of list safe names set to 1."}
	}
	var problems []string
	names := slices.Sorted(maps.Keys(obj))
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			problems = append(problems, "maillists has a list without a name.")
			continue
		}
		if n, ok := convert(providers.Int, obj[name]).(int64); !ok || n != 1 {
			problems = append(problems, fmt.Sprintf("maillists.%s must be 1.", name))
		}
	}
	return names, problems
}

// convert turns a decoded JSON or XML value into the Go type the table's
// rules expect for t. A value of the wrong kind (a JSON string for an int,
// XML text that is not a number) is returned as it is, for Field.Check to
// refuse with the type's message.
func convert(t providers.Type, v any) any {
	switch t {
	case providers.Int:
		switch n := v.(type) {
		case json.Number:
			if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
				return i
			}
		case xmlText:
			if i, err := strconv.ParseInt(strings.TrimSpace(string(n)), 10, 64); err == nil {
				return i
			}
		}
	case providers.Bool:
		if s, ok := v.(xmlText); ok {
			// XML Schema's boolean: true, false, 1, 0.
			switch strings.TrimSpace(string(s)) {
			case "true", "1":
				return true
			case "false", "0":
				return false
			}
		}
	case providers.String, providers.Date, providers.DateTime:
		if s, ok := v.(xmlText); ok {
			return string(s)
		}
	}
	return v
}

// isEmptyText reports an empty string or empty XML element: a required
// field may not be empty. An optional one may, if its rules allow it.
func isEmptyText(v any) bool {
	switch t := v.(type) {
	case string:
		return t == ""
	case xmlText:
		return strings.TrimSpace(string(t)) == ""
	}
	return false
}

// update applies a checked request under the lock, so that two requests
// cannot both claim one e-mail address, and returns the user's details.
func (f *Fake) update(req *request, body []byte) ([]detail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()

	email := req.fields["user_email"].(string)
	key := strings.ToLower(email)
	if owner, ok := f.emailOwner[key]; ok && owner != req.userID {
		return nil, fmt.Errorf("The email address %s is already in use by another user.", email)
	}
	u, ok := f.users[req.userID]
	if !ok {
		u = &user{fields: map[string]any{}, lists: map[string]bool{}, regDate: f.now()}
		f.users[req.userID] = u
	}
	if old, ok := u.fields["user_email"].(string); ok && f.emailOwner[strings.ToLower(old)] == req.userID {
		delete(f.emailOwner, strings.ToLower(old))
	}
	f.emailOwner[key] = req.userID
	maps.Copy(u.fields, req.fields)
	for _, a := range req.addresses {
		f.putAddress(u, a)
	}
	for _, l := range req.lists {
		u.lists[l] = true
	}
	f.updates++
	f.applied = append(f.applied, providers.Applied{Key: strconv.FormatInt(req.userID, 10), Body: slices.Clone(body)})
	return f.details(req.userID, u), nil
}

// putAddress updates the address with the sent address_id, or adds a new
// one ("Leave blank to add a new address"). A current address makes the
// others of its type not current: "Only one current address per type."
// Call with f.mu held.
func (f *Fake) putAddress(u *user, a map[string]any) {
	a = maps.Clone(a)
	if cur, _ := a["address_current"].(bool); cur {
		for _, other := range u.addresses {
			if other["address_type"] == a["address_type"] {
				other["address_current"] = false
			}
		}
	}
	if id, ok := a["address_id"].(int64); ok {
		for _, other := range u.addresses {
			if other["address_id"] == id {
				maps.Copy(other, a)
				return
			}
		}
		f.nextAddrID = max(f.nextAddrID, id)
	} else {
		f.nextAddrID++
		a["address_id"] = f.nextAddrID
	}
	u.addresses = append(u.addresses, a)
}

// detail is one member of the success answer; its order is the document's.
type detail struct {
	name    string
	value   any  // nil for a field the user does not have
	xmlOnly bool // only the XML answer has it
}

// details is the document's success answer for u. Call with f.mu held.
func (f *Fake) details(id int64, u *user) []detail {
	field := func(name string, dflt any) detail {
		if v, ok := u.fields[name]; ok {
			return detail{name: name, value: v}
		}
		return detail{name: name, value: dflt}
	}
	lists, _ := json.Marshal(slices.Sorted(maps.Keys(u.lists)))
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
		{name: "user_reg_date", value: u.regDate.UTC().Format(time.DateTime)},
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
// document's order.
func writeDetails(w http.ResponseWriter, format string, ds []detail) {
	var b strings.Builder
	if format == FormatXML {
		b.WriteString(xmlHeader + "\n<response>")
		for _, d := range ds {
			b.WriteString("<" + d.name + ">")
			if d.value != nil {
				_ = writeTextTo(&b, fmt.Sprint(d.value))
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
