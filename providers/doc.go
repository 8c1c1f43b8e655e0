// Package providers describes the account APIs acctimport can update and holds
// their registry.
//
// A Provider promises four things: a field table (every field the API accepts,
// with its type, whether it is required and the documented rules a value must
// meet), how one payload becomes an HTTP request, how an answer is read (ok,
// partial or failed, with the server's message), and a fake of the API that
// enforces the same document. Everything that is the same for every API (the
// exchange itself, size limits on bodies, typed errors, retry decisions,
// Retry-After, redirects never followed, and secrets scrubbed from what a
// server says before it is made printable and clipped) lives here once, in
// Exchange. What every fake does the same way lives once in
// providers/fakeapi, and the contract every provider and its fake pass in
// providers/providertest: adding a provider is a table, an encoder and a
// reader, a short fake, and a harness for the contract.
package providers
