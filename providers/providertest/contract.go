package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fakeapi"
)

// Harness is what a provider's tests tell the contract suite about it, as a
// Go CDK driver gives drivertest a way to make a bucket.
type Harness struct {
	Provider providers.Provider
	// Options are the options every check runs with, once each (FairWarning:
	// JSON and XML); none means the provider's NewOptions().
	Options []providers.Options
	// Payload returns a valid payload for account n (n = 1, 2, ...), as the
	// mapping builds it: the fake applies it, and no two accounts clash.
	Payload func(n int) map[string]any
	// Place returns Payload(n) with v at f's place: a member of an object
	// inside a valid object of that kind.
	Place func(n int, f providers.Field, v any) map[string]any
	// Cases are the examples of the field table (see CheckFieldCases).
	Cases map[string]FieldCase
	// TableGolden is the golden file of the table and its rules' words (see
	// TableGolden); "" for none.
	TableGolden string
	// Sendable reports whether an example can be sent as itself with opts
	// (XML carries only text: an int64 for a string field is a fine string
	// there); nil: every example can.
	Sendable func(opts providers.Options, f providers.Field, v any) bool
	// Unique returns Payload(n) with its unique field (an e-mail address
	// that is a login) set to value; nil for an API without one.
	Unique func(n int, value string) map[string]any
}

// Faulty is what the shared engine gives every fake: faults injected in
// front of the API.
type Faulty interface {
	FailNext(n, status int, retryAfter string)
	SetFault(hook func(*http.Request) (fakeapi.Fault, bool))
	MaxBody() int64
}

// Run runs the contract every provider and its fake keep: what Info
// promises, strict options, the fake applying a valid payload through the
// shared Exchange and refusing bad credentials, wrong routes, media types,
// oversized and malformed bodies, every valid example of the table
// accepted and every invalid one refused naming its field, injected faults
// answered in the API's own shape, no secret in any answer, and a log of
// what was applied that only accepted requests reach.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if len(h.Options) == 0 {
		h.Options = []providers.Options{h.Provider.NewOptions()}
	}
	t.Run("FieldCases", func(t *testing.T) { CheckFieldCases(t, h.Provider.Table(), h.Cases) })
	if h.TableGolden != "" {
		t.Run("TableGolden", func(t *testing.T) { TableGolden(t, h.Provider.Table(), h.Cases, h.TableGolden, *Update) })
	}
	t.Run("Info", h.testInfo)
	t.Run("Options", h.testOptions)
	t.Run("Encode", h.testEncode)
	for _, opts := range h.Options {
		name := fmt.Sprintf("%+v", opts)
		t.Run("Applies/"+name, func(t *testing.T) { h.testApplies(t, opts) })
		t.Run("Credentials/"+name, func(t *testing.T) { h.testCredentials(t, opts) })
		t.Run("Faults/"+name, func(t *testing.T) { h.testFaults(t, opts) })
		t.Run("Refusals/"+name, func(t *testing.T) { h.testRefusals(t, opts) })
		t.Run("ValidExamples/"+name, func(t *testing.T) { h.testValidExamples(t, opts) })
		t.Run("InvalidExamples/"+name, func(t *testing.T) { h.testInvalidExamples(t, opts) })
		t.Run("Concurrent/"+name, func(t *testing.T) { h.testConcurrent(t, opts) })
		if h.Unique != nil {
			t.Run("Unique/"+name, func(t *testing.T) { h.testUnique(t, opts) })
		}
	}
}

// rig is one fake on a loopback server, with every answer it wrote kept so
// that no secret can hide in one.
type rig struct {
	h     Harness
	creds providers.Credentials
	fake  providers.Fake
	srv   *httptest.Server
	opts  providers.Options

	mu      sync.Mutex
	answers []string
}

func (h Harness) rig(t *testing.T, opts providers.Options) *rig {
	t.Helper()
	r := &rig{h: h, creds: providers.SandboxCredentials(h.Provider), opts: opts}
	r.fake = h.Provider.NewFake(r.creds)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := httptest.NewRecorder()
		r.fake.ServeHTTP(rec, req)
		r.mu.Lock()
		r.answers = append(r.answers, rec.Body.String())
		r.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(func() {
		r.srv.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, a := range r.answers {
			NoSecret(t, a, r.creds)
		}
	})
	return r
}

