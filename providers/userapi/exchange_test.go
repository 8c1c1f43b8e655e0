package userapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
)

// exchange sends through the shared providers.Exchange to srv, as a run
// does, with the given key ("" for none).
func exchange(t *testing.T, srv *httptest.Server, key string) *providers.Exchange {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	creds := providers.Credentials{}
	if key != "" {
		creds[KeyEnv] = providers.NewSecret(key)
	}
	return &providers.Exchange{Provider: Provider{}, Client: srv.Client(), BaseURL: u, Creds: creds, Options: &Options{}}
}

func send(t *testing.T, x *providers.Exchange, payload map[string]any) (providers.Result, error) {
	t.Helper()
	req, err := x.Provider.Encode(payload, x.Options)
	if err != nil {
		t.Fatal(err)
	}
	return x.Do(context.Background(), req)
}

// noSecret fails the test if s shows a key, raw or escaped for a query or a
// path.
func noSecret(t *testing.T, s string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if k == "" {
			continue
		}
		for _, form := range []string{k, url.QueryEscape(k), url.PathEscape(k)} {
			if strings.Contains(s, form) {
				t.Errorf("%q reveals a key (%q)", s, form)
			}
		}
	}
}

func TestExchangeOK(t *testing.T) {
	tests := []struct {
		id, escaped string
	}{
		{"42", "/api/v1/user/42"},
		{exampleUUID, "/api/v1/user/" + exampleUUID},
		// The id is escaped once, by the Exchange, and arrives whole.
		{"a b%?#é", "/api/v1/user/a%20b%25%3F%23%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			f := NewFake(testCreds)
			var gotPath string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotPath = r.URL.EscapedPath()
				f.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			res, err := send(t, exchange(t, srv, testKey), map[string]any{
				"user_id": tt.id, "email": "ann@example.com", "is_paying": true, "birthdate": "1987-03-15T00:00:00Z",
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.HTTPStatus != 200 || res.Outcome != providers.OK || res.Message != "" {
				t.Errorf("result %+v", res)
			}
			if gotPath != tt.escaped {
				t.Errorf("path sent %q, want %q", gotPath, tt.escaped)
			}
			want := `{"birthdate":"1987-03-15T00:00:00Z","email":"ann@example.com","is_paying":true}`
			if got := f.Applied(); len(got) != 1 || got[0].Key != tt.id || string(got[0].Body) != want {
				t.Errorf("Applied() = %s, want key %q and body %s", got, tt.id, want)
			}
		})
	}
}

func TestExchangeFailed(t *testing.T) {
	f, srv := newFake(t)
	f.SetUser(otherID, "ann@example.com")
	tests := []struct {
		name    string
		key     string
		payload map[string]any
		status  int
		msg     string
		fatal   bool
	}{
		{"e-mail taken", testKey, map[string]any{"user_id": testID, "email": "ann@example.com"}, 409,
			"email ann@example.com is already used by another user", false},
		{"rule the client did not check", testKey, map[string]any{"user_id": testID, "role_id": "admin", "email": "x"}, 422,
			"email: must be an e-mail address (name@example.com); role_id: must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)", false},
		{"wrong type", testKey, map[string]any{"user_id": testID, "is_paying": "yes"}, 422,
			"is_paying: Input should be a valid boolean", false},
		{"unknown field", testKey, map[string]any{"user_id": testID, "nickname": "x"}, 422,
			"nickname: Extra inputs are not permitted", false},
		{"wrong key", "in-wrong+key", map[string]any{"user_id": testID}, 401, "Invalid API key", true},
		{"no key", "", map[string]any{"user_id": testID}, 401, "Not authenticated", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(t, exchange(t, srv, tt.key), tt.payload)
			var ae *providers.APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || ae.Message != tt.msg {
				t.Fatalf("error %v, want HTTP %d with %q", err, tt.status, tt.msg)
			}
			if retry, _ := providers.Retryable(err); retry {
				t.Error("a 4xx is retryable")
			}
			if providers.Fatal(err) != tt.fatal {
				t.Errorf("Fatal = %v", !tt.fatal)
			}
			noSecret(t, err.Error(), testKey, tt.key)
		})
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d requests applied", n)
	}
}

func TestExchangeRetryableFault(t *testing.T) {
	f := NewFake(testCreds)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		f.WriteError(w, r, http.StatusServiceUnavailable, "injected fault")
	}))
	t.Cleanup(srv.Close)
	_, err := send(t, exchange(t, srv, testKey), map[string]any{"user_id": testID})
	var ae *providers.APIError
	if !errors.As(err, &ae) || ae.Status != 503 || ae.Message != "injected fault" {
		t.Fatalf("error %v", err)
	}
	if retry, wait := providers.Retryable(err); !retry || wait.Seconds() != 7 {
		t.Errorf("retryable %v after %v, want true after 7s", retry, wait)
	}
}

// The key travels in the URL, so every way a URL can come back must be
// scrubbed: an error answer that echoes the request, a connection closed
// without an answer, and a connection refused.
func TestExchangeNeverRevealsKey(t *testing.T) {
	t.Run("error answer echoing the request", func(t *testing.T) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			detail := r.URL.String() + " | " + r.URL.RawQuery + " | " + r.URL.Query().Get(KeyParam)
			b, _ := providers.MarshalJSON(map[string]string{"detail": detail})
			_, _ = w.Write(b)
		}))
		t.Cleanup(echo.Close)
		_, err := send(t, exchange(t, echo, testKey), map[string]any{"user_id": testID})
		var ae *providers.APIError
		if !errors.As(err, &ae) || ae.Status != 400 {
			t.Fatalf("error %v, want a 400", err)
		}
		// Both the escaped form (in the URL) and the raw one are replaced.
		if n := strings.Count(err.Error(), providers.Redacted); n != 3 {
			t.Errorf("error %q has %d redactions, want 3", err, n)
		}
		noSecret(t, err.Error(), testKey)
	})
	t.Run("2xx that is not the API's answer", func(t *testing.T) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html>you asked for " + r.URL.String() + "</html>"))
		}))
		t.Cleanup(echo.Close)
		res, err := send(t, exchange(t, echo, testKey), map[string]any{"user_id": testID})
		if err != nil || res.Outcome != providers.Failed || !strings.Contains(res.Message, providers.Redacted) {
			t.Fatalf("result %+v, %v", res, err)
		}
		noSecret(t, res.Message, testKey)
	})
	t.Run("connection closed", func(t *testing.T) {
		hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		}))
		t.Cleanup(hangUp.Close)
		_, err := send(t, exchange(t, hangUp, testKey), map[string]any{"user_id": testID})
		var te *providers.TransportError
		if !errors.As(err, &te) {
			t.Fatalf("error %v, want a TransportError", err)
		}
		if !strings.Contains(err.Error(), PathPrefix+testID) {
			t.Errorf("error %q does not say which request failed", err)
		}
		if retry, _ := providers.Retryable(err); !retry {
			t.Error("a closed connection is not retryable")
		}
		noSecret(t, err.Error(), testKey)
	})
	t.Run("connection refused", func(t *testing.T) {
		// A loopback port that was just closed: nothing listens there.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		u, _ := url.Parse("http://" + addr)
		x := &providers.Exchange{
			Provider: Provider{}, Client: &http.Client{}, BaseURL: u,
			Creds: testCreds, Options: &Options{},
		}
		_, err = send(t, x, map[string]any{"user_id": testID})
		var te *providers.TransportError
		if !errors.As(err, &te) {
			t.Fatalf("error %v, want a TransportError", err)
		}
		noSecret(t, err.Error(), testKey)
	})
}
