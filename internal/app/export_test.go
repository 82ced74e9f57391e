package app

import (
	"context"

	"segbridge/internal/run"
)

// RunTarget resolves export exportID's run target exactly as a run does
// (its segments refreshed first), for tests that plan it both ways.
func (a *App) RunTarget(ctx context.Context, exportID int64) (run.Target, error) {
	return resolver{a: a}.Resolve(ctx, run.Run{ExportID: exportID})
}
