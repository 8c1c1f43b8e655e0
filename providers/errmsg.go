package providers

import (
	"encoding/json"
	"strings"
)

// ErrorMessage pulls a human-readable message out of an error body in the
// shapes APIs commonly use ({"error": "..."}, {"message": "..."},
// {"errors": [{"message": ...}]}, {"status": {"message": ...}}, OAuth's
// {"error": code, "error_description": text}, ASP.NET's {"Message": ...,
// "MessageDetail": ...}), falling back to the body as text. It returns the
// whole message: the exchange scrubs secrets from it before it clips it.
func ErrorMessage(body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		if m := messageIn(v, 0); m != "" {
			return m
		}
	}
	return strings.Join(strings.Fields(string(body)), " ")
}

// messageKeys are the members that hold a message, most telling first.
// Keys are compared without regard to case: ASP.NET writes "Message".
var messageKeys = []string{"message", "error", "errors", "detail", "error_description", "status"}

func messageIn(v any, depth int) string {
	if depth > 3 {
		return ""
	}
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t)
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			if m := messageIn(e, depth+1); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		lower := make(map[string]any, len(t))
		for k, e := range t {
			if _, dup := lower[strings.ToLower(k)]; !dup || k == strings.ToLower(k) {
				lower[strings.ToLower(k)] = e
			}
		}
		// OAuth's shape: the code says what kind, the description why.
		if code, ok := lower["error"].(string); ok {
			if desc := messageIn(lower["error_description"], depth+1); desc != "" {
				if code = strings.TrimSpace(code); code != "" {
					return code + ": " + desc
				}
				return desc
			}
		}
		for _, k := range messageKeys {
			m := messageIn(lower[k], depth+1)
			if m == "" {
				continue
			}
			if k == "message" {
				// ASP.NET adds the particulars beside its general message.
				for _, dk := range []string{"messagedetail", "exceptionmessage"} {
					if d := messageIn(lower[dk], depth+1); d != "" && d != m {
						m += ": " + d
					}
				}
			}
			if f, ok := lower["field"].(string); ok && f != "" && k != "errors" {
				return f + ": " + m
			}
			return m
		}
	}
	return ""
}
