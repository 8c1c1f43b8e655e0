package payway

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// exchange sends through the shared providers.Exchange to srv, as a run
// does, with the given token.
func exchange(t *testing.T, srv *httptest.Server, token string, opts *Options) *providers.Exchange {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &providers.Exchange{
		Provider: Provider{},
		Client:   srv.Client(),
		BaseURL:  u,
		Creds:    providers.Credentials{TokenEnv: providers.NewSecret(token)},
		Options:  opts,
	}
}

func send(t *testing.T, x *providers.Exchange, payload map[string]any) (providers.Result, error) {
	t.Helper()
	req, err := x.Provider.Encode(payload, x.Options)
	if err != nil {
		t.Fatal(err)
	}
	return x.Do(context.Background(), req)
}

// noSecret fails the test if an error, or a result's message, shows any of
// the tokens.
func noSecret(t *testing.T, s string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok != "" && strings.Contains(s, tok) {
			t.Errorf("%q reveals a token", s)
		}
	}
}

func TestExchangeOK(t *testing.T) {
	f, srv := newFake(t)
	x := exchange(t, srv, testToken, &Options{})
	res, err := send(t, x, map[string]any{"id": testID, "email": "anna@example.se", "tags": []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.HTTPStatus != 200 || res.Outcome != providers.OK || res.Message != "" {
		t.Errorf("result %+v", res)
	}
	if got := f.Applied(); len(got) != 1 || got[0].Key != testID ||
		string(got[0].Body) != `{"email":"anna@example.se","id":"`+testID+`","tags":["a"]}` {
		t.Errorf("Applied() = %s", got)
	}
}

func TestExchangePartial(t *testing.T) {
	t.Run("207 from the fake", func(t *testing.T) {
		f, srv := newFake(t)
		f.SetAccount(otherID, "taken@example.com", "")
		x := exchange(t, srv, testToken, &Options{Atomic: ptr(false)})
		res, err := send(t, x, map[string]any{"id": testID, "email": "taken@example.com", "first_name": "Anna"})
		if err != nil {
			t.Fatal(err)
		}
		want := providers.Result{HTTPStatus: 207, Outcome: providers.Partial, Message: "not updated: email: must_be_unique"}
		if res.Header = nil; !reflect.DeepEqual(res, want) {
			t.Errorf("result %+v, want %+v", res, want)
		}
		if acc, _ := f.Account(testID); acc["first_name"] != "Anna" || acc["email"] != nil {
			t.Errorf("account %v", acc)
		}
	})
	t.Run("200 listing not updated fields", func(t *testing.T) {
		// The document's example answer, which the fake never gives.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"50f3ac249f6aef294d000007","updated_fields":"social_security_number","not_updated_fields":"address last_name: must_be_set"}`))
		}))
		t.Cleanup(srv.Close)
		res, err := send(t, exchange(t, srv, testToken, nil), map[string]any{"id": testID})
		if err != nil {
			t.Fatal(err)
		}
		want := providers.Result{HTTPStatus: 200, Outcome: providers.Partial, Message: "not updated: address last_name: must_be_set"}
		if res.Header = nil; !reflect.DeepEqual(res, want) {
			t.Errorf("result %+v, want %+v", res, want)
		}
	})
}

func TestExchangeFailed(t *testing.T) {
	f, srv := newFake(t)
	f.SetAccount(otherID, "taken@example.com", "800101-1234")
	tests := []struct {
		name    string
		token   string
		payload map[string]any
		status  int
		msg     string
		fatal   bool
	}{
		{"conflict", testToken, map[string]any{"id": testID, "social_security_number": "800101-1234"}, 409,
			"social_security_number: must_be_unique", false},
		{"rule the client did not check", testToken, map[string]any{"id": testID, "mobile_phone_number": "12"}, 400,
			"mobile_phone_number: must match ^[+,0]?[0-9]{10,12}$", false},
		{"unknown field", testToken, map[string]any{"id": testID, "nickname": "x"}, 400, `unknown field "nickname"`, false},
		{"wrong token", "wrong-token-123", map[string]any{"id": testID}, 401, "invalid token", true},
		{"no token", "", map[string]any{"id": testID}, 401, "missing", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(t, exchange(t, srv, tt.token, nil), tt.payload)
			var ae *providers.APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || !strings.Contains(ae.Message, tt.msg) {
				t.Fatalf("error %v, want HTTP %d with %q", err, tt.status, tt.msg)
			}
			if retry, _ := providers.Retryable(err); retry {
				t.Error("a 4xx is retryable")
			}
			if providers.Fatal(err) != tt.fatal {
				t.Errorf("Fatal = %v", !tt.fatal)
			}
			noSecret(t, err.Error(), testToken, tt.token)
		})
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d requests applied", n)
	}
}

func TestExchangeFaults(t *testing.T) {
	f, srv := newFake(t)
	x := exchange(t, srv, testToken, nil)
	payload := map[string]any{"id": testID}

	f.FailNext(1, http.StatusTooManyRequests, "7")
	_, err := send(t, x, payload)
	if retry, wait := providers.Retryable(err); !retry || wait != 7*time.Second {
		t.Errorf("429: %v: retryable %v after %v, want true after 7s", err, retry, wait)
	}
	f.FailNext(1, http.StatusServiceUnavailable, "")
	_, err = send(t, x, payload)
	if retry, _ := providers.Retryable(err); !retry {
		t.Errorf("503: %v is not retryable", err)
	}
	if res, err := send(t, x, payload); err != nil || res.Outcome != providers.OK {
		t.Errorf("after the faults: %+v, %v", res, err)
	}

	// A slow answer: the request's context gives up first.
	f.SetFault(func(*http.Request) (Fault, bool) { return Fault{Delay: time.Minute}, true })
	req, _ := x.Provider.Encode(payload, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := x.Do(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow answer: %v, want the deadline", err)
	}
	f.SetFault(nil)
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d applied, want 1", n)
	}
}

// The token must not leak even when the server, or the transport, puts it
// into what comes back.
func TestExchangeNeverRevealsToken(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"bad header ` + r.Header.Get("Authorization") + `"}`))
	}))
	t.Cleanup(echo.Close)
	_, err := send(t, exchange(t, echo, testToken, nil), map[string]any{"id": testID})
	if err == nil || !strings.Contains(err.Error(), "bad header Bearer "+providers.Redacted) {
		t.Errorf("error %v", err)
	}
	noSecret(t, err.Error(), testToken)

	// Nothing listening: a transport error.
	_, srv := newFake(t)
	x := exchange(t, srv, testToken, nil)
	srv.Close()
	_, err = send(t, x, map[string]any{"id": testID})
	var te *providers.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v, want a TransportError", err)
	}
	noSecret(t, err.Error(), testToken)
}
