// Package appliance is the running amane: it owns the resolver's handler,
// the policy snapshot in force, the lists and the helpline feeds that feed
// it, the day's usage, the pauses and the report outbox, and it rebuilds
// and swaps them whole when the configuration, a list or a feed changes.
//
// Every operation a parent or an operator can ask of a running amane is a
// method here: Pause, Resume, Grant, Usage, Devices, Explain, Report,
// ReportStatus, RotateKey, ListStatus. The command line's control socket
// and the console are thin adapters over these methods, so that each
// operation has one implementation and one set of checks.
//
// The life of an Appliance: New opens its state and compiles the
// configuration; Start loads what is on disk (lists, feeds: a cold boot
// filters before any network) and starts the loops that keep it current;
// Reload swaps in a new configuration, or refuses it and keeps the running
// one; Close, after the listeners have stopped, writes what must survive a
// restart.
package appliance
