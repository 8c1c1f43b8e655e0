package pace

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The header families a server announces its limits in.
//
//   - The IETF httpapi draft (draft-ietf-httpapi-ratelimit-headers-09/10):
//     RateLimit-Policy: "default";q=100;w=60 (a quota of q per w seconds)
//     and RateLimit: "default";r=50;t=30 (r left, reset in t seconds),
//     items matched by name; drafts 07-08 spelled q as l.
//   - The draft's older form (up to draft 06): RateLimit-Limit: 100 (with
//     an optional policy, 100, 100;w=60), RateLimit-Remaining: 50,
//     RateLimit-Reset: 30, and RateLimit-Policy: 100;w=60.
//   - The common X-RateLimit-Limit/Remaining/Reset, where Reset is seconds
//     from now or a Unix time (seconds or milliseconds), told apart by size.
//
// Parsing allocates nothing: it runs on every answer.
const (
	hPolicy     = "Ratelimit-Policy"
	hLimit      = "Ratelimit"
	hOldLimit   = "Ratelimit-Limit"
	hOldRemain  = "Ratelimit-Remaining"
	hOldReset   = "Ratelimit-Reset"
	hXLimit     = "X-Ratelimit-Limit"
	hXRemaining = "X-Ratelimit-Remaining"
	hXReset     = "X-Ratelimit-Reset"
)

// Bounds on what a hostile or broken server can make the controller do.
const (
	maxValue   = 1e15 // of any number read (a Unix time in milliseconds fits)
	maxReset   = 24 * time.Hour
	maxItems   = 8    // members of one field looked at
	maxField   = 1024 // bytes of one field looked at
	unixSecs   = 1e9  // a Reset this large is a Unix time (2001 on)
	unixMillis = 1e12 // and this large, in milliseconds
	// nearReset is a reset near enough that the quota fills by then.
	nearReset = 2 * time.Second
	minReset  = 50 * time.Millisecond
)

// quota is one limit the server announced.
type quota struct {
	rate      float64       // sustained requests/s (q/w); 0 when not said
	limit     float64       // the quota's size; 0 when not said
	remaining float64       // r; < 0 when not said
	reset     time.Duration // t; < 0 when not said
}

// announcement is what one answer's header says of the server's limits.
type announcement struct {
	q [maxItems]quota
	n int
}

func (a *announcement) add(q quota) {
	if a.n < len(a.q) {
		a.q[a.n] = q
		a.n++
	}
}

// pace is the pace the announcement allows with others attempts sent
// after the answer left the server (they are not counted in what remains
// yet), or 0 when it says nothing usable.
//
// Where a quota names a sustained rate, that is the pace, unless what
// remains would run out more than a second before the reset at that rate
// (a window already partly spent): then what remains is spread evenly
// until the reset. So it is where no rate is named and the reset is far
// (a window of a minute or an hour). At least one attempt is left for the
// reset, so the pace never stops: the server's Retry-After says more than
// a zero would.
//
// A near reset with the quota's size told is a bucket that fills in a
// second or two: what is missing from it fills again by the reset, so its
// fill rate, the pace, is what is missing over the time to the reset.
// (What remains would be spent at once by the rule for windows, and a
// burst is all a bucket would answer that with.) A bucket nearly full
// tells nothing, and neither does an answer that was not fresh (slower to
// come than the answers usually are: its timing is not the server's):
// the pace in force stays.
func (a *announcement) pace(others int, fresh bool) float64 {
	best := 0.0
	for i := range a.n {
		q := a.q[i]
		p := q.rate
		if q.remaining >= 0 && q.reset > 0 {
			left := max(q.remaining-float64(others), 1)
			t := q.reset.Seconds()
			switch {
			case p == 0 && q.limit > 0 && q.reset <= nearReset:
				// The reset must be long enough for its precision (a
				// millisecond, at best) to make a rate of it.
				if q.reset < minReset || !fresh {
					break
				}
				// Remaining is whole: the bucket holds half a request more,
				// on average, than it says.
				if missing := q.limit - q.remaining; missing >= 2 {
					p = (missing - 0.5) / t
				}
			case p == 0 || left < p*(t-1):
				p = left / t
				if q.rate > 0 {
					p = min(p, q.rate)
				}
			}
		}
		if p > 0 && (best == 0 || p < best) {
			best = p
		}
	}
	return best
}

