package api

import (
	"context"
	"errors"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/export"
	"segbridge/internal/segment"
)

// checkRule checks a rule against the profile schema before it is saved
// (app.CheckRule): a rule error is a 422 at body.rule.
func (s *server) checkRule(ctx context.Context, rule string) error {
	err := s.a.CheckRule(ctx, rule)
	var re *segment.RuleError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "body.rule", Message: err.Error()})
	}
	return s.problem(ctx, err)
}

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
