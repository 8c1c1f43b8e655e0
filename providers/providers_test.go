package providers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"3", 3 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"99999999", 99999999 * time.Second},
		{"315360000", 315360000 * time.Second}, // ten years: carried as said
		{"9223372036", 9223372036 * time.Second},
		{"9223372037", math.MaxInt64},              // past what a Duration holds: saturates
		{"99999999999999999999999", math.MaxInt64}, // past an int64 too
		{now.AddDate(10, 0, 0).Format(http.TimeFormat), now.AddDate(10, 0, 0).Sub(now)},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"Mon, 23 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"soon", 0},
	}
	for _, tc := range tests {
		if got := ParseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err   error
		retry bool
		fatal bool
	}{
		{&APIError{Status: 408}, true, false},
		{&APIError{Status: 429, RetryAfter: time.Second}, true, false},
		{&APIError{Status: 500}, true, false},
		{&APIError{Status: 500, Message: "email in use", Permanent: true}, false, false},
		{&APIError{Status: 502}, true, false},
		{&APIError{Status: 503}, true, false},
		{&APIError{Status: 504}, true, false},
		{&APIError{Status: 501}, false, false},
		{&APIError{Status: 400}, false, false},
		{&APIError{Status: 401}, false, true},
		{&APIError{Status: 403}, false, true},
		{&APIError{Status: 404}, false, false},
		{&APIError{Status: 409}, false, false},
		{&APIError{Status: 422}, false, false},
		{&TransportError{Err: errors.New("connection reset")}, true, false},
		{fmt.Errorf("wrapped: %w", &TransportError{Err: errors.New("EOF")}), true, false},
		{context.Canceled, false, false},
	}
	for _, tc := range tests {
		retry, _ := Retryable(tc.err)
		if retry != tc.retry || Fatal(tc.err) != tc.fatal {
			t.Errorf("%v: retry %v fatal %v, want %v %v", tc.err, retry, Fatal(tc.err), tc.retry, tc.fatal)
		}
	}
	if _, after := Retryable(&APIError{Status: 429, RetryAfter: 2 * time.Second}); after != 2*time.Second {
		t.Errorf("Retry-After lost: %v", after)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := NewSecret("tok-123")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s), fmt.Sprint(struct{ S Secret }{s})} {
		if strings.Contains(out, "tok-123") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if b, _ := s.MarshalText(); string(b) != Redacted {
		t.Errorf("MarshalText %q", b)
	}
}

func TestScrub(t *testing.T) {
	c := Credentials{"K": NewSecret("in-a b/c"), "T": NewSecret("tok")}
	in := "GET https://x/api?api_key=in-a+b%2Fc and in-a b/c and in-a%20b%2Fc, token tok"
	out := c.Scrub(in)
	for _, leak := range []string{"in-a", "tok"} {
		if strings.Contains(out, leak) {
			t.Errorf("Scrub left %q in %q", leak, out)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error": "invalid token"}`, "invalid token"},
		{`{"message": "not found"}`, "not found"},
		{`{"errors": [{"message": "a"}, {"message": "b"}]}`, "a; b"},
		{`{"error": {"message": "deep"}}`, "deep"},
		{`{"status": {"success": false, "message": "bad user"}}`, "bad user"},
		{`{"field": "email", "message": "taken"}`, "email: taken"},
		{"<html>\n<body>Bad gateway</body></html>", "<html> <body>Bad gateway</body></html>"},
		{strings.Repeat("x", 2000), strings.Repeat("x", 2000)}, // whole: the exchange clips, after scrubbing
		{`{"error":"not_found","error_description":"no such account"}`, "not_found: no such account"},
		{`{"error":"","error_description":"no such account"}`, "no such account"},
		{`{"Message":"No HTTP resource was found that matches the request URI 'x'."}`, "No HTTP resource was found that matches the request URI 'x'."},
		{`{"Message":"An error has occurred.","ExceptionMessage":"Object reference not set","StackTrace":"at X.Y()"}`, "An error has occurred.: Object reference not set"},
		{`{"Message":"The request is invalid.","MessageDetail":"account_key is malformed"}`, "The request is invalid.: account_key is malformed"},
	}
	for _, tc := range tests {
		if got := ErrorMessage([]byte(tc.body)); got != tc.want {
			t.Errorf("ErrorMessage(%.40q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry(keyProvider{})
	if _, err := r.Lookup("keyapi"); err != nil {
		t.Fatal(err)
	}
	_, err := r.Lookup("kayapi")
	if err == nil || !strings.Contains(err.Error(), `did you mean "keyapi"?`) {
		t.Errorf("Lookup typo: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a duplicate name did not panic")
		}
	}()
	NewRegistry(keyProvider{}, keyProvider{})
}

// keyProvider keeps its key in the URL's query, like userapi.
type keyProvider struct{}

type noOptions struct{}

func (noOptions) Validate() error { return nil }

func (keyProvider) Info() Info {
	return Info{Name: "keyapi", Credentials: []Credential{{Env: "KEY", Check: func(v string) error {
		if !strings.HasPrefix(v, "in-") {
			return errors.New(`must start with "in-"`)
		}
		return nil
	}, Sample: "in-"}}}
}
func (keyProvider) Table() *Table            { return NewTable() }
func (keyProvider) NewOptions() Options      { return noOptions{} }
func (keyProvider) NewFake(Credentials) Fake { return nil }
func (keyProvider) Encode(map[string]any, Options) (*Request, error) {
	return &Request{Method: http.MethodPut, Path: "/u/1", Body: []byte("{}"), ContentType: "application/json"}, nil
}
func (keyProvider) Authorize(r *http.Request, c Credentials) {
	q := r.URL.Query()
	q.Set("api_key", c["KEY"].Reveal())
	r.URL.RawQuery = q.Encode()
}
func (keyProvider) Read(status int, _ http.Header, body []byte, _ Options) Answer {
	return Answer{Message: ErrorMessage(body)}
}

func TestLoadCredentials(t *testing.T) {
	env := map[string]string{}
	_, err := LoadCredentials(keyProvider{}, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "KEY") {
		t.Fatalf("missing: %v", err)
	}
	env["KEY"] = "wrong-prefix-secret"
	_, err = LoadCredentials(keyProvider{}, func(k string) string { return env[k] })
	if err == nil || strings.Contains(err.Error(), "wrong-prefix-secret") {
		t.Fatalf("malformed: %v", err)
	}
	c := SandboxCredentials(keyProvider{})
	if !strings.HasPrefix(c["KEY"].Reveal(), "in-") {
		t.Errorf("sandbox credential %q does not pass the provider's check", c["KEY"].Reveal())
	}
}

// TestExchangeKeepsKeyOutOfErrors sends to a closed server and to one that
// echoes the URL: the key in the query must not reach any error.
func TestExchangeKeepsKeyOutOfErrors(t *testing.T) {
	const key = "in-supersecret"
	creds := Credentials{"KEY": NewSecret(key)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error": "bad request to %s"}`, r.URL.String())
	}))
	u, _ := url.Parse(srv.URL)
	x := &Exchange{Provider: keyProvider{}, Client: srv.Client(), BaseURL: u, Creds: creds, Options: noOptions{}, Timeout: time.Second}
	_, err := x.Do(context.Background(), &Request{Method: http.MethodPut, Path: "/u/1", Body: []byte("{}")})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), "supersecret") {
		t.Errorf("key in API error: %v", err)
	}
	srv.Close()
	_, err = x.Do(context.Background(), &Request{Method: http.MethodPut, Path: "/u/1", Body: []byte("{}")})
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("closed server: %v", err)
	}
	if strings.Contains(err.Error(), "supersecret") || strings.Contains(err.Error(), "api_key") {
		t.Errorf("key in transport error: %v", err)
	}
}

