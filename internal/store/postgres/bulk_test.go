package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/store/postgres/pgtest"
)

// openMigrated opens a migrated store of the test's own (skipping
// without PostgreSQL, failing so in CI).
func openMigrated(t *testing.T) *Store {
	t.Helper()
	pgtest.Base(t)
	st, err := Open(context.Background(), pgtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.Migrate(context.Background()))
	return st
}

// TestBulkRebuildsEmailIndex: a bulk load into a small table drops the
// e-mail index while it writes and builds it again afterwards, whether
// the load succeeded or failed, in a transaction or not; a store whose
// index went missing (a process that died mid-import) gets it back at
// Migrate.
func TestBulkRebuildsEmailIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openMigrated(t)
	now := time.Unix(1_700_000_000, 0)
	boom := errors.New("boom")
	hasIndex := func() bool {
		var n int
		require.NoError(t, st.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes
			WHERE schemaname = current_schema() AND indexname = 'profiles_email'`).Scan(&n))
		return n == 1
	}
	batch := func(from, n int) []profile.Profile {
		b := make([]profile.Profile, n)
		for i := range b {
			id := fmt.Sprintf("p%05d", from+i)
			b[i] = profile.Profile{ID: id, Attrs: map[string]any{"email": "Jane." + id + "@Example.com"}}
		}
		return b
	}
	search := func(q string) []string {
		ps, _, err := st.SearchProfiles(ctx, store.ProfileQuery{By: store.SearchEmail, Q: q})
		require.NoError(t, err)
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		return ids
	}

	require.NoError(t, st.Bulk(ctx, func() error {
		require.False(t, hasIndex(), "set aside during the load")
		_, err := st.UpsertProfiles(ctx, batch(0, 10), now)
		return err
	}))
	require.True(t, hasIndex())
	require.Equal(t, []string{"p00003"}, search("jane.p00003@"))

	err := st.Bulk(ctx, func() error {
		_, err := st.UpsertProfiles(ctx, batch(10, 5), now)
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.True(t, hasIndex(), "built again after a failed load")

	err = st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error {
			_, err := tx.UpsertEncoded(ctx, encoded(t, batch(30, 5)), now)
			require.NoError(t, err)
			return boom
		})
	})
	require.ErrorIs(t, err, boom)
	require.True(t, hasIndex(), "a rolled-back load keeps the index")
	require.Empty(t, search("jane.p00031"))

	require.NoError(t, st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error {
			_, err := tx.UpsertEncoded(ctx, encoded(t, batch(20, 5)), now)
			return err
		})
	}))
	require.True(t, hasIndex())
	require.Equal(t, []string{"p00021"}, search("JANE.P00021"))

	_, err = st.pool.Exec(ctx, `DROP INDEX profiles_email`)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	require.True(t, hasIndex(), "Migrate builds a missing index")
}

// TestLargeWritesRefreshStatistics: an import of analyzeAfter profiles or
// more analyzes the profiles table, in a transaction or not, and a
// membership change as large analyzes the members, so that a changes-only
// plan right after reads the few changed profiles by index instead of the
// whole table (at 1,000,000 profiles the unanalyzed table cost 0.2–0.45 s
// a plan); smaller writes leave the statistics alone.
func TestLargeWritesRefreshStatistics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openMigrated(t)
	now := time.Unix(1_700_000_000, 0)
	// (pg_class.reltuples would not do: building an index sets it too.)
	analyzed := func(table string) bool {
		var n int
		require.NoError(t, st.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stats
			WHERE schemaname = current_schema() AND tablename = $1`, table).Scan(&n))
		return n > 0
	}
	// changedSince is the planner's estimate of the profiles changed since
	// from, and the plan it makes to read them.
	changedSince := func(from time.Time) (int, string) {
		var plan string
		require.NoError(t, st.pool.QueryRow(ctx, `EXPLAIN SELECT id FROM profiles WHERE updated_at >= $1`, from).Scan(&plan))
		var est int
		_, err := fmt.Sscanf(plan[strings.Index(plan, "rows=")+len("rows="):], "%d", &est)
		require.NoError(t, err, plan)
		return est, plan
	}
	load := func(sink profile.Sink, from, n int, at time.Time) error {
		for i := from; i < from+n; i += 1000 {
			b := make([]profile.Profile, min(1000, from+n-i))
			for j := range b {
				b[j] = profile.Profile{ID: fmt.Sprintf("p%06d", i+j), Attrs: map[string]any{"email": fmt.Sprintf("p%06d@example.com", i+j)}}
			}
			if _, err := sink.UpsertEncoded(ctx, encoded(t, b), at); err != nil {
				return err
			}
		}
		return nil
	}

	require.NoError(t, st.Bulk(ctx, func() error { return load(st, 0, analyzeAfter-1, now) }))
	require.False(t, analyzed("profiles"), "fewer than analyzeAfter profiles: not analyzed")
	require.NoError(t, st.Bulk(ctx, func() error { return load(st, analyzeAfter-1, 2, now) }))
	require.False(t, analyzed("profiles"), "each import counts its own writes")

	require.NoError(t, st.Bulk(ctx, func() error { return load(st, analyzeAfter+1, analyzeAfter, now) }))
	require.True(t, analyzed("profiles"), "analyzed after a large import")
	est, plan := changedSince(now.Add(time.Hour))
	require.Contains(t, plan, "profiles_updated_at", "the changed profiles are read by index")
	require.Less(t, est, 100, plan)

	later := now.Add(2 * time.Hour)
	require.NoError(t, st.Atomically(ctx, func(tx profile.Sink) error {
		return tx.(profile.BulkSink).Bulk(ctx, func() error { return load(tx, 2*analyzeAfter+1, analyzeAfter, later) })
	}))
	est, plan = changedSince(later)
	require.InDelta(t, analyzeAfter, est, analyzeAfter/10, "a strict import analyzes in its transaction: %s", plan)

	d, err := segment.NewRuleDraft("All", `has(p.email)`)
	require.NoError(t, err)
	seg, err := st.CreateSegment(ctx, d, now)
	require.NoError(t, err)
	ids := make([]string, analyzeAfter+10)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%06d", i)
	}
	require.NoError(t, st.ApplyMembership(ctx, segment.MembershipChange{SegmentID: seg.ID, Add: ids[:10], MemberCount: 10, RefreshedAt: now}))
	require.False(t, analyzed("segment_members"), "a small change: not analyzed")
	require.NoError(t, st.ApplyMembership(ctx, segment.MembershipChange{SegmentID: seg.ID, Add: ids[10:], MemberCount: len(ids), RefreshedAt: now.Add(time.Minute)}))
	require.True(t, analyzed("segment_members"), "analyzed after a large change")
	require.True(t, analyzed("segment_member_changes"))
	// And vacuumed, which marks its pages all-visible (once no older
	// transaction can still see them: other tests run beside this one, so
	// the test checks the vacuum, not the pages), so that a membership read
	// by key reads the index alone.
	var vacuumed bool
	require.NoError(t, st.pool.QueryRow(ctx, `SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables
		WHERE relid = 'segment_members'::regclass`).Scan(&vacuumed))
	require.True(t, vacuumed, "segment_members vacuumed after a large change")
}

