// Package reports owns the link to the national helpline, both ends of it.
//
// The wire contract (protocol.go, documented with a worked example in
// PROTOCOL.md): a Report (domain, category, day, count, the reporter's
// note, and an age band only where the owner opted in) travels in a
// signed Batch whose random id is the idempotency key.
//
// On the appliance:
//   - Config is the `[helpline]` table: the helpline's URL, the key of its
//     feed, share_age_band.
//   - Hit is the event the resolver sends for a lookup of a watched name or
//     an attempt to reach a mandatory category; Counter turns hits into
//     daily counts of the listed domain.
//   - Outbox keeps reports in the appliance's bbolt file: manual reports
//     durable before Add returns, counts merged and bounded, batches sealed
//     and signed once with the appliance's pseudonymous key.
//   - Sender posts sealed batches until the helpline acknowledges them,
//     with backoff and jitter, resending the same bytes.
//
// On the helpline: Store, the report database's interface (batches kept
// once by id, as evidence; reports by domain; the operators' triage; the
// statistics; the per-key rate limit; the console's accounts and the
// append-only audit log of every decision, written by Decide in the same
// transaction as the triage), with BoltStore, its embedded
// implementation (reports/pgstore is the PostgreSQL one, and
// reports/storetest the suite both pass); Intake (the http.Handler that
// checks size, schema, signature and rate limits before storing); the
// exports (CSV, XARF v4) and the statistics. reports/console is the
// operators' web console on a Store.
//
// Nothing in this package may carry a device, an address, a MAC, a
// hostname or a profile name: reports are anonymous by construction, and
// the intake never stores the address a batch came from.
package reports
