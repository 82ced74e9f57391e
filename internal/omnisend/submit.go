package omnisend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// SubmittedBatch is one batch SubmitContacts created, with the e-mails of
// the contacts it carries (in order), so the caller can record the batch ID
// on each of them before polling.
type SubmittedBatch struct {
	BatchRef
	Emails []string
}

// RejectedContact is a contact Omnisend refused on its own.
type RejectedContact struct {
	Email string
	Err   error
}

// SubmitResult is what SubmitContacts achieved. On error it holds what was
// submitted before the error.
type SubmitResult struct {
	Batches  []SubmittedBatch
	Rejected []RejectedContact
}

// SubmitContacts submits any number of contacts in batches of at most the
// dialect's item count and Config.MaxBatchBytes of body: each run of the
// dialect's size is split further, in order, by encoded size. A contact too
// large for a batch on its own is reported in Rejected, unsent.
//
// When Omnisend rejects a whole batch as invalid (400 or 422), the bad
// items are isolated: items named by the error's field paths ("items.3.…")
// are set aside at once; otherwise the batch is split in halves until the
// bad contacts stand alone, and those are reported in Rejected. Any other
// error (including retryable ones after the client gave up) stops the
// submission and is returned with the partial result.
func (c *Client) SubmitContacts(ctx context.Context, contacts []Contact) (SubmitResult, error) {
	var res SubmitResult
	size := c.cfg.Dialect.MaxBatchItems()
	for start := 0; start < len(contacts); start += size {
		end := min(start+size, len(contacts))
		items, err := c.encodeItems(contacts[start:end])
		if err != nil {
			return res, c.fail(submitCall(c.cfg.Dialect), 0, false, err)
		}
		runs, tooBig := splitBySize(items, c.cfg.MaxBatchBytes)
		for _, it := range tooBig {
			res.Rejected = append(res.Rejected, RejectedContact{Email: NormalizeEmail(it.contact.Email),
				Err: c.fail(submitCall(c.cfg.Dialect), 0, false, fmt.Errorf(
					"contact is %d bytes encoded; with the batch around it that is more than MaxBatchBytes (%d)",
					len(it.raw), c.cfg.MaxBatchBytes))})
		}
		for _, run := range runs {
			if err := c.submitIsolating(ctx, run, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

func (c *Client) submitIsolating(ctx context.Context, items []batchItem, res *SubmitResult) error {
	ref, err := c.submitItems(ctx, items)
	if err == nil {
		res.Batches = append(res.Batches, SubmittedBatch{BatchRef: ref, Emails: emailsOf(items)})
		return nil
	}
	apiErr, whole := wholeBatchRejection(err)
	if !whole {
		return err
	}
	if len(items) == 1 {
		res.Rejected = append(res.Rejected, RejectedContact{Email: NormalizeEmail(items[0].contact.Email), Err: err})
		return nil
	}
	if bad := badItems(apiErr, len(items)); len(bad) > 0 && len(bad) < len(items) {
		rest := make([]batchItem, 0, len(items)-len(bad))
		for i, it := range items {
			if bad[i] {
				res.Rejected = append(res.Rejected, RejectedContact{Email: NormalizeEmail(it.contact.Email), Err: err})
			} else {
				rest = append(rest, it)
			}
		}
		return c.submitIsolating(ctx, rest, res)
	}
	mid := len(items) / 2
	if err := c.submitIsolating(ctx, items[:mid], res); err != nil {
		return err
	}
	return c.submitIsolating(ctx, items[mid:], res)
}

// wholeBatchRejection reports whether err is Omnisend refusing the batch's
// content (400/422), as opposed to the key, the route or the network.
func wholeBatchRejection(err error) (*APIError, bool) {
	var apiErr *APIError
	if IsRetryable(err) || !errors.As(err, &apiErr) {
		return nil, false
	}
	return apiErr, apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusUnprocessableEntity
}

// itemIndex reads the item index from a field path naming a batch item:
// "items.3.…" or "items[3]…".
func itemIndex(field string) (int, bool) {
	rest, ok := strings.CutPrefix(field, "items")
	if !ok || rest == "" || (rest[0] != '.' && rest[0] != '[') {
		return 0, false
	}
	rest = rest[1:]
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end == -1 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

// badItems returns the item indexes the error's field paths name, or nil
// if any field error does not name an item in range.
func badItems(e *APIError, n int) map[int]bool {
	if len(e.Fields) == 0 {
		return nil
	}
	bad := map[int]bool{}
	for _, f := range e.Fields {
		i, ok := itemIndex(f.Field)
		if !ok || i >= n {
			return nil
		}
		bad[i] = true
	}
	return bad
}

func emailsOf(items []batchItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = NormalizeEmail(it.contact.Email)
	}
	return out
}
