package finerworks

import (
	"errors"
	"net/http"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/providertest"
)

// The headline: an HTTP 200 whose status.success is false is a failed row,
// with status.message as its message.
func TestExchangeFailedIn200(t *testing.T) {
	f, srv := newFake(t)
	res, err := providertest.Send(t, providertest.Exchange(t, Provider{}, srv, testCreds, &Options{}), map[string]any{
		"account_key":  "HLT-2042",
		"billing_info": map[string]any{"zip_postal_code": "1234", "country_code": "us"},
	})
	if err != nil || res.HTTPStatus != 200 || res.Outcome != providers.Failed ||
		res.Message != "Billing zip code 1234 does not match country US; it must match the credit card's billing address" {
		t.Errorf("%+v, %v", res, err)
	}
	if n := len(f.Applied()); n != 0 {
		t.Errorf("%d applied", n)
	}
}

// Every answer names the account it changed: two keys, one of them one the
// app key may not use, answered with two accounts, the second the app key's
// own; the AccountID is what tells them apart.
func TestExchangeNamesTheAccount(t *testing.T) {
	f, srv := newFake(t)
	x := providertest.Exchange(t, Provider{}, srv, testCreds, &Options{})
	var ids []string
	for _, key := range []string{"HLT-2041", ForeignPrefix + "7", "HLT-2041", ForeignPrefix + "8"} {
		res, err := providertest.Send(t, x, map[string]any{"account_key": key, "payment_profile_id": "1"})
		if err != nil || res.Outcome != providers.OK {
			t.Fatalf("%s: %+v, %v", key, res, err)
		}
		ids = append(ids, res.AccountID+" = "+res.Account)
	}
	want := []string{"1 = 1 (HLT-2041)", "2 = 2 (" + OwnUsername + ")", "1 = 1 (HLT-2041)", "2 = 2 (" + OwnUsername + ")"}
	if !equal(ids, want) {
		t.Errorf("accounts %q, want %q", ids, want)
	}
	if got := f.Applied(); len(got) != 4 || got[1].Key != "" || got[3].Key != "" {
		t.Errorf("Applied() = %s", got)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Answers the fake never gives, from a server that gives them.
func TestExchangeUnreadable(t *testing.T) {
	for name, tt := range map[string]struct {
		status int
		body   string
		msg    string
	}{
		"proxy page in a 200": {200, "<html><h1>Maintenance</h1></html>",
			"unreadable answer: HTTP 200 but not FinerWorks' JSON with status.success, so the update is not confirmed: <html><h1>Maintenance</h1></html>"},
		"empty 200":     {200, "", "unreadable answer: HTTP 200 but not FinerWorks' JSON with status.success, so the update is not confirmed"},
		"gateway error": {502, "<html>Bad Gateway</html>", "HTTP 502: <html>Bad Gateway</html>"},
	} {
		srv := providertest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tt.status)
			_, _ = w.Write([]byte(tt.body))
		}))
		res, err := providertest.Send(t, providertest.Exchange(t, Provider{}, srv, testCreds, &Options{}), map[string]any{"account_key": "a"})
		var ae *providers.APIError
		if errors.As(err, &ae) {
			res.Message = err.Error()
		}
		if res.Message != tt.msg {
			t.Errorf("%s: %q, want %q", name, res.Message, tt.msg)
		}
	}
}
