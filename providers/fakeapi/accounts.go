package fakeapi

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Accounts is where a fake keeps its accounts: each account's fields by its
// key, an account created on first use (a sandbox cannot know the accounts
// of the file it is fed), and the fields whose values no two accounts may
// share, such as an e-mail address that is a login. It is safe for
// concurrent use; Update runs a whole change under one lock, so that two
// requests cannot both claim one e-mail address.
type Accounts struct {
	mu       sync.Mutex
	accounts map[string]*Account
	unique   map[string]map[string]string // field -> folded value -> key
	created  int64
}

// NewAccounts returns an empty store whose unique fields are the given
// ones. Unique values are compared without regard to case.
func NewAccounts(unique ...string) *Accounts {
	a := &Accounts{accounts: make(map[string]*Account), unique: make(map[string]map[string]string)}
	for _, f := range unique {
		a.unique[f] = make(map[string]string)
	}
	return a
}

// Account is one account, as Update hands it to a change.
type Account struct {
	// Seq numbers the accounts in the order they were created, from 1: an
	// API's own account number.
	Seq    int64
	key    string
	fields map[string]any
	store  *Accounts
}

// Field returns one of the account's fields.
func (a *Account) Field(name string) (any, bool) {
	v, ok := a.fields[name]
	return v, ok
}

// Fields returns a deep copy of the account's fields.
func (a *Account) Fields() map[string]any { return deepCopy(a.fields).(map[string]any) }

// Taken reports whether another account holds value in the unique field.
func (a *Account) Taken(field, value string) bool {
	owner, ok := a.store.unique[field][strings.ToLower(value)]
	return ok && owner != a.key
}

// Set sets a field, keeping the unique fields' index in step: the account's
// old value is freed.
func (a *Account) Set(field string, v any) {
	a.free(field)
	a.fields[field] = v
	if idx, ok := a.store.unique[field]; ok {
		if s, ok := v.(string); ok {
			idx[strings.ToLower(s)] = a.key
		}
	}
}

// Delete removes a field.
func (a *Account) Delete(field string) {
	a.free(field)
	delete(a.fields, field)
}

func (a *Account) free(field string) {
	idx, ok := a.store.unique[field]
	if !ok {
		return
	}
	if old, ok := a.fields[field].(string); ok && idx[strings.ToLower(old)] == a.key {
		delete(idx, strings.ToLower(old))
	}
}

// ErrUnchanged is what a change returns when it refuses the update.
var ErrUnchanged = errors.New("fakeapi: unchanged")

// Update runs change on the account key under the store's lock, creating
// the account if it is new. If change returns an error (ErrUnchanged, or
// its own), an account it created is removed again; fields it set are not
// unset, so a change decides before it sets anything.
func (s *Accounts) Update(key string, change func(*Account) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc, ok := s.accounts[key]
	if !ok {
		s.created++
		acc = &Account{Seq: s.created, key: key, fields: make(map[string]any), store: s}
		s.accounts[key] = acc
	}
	err := change(acc)
	if err != nil && !ok {
		delete(s.accounts, key)
		s.created--
	}
	return err
}

// Seed sets fields of an account, creating it, so that tests can provoke
// the uniqueness rules.
func (s *Accounts) Seed(key string, fields map[string]any) {
	_ = s.Update(key, func(a *Account) error {
		for k, v := range fields {
			a.Set(k, v)
		}
		return nil
	})
}

// Get returns a deep copy of an account's fields.
func (s *Accounts) Get(key string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	acc, ok := s.accounts[key]
	if !ok {
		return nil, false
	}
	return deepCopy(acc.fields).(map[string]any), true
}

// deepCopy copies the values a fake stores: maps and slices of them, bytes.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(t))
		for i, e := range t {
			out[i] = maps.Clone(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	case []string:
		return slices.Clone(t)
	case []byte:
		return slices.Clone(t)
	case map[string]int64:
		return maps.Clone(t)
	}
	return v
}