func (r *rig) exchange(t *testing.T, creds providers.Credentials) *providers.Exchange {
	return Exchange(t, r.h.Provider, r.srv, creds, r.opts)
}

func (r *rig) applied() int { return len(r.fake.Applied()) }

func (h Harness) testInfo(t *testing.T) {
	info := h.Provider.Info()
	if info.Name == "" || info.Title == "" || info.Method == "" || !strings.HasPrefix(info.Path, "/") {
		t.Errorf("Info() = %+v", info)
	}
	// Where the documentation is, in words a user can follow: not a file
	// of this repository.
	if info.Document == "" || strings.Contains(info.Document, ".txt") || strings.Contains(info.Document, "seeds/") {
		t.Errorf("Document %q does not say where the documentation is", info.Document)
	}
	if f, ok := h.Provider.Table().Lookup(info.Key); !ok || f.Parent() != "" {
		t.Errorf("key %q is not a top-level field", info.Key)
	}
	if len(info.Credentials) == 0 {
		t.Error("no credentials")
	}
	for _, f := range h.Provider.Table().Fields() {
		if strings.TrimSpace(f.Description) == "" {
			t.Errorf("%s has no description", f.Path)
		}
	}
	for env, s := range providers.SandboxCredentials(h.Provider) {
		for _, c := range info.Credentials {
			if c.Env == env && (c.Description == "" || c.Check != nil && c.Check(s.Reveal()) != nil) {
				t.Errorf("credential %s: no description, or its sandbox value is refused", env)
			}
		}
	}
	_, err := providers.LoadCredentials(h.Provider, func(string) string { return "" })
	for _, c := range info.Credentials {
		if err == nil || !strings.Contains(err.Error(), c.Env) {
			t.Errorf("missing credentials: %v, want it to name %s", err, c.Env)
		}
	}
}

func (h Harness) testOptions(t *testing.T) {
	for _, src := range []string{"{}", ""} {
		o := h.Provider.NewOptions()
		if _, err := DecodeOptions(h.Provider, src); err != nil {
			t.Errorf("options %q: %v", src, err)
		}
		if err := o.Validate(); err != nil {
			t.Errorf("NewOptions().Validate() = %v", err)
		}
	}
	if _, err := DecodeOptions(h.Provider, "no_such_option: 1"); err == nil {
		t.Error("an unknown option was accepted")
	}
}

func (h Harness) testEncode(t *testing.T) {
	info := h.Provider.Info()
	for _, opts := range h.Options {
		payload := h.Payload(1)
		before, _ := json.Marshal(payload)
		req, err := h.Provider.Encode(payload, opts)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := json.Marshal(payload); !bytes.Equal(before, after) {
			t.Errorf("Encode changed the payload: %s", after)
		}
		prefix, _, _ := strings.Cut(info.Path, "{")
		if req.Method != info.Method || !strings.HasPrefix(req.Path, prefix) || req.ContentType == "" || len(req.Body) == 0 {
			t.Errorf("request %s %s %q, want %s %s", req.Method, req.Path, req.ContentType, info.Method, info.Path)
		}
		type otherOptions struct{ providers.Options }
		if _, err := h.Provider.Encode(payload, otherOptions{}); err == nil {
			t.Error("another provider's options were accepted")
		}
	}
	r, _ := http.NewRequest(info.Method, "http://x"+info.Path, nil)
	h.Provider.Authorize(r, nil)
	if len(r.Header) != 0 || r.URL.RawQuery != "" {
		t.Errorf("without credentials, Authorize added %v %q", r.Header, r.URL.RawQuery)
	}
}

