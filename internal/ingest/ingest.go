// Package ingest reads sources into the store and unifies their rows into
// profiles: each read stages the source's rows (only new and changed rows
// are written, and their unification keys marked), a full source's read
// removes the rows it no longer returns — unless the removal guard holds
// it — and Unify merges the marked keys' rows into one profile per person.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"segbridge/internal/secret"
	"segbridge/internal/source"
	"segbridge/internal/store"
)

// Config configures an Ingester.
type Config struct {
	// Store keeps the sources, their rows and the profiles. Required.
	Store store.Store
	// Keys opens the sources' sealed secrets. Required.
	Keys *secret.Keyring
	// HTTPClient gets URL sources (default: a client with a 5 minute
	// timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives what users are not shown (default: discard).
	Logger *slog.Logger
	// BatchSize is how many rows are staged per transaction (default 1000).
	BatchSize int
	// Parallel is how many sources are read at once (default 2).
	Parallel int
}

// WithDefaults returns c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 5 * time.Minute}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.Parallel <= 0 {
		c.Parallel = 2
	}
	return c
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("ingest: config: Store: required")
	case c.Keys == nil:
		return errors.New("ingest: config: Keys: required")
	}
	return nil
}

// Ingester reads sources and unifies their rows.
type Ingester struct{ cfg Config }

// New returns an Ingester on cfg (defaults applied, then validated).
func New(cfg Config) (*Ingester, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Ingester{cfg: cfg}, nil
}

// Report is what reading one source did.
type Report struct {
	Source source.Source
	Read   source.ReadResult
	Staged store.StageResult
	// Removed counts the rows the source no longer returns that were
	// removed.
	Removed int
	// Held is set when the removal guard held the read's removals.
	Held *store.HeldSource
	// Err is the read's failure (in plain words).
	Err        error
	StartedAt  time.Time
	FinishedAt time.Time
}

// Secret opens a source's sealed secret ("" when it has none).
func (in *Ingester) Secret(ctx context.Context, src source.Source) (string, error) {
	if !src.HasSecret {
		return "", nil
	}
	sealed, err := in.cfg.Store.SourceSecret(ctx, src.ID)
	if err != nil {
		return "", err
	}
	if sealed == nil {
		return "", nil
	}
	b, err := in.cfg.Keys.Open(sealed, source.SecretAD(src.ID))
	if err != nil {
		return "", &source.Error{Source: src.Name, Secret: true,
			Msg: "its secret cannot be opened with this master key (was the key changed?); give the secret again with segbridge source update"}
	}
	return string(b), nil
}

// Seal seals a secret for source id.
func (in *Ingester) Seal(id int64, plain string) ([]byte, error) {
	return in.cfg.Keys.Seal([]byte(plain), source.SecretAD(id))
}

// Test reads up to limit rows of src without storing anything.
func (in *Ingester) Test(ctx context.Context, src source.Source, limit int) (source.ReadResult, []source.Row, error) {
	sec, err := in.Secret(ctx, src)
	if err != nil {
		return source.ReadResult{}, nil, err
	}
	var rows []source.Row
	res, err := source.Read(ctx, src, source.ReadOptions{Secret: sec, HTTPClient: in.cfg.HTTPClient, Limit: limit, Full: true},
		func(r source.Row) error {
			rows = append(rows, r)
			return nil
		})
	return res, rows, err
}

// ReadSource reads src into the store. A full source's rows that the read
// did not return are removed, unless the read returned no rows or fewer
// than half of the last accepted read's while rows are stored: then
// nothing is removed and Report.Held says what waits (Release removes it).
// The source's state (validators, cursor, row count, last status) is
// saved. A failed read returns its error, also in Report.Err.
func (in *Ingester) ReadSource(ctx context.Context, src source.Source) (Report, error) {
	rep := Report{Source: src, StartedAt: in.cfg.Now()}
	err := in.read(ctx, src, &rep)
	rep.FinishedAt = in.cfg.Now()
	st := rep.Read.State
	st.ReadAt = rep.FinishedAt
	switch {
	case err != nil:
		// The rows a failed read staged carry its generation: the next
		// read takes the one after, so they are not taken as seen by it.
		st = src.State
		st.Gen = src.State.Gen + 1
		st.ReadAt, st.Status, st.Message = rep.FinishedAt, source.StatusFailed, err.Error()
		rep.Err = err
	case rep.Read.Unchanged:
		st.Status, st.Message = source.StatusUnchanged, "not modified since the last read"
	case rep.Held != nil:
		st.Status, st.Message = source.StatusHeld, holdMessage(*rep.Held)
	default:
		st.Status, st.Message = source.StatusOK, rep.summary()
	}
	if serr := in.cfg.Store.SaveSourceState(context.WithoutCancel(ctx), src.ID, st); serr != nil && err == nil {
		err = serr
		rep.Err = serr
	}
	rep.Source.State = st
	in.cfg.Logger.Info("ingest: source read", "source", src.Name, "rows", rep.Read.Rows, "rejected", rep.Read.Rejected,
		"inserted", rep.Staged.Inserted, "updated", rep.Staged.Updated, "removed", rep.Removed,
		"held", rep.Held != nil, "unchanged", rep.Read.Unchanged, "error", err)
	return rep, err
}

