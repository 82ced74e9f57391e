// Package readback reads Omnisend back instead of trusting segbridge's own
// memory of what it sent.
//
// Verify lists the contacts that carry an export's tags in Omnisend and
// compares them with the export's confirmed state: contacts deleted in
// Omnisend, tags removed from them, tags or contacts added that the state
// does not know, and fields that differ from what the export maps. With
// repair, it marks the drifted entries of the state unsure (store's
// MarkDrift), and the export's next run plans them again like any contact
// whose batch had no known outcome: a member is re-sent, anyone else
// untagged, so the repair costs the requests of the plan and no more.
//
// Statuses feed Omnisend's unsubscribes back onto the profiles, as the
// attributes export.OmnisendStatusAttribute and OmnisendStatusAtAttribute:
// visible to rules, and kept by every consent mapping (export.Mapping
// never sends a status that would lift a later unsubscribe).
package readback
