package providers

import (
	"fmt"
	"reflect"
	"strings"
)

// OptionField is one knob of a provider's Options, as a mapping writes it.
type OptionField struct {
	Name   string   // the yaml key
	Type   string   // "bool", "string", ...
	Doc    string   // the field's `doc` struct tag
	Values []string // the values it takes, from its `values` tag ("json|xml"); nil: any of Type
}

// OptionFields lists the knobs of the struct o points to, from its yaml
// tags (the names a mapping uses), doc tags (what they mean) and values
// tags (what they take, when only some values of their type are allowed):
//
//	Atomic *bool `yaml:"atomic" doc:"true applies all fields or none"`
//	Format string `yaml:"format" values:"json|xml" doc:"..."`
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
		var values []string
		if v := f.Tag.Get("values"); v != "" {
			values = strings.Split(v, "|")
		}
		out = append(out, OptionField{Name: name, Type: ft.Kind().String(), Doc: f.Tag.Get("doc"), Values: values})
	}
	return out
}

// OptionsAs returns opts as a provider's own options type O (its zero
// value, nil, for no options), or an error naming both types when a caller
// passes another provider's.
func OptionsAs[O Options](provider string, opts Options) (O, error) {
	var zero O
	if opts == nil {
		return zero, nil
	}
	if o, ok := opts.(O); ok {
		return o, nil
	}
	return zero, fmt.Errorf("%s: options of type %T, want %T", provider, opts, zero)
}