func TestExchangeTimeoutIsTransportError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	x := &Exchange{Provider: keyProvider{}, Client: srv.Client(), BaseURL: u, Creds: Credentials{"KEY": NewSecret("in-x")}, Options: noOptions{}, Timeout: 50 * time.Millisecond}
	_, err := x.Do(context.Background(), &Request{Method: http.MethodPut, Path: "/u/1"})
	if retry, _ := Retryable(err); !retry || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("err %v (retryable %v)", err, retry)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Do(ctx, &Request{Method: http.MethodPut, Path: "/u/1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestNewTableRejectsOrphans(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a member without its object did not panic")
		}
	}()
	NewTable(Field{Path: "address.city"})
}

func TestRules(t *testing.T) {
	tests := []struct {
		rule Rule
		v    any
		ok   bool
		msg  string
	}{
		{Match(`^\d{3}$`), "123", true, ""},
		{Match(`^\d{3}$`), "12a", false, `must match ^\d{3}$`},
		{MatchShown(`^\d{6}-\d{4}$`, `"dddddd-dddd"`), "870315-123", false, `must match "dddddd-dddd"`},
		{Length(0, 3), "åäö", true, ""},
		{Length(0, 3), "åäöx", false, "must be at most 3 characters"},
		{Length(10, 10), "123", false, "must be exactly 10 characters"},
		{Range(1, 12), int64(12), true, ""},
		{Range(1, 12), int64(13), false, "must be between 1 and 12"},
		{ValidDate(), "2024-02-29", true, ""},
		{ValidDate(), "2023-02-29", false, "must be a date written YYYY-MM-DD"},
		{Each(Length(0, 2)), []string{"ab", "abc"}, false, "each item must be at most 2 characters"},
		{Pattern(`^\d{3}-\d{4}$`, "must be written XXX-XXXX"), "1234567", false, "must be written XXX-XXXX"},
		{Email(), "ann@example.com", true, ""},
		{Email(), "ann@example", false, "must be an e-mail address (name@example.com)"},
		{Email(), "ann smith@example.com", false, "must be an e-mail address (name@example.com)"},
		{UUID(), "3c90c3cc-0d44-4b50-8888-8dd25736052a", true, ""},
		{UUID(), "3c90c3cc0d444b5088888dd25736052a", false, "must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)"},
		{ValidDateTime(), "2023-11-07T05:31:56Z", true, ""},
		{ValidDateTime(), "2023-11-07T05:31:56+01:00", true, ""},
		{ValidDateTime(), "2023-11-07 05:31:56", false, "must be an RFC 3339 date-time (2023-11-07T05:31:56Z)"},
		{JPEG(), []byte{0xFF, 0xD8, 0xFF, 0xE1, 0}, true, ""},
		{JPEG(), []byte("GIF89a"), false, "must be a JPEG image"},
		{JPEG(), "a string", false, "must be a JPEG image"},
	}
	for _, tc := range tests {
		err := tc.rule.Check(tc.v)
		if (err == nil) != tc.ok || (err != nil && err.Error() != tc.msg) {
			t.Errorf("%s on %v: %v", tc.rule, tc.v, err)
		}
	}
}
