// Package blocklist owns everything about lists of names: the list formats
// (hosts, plain domains, wildcard, AdGuard/ABP DNS syntax, dnsmasq, unbound,
// RPZ, hashed), the compiled immutable Set that answers "which categories
// block this name, and by which rule", the category taxonomy, list sources
// (HTTP fetch, local files, last good copy on disk) and signed feeds.
//
// It works on lower-case FQDN strings without a trailing dot and never
// imports a DNS wire library: only the resolver speaks wire format.
package blocklist
