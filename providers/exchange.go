package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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

	once   sync.Once
	known  *knownSecrets // Creds in every form, worked out on the first Do
	sender *http.Client  // Client unable to follow a redirect, made on the first Do
}

// prepare works out, on the first Do, what is the same for every request:
// the credentials in every form a server can echo them in, and the client
// that sends.
func (x *Exchange) prepare() {
	x.once.Do(func() {
		x.known = newKnownSecrets(credentialValues(x.Creds))
		x.sender = x.client()
	})
}

// Result is a row's answer from the server.
type Result struct {
	HTTPStatus int
	Outcome    Outcome
	Message    string
	Account    string // the account the server says it changed, for people (Answer.Account)
	AccountID  string // the same account's identity, for comparing (Answer.AccountID)
	// Header is the answer's header, for pacing (RateLimit, X-RateLimit-*).
	Header http.Header
}

// APIError is a non-2xx answer.
type APIError struct {
	Status  int
	Message string
	// RetryAfter is the server's Retry-After as it said it, however long
	// (saturating at the longest Duration); 0 when absent. Retryable never
	// asks to wait longer than MaxRetryAfter.
	RetryAfter time.Duration
	Permanent  bool // the provider says no retry can help (see Answer)
	Fatal      bool // the provider says no row can succeed (see Answer)
	// Header is the answer's header, for pacing (RateLimit, X-RateLimit-*).
	Header http.Header
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	if e.Message == "" {
		msg = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.RetryAfter > MaxRetryAfter {
		msg += fmt.Sprintf(" (the server asks to wait %s before a retry, longer than the %s a run waits: not retried)", waitText(e.RetryAfter), waitText(MaxRetryAfter))
	}
	return msg
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
// is an *APIError or a *TransportError. Every message in them has had the
// credentials and req.Secrets scrubbed out, then control characters and
// invalid UTF-8 replaced, and is at most MaxMessage characters.
//
// Redirects are never followed, whatever x.Client's CheckRedirect says: a
// 3xx answer is an *APIError ("redirected to HOST") that no retry repeats,
// and nothing is sent to the new location, so the credentials and the body
// go only to the base URL's host.
func (x *Exchange) Do(ctx context.Context, req *Request) (Result, error) {
	actx := ctx
	if x.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, x.Timeout)
		defer cancel()
	}
	x.prepare()
	sc := &scrubber{known: x.known, extra: req.Secrets}
	if x.BaseURL == nil || x.BaseURL.Scheme == "" || x.BaseURL.Host == "" {
		// No retry can help, and the request must not go to a relative URL.
		return Result{}, fmt.Errorf("no base URL to send to: %s has no default host; set the mapping's base_url or pass --base-url", x.Provider.Info().Name)
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
		return Result{}, fmt.Errorf("building the request: %s", sc.message(err.Error(), MaxMessage))
	}
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
		hr.Header.Set("Accept", req.ContentType)
	}
	hr.Header.Set("User-Agent", "acctimport")
	x.Provider.Authorize(hr, x.Creds)

	resp, err := x.sender.Do(hr)
	if err != nil {
		return Result{}, x.noAnswer(ctx, actx, sc, err)
	}
	body, cut, rerr := readLimited(resp.Body)
	if rerr != nil {
		return Result{}, x.noAnswer(ctx, actx, sc, fmt.Errorf("reading the answer: %w", rerr))
	}
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return Result{}, &APIError{Status: resp.StatusCode, Message: redirected(resp, sc), Header: resp.Header}
	}
	if cut {
		body = sc.trimPartialTail(body)
	}
	ans := x.Provider.Read(resp.StatusCode, resp.Header, body, x.Options)
	msg := sc.message(ans.Message, MaxMessage)
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
	return Result{
		HTTPStatus: resp.StatusCode,
		Outcome:    ans.Outcome,
		Message:    msg,
		Account:    sc.message(ans.Account, maxAccount),
		AccountID:  sc.identity(ans.AccountID),
		Header:     resp.Header,
	}, nil
}

