package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
)

// Update is the -update flag of every provider's tests: rewrite the golden
// files instead of comparing with them.
var Update = flag.Bool("update", false, "rewrite the golden files in testdata")

// ServeFake serves a fake on a loopback port for the test's lifetime.
func ServeFake[F http.Handler](t *testing.T, fake F) (F, *httptest.Server) {
	t.Helper()
	return fake, Serve(t, fake)
}

// Serve serves h on a loopback port for the test's lifetime.
func Serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Exchange sends to srv through the shared providers.Exchange, as a run
// does, with creds and opts.
func Exchange(t *testing.T, p providers.Provider, srv *httptest.Server, creds providers.Credentials, opts providers.Options) *providers.Exchange {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &providers.Exchange{Provider: p, Client: srv.Client(), BaseURL: u, Creds: creds, Options: opts}
}

// Send encodes payload and sends it once.
func Send(t *testing.T, x *providers.Exchange, payload map[string]any) (providers.Result, error) {
	t.Helper()
	req, err := x.Provider.Encode(payload, x.Options)
	if err != nil {
		t.Fatal(err)
	}
	return x.Do(context.Background(), req)
}

// NoSecret fails the test if s shows any of the credentials, as they are
// or escaped for a URL.
func NoSecret(t *testing.T, s string, creds ...providers.Credentials) {
	t.Helper()
	for _, c := range creds {
		for env, v := range c {
			for _, form := range []string{v.Reveal(), url.QueryEscape(v.Reveal()), url.PathEscape(v.Reveal())} {
				if form != "" && strings.Contains(s, form) {
					t.Errorf("%.300q reveals %s", s, env)
				}
			}
		}
	}
}

// Reply is an answer as it came over the wire.
type Reply struct {
	Status int
	Header http.Header
	Raw    string
	JSON   map[string]any // the body, when it is a JSON object
}

// Str returns a string member of the JSON answer.
func (r Reply) Str(k string) string { s, _ := r.JSON[k].(string); return s }

// Do sends a raw request and reads the whole answer.
func Do(t *testing.T, srv *httptest.Server, r *http.Request) Reply {
	t.Helper()
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	reply := Reply{Status: resp.StatusCode, Header: resp.Header, Raw: string(b)}
	_ = json.Unmarshal(b, &reply.JSON)
	return reply
}

// Body is v as a request body: v itself when it is a string, else v
// encoded as the providers encode JSON.
func Body(t *testing.T, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return s
	}
	b, err := providers.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Request builds a raw request to srv; header values are set as given.
func Request(t *testing.T, srv *httptest.Server, method, path string, header http.Header, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		r.Header[k] = vs
	}
	return r
}

// Golden compares got with the file at path, or rewrites the file when
// update is set (go test -update).
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from %s:\n got %s\nwant %s", path, got, want)
	}
}

// ReadCase is an answer and how a provider must read it.
type ReadCase struct {
	Name        string
	Status      int
	ContentType string
	Body        string
	Outcome     providers.Outcome
	// Msg is the message, or "~text" for one that contains text.
	Msg string
	// Account and AccountID are the account the answer names, if any.
	Account, AccountID string
	Permanent, Fatal   bool
}

// CheckRead reads every case's answer with p and compares.
func CheckRead(t *testing.T, p providers.Provider, opts providers.Options, cases []ReadCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			h := http.Header{}
			if c.ContentType != "" {
				h.Set("Content-Type", c.ContentType)
			}
			a := p.Read(c.Status, h, []byte(c.Body), opts)
			if a.Outcome != c.Outcome {
				t.Errorf("outcome %v, want %v (%q)", a.Outcome, c.Outcome, a.Message)
			}
			if want, ok := strings.CutPrefix(c.Msg, "~"); ok {
				if !strings.Contains(a.Message, want) {
					t.Errorf("message %q, want one containing %q", a.Message, want)
				}
			} else if a.Message != c.Msg {
				t.Errorf("message %q, want %q", a.Message, c.Msg)
			}
			if a.Account != c.Account || a.AccountID != c.AccountID || a.Permanent != c.Permanent || a.Fatal != c.Fatal {
				t.Errorf("account %q (%q), permanent %v, fatal %v; want %q (%q), %v, %v",
					a.Account, a.AccountID, a.Permanent, a.Fatal, c.Account, c.AccountID, c.Permanent, c.Fatal)
			}
		})
	}
}

