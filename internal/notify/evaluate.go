package notify

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"segbridge/internal/run"
)

// verdict is what one run says about a rule's condition.
type verdict int

const (
	// unknown: the run says nothing about it (a cancelled run, a failed
	// run for a rule that looks at successful ones); the state stays.
	unknown verdict = iota
	holds
	clears
)

// finding is a verdict and its sentence.
type finding struct {
	v    verdict
	text string
}

// historyLen is how many successful runs members_changed averages.
const historyLen = 5

// evaluate is what run ri says about rule r's condition. history returns
// the export's earlier runs, newest first (read only when needed).
func evaluate(r Rule, ri *RunInfo, history func() ([]run.Run, error)) (finding, error) {
	st := run.Status(ri.Status)
	ok := st == run.StatusSucceeded
	id := fmt.Sprintf("run #%d", ri.ID)
	switch r.Kind {
	case RuleRunFailed:
		switch {
		case st == run.StatusFailed:
			return finding{holds, id + " failed: " + ri.Message}, nil
		case ok:
			return finding{clears, id + " succeeded again"}, nil
		}
	case RuleRunHeld:
		switch {
		case st == run.StatusHeld:
			if ri.Message == "" {
				return finding{holds, id + " was held by the removal brake"}, nil
			}
			return finding{holds, id + " was held: " + ri.Message}, nil
		case ok:
			return finding{clears, id + " succeeded: the export is no longer held"}, nil
		}
	case RuleKeyRejected:
		if code, rejected := KeyRejected(ri.Message); st == run.StatusFailed && rejected {
			return finding{holds, fmt.Sprintf("Omnisend rejected the connection's API key (HTTP %d) in %s: "+
				"give the connection a working key", code, id)}, nil
		}
		if ok {
			return finding{clears, "Omnisend accepts the API key again (" + id + " succeeded)"}, nil
		}
	case RuleContactsRejected:
		if ok {
			return contactsFinding(r, ri, id), nil
		}
	case RuleMembersChanged:
		if ok {
			return membersFinding(r, ri, id, history)
		}
	case RuleRunSlow:
		d := ri.duration()
		switch {
		case st == run.StatusCancelled || d <= 0:
		case d > r.Duration:
			return finding{holds, fmt.Sprintf("%s took %s, longer than %s", id, roundDuration(d), r.Duration)}, nil
		case ok:
			return finding{clears, fmt.Sprintf("%s took %s, within %s", id, roundDuration(d), r.Duration)}, nil
		}
	}
	return finding{}, nil
}

func withMessage(s, msg string) string {
	if msg == "" {
		return s
	}
	return s + ": " + msg
}

func contactsFinding(r Rule, ri *RunInfo, id string) finding {
	c := ri.Counts
	sent := c.Added + c.Updated + c.Untagged + c.Failed
	share := 0.0
	if sent > 0 {
		share = float64(c.Failed) / float64(sent) * 100
	}
	over := (r.Percent > 0 && share > r.Percent) || (r.Count > 0 && c.Failed > r.Count)
	text := fmt.Sprintf("%s: %d of %d contacts sent (%s) failed or were rejected", id, c.Failed, sent, pct(round1(share)))
	if over {
		return finding{holds, text + ", " + r.Threshold()}
	}
	return finding{clears, text + ", no longer " + r.Threshold()}
}

func membersFinding(r Rule, ri *RunInfo, id string, history func() ([]run.Run, error)) (finding, error) {
	runs, err := history()
	if err != nil {
		return finding{}, err
	}
	var sum, n int
	for _, h := range runs {
		if h.ID < ri.ID && h.Status == run.StatusSucceeded {
			sum += h.Counts.Members
			if n++; n == historyLen {
				break
			}
		}
	}
	if n == 0 {
		return finding{}, nil // nothing to compare with yet
	}
	avg := float64(sum) / float64(n)
	m := float64(ri.Counts.Members)
	change := 0.0
	switch {
	case avg > 0:
		change = math.Abs(m-avg) / avg * 100
	case m > 0:
		change = math.Inf(1)
	}
	dir := "more"
	if m < avg {
		dir = "fewer"
	}
	than := fmt.Sprintf("the average of the last %d successful runs (%s)", n, strconv.FormatFloat(round1(avg), 'f', -1, 64))
	if change > r.Percent {
		how := pct(round1(change)) + " " + dir
		if math.IsInf(change, 1) {
			how = "more"
		}
		return finding{holds, fmt.Sprintf("%s: %d members, %s than %s", id, ri.Counts.Members, how, than)}, nil
	}
	return finding{clears, fmt.Sprintf("%s: %d members, within %s of %s", id, ri.Counts.Members, pct(r.Percent), than)}, nil
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

// keyRejectedRE finds the HTTP status of a rejected key in a run's
// message: the Omnisend client's errors say "HTTP 401 …", the connection
// check's "(HTTP 401)".
var keyRejectedRE = regexp.MustCompile(`\bHTTP (401|403)\b`)

// KeyRejected reports whether a failed run's message says Omnisend
// rejected the API key, and with which status. v3's 403 "blocked due to
// many errors" is a rate block, not a rejected key.
func KeyRejected(message string) (int, bool) {
	m := keyRejectedRE.FindStringSubmatch(message)
	if m == nil || strings.Contains(strings.ToLower(message), "blocked") {
		return 0, false
	}
	code, _ := strconv.Atoi(m[1])
	return code, true
}
