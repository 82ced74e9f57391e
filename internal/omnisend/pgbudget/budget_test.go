package pgbudget_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/omnisend"
	"segbridge/internal/omnisend/budgettest"
	"segbridge/internal/omnisend/pgbudget"
	"segbridge/internal/store/postgres"
	"segbridge/internal/store/postgres/pgtest"
)

// migrated returns the URL of a fresh schema with the store's migrations
// (which create the budget's tables).
func migrated(t *testing.T) string {
	t.Helper()
	url := pgtest.URL(t)
	st, err := postgres.Open(t.Context(), url)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Migrate(t.Context()))
	return url
}

// TestConformance runs the rate budget suite with every "instance" its
// own Budget and pool on one schema, as separate processes would have.
func TestConformance(t *testing.T) {
	t.Parallel()
	budgettest.Run(t, func(t *testing.T, cfg omnisend.WindowBudgetConfig) omnisend.RateBudget {
		url := urls.get(t)
		b, err := pgbudget.Open(t.Context(), url, pgbudget.Config{Limits: cfg})
		require.NoError(t, err)
		t.Cleanup(b.Close)
		return b
	})
}

// urls gives each subtest one migrated schema, shared by its instances.
var urls = &schemaPerTest{m: map[*testing.T]string{}}

type schemaPerTest struct {
	mu sync.Mutex
	m  map[*testing.T]string
}

func (s *schemaPerTest) get(t *testing.T) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.m[t]; ok {
		return u
	}
	s.m[t] = migrated(t)
	return s.m[t]
}

// TestTagsTakeGeneralSlot: a tag request holds a slot of both classes, and
// the in-flight lease frees the slots of a request never answered.
func TestTagsTakeGeneralSlotAndLeaseEnds(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	b, err := pgbudget.Open(t.Context(), url, pgbudget.Config{
		Limits: omnisend.WindowBudgetConfig{General: omnisend.Limit{Requests: 2, Window: time.Second},
			Tags: omnisend.Limit{Requests: 5, Window: time.Second}, Margin: -1},
		Lease: 300 * time.Millisecond,
	})
	require.NoError(t, err)
	defer b.Close()
	_, err = b.Wait(t.Context(), "x", omnisend.ClassTags) // never answered: its process "died"
	require.NoError(t, err)
	done, err := b.Wait(t.Context(), "x", omnisend.ClassGeneral)
	require.NoError(t, err)
	done()
	start := time.Now()
	done, err = b.Wait(t.Context(), "x", omnisend.ClassGeneral)
	require.NoError(t, err)
	done()
	// The unanswered tag request held a general slot until its lease
	// (0.3 s) plus the window (1 s) ran out; the answered one until a
	// window after its answer. Whichever comes first frees the slot.
	waited := time.Since(start)
	require.Greater(t, waited, 900*time.Millisecond)
	require.Less(t, waited, 1500*time.Millisecond)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err = b.Wait(ctx, "x", omnisend.ClassGeneral)
	require.ErrorIs(t, err, context.DeadlineExceeded, "full again")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, pgbudget.Config{}.WithDefaults().Validate())
	_, err := pgbudget.New(nil, pgbudget.Config{Lease: -1})
	require.ErrorContains(t, err, "Lease")
	_, err = pgbudget.New(nil, pgbudget.Config{Poll: time.Second, MaxSleep: time.Millisecond})
	require.ErrorContains(t, err, "MaxSleep")
	_, err = pgbudget.New(nil, pgbudget.Config{Limits: omnisend.WindowBudgetConfig{Slowdown: 3}})
	require.ErrorContains(t, err, "Slowdown")
}
