package readback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
)

// Kind is what a finding found.
type Kind string

// Finding kinds.
const (
	// MissingContact: the state has the contact, Omnisend has none with
	// its e-mail (deleted in Omnisend).
	MissingContact Kind = "missing_contact"
	// MissingTag: Omnisend's contact lacks tags the state says it carries.
	MissingTag Kind = "missing_tag"
	// ExtraContact: a contact carries one of the export's segment tags
	// but is not in the state (tagged by someone else, or a state lost).
	ExtraContact Kind = "extra_contact"
	// ExtraTag: a contact of the state carries segment tags of the export
	// that the state does not list.
	ExtraTag Kind = "extra_tag"
	// FieldsDiffer: fields the export maps show other values in Omnisend
	// than the export last sent.
	FieldsDiffer Kind = "fields_differ"
)

// FieldDiff is one field that differs: what the export sends and what
// Omnisend shows ("" for nothing).
type FieldDiff struct {
	Field    string `json:"field"`
	Want     string `json:"want"`
	Omnisend string `json:"omnisend"`
}

// Finding is one drifted contact.
type Finding struct {
	Email     string      `json:"email"`
	Kind      Kind        `json:"kind" enum:"missing_contact,missing_tag,extra_contact,extra_tag,fields_differ"`
	ProfileID string      `json:"profile_id,omitempty"`
	Tags      []string    `json:"tags,omitempty" doc:"the tags missing or extra"`
	Fields    []FieldDiff `json:"fields,omitempty"`
}

// Text describes the finding in one line.
func (f Finding) Text() string {
	quoted := func(tags []string) string {
		q := make([]string, len(tags))
		for i, t := range tags {
			q[i] = fmt.Sprintf("%q", t)
		}
		return strings.Join(q, ", ")
	}
	switch f.Kind {
	case MissingContact:
		return "not in Omnisend (deleted there?)"
	case MissingTag:
		return "Omnisend's contact lacks " + quoted(f.Tags)
	case ExtraContact:
		return "carries " + quoted(f.Tags) + " but segbridge never confirmed it"
	case ExtraTag:
		return "carries " + quoted(f.Tags) + " that segbridge did not set"
	}
	parts := make([]string, len(f.Fields))
	for i, d := range f.Fields {
		parts[i] = fmt.Sprintf("%s: %q in Omnisend, the export sends %q", d.Field, d.Omnisend, d.Want)
	}
	return strings.Join(parts, "; ")
}

// Omnisend is what reading back asks of Omnisend; *omnisend.Client
// implements it.
type Omnisend interface {
	EachContact(ctx context.Context, opt omnisend.ListContactsOptions, fn func([]omnisend.ContactRecord) error) error
	GetContact(ctx context.Context, email string) (omnisend.ContactRecord, bool, error)
}

// State is an export's confirmed state; store.Store implements it.
type State interface {
	ScanState(ctx context.Context, exportID int64, fn func(run.StateEntry) error) error
	StateOf(ctx context.Context, exportID int64, emails []string) (map[string]run.StateEntry, error)
	MarkDrift(ctx context.Context, exportID int64, entries []run.StateEntry, now time.Time) error
}

// Target is the export to verify.
type Target struct {
	ExportID int64
	Mapping  export.Mapping
	// ConsentPolicy is the export's (export.ConsentPolicy): with the
	// clock, it decides the status each member is sent with.
	ConsentPolicy export.ConsentPolicy
	// SegmentTags are the export's segment tags, in its order.
	SegmentTags []string
	// Members streams the export's members with their segment tags, as a
	// run's plan reads them (run.Target.Members).
	Members func(ctx context.Context, fn func(profile.Profile, []string) error) error
}

// Config configures a Verifier.
type Config struct {
	State    State
	Omnisend Omnisend
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// WithDefaults returns c with the clock and logger set.
func (c Config) WithDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate reports the first missing field.
func (c Config) Validate() error {
	switch {
	case c.State == nil:
		return errors.New("readback: Config.State is required")
	case c.Omnisend == nil:
		return errors.New("readback: Config.Omnisend is required")
	}
	return nil
}

// Verifier compares an export's confirmed state with Omnisend.
type Verifier struct {
	cfg Config
}

// New returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Verifier{cfg: cfg}, nil
}

// TagCount is how many contacts of the state carry a segment tag, and the
// list requests that reading them back takes.
type TagCount struct {
	Tag      string `json:"tag"`
	Contacts int    `json:"contacts"`
	Requests int    `json:"requests"`
}

