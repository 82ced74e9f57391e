package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

var batchEndpoints = map[dialect][]string{
	dialect2026: {"products", "contacts", "events", "categories"},
	dialectV3:   {"contacts", "orders", "products", "events", "categories"},
}

// createBatch is POST /batches: method POST|PUT, endpoint, 1–100 items
// (2026-03-15) or 1–1000 (v3). 2026 answers 201, v3 200, {batchID, totalCount}.
// The sandbox emulates contacts only; other endpoints are a 400.
func createBatch(s *Server, q *request) (*response, error) {
	var e errs
	obj, ok := decodeObject(q.body, nil, &e)
	if !ok {
		return nil, e.err()
	}
	bat := &batch{d: q.d, Status: batchPending, CreatedAt: q.now}
	bat.Method = requiredString(obj, "method", &e)
	if bat.Method != "" && bat.Method != http.MethodPost && bat.Method != http.MethodPut {
		e.add(fieldPath{"method"}, "invalid_value", "Must be one of: POST, PUT")
	}
	bat.Endpoint = requiredString(obj, "endpoint", &e)
	if bat.Endpoint != "" && !contains(batchEndpoints[q.d], bat.Endpoint) {
		e.add(fieldPath{"endpoint"}, "invalid_value", "Must be one of: "+strings.Join(batchEndpoints[q.d], ", "))
	} else if bat.Endpoint != "" && bat.Endpoint != "contacts" {
		e.add(fieldPath{"endpoint"}, "invalid_value", "The sandbox emulates only contacts batches")
	}
	bat.Origin, _ = decodeField[string](obj.get("origin"), &e, "a string", nil, "origin")
	bat.EventID, _ = decodeField[string](obj.get("eventID"), &e, "a string", nil, "eventID")
	items, _ := decodeField[[]json.RawMessage](obj.get("items"), &e, "an array", nil, "items")
	maxItems := s.cfg.Batches.MaxItems
	if q.d == dialectV3 {
		maxItems = s.cfg.Batches.MaxItemsV3
	}
	switch {
	case len(items) == 0:
		e.add(fieldPath{"items"}, "required", "At least one item is required")
	case len(items) > maxItems:
		e.add(fieldPath{"items"}, "too_many", fmt.Sprintf("At most %d items are allowed in one batch", maxItems))
	}
	for i, it := range items {
		if isNull(it) { // an item is a request body: an object (others fail when applied)
			e.add(at(nil, "items", i), "invalid_type", "Must be a JSON object")
		}
	}
	if aerr := e.err(); aerr != nil {
		return nil, aerr
	}
	bat.items, bat.results = ownItems(items), make([]batchResult, 0, len(items))
	b := q.brand
	s.addForeignBatches(b, q)
	bat.ID = s.ids.next(q.now)
	b.batches[bat.ID] = bat
	b.batchLs = append(b.batchLs, bat)
	b.active = append(b.active, bat)
	status := http.StatusCreated
	if q.d == dialectV3 {
		status = http.StatusOK
	}
	return &response{status, map[string]any{"batchID": bat.ID, "totalCount": len(items)}}, nil
}

// ownItems copies items, slices of the request body, into one buffer of
// their own: the body is not kept, and a batch is one allocation, not one
// per item.
func ownItems(items []json.RawMessage) []json.RawMessage {
	n := 0
	for _, it := range items {
		n += len(it)
	}
	buf := make([]byte, 0, n)
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		buf = append(buf, it...)
		out[i] = buf[len(buf)-len(it) : len(buf) : len(buf)]
	}
	return out
}

