package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"time"

	"segbridge/internal/audit"
	"segbridge/internal/profile"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Profiles imports profiles. Reading them (list, show, schema, count) is
// the store's.
type Profiles struct{ *core }

// Import reads profiles from r (CSV or JSON Lines, as opts.Read says)
// and upserts them by id. The attribute types pinned by earlier imports
// and pins (import --type; they replace earlier pins of the same names)
// type the values; pins are kept for later imports once rows are
// committed with them.
//
// The summary counts what was read and written, also when the import
// fails part way. Errors are plain words: an input whose every row was
// rejected wraps a *profile.AllRejectedError, a strict import with a bad
// row wraps profile.ErrStrictRejected (both invalid), an interrupted
// import wraps a *profile.InterruptedError (unavailable: importing again
// is safe), an input that is not readable CSV or JSON Lines is invalid.
// An error reading r itself is returned as it is: the caller knows its
// reader (a file, an upload over its size limit).
//
// One audit entry is recorded when the import ran to its end or
// committed rows before it stopped.
func (s *Profiles) Import(ctx context.Context, p user.Principal, r io.Reader, opts profile.ImportOptions, pins map[string]profile.Type) (profile.ImportSummary, error) {
	if err := allow(p, ProfilesImport, Subject{}); err != nil {
		return profile.ImportSummary{}, err
	}
	if opts.Read.IDColumn == "" {
		return profile.ImportSummary{}, Invalid("id", "name the column (CSV) or field (JSON Lines) that holds the profile id")
	}
	schema, err := s.st.ProfileSchema(ctx)
	if err != nil {
		return profile.ImportSummary{}, err
	}
	types := schema.Pins()
	maps.Copy(types, pins)
	maps.Copy(types, opts.Read.Types)
	opts.Read.Types = types
	if opts.Now == nil {
		opts.Now = s.now
	}
	in := &watchedReader{r: r}
	open := func() (io.ReadCloser, error) { return io.NopCloser(in), nil }
	var sinkFailed bool
	sum, err := profile.Import(ctx, open, &watchedSink{Sink: s.st, failed: &sinkFailed}, opts)
	if len(pins) > 0 && (sum.Written || sum.Committed() > 0) {
		if perr := s.st.PinAttributeTypes(context.WithoutCancel(ctx), pins, s.now()); perr != nil && err == nil {
			err = fmt.Errorf("the rows are imported, but the pinned types are not saved: %w", perr)
		}
	}
	if err == nil || sum.Committed() > 0 {
		target := fmt.Sprintf("%d bytes of %s", in.n, opts.Read.Format)
		if err != nil {
			target += ", stopped part way"
		}
		s.record(context.WithoutCancel(ctx), p, ProfilesImport, target, sum.String())
	}
	if err == nil {
		s.recordImport(ctx, p, opts, in.n, sum, nil, "")
		return sum, nil
	}
	err = importError(err, sum, in.err != nil || sinkFailed)
	var se *Error
	switch {
	case errors.As(err, &se):
		s.recordImport(ctx, p, opts, in.n, sum, err, se.Msg)
	case in.err != nil:
		s.recordImport(ctx, p, opts, in.n, sum, err, "reading the file failed part way")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.recordImport(ctx, p, opts, in.n, sum, err, "the import was interrupted")
	default:
		s.recordImport(ctx, p, opts, in.n, sum, err, "writing the profiles failed")
	}
	return sum, err
}

// recordImport adds the import to the import history: who, when, the
// input, the counts and how it ended (err: its failure, before wording).
func (s *Profiles) recordImport(ctx context.Context, p user.Principal, opts profile.ImportOptions, n int64, sum profile.ImportSummary, err error, why string) {
	src := strings.ToValidUTF8(strings.TrimSpace(opts.Source), "?")
	if r := []rune(src); len(r) > 200 {
		src = string(r[:200]) + "…"
	}
	if src == "" {
		src = "an upload"
	}
	im := store.ProfileImport{At: s.now(), Actor: audit.Actor(p), Source: src, Format: string(opts.Read.Format), Bytes: n,
		Rows: sum.Rows, Inserted: sum.Inserted, Updated: sum.Updated, Unchanged: sum.Unchanged, Rejected: sum.Rejected,
		Status: store.ImportDone}
	switch {
	case err != nil && sum.Committed() > 0:
		im.Status, im.Message = store.ImportPartial, why
	case err != nil:
		im.Status, im.Message = store.ImportFailed, why
	}
	if _, rerr := s.st.RecordProfileImport(context.WithoutCancel(ctx), im); rerr != nil {
		s.log.ErrorContext(ctx, "import not recorded in the history", slog.String("source", src), slog.Any("error", rerr))
	}
}

// importError words an import's failure. failedBelow says the reader or
// the store failed (not the input's contents).
func importError(err error, sum profile.ImportSummary, failedBelow bool) error {
	var (
		ae *profile.AllRejectedError
		ie *profile.InterruptedError
	)
	switch {
	case errors.As(err, &ae), errors.Is(err, profile.ErrStrictRejected):
		return Invalid("", "%s", err.Error()).because(err)
	case errors.As(err, &ie):
		return Unavailable("%s", ie.Error()).because(err)
	case failedBelow || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	}
	msg := "the file cannot be read: " + err.Error()
	if n := sum.Committed(); n > 0 {
		msg += fmt.Sprintf(" (the %d rows before it were imported)", n)
	}
	return Invalid("", "%s", msg).because(err)
}

// watchedReader counts the bytes read and keeps the first read error.
type watchedReader struct {
	r   io.Reader
	n   int64
	err error
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && w.err == nil {
		w.err = err
	}
	return n, err
}

// watchedSink notes whether writing to the store failed, so that an
// import's error can be told apart from an unreadable input.
type watchedSink struct {
	profile.Sink
	failed *bool
}

func (w *watchedSink) UpsertEncoded(ctx context.Context, batch []profile.Encoded, now time.Time) (profile.UpsertResult, error) {
	res, err := w.Sink.UpsertEncoded(ctx, batch, now)
	if err != nil {
		*w.failed = true
	}
	return res, err
}

// Bulk is the store's bulk mode when it has one (profile.BulkSink); a
// failure to set it up or wind it down is the store's.
func (w *watchedSink) Bulk(ctx context.Context, fn func() error) error {
	bs, ok := w.Sink.(profile.BulkSink)
	if !ok {
		return fn()
	}
	var fnErr error
	err := bs.Bulk(ctx, func() error {
		fnErr = fn()
		return fnErr
	})
	if err != nil && !errors.Is(err, fnErr) {
		*w.failed = true
	}
	return err
}

// Atomically is the store's transaction; a failure to begin or commit it
// is the store's.
func (w *watchedSink) Atomically(ctx context.Context, fn func(tx profile.Sink) error) error {
	as, ok := w.Sink.(profile.AtomicSink)
	if !ok {
		return errors.New("a strict import needs a store that writes atomically")
	}
	var fnErr error
	err := as.Atomically(ctx, func(tx profile.Sink) error {
		fnErr = fn(&watchedSink{Sink: tx, failed: w.failed})
		return fnErr
	})
	if err != nil && fnErr == nil {
		*w.failed = true
	}
	return err
}

// CheckImport says whether p may import profiles, so that an interface
// can refuse an upload before reading it; Import checks it again.
func (s *Profiles) CheckImport(p user.Principal) error {
	return allow(p, ProfilesImport, Subject{})
}