// client is x.Client made unable to follow a redirect: a copy whose
// CheckRedirect hands back the 3xx answer itself. A copy, so that a caller's
// client (or http.DefaultClient) is never changed, and always, so that a
// caller's CheckRedirect that would follow cannot.
func (x *Exchange) client() *http.Client {
	c := defaultClient
	if x.Client != nil {
		c = x.Client
	}
	nc := *c
	nc.CheckRedirect = refuseRedirect
	return &nc
}

var defaultClient = NewHTTPClient(1)

func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// redirected says where a 3xx answer pointed: the host alone, never the path
// or query, which could hold anything the server chose to put there.
func redirected(resp *http.Response, sc *scrubber) string {
	const never = "acctimport never follows a redirect, so that credentials and data go only to the base URL's host; check the base URL"
	loc, err := resp.Location()
	if err != nil || loc.Host == "" {
		return "redirected without a usable Location; " + never
	}
	return "redirected to " + sc.message(loc.Host, maxAccount) + "; " + never
}

// NewHTTPClient returns the client a run should send with: an idle pool as
// large as the concurrency, so every request in flight can reuse a
// kept-alive connection; bounded waits for connecting, the TLS handshake and
// an answer's headers' size; and redirects never followed (Exchange.Do
// refuses them whatever client it is given; this client refuses them too,
// for any other use).
func NewHTTPClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, concurrency)
	t.MaxIdleConnsPerHost = max(2, concurrency)
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ExpectContinueTimeout = time.Second
	t.MaxResponseHeaderBytes = 256 << 10
	return &http.Client{Transport: t, CheckRedirect: refuseRedirect}
}

// noAnswer classifies a request that got no (whole) answer: the run was
// cancelled, the attempt ran out of time, or the transport failed.
func (x *Exchange) noAnswer(ctx, actx context.Context, sc *scrubber, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &TransportError{Err: fmt.Errorf("no answer within %s", x.Timeout)}
	}
	return &TransportError{Err: errors.New(scrubError(err, sc))}
}

// scrubError turns a client error into a message without the URL's query
// (where some APIs keep their key) and without any secret.
func scrubError(err error, sc *scrubber) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		target := "the request"
		if perr == nil {
			u.RawQuery, u.User = "", nil
			target = u.String()
		}
		return sc.message(fmt.Sprintf("%s %s: %v", ue.Op, target, ue.Err), MaxMessage)
	}
	return sc.message(err.Error(), MaxMessage)
}

// readLimited reads at most MaxAnswer bytes of an answer and reports whether
// there was more.
func readLimited(rc io.ReadCloser) ([]byte, bool, error) {
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, MaxAnswer+1))
	if err != nil {
		return nil, false, err
	}
	cut := len(body) > MaxAnswer
	if cut {
		body = body[:MaxAnswer]
		// Drain a little more so the connection can be reused; give up
		// on more. (An answer read whole is at its end already.)
		_, _ = io.CopyN(io.Discard, rc, 64<<10)
	}
	return body, cut, nil
}

var now = time.Now

// MaxRetryAfter is the longest Retry-After a run waits for. A server that
// asks for longer (a date years ahead, 315360000 seconds) would stall the run
// for that long: such an answer is not retried, and its error says the wait.
const MaxRetryAfter = 5 * time.Minute

// Retryable says whether a failed attempt may succeed if repeated, and how
// long the server asked to wait (0 when it did not say). Transport errors,
// 408, 429 and 5xx other than 501 are retryable; other 4xx never are, nor
// redirects, nor an answer whose Retry-After is longer than MaxRetryAfter.
func Retryable(err error) (bool, time.Duration) {
	var ae *APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Permanent, ae.RetryAfter > MaxRetryAfter:
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
// seconds or an HTTP date. It returns the wait as the server said it,
// saturating at the longest Duration (about 292 years) rather than
// overflowing, and 0 when the header is absent, malformed or in the past.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > math.MaxInt64/int64(time.Second) {
			return math.MaxInt64 // more digits than an int64 holds: as long as can be
		}
		return time.Duration(secs) * time.Second
	}
	if strings.HasPrefix(v, "-") && isDigits(v[1:]) {
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// waitText writes a wait for a person: "5m0s", "3650 days", "centuries".
func waitText(d time.Duration) string {
	switch {
	case d == math.MaxInt64:
		return "centuries"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.Round(time.Second).String()
}
