package app_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
)

// refusing puts a proxy in front of the sandbox that, while the returned
// flag is set, adds an invalid gender to email's batch items, so that
// Omnisend refuses that one contact. The export is moved to a connection
// through the proxy; closing the returned server makes Omnisend
// unreachable.
func (e *e2e) refusing(email string) (*atomic.Bool, *httptest.Server) {
	e.t.Helper()
	on := &atomic.Bool{}
	item := []byte(`{"identifiers":[{"type":"email","id":"` + email + `"`)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if on.Load() && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batches") {
			body, _ := io.ReadAll(r.Body)
			body = bytes.Replace(body, item, append([]byte(`{"gender":"x",`), item[1:]...), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		}
		e.sb.ServeHTTP(w, r)
	}))
	e.t.Cleanup(proxy.Close)
	conn, err := e.a.Connections.Create(e.ctx, connection.Draft{
		Name: "Through a proxy", APIKey: omnisend.NewSecret("sandbox-key"), BaseURL: proxy.URL, ExportUser: "admin@example.com",
		Consent: connection.Consent{By: "admin@example.com", At: time.Now(), NoticeVersion: connection.NoticeVersion},
	})
	require.NoError(e.t, err)
	e.export.ConnectionID = conn.ID
	e.export, err = e.a.Store.UpdateExport(e.ctx, e.export)
	require.NoError(e.t, err)
	return on, proxy
}

// setAttrs changes attributes of the profile with email.
func (e *e2e) setAttrs(email string, set profile.Attrs) {
	e.t.Helper()
	id, err := e.findByEmail(email)
	require.NoError(e.t, err)
	p, err := e.a.Store.GetProfile(e.ctx, id)
	require.NoError(e.t, err)
	for k, v := range set {
		p.Attrs[k] = v
	}
	_, err = e.a.Store.UpsertProfiles(e.ctx, []profile.Profile{p}, time.Now())
	require.NoError(e.t, err)
}

// TestExplainAContactsHistory is issue 16's acceptance 6: explain tells
// for a contact that joined, changed, failed once and left which profile
// it is, why it is out of the segment (the rule and the value it read),
// each run's decision with its batch and Omnisend's answer, and the
// contact as Omnisend shows it; and says so when Omnisend is unreachable.
func TestExplainAContactsHistory(t *testing.T) {
	onEachEngine(t, func(t *testing.T, dbURL string) {
		e := newInstantE2E(t, dbURL, 200)
		jane := e.someMembers(0, 1, nil)[0]
		failing, proxy := e.refusing(jane)

		joined := e.run()
		e.setAttrs(jane, profile.Attrs{"first_name": "Janet"})
		changed := e.run()
		e.setAttrs(jane, profile.Attrs{"first_name": "Jenny"})
		failing.Store(true)
		failed := e.runToEnd()
		failing.Store(false)
		require.Equal(t, 1, failed.Counts.FailedTotal(), "Omnisend refused her once")
		e.setAttrs(jane, profile.Attrs{"orders": int64(0)})
		left := e.run()
		require.Equal(t, 1, left.Counts.Untagged)
		e.awaitTagOps()

		ex, err := e.a.Explain(e.ctx, strings.ToUpper(jane), "", nil)
		require.NoError(t, err)
		require.Equal(t, jane, ex.Email)
		require.Len(t, ex.Exports, 1)
		got := ex.Exports[0]
		require.Equal(t, e.export.Name, got.Export)

		// Her profile, out of the segment because of what the rule read.
		require.Len(t, got.Profiles, 1)
		p := got.Profiles[0]
		require.False(t, p.Sent)
		require.Equal(t, "in none of the export's segments", p.Note)
		require.Len(t, p.Segments, 1)
		seg := p.Segments[0]
		require.False(t, seg.In)
		require.Equal(t, `p.orders >= 1`, seg.Rule)
		require.Equal(t, map[string]any{"orders": int64(0)}, seg.Values)
		require.Equal(t, "the rule does not match", seg.Why)
		require.Equal(t, segTag, seg.Tag)
		require.Nil(t, got.State, "she left: the state forgot her")
		require.Contains(t, got.Summary, "no profile with this e-mail is in the export's segments")

		// Every run's decision, newest first.
		type decision struct {
			run                    int64
			action, status, reason string
		}
		var ds []decision
		for _, d := range got.Decisions {
			ds = append(ds, decision{d.Run, d.Action, d.Status, d.Reason})
		}
		require.Equal(t, []decision{
			{left.ID, "untag", "ok", ""},
			{failed.ID, "update", "failed", run.ReasonRejected},
			{changed.ID, "update", "ok", ""},
			{joined.ID, "add", "ok", ""},
		}, ds)
		require.Contains(t, got.Decisions[1].Message, "gender", "Omnisend's answer")
		require.NotEmpty(t, got.Decisions[1].BatchID)
		require.NotEmpty(t, got.Decisions[2].BatchID)
		require.Equal(t, []string{segTag}, got.Decisions[0].Tags)
		require.Equal(t, string(run.StatusSucceeded), got.Decisions[3].RunStatus)

		// The contact as Omnisend shows it: Janet (Jenny was refused),
		// untagged, still from segbridge.
		require.NotNil(t, got.Omnisend, got.OmnisendNote)
		require.Equal(t, "Janet", got.Omnisend.FirstName)
		require.Contains(t, got.Omnisend.Tags, export.SourceTag)
		require.NotContains(t, got.Omnisend.Tags, segTag)

		// Back in the segment, the summary says she is exported.
		e.setAttrs(jane, profile.Attrs{"orders": int64(2)})
		e.run()
		ex, err = e.a.Explain(e.ctx, jane, e.export.Name, nil)
		require.NoError(t, err)
		require.True(t, ex.Exports[0].Profiles[0].Sent)
		require.True(t, ex.Exports[0].Profiles[0].Segments[0].In)
		require.Contains(t, ex.Exports[0].Summary, "Omnisend confirmed it")

		// Unreachable Omnisend is said, not an error.
		proxy.Close()
		ex, err = e.a.Explain(e.ctx, jane, "", nil)
		require.NoError(t, err)
		require.Nil(t, ex.Exports[0].Omnisend)
		require.Contains(t, ex.Exports[0].OmnisendNote, "Omnisend could not be reached")
		require.Len(t, ex.Exports[0].Decisions, 5)

		// Nobody has this address; an export one may not see is not found.
		ex, err = e.a.Explain(e.ctx, "nobody@example.com", "", nil)
		require.NoError(t, err)
		require.Empty(t, ex.Exports[0].Profiles)
		require.Equal(t, "no profile has this e-mail", ex.Exports[0].Summary)
		_, err = e.a.Explain(e.ctx, jane, e.export.Name, func(export.Export) bool { return false })
		require.Error(t, err)
	})
}
