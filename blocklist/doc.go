// Package blocklist owns everything about lists of names: the category
// taxonomy, the list formats and their parsers, name normalization, and the
// compiled immutable Set that answers "which categories block this name, is
// it excepted, and by which rule". List sources (HTTP fetch, local files,
// last good copy on disk) live here too, and signed feeds in blocklist/feed.
//
// It works on lower-case FQDN strings without a trailing dot and never
// imports a DNS wire library: only the resolver speaks wire format.
//
// # Pipeline
//
// A list is read by Parse, which detects its format (DetectFormat) unless
// told, streams it line by line with a bounded line length, normalizes each
// name once (Normalize: lower case, no trailing dot, IDN to punycode,
// invalid names counted and skipped) and hands each Rule to a callback.
// UT1's per-category tar.gz archives (FormatUT1Tar) are read through their
// `domains` member, with decompression capped (archive.go). No
// line is fatal: what a DNS filter cannot honour is counted in Stats by
// Reason, with the first example, for `amane lists check` (CheckFile,
// Stats.Write). A Builder collects the rules of many lists, each with a
// name and a Category, as 12-byte records, and Build compiles them into a
// Set that Lookup reads without allocating: about 9 bytes per name that
// lookups touch, and 4 more (each rule's line) that only Explain reads.
// Sources compiles straight into a file on disk (compiled.go), with the
// digests and file stamps of the lists it came from, and maps that file
// read-only: the tables are never in the heap, their pages are the page
// cache's (brought in by the lookups that touch them, evictable), and a
// boot with unchanged lists checks the file once and maps it instead of
// parsing. A damaged or stale file is rebuilt, never used.
//
// # Semantics
//
// Blocking a name blocks its subdomains; an exception allows the name and
// its subdomains; the most specific rule wins, an exception beating a block
// at the same name; a name listed in several lists carries all their
// categories. Formats that say more narrow a rule's Scope: `|x^` and a bare
// RPZ owner are exact, `*.x` is strictly below x (see Scope for why).
package blocklist
