package omnisend

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend/sandbox"
)

// withFaults injects the acceptance-test fault mix into the sandbox.
func withFaults(f sandbox.FaultConfig) func(*setupOpts) {
	return func(o *setupOpts) {
		o.sandbox = func(c *sandbox.Config) { c.Faults = f }
	}
}

func testContact(i int) Contact {
	return Contact{Email: fmt.Sprintf("Person%05d@Example.com", i), FirstName: fmt.Sprintf("First%d", i),
		LastName: "Last", City: "Vilnius", CountryCode: "LT",
		Tags:             []string{"source: segbridge", fmt.Sprintf("segbridge: seg-%d", i%7)},
		CustomProperties: map[string]any{"segbridge_rank": i}}
}

// exportAll is the export pipeline's send-and-confirm loop in miniature:
// submit, poll each batch until done, read items of batches with errors,
// and resubmit whatever is not confirmed. It returns the number of rounds.
func exportAll(ctx context.Context, t *testing.T, c *Client, contacts []Contact) int {
	t.Helper()
	pending := contacts
	for round := 1; ; round++ {
		require.LessOrEqual(t, round, 10, "%d contacts still unconfirmed", len(pending))
		res, err := c.SubmitContacts(ctx, pending)
		if err != nil {
			t.Logf("round %d: submit stopped (will resubmit the rest): %v", round, err)
			require.True(t, IsRetryable(err), "only retryable errors may escape: %v", err)
		}
		require.Empty(t, res.Rejected)
		confirmed := map[string]bool{}
		for _, sb := range res.Batches {
			for _, e := range confirmBatch(ctx, t, c, sb) {
				confirmed[e] = true
			}
		}
		var next []Contact
		for _, ct := range pending {
			if !confirmed[NormalizeEmail(ct.Email)] {
				next = append(next, ct)
			}
		}
		if len(next) == 0 {
			return round
		}
		t.Logf("round %d: %d of %d contacts to resend", round, len(next), len(pending))
		pending = next
	}
}

// confirmBatch waits for a batch and returns the e-mails it applied.
func confirmBatch(ctx context.Context, t *testing.T, c *Client, sb SubmittedBatch) []string {
	t.Helper()
	var b Batch
	for range 200 {
		var err error
		if b, err = c.Batch(ctx, sb.ID); err == nil && b.Done() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !b.Done() {
		return nil // unknown: resend
	}
	if b.Status == BatchFinished && b.ErrorsCount == 0 && b.FinishedCount == len(sb.Emails) {
		return sb.Emails
	}
	items, err := c.BatchItems(ctx, sb.ID)
	if err != nil {
		return nil
	}
	require.Empty(t, items.Errors, "no item should fail on valid contacts")
	var ok []string
	for _, it := range items.Responses {
		ok = append(ok, it.Email)
	}
	return ok
}

func TestSubmit10000ContactsThroughFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("long: 10,000 contacts through a faulty sandbox")
	}
	bothDialects(t, func(t *testing.T, d Dialect) {
		b := setup(t, withFaults(sandbox.FaultConfig{Seed: 4, Error5xx: 0.10, Extra429: 0.05, Lost: 0.02}))
		contacts := make([]Contact, 10000)
		for i := range contacts {
			contacts[i] = testContact(i)
		}
		start := time.Now()
		rounds := exportAll(t.Context(), t, b.clients[d], contacts)

		got := b.sandboxContacts()
		require.Len(t, got, 10000)
		for i, ct := range contacts {
			c := got[NormalizeEmail(ct.Email)]
			require.NotNil(t, c, "contact %d missing", i)
			require.Equal(t, ct.FirstName, c["firstName"])
			require.Equal(t, "LT", c["countryCode"])
			require.Equal(t, "nonSubscribed", c["status"])
			require.ElementsMatch(t, ct.Tags, stringsIn(c["tags"]))
			props, _ := c["customProperties"].(map[string]any)
			require.Equal(t, fmt.Sprint(i), fmt.Sprint(props["segbridge_rank"]))
		}
		st := b.srv.Stats()
		require.Zero(t, st.Brands[sbBrand].WelcomeMessages)
		if len(b.rec.requests()) >= 200 { // v3 needs only ~30 requests
			require.Positive(t, st.Faults["5xx"])
			require.Positive(t, st.Faults["429"])
			require.Positive(t, st.Faults["lost"])
		}
		require.Positive(t, st.Faults["5xx"]+st.Faults["429"]+st.Faults["lost"])
		require.LessOrEqual(t, st.Brands[sbBrand].Limits["general"].Busiest, 360, "never past the budget")
		t.Logf("%s: 10,000 contacts in %d round(s), %s, %d requests, faults %v", d, rounds,
			time.Since(start).Round(time.Millisecond), len(b.rec.requests()), st.Faults)
	})
}

func TestAPIKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	b := setup(t, withFaults(sandbox.FaultConfig{Seed: 9, Error5xx: 0.2, Extra429: 0.1, Lost: 0.1,
		Hang: 0.05, HangFor: 2 * time.Second}),
		func(o *setupOpts) {
			o.client = func(c *Config) { c.Timeout = 100 * time.Millisecond; c.Retry.MaxAttempts = 3 }
		})
	ctx := t.Context()
	const wrongKey = "wrong-key-91b7c3e5d2"
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	clients := []*Client{b.clients[Dialect20260315], b.clients[DialectV3],
		b.newClient(t, Dialect20260315, wrongKey, nil, 1), b.newClient(t, DialectV3, wrongKey, nil, 2),
		b.newClient(t, Dialect20260315, sbKeyRO, nil, 3)}
	for i, c := range clients {
		for j := range 5 {
			_, err := c.CheckKey(ctx)
			keep(err)
			_, err = c.UpsertContact(ctx, Contact{Email: fmt.Sprintf("not-an-email-%d-%d", i, j)})
			keep(err)
			_, err = c.SubmitContacts(ctx, []Contact{testContact(j), {Email: "x@example.com", Gender: "x"}})
			keep(err)
			_, err = c.ListContacts(ctx, ListContactsOptions{Tag: "t", Limit: 1})
			keep(err)
			keep(c.AddTags(ctx, []string{"k@example.com"}, []string{strings.Repeat("x", 300)}))
			keep(c.RemoveTags(ctx, []string{"k@example.com"}, []string{"t"}))
			_, err = c.Batch(ctx, "nope")
			keep(err)
			_, err = c.BatchItems(ctx, "nope")
			keep(err)
			_, err = c.ListBatches(ctx, ListBatchesOptions{Limit: 1})
			keep(err)
		}
	}
	require.Greater(t, len(errs), 50, "the run produced plenty of errors")
	var texts []string
	for _, err := range errs {
		texts = append(texts, err.Error(), fmt.Sprintf("%v|%+v|%#v|%q", err, err, err, err))
	}
	for _, c := range clients {
		texts = append(texts, fmt.Sprintf("%v|%+v|%#v|%s", c, c, c, c), fmt.Sprint(c.cfg), panicText(c), panicText(c.cfg))
	}
	logs := b.logText()
	require.Contains(t, logs, "omnisend retry", "logs were captured")
	for _, key := range []string{sbKey, wrongKey, sbKeyRO} {
		require.NotContains(t, logs, key)
		for _, s := range texts {
			require.NotContains(t, s, key)
		}
	}
	require.True(t, slices.ContainsFunc(errs, IsRetryable), "faults surfaced as retryable errors")
}

func panicText(v any) (s string) {
	defer func() { s = fmt.Sprint(recover()) }()
	panic(v)
}
