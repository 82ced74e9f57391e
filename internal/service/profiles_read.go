package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// The bounds of a profile search.
const (
	// MaxSearchLimit is the most profiles one page of a search holds.
	MaxSearchLimit = 200
	// IndexedCountCap is where counting an id or e-mail search (an index
	// range) stops: beyond it the total is "more than".
	IndexedCountCap = 10_000
	// ValueCountCap is where counting an attribute value search (it reads
	// the profiles) stops.
	ValueCountCap = 1_000
	maxSearchText = 256
)

// ProfileQuery is a search of the profile list, as the interfaces take it.
type ProfileQuery struct {
	// By is "id" (id prefix), "email" (e-mail prefix, any case), "value"
	// (an attribute whose whole value is Q, any case) or "" (e-mail when Q
	// holds an @, else id, falling back to e-mail when no id matches).
	By string
	Q  string
	// Cursor is a Next or Prev of an earlier page of the same search.
	Cursor string
	// Limit is the page size (1..MaxSearchLimit; 0 means 50).
	Limit int
}

// ProfilePage is one page of a profile search.
type ProfilePage struct {
	// By is what was searched: id, email or value.
	By       string
	Profiles []profile.Profile
	// Next and Prev are the cursors of the pages after and before this
	// one ("" when there is none).
	Next, Prev string
	// Total counts the matches; TotalMore says there are more than Total
	// (counting stopped there).
	Total     int
	TotalMore bool
}

// TotalText is the total in words: "1,234" or "more than 1,000".
func (p ProfilePage) TotalText() string {
	if p.TotalMore {
		return "more than " + thousands(p.Total)
	}
	return thousands(p.Total)
}

