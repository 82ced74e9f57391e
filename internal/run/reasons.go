package run

import "slices"

// ResultActions are the actions a run's results show (Op.Action), in the
// order the interfaces offer them as filters.
var ResultActions = []string{ActionAdd, ActionUpdate, ActionTag, ActionUntag, ActionSkip}

// reasonTexts explains each reason code a run's results and counts carry,
// in words: why a member was skipped, why a contact failed, and what a
// contact was sent without (Counts.Dropped).
var reasonTexts = map[string]string{
	ReasonMissingEmail:    "The profile has no e-mail address in the mapped attribute, so it cannot be a contact: not sent.",
	ReasonInvalidEmail:    "The profile's e-mail is not a plain ASCII address Omnisend accepts: not sent.",
	ReasonDuplicateEmail:  "Another member of the export has the same e-mail; that one was sent, this one was not.",
	ReasonRejected:        "Omnisend refused the contact; its message says why. Fix the profile's data; the next run sends it again.",
	ReasonNotConfirmed:    "The batch ended without a result for this contact (stopped, cancelled or lost), so Omnisend may or may not hold it; the next run sends it again.",
	ReasonContinued:       "This run stopped before sending it; the export's next run planned it again.",
	ReasonDiscarded:       "The removal brake held this untag and someone discarded it: the contact keeps its tags.",
	"phone":               "Sent without the phone number: it is not a number Omnisend accepts (E.164) even after clean-up.",
	"country":             "Sent without the country: the value is not a country code Omnisend knows.",
	"birthdate":           "Sent without the birthdate: the value is not a date.",
	"gender":              "Sent without the gender: the value is neither a spelling of male nor of female.",
	"consent":             "Sent without a consent status: the mapped value is not a status segbridge knows.",
	"consent_date":        "Sent without a consent status: it has no date, or the date is not a date.",
	"consent_future_date": "Sent without a consent status: it is dated later than the run, and Omnisend would keep it over any real change until then.",
}

// ReasonText explains a reason code in words ("" for an unknown one).
func ReasonText(reason string) string { return reasonTexts[reason] }

// ReasonCodes lists the reason codes ReasonText explains.
func ReasonCodes() []string {
	out := make([]string, 0, len(reasonTexts))
	for k := range reasonTexts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
