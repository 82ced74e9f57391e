package pgbudget

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"segbridge/internal/omnisend"
)

// lockSpace is the first key of the advisory locks, one per brand and
// class (the second key hashes them).
const lockSpace = 0x5e9b

// request is one Wait call.
type request struct {
	brand  string
	class  omnisend.RouteClass
	share  string
	waiter int64 // its row in rate_budget_waiters, 0 while not queued
}

// window is one brand and class's log as loaded at now.
type window struct {
	class       omnisend.RouteClass
	limit       omnisend.Limit
	span        time.Duration
	live        int // slots in the window
	factor      float64
	hitAt       time.Time
	pausedUntil time.Time
	fair        omnisend.Window
}

// classes are the logs a request of class takes a slot in, in lock order.
func (b *Budget) classes(class omnisend.RouteClass) []omnisend.RouteClass {
	cs := []omnisend.RouteClass{class}
	if class != omnisend.ClassGeneral && !b.cfg.Limits.TagsOutsideGeneral {
		cs = append(cs, omnisend.ClassGeneral)
	}
	slices.Sort(cs)
	return cs
}

func (b *Budget) limit(class omnisend.RouteClass) omnisend.Limit {
	if class == omnisend.ClassTags {
		return b.cfg.Limits.Tags
	}
	return b.cfg.Limits.General
}

// tryAdmit admits q (returning its slots) or returns how long to wait
// before looking again, in one transaction under the logs' locks.
func (b *Budget) tryAdmit(ctx context.Context, q *request) (ids []int64, wait time.Duration, err error) {
	err = pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		ids, wait = nil, 0
		classes := b.classes(q.class)
		now, err := lock(ctx, tx, q.brand, classes)
		if err != nil {
			return err
		}
		wins, err := b.load(ctx, tx, q, classes, now)
		if err != nil {
			return err
		}
		primary := wins[slices.IndexFunc(wins, func(w *window) bool { return w.class == q.class })]
		seq := q.waiter
		if seq == 0 {
			seq = math.MaxInt64 // not queued yet: behind everyone
		}
		turn := primary.fair.Turn(omnisend.Waiter{Share: q.share, Seq: seq})
		for _, w := range wins {
			d, err := b.waitFor(ctx, tx, q.brand, w, now, turn)
			if err != nil {
				return err
			}
			wait = max(wait, d)
		}
		if wait > 0 {
			return b.enqueue(ctx, tx, q, now)
		}
		ids, err = b.admit(ctx, tx, q, classes, now)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return ids, min(wait, b.cfg.MaxSleep), nil
}

// lock takes the advisory locks of brand's classes (until the transaction
// ends) and then reads the database's clock.
func lock(ctx context.Context, tx pgx.Tx, brand string, classes []omnisend.RouteClass) (time.Time, error) {
	batch := &pgx.Batch{}
	for _, c := range classes {
		batch.Queue(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockSpace, brand+"/"+string(c))
	}
	var now time.Time
	batch.Queue(`SELECT clock_timestamp()`).QueryRow(func(row pgx.Row) error { return row.Scan(&now) })
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return time.Time{}, err
	}
	return now, nil
}

// load reads the logs of classes and q's queue as they are at now, and
// forgets waiters that stopped looking (their process died).
func (b *Budget) load(ctx context.Context, tx pgx.Tx, q *request, classes []omnisend.RouteClass, now time.Time) ([]*window, error) {
	batch := &pgx.Batch{}
	wins := make([]*window, len(classes))
	for i, c := range classes {
		l := b.limit(c)
		w := &window{class: c, limit: l, span: l.Window + max(0, b.cfg.Limits.Margin), factor: 1,
			fair: omnisend.Window{Used: map[string]int{}, InFlight: map[string]int{}}}
		wins[i] = w
		batch.Queue(`SELECT share, count(*), count(*) FILTER (WHERE in_flight) FROM rate_budget_slots
			WHERE brand = $1 AND class = $2 AND expires_at > $3 GROUP BY share`, q.brand, string(c), now).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var share string
					var used, inFlight int
					if err := rows.Scan(&share, &used, &inFlight); err != nil {
						return err
					}
					w.fair.Used[share], w.fair.InFlight[share] = used, inFlight
					w.live += used
				}
				return rows.Err()
			})
		batch.Queue(`SELECT factor, hit_at, paused_until FROM rate_budget_state WHERE brand = $1 AND class = $2`,
			q.brand, string(c)).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&w.factor, &w.hitAt, &w.pausedUntil)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		})
		if c != q.class {
			continue
		}
		stale := now.Add(-3*b.cfg.MaxSleep - time.Second)
		batch.Queue(`DELETE FROM rate_budget_waiters WHERE brand = $1 AND class = $2 AND seen_at < $3`, q.brand, string(c), stale)
		if q.waiter != 0 {
			batch.Queue(`UPDATE rate_budget_waiters SET seen_at = $2 WHERE id = $1`, q.waiter, now).
				Exec(func(tag pgconn.CommandTag) error {
					if tag.RowsAffected() == 0 {
						q.waiter = 0 // gone stale: queue again
					}
					return nil
				})
		}
		batch.Queue(`SELECT id, share FROM rate_budget_waiters WHERE brand = $1 AND class = $2 ORDER BY id`, q.brand, string(c)).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var wt omnisend.Waiter
					if err := rows.Scan(&wt.Seq, &wt.Share); err != nil {
						return err
					}
					w.fair.Waiters = append(w.fair.Waiters, wt)
				}
				return rows.Err()
			})
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, err
	}
	for _, w := range wins {
		w.fair.Limit = w.effective(now, b.cfg.Limits.Recovery)
	}
	return wins, nil
}

