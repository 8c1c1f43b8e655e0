// Package providers describes the account APIs acctimport can update and holds
// their registry.
//
// A Provider promises four things: a field table (every field the API accepts,
// with its type, whether it is required and the documented rules a value must
// meet), how one payload becomes an HTTP request, how an answer is read (ok,
// partial or failed, with the server's message), and a fake of the API that
// enforces the same document. Everything that is the same for every API (the
// exchange itself, size limits on bodies, typed errors, retry decisions,
// Retry-After and secret scrubbing) lives here once, in Exchange.
package providers
