package export

import (
	"time"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
)

// The profile attributes that hold the e-mail status Omnisend last showed
// for the profile's address, written by segbridge when it reads Omnisend
// back (an unsubscribe made in Omnisend: `connection sync-unsubscribes`,
// each system refresh, `export verify`). Rules can read them like any
// attribute.
const (
	// OmnisendStatusAttribute holds subscribed, unsubscribed or
	// nonSubscribed.
	OmnisendStatusAttribute = "omnisend_email_status"
	// OmnisendStatusAtAttribute holds when Omnisend's status took effect
	// (RFC 3339).
	OmnisendStatusAtAttribute = "omnisend_email_status_at"
)

// keepUnsubscribe makes sure older profile data never lifts an
// unsubscribe made in Omnisend: when the profile says Omnisend has the
// address unsubscribed, a mapped status other than unsubscribed that is
// dated before that unsubscribe (or not dated at all) is replaced by the
// unsubscribe with Omnisend's date. Omnisend would keep its later-dated
// status anyway; this also holds when it lost the contact (deleted in
// Omnisend, then sent again) or does not apply the date rule. A mapped
// status dated after the unsubscribe is newer consent and is sent. An
// unsubscribe without a readable date leaves the status unknown, which
// Omnisend never lets override the one it has.
func keepUnsubscribe(a profile.Attrs, c *omnisend.Contact) {
	if c.Status == "" || c.Status == omnisend.StatusUnsubscribed {
		return
	}
	if s, _ := a[OmnisendStatusAttribute].(string); s != string(omnisend.StatusUnsubscribed) {
		return
	}
	at, ok := statusDate(a[OmnisendStatusAtAttribute])
	switch {
	case !ok:
		c.Status, c.StatusDate = "", time.Time{}
	case c.StatusDate.IsZero() || c.StatusDate.Before(at):
		c.Status, c.StatusDate = omnisend.StatusUnsubscribed, at
	}
}
