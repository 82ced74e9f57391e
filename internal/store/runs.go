package store

import (
	"encoding/json"
	"slices"
	"strings"

	"segbridge/internal/run"
)

// TagsJSON is how both engines store a list of tags: a JSON array.
func TagsJSON(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags) // a []string always marshals
	return string(b)
}

// ParseTags reads what TagsJSON wrote.
func ParseTags(s string) []string {
	var tags []string
	_ = json.Unmarshal([]byte(s), &tags) // written by TagsJSON
	return tags
}

// FirstBatch returns the leading ops that share the first op's batch
// number: a batch in flight at a crash is resent alone, as it was.
func FirstBatch(ops []run.Op) []run.Op {
	n := 0
	for n < len(ops) && ops[n].BatchNo == ops[0].BatchNo {
		n++
	}
	return ops[:n]
}

// UnionTags returns a's tags followed by those of b that a lacks.
func UnionTags(a, b []string) []string {
	out := slices.Clone(a)
	for _, t := range b {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// WithoutTags returns a's tags that are not in remove.
func WithoutTags(a, remove []string) []string {
	out := make([]string, 0, len(a))
	for _, t := range a {
		if !slices.Contains(remove, t) {
			out = append(out, t)
		}
	}
	return out
}

// PossiblyPresent returns the state entries that AssignBatch writes for
// ops, given the state's tags of those that have one: unsure, with every
// tag the contact may carry.
func PossiblyPresent(ops []run.Op, tagsOf map[string][]string) []run.StateEntry {
	out := make([]run.StateEntry, len(ops))
	for i, op := range ops {
		out[i] = run.StateEntry{Email: op.Email, ProfileID: op.ProfileID, Tags: UnionTags(tagsOf[op.Email], op.Tags), Unsure: true}
	}
	return out
}

// OpSeqs returns the ops' sequence numbers, in order.
func OpSeqs(ops []run.Op) []int64 {
	out := make([]int64, len(ops))
	for i, op := range ops {
		out[i] = op.Seq
	}
	return out
}

// OpEmails returns the ops' e-mails, in order.
func OpEmails(ops []run.Op) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.Email
	}
	return out
}

// OpConds are the conditions of a run.OpFilter (after "run_id = ?"), for
// both engines: arg adds a value and returns its placeholder. The e-mail
// is a prefix, matched as a range so that an index on (run_id, email)
// serves it.
func OpConds(f run.OpFilter, arg func(v any) string) string {
	var q strings.Builder
	if f.AfterSeq > 0 {
		q.WriteString(" AND seq > " + arg(f.AfterSeq))
	}
	if f.BeforeSeq > 0 {
		q.WriteString(" AND seq < " + arg(f.BeforeSeq))
	}
	if f.Status != "" {
		q.WriteString(" AND status = " + arg(string(f.Status)))
	}
	if f.Reason != "" { // reason <> '': the partial index run_ops_by_reason serves it
		q.WriteString(" AND reason <> '' AND reason = " + arg(f.Reason))
	}
	switch f.Action {
	case "":
	case run.ActionAdd, run.ActionUpdate:
		q.WriteString(" AND kind = 'upsert' AND is_new = " + arg(f.Action == run.ActionAdd))
	default: // kind <> 'upsert': the partial index run_ops_by_kind serves it
		q.WriteString(" AND kind <> 'upsert' AND kind = " + arg(f.Action))
	}
	if p := strings.ToLower(strings.TrimSpace(f.Email)); p != "" {
		q.WriteString(" AND email >= " + arg(p) + " AND email < " + arg(p+"\U0010FFFF"))
	}
	return q.String()
}

// Reversed returns ops in reverse order (a page listed backwards).
func Reversed(ops []run.Op) []run.Op {
	slices.Reverse(ops)
	return ops
}

// PlanJSON encodes a run's plan for its plan column.
func PlanJSON(p run.PlanInfo) (string, error) {
	b, err := json.Marshal(p)
	return string(b), err
}

// ParsePlan decodes a run's plan column.
func ParsePlan(s string) (run.PlanInfo, error) {
	var p run.PlanInfo
	if s == "" {
		return p, nil
	}
	err := json.Unmarshal([]byte(s), &p)
	return p, err
}
