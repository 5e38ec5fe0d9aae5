// Package reports owns the link to the national helpline: what an appliance
// reports (hand-made reports, counts of hits on watch lists and on mandatory
// categories), the durable bbolt outbox and the signed-batch sender; and, on
// the helpline's side, the intake that receives, deduplicates, stores,
// aggregates and exports those reports.
//
// Nothing in this package may carry a device, an address, a MAC, a hostname
// or a profile name: reports are anonymous by construction.
package reports
