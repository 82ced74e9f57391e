package web_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
	"segbridge/internal/profile"
	"segbridge/internal/store"
)

// TestConsentOnPages: the export page shows the consent policy, and the
// run page counts a consent status held back because it is dated in the
// future.
func TestConsentOnPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "")
	page := f.admin.get(fmt.Sprintf("/exports/%d", f.sharedExp.ID))
	require.Contains(t, page.body, "keep: never sends a status")

	ps, err := f.a.Store.ListProfiles(f.ctx, store.ListOptions{Limit: 100})
	require.NoError(t, err)
	var member profile.Profile
	for _, p := range ps {
		if n, _ := p.Attrs["orders"].(int64); n >= 1 {
			member = p
			break
		}
	}
	require.NotEmpty(t, member.ID)
	member.Attrs["email_consent"] = "subscribed"
	member.Attrs["email_consent_date"] = time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339)
	_, err = f.a.Store.UpsertProfiles(f.ctx, []profile.Profile{member}, time.Now())
	require.NoError(t, err)

	e := f.sharedExp
	e.Mapping.Consent = &export.ConsentMapping{Attribute: "email_consent", DateAttribute: "email_consent_date"}
	e.ConsentPolicy = export.ConsentOptIns
	e, err = f.a.Store.UpdateExport(f.ctx, e)
	require.NoError(t, err)
	page = f.admin.get(fmt.Sprintf("/exports/%d", e.ID))
	require.Contains(t, page.body, `<dd id="consent-policy">opt-ins: sends a mapped subscribed with its date; never unsubscribed or nonSubscribed</dd>`)

	r := f.finishedRun(e)
	require.Equal(t, map[string]int{"consent_future_date": 1}, r.Counts.Dropped)
	page = f.admin.get(fmt.Sprintf("/runs/%d", r.ID))
	require.Contains(t, regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page.body, ""), "consent_future_date 1", "the reason (explained on hover) and its count")
}
