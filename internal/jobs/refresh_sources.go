package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"segbridge/internal/ingest"
	"segbridge/internal/store"
)

// ErrNotHeld is returned (wrapped) when releasing or discarding a refresh
// that is not held.
var ErrNotHeld = errors.New("the refresh is not held")

// readSources reads every source (Config.Sources) into the store, one step
// per source. It returns the hold message when the removal guard held a
// source (rec.Held lists them), and an error naming the sources that
// failed and are not optional.
func (c *Client) readSources(ctx context.Context, rec *store.SystemRefresh) (string, error) {
	if c.cfg.Sources == nil {
		return "", nil
	}
	reps, err := c.cfg.Sources.ReadAll(ctx)
	if err != nil {
		return "", fmt.Errorf("read the sources: %w", err)
	}
	var failed, optional []string
	for _, rep := range reps {
		step := store.RefreshStep{Name: "source " + rep.Source.Name, StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt,
			Counts: map[string]int{"rows": rep.Read.Rows, "new": rep.Staged.Inserted, "changed": rep.Staged.Updated,
				"unchanged": rep.Staged.Unchanged, "rejected": rep.Read.Rejected, "removed": rep.Removed}}
		switch {
		case rep.Err != nil:
			step.Error = rep.Err.Error()
			if rep.Source.Optional {
				optional = append(optional, rep.Err.Error())
				step.Note = "optional: the refresh went on"
			} else {
				failed = append(failed, rep.Err.Error())
			}
		case rep.Read.Unchanged:
			step.Note = "not modified since the last read"
		case rep.Held != nil:
			step.Note = rep.Source.State.Message
			rec.Held = append(rec.Held, *rep.Held)
		}
		rec.Steps = append(rec.Steps, step)
	}
	if len(failed) > 0 {
		return "", fmt.Errorf("%s; no export ran", strings.Join(failed, "; "))
	}
	note := ""
	if len(optional) > 0 {
		note = "optional sources failed: " + strings.Join(optional, "; ")
	}
	if len(rec.Held) > 0 {
		return joinNotes(note, ingest.HoldMessage(rec.Held)), nil
	}
	return note, nil
}

// unify merges the staged rows into profiles, as the step "unify".
func (c *Client) unify(ctx context.Context, rec *store.SystemRefresh) error {
	if c.cfg.Sources == nil {
		return nil
	}
	step := store.RefreshStep{Name: "unify", StartedAt: c.cfg.Now()}
	res, err := c.cfg.Sources.Unify(ctx)
	step.FinishedAt = c.cfg.Now()
	step.Counts = map[string]int{"new": res.Inserted, "updated": res.Updated, "unchanged": res.Unchanged, "removed": res.Removed}
	if err != nil {
		step.Error = "the profiles could not be unified"
	}
	rec.Steps = append(rec.Steps, step)
	if err != nil {
		return fmt.Errorf("unify profiles: %w", err)
	}
	return nil
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// ReleaseRefresh goes on with held refresh id: the rows its held sources
// no longer return are removed, then the profiles are unified, the
// segments refreshed and the exports that follow the refresh run.
func (c *Client) ReleaseRefresh(ctx context.Context, id int64) (store.SystemRefresh, error) {
	c.refreshing.Lock()
	defer c.refreshing.Unlock()
	rec, err := c.cfg.Store.GetRefresh(ctx, id)
	if err != nil {
		return rec, err
	}
	if rec.Status != store.RefreshHeld {
		return rec, fmt.Errorf("refresh %d is %s: %w", id, rec.Status, ErrNotHeld)
	}
	if c.cfg.Sources == nil {
		return rec, errors.New("sources are not open in this process")
	}
	step := store.RefreshStep{Name: "release", StartedAt: c.cfg.Now(), Counts: map[string]int{}}
	for _, h := range rec.Held {
		n, err := c.cfg.Sources.Release(ctx, h)
		if err != nil {
			return rec, fmt.Errorf("release source %q: %w", h.Name, err)
		}
		step.Counts["removed"] += n
	}
	step.FinishedAt = c.cfg.Now()
	rec.Steps = append(rec.Steps, step)
	rec.Held = nil
	err = c.unify(ctx, &rec)
	var skipped string
	if err == nil {
		skipped, err = c.refreshSegmentsAndRun(ctx, &rec)
	}
	rec.FinishedAt, rec.Status, rec.Message = c.cfg.Now(), store.RefreshSucceeded, joinNotes("released", skipped)
	if err != nil {
		rec.Status, rec.Message = store.RefreshFailed, "released, then: "+err.Error()
	}
	if ferr := c.cfg.Store.FinishRefresh(context.WithoutCancel(ctx), rec); ferr != nil {
		return rec, errors.Join(err, ferr)
	}
	return rec, err
}

// DiscardRefresh ends held refresh id: nothing is removed, no export runs;
// the next refresh reads the sources again.
func (c *Client) DiscardRefresh(ctx context.Context, id int64) (store.SystemRefresh, error) {
	rec, err := c.cfg.Store.GetRefresh(ctx, id)
	if err != nil {
		return rec, err
	}
	if rec.Status != store.RefreshHeld {
		return rec, fmt.Errorf("refresh %d is %s: %w", id, rec.Status, ErrNotHeld)
	}
	rec.Status, rec.Message = store.RefreshDiscarded, "discarded: nothing was removed and no export ran ("+rec.Message+")"
	rec.FinishedAt = c.cfg.Now()
	return rec, c.cfg.Store.FinishRefresh(ctx, rec)
}
