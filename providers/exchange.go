package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxAnswer is the most of an answer's body that is read; the rest is
// discarded, so a misbehaving server cannot exhaust memory.
const MaxAnswer = 1 << 20

// Exchange sends requests to one provider's API: the same way for every
// provider, with only the provider's own parts (encoding, auth, reading the
// answer) delegated to it.
type Exchange struct {
	Provider Provider
	Client   *http.Client
	BaseURL  *url.URL
	Creds    Credentials
	Options  Options
	// Timeout bounds one attempt, answer included; 0 means none. An attempt
	// that runs out of time is a TransportError (retryable); a cancelled ctx
	// is returned as ctx.Err().
	Timeout time.Duration
}

// Result is a row's answer from the server.
type Result struct {
	HTTPStatus int
	Outcome    Outcome
	Message    string
	Account    string // the account the server says it changed (Answer.Account)
	// Header is the answer's header, for pacing (RateLimit, X-RateLimit-*).
	Header http.Header
}

// APIError is a non-2xx answer.
type APIError struct {
	Status     int
	Message    string
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
	Permanent  bool          // the provider says no retry can help (see Answer)
	Fatal      bool          // the provider says no row can succeed (see Answer)
	// Header is the answer's header, for pacing (RateLimit, X-RateLimit-*).
	Header http.Header
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// TransportError is a request that got no answer: connection refused or
// reset, a timeout, a body that could not be read.
type TransportError struct {
	Err error // already scrubbed of secrets
}

func (e *TransportError) Error() string { return e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// Do sends req once and reads the answer. A 2xx comes back as a Result whose
// Outcome the provider decided (a 200 can still be a failure); anything else
// is an *APIError or a *TransportError, both free of secrets.
func (x *Exchange) Do(ctx context.Context, req *Request) (Result, error) {
	actx := ctx
	if x.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, x.Timeout)
		defer cancel()
	}
	u := *x.BaseURL
	u.Path = strings.TrimSuffix(u.Path, "/") + req.Path
	u.RawPath = ""
	q := u.Query()
	for k, vs := range req.Query {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	hr, err := http.NewRequestWithContext(actx, req.Method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return Result{}, fmt.Errorf("building the request: %s", x.Creds.Scrub(err.Error()))
	}
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
		hr.Header.Set("Accept", req.ContentType)
	}
	hr.Header.Set("User-Agent", "acctimport")
	x.Provider.Authorize(hr, x.Creds)

	resp, err := x.Client.Do(hr)
	if err != nil {
		return Result{}, x.noAnswer(ctx, actx, err)
	}
	body, rerr := readLimited(resp.Body)
	if rerr != nil {
		return Result{}, x.noAnswer(ctx, actx, fmt.Errorf("reading the answer: %w", rerr))
	}
	ans := x.Provider.Read(resp.StatusCode, resp.Header, body, x.Options)
	msg := x.Creds.Scrub(ans.Message)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, &APIError{
			Status:     resp.StatusCode,
			Message:    msg,
			RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now()),
			Permanent:  ans.Permanent,
			Fatal:      ans.Fatal,
			Header:     resp.Header,
		}
	}
	return Result{HTTPStatus: resp.StatusCode, Outcome: ans.Outcome, Message: msg, Account: x.Creds.Scrub(ans.Account), Header: resp.Header}, nil
}

// noAnswer classifies a request that got no (whole) answer: the run was
// cancelled, the attempt ran out of time, or the transport failed.
func (x *Exchange) noAnswer(ctx, actx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &TransportError{Err: fmt.Errorf("no answer within %s", x.Timeout)}
	}
	return &TransportError{Err: errors.New(x.scrubError(err))}
}

// scrubError turns a client error into a message without the URL's query
// (where some APIs keep their key) and without any secret.
func (x *Exchange) scrubError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		target := "the request"
		if perr == nil {
			u.RawQuery, u.User = "", nil
			target = u.String()
		}
		return x.Creds.Scrub(fmt.Sprintf("%s %s: %v", ue.Op, target, ue.Err))
	}
	return x.Creds.Scrub(err.Error())
}

func readLimited(rc io.ReadCloser) ([]byte, error) {
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, MaxAnswer))
	if err != nil {
		return nil, err
	}
	// Drain a little more so the connection can be reused; give up on more.
	_, _ = io.CopyN(io.Discard, rc, 64<<10)
	return body, nil
}

var now = time.Now

// Retryable says whether a failed attempt may succeed if repeated, and how
// long the server asked to wait (0 when it did not say). Transport errors,
// 408, 429 and 5xx other than 501 are retryable; other 4xx never are.
func Retryable(err error) (bool, time.Duration) {
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Permanent:
			return false, 0
		case ae.Status == http.StatusRequestTimeout, ae.Status == http.StatusTooManyRequests:
			return true, ae.RetryAfter
		case ae.Status == http.StatusNotImplemented:
			return false, 0
		case ae.Status >= 500 && ae.Status <= 599:
			return true, ae.RetryAfter
		}
		return false, 0
	}
	var te *TransportError
	return errors.As(err, &te), 0
}

// Fatal reports an answer that no retry or other row can fix: the provider
// rejected the credentials. The run must stop rather than fail every row.
func Fatal(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Fatal || ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden)
}

// ParseRetryAfter reads a Retry-After header in either of its forms: delay
// seconds or an HTTP date. It returns 0 when the header is absent, malformed
// or in the past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		const maxSecs = int64(24 * time.Hour / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// ErrorMessage pulls a human-readable message out of an error body in the
// shapes APIs commonly use ({"error": "..."}, {"message": "..."},
// {"errors": [{"message": ...}]}, {"status": {"message": ...}}), falling
// back to the start of the body as text.
func ErrorMessage(body []byte) string {
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		if m := messageIn(v, 0); m != "" {
			return clip(m)
		}
	}
	return clip(strings.Join(strings.Fields(string(body)), " "))
}
