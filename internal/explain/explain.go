// Package explain answers "why is jane@x (not) tagged VIP?": for one
// e-mail and each export, the profiles with that address, each segment in
// or out and why (a rule and the values it read, or a static list), the
// export's confirmed state, the recent runs' decisions with their batch
// and Omnisend's answer, and the contact as Omnisend shows it. This
// package holds the answer's shape and the reasoning over one profile;
// app.Explain gathers the facts.
package explain

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"segbridge/internal/omnisend"
	"segbridge/internal/profile"
	"segbridge/internal/run"
	"segbridge/internal/segment"
)

// Explanation is the answer for one e-mail.
type Explanation struct {
	Email   string   `json:"email"`
	Exports []Export `json:"exports"`
}

// Export is the answer for one export.
type Export struct {
	Export     string `json:"export"`
	ExportID   int64  `json:"export_id"`
	Connection string `json:"connection,omitempty"`
	// Summary says in one sentence what the export does with the e-mail.
	Summary  string    `json:"summary"`
	Profiles []Profile `json:"profiles"`
	// State is what the export's confirmed state holds for the e-mail
	// (nil: nothing, the export never confirmed it or it left).
	State     *State     `json:"state,omitempty"`
	Decisions []Decision `json:"decisions"`
	// Omnisend is the contact as Omnisend shows it now; when it is nil,
	// OmnisendNote says why (no such contact, or Omnisend could not be
	// reached).
	Omnisend     *Contact `json:"omnisend,omitempty"`
	OmnisendNote string   `json:"omnisend_note,omitempty"`
}

// Profile is one profile with the e-mail and its segments.
type Profile struct {
	ID string `json:"id"`
	// Sent marks the profile the export sends for the e-mail: of several
	// members with it, the lowest id.
	Sent     bool      `json:"sent"`
	Note     string    `json:"note"`
	Segments []Segment `json:"segments"`
}

// Segment is one export segment, and whether the profile is in it.
type Segment struct {
	Name string `json:"name"`
	Kind string `json:"kind" enum:"rule,static"`
	Tag  string `json:"tag"`
	In   bool   `json:"in"`
	Why  string `json:"why"`
	Rule string `json:"rule,omitempty"`
	// Values are the attributes the rule reads, with the profile's values
	// (Missing: those it does not have).
	Values  map[string]any `json:"values,omitempty"`
	Missing []string       `json:"missing,omitempty"`
}

// State is the export's confirmed state for the e-mail.
type State struct {
	ProfileID string   `json:"profile_id"`
	Tags      []string `json:"tags"`
	// Confirmed is false when no batch of the contact was ever confirmed.
	Confirmed bool `json:"confirmed"`
	// Unsure marks a contact whose last batch has no known outcome: the
	// next run sends it again.
	Unsure bool `json:"unsure"`
}

// Decision is what one run did with the e-mail.
type Decision struct {
	Run       int64     `json:"run"`
	RunStatus string    `json:"run_status"`
	When      time.Time `json:"when"`
	Action    string    `json:"action" enum:"add,update,untag,skip"`
	Status    string    `json:"status" enum:"pending,ok,failed,skipped"`
	Reason    string    `json:"reason,omitempty"`
	Message   string    `json:"message,omitempty" doc:"Omnisend's answer when it refused the contact"`
	Tags      []string  `json:"tags,omitempty"`
	BatchID   string    `json:"batch_id,omitempty"`
}

// Contact is a contact as Omnisend shows it.
type Contact struct {
	ID               string         `json:"id"`
	Email            string         `json:"email"`
	Status           string         `json:"status"`
	StatusDate       string         `json:"status_date,omitempty"`
	FirstName        string         `json:"first_name,omitempty"`
	LastName         string         `json:"last_name,omitempty"`
	Address          string         `json:"address,omitempty"`
	City             string         `json:"city,omitempty"`
	State            string         `json:"state,omitempty"`
	PostalCode       string         `json:"postal_code,omitempty"`
	Country          string         `json:"country,omitempty"`
	CountryCode      string         `json:"country_code,omitempty"`
	Gender           string         `json:"gender,omitempty"`
	Birthdate        string         `json:"birthdate,omitempty"`
	Tags             []string       `json:"tags"`
	CustomProperties map[string]any `json:"custom_properties,omitempty"`
	UpdatedAt        string         `json:"updated_at,omitempty"`
}

