package profile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

// memSink is an AtomicSink in memory.
type memSink struct {
	mu       sync.Mutex
	profiles map[string]profile.Attrs
	batches  int
}

func newMemSink() *memSink { return &memSink{profiles: map[string]profile.Attrs{}} }

func (m *memSink) UpsertEncoded(_ context.Context, batch []profile.Encoded, _ time.Time) (profile.UpsertResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	var res profile.UpsertResult
	for _, p := range batch {
		a, err := profile.DecodeAttrs(p.Attrs)
		if err != nil {
			return res, err
		}
		if _, ok := m.profiles[p.ID]; ok {
			res.Updated++
		} else {
			res.Inserted++
		}
		m.profiles[p.ID] = a
	}
	return res, nil
}

// Atomically writes to a copy that replaces the profiles when fn succeeds.
func (m *memSink) Atomically(ctx context.Context, fn func(tx profile.Sink) error) error {
	m.mu.Lock()
	tx := &memSink{profiles: maps.Clone(m.profiles)}
	m.mu.Unlock()
	if err := fn(tx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.profiles = tx.profiles
	return nil
}

func (m *memSink) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.profiles)
}

func opener(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func csvRows(n int) string {
	var b strings.Builder
	b.WriteString("id,email\n")
	for i := range n {
		fmt.Fprintf(&b, "C%04d,c%d@example.com\n", i, i)
	}
	return b.String()
}

func TestImportRejectsDuplicateIDs(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	sum, err := profile.Import(context.Background(), opener("id,a\nC1,1\nC2,2\nC1,3\nC1,4\n"), sink,
		profile.ImportOptions{Read: csvOpts()})
	require.NoError(t, err)
	require.Equal(t, 2, sum.Rejected)
	require.Equal(t, []*profile.RowError{
		{Line: 4, Code: profile.CodeDuplicateID, Reason: `duplicate_id: id "C1" is also on line 2 (the first one is kept)`},
		{Line: 5, Code: profile.CodeDuplicateID, Reason: `duplicate_id: id "C1" is also on line 2 (the first one is kept)`},
	}, sum.Errors)
	require.Equal(t, profile.Attrs{"a": int64(1)}, sink.profiles["C1"])
	require.Equal(t, 2, sum.Inserted)
}

// TestImportShortRowIsRejected: a row with fewer fields than the header
// does not replace the profile (which would drop its other attributes).
func TestImportShortRowIsRejected(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	_, err := profile.Import(context.Background(), opener("id,email,city\nC1,a@example.com,Brno\n"), sink, profile.ImportOptions{Read: csvOpts()})
	require.NoError(t, err)
	sum, err := profile.Import(context.Background(), opener("id,email,city\nC1,b@example.com\nC2,c@example.com,Praha,extra\n"), sink, profile.ImportOptions{Read: csvOpts()})
	require.Error(t, err, "every row rejected")
	require.Equal(t, []*profile.RowError{
		{Line: 2, Code: profile.CodeFieldCount, Reason: "has 2 fields, header has 3"},
		{Line: 3, Code: profile.CodeFieldCount, Reason: "has 4 fields, header has 3"},
	}, sum.Errors)
	require.Equal(t, profile.Attrs{"email": "a@example.com", "city": "Brno"}, sink.profiles["C1"])
}

// TestImportStrictIsAtomic: a bad row after many good batches leaves
// nothing written.
func TestImportStrictIsAtomic(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	input := csvRows(2500) + "C9999\n"
	sum, err := profile.Import(context.Background(), opener(input), sink, profile.ImportOptions{Read: csvOpts(), Strict: true})
	require.ErrorIs(t, err, profile.ErrStrictRejected)
	require.False(t, sum.Written)
	require.Equal(t, 0, sum.Committed())
	require.Equal(t, 0, sink.len())

	sum, err = profile.Import(context.Background(), opener(csvRows(2500)), sink, profile.ImportOptions{Read: csvOpts(), Strict: true})
	require.NoError(t, err)
	require.True(t, sum.Written)
	require.Equal(t, 2500, sink.len())
	require.Equal(t, 2500, sum.Inserted)
}

func TestImportStrictNeedsAtomicSink(t *testing.T) {
	t.Parallel()
	_, err := profile.Import(context.Background(), opener(csvRows(1)), plainSink{newMemSink()}, profile.ImportOptions{Read: csvOpts(), Strict: true})
	require.ErrorContains(t, err, "a strict import needs a store that writes atomically")
}

type plainSink struct{ m *memSink }

func (p plainSink) UpsertEncoded(ctx context.Context, b []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	return p.m.UpsertEncoded(ctx, b, now)
}

// TestImportInterrupted: an interrupted import says how many rows were
// committed, which is what the sink holds; a strict one holds nothing.
func TestImportInterrupted(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sink := newMemSink()
			flushes := 0
			opts := profile.ImportOptions{Read: csvOpts(), Strict: strict, BatchSize: 10, Progress: func(int) {
				if flushes++; flushes == 3 {
					cancel()
				}
			}}
			sum, err := profile.Import(ctx, opener(csvRows(100)), sink, opts)
			var ie *profile.InterruptedError
			require.ErrorAs(t, err, &ie)
			require.ErrorIs(t, err, context.Canceled)
			require.False(t, sum.Written)
			if strict {
				require.Equal(t, 0, ie.Committed)
				require.Equal(t, 0, sink.len())
				require.EqualError(t, err, "import interrupted: nothing was imported (a strict import is all or nothing)")
				return
			}
			require.Equal(t, 30, ie.Committed)
			require.Equal(t, 30, sink.len())
			require.Equal(t, 30, sum.Committed())
			require.Contains(t, err.Error(), "import interrupted: 30 rows were committed")
		})
	}
}

