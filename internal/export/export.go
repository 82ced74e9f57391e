package export

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults and limits of an export definition.
const (
	// DefaultTagPrefix starts the per-segment tags: "segbridge: vip-buyers".
	DefaultTagPrefix = "segbridge"
	// DefaultProfileCap is the most profiles a run may plan before it fails,
	// sending nothing.
	DefaultProfileCap = 1_000_000
	// MaxProfileCap bounds the cap an export may set.
	MaxProfileCap = 100_000_000
	// MaxSegments is the most segments one export may send: Omnisend takes
	// at most 100 tags per contact request, one of which is the source tag.
	MaxSegments = 99
	// maxNameLen is the longest export name, in characters after trimming.
	maxNameLen = 100
)

// Leave says what a run does to a contact that left every segment of the
// export.
type Leave string

const (
	// LeaveUntag removes the export's segment tags from leavers (the default).
	LeaveUntag Leave = "untag"
	// LeaveKeep leaves leavers' tags alone.
	LeaveKeep Leave = "keep"
)

// ParseLeave reads "untag" or "keep".
func ParseLeave(s string) (Leave, error) {
	switch l := Leave(s); l {
	case LeaveUntag, LeaveKeep:
		return l, nil
	}
	return "", &FieldError{Field: "leave", Msg: fmt.Sprintf("%q: want %q (the default) or %q", s, LeaveUntag, LeaveKeep)}
}

// Export is an export definition. Saving one never runs it.
type Export struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// ConnectionID is the Omnisend connection the export sends to; 0 when
	// the export is detached (its connection was removed: the store sets
	// the reference to NULL and keeps the export).
	ConnectionID int64 `json:"connection_id,omitempty"`
	// ConnectionName is the connection's name, or the name it had when the
	// export was last saved if the connection has since been removed. The
	// store fills it; it is not saved from here.
	ConnectionName string `json:"connection_name"`
	// DetachedReason says why a detached export stopped, when something
	// (the run pipeline) recorded it. See Detached and DetachedText.
	DetachedReason string `json:"detached_reason,omitempty"`
	// Segments are the ids of the exported segments, in the user's order.
	Segments []int64 `json:"segments"`
	Mapping  Mapping `json:"mapping"`
	// TagPrefix starts each segment tag: "<prefix>: <segment slug>".
	TagPrefix  string   `json:"tag_prefix"`
	Leave      Leave    `json:"leave"`
	Schedule   Schedule `json:"schedule"`
	ProfileCap int      `json:"profile_cap"`
	// Brake holds a run's untags past its thresholds (see Brake).
	Brake Brake `json:"brake"`
	// Active is false when the user paused scheduled runs.
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// ConsentPolicy says which e-mail statuses the export sends (keep,
	// opt-ins or mirror; see ConsentPolicy).
	ConsentPolicy ConsentPolicy `json:"consent_policy"`
}

// Detached reports whether the export has lost its connection.
func (e Export) Detached() bool { return e.ConnectionID == 0 }

// DetachedText says why a detached export stopped: the recorded reason, or
// that its connection was removed.
func (e Export) DetachedText() string {
	switch {
	case !e.Detached():
		return ""
	case e.DetachedReason != "":
		return e.DetachedReason
	case e.ConnectionName != "":
		return fmt.Sprintf("connection %q was removed", e.ConnectionName)
	}
	return "its connection was removed"
}

// WithDefaults returns e with unset fields at their defaults: tag prefix
// "segbridge", leave untag, schedule refresh (UTC for cron), cap 1,000,000,
// consent policy keep and the default brake (when none is set).
func (e Export) WithDefaults() Export {
	e.Name = strings.TrimSpace(e.Name)
	e.TagPrefix = strings.TrimSpace(e.TagPrefix)
	if e.TagPrefix == "" {
		e.TagPrefix = DefaultTagPrefix
	}
	if e.Leave == "" {
		e.Leave = LeaveUntag
	}
	if e.ConsentPolicy == "" {
		e.ConsentPolicy = ConsentKeep
	}
	e.Schedule = e.Schedule.WithDefaults()
	if e.ProfileCap == 0 {
		e.ProfileCap = DefaultProfileCap
	}
	if e.Brake == (Brake{}) {
		e.Brake = DefaultBrake()
	}
	return e
}

// Validate checks a definition about to be saved. A detached export may be
// saved (its settings are kept), so a missing connection is not an error
// here; the caller decides. Errors are *FieldError naming the field, one
// per field at fault, joined (errors.Join): errors.As finds the first.
func (e Export) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(validateName(e.Name))
	add(validateSegments(e.Segments))
	mapErr := e.Mapping.Validate()
	add(mapErr)
	add(ValidateTagPrefix(e.TagPrefix))
	if _, err := ParseLeave(string(e.Leave)); err != nil {
		add(err)
	}
	if mapErr == nil {
		add(validateConsentPolicy(e.ConsentPolicy, e.Mapping))
	}
	add(e.Schedule.Validate())
	if e.ProfileCap < 1 || e.ProfileCap > MaxProfileCap {
		add(&FieldError{Field: "profile_cap", Msg: fmt.Sprintf("%d: want 1 to %d", e.ProfileCap, MaxProfileCap)})
	}
	add(e.Brake.Validate())
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// FieldErrors are the *FieldError in err (one, or those errors.Join
// joined), in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var fe *FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, FieldErrors(e)...)
		}
		return out
	}
	if errors.As(err, &fe) {
		out = append(out, fe)
	}
	return out
}

func validateName(name string) error {
	fe := func(msg string) error { return &FieldError{Field: "name", Msg: msg} }
	if !utf8.ValidString(name) {
		return fe("not valid UTF-8")
	}
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0 || strings.TrimSpace(name) == "":
		return fe("empty")
	case strings.TrimSpace(name) != name:
		return fe("has surrounding white space")
	case n > maxNameLen:
		return fe(fmt.Sprintf("too long: %d characters, at most %d", n, maxNameLen))
	}
	for _, r := range name {
		if !unicode.IsGraphic(r) {
			return fe(fmt.Sprintf("contains a non-printable character (%U)", r))
		}
	}
	return nil
}

func validateSegments(ids []int64) error {
	fe := func(msg string) error { return &FieldError{Field: "segments", Msg: msg} }
	switch {
	case len(ids) == 0:
		return fe("at least one segment is required")
	case len(ids) > MaxSegments:
		return fe(fmt.Sprintf("%d segments, at most %d (Omnisend takes 100 tags per contact)", len(ids), MaxSegments))
	}
	for i, id := range ids {
		if id <= 0 {
			return fe(fmt.Sprintf("invalid segment id %d", id))
		}
		if slices.Contains(ids[:i], id) {
			return fe(fmt.Sprintf("segment id %d listed twice", id))
		}
	}
	return nil
}

// FieldError is a validation error naming the field at fault, with the
// field path of the API and CLI ("mapping.email", "schedule.cron").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// IsFieldError reports whether err is (or wraps) a *FieldError.
func IsFieldError(err error) bool {
	var fe *FieldError
	return errors.As(err, &fe)
}
