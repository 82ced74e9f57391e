package run

import "strconv"

// Action is what an op does to its contact, as run results show it:
// "add" (an upsert of a contact the export never sent), "update", "tag"
// (tags added through the tag endpoints), "untag" or "skip".
func (op Op) Action() string {
	switch {
	case op.Kind == OpUpsert && op.New:
		return "add"
	case op.Kind == OpUpsert:
		return "update"
	}
	return string(op.Kind)
}

// Result is one per-contact result of a run as every interface shows it
// (export results, the API, the web UI) and downloads it.
type Result struct {
	Seq       int64  `json:"seq"`
	Action    string `json:"action" enum:"add,update,tag,untag,skip"`
	Email     string `json:"email"`
	ProfileID string `json:"profile_id,omitempty"`
	Status    string `json:"status" enum:"pending,ok,failed,skipped"`
	Reason    string `json:"reason,omitempty"`
	// ReasonText is the reason in words (ReasonText).
	ReasonText string   `json:"reason_text,omitempty"`
	Message    string   `json:"message,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	BatchID    string   `json:"batch_id,omitempty"`
}

// Result returns the op as a result.
func (op Op) Result() Result {
	return Result{Seq: op.Seq, Action: op.Action(), Email: op.Email, ProfileID: op.ProfileID, Status: string(op.Status),
		Reason: op.Reason, ReasonText: ReasonText(op.Reason), Message: op.Message, Tags: op.Tags, BatchID: op.BatchID}
}

// ResultCSVHeader is the header row of results as CSV.
var ResultCSVHeader = []string{"seq", "action", "email", "profile_id", "status", "reason", "message", "batch_id"}

// CSVRecord returns r as a CSV row under ResultCSVHeader. Cells that a
// spreadsheet would read as a formula (=, +, -, @ first: an e-mail address
// or a message from Omnisend can start that way) get a leading quote.
func (r Result) CSVRecord() []string {
	return []string{strconv.FormatInt(r.Seq, 10), r.Action, csvSafe(r.Email), csvSafe(r.ProfileID),
		r.Status, r.Reason, csvSafe(r.Message), r.BatchID}
}

func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
