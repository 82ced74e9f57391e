package segment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// list20 is a literal list of 20 numbers.
var list20 = "[" + strings.TrimSuffix(strings.Repeat("1, ", 20), ", ") + "]"

// TestPathologicalRuleRefused: three .all() over 20-element lists nested in
// each other (about 78,000 steps per profile, 6 s on 3,000 profiles before
// the limit) are refused when compiled, which every save, preview and
// refresh does first; ordinary rules are not.
func TestPathologicalRuleRefused(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{
		list20 + ".all(x, " + list20 + ".all(y, " + list20 + ".all(z, x + y + z > 0)))",
		`p.tags.split(",").all(a, p.tags.split(",").all(b, p.tags.split(",").all(c, a + b + c != "")))`,
		`p.exists(k, p.exists(j, p.exists(l, k + j + l == "")))`,
	} {
		_, err := Compile(expr)
		var re *RuleError
		require.ErrorAs(t, err, &re, expr)
		require.Contains(t, re.Msg, "rule is too expensive", expr)
		require.Contains(t, re.Msg, "at most 20000", expr)
		require.NotContains(t, err.Error(), "cel", "plain words")

		_, err = NewRuleDraft("Costly", expr)
		require.ErrorAs(t, err, &re, "a draft (what a save checks) is refused too")
		_, err = Evaluate(context.Background(), blockingStore{}, Segment{Name: "Old", Kind: KindRule, Rule: expr})
		require.ErrorContains(t, err, "rule is too expensive", "a stored rule is refused at refresh")
	}
	for _, expr := range []string{
		`p.country == "CZ" && p.orders > 3`,
		`has(p.email) && p.email.lowerAscii().endsWith("@example.com")`,
		`p.email.lowerAscii().trim().matches("^[a-z]+@(gmail|seznam)[.](com|cz)$")`,
		`p.tags.split(",").map(t, t.trim()).exists(t, t == "vip")`,
		`p.city in [` + strings.Repeat(`"Prague", `, 300) + `"Brno"]`,
		"[" + strings.Repeat(`"@a.cz", `, 100) + `"@b.cz"].exists(d, p.email.endsWith(d))`,
		"[1,2,3,4,5,6,7,8,9,10].all(x, [1,2,3,4,5,6,7,8,9,10].all(y, [1,2,3,4,5,6,7,8,9,10].all(z, x + y + z > 0)))",
	} {
		_, err := Compile(expr)
		require.NoError(t, err, expr)
	}
}

// blockingStore streams profiles until ctx ends (a huge table), or, with
// started set, signals and blocks until ctx ends.
type blockingStore struct {
	started chan<- struct{}
}

func (b blockingStore) ScanProfiles(ctx context.Context, fn func(id string, attrs []byte) error) error {
	if b.started != nil {
		b.started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(fmt.Sprintf("p%09d", i), []byte(`{"orders":5}`)); err != nil {
			return err
		}
	}
}

func (blockingStore) ScanStaticIDs(context.Context, int64, func(string) error) error { return nil }
func (blockingStore) ScanMembers(context.Context, int64, func(string) error) error   { return nil }
func (blockingStore) ApplyMembership(context.Context, MembershipChange) error        { return nil }

// TestPreviewDeadline: a preview that does not finish in time stops with
// a clear error soon after its deadline.
func TestPreviewDeadline(t *testing.T) {
	t.Parallel()
	pv, err := NewPreviewer(PreviewConfig{Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	_, err = pv.Preview(context.Background(), blockingStore{}, mustCompile(t, `p.orders > 3`))
	require.ErrorIs(t, err, ErrRuleTooSlow)
	require.ErrorContains(t, err, "did not finish within 100ms")
	require.Less(t, time.Since(start), 2*time.Second, "it stops at its deadline")
}

// TestPreviewConcurrency: past Concurrency previews at once, one more is
// refused at once.
func TestPreviewConcurrency(t *testing.T) {
	t.Parallel()
	pv, err := NewPreviewer(PreviewConfig{Concurrency: 2, Timeout: time.Minute})
	require.NoError(t, err)
	rule := mustCompile(t, `p.orders > 3`)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_, err := pv.Preview(ctx, blockingStore{started: started}, rule)
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
	<-started
	<-started
	_, err = pv.Preview(context.Background(), blockingStore{}, rule)
	require.ErrorIs(t, err, ErrPreviewBusy)
	cancel()
	wg.Wait()
	_, err = pv.Preview(context.Background(), emptyStore{}, rule)
	require.NoError(t, err, "the slots are free again")
	require.False(t, errors.Is(err, ErrPreviewBusy))
}

type emptyStore struct{ blockingStore }

func (emptyStore) ScanProfiles(context.Context, func(string, []byte) error) error { return nil }

func TestPreviewConfigValidate(t *testing.T) {
	t.Parallel()
	_, err := NewPreviewer(PreviewConfig{Concurrency: -1})
	require.ErrorContains(t, err, "PreviewConfig.Concurrency")
	_, err = NewPreviewer(PreviewConfig{Timeout: time.Microsecond})
	require.ErrorContains(t, err, "PreviewConfig.Timeout")
}
