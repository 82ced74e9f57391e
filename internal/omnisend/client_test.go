package omnisend

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// spyBudget admits everything and records what it was told.
type spyBudget struct {
	mu       sync.Mutex
	waits    []RouteClass
	reported []time.Duration
}

func (s *spyBudget) Wait(_ context.Context, _ string, class RouteClass) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, class)
	return func() {}, nil
}

func (s *spyBudget) Report429(_ string, _ RouteClass, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reported = append(s.reported, retryAfter)
}

// step answers one request of a scripted server.
type step func(w http.ResponseWriter, r *http.Request)

func reply(status int, body string) step {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func drop() step {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
}

func hang(d time.Duration) step {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
}

type fakeBundle struct {
	client *Client
	budget *spyBudget
	clock  *simClock
	logs   *bytes.Buffer
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []string
}

func (b *fakeBundle) requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.reqs)
}

// setupFake starts a server answering with steps in order (the last one
// repeats) and a client with a simulated clock for backoff.
func setupFake(t *testing.T, edit func(*Config), steps ...step) *fakeBundle {
	t.Helper()
	b := &fakeBundle{budget: &spyBudget{}, clock: newSimClock(), logs: &bytes.Buffer{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		n := len(b.reqs)
		b.reqs, b.bodies = append(b.reqs, r), append(b.bodies, string(body))
		b.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		steps[min(n, len(steps)-1)](w, r)
	}))
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL, APIKey: NewSecret(testKey), BrandID: "b1", Budget: b.budget,
		Clock: b.clock, Timeout: 2 * time.Second, Rand: rand.New(rand.NewPCG(1, 2)),
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: b.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	b.client = c
	return b
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

const okBatch = `{"batchID":"b-1","totalCount":1}`

func oneContact() []Contact { return []Contact{{Email: "a@example.com"}} }

func TestClientRetriesTransientThenSucceeds(t *testing.T) {
	t.Parallel()
	b := setupFake(t, nil, reply(503, `{"title":"Unavailable","status":503}`), drop(),
		reply(200, `{"batchID":`), reply(201, okBatch))
	ref, err := b.client.SubmitBatch(t.Context(), oneContact())
	require.NoError(t, err)
	require.Equal(t, BatchRef{ID: "b-1", TotalCount: 1}, ref)
	require.Equal(t, 4, b.requests())
	require.Len(t, b.budget.waits, 4, "every attempt draws on the rate budget")
	require.Positive(t, b.clock.Slept(), "backed off between attempts")
	require.Equal(t, b.bodies[0], b.bodies[3], "the same body is resent")
}

func TestClientNeverRetriesPermanent(t *testing.T) {
	t.Parallel()
	b := setupFake(t, nil, reply(400, `{"title":"Validation failed","status":400,"errors":[{"field":"items.0.identifiers.0.id","message":"Must be a valid email address"}]}`))
	_, err := b.client.SubmitBatch(t.Context(), oneContact())
	require.ErrorContains(t, err, "Must be a valid email address")
	require.False(t, IsRetryable(err))
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 400, apiErr.Status)
	require.Equal(t, 1, b.requests())
}

func TestClientGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	b := setupFake(t, func(c *Config) { c.Retry.MaxAttempts = 3 }, reply(500, `{"error":"boom"}`))
	_, err := b.client.Batch(t.Context(), "x")
	require.ErrorContains(t, err, "after 3 attempt(s)")
	require.True(t, IsRetryable(err))
	require.Equal(t, 3, b.requests())
}

func TestClientWaitsOutAnOutageThenGivesUpWithItsCause(t *testing.T) {
	t.Parallel()
	b := setupFake(t, func(c *Config) { c.Retry.OutageLimit = 10 * time.Minute }, reply(502, ""))
	_, err := b.client.Batch(t.Context(), "x")
	var oe *OutageError
	require.ErrorAs(t, err, &oe, "the call gives up only at the outage limit")
	require.True(t, IsRetryable(err))
	require.Contains(t, err.Error(), "did not answer for 10m0s")
	require.Contains(t, err.Error(), "502", "the cause is named")
	require.GreaterOrEqual(t, b.clock.Slept(), 10*time.Minute, "it waited the outage out")
	require.Greater(t, b.requests(), 20, "retried throughout")
	require.False(t, b.client.Outage().Since.IsZero(), "the outage is reported while it lasts")
	require.Contains(t, b.client.Outage().Cause, "502")
}

func TestClientOutageEndsWithAnAnswer(t *testing.T) {
	t.Parallel()
	b := setupFake(t, nil, reply(503, ""), reply(503, ""), reply(200, `{"batchID":"b1","status":"finished"}`))
	_, err := b.client.Batch(t.Context(), "x")
	require.NoError(t, err)
	require.Equal(t, 3, b.requests())
	require.Zero(t, b.client.Outage(), "an answer ends the outage")
}

func TestClient429ReportsAndWaits(t *testing.T) {
	t.Parallel()
	b := setupFake(t, nil,
		reply(429, `{"title":"Rate limit exceeded","status":429,"retryAfter":7}`), reply(202, ""))
	require.NoError(t, b.client.AddTags(t.Context(), []string{"A@x.com"}, []string{"t"}))
	require.Equal(t, []time.Duration{7 * time.Second}, b.budget.reported)
	require.GreaterOrEqual(t, b.clock.Slept(), 7*time.Second)
	require.Equal(t, []RouteClass{ClassTags, ClassTags}, b.budget.waits)
}

func TestClientAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	b := setupFake(t, func(c *Config) { c.Timeout = 50 * time.Millisecond },
		hang(5*time.Second), reply(200, `{"batchID":"b","status":"finished"}`))
	got, err := b.client.Batch(t.Context(), "b")
	require.NoError(t, err)
	require.Equal(t, BatchFinished, got.Status)
	require.Equal(t, 2, b.requests())
}

func TestClientCallerCancelIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setupFake(t, nil, hang(5*time.Second))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := b.client.Batch(ctx, "b")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, IsRetryable(err))
	require.Equal(t, 1, b.requests())
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { leaked = true }))
	t.Cleanup(other.Close)
	b := setupFake(t, func(c *Config) { c.Dialect = DialectV3 }, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	_, err := b.client.ListContacts(t.Context(), ListContactsOptions{})
	require.Error(t, err)
	require.False(t, IsRetryable(err))
	require.False(t, leaked, "the X-API-KEY header must not travel to another host")
}

func TestClientHeadersPerDialect(t *testing.T) {
	t.Parallel()
	b26 := setupFake(t, nil, reply(200, `{"contacts":[]}`))
	_, err := b26.client.ListContacts(t.Context(), ListContactsOptions{Email: " A@B.com ", Limit: 1})
	require.NoError(t, err)
	r := b26.reqs[0]
	require.Equal(t, "/api/contacts", r.URL.Path)
	require.Equal(t, "a@b.com", r.URL.Query().Get("email"))
	require.Equal(t, "Omnisend-API-Key "+testKey, r.Header.Get("Authorization"))
	require.Equal(t, "2026-03-15", r.Header.Get("Omnisend-Version"))
	require.Empty(t, r.Header.Get("X-API-KEY"))

	bv3 := setupFake(t, func(c *Config) { c.Dialect = DialectV3 }, reply(200, `{"contacts":[]}`), reply(202, ""))
	_, err = bv3.client.ListContacts(t.Context(), ListContactsOptions{})
	require.NoError(t, err)
	require.Equal(t, "/v3/contacts", bv3.reqs[0].URL.Path)
	require.Equal(t, testKey, bv3.reqs[0].Header.Get("X-API-KEY"))
	require.Empty(t, bv3.reqs[0].Header.Get("Authorization"))
	// Tags have no v3 route: a v3 client uses the 2026-03-15 one.
	require.NoError(t, bv3.client.RemoveTags(t.Context(), []string{"a@b.com"}, []string{"t"}))
	require.Equal(t, "/api/contacts/tags", bv3.reqs[1].URL.Path)
	require.Equal(t, http.MethodDelete, bv3.reqs[1].Method)
	require.JSONEq(t, `{"emails":["a@b.com"],"tags":["t"]}`, bv3.bodies[1], "DELETE carries a body")
}

func TestClientRejectsBadArgumentsWithoutARequest(t *testing.T) {
	t.Parallel()
	b := setupFake(t, nil, reply(200, `{}`))
	ctx := t.Context()
	require.Error(t, b.client.AddTags(ctx, nil, []string{"t"}))
	require.Error(t, b.client.AddTags(ctx, make([]string, 251), []string{"t"}))
	require.Error(t, b.client.RemoveTags(ctx, []string{"a@b.c"}, nil))
	_, err := b.client.SubmitBatch(ctx, make([]Contact, 101))
	require.ErrorContains(t, err, "1–100")
	_, err = b.client.SubmitBatch(ctx, nil)
	require.Error(t, err)
	_, err = b.client.UpsertContact(ctx, Contact{Email: "  "})
	require.Error(t, err)
	_, err = b.client.ListContacts(ctx, ListContactsOptions{Limit: 251})
	require.Error(t, err)
	require.Zero(t, b.requests())
}

func TestSubmitContactsIsolatesBadItems(t *testing.T) {
	t.Parallel()
	const bad = "bad@example.com"
	var mu sync.Mutex
	n := 0
	handler := func(named bool) step {
		return func(w http.ResponseWriter, r *http.Request) {
			var body createBatchWire
			_ = json.NewDecoder(r.Body).Decode(&body)
			mu.Lock()
			n++
			id := n
			mu.Unlock()
			for i, it := range body.Items {
				if it.Identifiers[0].ID == bad {
					field := ""
					if named {
						field = `"field":"items.` + itoa(i) + `.identifiers.0.id",`
					}
					reply(400, `{"status":400,"title":"Validation failed","errors":[{`+field+`"message":"invalid email"}]}`)(w, r)
					return
				}
			}
			reply(201, `{"batchID":"b`+itoa(id)+`","totalCount":`+itoa(len(body.Items))+`}`)(w, r)
		}
	}
	contacts := make([]Contact, 150)
	for i := range contacts {
		contacts[i] = Contact{Email: "c" + itoa(i) + "@example.com"}
	}
	contacts[37].Email, contacts[120].Email = bad, strings.ToUpper(bad)
	for _, named := range []bool{false, true} {
		b := setupFake(t, nil, handler(named))
		res, err := b.client.SubmitContacts(t.Context(), contacts)
		require.NoError(t, err)
		require.Len(t, res.Rejected, 2)
		require.Equal(t, bad, res.Rejected[0].Email)
		require.ErrorContains(t, res.Rejected[0].Err, "invalid email")
		sent := 0
		for _, sb := range res.Batches {
			sent += len(sb.Emails)
			require.NotContains(t, sb.Emails, bad)
		}
		require.Equal(t, 148, sent)
		if named {
			require.Equal(t, 4, b.requests(), "field paths name the item: one retry per chunk")
		} else {
			require.Less(t, b.requests(), 30, "halving costs O(log n) requests per bad item")
		}
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
