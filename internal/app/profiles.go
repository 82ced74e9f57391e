package app

import (
	"context"
	"fmt"
	"io"
	"maps"

	"segbridge/internal/profile"
)

// ImportProfiles imports profiles into the store: the attribute types
// pinned earlier and pins (import --type, which replace earlier pins of
// the same names) type the values, and pins are kept for later imports
// once rows are committed with them.
func (a *App) ImportProfiles(ctx context.Context, open func() (io.ReadCloser, error), opts profile.ImportOptions, pins map[string]profile.Type) (profile.ImportSummary, error) {
	schema, err := a.Store.ProfileSchema(ctx)
	if err != nil {
		return profile.ImportSummary{}, err
	}
	types := schema.Pins()
	maps.Copy(types, pins)
	maps.Copy(types, opts.Read.Types)
	opts.Read.Types = types
	if opts.Now == nil {
		opts.Now = a.Now
	}
	sum, err := profile.Import(ctx, open, a.Store, opts)
	if len(pins) > 0 && (sum.Written || sum.Committed() > 0) {
		if perr := a.Store.PinAttributeTypes(context.WithoutCancel(ctx), pins, a.Now()); perr != nil && err == nil {
			err = fmt.Errorf("the rows are imported, but the pinned types are not saved: %w", perr)
		}
	}
	return sum, err
}
