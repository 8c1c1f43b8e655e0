package finerworks

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
// does, with the given keys.
func exchange(t *testing.T, srv *httptest.Server, web, app string) *providers.Exchange {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &providers.Exchange{
		Provider: Provider{},
		Client:   srv.Client(),
		BaseURL:  u,
		Creds:    providers.Credentials{WebAPIKeyEnv: providers.NewSecret(web), AppKeyEnv: providers.NewSecret(app)},
		Options:  &Options{},
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

// noSecret fails the test if s shows any of the keys.
func noSecret(t *testing.T, s string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if k != "" && strings.Contains(s, k) {
			t.Errorf("%q reveals a key", s)
		}
	}
}

func TestExchangeOK(t *testing.T) {
	f, srv := newFake(t)
	x := exchange(t, srv, testWebKey, testAppKey)
	logo := jpegBytes()
	res, err := send(t, x, map[string]any{
		"account_key":  "HLT-2041",
		"billing_info": map[string]any{"zip_postal_code": "99501-1234", "country_code": "us", "email": "bob@example.com"},
		"logo_data":    logo,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.HTTPStatus != 200 || res.Outcome != providers.OK || res.Message != "" {
		t.Errorf("result %+v", res)
	}
	got := f.Applied()
	if len(got) != 1 || got[0].Key != "HLT-2041" || !strings.HasPrefix(string(got[0].Body), `{"account_key":"HLT-2041",`) {
		t.Fatalf("Applied() = %s", got)
	}
	// The bytes went as base64 and arrived as the same JPEG.
	acc, _ := f.Account("HLT-2041")
	if string(acc["logo_data"].([]byte)) != string(logo) {
		t.Error("the logo arrived changed")
	}
}

// The headline: an HTTP 200 whose status.success is false is a failed row,
// with status.message as its message.
func TestExchangeFailedIn200(t *testing.T) {
	f, srv := newFake(t)
	x := exchange(t, srv, testWebKey, testAppKey)
	res, err := send(t, x, map[string]any{
		"account_key":  "HLT-2042",
		"billing_info": map[string]any{"zip_postal_code": "1234", "country_code": "us"},
	})
	if err != nil {
		t.Fatalf("error %v; an HTTP 200 is an answer, not an error", err)
	}
	want := providers.Result{
		HTTPStatus: 200, Outcome: providers.Failed,
		Message: "Billing zip code 1234 does not match country US; it must match the credit card's billing address",
	}
	if res.Header = nil; !reflect.DeepEqual(res, want) {
		t.Errorf("result %+v\nwant %+v", res, want)
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
}

func TestExchangeFailed(t *testing.T) {
	f, srv := newFake(t)
	tests := []struct {
		name     string
		web, app string
		payload  map[string]any
		status   int
		msg      string
		fatal    bool
	}{
		{"rule the client did not check", testWebKey, testAppKey,
			map[string]any{"account_key": "a", "portrait_data": pngBytes()}, 400, "The request is invalid: " + "portrait_data: must be a JPEG image", false},
		{"unknown field", testWebKey, testAppKey, map[string]any{"account_key": "a", "nickname": "x"}, 400, "The request is invalid: " + `unknown field "nickname"`, false},
		{"wrong type", testWebKey, testAppKey, map[string]any{"account_key": int64(7)}, 400, "The request is invalid: " + "account_key: must be a string", false},
		{"wrong app key", testWebKey, "fw-app-wrong", map[string]any{"account_key": "a"}, 401, "Unauthorized: invalid web_api_key or app_key", true},
		{"wrong web key", "fw-web-wrong", testAppKey, map[string]any{"account_key": "a"}, 401, "Unauthorized: invalid web_api_key or app_key", true},
		{"no web key", "", testAppKey, map[string]any{"account_key": "a"}, 401, "Unauthorized: missing header web_api_key", true},
		{"no keys", "", "", map[string]any{"account_key": "a"}, 401, "Unauthorized: missing header web_api_key and app_key", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(t, exchange(t, srv, tt.web, tt.app), tt.payload)
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
			noSecret(t, err.Error(), testWebKey, testAppKey, tt.web, tt.app)
		})
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d requests applied", n)
	}
}

// Answers the fake never gives, from a server that gives them.
func TestExchangeUnreadable(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   providers.Result
		apiErr string
	}{
		{"proxy page in a 200", 200, "<html><h1>Maintenance</h1></html>", providers.Result{HTTPStatus: 200, Outcome: providers.Failed,
			Message: "unreadable answer: HTTP 200 but not FinerWorks' JSON with status.success, so the update is not confirmed: <html><h1>Maintenance</h1></html>"}, ""},
		{"empty 200", 200, "", providers.Result{HTTPStatus: 200, Outcome: providers.Failed,
			Message: "unreadable answer: HTTP 200 but not FinerWorks' JSON with status.success, so the update is not confirmed"}, ""},
		{"gateway error", 502, "<html>Bad Gateway</html>", providers.Result{}, "HTTP 502: <html>Bad Gateway</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			t.Cleanup(srv.Close)
			res, err := send(t, exchange(t, srv, testWebKey, testAppKey), map[string]any{"account_key": "a"})
			if tt.apiErr != "" {
				if err == nil || err.Error() != tt.apiErr {
					t.Errorf("error %v, want %q", err, tt.apiErr)
				}
				return
			}
			if res.Header = nil; err != nil || !reflect.DeepEqual(res, tt.want) {
				t.Errorf("%+v, %v\nwant %+v", res, err, tt.want)
			}
		})
	}
}

func TestExchangeFaults(t *testing.T) {
	f, srv := newFake(t)
	x := exchange(t, srv, testWebKey, testAppKey)
	payload := map[string]any{"account_key": "a"}

	f.FailNext(1, http.StatusTooManyRequests, "7")
	_, err := send(t, x, payload)
	if retry, wait := providers.Retryable(err); !retry || wait != 7*time.Second || !strings.Contains(err.Error(), "injected fault") {
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
	if n := len(f.Applied()); n != 1 {
		t.Errorf("%d applied, want 1", n)
	}
}

// The keys must not leak even when the server puts them into its answer.
func TestExchangeNeverRevealsKeys(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":{"success":false,"message":"bad keys ` + r.Header.Get("web_api_key") + ` / ` + r.Header.Get("app_key") + `"}}`))
	}))
	t.Cleanup(echo.Close)
	res, err := send(t, exchange(t, echo, testWebKey, testAppKey), map[string]any{"account_key": "a"})
	if err != nil || res.Outcome != providers.Failed || res.Message != "bad keys "+providers.Redacted+" / "+providers.Redacted {
		t.Errorf("%+v, %v", res, err)
	}

	// Nothing listening: a transport error.
	_, srv := newFake(t)
	x := exchange(t, srv, testWebKey, testAppKey)
	srv.Close()
	_, err = send(t, x, map[string]any{"account_key": "a"})
	var te *providers.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v, want a TransportError", err)
	}
	noSecret(t, err.Error(), testWebKey, testAppKey)
}
