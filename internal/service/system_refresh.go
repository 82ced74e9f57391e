package service

import (
	"context"
	"errors"
	"fmt"

	"segbridge/internal/jobs"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// Refresh runs the system refresh now, in this process, and returns when
// it has ended: every source read, their rows unified into profiles,
// every segment refreshed and a run queued for every export that follows
// the refresh (rec.RunIDs; workers run them). A refresh that failed or
// was held is returned with its message, not as an error: its record
// says what happened.
func (s *System) Refresh(ctx context.Context, p user.Principal) (store.SystemRefresh, error) {
	if err := allow(p, SystemRefresh, Subject{}); err != nil {
		return store.SystemRefresh{}, err
	}
	if s.cfg.Jobs == nil {
		return store.SystemRefresh{}, Unavailable("the job queue is not open in this process")
	}
	rec, err := s.cfg.Jobs.Refresh(ctx)
	if rec.ID == 0 && err != nil {
		return rec, err
	}
	s.record(context.WithoutCancel(ctx), p, SystemRefresh, fmt.Sprintf("refresh %d", rec.ID), rec.Status+refreshDetail(rec))
	return rec, nil
}

func refreshDetail(rec store.SystemRefresh) string {
	if rec.Message == "" {
		return ""
	}
	return ": " + rec.Message
}

// Release goes on with a held refresh: the rows its held sources no
// longer return are removed (and so their profiles), then the profiles
// are unified, the segments refreshed and the exports run.
func (s *System) Release(ctx context.Context, p user.Principal, id int64) (store.SystemRefresh, error) {
	return s.settle(ctx, p, SystemRelease, id, func(ctx context.Context) (store.SystemRefresh, error) {
		return s.cfg.Jobs.ReleaseRefresh(ctx, id)
	})
}

// Discard ends a held refresh: nothing is removed, no export runs.
func (s *System) Discard(ctx context.Context, p user.Principal, id int64) (store.SystemRefresh, error) {
	return s.settle(ctx, p, SystemDiscard, id, func(ctx context.Context) (store.SystemRefresh, error) {
		return s.cfg.Jobs.DiscardRefresh(ctx, id)
	})
}

func (s *System) settle(ctx context.Context, p user.Principal, a Action, id int64,
	do func(context.Context) (store.SystemRefresh, error)) (store.SystemRefresh, error) {
	if err := allow(p, a, Subject{}); err != nil {
		return store.SystemRefresh{}, err
	}
	if s.cfg.Jobs == nil {
		return store.SystemRefresh{}, Unavailable("the job queue is not open in this process")
	}
	rec, err := do(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rec, NotFound("no refresh %d", id).because(err)
	case errors.Is(err, jobs.ErrNotHeld):
		return rec, Conflict("refresh %d is %s, not held: only a held refresh is released or discarded", id, rec.Status).because(err)
	case err != nil && rec.Status == "":
		return rec, err
	}
	s.record(context.WithoutCancel(ctx), p, a, fmt.Sprintf("refresh %d", id), rec.Status+refreshDetail(rec))
	return rec, nil
}