// parseAnnouncement reads every family of limit header in h. A Reset given
// as a Unix time is counted from sent, when the attempt began: the server
// decided on its limit then, not when the answer arrived a latency later,
// and delays are counted from then too.
func parseAnnouncement(h http.Header, sent time.Time, a *announcement) {
	a.n = 0
	if len(h) == 0 {
		return
	}
	policies := field(h, hPolicy)
	if live := field(h, hLimit); live != "" || policies != "" {
		parseIETF(policies, live, a)
	}
	if lim := field(h, hOldLimit); lim != "" {
		var q quota
		l := list{s: lim}
		for m, ok := l.next(); ok; m, ok = l.next() {
			if m.isNum && q.limit == 0 {
				q.limit = m.num
			}
			if m.isNum && q.rate == 0 {
				q.rate = policyRate(m.num, m.params)
			}
		}
		q.remaining = number(field(h, hOldRemain), -1)
		q.reset = seconds(number(field(h, hOldReset), -1))
		a.add(q)
	}
	if lim := field(h, hXLimit); lim != "" || field(h, hXRemaining) != "" {
		q := quota{limit: max(number(lim, 0), 0), remaining: number(field(h, hXRemaining), -1), reset: -1}
		if v := number(field(h, hXReset), -1); v >= 0 {
			q.reset = resetIn(v, sent)
		}
		a.add(q)
	}
}

// parseIETF reads the latest draft's pair of fields: the policies give
// each quota's sustained rate, the live items what is left of it.
func parseIETF(policies, live string, a *announcement) {
	type policy struct {
		name string
		rate float64
		used bool
	}
	var ps [maxItems]policy
	np := 0
	l := list{s: policies}
	for m, ok := l.next(); ok && np < len(ps); m, ok = l.next() {
		quota := m.num // draft 06: the member itself is the quota
		if !m.isNum {
			quota = param(m.params, "q")
			if quota < 0 {
				quota = param(m.params, "l")
			}
		}
		ps[np] = policy{name: m.name, rate: policyRate(quota, m.params)}
		np++
	}
	l = list{s: live}
	for m, ok := l.next(); ok; m, ok = l.next() {
		q := quota{remaining: param(m.params, "r"), reset: seconds(param(m.params, "t"))}
		if m.value != "" { // draft 07's dictionary: limit=10, remaining=1, reset=7
			continue
		}
		for i := range np {
			if ps[i].name == m.name {
				q.rate, ps[i].used = ps[i].rate, true
				break
			}
		}
		a.add(q)
	}
	if d, ok := dictionary(live); ok {
		a.add(d)
	}
	for i := range np {
		if !ps[i].used && ps[i].rate > 0 {
			a.add(quota{rate: ps[i].rate, remaining: -1, reset: -1})
		}
	}
}

// dictionary reads draft 07's RateLimit: limit=10, remaining=1, reset=7.
func dictionary(s string) (quota, bool) {
	q := quota{remaining: -1, reset: -1}
	found := false
	l := list{s: s}
	for m, ok := l.next(); ok; m, ok = l.next() {
		if m.value == "" || !m.isNum {
			continue
		}
		switch m.name {
		case "remaining":
			q.remaining, found = m.num, true
		case "reset":
			q.reset, found = seconds(m.num), true
		}
	}
	return q, found
}

// policyRate is a quota's sustained rate: q per w seconds, or 0 when the
// window is not said.
func policyRate(q float64, params string) float64 {
	w := param(params, "w")
	if q <= 0 || w <= 0 {
		return 0
	}
	return q / w
}

// resetIn reads a Reset value that may be seconds from now or a Unix time.
func resetIn(v float64, now time.Time) time.Duration {
	var d time.Duration
	switch {
	case v >= unixMillis:
		d = max(time.UnixMilli(int64(v)).Sub(now), 0)
	case v >= unixSecs:
		d = max(time.Unix(0, int64(v*1e9)).Sub(now), 0)
	default:
		return seconds(v)
	}
	if d > maxReset {
		return -1
	}
	return d
}