func (h Harness) testApplies(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	x := r.exchange(t, r.creds)
	// Two accounts, and a refused request between them that the log must
	// not show.
	var want []providers.Applied
	for i, payload := range []map[string]any{h.Payload(1), h.invalid(opts), h.Payload(2)} {
		req, err := h.Provider.Encode(payload, opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.Do(context.Background(), req)
		if ok := err == nil && res.Outcome == providers.OK && res.HTTPStatus/100 == 2; ok != (i != 1) {
			t.Errorf("request %d: %+v, %v", i, res, err)
		}
		if i != 1 {
			want = append(want, providers.Applied{Key: fmt.Sprint(payload[h.Provider.Info().Key]), Body: req.Body})
		}
	}
	got := r.fake.Applied()
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("Applied() = %q\nwant %q: the keys and the bodies sent, in order", got, want)
	}
	got[0].Body[0] ^= 0xff
	if again := r.fake.Applied(); !bytes.Equal(again[0].Body, want[0].Body) {
		t.Error("Applied shares its bodies with the fake")
	}
}

// invalid is Payload(1) with the first invalid example of the table that
// can be sent with opts: a request the fake must refuse.
func (h Harness) invalid(opts providers.Options) map[string]any {
	for _, f := range h.Provider.Table().Fields() {
		for _, v := range h.Cases[f.Path].Invalid {
			if h.Sendable != nil && !h.Sendable(opts, f, v) || f.Path == h.Provider.Info().Key {
				continue
			}
			p := h.Place(1, f, v)
			if _, err := h.Provider.Encode(p, opts); err == nil {
				return p
			}
		}
	}
	return nil
}

// Credentials: a missing one and a wrong one are refused with 401 or 403,
// which stops a run, and nothing is applied; a fake without credentials
// refuses everything.
func (h Harness) testCredentials(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	cases := map[string]providers.Credentials{"none": {}}
	for env, s := range r.creds {
		missing, wrong := providers.Credentials{}, providers.Credentials{}
		for k, v := range r.creds {
			if k != env {
				missing[k], wrong[k] = v, v
			}
		}
		wrong[env] = providers.NewSecret(s.Reveal() + "-wrong")
		cases["without "+env], cases["wrong "+env] = missing, wrong
	}
	for name, creds := range cases {
		_, err := Send(t, r.exchange(t, creds), h.Payload(1))
		var ae *providers.APIError
		if !errors.As(err, &ae) || (ae.Status != 401 && ae.Status != 403) || !providers.Fatal(err) || ae.Message == "" {
			t.Errorf("%s: %v, want a 401 or 403 that stops the run", name, err)
		}
		if retry, _ := providers.Retryable(err); retry {
			t.Errorf("%s: retryable", name)
		}
		NoSecret(t, fmt.Sprint(err), r.creds, creds)
	}
	closed := httptest.NewServer(h.Provider.NewFake(nil))
	defer closed.Close()
	_, err := Send(t, Exchange(t, h.Provider, closed, r.creds, opts), h.Payload(1))
	if !providers.Fatal(err) {
		t.Errorf("a fake without credentials: %v", err)
	}
	if n := r.applied(); n != 0 {
		t.Errorf("%d applied", n)
	}
}

// Faults are answered before anything else, in the API's own error shape,
// and read as retryable; a slow answer gives way to the caller's deadline.
func (h Harness) testFaults(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	f, ok := r.fake.(Faulty)
	if !ok {
		t.Fatalf("the fake (%T) does not run on the shared engine", r.fake)
	}
	x := r.exchange(t, r.creds)
	f.FailNext(1, http.StatusTooManyRequests, "7")
	_, err := Send(t, x, h.Payload(1))
	var ae *providers.APIError
	if retry, wait := providers.Retryable(err); !retry || wait != 7*time.Second || !errors.As(err, &ae) || !strings.Contains(ae.Message, "injected fault") {
		t.Errorf("429: %v: retryable %v after %v, want true after 7s with the fault's message", err, retry, wait)
	}
	f.FailNext(1, http.StatusServiceUnavailable, "")
	if _, err := Send(t, x, h.Payload(1)); !isRetryable(err) {
		t.Errorf("503: %v is not retryable", err)
	}
	f.SetFault(func(*http.Request) (fakeapi.Fault, bool) { return fakeapi.Fault{Delay: time.Minute}, true })
	req, _ := h.Provider.Encode(h.Payload(1), opts)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := x.Do(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow answer: %v, want the deadline", err)
	}
	f.SetFault(nil)
	if res, err := Send(t, x, h.Payload(1)); err != nil || res.Outcome != providers.OK {
		t.Errorf("after the faults: %+v, %v", res, err)
	}
	if n := r.applied(); n != 1 {
		t.Errorf("%d applied, want 1", n)
	}
	// As the sandbox injects them.
	ew, ok := r.fake.(providers.ErrorWriter)
	if !ok {
		t.Fatal("the fake is not a providers.ErrorWriter")
	}
	rec := httptest.NewRecorder()
	hr := httptest.NewRequest(req.Method, req.Path, nil)
	hr.Header.Set("Content-Type", req.ContentType)
	ew.WriteError(rec, hr, http.StatusServiceUnavailable, "down for <maintenance> & more")
	if a := h.Provider.Read(rec.Code, rec.Header(), rec.Body.Bytes(), opts); rec.Code != 503 || !strings.Contains(a.Message, "down for <maintenance> & more") {
		t.Errorf("WriteError: %d %q, read as %q", rec.Code, rec.Body, a.Message)
	}
}

