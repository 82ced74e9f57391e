package readback

import (
	"context"
	"fmt"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// Status is the e-mail status Omnisend shows for an address.
type Status struct {
	Email  string                 `json:"email"`
	Status omnisend.ChannelStatus `json:"status"`
	// At is when the status took effect, as Omnisend says it (RFC 3339;
	// "" when it did not say).
	At string `json:"at,omitempty"`
}

// Overlap is how far before the last check's start an incremental check
// asks for updated contacts: clocks of segbridge and Omnisend may differ
// by that much without a change slipping between two checks.
const Overlap = 5 * time.Minute

// CheckOptions says which contacts to ask Omnisend about.
type CheckOptions struct {
	// Since, when set, asks only for the contacts updated since then
	// (less Overlap; 2026-03-15's updatedAtFrom): every status they show
	// is returned. Zero asks for every unsubscribed contact (status
	// filter), the first check of a connection and every check on v3,
	// whose contact list has no updatedAtFrom.
	Since time.Time
}

// CheckStatuses lists the statuses opt asks for: one request per
// omnisend.MaxContactsPage contacts.
func CheckStatuses(ctx context.Context, o Omnisend, opt CheckOptions) ([]Status, error) {
	q := omnisend.ListContactsOptions{Status: omnisend.StatusUnsubscribed}
	if !opt.Since.IsZero() {
		q = omnisend.ListContactsOptions{UpdatedAtFrom: opt.Since.Add(-Overlap)}
	}
	var out []Status
	err := o.EachContact(ctx, q, func(page []omnisend.ContactRecord) error {
		for _, r := range page {
			if email := omnisend.NormalizeEmail(r.Email); email != "" && r.Status != "" {
				out = append(out, Status{Email: email, Status: r.Status, At: r.StatusDate})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list Omnisend's contacts: %w", err)
	}
	return out, nil
}

// Profiles is where statuses are written; store.Store implements it.
type Profiles interface {
	ScanProfiles(ctx context.Context, fn func(id string, attrs []byte) error) error
	MergeProfileAttributes(ctx context.Context, changes []profile.Profile, now time.Time) (int, error)
}

// WriteResult is what writing statuses did.
type WriteResult struct {
	// Profiles is how many profiles have an address with a status;
	// Updated how many of them changed.
	Profiles int `json:"profiles"`
	Updated  int `json:"updated"`
}

// SyncResult is what one check of a connection's unsubscribes did (the
// application's SyncUnsubscribes: CheckStatuses, then WriteStatuses).
type SyncResult struct {
	Connection string `json:"connection"`
	// Since is where the check started: contacts updated since then were
	// read; zero: every unsubscribed contact was (a first check, or v3).
	Since    time.Time `json:"since,omitzero"`
	Requests int       `json:"requests"`
	// Statuses are the statuses read (an incremental check reads every
	// updated contact's); Unsubscribed how many of them are unsubscribes.
	Statuses     int         `json:"statuses"`
	Unsubscribed int         `json:"unsubscribed"`
	Profiles     WriteResult `json:"profiles"`
}

// WriteStatuses writes statuses onto the profiles whose e-mail (any of
// emailAttrs, the e-mail attributes of the exports involved) has them, as
// export.OmnisendStatusAttribute and OmnisendStatusAtAttribute; nothing
// else of a profile changes. An unsubscribe is always written; another
// status only onto a profile that carries an Omnisend status already (so
// that a re-subscribe made in Omnisend lifts an unsubscribe written
// before, and no other profile is touched). It reads every profile once
// when there is anything to write.
func WriteStatuses(ctx context.Context, ps Profiles, statuses []Status, emailAttrs []string, now time.Time) (WriteResult, error) {
	var res WriteResult
	byEmail := make(map[string]Status, len(statuses))
	for _, s := range statuses {
		byEmail[omnisend.NormalizeEmail(s.Email)] = s
	}
	if len(byEmail) == 0 || len(emailAttrs) == 0 {
		return res, nil
	}
	want := append(append([]string{}, emailAttrs...), export.OmnisendStatusAttribute, export.OmnisendStatusAtAttribute)
	var changes []profile.Profile
	err := ps.ScanProfiles(ctx, func(id string, raw []byte) error {
		a, err := profile.DecodeSelected(raw, want)
		if err != nil {
			return fmt.Errorf("profile %q: %w", id, err)
		}
		for _, attr := range emailAttrs {
			email, _ := a[attr].(string)
			s, ok := byEmail[omnisend.NormalizeEmail(email)]
			if !ok || email == "" {
				continue
			}
			res.Profiles++
			cur, has := a[export.OmnisendStatusAttribute].(string)
			at, _ := a[export.OmnisendStatusAtAttribute].(string)
			if cur == string(s.Status) && at == s.At || s.Status != omnisend.StatusUnsubscribed && !has {
				return nil
			}
			changes = append(changes, profile.Profile{ID: id, Attrs: profile.Attrs{
				export.OmnisendStatusAttribute: string(s.Status), export.OmnisendStatusAtAttribute: s.At}})
			return nil
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("find the profiles of Omnisend's statuses: %w", err)
	}
	for len(changes) > 0 {
		n := min(len(changes), 1000)
		updated, err := ps.MergeProfileAttributes(ctx, changes[:n], now)
		if err != nil {
			return res, err
		}
		res.Updated += updated
		changes = changes[n:]
	}
	return res, nil
}