// seconds reads a reset in seconds; -1 when there is none, or when it is
// further off than any rate limit's window (maxReset): a quota "used up for
// 31 years" is a server's nonsense, and pacing to it would crawl for nothing.
func seconds(v float64) time.Duration {
	if v < 0 || v*float64(time.Second) > float64(maxReset) {
		return -1
	}
	return time.Duration(v * float64(time.Second))
}

// field is h's first value for a canonical key, cut to maxField bytes.
func field(h http.Header, key string) string {
	vs := h[key]
	if len(vs) == 0 {
		return ""
	}
	v := vs[0]
	if len(v) > maxField {
		v = v[:maxField]
	}
	return v
}

// number reads a plain number field, or returns def.
func number(s string, def float64) float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	l := list{s: s}
	if m, ok := l.next(); ok && m.isNum {
		return m.num
	}
	return def
}

// member is one member of a structured field list (RFC 9651), read
// loosely: a name (a string's or token's text) or a number, an optional
// "=value" (a dictionary member), and its raw parameters.
type member struct {
	name   string
	num    float64
	isNum  bool
	value  string
	params string
}

// list walks the members of a structured field list or dictionary.
type list struct {
	s string
	i int
	n int
}

func (l *list) next() (member, bool) {
	var m member
	for l.n < maxItems {
		l.skip()
		if l.i >= len(l.s) {
			return m, false
		}
		l.n++
		start := l.i
		m = member{}
		ok := l.bare(&m)
		if ok && l.i < len(l.s) && l.s[l.i] == '=' { // a dictionary member
			l.i++
			var v member
			vs := l.i
			if ok = l.bare(&v); ok {
				m.value = l.s[vs:l.i]
				m.num, m.isNum = v.num, v.isNum
			}
		}
		ps := l.i
		for l.i < len(l.s) && l.s[l.i] != ',' {
			if l.s[l.i] == '"' {
				l.quoted()
				continue
			}
			l.i++
		}
		m.params = l.s[ps:l.i]
		if ok && l.i > start {
			return m, true
		}
	}
	return m, false
}

func (l *list) skip() {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t' || l.s[l.i] == ',') {
		l.i++
	}
}

// bare reads a bare item: a number, a string, a token or a byte sequence.
func (l *list) bare(m *member) bool {
	s := l.s
	if l.i >= len(s) {
		return false
	}
	switch c := s[l.i]; {
	case c == '"':
		start := l.i + 1
		l.quoted()
		m.name = s[start:max(start, l.i-1)]
		return true
	case c == '-' || c >= '0' && c <= '9':
		start := l.i
		l.i++
		for l.i < len(s) && (s[l.i] >= '0' && s[l.i] <= '9' || s[l.i] == '.') {
			l.i++
		}
		if l.i < len(s) && tokenChar(s[l.i]) { // 1e9, 12abc: not a number
			return false
		}
		v, err := strconv.ParseFloat(s[start:l.i], 64)
		if err != nil || v > maxValue || v < -maxValue {
			return false
		}
		m.num, m.isNum = v, true
		return true
	case c == ':':
		end := strings.IndexByte(s[l.i+1:], ':')
		if end < 0 {
			l.i = len(s)
			return false
		}
		l.i += end + 2
		return true
	default:
		start := l.i
		for l.i < len(s) && tokenChar(s[l.i]) {
			l.i++
		}
		m.name = s[start:l.i]
		return l.i > start
	}
}

// quoted moves past a string that starts at l.i, escapes included.
func (l *list) quoted() {
	l.i++
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case '\\':
			l.i += 2
			continue
		case '"':
			l.i++
			return
		}
		l.i++
	}
	l.i = len(l.s)
}

func tokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0
}

// param is the number of parameter key in raw params (";k=v;k2=v2"), or
// -1 when it is absent or not a number.
func param(params, key string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		l := list{s: strings.TrimSpace(v)}
		var m member
		if l.bare(&m) && m.isNum && m.num >= 0 {
			return m.num
		}
		return -1
	}
	return -1
}
