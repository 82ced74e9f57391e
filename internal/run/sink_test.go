package run

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// opsStore is a Store whose AddOps records the chunks (failing from the
// chunk numbered failAt on, when set); nothing else of it is used.
type opsStore struct {
	Store
	mu     sync.Mutex
	chunks [][]Op
	failAt int
}

var errDiskFull = errors.New("disk full")

func (s *opsStore) AddOps(_ context.Context, ops []Op) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && len(s.chunks)+1 >= s.failAt {
		return errDiskFull
	}
	s.chunks = append(s.chunks, ops)
	return nil
}

// TestWritingSink: a run's ops are all written, each chunk as it was when
// handed over (the planner reuses its slice; opWriters write chunks at
// once, in any order); a write error reaches the plan at its next Ops or
// at wait; Ops after wait is an error, not a panic.
func TestWritingSink(t *testing.T) {
	ctx := context.Background()
	st := &opsStore{}
	w := newWritingSink(ctx, storeSink{st: st})
	buf := make([]Op, 0, 2)
	for i := range 50 {
		buf = append(buf[:0], Op{Seq: int64(2*i + 1)}, Op{Seq: int64(2*i + 2)})
		require.NoError(t, w.Ops(ctx, buf, nil))
	}
	require.NoError(t, w.wait())
	require.Len(t, st.chunks, 50)
	slices.SortFunc(st.chunks, func(a, b []Op) int { return cmp.Compare(a[0].Seq, b[0].Seq) })
	for i, c := range st.chunks {
		require.Equal(t, []Op{{Seq: int64(2*i + 1)}, {Seq: int64(2*i + 2)}}, c, "chunk %d as handed over", i)
	}
	require.Error(t, w.Ops(ctx, buf, nil), "after wait")
	require.NoError(t, w.wait(), "wait twice")

	st = &opsStore{failAt: 3}
	w = newWritingSink(ctx, storeSink{st: st})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = w.Ops(ctx, []Op{{Seq: int64(i + 1)}}, nil)
	}
	require.ErrorIs(t, err, errDiskFull, "a later Ops returns the write error")
	require.ErrorIs(t, w.wait(), errDiskFull)
	require.Len(t, st.chunks, 2)

	st = &opsStore{failAt: 1}
	w = newWritingSink(ctx, storeSink{st: st})
	require.NoError(t, w.Ops(ctx, []Op{{Seq: 1}}, nil))
	require.ErrorIs(t, w.wait(), errDiskFull, "wait returns the last chunk's write error")
}
