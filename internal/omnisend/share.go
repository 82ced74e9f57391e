package omnisend

import "context"

// A share names who a request is for inside one brand's rate budget —
// segbridge uses the export — so that the budget can be divided fairly:
// when a brand's window is full, the next free slot goes to the waiting
// share that has used the fewest slots of the current window (the oldest
// waiter first among equals). A share alone gets the whole budget.
// Requests without a share form the share "".

type shareKey struct{}

// WithShare returns ctx carrying share: every request made with it counts
// toward share in the rate budget. An empty share leaves ctx unchanged.
func WithShare(ctx context.Context, share string) context.Context {
	if share == "" {
		return ctx
	}
	return context.WithValue(ctx, shareKey{}, share)
}

// ShareOf returns the share ctx carries ("" if none). RateBudget
// implementations call it in Wait.
func ShareOf(ctx context.Context) string {
	s, _ := ctx.Value(shareKey{}).(string)
	return s
}
