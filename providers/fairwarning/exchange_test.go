package fairwarning

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// The XML round trip: the request goes out as XML, the fake reads it as
// XML and answers in XML, and Read reads that answer.
func TestExchangeXMLRoundTrip(t *testing.T) {
	var seenType, seenAccept string
	f := NewFake(testCreds)
	srv := providertest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenType, seenAccept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
		f.ServeHTTP(w, r)
	}))
	x := providertest.Exchange(t, Provider{}, srv, testCreds, &Options{Format: FormatXML})
	res, err := providertest.Send(t, x, documentPayload())
	if err != nil || res.Outcome != providers.OK || res.HTTPStatus != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), xmlType) {
		t.Fatalf("%+v, %v", res, err)
	}
	if seenType != xmlType || seenAccept != xmlType {
		t.Errorf("Content-Type %q, Accept %q", seenType, seenAccept)
	}
	body := string(f.Applied()[0].Body)
	if !strings.HasPrefix(body, `<?xml version="1.0"?>`) || !strings.Contains(body, "<maillists><auctions>1</auctions><firearms-news>1</firearms-news></maillists>") ||
		!strings.Contains(body, "<user_is_preferred_bidder>1</user_is_preferred_bidder>") {
		t.Errorf("applied body %s", body)
	}
	u, _ := f.User(48213)
	if u["user_company"] != "Lee Arms & Ammo <LLC>" || u["user_is_preferred_bidder"] != true || u["user_is_tax_exempt"] != false || u["user_tax_id_expiration_year"] != int64(2027) {
		t.Errorf("stored user %v", u)
	}
}

// The fake's answers as a row's message, in both formats.
func TestExchangeMessages(t *testing.T) {
	for _, format := range formats {
		_, srv := newFake(t)
		x := providertest.Exchange(t, Provider{}, srv, testCreds, &Options{Format: format})
		providertest.Send(t, x, with(1, map[string]any{"user_email": "ann@example.com"}))
		for payload, want := range map[*map[string]any]string{
			ptr(with(2, map[string]any{"user_email": "ann@example.com"})): "The email address ann@example.com is already in use by another user.",
			ptr(with(2, map[string]any{"user_phone": "5551234567"})):      "user_phone must be written XXX-XXX-XXXX (transform us_phone writes it so).",
			ptr(with(2, map[string]any{"nickname": "x"})):                 `Unknown field "nickname".`,
		} {
			_, err := providertest.Send(t, x, *payload)
			var ae *providers.APIError
			if !errors.As(err, &ae) || ae.Status != 500 || ae.Message != want || providers.Fatal(err) || isRetryable(err) {
				t.Errorf("%s: %v, want a 500 with %q, neither retried nor fatal", format, err, want)
			}
		}
	}
}

func isRetryable(err error) bool { retry, _ := providers.Retryable(err); return retry }

// The documented 404, "API method (...) not found", fails every row the
// same way: it stops the run, as 401 and 403 do.
func TestExchangeNotFoundIsFatal(t *testing.T) {
	for _, format := range formats {
		_, srv := newFake(t)
		x := providertest.Exchange(t, Provider{}, srv, testCreds, &Options{Format: format})
		req, _ := Provider{}.Encode(minimal(1), x.Options)
		req.Path = "/v1.1.1/user/upd"
		_, err := x.Do(context.Background(), req)
		var ae *providers.APIError
		if !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "API method (user/upd) not found." || !providers.Fatal(err) || isRetryable(err) {
			t.Errorf("%s: %v, want the documented 404, fatal", format, err)
		}
	}
	// A 404 of something else, a proxy's page, is the row's own failure.
	srv := providertest.Serve(t, http.NotFoundHandler())
	if _, err := providertest.Send(t, providertest.Exchange(t, Provider{}, srv, testCreds, nil), minimal(1)); providers.Fatal(err) {
		t.Errorf("a proxy's 404: %v is fatal", err)
	}
}

// A server that echoes the body puts the password's SHA-1 into its
// message; the row's secrets are scrubbed from it.
func TestExchangeScrubsTheEchoedPassword(t *testing.T) {
	srv := providertest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 4096)
		n, _ := r.Body.Read(b)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		out, _ := providers.MarshalJSON(map[string]string{"error": "Cannot update " + string(b[:n])})
		_, _ = w.Write(out)
	}))
	x := providertest.Exchange(t, Provider{}, srv, testCreds, nil)
	req, _ := Provider{}.Encode(minimal(1), nil)
	req.Secrets = []string{secretSHA1, "secret"}
	_, err := x.Do(context.Background(), req)
	if err == nil || strings.Contains(err.Error(), secretSHA1) || !strings.Contains(err.Error(), `"user_pass":"`+providers.Redacted) {
		t.Errorf("error %v", err)
	}
	_ = httptest.NewRecorder
}
