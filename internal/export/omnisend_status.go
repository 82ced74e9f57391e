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
// address unsubscribed (read back by segbridge), a mapped subscribed dated
// at or before that unsubscribe is not sent (opt-ins), or is replaced by
// the unsubscribe with Omnisend's date (mirror: this also holds when
// Omnisend lost the contact, deleted and then sent again). Omnisend keeps
// a strictly later status, but an equal date replaces, so a tie goes to
// the unsubscribe. A subscribed dated after the unsubscribe is newer
// consent and is sent. An unsubscribe without a readable date leaves the
// status unknown (not sent).
func keepUnsubscribe(a profile.Attrs, c *omnisend.Contact, p ConsentPolicy) {
	if c.Status != omnisend.StatusSubscribed {
		return
	}
	if s, _ := a[OmnisendStatusAttribute].(string); s != string(omnisend.StatusUnsubscribed) {
		return
	}
	at, ok := statusDate(a[OmnisendStatusAtAttribute])
	switch {
	case !ok || p != ConsentMirror && !c.StatusDate.After(at):
		c.Status, c.StatusDate = "", time.Time{}
	case !c.StatusDate.After(at):
		c.Status, c.StatusDate = omnisend.StatusUnsubscribed, at
	}
}
