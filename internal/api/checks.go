package api

import (
	"context"
	"errors"

	"segbridge/internal/export"
)

// checkMapping checks an export's mapping against the profile schema
// before it is saved (app.CheckMapping): a 422 naming the field.
func (s *server) checkMapping(ctx context.Context, m export.Mapping) error {
	err := s.a.CheckMapping(ctx, m)
	var fe *export.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return invalid(fe.Field, fe.Msg)
	}
	return s.problem(ctx, err)
}
