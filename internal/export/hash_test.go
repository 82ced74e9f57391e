package export

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
)

func TestHashIsCanonical(t *testing.T) {
	t.Parallel()
	base := func() omnisend.Contact {
		return omnisend.Contact{Email: "a@example.com", FirstName: "Jane", Tags: []string{"source: segbridge", "s: a", "s: b"},
			CustomProperties: map[string]any{"x": int64(1), "y": "z", "f": 1.5, "b": true, "l": []string{"p", "q"}}}
	}
	h := Hash(base())
	require.Len(t, h, 32)
	for i := 0; i < 20; i++ {
		require.Equal(t, h, Hash(base()), "map order does not matter")
	}
	c := base()
	c.Tags = []string{"s: b", "source: segbridge", "s: a", "s: a"}
	require.Equal(t, h, Hash(c), "tag order and repeats do not matter")
	c = base()
	c.Email = " A@Example.com"
	require.Equal(t, h, Hash(c), "the e-mail hashes normalized")
	c = base()
	c.Status, c.StatusDate = omnisend.StatusNonSubscribed, legacyUnknownDate
	require.Equal(t, h, Hash(c), "an unknown status hashes as what was sent for it before the consent policies, so an upgrade does not re-send everything")

	differs := map[string]func(*omnisend.Contact){
		"name":      func(c *omnisend.Contact) { c.FirstName = "Janet" },
		"field":     func(c *omnisend.Contact) { c.FirstName, c.LastName = "", "Jane" },
		"tag":       func(c *omnisend.Contact) { c.Tags = c.Tags[:2] },
		"type":      func(c *omnisend.Contact) { c.CustomProperties["x"] = "1" },
		"float":     func(c *omnisend.Contact) { c.CustomProperties["f"] = 1.25 },
		"prop":      func(c *omnisend.Contact) { delete(c.CustomProperties, "b") },
		"status":    func(c *omnisend.Contact) { c.Status = omnisend.StatusSubscribed },
		"date":      func(c *omnisend.Contact) { c.Status, c.StatusDate = omnisend.StatusSubscribed, time.Unix(1e9, 0) },
		"phone":     func(c *omnisend.Contact) { c.Phone = "+14155550123" },
		"list":      func(c *omnisend.Contact) { c.CustomProperties["l"] = []string{"pq"} },
		"empty tag": func(c *omnisend.Contact) { c.Tags = append(c.Tags, "") },
	}
	seen := map[string]string{h: "base"}
	for name, change := range differs {
		c := base()
		change(&c)
		got := Hash(c)
		prev, dup := seen[got]
		require.False(t, dup, "%s hashes like %s", name, prev)
		seen[got] = name
	}
}
