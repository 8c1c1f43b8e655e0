// Package fakeapi is the engine every provider's fake runs on. What every
// API does the same way is here once: faults injected in front of
// everything (as a gateway would answer them), routing (the path, then the
// method), the credentials check, the body's media type, a bound on its
// size, decoding it to an object, the field table's checks (unknown
// members, JSON types, required fields, the table's rules) and the log of
// what was applied. A provider's fake declares the rest: its endpoint, how
// it checks credentials, its error shapes, and its business rules, which
// see a body that passed the engine's checks, with its values converted to
// the table's Go types.
//
// Adding a provider's fake is a Spec and a Handle function; the contract
// suite in providers/providertest then runs on it like on every other.
package fakeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/acctimport/acctimport/providers"
)

// Spec is what a provider's fake declares about its API.
type Spec struct {
	// Method is the one method the endpoint takes.
	Method string
	// Path is the endpoint. A last segment in braces ("/api/v1/user/{id}")
	// is a parameter: any one non-empty segment, handed to Handle as sent.
	Path string
	// MediaTypes are the body's accepted media types (the Content-Type
	// without its parameters).
	MediaTypes []string
	// DefaultMediaType is assumed for a request without a Content-Type; ""
	// refuses such a request as UnsupportedMediaType.
	DefaultMediaType string
	// MaxBody is the largest body read; a larger one is TooLarge.
	MaxBody int64
	// Decoders decode a body of a media type to an object; a media type
	// without one is decoded as JSON (numbers as json.Number). An error is
	// Malformed, its text the Refusal's Detail.
	Decoders map[string]func(body []byte) (map[string]any, error)
	// Authorize checks a request's credentials: 0 accepts it, anything else
	// is the status of an Unauthorized refusal, reason its Detail. It must
	// compare in constant time and never repeat what the client sent.
	Authorize func(r *http.Request) (status int, reason string)
	// Refuse answers a request the engine turned away, or a fault injected
	// in front of it, in the API's own error shape.
	Refuse func(w http.ResponseWriter, r *http.Request, why Refusal)
	// Handle answers a request that passed every check above: the business
	// rules, and the answer.
	Handle func(w http.ResponseWriter, c *Call)
}

// Kind is why the engine turned a request away.
type Kind int

// The kinds of refusal, in the order the engine checks.
const (
	NotFound             Kind = iota + 1 // no such path
	MethodNotAllowed                     // the path, but another method
	Unauthorized                         // Authorize refused the credentials
	UnsupportedMediaType                 // a Content-Type not in MediaTypes
	TooLarge                             // a body over MaxBody
	Unreadable                           // the body could not be read
	Malformed                            // the body is not its media type's format
	NotObject                            // the body is JSON, but not an object
	Injected                             // a fault injected in front of the API; Detail is its message
)

// Refusal is a request the engine turned away before the provider's rules
// saw it.
type Refusal struct {
	Kind Kind
	// Status is the usual status for Kind (404, 405, ...; Authorize's for
	// Unauthorized); an API may answer another, as FairWarning answers a
	// wrong method with 404.
	Status int
	// Detail says what was wrong: the path, the method, Authorize's reason,
	// the media type sent, the limit, the decoder's error.
	Detail string
}

// Call is a request that passed the engine's checks.
type Call struct {
	Request   *http.Request
	MediaType string
	Param     string // the path parameter as sent (escaped), when Spec.Path has one
	Body      []byte
	Object    map[string]any // the decoded body
	server    *Server
}

// Record logs the call as applied to the account key. Call it while the
// change is applied (under the fake's lock), so the log's order is the
// order of the changes.
func (c *Call) Record(key string) {
	s := c.server
	s.mu.Lock()
	defer s.mu.Unlock()
	var body []byte
	if s.kept+len(c.Body) <= maxKept {
		body = slices.Clone(c.Body)
		s.kept += len(body)
	}
	s.applied = append(s.applied, providers.Applied{Key: key, Body: body})
}

// maxKept bounds the bodies the applied log keeps, so that a sandbox serving
// the rehearsal of a whole migration (or of rows with images) does not hold
// it all in memory: past it, entries keep their key and a nil Body.
var maxKept = 64 << 20

// Fault is an answer given before a request is looked at, or a delay before
// it is: a gateway's 429 or 503, or a slow server.
type Fault struct {
	// Status is the answer's status, in the API's error shape; 0 handles the
	// request normally once Delay has passed.
	Status int
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
}

// Server serves one provider's fake. It is safe for concurrent use.
type Server struct {
	spec        Spec
	pathPrefix  string // Spec.Path up to its parameter, when it has one
	hasParam    bool
	acceptTypes map[string]bool

	mu      sync.Mutex
	queued  []Fault
	hook    func(*http.Request) (Fault, bool)
	applied []providers.Applied
	kept    int // bytes of bodies in applied
}

var _ providers.ErrorWriter = (*Server)(nil)

// New returns a server for spec. A spec without Method, Path, MaxBody,
// Refuse or Handle is a programming error and panics.
func New(spec Spec) *Server {
	if spec.Method == "" || spec.Path == "" || spec.Refuse == nil || spec.Handle == nil || spec.MaxBody <= 0 {
		panic("fakeapi: a Spec needs Method, Path, MaxBody, Refuse and Handle")
	}
	s := &Server{spec: spec, acceptTypes: make(map[string]bool)}
	if i := strings.LastIndexByte(spec.Path, '/'); strings.HasPrefix(spec.Path[i+1:], "{") && strings.HasSuffix(spec.Path, "}") {
		s.pathPrefix, s.hasParam = spec.Path[:i+1], true
	}
	for _, mt := range spec.MediaTypes {
		s.acceptTypes[mt] = true
	}
	return s
}

