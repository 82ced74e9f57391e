package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Batch statuses.
const (
	batchPending    = "pending"
	batchInProgress = "inProgress"
	batchFinished   = "finished"
	batchStopped    = "stopped"
)

// batch is one asynchronous batch. Items are applied one at a time, paced by
// BatchConfig, as the brand is advanced.
type batch struct {
	ID        string
	d         dialect
	Method    string
	Endpoint  string
	Origin    string
	EventID   string
	items     []json.RawMessage // slices of one buffer
	results   []batchResult     // one per processed item, in item order; capacity len(items)
	errors    int
	foreign   int // items of another integration's batch (Config.ForeignBatches); it has none here
	Status    string
	CreatedAt time.Time
	StartedAt time.Time
	EndedAt   time.Time
}

// batchResult is one processed item's answer. Errors are kept encoded
// (they carry a request ID of their own). A contact answer is rendered only
// when a client lists the batch's items, which segbridge does only for
// batches with errors: until then the result points at the contact, whose
// state is the answer as long as it does not change. brandState.settle
// renders it before the contact changes.
type batchResult struct {
	code int
	body json.RawMessage // the encoded answer, when rendered
	c    *contact        // else the contact it shows
	v3   bool            // v3's {email, contactID, phone} instead of the 2026-03-15 contact
}

func newBatchResult(code int, body any) batchResult {
	return batchResult{code: code, body: encodeAnswer(body)}
}

func encodeAnswer(body any) json.RawMessage {
	b, err := json.Marshal(body)
	if err != nil { // the sandbox's own maps always encode
		b = []byte(`{"error":"unencodable response"}`)
	}
	return b
}

// answer returns r's encoded answer.
func (b *brandState) answer(r *batchResult) json.RawMessage {
	switch {
	case r.c == nil:
		return r.body
	case r.v3:
		return encodeAnswer(contactRefV3(r.c))
	default:
		return encodeAnswer(b.contact2026(r.c))
	}
}

// settle renders the pending batch answer that shows c, if any, before c
// changes. Every change to a stored contact calls it first.
func (b *brandState) settle(c *contact) {
	if r := c.answer; r != nil {
		r.body, r.c, c.answer = b.answer(r), nil, nil
	}
}

// nextBatchItem returns the active batch whose next item is due first.
// Item i of a batch completes at CreatedAt + StartDelay + (i+1)·ItemInterval.
func (b *brandState) nextBatchItem(cfg BatchConfig) (*batch, time.Time) {
	var best *batch
	var bestDue time.Time
	for _, bat := range b.active {
		due := bat.CreatedAt.Add(cfg.StartDelay + time.Duration(len(bat.results)+1)*cfg.ItemInterval)
		if best == nil || due.Before(bestDue) {
			best, bestDue = bat, due
		}
	}
	return best, bestDue
}

// processBatchItem applies bat's next item as if it were a single call.
func (s *Server) processBatchItem(b *brandState, bat *batch, due time.Time) {
	cfg := s.cfg.Batches
	if bat.Status == batchPending {
		bat.Status, bat.StartedAt = batchInProgress, bat.CreatedAt.Add(cfg.StartDelay)
	}
	res := s.applyBatchItem(b, bat, bat.items[len(bat.results)], due)
	bat.results = append(bat.results, res) // within capacity: results do not move
	if res.c != nil {
		res.c.answer = &bat.results[len(bat.results)-1]
	}
	if res.code >= 400 {
		bat.errors++
	}
	switch {
	case len(bat.results) == len(bat.items):
		bat.Status = batchFinished
	case cfg.StopAfterErrors > 0 && bat.errors >= cfg.StopAfterErrors:
		bat.Status = batchStopped
	default:
		return
	}
	bat.EndedAt = due
	b.active = slices.DeleteFunc(b.active, func(x *batch) bool { return x == bat })
}