// Estimate is a verify's request cost, counted from the state before
// anything is asked of Omnisend.
type Estimate struct {
	// State is the number of entries in the confirmed state; Unsure of
	// them have no known outcome (the next run sends them again anyway,
	// so they are not compared).
	State  int        `json:"state"`
	Unsure int        `json:"unsure"`
	Tags   []TagCount `json:"tags"`
	// Requests is the number of list requests the tag listings take
	// (MaxContactsPage contacts a request; one at least per tag).
	Requests int `json:"requests"`
	// UpTo is how many more a verify may make to tell deleted contacts
	// from untagged ones: one lookup per contact that no tag listing
	// shows, or the listing of "source: segbridge", whichever is fewer.
	UpTo int `json:"up_to"`
}

// Text says the cost in one sentence.
func (e Estimate) Text() string {
	parts := make([]string, len(e.Tags))
	for i, t := range e.Tags {
		parts[i] = fmt.Sprintf("%d contacts tagged %q", t.Contacts, t.Tag)
	}
	return fmt.Sprintf("%d list requests to Omnisend (%s), and up to %d more if contacts are missing there",
		e.Requests, strings.Join(parts, ", "), e.UpTo)
}

func pages(n int) int { return max(1, (n+omnisend.MaxContactsPage-1)/omnisend.MaxContactsPage) }

// Estimate counts the requests a verify of t takes, from the state alone.
func (v *Verifier) Estimate(ctx context.Context, t Target) (Estimate, error) {
	est := Estimate{Tags: make([]TagCount, len(t.SegmentTags))}
	for i, tag := range t.SegmentTags {
		est.Tags[i].Tag = tag
	}
	err := v.cfg.State.ScanState(ctx, t.ExportID, func(s run.StateEntry) error {
		est.State++
		if s.Unsure {
			est.Unsure++
		}
		for i, tag := range t.SegmentTags {
			if slices.Contains(s.Tags, tag) {
				est.Tags[i].Contacts++
			}
		}
		return nil
	})
	if err != nil {
		return est, fmt.Errorf("count the confirmed state: %w", err)
	}
	for i := range est.Tags {
		est.Tags[i].Requests = pages(est.Tags[i].Contacts)
		est.Requests += est.Tags[i].Requests
	}
	est.UpTo = pages(est.State)
	return est, nil
}

// Report is what a verify found.
type Report struct {
	Estimate Estimate `json:"estimate"`
	// Requests is the number of requests the verify made.
	Requests int `json:"requests"`
	// Listed is the number of Omnisend contacts read.
	Listed   int       `json:"listed"`
	Findings []Finding `json:"findings"`
	// Unsubscribed are the contacts read that Omnisend shows unsubscribed.
	Unsubscribed []Status `json:"-"`
	// Repaired is how many state entries were marked for the next run.
	Repaired int `json:"repaired"`
}

// Counts returns the findings per kind.
func (r Report) Counts() map[Kind]int {
	out := map[Kind]int{}
	for _, f := range r.Findings {
		out[f.Kind]++
	}
	return out
}

