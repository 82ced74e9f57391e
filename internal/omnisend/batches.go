package omnisend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// BatchRef identifies a submitted batch.
type BatchRef struct {
	ID         string
	TotalCount int
}

// createBatchWire is the body of POST /batches, as it reads back.
type createBatchWire struct {
	Method   string        `json:"method"`
	Endpoint string        `json:"endpoint"`
	Items    []contactWire `json:"items"`
}

// createBatchRaw is createBatchWire as sent: items encoded beforehand, so
// that SubmitContacts can measure them.
type createBatchRaw struct {
	Method   string            `json:"method"`
	Endpoint string            `json:"endpoint"`
	Items    []json.RawMessage `json:"items"`
}

// SubmitBatch submits one batch of contact upserts (POST /batches, method
// POST, endpoint contacts): 1–100 contacts on 2026-03-15, up to 1000 on v3,
// in a body of at most Config.MaxBatchBytes. Omnisend processes it
// asynchronously; poll Batch and read BatchItems.
//
// A timeout or lost response is retried although the batch may already
// exist: contact upserts are idempotent by e-mail, so the worst case is a
// duplicate batch that applies the same changes twice.
func (c *Client) SubmitBatch(ctx context.Context, contacts []Contact) (BatchRef, error) {
	items, err := c.encodeItems(contacts)
	if err != nil {
		return BatchRef{}, c.fail(submitCall(c.cfg.Dialect), 0, false, err)
	}
	return c.submitItems(ctx, items)
}

func submitCall(d Dialect) call {
	return call{op: "submit batch", method: http.MethodPost, api: d, path: "/batches", class: ClassGeneral}
}

// submitItems submits encoded contacts as one batch.
func (c *Client) submitItems(ctx context.Context, items []batchItem) (BatchRef, error) {
	cl := submitCall(c.cfg.Dialect)
	if n, most := len(items), c.cfg.Dialect.MaxBatchItems(); n == 0 || n > most {
		return BatchRef{}, c.fail(cl, 0, false, fmt.Errorf("need 1–%d contacts per batch, got %d", most, n))
	}
	if size := batchBodySize(items); size > c.cfg.MaxBatchBytes {
		return BatchRef{}, c.fail(cl, 0, false, fmt.Errorf("batch body would be %d bytes, more than MaxBatchBytes (%d)",
			size, c.cfg.MaxBatchBytes))
	}
	raw := make([]json.RawMessage, len(items))
	for i, it := range items {
		raw[i] = it.raw
	}
	var out struct {
		BatchID    string `json:"batchID"`
		TotalCount int    `json:"totalCount"`
	}
	cl.body = createBatchRaw{Method: http.MethodPost, Endpoint: "contacts", Items: raw}
	cl.out = &out
	if _, err := c.do(ctx, cl); err != nil {
		return BatchRef{}, err
	}
	if out.BatchID == "" {
		return BatchRef{}, c.fail(cl, 1, true, &MalformedResponseError{Status: http.StatusOK,
			Err: fmt.Errorf("no batchID in response")})
	}
	return BatchRef{ID: out.BatchID, TotalCount: out.TotalCount}, nil
}

// Batch returns a batch's status (GET /batches/{id}).
func (c *Client) Batch(ctx context.Context, id string) (Batch, error) {
	var out Batch
	_, err := c.do(ctx, call{op: "batch status", method: http.MethodGet, api: c.cfg.Dialect,
		path: "/batches/" + url.PathEscape(id), class: ClassGeneral, out: &out})
	return out, err
}

// ListBatches lists contact batches, optionally by status (GET /batches).
func (c *Client) ListBatches(ctx context.Context, opt ListBatchesOptions) (BatchPage, error) {
	q := url.Values{"endpoint": {"contacts"}}
	if opt.Status != "" {
		q.Set("status", string(opt.Status))
	}
	if opt.Limit > 0 {
		q.Set("limit", strconv.Itoa(opt.Limit))
	}
	if opt.Offset > 0 {
		q.Set("offset", strconv.Itoa(opt.Offset))
	}
	var out listBatchesWire
	_, err := c.do(ctx, call{op: "list batches", method: http.MethodGet, api: c.cfg.Dialect,
		path: "/batches", query: q, class: ClassGeneral, out: &out})
	if err != nil {
		return BatchPage{}, err
	}
	return BatchPage{Batches: out.Batches, NextOffset: out.nextOffset(opt)}, nil
}

// BatchItems returns a batch's per-item results (GET /batches/{id}/items),
// with each item's e-mail and, for failed items, Omnisend's parsed error.
func (c *Client) BatchItems(ctx context.Context, id string) (BatchItems, error) {
	var out batchItemsWire
	_, err := c.do(ctx, call{op: "batch items", method: http.MethodGet, api: c.cfg.Dialect,
		path: "/batches/" + url.PathEscape(id) + "/items", class: ClassGeneral, out: &out})
	if err != nil {
		return BatchItems{}, err
	}
	res := BatchItems(out)
	for _, list := range [][]BatchItem{res.Errors, res.Responses} {
		for i := range list {
			c.describeItem(&list[i])
		}
	}
	return res, nil
}

// describeItem fills an item's Email and Err from its raw request/response.
func (c *Client) describeItem(it *BatchItem) {
	var req struct {
		Identifiers []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"identifiers"`
	}
	if json.Unmarshal(it.Request, &req) == nil {
		for _, id := range req.Identifiers {
			if id.Type == "email" {
				it.Email = id.ID
				break
			}
		}
	}
	if it.ResponseCode >= 400 {
		it.Err = parseAPIError(it.ResponseCode, nil, it.Response)
		c.redactAPIError(it.Err)
	}
}
