package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Sink receives batches of profiles to upsert; store.Store is one.
type Sink interface {
	UpsertProfiles(ctx context.Context, batch []Profile, now time.Time) (UpsertResult, error)
}

// ImportOptions configure Import.
type ImportOptions struct {
	Read ReadOptions
	// Strict writes nothing when any row is rejected: the input is read
	// twice, once to check every row and once to write.
	Strict bool
	// BatchSize is the number of profiles written per transaction (default 1000).
	BatchSize int
	// KeepErrors is how many rejected rows are kept for reporting (default 100).
	KeepErrors int
	// Now stamps created/updated times (default time.Now).
	Now func() time.Time
	// Progress, when set, is called after each batch with the rows read so far.
	Progress func(rows int)
}

func (o ImportOptions) withDefaults() ImportOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.KeepErrors <= 0 {
		o.KeepErrors = 100
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// ImportSummary says what an import did.
type ImportSummary struct {
	UpsertResult
	Rows     int
	Rejected int
	// Errors holds the first KeepErrors rejected rows, in input order.
	Errors []*RowError
	// Written is false when a strict import found rejected rows.
	Written bool
}

// String is the one-line summary printed after an import.
func (s ImportSummary) String() string {
	return fmt.Sprintf("imported %d, updated %d, unchanged %d, rejected %d",
		s.Inserted, s.Updated, s.Unchanged, s.Rejected)
}

// ErrStrictRejected is returned (wrapped) by a strict import that rejected rows.
var ErrStrictRejected = errors.New("strict import: nothing written")

// Import reads every profile from the input that open returns and upserts it
// into sink in batches. Rejected rows are counted and kept (up to a limit);
// the good rows are written unless opts.Strict is set.
func Import(ctx context.Context, open func() (io.ReadCloser, error), sink Sink, opts ImportOptions) (ImportSummary, error) {
	opts = opts.withDefaults()
	if opts.Strict {
		sum, err := readAll(ctx, open, nil, opts)
		if err != nil {
			return sum, err
		}
		if sum.Rejected > 0 {
			return sum, fmt.Errorf("%w: %d of %d rows rejected", ErrStrictRejected, sum.Rejected, sum.Rows)
		}
	}
	sum, err := readAll(ctx, open, sink, opts)
	sum.Written = err == nil
	return sum, err
}

// readAll reads the input once, writing to sink when it is not nil.
func readAll(ctx context.Context, open func() (io.ReadCloser, error), sink Sink, opts ImportOptions) (ImportSummary, error) {
	var sum ImportSummary
	rc, err := open()
	if err != nil {
		return sum, err
	}
	defer rc.Close()
	r, err := NewReader(rc, opts.Read)
	if err != nil {
		return sum, err
	}
	b := batcher{sink: sink, opts: opts, sum: &sum, seen: map[string]bool{}}
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, fmt.Errorf("read input: %w", err)
		}
		sum.Rows++
		if rec.Err != nil {
			sum.Rejected++
			if len(sum.Errors) < opts.KeepErrors {
				sum.Errors = append(sum.Errors, rec.Err)
			}
			continue
		}
		if err := b.add(ctx, rec.Profile); err != nil {
			return sum, err
		}
	}
	return sum, b.flush(ctx)
}

// batcher groups profiles into batches. A batch never holds the same id
// twice: a repeated id starts a new batch, so the later row updates the
// earlier one and is counted as such.
type batcher struct {
	sink  Sink
	opts  ImportOptions
	sum   *ImportSummary
	batch []Profile
	seen  map[string]bool
}

func (b *batcher) add(ctx context.Context, p Profile) error {
	if b.seen[p.ID] || len(b.batch) >= b.opts.BatchSize {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	b.seen[p.ID] = true
	b.batch = append(b.batch, p)
	return nil
}

func (b *batcher) flush(ctx context.Context) error {
	if b.sink != nil && len(b.batch) > 0 {
		res, err := b.sink.UpsertProfiles(ctx, b.batch, b.opts.Now())
		if err != nil {
			return fmt.Errorf("write profiles: %w", err)
		}
		b.sum.Add(res)
	}
	b.batch = b.batch[:0]
	clear(b.seen)
	if b.opts.Progress != nil {
		b.opts.Progress(b.sum.Rows)
	}
	return nil
}