func isRetryable(err error) bool { retry, _ := providers.Retryable(err); return retry }

// Refusals: the wrong path or method, a body of another media type, one
// over the fake's limit and one that is not its format are all refused,
// readably, and nothing is applied.
func (h Harness) testRefusals(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	req, err := h.Provider.Encode(h.Payload(1), opts)
	if err != nil {
		t.Fatal(err)
	}
	limit := r.fake.(Faulty).MaxBody()
	cases := []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int // 0: any refusal
	}{
		{"another path", req.Method, req.Path + "/more", req.ContentType, req.Body, 404},
		{"another method", http.MethodPatch, req.Path, req.ContentType, req.Body, 0},
		{"text/plain", req.Method, req.Path, "text/plain", req.Body, 415},
		{"too large", req.Method, req.Path, req.ContentType, bytes.Repeat([]byte(" "), int(limit)+1), 413},
		{"malformed", req.Method, req.Path, req.ContentType, []byte("{<"), 0},
		{"empty", req.Method, req.Path, req.ContentType, nil, 0},
	}
	for _, c := range cases {
		hr, _ := http.NewRequest(c.method, r.srv.URL+c.path, bytes.NewReader(c.body))
		hr.Header.Set("Content-Type", c.contentType)
		h.Provider.Authorize(hr, r.creds)
		resp := Do(t, r.srv, hr)
		a := h.Provider.Read(resp.Status, resp.Header, []byte(resp.Raw), opts)
		if resp.Status/100 == 2 || (c.status != 0 && resp.Status != c.status) || a.Message == "" {
			t.Errorf("%s: %d %q, read as %q; want a refusal (%d) with a message", c.name, resp.Status, resp.Raw, a.Message, c.status)
		}
	}
	if n := r.applied(); n != 0 {
		t.Errorf("%d applied", n)
	}
}

// ValidExamples: a value the table accepts is one the fake accepts, field
// by field, so neither learns a field or a rule without the other.
func (h Harness) testValidExamples(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	x := r.exchange(t, r.creds)
	n := 0
	for _, f := range h.Provider.Table().Fields() {
		for _, v := range h.Cases[f.Path].Valid {
			if h.Sendable != nil && !h.Sendable(opts, f, v) {
				continue
			}
			n++
			res, err := Send(t, x, h.Place(n+1, f, v))
			if err != nil || res.Outcome != providers.OK {
				t.Errorf("%s = %.60v: %+v, %v", f.Path, v, res.Message, err)
			}
		}
	}
	if got := r.applied(); got != n {
		t.Errorf("%d applied, want %d", got, n)
	}
}

// InvalidExamples: a value the table refuses is one the fake refuses (or
// Encode does), for every field and so for every rule, with a message that
// names the field and, for a value of the field's type, the table's rule.
func (h Harness) testInvalidExamples(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	x := r.exchange(t, r.creds)
	for _, f := range h.Provider.Table().Fields() {
		for _, v := range h.Cases[f.Path].Invalid {
			if h.Sendable != nil && !h.Sendable(opts, f, v) {
				continue
			}
			ruleErr := f.Check(v)
			if ruleErr == nil {
				t.Fatalf("%s = %.60v: the table accepts it", f.Path, v)
			}
			req, err := h.Provider.Encode(h.Place(1, f, v), opts)
			if err != nil {
				continue // refused before sending
			}
			res, err := x.Do(context.Background(), req)
			msg := res.Message
			if err != nil {
				msg = err.Error()
			}
			name := f.Path[strings.LastIndexAny(f.Path, ".]")+1:]
			switch {
			case err == nil && res.Outcome == providers.OK:
				t.Errorf("%s = %.60v: accepted", f.Path, v)
			case !strings.Contains(msg, name):
				t.Errorf("%s = %.60v: %q does not name the field", f.Path, v, msg)
			case sameType(f, v) && !(f.Required && v == "") && !strings.Contains(msg, ruleErr.Error()):
				t.Errorf("%s = %.60v: %q, want the table's %q", f.Path, v, msg, ruleErr)
			}
		}
	}
	if n := r.applied(); n != 0 {
		t.Errorf("%d invalid requests applied", n)
	}
}