// Verify reads back the contacts carrying t's tags and compares them with
// the confirmed state; with repair it marks the drifted entries unsure
// for the next run. est is the Estimate made before (see Estimate).
func (v *Verifier) Verify(ctx context.Context, t Target, est Estimate, repair bool) (Report, error) {
	rep := Report{Estimate: est, Findings: []Finding{}}
	l := newListing(t)
	for _, tag := range t.SegmentTags {
		if err := l.list(ctx, v.cfg.Omnisend, omnisend.ListContactsOptions{Tag: tag}, true); err != nil {
			return rep, fmt.Errorf("list the contacts tagged %q: %w", tag, err)
		}
	}
	unseen, err := v.compareState(ctx, t, l, &rep)
	if err != nil {
		return rep, err
	}
	if err := v.resolveUnseen(ctx, l, unseen, est, &rep); err != nil {
		return rep, err
	}
	l.extras(&rep)
	if err := v.compareFields(ctx, t, l, &rep); err != nil {
		return rep, err
	}
	rep.Listed, rep.Unsubscribed = len(l.byEmail), l.unsubscribed()
	slices.SortFunc(rep.Findings, func(a, b Finding) int {
		if c := strings.Compare(a.Email, b.Email); c != 0 {
			return c
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	if repair {
		entries := repairEntries(rep.Findings)
		if err := v.cfg.State.MarkDrift(ctx, t.ExportID, entries, v.cfg.Now()); err != nil {
			return rep, err
		}
		rep.Repaired = len(entries)
	}
	v.cfg.Logger.Info("readback: export verified", "export", t.ExportID, "listed", rep.Listed,
		"findings", len(rep.Findings), "repaired", rep.Repaired)
	return rep, nil
}

// compareState walks the state: entries Omnisend showed get their tags
// compared; the others are returned (deleted, or lacking every segment
// tag: resolveUnseen tells which). Unsure entries are skipped.
func (v *Verifier) compareState(ctx context.Context, t Target, l *listing, rep *Report) ([]run.StateEntry, error) {
	var unseen []run.StateEntry
	err := v.cfg.State.ScanState(ctx, t.ExportID, func(s run.StateEntry) error {
		c := l.byEmail[s.Email]
		if c != nil {
			c.inState = true
		}
		switch {
		case s.Unsure:
		case c == nil:
			unseen = append(unseen, s)
		default:
			l.compareTags(s, c, rep)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the confirmed state: %w", err)
	}
	return unseen, nil
}

// resolveUnseen finds out whether the state's contacts that no tag
// listing showed exist in Omnisend: by one lookup each when they are few,
// else by listing every contact tagged "source: segbridge".
func (v *Verifier) resolveUnseen(ctx context.Context, l *listing, unseen []run.StateEntry, est Estimate, rep *Report) error {
	if len(unseen) == 0 {
		return nil
	}
	if len(unseen) <= est.UpTo {
		for _, s := range unseen {
			rec, found, err := v.cfg.Omnisend.GetContact(ctx, s.Email)
			if err != nil {
				return fmt.Errorf("look up %s: %w", s.Email, err)
			}
			if found {
				l.add(rec, false)
			}
		}
	} else if err := l.list(ctx, v.cfg.Omnisend, omnisend.ListContactsOptions{Tag: export.SourceTag}, false); err != nil {
		return fmt.Errorf("list the contacts tagged %q: %w", export.SourceTag, err)
	}
	for _, s := range unseen {
		c := l.byEmail[s.Email]
		if c == nil {
			rep.Findings = append(rep.Findings, Finding{Email: s.Email, Kind: MissingContact, ProfileID: s.ProfileID, Tags: s.Tags})
			continue
		}
		c.inState = true
		l.compareTags(s, c, rep)
	}
	return nil
}

// compareFields maps each member again and compares the fields Omnisend
// shows, for the contacts whose state is confirmed with the very contact
// the member maps to now (same profile, same hash): any other member has
// changed since and the next run sends it anyway.
func (v *Verifier) compareFields(ctx context.Context, t Target, l *listing, rep *Report) error {
	if len(l.fields) == 0 || t.Members == nil {
		return nil
	}
	type member struct {
		p    profile.Profile
		tags []string
	}
	chunk := make([]member, 0, 1000)
	cs := export.Consent{Policy: t.ConsentPolicy, Now: v.cfg.Now()}
	flush := func() error {
		emails := make([]string, 0, len(chunk))
		contacts := make([]omnisend.Contact, len(chunk))
		for i, m := range chunk {
			tags := append([]string{export.SourceTag}, m.tags...)
			c, res := t.Mapping.Contact(m.p, tags, cs)
			if res.Skipped() {
				continue
			}
			contacts[i] = c
			emails = append(emails, c.Email)
		}
		state, err := v.cfg.State.StateOf(ctx, t.ExportID, emails)
		if err != nil {
			return err
		}
		for i, m := range chunk {
			c := &contacts[i]
			s, ok := state[c.Email]
			shown := l.byEmail[c.Email]
			if !ok || s.Unsure || s.ProfileID != m.p.ID || shown == nil || s.Hash != export.Hash(*c) {
				continue
			}
			if diffs := differences(l.fields, c, shown.fields); len(diffs) > 0 {
				rep.Findings = append(rep.Findings, Finding{Email: c.Email, Kind: FieldsDiffer, ProfileID: m.p.ID, Fields: diffs})
			}
		}
		chunk = chunk[:0]
		return nil
	}
	err := t.Members(ctx, func(p profile.Profile, tags []string) error {
		chunk = append(chunk, member{p, tags})
		if len(chunk) == cap(chunk) {
			return flush()
		}
		return nil
	})
	if err == nil && len(chunk) > 0 {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("compare the members' fields: %w", err)
	}
	return nil
}

// repairEntries are the state entries that make the next run repair the
// findings: each contact once, unsure, with the tags it may carry.
func repairEntries(findings []Finding) []run.StateEntry {
	byEmail := map[string]int{}
	var out []run.StateEntry
	for _, f := range findings {
		var tags []string
		switch f.Kind {
		case MissingContact, MissingTag, ExtraContact, ExtraTag:
			tags = f.Tags
		}
		i, ok := byEmail[f.Email]
		if !ok {
			byEmail[f.Email] = len(out)
			out = append(out, run.StateEntry{Email: f.Email, ProfileID: f.ProfileID, Unsure: true})
			i = len(out) - 1
		}
		for _, tag := range tags {
			if tag != export.SourceTag && !slices.Contains(out[i].Tags, tag) {
				out[i].Tags = append(out[i].Tags, tag)
			}
		}
	}
	return out
}
