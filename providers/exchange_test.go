package providers

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/acctimport/acctimport/internal/printable"
)

// serve answers every request with status, header and body.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func keyExchange(t *testing.T, srv *httptest.Server, key string, client *http.Client) *Exchange {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &Exchange{Provider: keyProvider{}, Client: client, BaseURL: u, Creds: Credentials{"KEY": NewSecret(key)}, Options: noOptions{}, Timeout: 5 * time.Second}
}

func put(t *testing.T, x *Exchange, secrets ...string) (Result, error) {
	t.Helper()
	return x.Do(context.Background(), &Request{Method: http.MethodPut, Path: "/u/1", Body: []byte(`{"pass":"hunter2"}`), ContentType: "application/json", Secrets: secrets})
}

// leaks reports the longest piece of secret, of 4 characters or more, that
// s holds, or "".
func leaks(s, secret string) string {
	for n := len(secret); n >= minPartial; n-- {
		for i := 0; i+n <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+n]) {
				return secret[i : i+n]
			}
		}
	}
	return ""
}

// A redirect is never followed, whatever the client: the second server
// receives nothing, not the key (in the query, or in Referer), not the
// body; the row fails, naming only the host it was sent to.
func TestExchangeNeverFollowsRedirects(t *testing.T) {
	const key = "in-7Hq2Zp9Wx4Lm"
	var received atomic.Int32
	elsewhere := serve(t, func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	target, _ := url.Parse(elsewhere.URL)
	follow := func(*http.Request, []*http.Request) error { return nil }
	clients := map[string]*http.Client{
		"nil client":                 nil,
		"zero client":                {},
		"client that follows":        {CheckRedirect: follow},
		"NewHTTPClient":              NewHTTPClient(4),
		"http.DefaultClient":         http.DefaultClient,
		"client with a 1s timeout":   {Timeout: time.Second},
		"client following 10 times":  {CheckRedirect: func(_ *http.Request, via []*http.Request) error { return nil }},
		"client that follows to tls": {CheckRedirect: follow, Transport: http.DefaultTransport},
	}
	for _, code := range []int{301, 302, 303, 307, 308} {
		redirector := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+"/steal?api_key="+url.QueryEscape(r.URL.Query().Get("api_key")), code)
		})
		for name, c := range clients {
			t.Run(fmt.Sprintf("%d/%s", code, name), func(t *testing.T) {
				_, err := put(t, keyExchange(t, redirector, key, c))
				var ae *APIError
				if !errors.As(err, &ae) || ae.Status != code {
					t.Fatalf("error %v, want an APIError with status %d", err, code)
				}
				want := "redirected to " + target.Host + ";"
				if !strings.HasPrefix(ae.Message, want) || strings.Contains(ae.Message, "steal") || strings.Contains(ae.Message, "api_key") {
					t.Errorf("message %q, want it to start %q and name no path or query", ae.Message, want)
				}
				if retry, _ := Retryable(err); retry || Fatal(err) {
					t.Errorf("a redirect is retryable (%v) or fatal (%v)", retry, Fatal(err))
				}
				if l := leaks(err.Error(), key); l != "" {
					t.Errorf("error %q shows %q of the key", err, l)
				}
			})
		}
	}
	if n := received.Load(); n != 0 {
		t.Errorf("the redirect's target received %d requests", n)
	}
	// The caller's client is left as it was.
	if clients["client that follows"].CheckRedirect == nil || http.DefaultClient.CheckRedirect != nil {
		t.Error("Do changed the caller's client")
	}
}

// A client from NewHTTPClient refuses redirects on its own too.
func TestNewHTTPClientRefusesRedirects(t *testing.T) {
	var received atomic.Int32
	elsewhere := serve(t, func(http.ResponseWriter, *http.Request) { received.Add(1) })
	redirector := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	})
	c := NewHTTPClient(8)
	resp, err := c.Post(redirector.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || received.Load() != 0 {
		t.Errorf("status %d, %d requests elsewhere", resp.StatusCode, received.Load())
	}
	tr := c.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost < 8 || tr.TLSHandshakeTimeout == 0 || tr.MaxResponseHeaderBytes == 0 || tr.DialContext == nil {
		t.Errorf("transport %+v", tr)
	}
}

// Scrub first, then clip: a key that straddles the 500th character is not
// left in part, nor is any other form of it or of the row's secrets.
func TestExchangeScrubsThenClips(t *testing.T) {
	const key = "in-0123456789abcdefghij"
	password := "correct horse/battery <staple>"
	sum := sha1.Sum([]byte(password))
	hash := hex.EncodeToString(sum[:])
	for _, pad := range []int{480, 490, 495, 498, 499, 500, 501} {
		t.Run(fmt.Sprint(pad), func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, "%s%s %s %s", strings.Repeat("x", pad), r.URL.Query().Get("api_key"), hash, password)
			})
			_, err := put(t, keyExchange(t, srv, key, nil), hash, password)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(ae.Message); n > MaxMessage+1 {
				t.Errorf("message of %d characters", n)
			}
			for _, s := range []string{key, hash, password} {
				if l := leaks(ae.Message, s); l != "" {
					t.Errorf("message ends %q: %q of a secret survives", ae.Message[max(0, len(ae.Message)-40):], l)
				}
			}
		})
	}
}

