package omnisend

import "context"

type attemptHookKey struct{}

// WithAttemptHook returns a context whose requests call fn just before
// each attempt goes on the wire (after the rate budget admitted it). A run
// counts its requests this way, in its store, before they are sent, so
// the count stays exact when the process is killed while requests are in
// flight. An error from fn fails the call without sending it.
func WithAttemptHook(ctx context.Context, fn func(context.Context) error) context.Context {
	return context.WithValue(ctx, attemptHookKey{}, fn)
}

func attemptHook(ctx context.Context) func(context.Context) error {
	fn, _ := ctx.Value(attemptHookKey{}).(func(context.Context) error)
	return fn
}