// sameType reports whether v is of the Go type f's values are built as, so
// that only a rule, not the type, can refuse it.
func sameType(f providers.Field, v any) bool {
	probe := providers.Field{Type: f.Type}
	return probe.Check(v) == nil
}

// Concurrent: many accounts at once are all applied, once each.
func (h Harness) testConcurrent(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	x := r.exchange(t, r.creds)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			req, err := h.Provider.Encode(h.Payload(i+1), opts)
			if err == nil {
				var res providers.Result
				if res, err = x.Do(context.Background(), req); err == nil && res.Outcome != providers.OK {
					err = errors.New(res.Message)
				}
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("account %d: %v", i+1, err)
		}
	}
	keys := map[string]bool{}
	for _, a := range r.fake.Applied() {
		keys[a.Key] = true
	}
	if len(keys) != n {
		t.Errorf("%d accounts applied, want %d", len(keys), n)
	}
}

// Unique: a unique value belongs to one account, compared without regard
// to case; changing it frees the old one; of concurrent claims exactly one
// wins.
func (h Harness) testUnique(t *testing.T, opts providers.Options) {
	r := h.rig(t, opts)
	x := r.exchange(t, r.creds)
	for i, s := range []struct {
		n     int
		value string
		ok    bool
	}{
		{1, "ann@example.com", true},
		{2, "ann@example.com", false},
		{2, "ANN@Example.com", false},
		{1, "ann@example.com", true}, // its owner may send it again
		{1, "ann.lee@example.com", true},
		{2, "ann@example.com", true}, // freed
		{1, "Ann@example.com", false},
	} {
		res, err := Send(t, x, h.Unique(s.n, s.value))
		if ok := err == nil && res.Outcome == providers.OK; ok != s.ok {
			t.Errorf("step %d: account %d claims %s: %+v, %v", i, s.n, s.value, res, err)
		}
	}
	r = h.rig(t, opts)
	x = r.exchange(t, r.creds)
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range n {
		wg.Go(func() {
			req, err := h.Provider.Encode(h.Unique(i+1, "same@example.com"), opts)
			if err != nil {
				t.Error(err)
				return
			}
			if res, err := x.Do(context.Background(), req); err == nil && res.Outcome == providers.OK {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 || r.applied() != 1 {
		t.Errorf("%d of %d concurrent claims won, %d applied; want 1", won, n, r.applied())
	}
}

// Place returns base with v at f's place: a top-level field set, a member
// set in a copy of the valid object of its kind (in a list of one, for an
// array of objects), or in an object of its own when valid has none.
func Place(base map[string]any, f providers.Field, v any, valid map[string]map[string]any) map[string]any {
	parent := f.Parent()
	if parent == "" {
		base[f.Path] = v
		return base
	}
	name := f.Path[len(parent)+1:]
	list := strings.HasSuffix(parent, "[]")
	parent = strings.TrimSuffix(parent, "[]")
	obj := maps.Clone(valid[parent])
	if obj == nil {
		obj = map[string]any{}
	}
	obj[name] = v
	if list {
		base[parent] = []any{obj}
	} else {
		base[parent] = obj
	}
	return base
}

// DecodeOptions decodes a mapping's options as the mapping does: strictly,
// then validated.
func DecodeOptions(p providers.Provider, src string) (providers.Options, error) {
	o := p.NewOptions()
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(o); err != nil && src != "" {
		return nil, err
	}
	return o, o.Validate()
}
