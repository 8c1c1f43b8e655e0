package userapi

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

func exchange(t *testing.T, srv *httptest.Server, key string) *providers.Exchange {
	creds := providers.Credentials{}
	if key != "" {
		creds[KeyEnv] = providers.NewSecret(key)
	}
	return providertest.Exchange(t, Provider{}, srv, creds, &Options{})
}

// The user id is escaped once, by the Exchange, and arrives whole.
func TestExchangeEscapesTheID(t *testing.T) {
	for id, escaped := range map[string]string{
		"42":        "/api/v1/user/42",
		exampleUUID: "/api/v1/user/" + exampleUUID,
		"a b%?#é":   "/api/v1/user/a%20b%25%3F%23%C3%A9",
	} {
		f := NewFake(testCreds)
		var gotPath string
		srv := providertest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotPath = r.URL.EscapedPath()
			f.ServeHTTP(w, r)
		}))
		res, err := providertest.Send(t, exchange(t, srv, testKey), map[string]any{"user_id": id, "is_paying": true})
		if err != nil || res.Outcome != providers.OK || gotPath != escaped {
			t.Errorf("%q: %+v, %v; path sent %q, want %q", id, res, err, gotPath, escaped)
		}
		if got := f.Applied(); len(got) != 1 || got[0].Key != id || string(got[0].Body) != `{"is_paying":true}` {
			t.Errorf("%q: Applied() = %s", id, got)
		}
	}
}

// The fake's answers as a row's message.
func TestExchangeMessages(t *testing.T) {
	f, srv := newFake(t)
	f.SetUser(otherID, "ann@example.com")
	for name, tt := range map[string]struct {
		payload map[string]any
		status  int
		msg     string
	}{
		"e-mail taken": {map[string]any{"user_id": testID, "email": "ann@example.com"}, 409, "email ann@example.com is already used by another user"},
		"rules": {map[string]any{"user_id": testID, "role_id": "admin", "email": "x"}, 422,
			"email: must be an e-mail address (name@example.com); role_id: must be a UUID (3c90c3cc-0d44-4b50-8888-8dd25736052a)"},
		"wrong type":    {map[string]any{"user_id": testID, "is_paying": "yes"}, 422, "is_paying: Input should be a valid boolean"},
		"unknown field": {map[string]any{"user_id": testID, "nickname": "x"}, 422, "nickname: Extra inputs are not permitted"},
	} {
		_, err := providertest.Send(t, exchange(t, srv, testKey), tt.payload)
		var ae *providers.APIError
		if !errors.As(err, &ae) || ae.Status != tt.status || ae.Message != tt.msg {
			t.Errorf("%s: %v, want HTTP %d with %q", name, err, tt.status, tt.msg)
		}
	}
}

// The key travels in the URL, so every way a URL can come back must be
// scrubbed: an error answer that echoes the request, a 2xx page that does,
// a connection closed without an answer, and a connection refused.
func TestExchangeNeverRevealsKey(t *testing.T) {
	echo := func(status int) *httptest.Server {
		return providertest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			b, _ := providers.MarshalJSON(map[string]string{"detail": r.URL.String() + " | " + r.URL.RawQuery + " | " + r.URL.Query().Get(KeyParam)})
			_, _ = w.Write(b)
		}))
	}
	_, err := providertest.Send(t, exchange(t, echo(400), testKey), map[string]any{"user_id": testID})
	if n := strings.Count(fmtErr(err), providers.Redacted); n != 3 {
		t.Errorf("error %q has %d redactions, want 3", err, n)
	}
	res, err := providertest.Send(t, exchange(t, echo(200), testKey), map[string]any{"user_id": testID})
	if err != nil || res.Outcome != providers.Failed || !strings.Contains(res.Message, providers.Redacted) {
		t.Errorf("2xx echo: %+v, %v", res, err)
	}
	providertest.NoSecret(t, res.Message+fmtErr(err), testCreds)

	hangUp := providertest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	_, err = providertest.Send(t, exchange(t, hangUp, testKey), map[string]any{"user_id": testID})
	var te *providers.TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), PathPrefix+testID) {
		t.Errorf("closed connection: %v, want a TransportError naming the request", err)
	}
	providertest.NoSecret(t, fmtErr(err), testCreds)

	l, err := net.Listen("tcp", "127.0.0.1:0") // a loopback port just closed: nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("http://" + l.Addr().String())
	l.Close()
	x := &providers.Exchange{Provider: Provider{}, Client: &http.Client{}, BaseURL: u, Creds: testCreds, Options: &Options{}}
	_, err = providertest.Send(t, x, map[string]any{"user_id": testID})
	if !errors.As(err, &te) {
		t.Errorf("connection refused: %v, want a TransportError", err)
	}
	providertest.NoSecret(t, fmtErr(err), testCreds)
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
