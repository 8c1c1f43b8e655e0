package providers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/acctimport/acctimport/internal/suggest"
)

// Registry holds providers by name. Build it once from a list (see package
// all); a duplicate name is a programming error and panics, as
// database/sql.Register does.
type Registry struct {
	byName map[string]Provider
	names  []string
}

// NewRegistry registers ps.
func NewRegistry(ps ...Provider) *Registry {
	r := &Registry{byName: make(map[string]Provider, len(ps))}
	for _, p := range ps {
		name := p.Info().Name
		if _, dup := r.byName[name]; dup {
			panic("providers: Register called twice for " + name)
		}
		r.byName[name] = p
		r.names = append(r.names, name)
	}
	sort.Strings(r.names)
	return r
}

// Lookup finds a provider by name; the error lists the known ones and the
// nearest match.
func (r *Registry) Lookup(name string) (Provider, error) {
	if p, ok := r.byName[name]; ok {
		return p, nil
	}
	if p, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]; ok {
		return p, nil
	}
	msg := fmt.Sprintf("unknown provider %q", name)
	if s, ok := suggest.Closest(name, r.names); ok {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return nil, fmt.Errorf("%s (known: %s)", msg, strings.Join(r.names, ", "))
}

// Names lists the registered providers, sorted.
func (r *Registry) Names() []string { return append([]string(nil), r.names...) }

// All lists the registered providers, sorted by name.
func (r *Registry) All() []Provider {
	out := make([]Provider, len(r.names))
	for i, n := range r.names {
		out[i] = r.byName[n]
	}
	return out
}