// applyBatchItem runs one contacts item: POST upserts, PUT updates the
// contact its e-mail identifies (404 when there is none). The answer is
// the single call's, rendered lazily (see batchResult).
func (s *Server) applyBatchItem(b *brandState, bat *batch, item json.RawMessage, now time.Time) batchResult {
	in, aerr := s.v.contactItem(item, bat.d)
	var c *contact
	code := http.StatusOK
	switch {
	case aerr != nil:
	case bat.Method == http.MethodPut:
		c, aerr = b.putItem(in, now, s.rules)
	default:
		var created bool
		c, created, aerr = b.upsert(in, now, s.rules)
		if created && bat.d == dialect2026 {
			code = http.StatusCreated
		}
	}
	if aerr != nil {
		return newBatchResult(aerr.Status, aerr.body(bat.d, s.requestID()))
	}
	return batchResult{code: code, c: c, v3: bat.d == dialectV3}
}

// putItem updates the contact in's e-mail (else phone) identifies.
func (b *brandState) putItem(in *contactInput, now time.Time, rules mergeRules) (*contact, *apiError) {
	var c *contact
	if in.Email != nil {
		c = b.byEmail[in.Email.ID]
	} else if in.Phone != nil {
		c = b.byPhone[in.Phone.ID]
	}
	if c == nil {
		return nil, errNotFound("Contact not found.")
	}
	if aerr := b.update(c, in, now, conflictIgnore, rules); aerr != nil {
		return nil, aerr
	}
	return c, nil
}

// expireBatches marks due batches inProgress and forgets batches older than
// the retention period (Omnisend keeps them 7 days).
func (b *brandState) expireBatches(now time.Time, cfg BatchConfig) {
	for _, bat := range b.active {
		if bat.Status == batchPending && !now.Before(bat.CreatedAt.Add(cfg.StartDelay)) {
			bat.Status, bat.StartedAt = batchInProgress, bat.CreatedAt.Add(cfg.StartDelay)
		}
	}
	cut := 0
	for cut < len(b.batchLs) && b.batchLs[cut].Status != batchPending &&
		b.batchLs[cut].Status != batchInProgress && now.Sub(b.batchLs[cut].CreatedAt) > cfg.Retention {
		b.batchLs[cut].release()
		delete(b.batches, b.batchLs[cut].ID)
		cut++
	}
	b.batchLs = b.batchLs[cut:]
}

// release detaches a forgotten batch from the contacts whose answers it
// still holds, so that they do not keep it in memory.
func (bat *batch) release() {
	for i := range bat.results {
		if r := &bat.results[i]; r.c != nil && r.c.answer == r {
			r.c.answer = nil
		}
	}
}

// header renders the batch information shared by every batch answer.
func (bat *batch) header() map[string]any {
	total, finished := len(bat.items), len(bat.results)
	if bat.foreign > 0 {
		total, finished = bat.foreign, bat.foreign
	}
	m := map[string]any{
		"batchID":       bat.ID,
		"method":        bat.Method,
		"endpoint":      bat.Endpoint,
		"status":        bat.Status,
		"createdAt":     ts(bat.CreatedAt),
		"totalCount":    total,
		"finishedCount": finished,
		"errorsCount":   bat.errors,
	}
	if !bat.StartedAt.IsZero() {
		m["startedAt"] = ts(bat.StartedAt)
	}
	if !bat.EndedAt.IsZero() {
		m["endedAt"] = ts(bat.EndedAt)
	}
	if bat.Origin != "" && bat.d == dialect2026 {
		m["origin"] = bat.Origin
	}
	if bat.EventID != "" {
		m["eventID"] = bat.EventID
	}
	return m
}

// itemView renders item i: {itemID, request, responseCode, response, status}.
// Item IDs are 1-based positions in the batch.
func (b *brandState) itemView(bat *batch, i int) map[string]any {
	m := map[string]any{"itemID": strconv.Itoa(i + 1), "request": bat.items[i], "status": "pending"}
	if i < len(bat.results) {
		m["status"] = "finished"
		m["responseCode"] = bat.results[i].code
		m["response"] = b.answer(&bat.results[i])
	}
	return m
}

// withItems renders the header plus errors[] and responses[] of processed items.
func (b *brandState) withItems(bat *batch) map[string]any {
	m := bat.header()
	errs, oks := []map[string]any{}, []map[string]any{}
	for i := range bat.results {
		if bat.results[i].code >= 400 {
			errs = append(errs, b.itemView(bat, i))
		} else {
			oks = append(oks, b.itemView(bat, i))
		}
	}
	m["errors"], m["responses"] = errs, oks
	return m
}
