package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/explain"
	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/store"
)

// Explain limits: the runs whose decisions are shown, and how long
// Omnisend is waited for.
const (
	ExplainRuns    = 10
	explainTimeout = 15 * time.Second
)

// ErrNoEmail is the error of explaining an empty e-mail.
var ErrNoEmail = errors.New("give an e-mail address to explain")

// Explain tells, for each export (only exportName's when set; only those
// visible accepts when it is not nil), what it does with email and why
// (see package explain). It reads every profile once to find those with
// the address and asks Omnisend once per connection.
func (a *App) Explain(ctx context.Context, email, exportName string, visible func(export.Export) bool) (explain.Explanation, error) {
	email = omnisend.NormalizeEmail(email)
	out := explain.Explanation{Email: email, Exports: []explain.Export{}}
	if email == "" {
		return out, ErrNoEmail
	}
	exports, err := a.explainExports(ctx, exportName, visible)
	if err != nil {
		return out, err
	}
	segs, err := a.Store.ListSegments(ctx)
	if err != nil {
		return out, err
	}
	bySeg := map[int64]segment.Segment{}
	for _, s := range segs {
		bySeg[s.ID] = s
	}
	profiles, err := a.profilesWithEmail(ctx, email, exports)
	if err != nil {
		return out, err
	}
	listed, err := a.staticListings(ctx, exports, bySeg, profiles)
	if err != nil {
		return out, err
	}
	contacts := map[int64]omnisendAnswer{}
	for _, ex := range exports {
		e, err := a.explainExport(ctx, email, ex, bySeg, profiles, listed, contacts)
		if err != nil {
			return out, err
		}
		out.Exports = append(out.Exports, e)
	}
	return out, nil
}

func (a *App) explainExports(ctx context.Context, name string, visible func(export.Export) bool) ([]export.Export, error) {
	var exports []export.Export
	if name != "" {
		ex, err := a.Store.GetExport(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("export %q: %w", name, err)
		}
		exports = []export.Export{ex}
	} else {
		all, err := a.Store.ListExports(ctx)
		if err != nil {
			return nil, err
		}
		exports = all
	}
	if visible == nil {
		return exports, nil
	}
	out := exports[:0:0]
	for _, ex := range exports {
		if visible(ex) {
			out = append(out, ex)
		}
	}
	if name != "" && len(out) == 0 {
		return nil, fmt.Errorf("export %q: %w", name, store.ErrNotFound)
	}
	return out, nil
}

