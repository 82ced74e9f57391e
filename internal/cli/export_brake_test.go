package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/export"
)

func TestExportBrakeFlags(t *testing.T) { onEachEngine(t, testExportBrakeFlags) }

// testExportBrakeFlags: the brake's defaults on create, flags that change
// only what they name on update, the thresholds in export show, a bad
// one refused in plain words; approving or discarding a run that is not
// held is refused with why.
func testExportBrakeFlags(t *testing.T, b *bundle) {
	exportFixture(t, b)
	b.ok("export", "create", "Braked", "--connection", "main shop", "--segment", "VIP buyers", "--map", "email=email",
		"--brake-untag-min", "20")
	var e exportJSON
	require.NoError(t, json.Unmarshal([]byte(b.ok("export", "show", "Braked", "-o", "json")), &e))
	want := export.DefaultBrake()
	want.UntagMin = 20
	require.Equal(t, want, e.Brake)

	b.ok("export", "update", "Braked", "--brake-drop-percent", "100", "--brake-skip-percent", "30")
	show := b.ok("export", "show", "Braked")
	require.Contains(t, show, "removal brake:")
	require.Contains(t, show, "untags over 10 % and over 20 contacts; skipped members over 30 %; members falling: off")

	msg := b.fails("export", "update", "Braked", "--brake-untag-percent", "150")
	require.Contains(t, msg, "150: want a percentage from 0 to 100 (100 turns it off)")

	b.ok("export", "run", "Braked")
	msg = b.fails("export", "approve", "1")
	require.Contains(t, msg, "run 1 is not held by the removal brake (it is succeeded)")
	msg = b.fails("export", "discard", "x")
	require.Contains(t, msg, `"x" is not a run id`)

	// Hold any untag: the one member leaves, the run is held, the next is
	// refused, and approve sends the untag as the same run.
	b.ok("export", "update", "Braked", "--brake-untag-percent", "0", "--brake-untag-min", "0")
	b.ok("segment", "update", "VIP buyers", "--rule", "p.orders > 100")
	msg = b.fails("export", "run", "Braked")
	require.Contains(t, msg, "run 2 is held: would untag 1 of 1 confirmed contacts (100 %, threshold 0 % and 0)")
	require.Contains(t, msg, "approve them with: segbridge export approve 2")
	msg = b.fails("export", "run", "Braked")
	require.Contains(t, msg, `export "Braked" has run 2 held by its removal brake`)
	require.Contains(t, msg, "segbridge export approve 2")
	out := b.ok("export", "approve", "2")
	require.Contains(t, out, "run 2 succeeded")
	require.Contains(t, out, "untagged 1")
}
