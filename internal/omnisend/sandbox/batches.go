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
	items     []json.RawMessage
	results   []batchResult // one per processed item, in item order
	errors    int
	Status    string
	CreatedAt time.Time
	StartedAt time.Time
	EndedAt   time.Time
}

// batchResult is one processed item's answer. The body is kept encoded:
// a million kept answers as JSON bytes hold no pointers for the garbage
// collector to trace, unlike the maps they are rendered from.
type batchResult struct {
	code int
	body json.RawMessage
}

func newBatchResult(code int, body any) batchResult {
	b, err := json.Marshal(body)
	if err != nil { // the sandbox's own maps always encode
		b = []byte(`{"error":"unencodable response"}`)
	}
	return batchResult{code, b}
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
	bat.results = append(bat.results, res)
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
// contact its e-mail identifies (404 when there is none).
func (s *Server) applyBatchItem(b *brandState, bat *batch, item json.RawMessage, now time.Time) batchResult {
	in, aerr := s.v.contactRequest(item, bat.d, true)
	var resp *response
	var err error
	switch {
	case aerr != nil:
		err = aerr
	case bat.Method == http.MethodPut:
		resp, err = s.putItem(b, bat.d, in, now)
	default:
		resp, err = s.upsertResponse(b, in, bat.d, now)
	}
	if err != nil {
		ae := asAPIError(err)
		return newBatchResult(ae.Status, ae.body(bat.d, s.requestID()))
	}
	return newBatchResult(resp.status, resp.body)
}

func (s *Server) putItem(b *brandState, d dialect, in *contactInput, now time.Time) (*response, error) {
	var c *contact
	if in.Email != nil {
		c = b.byEmail[in.Email.ID]
	} else if in.Phone != nil {
		c = b.byPhone[in.Phone.ID]
	}
	if c == nil {
		return nil, errNotFound("Contact not found.")
	}
	if aerr := b.update(c, in, now, conflictIgnore, s.cfg.ReplaceTags); aerr != nil {
		return nil, aerr
	}
	if d == dialectV3 {
		return &response{http.StatusOK, contactRefV3(c)}, nil
	}
	return &response{http.StatusOK, b.contact2026(c)}, nil
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
		delete(b.batches, b.batchLs[cut].ID)
		cut++
	}
	b.batchLs = b.batchLs[cut:]
}

// header renders the batch information shared by every batch answer.
func (bat *batch) header() map[string]any {
	m := map[string]any{
		"batchID":       bat.ID,
		"method":        bat.Method,
		"endpoint":      bat.Endpoint,
		"status":        bat.Status,
		"createdAt":     ts(bat.CreatedAt),
		"totalCount":    len(bat.items),
		"finishedCount": len(bat.results),
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
func (bat *batch) itemView(i int) map[string]any {
	m := map[string]any{"itemID": strconv.Itoa(i + 1), "request": bat.items[i], "status": "pending"}
	if i < len(bat.results) {
		m["status"] = "finished"
		m["responseCode"] = bat.results[i].code
		m["response"] = bat.results[i].body
	}
	return m
}

// withItems renders the header plus errors[] and responses[] of processed items.
func (bat *batch) withItems() map[string]any {
	m := bat.header()
	errs, oks := []map[string]any{}, []map[string]any{}
	for i := range bat.results {
		if bat.results[i].code >= 400 {
			errs = append(errs, bat.itemView(i))
		} else {
			oks = append(oks, bat.itemView(i))
		}
	}
	m["errors"], m["responses"] = errs, oks
	return m
}
