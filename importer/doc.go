// Package importer is the pipeline of a run: rows stream from the input
// reader through the mapping's plan (payload and validation) to the sender,
// and every row's result goes to the report in input order.
//
// Memory is bounded by the concurrency and a fixed reorder window, never by
// the number of rows. A failed row is a result, not an error: only what must
// stop the whole run (cancellation, credentials the provider rejects,
// --max-failures) ends it early, and then every row that was read is still
// reported.
package importer
