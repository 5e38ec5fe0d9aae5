// Package blocklist owns everything about lists of names: the category
// taxonomy, the list formats and their parsers, name normalization, and the
// compiled immutable Set that answers "which categories block this name, is
// it excepted, and by which rule". List sources (HTTP fetch, local files,
// last good copy on disk) and signed feeds will live here too; they are not
// written yet.
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
// name and a Category, as 16-byte records, and Build compiles them into a
// Set of about 13 bytes per name that Lookup reads without allocating.
// Sources keeps the last Set compiled on disk with the digests of the files
// it came from (compiled.go), so that a boot with unchanged lists loads it
// in a few reads instead of parsing; a damaged or stale one is rebuilt.
//
// # Semantics
//
// Blocking a name blocks its subdomains; an exception allows the name and
// its subdomains; the most specific rule wins, an exception beating a block
// at the same name; a name listed in several lists carries all their
// categories. Formats that say more narrow a rule's Scope: `|x^` and a bare
// RPZ owner are exact, `*.x` is strictly below x (see Scope for why).
package blocklist
