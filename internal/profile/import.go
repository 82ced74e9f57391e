package profile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Sink receives batches of encoded profiles to upsert (EncodeBatch; ids
// do not repeat within a batch); store.Store is one.
type Sink interface {
	UpsertEncoded(ctx context.Context, batch []Encoded, now time.Time) (UpsertResult, error)
}

// AtomicSink is a Sink that can write many batches as one transaction:
// Atomically calls fn with a Sink whose writes become visible together
// when fn returns nil, and not at all when it returns an error.
// store.Store is one.
type AtomicSink interface {
	Sink
	Atomically(ctx context.Context, fn func(tx Sink) error) error
}

// BulkSink is a Sink that writes a large import faster when it knows one
// is under way: Bulk calls fn, which writes through the sink, and may set
// costly secondary indexes aside meanwhile; it restores them before it
// returns, whatever fn returned (SQLite builds its e-mail index once at
// the end instead of updating it row by row). store.Store is one, and so
// is the sink Atomically hands out.
type BulkSink interface {
	Sink
	Bulk(ctx context.Context, fn func() error) error
}

// inBulk runs fn inside sink's Bulk when sink is a BulkSink. Setting the
// indexes aside and back is not interrupted with ctx.
func inBulk(ctx context.Context, sink Sink, fn func() error) error {
	if bs, ok := sink.(BulkSink); ok {
		return bs.Bulk(context.WithoutCancel(ctx), fn)
	}
	return fn()
}

// ImportOptions configure Import.
type ImportOptions struct {
	Read ReadOptions
	// Strict writes nothing unless every row is good: the whole import is
	// one transaction (the sink must be an AtomicSink), rolled back when a
	// row is rejected or the import is interrupted.
	Strict bool
	// BatchSize is the number of profiles written per transaction (default 1000).
	BatchSize int
	// KeepErrors is how many rejected rows are kept for reporting (default 100).
	KeepErrors int
	// Now stamps created/updated times (default time.Now).
	Now func() time.Time
	// Progress, when set, is called after each batch with the rows read so far.
	Progress func(rows int)
	// Source names the input for the import history (an uploaded file's
	// name, a path, "stdin"); the import itself does not use it.
	Source string
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
	// UpsertResult counts the profiles committed: imported (new), updated
	// and unchanged.
	UpsertResult
	// Rows is the number of rows read (blank lines aside).
	Rows     int
	Rejected int
	// InvalidUTF8 counts the rows rejected for invalid UTF-8.
	InvalidUTF8 int
	// Errors holds the first KeepErrors rejected rows, in input order.
	Errors []*RowError
	// Written is true when the import ran to its end and its rows are
	// committed (false for a strict import that found a bad row, and for
	// an interrupted one).
	Written bool
}

// Committed is how many rows were committed: imported, updated or found
// unchanged.
func (s ImportSummary) Committed() int { return s.Inserted + s.Updated + s.Unchanged }

// String is the one-line summary printed after an import.
func (s ImportSummary) String() string {
	return fmt.Sprintf("imported %d, updated %d, unchanged %d, rejected %d",
		s.Inserted, s.Updated, s.Unchanged, s.Rejected)
}

// ErrStrictRejected is returned (wrapped) by a strict import that rejected rows.
var ErrStrictRejected = errors.New("strict import: nothing written")

// InterruptedError is returned when the import's context ended before the
// input did. Committed rows stay (a strict import commits none).
type InterruptedError struct {
	// Committed is how many rows were committed before the interruption.
	Committed int
	Strict    bool
	Err       error // the context's error
}

func (e *InterruptedError) Error() string {
	if e.Strict {
		return "import interrupted: nothing was imported (a strict import is all or nothing)"
	}
	return fmt.Sprintf("import interrupted: %d rows were committed, the rows after them were not "+
		"(importing the file again is safe: unchanged profiles are left alone)", e.Committed)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// AllRejectedError is returned when every row of a non-empty input was
// rejected.
type AllRejectedError struct {
	Rows int
	// InvalidUTF8 counts the rows rejected for invalid UTF-8.
	InvalidUTF8 int
	// Path names the file in the advice to convert it (default FILE).
	Path string
}

func (e *AllRejectedError) Error() string {
	msg := fmt.Sprintf("every row was rejected (%d of %d): nothing was imported", e.Rows, e.Rows)
	if e.InvalidUTF8 > 0 {
		msg += fmt.Sprintf("; %d rows are not valid UTF-8: %s", e.InvalidUTF8, ConvertHint(e.Path))
	}
	return msg
}

// convertHint is ConvertHint for a file not named.
var convertHint = ConvertHint("")

// ConvertHint is the advice for a file that is not UTF-8: convert it,
// with the iconv command for path ("" names it FILE).
func ConvertHint(path string) string {
	out := "FILE.utf8"
	if path == "" {
		path = "FILE"
	} else {
		ext := filepath.Ext(path)
		out = strings.TrimSuffix(path, ext) + ".utf8" + ext
	}
	return fmt.Sprintf("convert the file to UTF-8 first, e.g. iconv -f latin1 -t utf-8 %s > %s", path, out)
}

// Import reads every profile from the input that open returns and upserts it
// into sink in batches. Rejected rows are counted and kept (up to a limit);
// a row repeating an earlier row's id is rejected as duplicate_id. The good
// rows are written unless opts.Strict is set.
//
// Batches are written with ctx's values but not its cancellation: when ctx
// ends, the batch being written is committed and Import stops with an
// *InterruptedError saying how many rows were committed.
func Import(ctx context.Context, open func() (io.ReadCloser, error), sink Sink, opts ImportOptions) (ImportSummary, error) {
	opts = opts.withDefaults()
	if !opts.Strict {
		var sum ImportSummary
		err := inBulk(ctx, sink, func() error {
			var err error
			sum, err = readAll(ctx, open, sink, opts)
			return err
		})
		return sum, finish(&sum, err, false)
	}
	as, ok := sink.(AtomicSink)
	if !ok {
		return ImportSummary{}, errors.New("a strict import needs a store that writes atomically")
	}
	var sum ImportSummary
	err := as.Atomically(context.WithoutCancel(ctx), func(tx Sink) error {
		err := inBulk(ctx, tx, func() error {
			var err error
			sum, err = readAll(ctx, open, tx, opts)
			return err
		})
		if err == nil && sum.Rejected > 0 {
			err = fmt.Errorf("%w: %d of %d rows rejected", ErrStrictRejected, sum.Rejected, sum.Rows)
		}
		return err
	})
	if err != nil {
		sum.UpsertResult = UpsertResult{} // rolled back
	}
	return sum, finish(&sum, err, true)
}

// finish sets Written and turns an interruption or an input of nothing but
// rejected rows into its error.
func finish(sum *ImportSummary, err error, strict bool) error {
	switch {
	case (err == nil || errors.Is(err, ErrStrictRejected)) && sum.Rows > 0 && sum.Rejected == sum.Rows:
		return &AllRejectedError{Rows: sum.Rows, InvalidUTF8: sum.InvalidUTF8}
	case err == nil:
		sum.Written = true
		return nil
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return &InterruptedError{Committed: sum.Committed(), Strict: strict, Err: err}
	}
	return err
}

// readAll reads the input once, writing to sink; once a row is rejected in
// a strict import it only reads on, to report every bad row.
//
// Reading, typing and encoding run in a goroutine one batch ahead of the
// writes (readBatches), so that on two cores the input's work and the
// store's overlap. The writes and Progress stay on the caller's goroutine.
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
	batches := make(chan readBatch, 1)
	stop := make(chan struct{})
	var read ImportSummary // the reader's until batches is closed
	var readErr error
	go func() {
		defer close(batches)
		defer func() {
			// A reader's bug must not take down the process (a server's
			// upload runs here): it fails this import instead.
			if p := recover(); p != nil {
				readErr = fmt.Errorf("read input: internal error: %v", p)
			}
		}()
		readErr = readBatches(ctx, r, opts, &read, batches, stop)
	}()
	var written UpsertResult
	var writeErr error
	for b := range batches {
		if writeErr != nil {
			continue // draining: the reader stops at its next batch
		}
		if writeErr = writeBatch(ctx, sink, b, opts, &written); writeErr != nil {
			close(stop)
		}
	}
	sum = read
	sum.UpsertResult = written
	if writeErr != nil {
		return sum, writeErr
	}
	return sum, readErr
}

// readBatch is a batch of encoded profiles to write (none when a strict
// import has rejected a row) and how many rows had been read at its end.
type readBatch struct {
	rows []Encoded
	read int
}

// writeBatch writes one batch unless ctx has ended (an interrupted import
// does not write the batches read after the interruption). The write
// itself does not stop when ctx ends, so a batch is either committed whole
// and counted, or not written.
func writeBatch(ctx context.Context, sink Sink, b readBatch, opts ImportOptions, written *UpsertResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(b.rows) > 0 {
		res, err := sink.UpsertEncoded(context.WithoutCancel(ctx), b.rows, opts.Now())
		if err != nil {
			return fmt.Errorf("write profiles: %w", err)
		}
		written.Add(res)
	}
	if opts.Progress != nil {
		opts.Progress(b.read)
	}
	return nil
}

// readBatches reads every row into sum, checks ids for repeats, and sends
// the good rows encoded in batches of opts.BatchSize until the input ends,
// ctx ends or stop is closed. A strict import sends no rows once one is
// rejected, only the count read, so that progress goes on.
func readBatches(ctx context.Context, r *Reader, opts ImportOptions, sum *ImportSummary, out chan<- readBatch, stop <-chan struct{}) error {
	ids := newIDSet()
	batch := make([]Profile, 0, opts.BatchSize)
	send := func() error {
		b := readBatch{read: sum.Rows}
		if len(batch) > 0 && !(opts.Strict && sum.Rejected > 0) {
			rows, err := EncodeBatch(batch)
			if err != nil {
				return err
			}
			b.rows = rows
		}
		batch = batch[:0]
		select {
		case out <- b:
			return nil
		case <-stop:
			return errStopped
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
		sum.Rows++
		if rec.Err == nil {
			if first, dup := ids.add(rec.Profile.ID, rec.Line); dup {
				rec.Err = &RowError{Line: rec.Line, Code: CodeDuplicateID,
					Reason: fmt.Sprintf("%s: id %q is also on line %d (the first one is kept)", CodeDuplicateID, rec.Profile.ID, first)}
			}
		}
		if rec.Err != nil {
			sum.reject(rec.Err, opts.KeepErrors)
			continue
		}
		if batch = append(batch, rec.Profile); len(batch) >= opts.BatchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// errStopped ends readBatches when the writes failed (their error is the
// import's).
var errStopped = errors.New("import stopped")

func (s *ImportSummary) reject(re *RowError, keep int) {
	s.Rejected++
	if re.Code == CodeInvalidUTF8 {
		s.InvalidUTF8++
	}
	if len(s.Errors) < keep {
		s.Errors = append(s.Errors, re)
	}
}
