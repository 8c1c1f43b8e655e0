package providers

import (
	"encoding/base64"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSON appends v as encoding/json writes it without HTML escaping
// (object keys sorted, []byte as base64), for the value types a payload is
// built of. It reports false for any other type, and the caller falls back
// to encoding/json: the fast path is an optimisation, never a different
// encoding. It exists because encoding/json reflects on every map and sorts
// its keys through reflect.Values, several microseconds a row.
func appendJSON(dst []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendString(dst, x), true
	case bool:
		return strconv.AppendBool(dst, x), true
	case int64:
		return strconv.AppendInt(dst, x, 10), true
	case int:
		return strconv.AppendInt(dst, int64(x), 10), true
	case []string:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, s)
		}
		return append(dst, ']'), true
	case []byte:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, x)
		return append(dst, '"'), true
	case map[string]int64:
		if x == nil {
			return append(dst, "null"...), true
		}
		keys := sortedKeys(x)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(appendString(dst, k), ':')
			dst = strconv.AppendInt(dst, x[k], 10)
		}
		return append(dst, '}'), true
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), true
		}
		return appendObject(dst, x, false, "", nil)
	case []any:
		if x == nil {
			return append(dst, "null"...), true
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var ok bool
			if dst, ok = appendJSON(dst, e); !ok {
				return dst, false
			}
		}
		return append(dst, ']'), true
	}
	return dst, false
}

// appendObject writes m as a JSON object, with one more member, extraKey,
// when hasExtra: a provider's option that travels in the body (Payway's
// atomic) is added in its sorted place without copying the payload.
func appendObject(dst []byte, m map[string]any, hasExtra bool, extraKey string, extra any) ([]byte, bool) {
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	if hasExtra {
		keys = append(keys, extraKey)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(appendString(dst, k), ':')
		v, ok := m[k]
		if hasExtra && k == extraKey {
			v = extra
		}
		if dst, ok = appendJSON(dst, v); !ok {
			return dst, false
		}
	}
	return append(dst, '}'), true
}

// MarshalJSONWith is MarshalJSON of payload with one more member, key, set
// to v; payload must not hold key.
func MarshalJSONWith(payload map[string]any, key string, v any) ([]byte, error) {
	if b, ok := appendObject(make([]byte, 0, 512), payload, true, key, v); ok {
		return b, nil
	}
	withKey := make(map[string]any, len(payload)+1)
	for k, e := range payload {
		withKey[k] = e
	}
	withKey[key] = v
	return MarshalJSON(withKey)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// appendString quotes s as encoding/json does with HTML escaping off:
// control characters as \n, \r, \t, \b, \f or \u00XX, invalid UTF-8 as \ufffd, and
// U+2028 and U+2029 escaped, since JavaScript treats them as line ends.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendJSONString appends s as a JSON string, as encoding/json writes it
// with HTML escaping off.
func AppendJSONString(dst []byte, s string) []byte { return appendString(dst, s) }
