package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"segbridge/internal/connection"
	"segbridge/internal/export"
	"segbridge/internal/run"
	"segbridge/internal/segment"
	"segbridge/internal/service"
	"segbridge/internal/store"
	"segbridge/internal/user"
)

// signIn is the message of every 401.
const signIn = "sign in first: send an API token (Authorization: Bearer TOKEN) or the session cookie POST /api/v1/session sets"

// principal returns who the request acts as; no one is a 401.
func principal(ctx context.Context) (user.Principal, error) {
	p, ok := user.FromContext(ctx)
	if !ok || p.Email == "" {
		return user.Principal{}, huma.Error401Unauthorized(signIn)
	}
	return p, nil
}

// admin returns the principal if it is an admin.
func admin(ctx context.Context) (user.Principal, error) {
	p, err := principal(ctx)
	if err == nil && !p.IsAdmin() {
		err = huma.Error403Forbidden(fmt.Sprintf("only admins may do this; you (%s) are a %s", p.Email, p.Role))
	}
	return p, err
}

// mayUse reports whether p may see and use connection c.
func mayUse(p user.Principal, c connection.Connection) bool {
	return p.CanUseConnection(c.Access == connection.AccessContributors)
}

// problem turns a domain error into the API's error: the status that
// says what went wrong, with the error's own one-line message (domain
// errors never carry a secret). Unexpected errors are logged and shown as
// a 500 without their details.
func (s *server) problem(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if perr := classify(err); perr != nil {
		return perr
	}
	s.log.ErrorContext(ctx, "request failed", slog.Any("error", err))
	return huma.Error500InternalServerError("internal error; the server log has the details")
}

// classify maps the errors the domain packages define to their status;
// it returns nil for any other error.
func classify(err error) error {
	var (
		se  huma.StatusError
		fe  *export.FieldError
		re  *segment.RuleError
		che *connection.CheckError
	)
	if e, ok := service.AsError(err); ok {
		return serviceProblem(e)
	}
	switch {
	case errors.As(err, &se):
		return err
	case errors.Is(err, user.ErrBadCredentials), errors.Is(err, user.ErrUnauthenticated):
		return huma.Error401Unauthorized(err.Error())
	case errors.Is(err, user.ErrTooManyAttempts):
		return huma.Error429TooManyRequests(err.Error())
	case errors.Is(err, user.ErrLastAdmin), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInUse),
		errors.Is(err, run.ErrActiveRun), errors.Is(err, connection.ErrBrandChanged):
		return huma.Error409Conflict(err.Error())
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound(err.Error())
	case errors.As(err, &che):
		if che.Problem == connection.ProblemUnreachable || che.Problem == connection.ProblemOmnisend {
			return huma.NewError(502, che.Error())
		}
		return huma.Error422UnprocessableEntity(che.Error())
	case errors.As(err, &fe), errors.As(err, &re), errors.Is(err, connection.ErrConsentRequired),
		errors.Is(err, segment.ErrRuleTooSlow):
		return huma.Error422UnprocessableEntity(err.Error())
	case errors.Is(err, segment.ErrPreviewBusy):
		return busy(err.Error())
	case errors.Is(err, context.Canceled):
		return huma.NewError(499, "the request was cancelled")
	}
	return nil
}

// serviceProblem renders a service error: its kind decides the status,
// and each invalid field is an error detail located in the body.
func serviceProblem(e *service.Error) error {
	var details []error
	for _, f := range e.Fields {
		details = append(details, &huma.ErrorDetail{Location: "body." + f.Field, Message: f.Msg})
	}
	switch e.Kind {
	case service.KindInvalid:
		return huma.Error422UnprocessableEntity(e.Msg, details...)
	case service.KindNotFound:
		return huma.Error404NotFound(e.Msg)
	case service.KindConflict:
		return huma.Error409Conflict(e.Msg)
	case service.KindForbidden:
		return huma.Error403Forbidden(e.Msg)
	case service.KindUnavailable:
		return busy(e.Msg)
	case service.KindUnsupported:
		return huma.Error501NotImplemented(e.Msg)
	}
	return huma.Error500InternalServerError(e.Msg)
}

// invalid is a 422 naming the body field at fault.
func invalid(field, msg string) error {
	return huma.Error422UnprocessableEntity(field+": "+msg, &huma.ErrorDetail{Location: "body." + field, Message: msg})
}

// busy is a 503 asking the client to retry shortly: the server is at one
// of its limits (concurrent previews or uploads).
func busy(msg string) error {
	return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable(msg), http.Header{"Retry-After": {"5"}})
}
