package store

import "context"

// PlanHistory is what a run's preview reads besides the run store: the
// contacts earlier runs had confirmed, for the old values of its diff.
type PlanHistory interface {
	// LastConfirmedContacts returns, for those of emails that have one,
	// the contact (omnisend.Contact as JSON) of the export's latest upsert
	// op that Omnisend confirmed: what the export last put there. It only
	// reads.
	LastConfirmedContacts(ctx context.Context, exportID int64, emails []string) (map[string][]byte, error)
}
