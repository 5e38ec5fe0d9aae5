// Package feed owns signed blocklist feeds, both ends of them: the
// minisign formats (keys, signatures, written here on crypto/ed25519 and
// BLAKE2b so that the standard `minisign` tool and this package verify each
// other), the manifest that describes one version of a feed, the
// appliance's subscription (fetch, verify, refuse, store the last good
// copy, swap atomically, load it at a cold boot) and the helpline's
// publishing (Publish, used by `amane-helpline feed publish`).
//
// A feed is a directory that any static web server can serve:
// manifest.json, its detached signature manifest.json.minisig, and the list
// files it names with their size and SHA-256. README.md beside this file
// documents the protocol, with a worked example to replay with curl and
// minisign.
//
// # Trust
//
// An appliance trusts nothing it fetched until the signature of
// manifest.json verified with the configured public key (the signature and
// the trusted comment's global signature, and the key id), and nothing a
// list file holds until its size and SHA-256 match the manifest. It refuses
// a version lower than the highest it ever verified (rollback; that
// version is kept in its own file, so a damaged copy cannot lower it), the
// same version with other content, an expired manifest, one issued in the future, and any
// download over its size limit or cut short. Each refusal is an error that
// says what was refused; the verified copy in use stays on disk, unchanged.
//
// A copy past its expiry is refused when offered, but the one already held
// is still used (and reported stale): when the helpline cannot be reached,
// a child stays protected by the last good lists rather than by none.
//
// # Boundaries
//
// Categories and list formats are plain strings here. Package blocklist,
// which compiles the lists, imports this package, so this one cannot import
// it: callers check the ids through Options.Accept and PublishOptions.Accept.
// The package starts no goroutine of its own except in Poll, and keeps no
// package-level state.
package feed
