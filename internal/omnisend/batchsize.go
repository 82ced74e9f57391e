package omnisend

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// batchItem is a contact with its encoded batch item.
type batchItem struct {
	contact Contact
	raw     json.RawMessage
}

// batchEnvelope is the size of a batch body without items:
// {"method":"POST","endpoint":"contacts","items":[]}.
var batchEnvelope = func() int {
	b, err := json.Marshal(createBatchRaw{Method: http.MethodPost, Endpoint: "contacts", Items: []json.RawMessage{}})
	if err != nil {
		panic(err) // a fixed value always encodes
	}
	return len(b)
}()

// encodeItems encodes each contact as the dialect's batch item.
func (c *Client) encodeItems(contacts []Contact) ([]batchItem, error) {
	items := make([]batchItem, len(contacts))
	for i, ct := range contacts {
		raw, err := json.Marshal(contactPayload(c.cfg.Dialect, ct))
		if err != nil {
			return nil, fmt.Errorf("encode contact %q: %w", NormalizeEmail(ct.Email), err)
		}
		items[i] = batchItem{contact: ct, raw: raw}
	}
	return items, nil
}

// batchBodySize is the exact size of the batch body carrying items (the
// client encodes the body the way it encoded the items: compact, with the
// same escaping).
func batchBodySize(items []batchItem) int {
	n := batchEnvelope
	for i, it := range items {
		if i > 0 {
			n++ // the comma
		}
		n += len(it.raw)
	}
	return n
}

// splitBySize packs items, in order, into runs whose batch body is at most
// limit bytes. An item that does not fit even alone is returned in tooBig.
func splitBySize(items []batchItem, limit int) (runs [][]batchItem, tooBig []batchItem) {
	start, size := 0, batchEnvelope
	for i, it := range items {
		if batchEnvelope+len(it.raw) > limit {
			if i > start {
				runs = append(runs, items[start:i])
			}
			tooBig = append(tooBig, it)
			start, size = i+1, batchEnvelope
			continue
		}
		grow := len(it.raw)
		if i > start {
			grow++ // the comma
		}
		if size+grow > limit {
			runs = append(runs, items[start:i])
			start, size, grow = i, batchEnvelope, len(it.raw)
		}
		size += grow
	}
	if start < len(items) {
		runs = append(runs, items[start:])
	}
	return runs, tooBig
}
