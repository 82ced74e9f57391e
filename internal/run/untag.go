package run

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"segbridge/internal/omnisend"
)

// untagChunk is how many pending untags are read at a time.
const untagChunk = 5000

// untag removes tags from leavers: ops with the same tags are grouped into
// calls of up to 250 e-mails (DELETE /contacts/tags). Removing a tag is
// idempotent, so a call repeated after a crash is harmless.
func (e *Executor) untag(ctx context.Context, r *Run, t Target) error {
	for {
		if err := e.checkCancel(ctx, r, t); err != nil {
			return err
		}
		ops, err := e.cfg.Store.PendingUntags(ctx, r.ID, untagChunk)
		if err != nil {
			return err
		}
		if len(ops) == 0 {
			r.Step = StepFinish
			return nil
		}
		for _, g := range groupByTags(ops) {
			if err := e.untagGroup(ctx, r, t, g); err != nil {
				return err
			}
		}
	}
}

func (e *Executor) untagGroup(ctx context.Context, r *Run, t Target, g []Op) error {
	for start := 0; start < len(g); start += omnisend.MaxTagEmails {
		chunk := g[start:min(start+omnisend.MaxTagEmails, len(g))]
		emails := make([]string, len(chunk))
		for i, op := range chunk {
			emails[i] = op.Email
		}
		err := t.Client.RemoveTags(ctx, emails, chunk[0].Tags)
		if err != nil && omnisend.IsRetryable(err) {
			return fmt.Errorf("untag: %w", err)
		}
		st, msg := OpOK, ""
		if err != nil {
			st, msg = OpFailed, oneLine(err)
		}
		if err := e.cfg.Store.ResolveUntags(context.WithoutCancel(ctx), r.ExportID, chunk, st, reasonFor(st), msg); err != nil {
			return err
		}
		t.progress.add(ctx, func(p *Progress) { p.Untagged += len(chunk) })
	}
	return nil
}

func reasonFor(st OpStatus) string {
	if st == OpFailed {
		return ReasonRejected
	}
	return ""
}

// groupByTags groups ops that remove the same tags, in seq order.
func groupByTags(ops []Op) [][]Op {
	idx := map[string]int{}
	var groups [][]Op
	for _, op := range ops {
		tags := slices.Clone(op.Tags)
		slices.Sort(tags)
		op.Tags = tags
		key := strings.Join(tags, "\x00")
		i, ok := idx[key]
		if !ok {
			i = len(groups)
			idx[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], op)
	}
	return groups
}