// factorAt is the fraction of the limit allowed at now: it climbs
// linearly from the post-429 factor back to 1 over recovery (as in
// omnisend's WindowBudget).
func (w *window) factorAt(now time.Time, recovery time.Duration) float64 {
	if w.factor >= 1 {
		return 1
	}
	return min(1, w.factor+float64(now.Sub(w.hitAt))/float64(recovery))
}

// effective is the current limit, at least 1.
func (w *window) effective(now time.Time, recovery time.Duration) int {
	return max(1, int(float64(w.limit.Requests)*w.factorAt(now, recovery)))
}

// waitFor returns 0 if a request with turn others before it fits in w at
// now, or how long to wait: until the answered slot it needs expires, or
// a poll interval when that slot is still in flight.
func (b *Budget) waitFor(ctx context.Context, tx pgx.Tx, brand string, w *window, now time.Time, turn int) (time.Duration, error) {
	if now.Before(w.pausedUntil) {
		return w.pausedUntil.Sub(now), nil
	}
	need := w.live - w.fair.Limit + 1 + turn
	if need <= 0 {
		return 0, nil
	}
	wait := b.cfg.Poll
	var at time.Time
	err := tx.QueryRow(ctx, `SELECT expires_at FROM rate_budget_slots
		WHERE brand = $1 AND class = $2 AND expires_at > $3 AND NOT in_flight ORDER BY expires_at OFFSET $4 LIMIT 1`,
		brand, string(w.class), now, need-1).Scan(&at)
	switch {
	case err == nil:
		wait = max(time.Microsecond, at.Sub(now))
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, err
	}
	if w.factorAt(now, b.cfg.Limits.Recovery) < 1 {
		// While recovering the limit grows by one every recovery/limit.
		wait = min(wait, max(time.Millisecond, b.cfg.Limits.Recovery/time.Duration(w.limit.Requests)))
	}
	return wait, nil
}

// enqueue gives q a place among the waiters if it has none.
func (b *Budget) enqueue(ctx context.Context, tx pgx.Tx, q *request, now time.Time) error {
	if q.waiter != 0 {
		return nil
	}
	return tx.QueryRow(ctx, `INSERT INTO rate_budget_waiters (brand, class, share, seen_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		q.brand, string(q.class), q.share, now).Scan(&q.waiter)
}

// admit takes q's slots (in flight until the lease ends), drops expired
// slots, and takes q out of the queue.
func (b *Budget) admit(ctx context.Context, tx pgx.Tx, q *request, classes []omnisend.RouteClass, now time.Time) ([]int64, error) {
	batch := &pgx.Batch{}
	ids := make([]int64, len(classes))
	for i, c := range classes {
		span := b.limit(c).Window + max(0, b.cfg.Limits.Margin)
		batch.Queue(`DELETE FROM rate_budget_slots WHERE brand = $1 AND class = $2 AND expires_at <= $3`, q.brand, string(c), now)
		batch.Queue(`INSERT INTO rate_budget_slots (brand, class, share, in_flight, span, expires_at)
			VALUES ($1, $2, $3, true, $4, $5) RETURNING id`, q.brand, string(c), q.share, span, now.Add(b.cfg.Lease+span)).
			QueryRow(func(row pgx.Row) error { return row.Scan(&ids[i]) })
	}
	if q.waiter != 0 {
		batch.Queue(`DELETE FROM rate_budget_waiters WHERE id = $1`, q.waiter)
		q.waiter = 0
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, err
	}
	return ids, nil
}

// report429 slows brand's class down and pauses it, under its lock.
func (b *Budget) report429(ctx context.Context, brand string, class omnisend.RouteClass, retryAfter time.Duration) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		now, err := lock(ctx, tx, brand, []omnisend.RouteClass{class})
		if err != nil {
			return err
		}
		w := &window{class: class, limit: b.limit(class), factor: 1}
		err = tx.QueryRow(ctx, `SELECT factor, hit_at, paused_until FROM rate_budget_state WHERE brand = $1 AND class = $2`,
			brand, string(class)).Scan(&w.factor, &w.hitAt, &w.pausedUntil)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		factor := max(b.cfg.Limits.MinFactor, w.factorAt(now, b.cfg.Limits.Recovery)*b.cfg.Limits.Slowdown)
		if retryAfter <= 0 {
			retryAfter = b.cfg.Limits.Pause
		}
		until := now.Add(retryAfter)
		_, err = tx.Exec(ctx, `INSERT INTO rate_budget_state (brand, class, factor, hit_at, paused_until) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (brand, class) DO UPDATE SET factor = $3, hit_at = $4,
				paused_until = greatest(rate_budget_state.paused_until, $5)`, brand, string(class), factor, now, until)
		return err
	})
}
