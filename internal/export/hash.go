package export

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"time"

	"segbridge/internal/omnisend"
)

// Hash returns a canonical digest of a mapped contact (32 hex characters),
// for telling whether what Omnisend should hold for a person changed since
// the last run. Equal contacts hash equally whatever the order of their
// tags or custom properties; the e-mail is hashed normalized; custom
// property values hash with their type (60601 and "60601" differ). The
// status is the one the export's consent policy decided (see
// ConsentPolicy), so a change of policy or of the clock (a future date
// that is now past) that changes what is sent changes the hash. An unknown
// status (none sent) hashes as nonSubscribed dated 2000-01-01, what was
// sent for it before the consent policies: contacts sent then are not all
// sent again.
func Hash(c omnisend.Contact) string {
	var h hasher
	h.buf = make([]byte, 0, 512)
	status, date := c.Status, c.StatusDate
	if status == "" {
		status, date = omnisend.StatusNonSubscribed, legacyUnknownDate
	}
	if date.IsZero() {
		date = legacyUnknownDate
	}
	h.str(omnisend.NormalizeEmail(c.Email))
	h.str(strings.TrimSpace(c.Phone))
	h.str(string(status))
	h.str(date.UTC().Format(time.RFC3339))
	for _, s := range [...]string{c.FirstName, c.LastName, c.Address, c.City, c.State, c.PostalCode,
		c.Country, c.CountryCode, c.Gender, c.Birthdate} {
		h.str(s)
	}
	tags := slices.Clone(c.Tags)
	slices.Sort(tags)
	tags = slices.Compact(tags)
	h.num(uint64(len(tags)))
	for _, t := range tags {
		h.str(t)
	}
	props := make([]string, 0, len(c.CustomProperties))
	for k := range c.CustomProperties {
		props = append(props, k)
	}
	slices.Sort(props)
	h.num(uint64(len(props)))
	for _, k := range props {
		h.str(k)
		h.value(c.CustomProperties[k])
	}
	sum := sha256.Sum256(h.buf)
	return hex.EncodeToString(sum[:16])
}

// legacyUnknownDate is the date once sent with an unknown status.
var legacyUnknownDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// hasher builds an unambiguous byte string: every item is length-prefixed
// or fixed-size, every value carries its type.
type hasher struct{ buf []byte }

func (h *hasher) num(n uint64) { h.buf = binary.AppendUvarint(h.buf, n) }

func (h *hasher) str(s string) {
	h.num(uint64(len(s)))
	h.buf = append(h.buf, s...)
}

func (h *hasher) value(v any) {
	switch x := v.(type) {
	case string:
		h.buf = append(h.buf, 's')
		h.str(x)
	case int64:
		h.buf = append(h.buf, 'i')
		h.buf = binary.AppendVarint(h.buf, x)
	case int:
		h.buf = append(h.buf, 'i')
		h.buf = binary.AppendVarint(h.buf, int64(x))
	case float64:
		h.buf = append(h.buf, 'f')
		h.buf = binary.BigEndian.AppendUint64(h.buf, math.Float64bits(x))
	case bool:
		h.buf = append(h.buf, 'b')
		if x {
			h.buf = append(h.buf, 1)
		} else {
			h.buf = append(h.buf, 0)
		}
	case []string:
		h.buf = append(h.buf, 'a')
		h.num(uint64(len(x)))
		for _, s := range x {
			h.str(s)
		}
	default:
		h.buf = append(h.buf, '?')
	}
}