// A server that echoes the request body puts the row's secrets in its
// message, in JSON (where "/" and "<" may be escaped) as in text.
func TestExchangeScrubsEchoedSecrets(t *testing.T) {
	const key = "in-echo-key"
	password := "pa/ss<wo>rd&1"
	sum := sha1.Sum([]byte(password))
	hash := hex.EncodeToString(sum[:])
	bodies := map[string]func() string{
		"JSON, Go's escaping": func() string {
			b, _ := MarshalJSON(map[string]string{"error": "bad " + password + " " + hash})
			return string(b)
		},
		"JSON, HTML escaped":       func() string { return `{"error":"bad pa/ss\u003cwo\u003erd\u00261 ` + hash + `"}` },
		"text, PHP's slashes":      func() string { return `bad pa\/ss<wo>rd&1 ` + hash },
		"XML escaped":              func() string { return `<error>bad pa/ss&lt;wo&gt;rd&amp;1 ` + hash + `</error>` },
		"query escaped":            func() string { return "bad " + url.QueryEscape(password) + " " + strings.ToUpper(hash)[:0] + hash },
		"folded":                   func() string { return "bad\n" + password + "\t" + hash },
		"key in the echoed query":  func() string { return "bad api_key=" + url.QueryEscape(key) },
		"key in a JSON string too": func() string { return `{"message":"key ` + key + `"}` },
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(body()))
			})
			_, err := put(t, keyExchange(t, srv, key, nil), hash, password)
			if err == nil || !strings.Contains(err.Error(), Redacted) {
				t.Fatalf("error %v, want a redaction", err)
			}
			for _, s := range []string{key, hash, "ss<wo>rd", "pa/ss", `pa\/ss`, "ss&lt;wo", "pa%2Fss"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows %q", err, s)
				}
			}
		})
	}
}

// The credentials' forms are worked out once an Exchange and shared by
// every request in flight; a row's own secrets join them for its answer
// alone. Each answer echoes the key and the row's password.
func TestExchangeScrubsAcrossConcurrentRequests(t *testing.T) {
	const key = "in-shared-key-0123"
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		body, _ := io.ReadAll(r.Body)
		_, _ = fmt.Fprintf(w, "key %s, %s", r.URL.Query().Get("k"), body)
	})
	x := keyExchange(t, srv, key, nil)
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Go(func() {
			pass := fmt.Sprintf("row-%02d-password", i)
			var secrets []string
			if i%2 == 0 {
				secrets = []string{pass}
			}
			_, errs[i] = x.Do(context.Background(), &Request{Method: http.MethodPut, Path: "/u/1", Query: url.Values{"k": {key}}, Body: []byte("pass " + pass), Secrets: secrets})
		})
	}
	wg.Wait()
	for i, err := range errs {
		msg := fmt.Sprint(err)
		pass := fmt.Sprintf("row-%02d-password", i)
		if got := leaks(msg, key); got != "" {
			t.Errorf("request %d: %q shows %q of the key", i, msg, got)
		}
		if i%2 == 0 && strings.Contains(msg, "password") {
			t.Errorf("request %d: %q shows its row's secret", i, msg)
		}
		if i%2 == 1 && !strings.Contains(msg, pass) {
			t.Errorf("request %d: %q lost text that is no secret of its own", i, msg)
		}
	}
}

// A server's control characters and invalid UTF-8 never reach a terminal
// or a report raw; the message says what was there.
func TestExchangeCleansServerText(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("\x1b]0;pwned\x07 \x1b[2J\x1b[31mred\x1b[0m\r\nnext line \xff\xfe\x00 \u202egnp.exe\u009b1m  end  "))
	})
	_, err := put(t, keyExchange(t, srv, "in-x1234", nil))
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	msg := ae.Message
	if !utf8.ValidString(msg) {
		t.Errorf("message %q is not UTF-8", msg)
	}
	for _, r := range msg {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x202e {
			t.Errorf("message %q holds %U", msg, r)
		}
	}
	want := `\x1b]0;pwned\x07 \x1b[2J\x1b[31mred\x1b[0m next line ` + "\ufffd" + `\x00 \u202egnp.exe\x9b1m end`
	if msg != want {
		t.Errorf("message\n %q\nwant\n %q", msg, want)
	}
}

