package providers

import (
	"strings"
	"unicode/utf8"
)

const maxMessage = 500

func messageIn(v any, depth int) string {
	if depth > 3 {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			if m := messageIn(e, depth+1); m != "" {
				parts = append(parts, m)
			}
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		for _, k := range []string{"message", "error", "errors", "detail", "error_description", "status"} {
			if m := messageIn(t[k], depth+1); m != "" {
				if f, ok := t["field"].(string); ok && f != "" && k != "errors" {
					return f + ": " + m
				}
				return m
			}
		}
	}
	return ""
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
