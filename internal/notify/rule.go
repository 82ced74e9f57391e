package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RuleKind is the condition a rule watches.
type RuleKind string

// Rule kinds. Each has a condition that starts (the rule fires) and ends
// (it recovers); see evaluate for exactly when.
const (
	// RuleRunFailed: the export's last run failed; it recovers when a run
	// succeeds.
	RuleRunFailed RuleKind = "run_failed"
	// RuleRunHeld: the last run was held by the removal brake; it
	// recovers when a run succeeds.
	RuleRunHeld RuleKind = "run_held"
	// RuleContactsRejected: a successful run's failed or rejected
	// contacts were more than Percent % of the contacts it sent, or more
	// than Count.
	RuleContactsRejected RuleKind = "contacts_rejected"
	// RuleMembersChanged: a successful run's members differ by more than
	// Percent % from the average of the export's last 5 successful runs.
	RuleMembersChanged RuleKind = "members_changed"
	// RuleRunSlow: a run took longer than Duration.
	RuleRunSlow RuleKind = "run_slow"
	// RuleSourceFailed: a source's last load failed (sources report it
	// with Service.SourceFailed and SourceSucceeded).
	RuleSourceFailed RuleKind = "source_failed"
	// RuleKeyRejected: a run failed because Omnisend rejected the
	// connection's API key (HTTP 401 or 403); it recovers when a run
	// succeeds.
	RuleKeyRejected RuleKind = "key_rejected"
)

// RuleKinds lists every kind, in the order they are shown.
var RuleKinds = []RuleKind{RuleRunFailed, RuleRunHeld, RuleKeyRejected, RuleContactsRejected,
	RuleMembersChanged, RuleRunSlow, RuleSourceFailed}

// Label is the kind in words.
func (k RuleKind) Label() string {
	switch k {
	case RuleRunFailed:
		return "run failed"
	case RuleRunHeld:
		return "run held"
	case RuleContactsRejected:
		return "contacts rejected or failed"
	case RuleMembersChanged:
		return "members changed"
	case RuleRunSlow:
		return "run slow"
	case RuleSourceFailed:
		return "source failed"
	case RuleKeyRejected:
		return "Omnisend key rejected"
	}
	return string(k)
}

// Rule is a stored rule.
type Rule struct {
	ID   int64
	Kind RuleKind
	// ExportID is the export watched; 0 watches every export (each on
	// its own: one export's failure is not another's).
	ExportID int64
	// ChannelID is where it notifies; 0 is every channel that takes
	// alerts.
	ChannelID int64
	// Percent and Count are the thresholds of contacts_rejected (either
	// crossed fires it) and members_changed (Percent).
	Percent float64
	Count   int
	// Duration is run_slow's threshold.
	Duration  time.Duration
	CreatedAt time.Time
}

// RuleDraft is a rule as an admin describes it: the export and channel
// by name ("" for all).
type RuleDraft struct {
	Kind     RuleKind
	Export   string
	Channel  string
	Percent  float64
	Count    int
	Duration time.Duration
}

// Validate reports the first invalid field as a *FieldError.
func (d RuleDraft) Validate() error {
	k := d.Kind
	switch k {
	case RuleRunFailed, RuleRunHeld, RuleKeyRejected, RuleSourceFailed:
		if d.Percent != 0 || d.Count != 0 || d.Duration != 0 {
			return &FieldError{Field: "kind", Msg: fmt.Sprintf("%s takes no threshold", k)}
		}
		if k == RuleSourceFailed && d.Export != "" {
			return &FieldError{Field: "export", Msg: "source_failed watches sources, not exports"}
		}
	case RuleContactsRejected:
		if d.Percent < 0 || d.Percent > 100 || d.Count < 0 || (d.Percent == 0 && d.Count == 0) || d.Duration != 0 {
			return &FieldError{Field: "percent", Msg: "contacts_rejected wants a percent (0 to 100) or a count of contacts, or both"}
		}
	case RuleMembersChanged:
		if d.Percent <= 0 || d.Percent > 10000 || d.Count != 0 || d.Duration != 0 {
			return &FieldError{Field: "percent", Msg: "members_changed wants a percent above 0 (and nothing else)"}
		}
	case RuleRunSlow:
		if d.Duration < time.Second || d.Duration > 7*24*time.Hour || d.Percent != 0 || d.Count != 0 {
			return &FieldError{Field: "duration", Msg: "run_slow wants a duration from 1s to 168h, such as 30m"}
		}
	default:
		names := make([]string, len(RuleKinds))
		for i, k := range RuleKinds {
			names[i] = string(k)
		}
		return &FieldError{Field: "kind", Msg: fmt.Sprintf("%q: want one of %s", d.Kind, strings.Join(names, ", "))}
	}
	return nil
}

// Threshold says the rule's threshold in words ("" when it has none).
func (r Rule) Threshold() string {
	switch r.Kind {
	case RuleContactsRejected:
		var parts []string
		if r.Percent > 0 {
			parts = append(parts, "above "+pct(r.Percent))
		}
		if r.Count > 0 {
			parts = append(parts, "more than "+strconv.Itoa(r.Count)+" contacts")
		}
		return strings.Join(parts, " or ")
	case RuleMembersChanged:
		return "by more than " + pct(r.Percent)
	case RuleRunSlow:
		return "longer than " + r.Duration.String()
	}
	return ""
}

// pct formats a percentage without needless decimals: 10 %, 12.5 %.
func pct(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + " %"
}

// appliesTo reports whether r watches export exportID's runs.
func (r Rule) appliesTo(exportID int64) bool {
	return r.Kind != RuleSourceFailed && (r.ExportID == 0 || r.ExportID == exportID)
}
