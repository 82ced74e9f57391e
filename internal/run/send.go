package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"segbridge/internal/omnisend"
)

// MaxInFlight is how many batches a run has in flight at once: enough to
// keep the rate budget busy while the store records the previous ones.
// Each request also waits for its count to be committed before it is
// written; with 4 in flight a 1M run at 20x Omnisend's speed kept 71 % of
// the budget busy, with 8 82 % (docs/benchmarks.md).
const MaxInFlight = 8

// send submits pending upserts in batches. Before a batch is sent its ops
// are assigned its number; after, Omnisend's batch id is recorded on them.
// A crash in between leaves the batch numbered without an id: on resume
// those batches are sent again first, one by one (harmless: upserts are
// idempotent by e-mail), so a crash re-sends at most the batches that were
// in flight (MaxInFlight).
func (e *Executor) send(ctx context.Context, r *Run, t Target) error {
	size := t.Client.Dialect().MaxBatchItems()
	for {
		ops, err := e.cfg.Store.NextUpserts(ctx, r.ID, size)
		if err != nil {
			return err
		}
		if len(ops) == 0 || ops[0].BatchNo == 0 {
			break
		}
		if err := e.sendBatch(ctx, r, t, ops); err != nil {
			return err
		}
	}
	if err := e.sendFresh(ctx, r, t, size); err != nil {
		return err
	}
	r.Step = StepConfirm
	return nil
}

// sendFresh sends the upserts in no batch yet, MaxInFlight batches at a
// time, until none is left or one fails. The first failure is the one
// returned: the others it causes (siblings cancelled) are not the cause.
func (e *Executor) sendFresh(ctx context.Context, r *Run, t Target, size int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, MaxInFlight)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	fail := func(err error) { once.Do(func() { first = err; cancel() }) }
	marked, analyzeAt := 0, TidyAfter
	err := func() error {
		for {
			if err := e.checkCancel(ctx, r, t); err != nil {
				return err
			}
			ops, err := e.cfg.Store.FreshUpserts(ctx, r.ID, size)
			if err != nil || len(ops) == 0 {
				return err
			}
			if err := e.cfg.Store.AssignBatch(ctx, r.ExportID, ops, ops[0].Seq, e.cfg.Now()); err != nil {
				return err
			}
			for i := range ops {
				ops[i].BatchNo = ops[0].Seq
			}
			if marked += len(ops); marked >= analyzeAt {
				analyzeAt *= 2
				e.analyzeState(ctx, r)
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := e.sendBatch(ctx, r, t, ops); err != nil {
					fail(err)
				}
			}()
		}
	}()
	wg.Wait()
	once.Do(func() {}) // first is settled
	if first != nil {
		return first
	}
	return err
}

// sendBatch submits one batch. What Omnisend took is recorded even when
// ctx ends meanwhile (a sibling batch failed, the run was stopped):
// otherwise a batch id would be lost and its contacts sent again.
func (e *Executor) sendBatch(ctx context.Context, r *Run, t Target, ops []Op) error {
	st := e.cfg.Store
	no := ops[0].BatchNo
	if no == 0 {
		no = ops[0].Seq
		if err := st.AssignBatch(ctx, r.ExportID, ops, no, e.cfg.Now()); err != nil {
			return err
		}
	}
	contacts := make([]omnisend.Contact, len(ops))
	for i, op := range ops {
		if err := json.Unmarshal(op.Contact, &contacts[i]); err != nil {
			return fmt.Errorf("send: op %d (%s): stored contact: %w", op.Seq, op.Email, err)
		}
	}
	res, err := t.Client.SubmitContacts(ctx, contacts)
	rctx := context.WithoutCancel(ctx)
	for _, b := range res.Batches {
		if serr := st.SetBatchID(rctx, r.ID, no, b.Emails, b.ID); serr != nil {
			return serr
		}
		t.progress.add(rctx, func(p *Progress) { p.Sent += len(b.Emails) })
	}
	for _, rej := range res.Rejected {
		seqs := seqsByEmail(ops, rej.Email)
		if serr := st.SetOpStatus(rctx, r.ID, seqs, OpFailed, ReasonRejected, oneLine(rej.Err)); serr != nil {
			return serr
		}
		t.progress.add(rctx, func(p *Progress) { p.Sent, p.Confirmed = p.Sent+len(seqs), p.Confirmed+len(seqs) })
	}
	if err != nil {
		return fmt.Errorf("send: Omnisend did not take a batch: %w", err)
	}
	return nil
}

// confirm polls batch status sparingly, oldest first, and marks each op ok
// or failed with Omnisend's message once its batch is done.
func (e *Executor) confirm(ctx context.Context, r *Run, t Target) error {
	if err := e.confirmBatches(ctx, r, r.ID, t, false); err != nil {
		return err
	}
	r.Step = StepTag
	return nil
}

// confirmBatches resolves every open batch of run id (r's own, or an
// earlier run's that r continues: adopting). An adopted batch Omnisend no
// longer knows is resolved as unconfirmed, so its contacts stay possibly
// present and are sent again.
func (e *Executor) confirmBatches(ctx context.Context, r *Run, id int64, t Target, adopting bool) error {
	c := confirmer{e: e, t: t, runID: id, adopting: adopting}
	for polled := false; ; polled = true {
		open, err := e.cfg.Store.OpenBatches(ctx, id)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return nil
		}
		// Every round after the first waits a poll interval, even after
		// one that resolved batches: the batches still open were not done
		// a moment ago (or queue behind one that was not), and asking
		// again at once would spend a request to learn that.
		if polled {
			if err := e.checkCancel(ctx, r, t); err != nil {
				return err
			}
			if err := (omnisend.SystemClock{}).Sleep(ctx, e.cfg.PollInterval); err != nil {
				return err
			}
		}
		if err := c.round(ctx, open); err != nil {
			return err
		}
	}
}