// profilesWithEmail reads every profile once and returns, in id order,
// those whose e-mail attribute (of any of the exports) holds email.
func (a *App) profilesWithEmail(ctx context.Context, email string, exports []export.Export) ([]profile.Profile, error) {
	var attrs []string
	for _, ex := range exports {
		if !slices.Contains(attrs, ex.Mapping.Email) {
			attrs = append(attrs, ex.Mapping.Email)
		}
	}
	if len(attrs) == 0 {
		return nil, nil
	}
	var ids []string
	err := a.Store.ScanProfiles(ctx, func(id string, raw []byte) error {
		if !containsFold(raw, email) {
			return nil // cheap: most profiles do not hold the address at all
		}
		p, err := profile.DecodeSelected(raw, attrs)
		if err != nil {
			return fmt.Errorf("profile %q: %w", id, err)
		}
		for _, attr := range attrs {
			if s, ok := p[attr].(string); ok && omnisend.NormalizeEmail(s) == email {
				ids = append(ids, id)
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find the profiles with %s: %w", email, err)
	}
	slices.Sort(ids)
	out := make([]profile.Profile, 0, len(ids))
	for _, id := range ids {
		p, err := a.Store.GetProfile(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// containsFold reports whether raw holds s (lower-case ASCII) in any case.
func containsFold(raw []byte, s string) bool {
	n := len(s)
	for i := 0; i+n <= len(raw); i++ {
		j := 0
		for ; j < n; j++ {
			c := raw[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != s[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// staticListings says, per static segment of the exports, which of the
// profiles it lists.
func (a *App) staticListings(ctx context.Context, exports []export.Export, segs map[int64]segment.Segment, profiles []profile.Profile) (map[int64]map[string]bool, error) {
	out := map[int64]map[string]bool{}
	if len(profiles) == 0 {
		return out, nil
	}
	ids := map[string]bool{}
	for _, p := range profiles {
		ids[p.ID] = true
	}
	for _, ex := range exports {
		for _, sid := range ex.Segments {
			if s, ok := segs[sid]; !ok || s.Kind == segment.KindRule || out[sid] != nil {
				continue
			}
			out[sid] = map[string]bool{}
			err := a.Store.ScanStaticIDs(ctx, sid, func(id string) error {
				if ids[id] {
					out[sid][id] = true
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// omnisendAnswer is what Omnisend said of the e-mail on one connection.
type omnisendAnswer struct {
	contact *explain.Contact
	note    string
}

func (a *App) explainExport(ctx context.Context, email string, ex export.Export, segs map[int64]segment.Segment,
	profiles []profile.Profile, listed map[int64]map[string]bool, contacts map[int64]omnisendAnswer) (explain.Export, error) {
	e := explain.Export{Export: ex.Name, ExportID: ex.ID, Connection: ex.ConnectionName, Profiles: []explain.Profile{},
		Decisions: []explain.Decision{}}
	sent := false
	for _, p := range profiles {
		if s, _ := p.Attrs[ex.Mapping.Email].(string); omnisend.NormalizeEmail(s) != email {
			continue
		}
		ep := explain.Profile{ID: p.ID, Segments: []explain.Segment{}}
		member := false
		for _, sid := range ex.Segments {
			seg, ok := segs[sid]
			if !ok {
				continue
			}
			s := explain.SegmentOf(seg, export.SegmentTag(ex.TagPrefix, seg.Slug), p, listed[sid][p.ID])
			member = member || s.In
			ep.Segments = append(ep.Segments, s)
		}
		_, res := ex.Mapping.Contact(p, nil, ex.ConsentOf(a.Now()))
		switch {
		case res.Skipped():
			ep.Note = "not sent: " + string(res.Skip)
		case !member:
			ep.Note = "in none of the export's segments"
		case sent:
			ep.Note = "not sent: a profile with a lower id has this e-mail (" + string(export.SkipDuplicateEmail) + ")"
		default:
			ep.Sent, ep.Note, sent = true, "the export sends this profile", true
		}
		e.Profiles = append(e.Profiles, ep)
	}
	state, err := a.Store.StateOf(ctx, ex.ID, []string{email})
	if err != nil {
		return e, err
	}
	if s, ok := state[email]; ok {
		e.State = &explain.State{ProfileID: s.ProfileID, Tags: s.Tags, Confirmed: s.Hash != "", Unsure: s.Unsure}
	}
	if e.Decisions, err = a.decisions(ctx, ex.ID, email); err != nil {
		return e, err
	}
	ans, ok := contacts[ex.ConnectionID]
	if !ok {
		ans = a.askOmnisend(ctx, ex, email)
		contacts[ex.ConnectionID] = ans
	}
	e.Omnisend, e.OmnisendNote = ans.contact, ans.note
	e.Summary = explain.Summarize(e)
	return e, nil
}

// decisions are the e-mail's ops in the export's latest runs.
func (a *App) decisions(ctx context.Context, exportID int64, email string) ([]explain.Decision, error) {
	runs, err := a.Store.ListRuns(ctx, exportID, ExplainRuns)
	if err != nil {
		return nil, err
	}
	byID := map[int64]run.Run{}
	for _, r := range runs {
		byID[r.ID] = r
	}
	ops, err := a.Store.OpsForEmail(ctx, exportID, email, ExplainRuns)
	if err != nil {
		return nil, err
	}
	out := make([]explain.Decision, 0, len(ops))
	for _, op := range ops {
		out = append(out, explain.DecisionOf(op, byID[op.RunID]))
	}
	return out, nil
}

// askOmnisend looks the contact up through the export's connection,
// waiting explainTimeout at most; an answer it cannot get is said in
// words.
func (a *App) askOmnisend(ctx context.Context, ex export.Export, email string) omnisendAnswer {
	if ex.Detached() {
		return omnisendAnswer{note: "not asked: the export has no connection (" + ex.DetachedText() + ")"}
	}
	conn, err := a.Store.GetConnection(ctx, strconv.FormatInt(ex.ConnectionID, 10))
	if err != nil {
		return omnisendAnswer{note: "not asked: " + err.Error()}
	}
	client, err := a.connectionClient(ctx, conn, "explain", omnisend.RetryConfig{OutageLimit: explainTimeout, MaxAttempts: 3})
	if err != nil {
		return omnisendAnswer{note: "not asked: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, explainTimeout)
	defer cancel()
	rec, found, err := client.GetContact(ctx, email)
	switch {
	case err != nil:
		return omnisendAnswer{note: "Omnisend could not be reached: " + plainCause(err)}
	case !found:
		return omnisendAnswer{note: explain.NoContact}
	}
	return omnisendAnswer{contact: explain.ContactOf(rec)}
}

// plainCause words why Omnisend could not be asked: its answer, or the
// innermost cause of a transport failure ("connection refused").
func plainCause(err error) string {
	var api *omnisend.APIError
	switch {
	case errors.As(err, &api):
		return strings.TrimPrefix(api.Error(), "omnisend: ")
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer within %s", explainTimeout)
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err.Error()
}
