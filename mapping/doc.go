// Package mapping reads the YAML file that says how a spreadsheet's columns
// become a provider's payload, checks it against the input's header row and
// the provider's field table before anything is sent, and builds and
// validates one payload per row.
//
// Decoding is strict: every problem is reported with the mapping's file name
// and line, and with the nearest valid name where one is near. A checked
// mapping compiles into a Plan, so the per-row work is a walk over a slice:
// no map lookups by name, no reflection, regexes compiled once.
package mapping
