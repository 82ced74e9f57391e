package run

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"segbridge/internal/omnisend"
)

// Requests are the Omnisend requests a run would make, per route, as the
// steps make them (send.go, tag.go, untag.go), when Omnisend takes every
// batch and call at the first attempt.
type Requests struct {
	Routes []RouteRequests `json:"routes"`
	// Total adds up the routes. Confirming batches polls while Omnisend
	// works on them, so a run makes at least this many.
	Total int `json:"total"`
	// General and Tags split Total by rate budget: the tag routes have
	// their own (60 a minute at Omnisend; they also draw on the general
	// one unless the budget says otherwise).
	General int `json:"general"`
	Tags    int `json:"tags"`
	// Batches is the number of batches the upserts go in; TooLarge counts
	// the contacts no batch can carry (a run fails them unsent).
	Batches  int `json:"batches"`
	TooLarge int `json:"too_large,omitempty"`
}

// RouteRequests is the requests of one route.
type RouteRequests struct {
	Step     Step   `json:"step"`
	Route    string `json:"route"`
	Requests int    `json:"requests"`
	// AtLeast marks a figure that is a floor: polling adds a round of the
	// same requests per poll interval while Omnisend is still working.
	AtLeast bool   `json:"at_least,omitempty"`
	Note    string `json:"note,omitempty"`
}

// estimator counts the requests of a plan's ops in the order the steps
// would make them.
type estimator struct {
	client    *omnisend.Client
	batchSize int
	pending   []omnisend.Contact // upserts not yet counted into batches
	batches   int
	tooLarge  int
	// tags: per tag set, the contacts to tag and the tags (tag.go groups
	// every tag op of the run by its tags).
	tags     map[string]*tagGroup
	tagOrder []string
	// untags: untag.go reads pending untags untagChunk at a time and
	// groups each chunk by tags; untagCalls counts the chunks done.
	untagChunk map[string]int
	untagInChk int
	untagCalls int
}

type tagGroup struct {
	contacts, tags int
}

func newEstimator(t Target) *estimator {
	return &estimator{client: t.Client, batchSize: t.Client.Dialect().MaxBatchItems(),
		tags: map[string]*tagGroup{}, untagChunk: map[string]int{}}
}

func tagKey(tags []string) string {
	s := slices.Clone(tags)
	slices.Sort(s)
	return strings.Join(s, "\x00")
}

func (e *estimator) add(op Op) error {
	switch op.Kind {
	case OpUpsert:
		var c omnisend.Contact
		if err := json.Unmarshal(op.Contact, &c); err != nil {
			return fmt.Errorf("preview: contact %s: %w", op.Email, err)
		}
		e.pending = append(e.pending, c)
		if len(e.pending) == e.batchSize {
			return e.countBatches()
		}
	case OpTag:
		k := tagKey(op.Tags)
		g, ok := e.tags[k]
		if !ok {
			g = &tagGroup{tags: len(op.Tags)}
			e.tags[k] = g
			e.tagOrder = append(e.tagOrder, k)
		}
		g.contacts++
	case OpUntag:
		e.untagChunk[tagKey(op.Tags)]++
		e.untagInChk++
		if e.untagInChk == untagChunk {
			e.closeUntagChunk()
		}
	}
	return nil
}

// countBatches counts the pending upserts' batches: the send step takes
// them batchSize at a time in plan order and SubmitContacts splits each
// run by size.
func (e *estimator) countBatches() error {
	n, big, err := e.client.CountBatches(e.pending)
	if err != nil {
		return fmt.Errorf("preview: size batches: %w", err)
	}
	e.batches += n
	e.tooLarge += big
	e.pending = e.pending[:0]
	return nil
}

func (e *estimator) closeUntagChunk() {
	for _, n := range e.untagChunk {
		e.untagCalls += ceilDiv(n, omnisend.MaxTagEmails)
	}
	clear(e.untagChunk)
	e.untagInChk = 0
}

// flush counts what is left once the plan is done.
func (e *estimator) flush() error {
	if len(e.pending) > 0 {
		if err := e.countBatches(); err != nil {
			return err
		}
	}
	e.closeUntagChunk()
	return nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// requests sums up the routes.
func (e *estimator) requests() Requests {
	r := Requests{Batches: e.batches, TooLarge: e.tooLarge}
	add := func(rr RouteRequests, tags bool) {
		if rr.Requests == 0 {
			return
		}
		r.Routes = append(r.Routes, rr)
		r.Total += rr.Requests
		if tags {
			r.Tags += rr.Requests
		} else {
			r.General += rr.Requests
		}
	}
	add(RouteRequests{Step: StepSend, Route: "POST /batches", Requests: e.batches,
		Note: fmt.Sprintf("%d contacts a batch at most", e.batchSize)}, false)
	// confirm.go: with fewer than listThreshold open batches each is asked
	// for; with more, the batch list is read, 250 headers a page. Batches
	// with failed items cost one more request each, to read their items.
	switch {
	case e.batches == 0:
	case e.batches < listThreshold:
		add(RouteRequests{Step: StepConfirm, Route: "GET /batches/{id}", Requests: e.batches, AtLeast: true,
			Note: "one status check per batch once Omnisend is done with it; more while it works"}, false)
	default:
		add(RouteRequests{Step: StepConfirm, Route: "GET /batches", Requests: ceilDiv(e.batches, 250), AtLeast: true,
			Note: "one page of the batch list per 250 batches once Omnisend is done with them; more while it works"}, false)
	}
	tagCalls := 0
	for _, k := range e.tagOrder {
		g := e.tags[k]
		tagCalls += ceilDiv(g.contacts, omnisend.MaxTagEmails) * ceilDiv(g.tags, omnisend.MaxTagsPerCall)
	}
	add(RouteRequests{Step: StepTag, Route: "POST /contacts/tags", Requests: tagCalls,
		Note: fmt.Sprintf("contacts with the same new tags, %d a call", omnisend.MaxTagEmails)}, true)
	add(RouteRequests{Step: StepUntag, Route: "DELETE /contacts/tags", Requests: e.untagCalls,
		Note: fmt.Sprintf("contacts losing the same tags, %d a call", omnisend.MaxTagEmails)}, true)
	return r
}
