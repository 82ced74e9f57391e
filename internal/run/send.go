package run

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"segbridge/internal/omnisend"
)

// MaxInFlight is how many batches a run has in flight at once: enough to
// keep the rate budget busy while the store records the previous ones.
const MaxInFlight = 4

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
// time, until none is left or one fails.
func (e *Executor) sendFresh(ctx context.Context, r *Run, t Target, size int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, MaxInFlight)
	errs := make(chan error, MaxInFlight)
	var wg sync.WaitGroup
	err := func() error {
		for {
			if err := e.checkCancel(ctx, r); err != nil {
				return err
			}
			ops, err := e.cfg.Store.FreshUpserts(ctx, r.ID, size)
			if err != nil || len(ops) == 0 {
				return err
			}
			if err := e.cfg.Store.AssignBatch(ctx, r.ID, seqsOf(ops), ops[0].Seq); err != nil {
				return err
			}
			for i := range ops {
				ops[i].BatchNo = ops[0].Seq
			}
			select {
			case sem <- struct{}{}:
			case err := <-errs:
				return err
			}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := e.sendBatch(ctx, r, t, ops); err != nil {
					select { // the first error is enough
					case errs <- err:
					default:
					}
					cancel()
				}
			}()
		}
	}()
	wg.Wait()
	close(errs)
	if first := <-errs; first != nil {
		return first // the cause, rather than the cancellation it led to
	}
	return err
}

func (e *Executor) sendBatch(ctx context.Context, r *Run, t Target, ops []Op) error {
	st := e.cfg.Store
	no := ops[0].BatchNo
	if no == 0 {
		no = ops[0].Seq
		if err := st.AssignBatch(ctx, r.ID, seqsOf(ops), no); err != nil {
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
	for _, b := range res.Batches {
		if serr := st.SetBatchID(ctx, r.ID, no, b.Emails, b.ID); serr != nil {
			return serr
		}
		t.progress.add(ctx, func(p *Progress) { p.Sent += len(b.Emails) })
	}
	for _, rej := range res.Rejected {
		seqs := seqsByEmail(ops, rej.Email)
		if serr := st.SetOpStatus(ctx, r.ID, seqs, OpFailed, ReasonRejected, oneLine(rej.Err)); serr != nil {
			return serr
		}
		t.progress.add(ctx, func(p *Progress) { p.Sent, p.Confirmed = p.Sent+len(seqs), p.Confirmed+len(seqs) })
	}
	if err != nil {
		return fmt.Errorf("send: Omnisend did not take a batch: %w", err)
	}
	return nil
}

// confirm polls batch status sparingly, oldest first, and marks each op ok
// or failed with Omnisend's message once its batch is done.
func (e *Executor) confirm(ctx context.Context, r *Run, t Target) error {
	for {
		open, err := e.cfg.Store.OpenBatches(ctx, r.ID)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			r.Step = StepUntag
			return nil
		}
		progressed, err := e.confirmRound(ctx, r, t, open)
		if err != nil {
			return err
		}
		if !progressed {
			if err := e.checkCancel(ctx, r); err != nil {
				return err
			}
			if err := (omnisend.SystemClock{}).Sleep(ctx, e.cfg.PollInterval); err != nil {
				return err
			}
		}
	}
}

// listThreshold is the number of open batches from which one round lists
// batches (250 a request) instead of asking for each.
const listThreshold = 3

// confirmRound resolves the batches that are done. Every request costs rate
// budget, so with many open batches it reads the batch list, 250 headers a
// request, instead of each batch's status.
func (e *Executor) confirmRound(ctx context.Context, r *Run, t Target, open []BatchRef) (bool, error) {
	ids := dedupeIDs(open)
	if len(ids) < listThreshold {
		return e.pollEach(ctx, r, t, ids)
	}
	remaining := make(map[string]bool, len(ids))
	for _, id := range ids {
		remaining[id] = true
	}
	progressed := false
	for offset := 0; len(remaining) > 0; {
		page, err := t.Client.ListBatches(ctx, omnisend.ListBatchesOptions{Limit: 250, Offset: offset})
		if err != nil {
			return progressed, fmt.Errorf("confirm: list batches: %w", err)
		}
		for _, b := range page.Batches {
			if !remaining[b.ID] {
				continue
			}
			delete(remaining, b.ID)
			if b.Done() {
				if err := e.resolve(ctx, r, t, b); err != nil {
					return progressed, err
				}
				progressed = true
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
	more, err := e.pollEach(ctx, r, t, missing)
	return progressed || more, err
}

// pollEach asks for each batch's status in order, stopping at the first
// that is still processing (later ones, queued behind it, are too).
func (e *Executor) pollEach(ctx context.Context, r *Run, t Target, ids []string) (bool, error) {
	progressed := false
	for _, id := range ids {
		b, err := t.Client.Batch(ctx, id)
		if err != nil {
			return progressed, fmt.Errorf("confirm: batch %s: %w", id, err)
		}
		if !b.Done() {
			return progressed, nil
		}
		if err := e.resolve(ctx, r, t, b); err != nil {
			return progressed, err
		}
		progressed = true
	}
	return progressed, nil
}

// resolve records the outcome of a done batch, reading its items only when
// Omnisend reports errors or stopped it.
func (e *Executor) resolve(ctx context.Context, r *Run, t Target, b omnisend.Batch) error {
	out := BatchOutcome{Stopped: b.Status == omnisend.BatchStopped}
	if b.ErrorsCount > 0 || out.Stopped {
		items, err := t.Client.BatchItems(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("confirm: items of batch %s: %w", b.ID, err)
		}
		out = outcomeOf(items)
	}
	n, err := e.cfg.Store.ResolveBatch(ctx, r.ID, b.ID, out)
	t.progress.add(ctx, func(p *Progress) { p.Confirmed += n })
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

func seqsOf(ops []Op) []int64 {
	s := make([]int64, len(ops))
	for i, op := range ops {
		s[i] = op.Seq
	}
	return s
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
