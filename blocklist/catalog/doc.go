// Package catalog owns amane's built-in catalog: what a category blocks
// before anyone configures a list. For each category of the taxonomy
// (package blocklist) it knows the real, maintained public lists that can
// fill it — id, URLs with the project's own mirrors in order, format,
// licence, size and when the source's servers may be asked — and, for a
// category that no public list can fill (abuse, weapons, other), why not.
//
// The catalog is data, built afresh by each call (Entries, Lookup): there
// is no package-level state to change at run time. Every source is one
// that a commercial appliance may fetch: no non-commercial, unlicensed or
// "all rights reserved" list is in it, and the tests hold that.
//
// Select is the one decision: given the categories a policy blocks and
// those that configured lists and feeds already fill, which sources to
// fetch, with a mirror's copy first when the `[catalog]` section (Config)
// names one. Fetching, keeping the last good copy and refreshing belong
// to package blocklist's Sources; this package decides only what and
// when (Window, Fetch.Next).
//
// The service catalog (apps a parent blocks by name) lives here too, in
// its own files.
package catalog
