package providers

import (
	"bytes"
	"encoding/json"
	"testing"
)

// reference is encoding/json with HTML escaping off: what the fast path
// must write, byte for byte.
func reference(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	payloads := []any{
		map[string]any{
			"id": "ab12", "n": int64(-42), "ok": true, "no": false, "tags": []string{"a", "b"}, "empty": []string{},
			"photo": []byte{0xFF, 0xD8, 0xFF, 0}, "lists": map[string]int64{"z": 1, "a": 1},
			"address":   map[string]any{"city": "Göteborg", "street": "Väg \"1\" & <2>"},
			"addresses": []any{map[string]any{"zip": "1"}, map[string]any{"zip": "2"}},
			"nil":       nil,
		},
		map[string]any{"ctl": "a\x00b\x1fc\n\r\t\\\b\f", "bad": "\xff\xfe", "sep": "x\u2028y\u2029z", "emoji": "😀", "del": "\x7f"},
		map[string]any{},
		"plain",
	}
	for _, p := range payloads {
		got, ok := appendJSON(nil, p)
		if !ok {
			t.Fatalf("fast path refused %v", p)
		}
		if want := reference(t, p); !bytes.Equal(got, want) {
			t.Errorf("\ngot  %s\nwant %s", got, want)
		}
	}
	if _, ok := appendJSON(nil, map[string]any{"f": 1.5}); ok {
		t.Error("a float took the fast path")
	}
	if b, err := MarshalJSON(map[string]any{"f": 1.5}); err != nil || string(b) != `{"f":1.5}` {
		t.Errorf("fallback: %s %v", b, err)
	}
}

// FuzzAppendJSON checks the fast path against encoding/json on any strings.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "a", "\x00", "\xff", "\u2028", "é", `"\`, "<&>"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, k, v string) {
		p := map[string]any{k: v, "list": []string{v, k}, "set": map[string]int64{v: 1}}
		got, ok := appendJSON(nil, p)
		if !ok {
			t.Fatal("refused")
		}
		if want := reference(t, p); !bytes.Equal(got, want) {
			t.Fatalf("\ngot  %q\nwant %q", got, want)
		}
	})
}

func BenchmarkMarshalJSON(b *testing.B) {
	p := map[string]any{"id": "5f3ac249f6aef294d0000071", "email": "anna@example.se", "first_name": "Anna", "last_name": "Karlsson",
		"birth_date": "1987-03-15", "tags": []string{"print", "digital"}, "atomic": true,
		"address": map[string]any{"street": "Storgatan 1", "zip_code": "11122", "city": "Stockholm", "country_code": "SE"}}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_, _ = MarshalJSON(p)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			reference(b, p)
		}
	})
}

func TestMarshalJSONWith(t *testing.T) {
	p := map[string]any{"b": "x", "d": int64(1)}
	for _, tc := range []struct {
		key  string
		v    any
		want string
	}{
		{"a", true, `{"a":true,"b":"x","d":1}`},
		{"c", false, `{"b":"x","c":false,"d":1}`},
		{"e", "z", `{"b":"x","d":1,"e":"z"}`},
		{"f", 1.5, `{"b":"x","d":1,"f":1.5}`}, // through encoding/json
	} {
		got, err := MarshalJSONWith(p, tc.key, tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.key, got, err, tc.want)
		}
	}
	if len(p) != 2 {
		t.Errorf("the payload was changed: %v", p)
	}
}
