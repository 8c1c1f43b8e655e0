package fairwarning

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// exchange sends through the shared providers.Exchange to srv, as a run
// does, with the given credentials.
func exchange(t *testing.T, srv *httptest.Server, creds providers.Credentials, opts *Options) *providers.Exchange {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &providers.Exchange{Provider: Provider{}, Client: srv.Client(), BaseURL: u, Creds: creds, Options: opts}
}

func send(t *testing.T, x *providers.Exchange, payload map[string]any) (providers.Result, error) {
	t.Helper()
	req, err := x.Provider.Encode(payload, x.Options)
	if err != nil {
		t.Fatal(err)
	}
	return x.Do(context.Background(), req)
}

func creds(public, private string) providers.Credentials {
	c := providers.Credentials{}
	if public != "" {
		c[PublicKeyEnv] = providers.NewSecret(public)
	}
	if private != "" {
		c[PrivateKeyEnv] = providers.NewSecret(private)
	}
	return c
}

// noSecret fails the test if s shows a key.
func noSecret(t *testing.T, s string) {
	t.Helper()
	for _, k := range []string{testPublic, testPrivate} {
		if strings.Contains(s, k) {
			t.Errorf("%q reveals a key", s)
		}
	}
}

func TestExchangeOK(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			x := exchange(t, srv, testCreds, &Options{Format: format})
			res, err := send(t, x, documentPayload())
			if err != nil {
				t.Fatal(err)
			}
			if res.HTTPStatus != 200 || res.Outcome != providers.OK || res.Message != "" {
				t.Errorf("result %+v", res)
			}
			got := f.Applied()
			want, _ := Provider{}.Encode(documentPayload(), x.Options)
			if len(got) != 1 || got[0].Key != "48213" || string(got[0].Body) != string(want.Body) {
				t.Errorf("Applied() = %s", got)
			}
		})
	}
}

// The XML round trip: the request goes out as XML, the fake reads it as
// XML and answers in XML, and Read reads that answer.
func TestExchangeXMLRoundTrip(t *testing.T) {
	var seenType, seenAccept, answerType string
	f := NewFake(testCreds)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenType, seenAccept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, r)
		answerType = rec.Header().Get("Content-Type")
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)

	x := exchange(t, srv, testCreds, &Options{Format: FormatXML})
	res, err := send(t, x, documentPayload())
	if err != nil || res.Outcome != providers.OK || res.HTTPStatus != 200 {
		t.Fatalf("%+v, %v", res, err)
	}
	if seenType != "application/xml" || seenAccept != "application/xml" || !strings.HasPrefix(answerType, "application/xml") {
		t.Errorf("Content-Type %q, Accept %q, answer %q", seenType, seenAccept, answerType)
	}
	body := string(f.Applied()[0].Body)
	if !strings.HasPrefix(body, `<?xml version="1.0"?>`) || !strings.Contains(body, "<maillists><auctions>1</auctions><firearms-news>1</firearms-news></maillists>") {
		t.Errorf("applied body %s", body)
	}
	u, _ := f.User(48213)
	if u["user_company"] != "Lee Arms & Ammo <LLC>" || u["user_is_preferred_bidder"] != true || u["user_tax_id_expiration_year"] != int64(2027) {
		t.Errorf("stored user %v", u)
	}
}

func TestExchangeFailed(t *testing.T) {
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			f, srv := newFake(t)
			x := exchange(t, srv, testCreds, &Options{Format: format})
			if _, err := send(t, x, with(1, map[string]any{"user_email": "ann@example.com"})); err != nil {
				t.Fatal(err)
			}
			invalid := msgInvalidKeys
			if format == FormatXML {
				invalid = msgInvalidKeysXML
			}
			tests := []struct {
				name    string
				creds   providers.Credentials
				payload map[string]any
				status  int
				msg     string
				fatal   bool
			}{
				{"e-mail in use", testCreds, with(2, map[string]any{"user_email": "ann@example.com"}), 500,
					"The email address ann@example.com is already in use by another user.", false},
				{"rule the client did not check", testCreds, with(2, map[string]any{"user_phone": "5551234567"}), 500,
					"user_phone must be written XXX-XXX-XXXX (transform us_phone writes it so).", false},
				{"unknown field", testCreds, with(2, map[string]any{"nickname": "x"}), 500, `Unknown field "nickname".`, false},
				{"wrong keys", creds(testPublic, "sk_wrong"), minimal(2), 401, invalid, true},
				{"missing key", creds(testPublic, ""), minimal(2), 403, msgMissingKeys, true},
				{"no keys", creds("", ""), minimal(2), 403, msgMissingKeys, true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := send(t, exchange(t, srv, tt.creds, &Options{Format: format}), tt.payload)
					var ae *providers.APIError
					if !errors.As(err, &ae) || ae.Status != tt.status || ae.Message != tt.msg {
						t.Fatalf("error %v, want HTTP %d with %q", err, tt.status, tt.msg)
					}
					if providers.Fatal(err) != tt.fatal {
						t.Errorf("Fatal = %v", !tt.fatal)
					}
					noSecret(t, err.Error())
				})
			}
			if n := len(f.Applied()); n != 1 {
				t.Errorf("%d requests applied, want the first", n)
			}
		})
	}
}

func TestExchangeNotFound(t *testing.T) {
	_, srv := newFake(t)
	x := exchange(t, srv, testCreds, &Options{Format: FormatXML})
	req, _ := Provider{}.Encode(minimal(1), x.Options)
	req.Path = "/v1.1.1/user/upd"
	_, err := x.Do(context.Background(), req)
	var ae *providers.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "API method (user/upd) not found." {
		t.Errorf("error %v", err)
	}
	if retry, _ := providers.Retryable(err); retry || providers.Fatal(err) {
		t.Error("a 404 is retryable or fatal")
	}
}

func TestExchangeFaults(t *testing.T) {
	f, srv := newFake(t)
	x := exchange(t, srv, testCreds, &Options{Format: FormatXML})
	f.FailNext(1, http.StatusTooManyRequests, "7")
	_, err := send(t, x, minimal(1))
	var ae *providers.APIError
	if retry, wait := providers.Retryable(err); !retry || wait != 7*time.Second || !errors.As(err, &ae) ||
		ae.Message != "injected fault: Too Many Requests" {
		t.Errorf("429: %v: retryable %v after %v, want true after 7s", err, retry, wait)
	}
	if res, err := send(t, x, minimal(1)); err != nil || res.Outcome != providers.OK {
		t.Errorf("after the fault: %+v, %v", res, err)
	}
}

// The keys must not leak even when the server, or the transport, puts them
// into what comes back.
func TestExchangeNeverRevealsKeys(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`<?xml version="1.0"?><response><error>bad keys ` + r.Header.Get("public-key") + " " + r.Header.Get("private-key") + `</error></response>`))
	}))
	t.Cleanup(echo.Close)
	_, err := send(t, exchange(t, echo, testCreds, nil), minimal(1))
	if err == nil || !strings.Contains(err.Error(), "bad keys "+providers.Redacted+" "+providers.Redacted) {
		t.Errorf("error %v", err)
	}
	noSecret(t, err.Error())

	_, srv := newFake(t)
	x := exchange(t, srv, testCreds, nil)
	srv.Close()
	_, err = send(t, x, minimal(1))
	var te *providers.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v, want a TransportError", err)
	}
	noSecret(t, err.Error())
}
