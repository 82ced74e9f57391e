package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SchemaVersion names the payload format (docs/notifications.schema.json).
const SchemaVersion = "segbridge.notification.v1"

// Notification is the JSON a webhook receives, and what a Slack message
// and an e-mail are written from.
type Notification struct {
	Schema string `json:"schema"`
	// ID is unique per notification and channel: receivers drop repeats
	// (a retried delivery) by it.
	ID string `json:"id"`
	// Sequence is the event's number, increasing in the order things
	// happened (0 for a test). Deliveries may arrive out of order.
	Sequence int64 `json:"sequence"`
	// Type is "alert", "lifecycle" or "test".
	Type string `json:"type"`
	// Event is "alert", "run.queued", "run.started", "run.finished",
	// "run.failed", "run.held", "run.cancelled" or "test".
	Event     string    `json:"event"`
	CreatedAt time.Time `json:"created_at"`
	// Text says it in a sentence or two.
	Text string `json:"text"`
	// URL opens what it is about (the run's page).
	URL    string      `json:"url,omitempty"`
	Export *ExportRef  `json:"export,omitempty"`
	Run    *RunInfo    `json:"run,omitempty"`
	Source *SourceInfo `json:"source,omitempty"`
	// Alerts are the rules that fired or recovered (type alert).
	Alerts []Alert `json:"alerts,omitempty"`
}

// Notification types.
const (
	TypeAlert     = "alert"
	TypeLifecycle = "lifecycle"
	TypeTest      = "test"
)

// ExportRef names an export.
type ExportRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Alert is one rule's change of state.
type Alert struct {
	Rule RuleRef `json:"rule"`
	// State is "firing" (the condition started) or "recovered" (it ended).
	State string `json:"state"`
	Text  string `json:"text"`
}

// Alert states.
const (
	StateFiring    = "firing"
	StateRecovered = "recovered"
)

// RuleRef is a rule in a payload.
type RuleRef struct {
	ID              int64    `json:"id"`
	Kind            string   `json:"kind"`
	ExportID        *int64   `json:"export_id,omitempty"`
	Percent         *float64 `json:"percent,omitempty"`
	Count           *int     `json:"count,omitempty"`
	DurationSeconds *float64 `json:"duration_seconds,omitempty"`
}

func ruleRef(r Rule) RuleRef {
	ref := RuleRef{ID: r.ID, Kind: string(r.Kind)}
	if r.ExportID != 0 {
		id := r.ExportID
		ref.ExportID = &id
	}
	if r.Percent != 0 {
		p := r.Percent
		ref.Percent = &p
	}
	if r.Count != 0 {
		c := r.Count
		ref.Count = &c
	}
	if r.Duration != 0 {
		d := r.Duration.Seconds()
		ref.DurationSeconds = &d
	}
	return ref
}

// newID is a notification id: "ntf_" and 24 random hex digits.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return "ntf_" + hex.EncodeToString(b[:])
}

// encode is the payload's JSON.
func (n Notification) encode() ([]byte, error) {
	b, err := json.Marshal(n)
	if err != nil {
		return nil, fmt.Errorf("encode notification: %w", err)
	}
	return b, nil
}

// subject is a one-line summary: an e-mail's subject, a history line.
func (n Notification) subject() string {
	var b strings.Builder
	b.WriteString("[segbridge] ")
	if n.Export != nil {
		fmt.Fprintf(&b, "%s: ", n.Export.Name)
	}
	switch {
	case n.Type == TypeTest:
		b.WriteString("test notification")
	case n.Type == TypeAlert:
		labels := make([]string, 0, len(n.Alerts))
		for _, a := range n.Alerts {
			l := RuleKind(a.Rule.Kind).Label()
			if a.State == StateRecovered {
				l += " (recovered)"
			}
			labels = append(labels, l)
		}
		b.WriteString(strings.Join(labels, ", "))
		if n.Source != nil {
			fmt.Fprintf(&b, " (source %s)", n.Source.Name)
		}
	case n.Run != nil:
		fmt.Fprintf(&b, "run #%d %s", n.Run.ID, strings.TrimPrefix(n.Event, "run."))
	default:
		b.WriteString(n.Event)
	}
	return b.String()
}

// slackBody is the Slack-compatible message: the text, with the link in
// Slack's <url|label> form.
func (n Notification) slackBody() ([]byte, error) {
	text := slackEscape(n.Text)
	if n.URL != "" {
		label := "Open in segbridge"
		if n.Run != nil {
			label = fmt.Sprintf("Open run #%d", n.Run.ID)
		}
		text += "\n<" + n.URL + "|" + label + ">"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack reads <url|label>; \u003c would do, but less readably
	if err := enc.Encode(struct {
		Text string `json:"text"`
	}{text}); err != nil {
		return nil, fmt.Errorf("encode Slack message: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mailText is an e-mail's plain-text body.
func (n Notification) mailText() string {
	var b strings.Builder
	b.WriteString(n.Text)
	b.WriteString("\n")
	if n.URL != "" {
		fmt.Fprintf(&b, "\nOpen it: %s\n", n.URL)
	}
	if r := n.Run; r != nil {
		c := r.Counts
		fmt.Fprintf(&b, "\nRun #%d of %s: %s (%s)\n", r.ID, exportLabel(n.Export, r.ExportID), r.Status, r.Trigger)
		fmt.Fprintf(&b, "Members %d · added %d · updated %d · unchanged %d · untagged %d · skipped %d · failed %d\n",
			c.Members, c.Added, c.Updated, c.Unchanged, c.Untagged, c.Skipped, c.Failed)
		if r.Message != "" {
			fmt.Fprintf(&b, "Message: %s\n", r.Message)
		}
	}
	fmt.Fprintf(&b, "\n-- \nsegbridge notification %s (%s)\n", n.ID, n.Event)
	return b.String()
}

func exportLabel(e *ExportRef, id int64) string {
	if e != nil && e.Name != "" {
		return fmt.Sprintf("%q", e.Name)
	}
	return fmt.Sprintf("export #%d", id)
}

// summary shortens text to a history line.
func summary(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > 200 {
		return string(r[:199]) + "…"
	}
	return text
}
