package fairwarning

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/acctimport/acctimport/providers/fakeapi"
)

// The XML form of a request. The document shows only a flat <request> of
// user fields; for the two members it shows in JSON alone, this package uses
// the XML that mirrors the JSON one to one, and the fake accepts exactly
// that:
//
//	<addresses><address><address_type>1</address_type>...</address>...</addresses>
//	<maillists><auctions>1</auctions><firearms-news>1</firearms-news></maillists>
//
// Booleans are written 1 and 0, never true and false: XML carries text, and
// a server that casts the text "false" to a boolean (PHP's (bool) does) reads
// it as true. Numbers are written in decimal, text escaped.

// xmlHeader is the declaration the document's examples start with.
const xmlHeader = `<?xml version="1.0"?>`

// itemNames names the element of each array item; an array not listed here
// has <item> elements.
var itemNames = map[string]string{"addresses": "address"}

func itemName(array string) string {
	if n, ok := itemNames[array]; ok {
		return n
	}
	return "item"
}

// encodeXML writes payload as a <request>. Fields come in the table's
// order (the document's), so the body reads like its example; names the
// table does not know follow in sorted order.
func encodeXML(payload map[string]any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("\n<request>")
	if err := writeMembers(&b, payload, ""); err != nil {
		return nil, err
	}
	b.WriteString("</request>\n")
	return b.Bytes(), nil
}

// writeMembers writes the members of one object; prefix is the table path
// of the object ("" at the top, "addresses[]." in an address).
func writeMembers(b *bytes.Buffer, obj map[string]any, prefix string) error {
	for _, k := range memberOrder(obj, prefix) {
		if err := checkName(k, strings.TrimSuffix(prefix, ".")); err != nil {
			return err
		}
		if err := writeElement(b, k, obj[k], prefix+k); err != nil {
			return err
		}
	}
	return nil
}

// memberOrder lists obj's keys in table order, then the unknown ones sorted.
func memberOrder(obj map[string]any, prefix string) []string {
	keys := make([]string, 0, len(obj))
	known := make(map[string]bool, len(obj))
	for _, f := range table.Fields() {
		name, ok := strings.CutPrefix(f.Path, prefix)
		if !ok || strings.ContainsAny(name, ".[") {
			continue
		}
		if _, in := obj[name]; in {
			keys = append(keys, name)
			known[name] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// checkName refuses a member name that XML cannot use as an element name;
// parent names the object it is in ("" at the top).
func checkName(name, parent string) error {
	if isXMLName(name) {
		return nil
	}
	if parent != "" {
		parent += ": "
	}
	return fmt.Errorf("%s%q cannot be an XML element name; use options: {format: json}", parent, name)
}

// writeElement writes v as the element name; path names it in errors.
func writeElement(b *bytes.Buffer, name string, v any, path string) error {
	b.WriteString("<" + name + ">")
	switch t := v.(type) {
	case string:
		if err := writeText(b, t, path); err != nil {
			return err
		}
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case bool:
		b.WriteString(xmlBool(t))
	case []byte:
		b.WriteString(base64.StdEncoding.EncodeToString(t))
	case []string:
		for _, s := range t {
			if err := writeElement(b, itemName(name), s, path+"[]"); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range t {
			if err := writeElement(b, itemName(name), e, path+"[]"); err != nil {
				return err
			}
		}
	case map[string]int64:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if err := checkName(k, path); err != nil {
				return err
			}
			if err := writeElement(b, k, t[k], path+"."+k); err != nil {
				return err
			}
		}
	case map[string]any:
		if err := writeMembers(b, t, path+"."); err != nil {
			return err
		}
	case nil:
	default:
		return fmt.Errorf("%s: a value of type %T cannot be sent", path, v)
	}
	b.WriteString("</" + name + ">")
	return nil
}

// xmlBool writes a boolean as XML's 1 or 0.
func xmlBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// writeText escapes s. A character XML 1.0 cannot carry at all (most control
// characters) is an error: encoding/xml would quietly replace it.
func writeText(b *bytes.Buffer, s, path string) error {
	for _, r := range s {
		if !isXMLChar(r) {
			return fmt.Errorf("%s holds the character %U, which XML cannot carry; remove it or use options: {format: json}", path, r)
		}
	}
	return xml.EscapeText(b, []byte(s))
}

// isXMLChar is XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// isXMLName accepts a plain (namespace-free) XML element name: a letter or
// underscore, then letters, digits, '-', '.', '_'.
func isXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// node is one element of an XML document: its text, or its children.
type node struct {
	name     string
	text     string
	children []*node
	attrs    bool // it had attributes
}

// child returns the first child named name.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// errNotXML is a body that is not one well-formed XML element.
var errNotXML = errors.New("malformed XML")

// maxDepth bounds nesting: the deepest document here is three levels.
const maxDepth = 8

// parseXML reads a whole document into its root element. It refuses DTDs
// (no entity tricks), mixed content, nesting deeper than maxDepth and
// anything after the root.
func parseXML(body []byte) (*node, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: not UTF-8", errNotXML)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	var root *node
	var stack []*node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fmt.Errorf("%w: data after the root element", errNotXML)
			}
			if len(stack) == maxDepth {
				return nil, fmt.Errorf("%w: nested too deeply", errNotXML)
			}
			n := &node{name: t.Name.Local, attrs: len(t.Attr) > 0}
			if t.Name.Space != "" {
				n.name = t.Name.Space + ":" + t.Name.Local
			}
			if len(stack) == 0 {
				root = n
			} else {
				parent := stack[len(stack)-1]
				if strings.TrimSpace(parent.text) != "" {
					return nil, fmt.Errorf("%w: <%s> mixes text and elements", errNotXML, parent.name)
				}
				parent.text = ""
				parent.children = append(parent.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: text outside the root element", errNotXML)
				}
				continue
			}
			n := stack[len(stack)-1]
			if len(n.children) > 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: <%s> mixes text and elements", errNotXML, n.name)
				}
				continue
			}
			n.text += string(t)
		case xml.Directive:
			return nil, fmt.Errorf("%w: DTDs and directives are not accepted", errNotXML)
		case xml.ProcInst, xml.Comment:
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", errNotXML)
	}
	return root, nil
}

// decodeXMLRequest reads the XML form (see xml.go) into the shape a JSON
// body decodes to, with fakeapi.Text for every value: addresses become a
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
			obj[c.name] = fakeapi.Text(c.text)
		}
	}
	return obj, nil
}