// A Retry-After of ten years is carried as the server said it, and no retry
// waits for it: the error says the wait.
func TestExchangeLongRetryAfter(t *testing.T) {
	for _, ra := range []string{"315360000", now().AddDate(10, 0, 0).UTC().Format(http.TimeFormat), "99999999999999999999"} {
		t.Run(ra, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", ra)
				w.WriteHeader(http.StatusTooManyRequests)
			})
			_, err := put(t, keyExchange(t, srv, "in-x1234", nil))
			var ae *APIError
			if !errors.As(err, &ae) || ae.RetryAfter < 9*365*24*time.Hour {
				t.Fatalf("error %v: RetryAfter %v, want the server's ten years or more", err, ae.RetryAfter)
			}
			if retry, wait := Retryable(err); retry || wait != 0 {
				t.Errorf("Retryable = %v, %v; want no retry", retry, wait)
			}
			if !strings.Contains(err.Error(), "the server asks to wait") || !strings.Contains(err.Error(), "not retried") {
				t.Errorf("error %q does not give the wait", err)
			}
		})
	}
	// A short one is still waited for.
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "300")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := put(t, keyExchange(t, srv, "in-x1234", nil))
	if retry, wait := Retryable(err); !retry || wait != 5*time.Minute || strings.Contains(err.Error(), "asks to wait") {
		t.Errorf("Retry-After 300: %v, %v, %v", retry, wait, err)
	}
}

// tailProvider reads an answer's last bytes as its message, as no provider
// does: it shows what a body cut at MaxAnswer ends with.
type tailProvider struct{ keyProvider }

func (tailProvider) Read(_ int, _ http.Header, body []byte, _ Options) Answer {
	return Answer{Message: string(body[max(0, len(body)-40):])}
}

// A body cut at MaxAnswer in the middle of a secret does not keep its start.
func TestExchangeCutBodyKeepsNoPartialSecret(t *testing.T) {
	const key = "in-cut-0123456789abcdef"
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		k := r.URL.Query().Get("api_key")
		_, _ = w.Write([]byte(strings.Repeat("x", MaxAnswer-10) + k + strings.Repeat("y", 100)))
	})
	x := keyExchange(t, srv, key, nil)
	x.Provider = tailProvider{}
	_, err := put(t, x)
	if err == nil {
		t.Fatal("no error")
	}
	if l := leaks(err.Error(), key); l != "" {
		t.Errorf("error %q shows %q of the key", err, l)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  two  spaces\tand\nlines ", "two spaces and lines"},
		{"nbsp\u00a0here", "nbsp here"},
		{"bell\a", `bell\x07`},
		{"del\x7f", `del\x7f`},
		{"bad\xc3", "bad\ufffd"},
		{"rtl\u2067x\u2069", `rtl\u2067x\u2069`},
		{"Zoë 名前 ✓", "Zoë 名前 ✓"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClipKeepsRedactionsWhole(t *testing.T) {
	s := strings.Repeat("a", 495) + Redacted + " more"
	got := clip(s, MaxMessage)
	if !strings.HasSuffix(got, "a…") || strings.Contains(got, "[red") {
		t.Errorf("clip = %q", got[480:])
	}
	if got := clip("short", MaxMessage); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "a\x1b[2Jb", "\xff\xfe", "\u202e", "  x  ", "a\u0085b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("cleanText(%q) = %q: not UTF-8", s, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || printable.Unsafe(r) {
				t.Fatalf("cleanText(%q) = %q holds %U", s, got, r)
			}
		}
		if cleanText(got) != got {
			t.Fatalf("cleanText is not idempotent on %q: %q", s, got)
		}
	})
}

// A provider without a default host and a run without a base URL: every
// row fails at once, nothing is sent anywhere, nothing is retried.
func TestExchangeWithoutBaseURL(t *testing.T) {
	for _, u := range []*url.URL{nil, {}, {Path: "/api"}} {
		x := &Exchange{Provider: keyProvider{}, BaseURL: u, Creds: Credentials{"KEY": NewSecret("in-x1234")}, Options: noOptions{}}
		_, err := put(t, x)
		if err == nil || !strings.Contains(err.Error(), "base_url") || isRetryable(err) {
			t.Errorf("base URL %v: %v", u, err)
		}
	}
}

func isRetryable(err error) bool { retry, _ := Retryable(err); return retry }

// TestScrubPiecesOfSecrets: a server that echoes part of a key (the way
// many APIs mask one: "in-Super****"), or the key in another case, reveals
// it as surely as one that echoes it whole.
func TestScrubPiecesOfSecrets(t *testing.T) {
	key := "in-SuperSecretKeyQzXwVb"
	sc := newScrubber(Credentials{"K": NewSecret(key)}, []string{"pw-TopSecret!"})
	for _, tc := range []struct{ in, want string }{
		{"Invalid API key provided: in-Super****", "Invalid API key provided: [redacted]****"},
		{"key IN-SUPERSECRETKEYQZXWVB rejected", "key [redacted] rejected"},
		{"last four: ...XwVb", "last four: ...[redacted]"},
		{"password pw-TopSe**** is wrong", "password [redacted]**** is wrong"},
		{"the whole key " + key + " and more", "the whole key [redacted] and more"},
		{"nothing of it here: 409 conflict, e-mail taken", "nothing of it here: 409 conflict, e-mail taken"},
		{"in-S", "[redacted]"},
		{"in-", "in-"},
		{"a piece from its middle: SecretKey", "a piece from its middle: SecretKey"},
		{"account 00000000000000000000qzxw", "account 00000000000000000000qzxw"},
	} {
		if got := sc.scrub(tc.in); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
