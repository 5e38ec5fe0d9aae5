// Package activity owns what happened on the network, for the parents: the
// event the resolver sends for each answer, a bounded in-memory log of
// recent answers per device, hourly aggregates per device kept in bbolt
// (written in batches, pruned by whole buckets after the retention), the
// privacy modes that decide which of these keep names, and the queries the
// console and `amane activity` ask of them. Alerts and their delivery are
// in the sub-package alert.
//
// One writer goroutine (Log.Run) aggregates; readers take the same lock
// for the moment of a copy. Nothing here runs on the resolver's hot path
// but the Ring the events come through, and Event.SetName, which copies a
// name into a fixed array. The writer takes the ring's events every
// DrainEvery while they come, at once when a batch of 256 waits (so that
// a drain never holds the core long), and not at all while none come: an
// idle appliance does not wake for it.
package activity
