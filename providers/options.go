package providers

import (
	"reflect"
	"strings"
)

// OptionField is one knob of a provider's Options, as a mapping writes it.
type OptionField struct {
	Name string // the yaml key
	Type string // "bool", "string", ...
	Doc  string // the field's `doc` struct tag
}

// OptionFields lists the knobs of the struct o points to, from its yaml
// tags (the names a mapping uses) and doc tags (what they mean):
//
//	Atomic *bool `yaml:"atomic" doc:"true applies all fields or none"`
func OptionFields(o Options) []OptionField {
	t := reflect.TypeOf(o)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []OptionField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out = append(out, OptionField{Name: name, Type: ft.Kind().String(), Doc: f.Tag.Get("doc")})
	}
	return out
}