func requiredString(obj rawObject, name string, e *errs) string {
	v, ok := decodeField[string](obj.get(name), e, "a string", nil, name)
	if !ok || v == "" {
		e.add(fieldPath{name}, "required", "Field required")
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func findBatch(q *request) (*batch, *apiError) {
	id := q.r.PathValue("batchID")
	bat := q.brand.batches[id]
	if bat == nil {
		return nil, errNotFound(fmt.Sprintf("Batch '%s' not found.", id))
	}
	return bat, nil
}

func getBatch(s *Server, q *request) (*response, error) {
	bat, aerr := findBatch(q)
	if aerr != nil {
		return nil, aerr
	}
	return &response{http.StatusOK, bat.header()}, nil
}

func getBatchItems(s *Server, q *request) (*response, error) {
	bat, aerr := findBatch(q)
	if aerr != nil {
		return nil, aerr
	}
	return &response{http.StatusOK, q.brand.withItems(bat)}, nil
}

// getBatchItem is v3's GET /batches/{batchID}/items/{itemID}.
func getBatchItem(s *Server, q *request) (*response, error) {
	bat, aerr := findBatch(q)
	if aerr != nil {
		return nil, aerr
	}
	n, err := strconv.Atoi(q.r.PathValue("itemID"))
	if err != nil || n < 1 || n > len(bat.items) {
		return nil, errNotFound(fmt.Sprintf("Item '%s' not found in batch '%s'.", q.r.PathValue("itemID"), bat.ID))
	}
	m := q.brand.itemView(bat, n-1)
	for k, v := range bat.header() {
		if k == "batchID" || k == "method" || k == "endpoint" || k == "eventID" {
			m[k] = v
		}
	}
	return &response{http.StatusOK, m}, nil
}

// listBatches is GET /batches: endpoint required; status, dateFrom, dateTo,
// offset and limit (1–250) filters; newest first; offset paging with links.
func listBatches(s *Server, q *request) (*response, error) {
	v := q.r.URL.Query()
	var e errs
	endpoint := v.Get("endpoint")
	if endpoint == "" {
		e.add(fieldPath{"endpoint"}, "required", "Query parameter endpoint is required")
	} else if !contains(batchEndpoints[q.d], endpoint) {
		e.add(fieldPath{"endpoint"}, "invalid_value", "Must be one of: "+strings.Join(batchEndpoints[q.d], ", "))
	}
	status := v.Get("status")
	if status != "" && !contains([]string{batchPending, batchInProgress, batchFinished, batchStopped}, status) {
		e.add(fieldPath{"status"}, "invalid_value", "Must be one of: pending, inProgress, finished, stopped")
	}
	from, to := parseDay(v, "dateFrom", &e), parseDay(v, "dateTo", &e)
	offset, limit := intParam(v, "offset", 0, 0, 1<<31, &e), intParam(v, "limit", 100, 1, 250, &e)
	if aerr := e.err(); aerr != nil {
		return nil, aerr
	}
	var match []map[string]any
	for i := len(q.brand.batchLs) - 1; i >= 0; i-- {
		bat := q.brand.batchLs[i]
		day := bat.CreatedAt.UTC().Truncate(24 * time.Hour)
		if bat.Endpoint != endpoint || (status != "" && bat.Status != status) ||
			(!from.IsZero() && day.Before(from)) || (!to.IsZero() && day.After(to)) {
			continue
		}
		match = append(match, bat.header())
	}
	page := match[min(offset, len(match)):min(offset+limit, len(match))]
	if page == nil {
		page = []map[string]any{}
	}
	return &response{http.StatusOK, map[string]any{"batches": page, "paging": offsetPaging(q.r, offset, limit, len(match))}}, nil
}

func offsetPaging(r *http.Request, offset, limit, total int) map[string]any {
	p := map[string]any{"offset": offset, "limit": limit}
	link := func(off int) string {
		v := r.URL.Query()
		v.Set("offset", strconv.Itoa(off))
		v.Set("limit", strconv.Itoa(limit))
		return (&url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: v.Encode()}).String()
	}
	if offset+limit < total {
		p["next"] = link(offset + limit)
	}
	if offset > 0 {
		p["previous"] = link(max(0, offset-limit))
	}
	return p
}

func parseDay(v url.Values, name string, e *errs) time.Time {
	s := v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		e.add(fieldPath{name}, "invalid_format", "Must be a date in YYYY-MM-DD format")
	}
	return t
}

func intParam(v url.Values, name string, def, lo, hi int, e *errs) int {
	s := v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		e.add(fieldPath{name}, "invalid_value", fmt.Sprintf("Must be an integer from %d to %d", lo, hi))
		return def
	}
	return n
}