// ContactOf is r as explain shows it.
func ContactOf(r omnisend.ContactRecord) *Contact {
	tags := r.Tags
	if tags == nil {
		tags = []string{}
	}
	return &Contact{ID: r.ID, Email: r.Email, Status: string(r.Status), StatusDate: r.StatusDate,
		FirstName: r.FirstName, LastName: r.LastName, Address: r.Address, City: r.City, State: r.State,
		PostalCode: r.PostalCode, Country: r.Country, CountryCode: r.CountryCode, Gender: r.Gender,
		Birthdate: r.Birthdate, Tags: tags, CustomProperties: r.CustomProperties, UpdatedAt: r.UpdatedAt}
}

// SegmentOf explains whether p is in seg, whose tag is tag. A rule
// segment is decided on p's attributes now, as the export's next run
// decides it; listed says whether a static segment lists p's id.
func SegmentOf(seg segment.Segment, tag string, p profile.Profile, listed bool) Segment {
	s := Segment{Name: seg.Name, Kind: string(seg.Kind), Tag: tag}
	if seg.Kind != segment.KindRule {
		s.In = listed
		s.Why = "the static segment does not list profile " + p.ID
		if listed {
			s.Why = "the static segment lists profile " + p.ID
		}
		return s
	}
	s.Rule = seg.Rule
	rule, err := segment.Compile(seg.Rule)
	if err != nil {
		s.Why = "the rule does not compile: " + err.Error()
		return s
	}
	names, known := rule.Attributes()
	if !known {
		names = slices.Sorted(maps.Keys(p.Attrs))
	}
	s.Values = map[string]any{}
	for _, n := range names {
		if v, ok := p.Attrs[n]; ok {
			s.Values[n] = v
		} else {
			s.Missing = append(s.Missing, n)
		}
	}
	in, err := rule.Match(p.Attrs)
	switch {
	case err != nil:
		s.Why = "the rule cannot be evaluated on this profile (" + err.Error() + "), so it does not match"
	case in:
		s.In, s.Why = true, "the rule matches"
	case len(s.Missing) > 0:
		s.Why = fmt.Sprintf("the rule does not match (the profile lacks %v)", s.Missing)
	default:
		s.Why = "the rule does not match"
	}
	return s
}

// DecisionOf is op of run r as a decision.
func DecisionOf(op run.Op, r run.Run) Decision {
	when := r.StartedAt
	if when.IsZero() {
		when = r.QueuedAt
	}
	return Decision{Run: op.RunID, RunStatus: string(r.Status), When: when, Action: op.Action(), Status: string(op.Status),
		Reason: op.Reason, Message: op.Message, Tags: op.Tags, BatchID: op.BatchID}
}

// Summarize says in one sentence what the export does with the e-mail.
func Summarize(e Export) string {
	var sent *Profile
	for i := range e.Profiles {
		if e.Profiles[i].Sent {
			sent = &e.Profiles[i]
		}
	}
	switch {
	case len(e.Profiles) == 0 && e.State != nil:
		return "no profile has this e-mail now; the next run untags the contact"
	case len(e.Profiles) == 0:
		return "no profile has this e-mail"
	case sent == nil && e.State != nil:
		return "no profile with this e-mail is in the export's segments; the next run untags the contact"
	case sent == nil:
		return "no profile with this e-mail is in the export's segments"
	}
	var tags []string
	for _, s := range sent.Segments {
		if s.In {
			tags = append(tags, s.Tag)
		}
	}
	what := fmt.Sprintf("profile %s is exported with %q", sent.ID, tags)
	switch {
	case e.State == nil:
		return what + "; Omnisend has not confirmed it yet (the next run adds it)"
	case e.State.Unsure:
		return what + "; its last batch has no known outcome, so the next run sends it again"
	case e.Omnisend == nil && e.OmnisendNote == NoContact:
		return what + "; Omnisend confirmed it, but has no such contact now (export verify --repair all has the next run send it again)"
	case e.Omnisend != nil:
		var lacks []string
		for _, t := range e.State.Tags {
			if !slices.Contains(e.Omnisend.Tags, t) {
				lacks = append(lacks, t)
			}
		}
		if len(lacks) > 0 {
			return what + fmt.Sprintf("; Omnisend confirmed it, but its contact lacks %q now (export verify --repair all has the next run send it again)", lacks)
		}
	}
	return what + "; Omnisend confirmed it"
}

// NoContact is OmnisendNote when Omnisend has no contact with the e-mail.
const NoContact = "Omnisend has no contact with this e-mail"
