package app

import (
	"context"

	"segbridge/internal/export"
	"segbridge/internal/segment"
)

// CheckRule checks a segment rule against the stored profiles' schema
// before it is saved (segment.CheckRule): its types, and that every
// attribute it names exists. Every interface that saves a rule calls it.
func (a *App) CheckRule(ctx context.Context, rule string) error {
	schema, err := a.Store.ProfileSchema(ctx)
	if err != nil {
		return err
	}
	_, err = segment.CheckRule(rule, schema)
	return err
}

// CheckMapping checks an export's mapping against the stored profiles'
// schema (export.CheckMapping), as the export service does on save: a run
// checks it again when it plans.
func (a *App) CheckMapping(ctx context.Context, m export.Mapping) error {
	schema, err := a.Store.ProfileSchema(ctx)
	if err != nil {
		return err
	}
	return export.CheckMapping(m, schema)
}