// FailNext answers the next n requests with status (and Retry-After, if not
// empty) before looking at them; nothing is applied.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.queued = append(s.queued, Fault{Status: status, RetryAfter: retryAfter})
	}
}

// SetFault installs a hook asked about every request that FailNext has not
// already claimed; nil removes it. The hook must not read the body; it is
// called without the server's lock, so it may use the fake's methods.
func (s *Server) SetFault(hook func(r *http.Request) (Fault, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = hook
}

// Applied lists every request that was applied, in the order it was; the
// bodies are copies (nil once 64 MiB of them are kept).
func (s *Server) Applied() []providers.Applied {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]providers.Applied, len(s.applied))
	for i, a := range s.applied {
		out[i] = providers.Applied{Key: a.Key, Body: slices.Clone(a.Body)}
	}
	return out
}

// MaxBody is the largest body the server reads.
func (s *Server) MaxBody() int64 { return s.spec.MaxBody }

// WriteError answers r with status in the API's error shape; the sandbox
// uses it for the faults it injects.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.spec.Refuse(w, r, Refusal{Kind: Injected, Status: status, Detail: msg})
}

func (s *Server) nextFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	if len(s.queued) > 0 {
		ft := s.queued[0]
		s.queued = s.queued[1:]
		s.mu.Unlock()
		return ft, true
	}
	hook := s.hook
	s.mu.Unlock()
	if hook == nil {
		return Fault{}, false
	}
	return hook(r)
}

// ServeHTTP checks a request in the order a real server's layers would: a
// gateway's faults, routing, authentication, the media type, the body, and
// then the provider's own rules.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ft, ok := s.nextFault(r); ok {
		if !s.fault(w, r, ft) {
			return
		}
	}
	refuse := func(k Kind, status int, detail string) {
		s.spec.Refuse(w, r, Refusal{Kind: k, Status: status, Detail: detail})
	}
	param, ok := s.route(r.URL.EscapedPath())
	if !ok {
		refuse(NotFound, http.StatusNotFound, r.URL.Path)
		return
	}
	if r.Method != s.spec.Method {
		w.Header().Set("Allow", s.spec.Method)
		refuse(MethodNotAllowed, http.StatusMethodNotAllowed, r.Method)
		return
	}
	if s.spec.Authorize != nil {
		if status, reason := s.spec.Authorize(r); status != 0 {
			refuse(Unauthorized, status, reason)
			return
		}
	}
	ct := r.Header.Get("Content-Type")
	mt := s.spec.DefaultMediaType
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			mt = ""
		}
	}
	if !s.acceptTypes[mt] {
		refuse(UnsupportedMediaType, http.StatusUnsupportedMediaType, ct)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.spec.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(TooLarge, http.StatusRequestEntityTooLarge, fmt.Sprint(s.spec.MaxBody))
			return
		}
		refuse(Unreadable, http.StatusBadRequest, "the body could not be read")
		return
	}
	var obj map[string]any
	if dec, ok := s.spec.Decoders[mt]; ok {
		if obj, err = dec(body); err != nil {
			refuse(Malformed, http.StatusBadRequest, err.Error())
			return
		}
	} else if obj, err = DecodeJSON(body); err != nil {
		k := Malformed
		if errors.Is(err, errNotObject) {
			k = NotObject
		}
		refuse(k, http.StatusBadRequest, err.Error())
		return
	}
	s.spec.Handle(w, &Call{Request: r, MediaType: mt, Param: param, Body: body, Object: obj, server: s})
}

// fault plays ft; it reports whether the request is still to be handled.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, ft Fault) bool {
	if ft.Delay > 0 {
		// A server notices a client that gave up only once the body has
		// been read, so read it now and hand on a copy.
		body, err := io.ReadAll(io.LimitReader(r.Body, s.spec.MaxBody+1))
		if err != nil {
			return false
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(ft.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	if ft.Status == 0 {
		return true
	}
	if ft.RetryAfter != "" {
		w.Header().Set("Retry-After", ft.RetryAfter)
	}
	s.WriteError(w, r, ft.Status, "injected fault: "+http.StatusText(ft.Status))
	return false
}

// route matches an escaped path: exactly Spec.Path, or its prefix and one
// segment for a parameter.
func (s *Server) route(path string) (string, bool) {
	if !s.hasParam {
		return "", path == s.spec.Path
	}
	param, ok := strings.CutPrefix(path, s.pathPrefix)
	return param, ok && param != "" && !strings.Contains(param, "/")
}

var errNotObject = errors.New("the body must be a JSON object")

// DecodeJSON decodes a body that must be one JSON object, numbers as
// json.Number, so that 5, "5" and 5.5 stay apart.
func DecodeJSON(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObject
	}
	return obj, nil
}

// WriteJSON answers with v as JSON, as the client would encode it.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := providers.MarshalJSON(v)
	if err != nil {
		// Fakes write maps of strings, numbers and booleans; this cannot
		// happen, and must still be an answer.
		b, status = []byte(`{"error":"internal error"}`), http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
