package jobs

import (
	"context"
	"fmt"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/source"
)

// CheckSourceCron reads every source whose own cron schedule fired since
// its last read (or, never read, since it was last saved) and unifies the
// rows read; it returns how many sources it read. A source that fails is
// logged and recorded in its state; the others are read. Segments and
// exports follow at their next refresh or run.
func (c *Client) CheckSourceCron(ctx context.Context) (int, error) {
	if c.cfg.Sources == nil {
		return 0, nil
	}
	srcs, err := c.cfg.Store.ListSources(ctx)
	if err != nil {
		return 0, fmt.Errorf("source cron check: list sources: %w", err)
	}
	now, read := c.cfg.Now(), 0
	for _, src := range srcs {
		if !sourceDue(src, now) {
			continue
		}
		c.refreshing.Lock()
		n, err := c.readDueSource(ctx, src)
		c.refreshing.Unlock()
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}

// readDueSource reads src and unifies; it says whether it read it.
func (c *Client) readDueSource(ctx context.Context, src source.Source) (int, error) {
	rep, err := c.cfg.Sources.ReadSource(ctx, src)
	if err != nil {
		c.cfg.Logger.Warn("jobs: scheduled source read failed", "source", src.Name, "error", err)
		return 0, nil
	}
	if rep.Held != nil {
		return 1, nil
	}
	if _, err := c.cfg.Sources.Unify(ctx); err != nil {
		return 1, fmt.Errorf("source cron check: unify: %w", err)
	}
	return 1, nil
}

// sourceDue reports whether src's own cron fired since its last read.
func sourceDue(src source.Source, now time.Time) bool {
	if src.Schedule == "" {
		return false
	}
	since := src.UpdatedAt
	if src.State.ReadAt.After(since) {
		since = src.State.ReadAt
	}
	next := export.Schedule{Kind: export.ScheduleCron, Cron: src.Schedule}.WithDefaults().NextRun(since)
	return !next.IsZero() && !next.After(now)
}
