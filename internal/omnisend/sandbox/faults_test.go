package sandbox

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// outcomes sends n contact upserts and returns, per request, the status or
// "dropped".
func outcomes(b *bundle, n int) []string {
	out := make([]string, n)
	for i := range out {
		res, err := b.try(dialect2026, keyMain, http.MethodPost, "/api/contacts",
			contact2026(fmt.Sprintf("f%d@example.com", i), nil))
		if err != nil {
			out[i] = "dropped"
			continue
		}
		out[i] = fmt.Sprint(res.status)
	}
	return out
}

func faulty(seed int64) func(*Config) {
	return func(c *Config) {
		c.Faults = FaultConfig{Seed: seed, Error5xx: 0.15, Extra429: 0.1, Lost: 0.1}
	}
}

func TestFaultsSameSeedSameFaults(t *testing.T) {
	t.Parallel()
	first := outcomes(setup(t, faulty(42)), 60)
	second := outcomes(setup(t, faulty(42)), 60)
	other := outcomes(setup(t, faulty(43)), 60)
	require.Equal(t, first, second)
	require.NotEqual(t, first, other)
	for _, want := range []string{"201", "429", "dropped"} {
		require.Contains(t, first, want)
	}
	require.Subset(t, []string{"201", "429", "500", "502", "503", "dropped"}, first)
}

func TestFaultDecisionsArePure(t *testing.T) {
	t.Parallel()
	f := FaultConfig{Seed: 9, Error5xx: 0.3, Hang: 0.1, Lost: 0.2, LatencyJitter: time.Second}
	for seq := range uint64(200) {
		require.Equal(t, f.decide(seq), f.decide(seq))
	}
	counts := map[fault]int{}
	for seq := range uint64(10000) {
		counts[f.decide(seq).kind]++
	}
	require.InDelta(t, 3000, counts[fault5xx], 300)
}

func TestLostResponseStillApplied(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 1, Lost: 1} })
	_, err := b.try(dialect2026, keyMain, http.MethodPost, "/api/contacts", contact2026("lost@example.com", nil))
	require.Error(t, err, "the client sees the connection drop")
	contacts := b.srv.Contacts("brand-a")
	require.Len(t, contacts, 1, "the change was applied")
	require.Equal(t, "lost@example.com", contacts[0]["email"])
	reqs := b.srv.Requests()
	require.Equal(t, "lost", reqs[len(reqs)-1].Fault)
	require.Equal(t, 1, b.srv.Stats().Faults["lost"])
}

func TestServerErrorNotApplied(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 1, Error5xx: 1} })
	res := b.api(http.MethodPost, "/api/contacts", contact2026("e@example.com", nil))
	require.Contains(t, []int{500, 502, 503}, res.status)
	require.Empty(t, b.srv.Contacts(""))
	res = b.v3(http.MethodPost, "/v3/contacts", contactV3("e@example.com", nil))
	require.Contains(t, res.body, "error")
}

func TestHangDropsAfterHangFor(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 1, Hang: 1, HangFor: 50 * time.Millisecond} })
	start := time.Now()
	_, err := b.try(dialect2026, keyMain, http.MethodPost, "/api/contacts", contact2026("h@example.com", nil))
	require.Error(t, err)
	require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	require.Empty(t, b.srv.Contacts(""), "a hung request is not applied")

	client := &http.Client{Timeout: 30 * time.Millisecond}
	b2 := setup(t, func(c *Config) { c.Faults = FaultConfig{Seed: 1, Hang: 1, HangFor: time.Hour} })
	req, _ := http.NewRequest(http.MethodGet, b2.ts.URL+"/api/contacts", nil)
	setAuth(req, dialect2026, keyMain)
	_, err = client.Do(req)
	require.Error(t, err, "the client's timeout fires first; the sandbox gives up when the client does")
}

func TestLatency(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Faults = FaultConfig{Latency: 30 * time.Millisecond} })
	start := time.Now()
	require.Equal(t, http.StatusOK, b.api(http.MethodGet, "/api/contacts", nil).status)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}