// GoldenPayload is a payload as the mapping builds it, whose request body
// is pinned in a golden file.
type GoldenPayload struct {
	Name    string
	Payload map[string]any
	Options providers.Options
}

// EncodeGolden encodes every payload and compares its body with
// dir/NAME.golden.json (or .xml, by the request's Content-Type), rewriting
// the files when update is set. Encode must leave the payload as it was.
func EncodeGolden(t *testing.T, p providers.Provider, dir string, payloads []GoldenPayload, update bool) {
	t.Helper()
	for _, g := range payloads {
		before, _ := json.Marshal(g.Payload)
		req, err := p.Encode(g.Payload, g.Options)
		if err != nil {
			t.Errorf("%s: %v", g.Name, err)
			continue
		}
		if after, _ := json.Marshal(g.Payload); !bytes.Equal(before, after) {
			t.Errorf("%s: Encode changed the payload: %s", g.Name, after)
		}
		ext, body := "json", append(slices.Clone(req.Body), '\n')
		if strings.Contains(req.ContentType, "xml") {
			ext, body = "xml", req.Body
		} else if !json.Valid(req.Body) {
			t.Errorf("%s: not JSON: %s", g.Name, req.Body)
		}
		Golden(t, filepath.Join(dir, g.Name+".golden."+ext), body, update)
	}
}

// CredentialCase is an environment and what LoadCredentials must make of
// it.
type CredentialCase struct {
	Name string
	Env  map[string]string
	// Err is part of the error wanted; "" wants every value loaded, trimmed.
	Err string
	// Quoted allows the error to quote a value: a document's placeholder,
	// which is no one's secret.
	Quoted bool
}

// CheckLoadCredentials loads every case's environment. An error must never
// show a value.
func CheckLoadCredentials(t *testing.T, p providers.Provider, cases []CredentialCase) {
	t.Helper()
	for _, c := range cases {
		creds, err := providers.LoadCredentials(p, func(k string) string { return c.Env[k] })
		if c.Err == "" {
			for k, v := range c.Env {
				if err != nil || creds[k].Reveal() != strings.TrimSpace(v) {
					t.Errorf("%s: %s loaded as %q, %v", c.Name, k, creds[k].Reveal(), err)
				}
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.Err) {
			t.Errorf("%s: error %v, want one containing %q", c.Name, err, c.Err)
			continue
		}
		for _, v := range c.Env {
			if v = strings.TrimSpace(v); len(v) >= 4 && !c.Quoted && strings.Contains(err.Error(), v) {
				t.Errorf("%s: the error %q reveals a value", c.Name, err)
			}
		}
	}
}

// RuleMessage is a value and the words its field's rule refuses it with;
// a provider's test may declare its cases as a struct of the same fields.
type RuleMessage = struct {
	Path  string
	Value any
	Want  string
}

// CheckRuleMessages checks the words of the rules, which are what a user
// reads in the report.
func CheckRuleMessages[C ~RuleMessage](t *testing.T, table *providers.Table, cases []C) {
	t.Helper()
	for _, tc := range cases {
		c := RuleMessage(tc)
		f, ok := table.Lookup(c.Path)
		if !ok {
			t.Errorf("%s: not in the table", c.Path)
			continue
		}
		if err := f.Check(c.Value); err == nil || err.Error() != c.Want {
			t.Errorf("%s: Check(%#v) = %v, want %q", c.Path, c.Value, err, c.Want)
		}
	}
}
