package export

import (
	"errors"
	"fmt"
	"strconv"
)

// Brake defaults: a run is held when it would untag more than 10 % of the
// export's contacts and more than 100 of them, when more than half its
// members are skipped, or when its members fall by more than half against
// the export's last successful run.
const (
	DefaultBrakeUntagPercent = 10
	DefaultBrakeUntagMin     = 100
	DefaultBrakeSkipPercent  = 50
	DefaultBrakeDropPercent  = 50
	// BrakeOff is the percentage that turns a threshold off: nothing is
	// ever more than 100 %.
	BrakeOff = 100
)

// Brake is an export's removal brake: the thresholds past which a run
// still sends its adds and updates but holds every untag until someone
// approves or discards them (internal/run, brake.go). A percentage of
// BrakeOff (100) turns its threshold off.
type Brake struct {
	// UntagPercent and UntagMin: the run would untag more than
	// UntagPercent % of the contacts the export holds in Omnisend and more
	// than UntagMin of them.
	UntagPercent int `json:"untag_percent"`
	UntagMin     int `json:"untag_min"`
	// SkipPercent: more than SkipPercent % of the members are skipped
	// (no usable e-mail, duplicates).
	SkipPercent int `json:"skip_percent"`
	// DropPercent: the members fell by more than DropPercent % against the
	// export's last successful run.
	DropPercent int `json:"drop_percent"`
}

// DefaultBrake returns the default thresholds.
func DefaultBrake() Brake {
	return Brake{UntagPercent: DefaultBrakeUntagPercent, UntagMin: DefaultBrakeUntagMin,
		SkipPercent: DefaultBrakeSkipPercent, DropPercent: DefaultBrakeDropPercent}
}

// Validate checks the thresholds; errors are *FieldError naming the field
// ("brake.untag_percent"), one per threshold at fault (errors.Join).
func (b Brake) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		v    int
	}{{"untag_percent", b.UntagPercent}, {"skip_percent", b.SkipPercent}, {"drop_percent", b.DropPercent}} {
		if f.v < 0 || f.v > BrakeOff {
			errs = append(errs, &FieldError{Field: "brake." + f.name, Msg: fmt.Sprintf("%d: want a percentage from 0 to 100 (100 turns it off)", f.v)})
		}
	}
	if b.UntagMin < 0 || b.UntagMin > MaxProfileCap {
		errs = append(errs, &FieldError{Field: "brake.untag_min", Msg: fmt.Sprintf("%d: want a number of contacts from 0 to %d", b.UntagMin, MaxProfileCap)})
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// String describes the thresholds in plain words: "untags over 10 % and
// over 100 contacts; skipped members over 50 %; members falling by over
// 50 % (off where a threshold is off)".
func (b Brake) String() string {
	untag := "untags: off"
	if b.UntagPercent < BrakeOff {
		untag = fmt.Sprintf("untags over %d %% and over %s contacts", b.UntagPercent, Count(b.UntagMin))
	}
	skip, drop := "skipped members: off", "members falling: off"
	if b.SkipPercent < BrakeOff {
		skip = fmt.Sprintf("skipped members over %d %%", b.SkipPercent)
	}
	if b.DropPercent < BrakeOff {
		drop = fmt.Sprintf("members falling by over %d %%", b.DropPercent)
	}
	return untag + "; " + skip + "; " + drop
}

// Count writes n with thousands separators: 10,040.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// BrakePatch changes some of an export's thresholds: nil fields stay as
// they are.
type BrakePatch struct {
	UntagPercent *int `json:"untag_percent,omitempty" minimum:"0" maximum:"100" doc:"hold the untags when a run would untag more than this share of the export's contacts (and more than untag_min of them); default 10, 100 turns it off"`
	UntagMin     *int `json:"untag_min,omitempty" minimum:"0" doc:"… and more than this many contacts (default 100)"`
	SkipPercent  *int `json:"skip_percent,omitempty" minimum:"0" maximum:"100" doc:"hold the untags when more than this share of the members is skipped (default 50; 100 turns it off)"`
	DropPercent  *int `json:"drop_percent,omitempty" minimum:"0" maximum:"100" doc:"hold the untags when the members fall by more than this share against the last successful run (default 50; 100 turns it off)"`
}

// IsZero reports whether the patch changes nothing.
func (p BrakePatch) IsZero() bool {
	return p.UntagPercent == nil && p.UntagMin == nil && p.SkipPercent == nil && p.DropPercent == nil
}

// Apply returns b with the patch's fields set.
func (p BrakePatch) Apply(b Brake) Brake {
	for _, f := range []struct {
		from *int
		to   *int
	}{{p.UntagPercent, &b.UntagPercent}, {p.UntagMin, &b.UntagMin}, {p.SkipPercent, &b.SkipPercent}, {p.DropPercent, &b.DropPercent}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	return b
}
