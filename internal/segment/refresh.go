package segment

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"segbridge/internal/profile"
)

// Store is what evaluating and refreshing segments needs; store.Store is one.
type Store interface {
	ScanProfiles(ctx context.Context, fn func(id string, attrs []byte) error) error
	ScanStaticIDs(ctx context.Context, segmentID int64, fn func(id string) error) error
	ScanMembers(ctx context.Context, segmentID int64, fn func(id string) error) error
	ApplyMembership(ctx context.Context, c MembershipChange) error
}

// Evaluation is the membership a segment has right now.
type Evaluation struct {
	// Members are the matching profile ids, sorted.
	Members []string
	// Profiles is the number of profiles looked at.
	Profiles int
	// EvalErrors counts profiles whose rule evaluation failed (they are not
	// members); FirstEvalError is one of them, for the message.
	EvalErrors     int
	FirstEvalError error
	// MissingStatic counts ids of a static segment that match no profile.
	MissingStatic int
}

// Evaluate computes a segment's members from the stored profiles without
// storing anything.
func Evaluate(ctx context.Context, st Store, seg Segment) (Evaluation, error) {
	switch seg.Kind {
	case KindRule:
		rule, err := Compile(seg.Rule)
		if err != nil {
			return Evaluation{}, fmt.Errorf("segment %q: %w", seg.Name, err)
		}
		return EvaluateRule(ctx, st, rule)
	case KindStatic:
		return evaluateStatic(ctx, st, seg)
	}
	return Evaluation{}, fmt.Errorf("segment %q: unknown kind %q", seg.Name, seg.Kind)
}

// chunk is a run of scanned profiles handed to one evaluation worker.
type chunk struct {
	ids   []string
	attrs [][]byte
}

const chunkSize = 512

// EvaluateRule matches rule against every stored profile, decoding and
// evaluating on all cores while the store streams rows. It stops soon after
// ctx is done, with ctx's error.
func EvaluateRule(ctx context.Context, st Store, rule *Rule) (Evaluation, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan chunk, runtime.GOMAXPROCS(0)*2)
	results := make(chan Evaluation, runtime.GOMAXPROCS(0))
	want, known := rule.Attributes()
	switch {
	case !known:
		want = nil // decode everything
	case want == nil:
		want = []string{} // the rule reads no attribute
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- matchChunks(ctx, work, rule, want)
		}()
	}
	var total int
	c := chunk{}
	scanErr := st.ScanProfiles(ctx, func(id string, attrs []byte) error {
		total++
		c.ids = append(c.ids, id)
		c.attrs = append(c.attrs, slices.Clone(attrs))
		if len(c.ids) == chunkSize {
			select {
			case work <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
			c = chunk{}
		}
		return nil
	})
	if len(c.ids) > 0 && scanErr == nil {
		work <- c
	}
	close(work)
	wg.Wait()
	close(results)
	if scanErr == nil {
		scanErr = ctx.Err() // the workers stopped early
	}
	ev := Evaluation{Profiles: total}
	for r := range results {
		ev.Members = append(ev.Members, r.Members...)
		ev.EvalErrors += r.EvalErrors
		if ev.FirstEvalError == nil {
			ev.FirstEvalError = r.FirstEvalError
		}
	}
	if scanErr != nil {
		return Evaluation{}, fmt.Errorf("evaluate rule: %w", scanErr)
	}
	slices.Sort(ev.Members)
	return ev, nil
}

// matchChunks decodes the attributes in want (all when nil) of each
// profile and matches the rule. Once ctx is done it only drains work.
func matchChunks(ctx context.Context, work <-chan chunk, rule *Rule, want []string) Evaluation {
	var ev Evaluation
	for c := range work {
		for i, raw := range c.attrs {
			if i%8 == 0 && ctx.Err() != nil {
				break
			}
			attrs, err := profile.DecodeSelected(raw, want)
			if err == nil {
				var ok bool
				ok, err = rule.Match(attrs)
				if ok {
					ev.Members = append(ev.Members, c.ids[i])
				}
			}
			if err != nil {
				ev.EvalErrors++
				if ev.FirstEvalError == nil {
					ev.FirstEvalError = fmt.Errorf("profile %q: %w", c.ids[i], err)
				}
			}
		}
	}
	return ev
}

// evaluateStatic keeps the listed ids that exist as profiles.
func evaluateStatic(ctx context.Context, st Store, seg Segment) (Evaluation, error) {
	listed := map[string]bool{}
	err := st.ScanStaticIDs(ctx, seg.ID, func(id string) error {
		listed[id] = false
		return nil
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("segment %q: %w", seg.Name, err)
	}
	var ev Evaluation
	err = st.ScanProfiles(ctx, func(id string, _ []byte) error {
		ev.Profiles++
		if _, ok := listed[id]; ok {
			listed[id] = true
			ev.Members = append(ev.Members, id)
		}
		return nil
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("segment %q: %w", seg.Name, err)
	}
	ev.MissingStatic = len(listed) - len(ev.Members)
	slices.Sort(ev.Members)
	return ev, nil
}

// RefreshResult says what a refresh stored.
type RefreshResult struct {
	Evaluation
	Joined, Left int
	RefreshedAt  time.Time
}

// Refresh evaluates seg and stores its membership, writing only the
// difference from the previous refresh.
func Refresh(ctx context.Context, st Store, seg Segment, now time.Time) (RefreshResult, error) {
	ev, err := Evaluate(ctx, st, seg)
	if err != nil {
		return RefreshResult{}, err
	}
	var previous []string
	err = st.ScanMembers(ctx, seg.ID, func(id string) error {
		previous = append(previous, id)
		return nil
	})
	if err != nil {
		return RefreshResult{}, fmt.Errorf("segment %q: read members: %w", seg.Name, err)
	}
	add, remove := diffSorted(previous, ev.Members)
	err = st.ApplyMembership(ctx, MembershipChange{
		SegmentID: seg.ID, Add: add, Remove: remove, MemberCount: len(ev.Members), RefreshedAt: now,
	})
	if err != nil {
		return RefreshResult{}, fmt.Errorf("segment %q: store members: %w", seg.Name, err)
	}
	return RefreshResult{Evaluation: ev, Joined: len(add), Left: len(remove), RefreshedAt: now}, nil
}

// diffSorted returns what is in next but not prev (add) and in prev but not
// next (remove); both inputs are sorted.
func diffSorted(prev, next []string) (add, remove []string) {
	i, j := 0, 0
	for i < len(prev) || j < len(next) {
		switch {
		case j == len(next) || (i < len(prev) && prev[i] < next[j]):
			remove = append(remove, prev[i])
			i++
		case i == len(prev) || next[j] < prev[i]:
			add = append(add, next[j])
			j++
		default:
			i++
			j++
		}
	}
	return add, remove
}