func TestImportAllRejected(t *testing.T) {
	t.Parallel()
	sink := newMemSink()
	_, err := profile.Import(context.Background(), opener("id,name\nC1,Jos\xe9\nC2,Ren\xe9e\n"), sink, profile.ImportOptions{Read: csvOpts()})
	var ae *profile.AllRejectedError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 2, ae.InvalidUTF8)
	require.EqualError(t, err, "every row was rejected (2 of 2): nothing was imported; 2 rows are not valid UTF-8: "+
		"convert the file to UTF-8 first, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8")

	_, err = profile.Import(context.Background(), opener("id,name\n,x\n"), sink, profile.ImportOptions{Read: csvOpts(), Strict: true})
	require.ErrorAs(t, err, &ae)
	require.NotContains(t, err.Error(), "UTF-8")

	sum, err := profile.Import(context.Background(), opener("id,name\n"), sink, profile.ImportOptions{Read: csvOpts()})
	require.NoError(t, err, "an empty file is not an error")
	require.True(t, sum.Written)
}

// failingSink fails its writes from the given batch on.
type failingSink struct {
	*memSink
	failFrom int
}

func (f *failingSink) UpsertEncoded(ctx context.Context, b []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	if f.batches+1 >= f.failFrom {
		return profile.UpsertResult{}, errors.New("disk full")
	}
	return f.memSink.UpsertEncoded(ctx, b, now)
}

// TestImportWriteFailureStopsReading: the input is read a batch or two
// ahead of the writes; when a write fails the import returns its error,
// counts only the batches written, and stops reading soon after.
func TestImportWriteFailureStopsReading(t *testing.T) {
	t.Parallel()
	sink := &failingSink{memSink: newMemSink(), failFrom: 3}
	var progress []int
	opts := profile.ImportOptions{Read: csvOpts(), BatchSize: 10, Progress: func(n int) { progress = append(progress, n) }}
	sum, err := profile.Import(context.Background(), opener(csvRows(10_000)), sink, opts)
	require.EqualError(t, err, "write profiles: disk full")
	require.False(t, sum.Written)
	require.Equal(t, 20, sum.Committed())
	require.Equal(t, 20, sink.len())
	require.Equal(t, []int{10, 20}, progress, "progress after each batch written, with the rows read up to it")
	require.Less(t, sum.Rows, 100, "reading stops a few batches after the failed write")
}

// TestImportProgress: progress is reported after each batch, with the
// rows read up to its end, and once more at the end of the input.
func TestImportProgress(t *testing.T) {
	t.Parallel()
	var progress []int
	opts := profile.ImportOptions{Read: csvOpts(), BatchSize: 10, Progress: func(n int) { progress = append(progress, n) }}
	sum, err := profile.Import(context.Background(), opener(csvRows(25)+"C0003,dup@example.com\n"), newMemSink(), opts)
	require.NoError(t, err)
	require.Equal(t, 26, sum.Rows)
	require.Equal(t, 25, sum.Inserted)
	require.Equal(t, 1, sum.Rejected)
	require.Equal(t, []int{10, 20, 26}, progress)
}