// TestUnificationRefreshesStatistics: a source refresh writes profiles in
// batches outside Bulk; once unification has written analyzeAfter
// profiles it analyzes the table (and again at each doubling).
func TestUnificationRefreshesStatistics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openMigrated(t)
	now := time.Unix(1_700_000_000, 0)
	analyzed := func() bool {
		var n int
		require.NoError(t, st.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stats
			WHERE schemaname = current_schema() AND tablename = 'profiles'`).Scan(&n))
		return n > 0
	}
	unify := func(from, n int) {
		b := store.UnifiedBatch{Origins: map[string][]byte{}}
		for i := from; i < from+n; i++ {
			id := fmt.Sprintf("u%06d", i)
			b.Keys = append(b.Keys, id)
			b.Profiles = append(b.Profiles, profile.Profile{ID: id, Attrs: map[string]any{"email": id + "@example.com"}})
			b.Origins[id] = []byte(`{}`)
		}
		_, err := st.ApplyUnified(ctx, b, now)
		require.NoError(t, err)
	}
	for i := 0; i < analyzeAfter-1000; i += 1000 {
		unify(i, 1000)
	}
	require.False(t, analyzed(), "%d profiles unified: not yet", analyzeAfter-1000)
	unify(analyzeAfter-1000, 1000)
	require.True(t, analyzed(), "%d profiles unified: analyzed", analyzeAfter)
	require.EqualValues(t, 2*analyzeAfter, st.unifiedAnalyzeAt.Load(), "next at the double")
}

// encoded is profile.EncodeBatch of batch, which must not fail.
func encoded(t *testing.T, batch []profile.Profile) []profile.Encoded {
	t.Helper()
	rows, err := profile.EncodeBatch(batch)
	require.NoError(t, err)
	return rows
}