// thousands writes n (not negative) with thousands separators.
func thousands(n int) string {
	d := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range d {
		if i > 0 && (len(d)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// cursor is a page's place: after or before key.
type cursor struct {
	Dir string           `json:"d"` // "n" (after) or "p" (before)
	Key store.ProfileKey `json:"k"`
}

func encodeCursor(dir string, k store.ProfileKey) string {
	b, _ := json.Marshal(cursor{Dir: dir, Key: k})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || (c.Dir != "n" && c.Dir != "p") || c.Key.ID == "" {
		return cursor{}, false
	}
	return c, true
}

// Search returns a page of the profiles matching q, with the total.
// Every role may search. An id or e-mail search reads an index range; a
// value search reads the profiles, up to the page and, for the total, up
// to ValueCountCap matches.
func (s *Profiles) Search(ctx context.Context, p user.Principal, q ProfileQuery) (ProfilePage, error) {
	var bad []FieldProblem
	q.Q = strings.TrimSpace(q.Q)
	by := store.SearchBy(q.By)
	switch by {
	case "":
		by = store.SearchID
		if strings.Contains(q.Q, "@") {
			by = store.SearchEmail
		}
	case store.SearchID, store.SearchEmail, store.SearchValue:
	default:
		bad = append(bad, FieldProblem{Field: "by", Msg: "choose id, email or value"})
	}
	if len(q.Q) > maxSearchText || !utf8.ValidString(q.Q) {
		bad = append(bad, FieldProblem{Field: "q", Msg: "the search is at most 256 characters of text"})
	}
	if by == store.SearchValue && q.Q == "" && q.By != "" {
		bad = append(bad, FieldProblem{Field: "q", Msg: "say which value to look for"})
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > MaxSearchLimit {
		bad = append(bad, FieldProblem{Field: "limit", Msg: "want 1 to 200 profiles a page"})
	}
	var cur cursor
	if q.Cursor != "" {
		var ok bool
		if cur, ok = decodeCursor(q.Cursor); !ok {
			bad = append(bad, FieldProblem{Field: "cursor", Msg: "not a page of this list; start again from the first page"})
		}
	}
	if len(bad) > 0 {
		return ProfilePage{}, InvalidFields(bad...)
	}
	page, err := s.search(ctx, by, q, cur)
	if err != nil || q.By != "" || by != store.SearchID || q.Q == "" || len(page.Profiles) > 0 || q.Cursor != "" {
		return page, err
	}
	return s.search(ctx, store.SearchEmail, q, cur) // no id starts with it: an e-mail may
}

func (s *Profiles) search(ctx context.Context, by store.SearchBy, q ProfileQuery, cur cursor) (ProfilePage, error) {
	sq := store.ProfileQuery{By: by, Q: q.Q, Limit: q.Limit}
	switch cur.Dir {
	case "n":
		sq.After = &cur.Key
	case "p":
		sq.Before = &cur.Key
	}
	ps, more, err := s.st.SearchProfiles(ctx, sq)
	if err != nil {
		return ProfilePage{}, err
	}
	page := ProfilePage{By: string(by), Profiles: ps}
	if page.Profiles == nil {
		page.Profiles = []profile.Profile{}
	}
	if n := len(ps); n > 0 {
		// Forward: more after when more says so; a page reached backwards
		// always has one after. Backwards likewise.
		if (cur.Dir != "p" && more) || cur.Dir == "p" {
			page.Next = encodeCursor("n", store.KeyOf(by, ps[n-1]))
		}
		if (cur.Dir == "p" && more) || cur.Dir == "n" {
			page.Prev = encodeCursor("p", store.KeyOf(by, ps[0]))
		}
	}
	switch {
	case cur.Dir == "" && !more:
		page.Total = len(ps) // the first page holds every match
	case by == store.SearchID && q.Q == "":
		page.Total, err = s.st.CountProfiles(ctx)
	default:
		limit := IndexedCountCap
		if by == store.SearchValue {
			limit = ValueCountCap
		}
		page.Total, err = s.st.CountProfileMatches(ctx, by, q.Q, limit)
		if page.Total > limit {
			page.Total, page.TotalMore = limit, true
		}
	}
	return page, err
}

// ProfileDetail is one profile with where it stands.
type ProfileDetail struct {
	Profile profile.Profile
	// Origins says where each attribute of a profile that sources made
	// came from (nil: imported by hand).
	Origins map[string]AttributeOrigin
	// Segments are those the profile is a member of as last refreshed.
	Segments []segment.Segment
	// Exports are the exports that sent the profile, as last confirmed.
	Exports []ProfileExport
}

// ProfileExport is what an export last sent Omnisend for a profile.
type ProfileExport struct {
	ExportID   int64     `json:"export_id"`
	Export     string    `json:"export"`
	Connection string    `json:"connection"`
	Email      string    `json:"email"`
	Tags       []string  `json:"tags"`
	Confirmed  bool      `json:"confirmed" doc:"false: no batch with the contact was confirmed yet"`
	Unsure     bool      `json:"unsure" doc:"the last batch has no known outcome; the next run sends the contact again"`
	At         time.Time `json:"confirmed_at"`
	// Status is the e-mail status the last confirmed contact carried
	// ("" when it carried none: Omnisend kept its own).
	Status string `json:"status,omitempty"`
	// OtherProfile is the profile the state is for when it is not this
	// one (several profiles share the e-mail; the export sends one).
	OtherProfile string `json:"other_profile,omitempty"`
}

// Show returns profile id with its origins, segments and the confirmed
// state of each export p may see. Every role may see it.
func (s *Profiles) Show(ctx context.Context, p user.Principal, id string) (ProfileDetail, error) {
	pr, err := s.st.GetProfile(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ProfileDetail{}, NotFound("no profile with id %q", id)
	}
	if err != nil {
		return ProfileDetail{}, err
	}
	d := ProfileDetail{Profile: pr, Segments: []segment.Segment{}, Exports: []ProfileExport{}}
	if d.Origins, err = (&Sources{core: s.core}).Origins(ctx, id); err != nil {
		return d, err
	}
	segIDs, err := s.st.ProfileSegments(ctx, id)
	if err != nil {
		return d, err
	}
	if len(segIDs) > 0 {
		segs, err := s.st.ListSegments(ctx)
		if err != nil {
			return d, err
		}
		in := map[int64]bool{}
		for _, sid := range segIDs {
			in[sid] = true
		}
		for _, sg := range segs {
			if in[sg.ID] {
				d.Segments = append(d.Segments, sg)
			}
		}
	}
	d.Exports, err = s.exportStates(ctx, p, pr)
	return d, err
}

// exportStates finds each export's confirmed state for the e-mail its
// mapping takes from profile pr, among the exports p may see.
func (s *Profiles) exportStates(ctx context.Context, p user.Principal, pr profile.Profile) ([]ProfileExport, error) {
	exports, err := s.st.ListExports(ctx)
	if err != nil {
		return nil, err
	}
	out := []ProfileExport{}
	byEmail := map[string][]store.ExportState{}
	for _, ex := range exports {
		v, ok := pr.Attrs[ex.Mapping.Email]
		if !ok {
			continue
		}
		if seen, err := (&Exports{core: s.core}).visible(ctx, p, ex); err != nil || !seen {
			if err != nil {
				return nil, err
			}
			continue
		}
		email := strings.ToLower(strings.TrimSpace(store.FormatValue(v)))
		if email == "" {
			continue
		}
		states, seen := byEmail[email]
		if !seen {
			if states, err = s.st.ExportStatesOf(ctx, email); err != nil {
				return nil, err
			}
			byEmail[email] = states
		}
		for _, st := range states {
			if st.ExportID != ex.ID {
				continue
			}
			pe := ProfileExport{ExportID: ex.ID, Export: ex.Name, Connection: ex.ConnectionName, Email: email,
				Tags: st.Tags, Confirmed: st.Confirmed, Unsure: st.Unsure, At: st.ConfirmedAt}
			if pe.Tags == nil {
				pe.Tags = []string{}
			}
			if st.ProfileID != pr.ID {
				pe.OtherProfile = st.ProfileID
			}
			pe.Status = s.lastStatus(ctx, ex.ID, email)
			out = append(out, pe)
		}
	}
	return out, nil
}

// lastStatus is the e-mail status of the contact the export's latest
// confirmed upsert of email carried, among its last runs.
func (s *Profiles) lastStatus(ctx context.Context, exportID int64, email string) string {
	ops, err := s.st.OpsForEmail(ctx, exportID, email, 5)
	if err != nil {
		return ""
	}
	for _, op := range ops {
		if op.Kind != run.OpUpsert || op.Status != run.OpOK {
			continue
		}
		var c struct{ Status string }
		if json.Unmarshal(op.Contact, &c) == nil {
			return c.Status
		}
	}
	return ""
}

// Imports returns the import history, newest first: limit imports with
// ids below before (0: from the newest). Every role may see it.
func (s *Profiles) Imports(ctx context.Context, p user.Principal, before int64, limit int) ([]store.ProfileImport, error) {
	if limit < 0 || limit > 1000 {
		return nil, InvalidFields(FieldProblem{Field: "limit", Msg: "want 1 to 1000 imports"})
	}
	return s.st.ListProfileImports(ctx, before, limit)
}