func (rep Report) summary() string {
	return fmt.Sprintf("%d rows read (%d new, %d changed, %d unchanged), %d rejected, %d removed",
		rep.Read.Rows, rep.Staged.Inserted, rep.Staged.Updated, rep.Staged.Unchanged, rep.Read.Rejected, rep.Removed)
}

// read reads and stages; see ReadSource.
func (in *Ingester) read(ctx context.Context, src source.Source, rep *Report) error {
	sec, err := in.Secret(ctx, src)
	if err != nil {
		return err
	}
	gen := src.State.Gen + 1
	res, err := in.readStaged(ctx, src, sec, gen, rep)
	rep.Read = res
	if err != nil {
		return err
	}
	rep.Read.State.Gen = gen
	if res.Unchanged || !src.Full() {
		return nil
	}
	stored, err := in.cfg.Store.CountSourceRows(ctx, src.ID)
	if err != nil {
		return err
	}
	last := src.State.Rows
	if stored > res.Rows && (res.Rows == 0 || res.Rows*2 < last) {
		rep.Held = &store.HeldSource{SourceID: src.ID, Name: src.Name, Gen: gen, Rows: res.Rows, LastRows: last}
		rep.Read.State.Rows = last
		return nil
	}
	rep.Removed, err = in.cfg.Store.DropUnseenRows(ctx, src.ID, gen)
	rep.Read.State.Rows = res.Rows
	return err
}

// readStaged reads src and stages its rows as read gen. Reading and
// staging overlap: the reader fills a batch while the store writes the
// one before (at most two batches wait), so a database source's decoding
// and the store's writes share the time.
func (in *Ingester) readStaged(ctx context.Context, src source.Source, sec string, gen int64, rep *Report) (source.ReadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []source.Row, 2)
	staged := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err != nil {
				continue // drain: the reader stops at its next batch
			}
			var r store.StageResult
			if r, err = in.cfg.Store.StageRows(ctx, src, gen, b, in.cfg.Now()); err != nil {
				cancel()
				continue
			}
			rep.Staged.Add(r)
		}
		staged <- err
	}()
	batch := make([]source.Row, 0, in.cfg.BatchSize)
	res, err := source.Read(ctx, src, source.ReadOptions{Secret: sec, State: src.State, HTTPClient: in.cfg.HTTPClient},
		func(r source.Row) error {
			batch = append(batch, r)
			if len(batch) >= in.cfg.BatchSize {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = make([]source.Row, 0, in.cfg.BatchSize)
			}
			return nil
		})
	if err == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	if serr := <-staged; serr != nil {
		return res, serr // the store's failure, not the cancellation it caused
	}
	return res, err
}

// holdMessage says why a source's removals are held.
func holdMessage(h store.HeldSource) string {
	what := "no rows"
	if h.Rows > 0 {
		what = fmt.Sprintf("%d rows, fewer than half of last time's %d", h.Rows, h.LastRows)
	}
	return fmt.Sprintf("source %q returned %s: nothing was removed", h.Name, what)
}

// HoldMessage says why a refresh is held.
func HoldMessage(held []store.HeldSource) string {
	msg := ""
	for i, h := range held {
		if i > 0 {
			msg += "; "
		}
		msg += holdMessage(h)
	}
	return msg + " and no export ran. Release the refresh to remove the profiles they no longer return " +
		"and go on, or discard it"
}

// Release removes the rows a held read did not return and accepts its row
// count; it says how many rows were removed.
func (in *Ingester) Release(ctx context.Context, h store.HeldSource) (int, error) {
	n, err := in.cfg.Store.DropUnseenRows(ctx, h.SourceID, h.Gen)
	if err != nil {
		return 0, err
	}
	src, err := in.cfg.Store.GetSource(ctx, fmt.Sprint(h.SourceID))
	if errors.Is(err, store.ErrNotFound) {
		return n, nil
	}
	if err != nil {
		return n, err
	}
	st := src.State
	st.Rows, st.Status = h.Rows, source.StatusOK
	st.Message = fmt.Sprintf("released: %d rows removed", n)
	return n, in.cfg.Store.SaveSourceState(ctx, src.ID, st)
}

// ReadAll reads every source, Parallel at a time, and reports on each in
// name order.
func (in *Ingester) ReadAll(ctx context.Context) ([]Report, error) {
	srcs, err := in.cfg.Store.ListSources(ctx)
	if err != nil {
		return nil, err
	}
	reps := make([]Report, len(srcs))
	sem := make(chan struct{}, in.cfg.Parallel)
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			reps[i], _ = in.ReadSource(ctx, src)
		}()
	}
	wg.Wait()
	return reps, ctx.Err()
}