// confirmer resolves the batches of one run.
type confirmer struct {
	e        *Executor
	t        Target
	runID    int64
	adopting bool
}

// listThreshold is the number of open batches from which one round lists
// batches (250 a request) instead of asking for each. Two open batches
// already cost up to two status requests (the first done, then the
// second), against one page of the list.
const listThreshold = 2

// round resolves the batches that are done. Every request costs rate
// budget, so with many open batches it reads the batch list, 250 headers a
// request, instead of each batch's status.
func (c confirmer) round(ctx context.Context, open []BatchRef) error {
	ids := dedupeIDs(open)
	if len(ids) < listThreshold {
		return c.pollEach(ctx, ids)
	}
	remaining := make(map[string]bool, len(ids))
	for _, id := range ids {
		remaining[id] = true
	}
	for offset := 0; len(remaining) > 0; {
		page, err := c.t.Client.ListBatches(ctx, omnisend.ListBatchesOptions{Limit: 250, Offset: offset})
		if err != nil {
			return fmt.Errorf("confirm: list batches: %w", err)
		}
		for _, b := range page.Batches {
			if !remaining[b.ID] {
				continue
			}
			delete(remaining, b.ID)
			if b.Done() {
				if err := c.resolve(ctx, b); err != nil {
					return err
				}
			}
		}
		if page.NextOffset == 0 {
			break
		}
		offset = page.NextOffset
	}
	// Batches the list no longer shows are asked for one by one.
	var missing []string
	for _, id := range ids {
		if remaining[id] {
			missing = append(missing, id)
		}
	}
	return c.pollEach(ctx, missing)
}

// pollEach asks for each batch's status in order, stopping at the first
// that is still processing (later ones, queued behind it, are too).
func (c confirmer) pollEach(ctx context.Context, ids []string) error {
	for _, id := range ids {
		b, err := c.t.Client.Batch(ctx, id)
		if err != nil && c.adopting && isNotFound(err) {
			// An earlier run's batch Omnisend no longer shows: its outcome
			// is unknown, so its contacts stay possibly present.
			n, rerr := c.e.cfg.Store.ResolveBatch(ctx, c.runID, id, BatchOutcome{Stopped: true}, c.e.cfg.Now())
			c.e.cfg.Logger.Warn("run: an earlier run's batch is unknown to Omnisend; its contacts are sent again",
				"run", c.runID, "batch", id, "ops", n, "error", err)
			if rerr != nil {
				return rerr
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("confirm: batch %s: %w", id, err)
		}
		if !b.Done() {
			return nil
		}
		if err := c.resolve(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// resolve records the outcome of a done batch, reading its items only when
// Omnisend reports errors or stopped it.
func (c confirmer) resolve(ctx context.Context, b omnisend.Batch) error {
	out := BatchOutcome{Stopped: b.Status == omnisend.BatchStopped}
	if b.ErrorsCount > 0 || out.Stopped {
		items, err := c.t.Client.BatchItems(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("confirm: items of batch %s: %w", b.ID, err)
		}
		out = outcomeOf(items)
	}
	n, err := c.e.cfg.Store.ResolveBatch(ctx, c.runID, b.ID, out, c.e.cfg.Now())
	if !c.adopting {
		c.t.progress.add(ctx, func(p *Progress) { p.Confirmed += n })
	}
	return err
}

// outcomeOf reads a done batch's item results.
func outcomeOf(items omnisend.BatchItems) BatchOutcome {
	out := BatchOutcome{Failed: map[string]string{}, Stopped: items.Status == omnisend.BatchStopped}
	for _, it := range items.Errors {
		msg := fmt.Sprintf("HTTP %d", it.ResponseCode)
		if it.Err != nil {
			msg = oneLine(it.Err)
		}
		out.Failed[strings.ToLower(it.Email)] = msg
	}
	if out.Stopped {
		out.OK = map[string]bool{}
		for _, it := range items.Responses {
			out.OK[strings.ToLower(it.Email)] = true
		}
	}
	return out
}

func dedupeIDs(open []BatchRef) []string {
	var ids []string
	seen := map[string]bool{}
	for _, b := range open {
		if b.ID != "" && !seen[b.ID] {
			seen[b.ID] = true
			ids = append(ids, b.ID)
		}
	}
	return ids
}

func seqsByEmail(ops []Op, email string) []int64 {
	var s []int64
	for _, op := range ops {
		if strings.EqualFold(op.Email, email) {
			s = append(s, op.Seq)
		}
	}
	return s
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// isNotFound reports whether Omnisend answered 404.
func isNotFound(err error) bool {
	var apiErr *omnisend.APIError
	return errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound
}

// analyzeState refreshes the store's statistics of the state a run is
// growing (Store.AnalyzeState). A failure only slows the run's lookups
// down: it is logged.
func (e *Executor) analyzeState(ctx context.Context, r *Run) {
	if err := e.cfg.Store.AnalyzeState(ctx); err != nil && ctx.Err() == nil {
		e.cfg.Logger.Warn("run: analyze the export state", "run", r.ID, "error", err)
	}
}
