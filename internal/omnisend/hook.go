package omnisend

import "context"

type attemptHookKey struct{}

// WithAttemptHook returns a context whose requests call fn for each
// attempt once its connection is ready, right before the request is
// written on it. A run counts its requests this way, in its store, before
// they are sent, so the count stays exact when the process is killed while
// requests are in flight; an attempt whose connection cannot even be made
// (refused, unreachable) never reached Omnisend and is not counted. An
// error from fn is logged; the request goes ahead.
func WithAttemptHook(ctx context.Context, fn func(context.Context) error) context.Context {
	return context.WithValue(ctx, attemptHookKey{}, fn)
}

func attemptHook(ctx context.Context) func(context.Context) error {
	fn, _ := ctx.Value(attemptHookKey{}).(func(context.Context) error)
	return fn
}
