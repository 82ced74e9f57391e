package run

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"segbridge/internal/omnisend"
)

// tagChunk is how many pending tag ops are read at a time.
const tagChunk = 5000

// tag adds the tags of pending tag ops (Target.TagEndpoints) with POST
// /contacts/tags, after every batch of the run is confirmed, so the
// contacts exist (Omnisend ignores unknown e-mails). Ops adding the same
// tags share calls of up to 250 e-mails and 100 tags; a group's remainder
// waits for the next chunk's ops of the same tags, so a run makes
// Σ⌈group/250⌉ calls whatever the order of its ops. Each call's ops are
// marked when it returns; adding a tag is idempotent, so a call repeated
// after a crash is harmless.
func (e *Executor) tag(ctx context.Context, r *Run, t Target) error {
	groups := map[string][]Op{}
	var order []string // group keys in first-seen order
	after := int64(0)
	for {
		if err := e.checkCancel(ctx, r, t); err != nil {
			return err
		}
		ops, err := e.cfg.Store.PendingTags(ctx, r.ID, after, tagChunk)
		if err != nil {
			return err
		}
		if len(ops) == 0 {
			break
		}
		after = ops[len(ops)-1].Seq
		for _, op := range ops {
			op.Tags = slices.Clone(op.Tags)
			slices.Sort(op.Tags)
			key := strings.Join(op.Tags, "\x00")
			if _, ok := groups[key]; !ok {
				order = append(order, key)
			}
			groups[key] = append(groups[key], op)
			if g := groups[key]; len(g) == omnisend.MaxTagEmails {
				if err := e.tagCall(ctx, r, t, g); err != nil {
					return err
				}
				groups[key] = g[:0:0]
			}
		}
	}
	for _, key := range order {
		if g := groups[key]; len(g) > 0 {
			if err := e.tagCall(ctx, r, t, g); err != nil {
				return err
			}
		}
	}
	r.Step = StepUntag
	return nil
}

// tagCall adds the tags of ops (at most 250, all with the same tags) to
// their contacts, 100 tags a call, and records the outcome: a retryable
// failure (past the outage limit) stops the run with the ops pending; a
// permanent one fails them, and their contacts become unsure so that the
// next run sends them again.
func (e *Executor) tagCall(ctx context.Context, r *Run, t Target, ops []Op) error {
	emails := make([]string, len(ops))
	for i, op := range ops {
		emails[i] = op.Email
	}
	tags := ops[0].Tags
	var err error
	for start := 0; start < len(tags) && err == nil; start += omnisend.MaxTagsPerCall {
		err = t.Client.AddTags(ctx, emails, tags[start:min(start+omnisend.MaxTagsPerCall, len(tags))])
	}
	if err != nil && omnisend.IsRetryable(err) {
		return fmt.Errorf("tag: %w", err)
	}
	st, msg := OpOK, ""
	if err != nil {
		st, msg = OpFailed, oneLine(err)
	}
	return e.cfg.Store.ResolveTags(context.WithoutCancel(ctx), r.ExportID, ops, st, reasonFor(st), msg)
}
