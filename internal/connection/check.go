package connection

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"segbridge/internal/omnisend"
)

// Problem names why a key check failed.
type Problem string

const (
	// ProblemWrongKey: Omnisend does not know the key (HTTP 401).
	ProblemWrongKey Problem = "wrong_key"
	// ProblemReadOnly: the key may read but not write contacts; exports
	// need to write them.
	ProblemReadOnly Problem = "read_only"
	// ProblemPermissions: the key lacks another permission the check needs
	// (reading the brand or contacts).
	ProblemPermissions Problem = "permissions"
	// ProblemUnreachable: no answer from Omnisend at the base URL.
	ProblemUnreachable Problem = "unreachable"
	// ProblemOmnisend: Omnisend answered with an error that says nothing
	// about the key (rate limit, server error, retired API version, ...).
	ProblemOmnisend Problem = "omnisend"
)

// CheckError is a failed key check: what went wrong, in one sentence that
// never contains the key, and the client's error as its cause.
type CheckError struct {
	Problem Problem
	Msg     string
	Err     error
}

func (e *CheckError) Error() string { return e.Msg }

func (e *CheckError) Unwrap() error { return e.Err }

// probeEmail and probeTag make the write check: removing a tag that no
// contact has from an address that cannot exist changes nothing, but
// Omnisend refuses it (403) to a key without the contacts write
// permission, which every export needs.
const (
	probeEmail = "segbridge-key-check@example.invalid"
	probeTag   = "segbridge: key-check"
)

// target is what a key check talks to.
type target struct {
	dialect omnisend.Dialect
	baseURL string
	key     omnisend.Secret
}

// check proves that the key works for exports: it names a brand, may read
// contacts, and may write them.
func (s *Service) check(ctx context.Context, t target) (Brand, error) {
	client, err := omnisend.New(omnisend.Config{
		BaseURL: t.baseURL, Dialect: t.dialect, APIKey: t.key,
		Timeout: s.cfg.Timeout, Retry: s.cfg.Retry, HTTPClient: s.cfg.HTTPClient, Logger: s.cfg.Logger,
	})
	if err != nil {
		return Brand{}, fmt.Errorf("check the API key: %w", err)
	}
	info, err := client.CheckKey(ctx)
	if err != nil {
		return Brand{}, classify(ctx, t, "read the brand", err)
	}
	brand := Brand{ID: info.BrandID, Name: info.BrandName}
	if !info.CanReadContacts {
		return brand, &CheckError{Problem: ProblemPermissions,
			Msg: fmt.Sprintf("the API key of brand %s may not read contacts; exports need an API key with the contacts read and write permissions", brand.Label())}
	}
	if err := client.RemoveTags(ctx, []string{probeEmail}, []string{probeTag}); err != nil {
		return brand, classify(ctx, t, "write contacts", err)
	}
	return brand, nil
}

// classify turns a client error into one clear sentence.
func classify(ctx context.Context, t target, step string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("check the API key: %w", ctx.Err())
	}
	var apiErr *omnisend.APIError
	if !errors.As(err, &apiErr) {
		cause := err
		var oe *omnisend.Error
		if errors.As(err, &oe) && oe.Err != nil {
			cause = oe.Err
		}
		return &CheckError{Problem: ProblemUnreachable, Err: err,
			Msg: fmt.Sprintf("cannot reach Omnisend at %s: %v", t.baseURL, cause)}
	}
	e := &CheckError{Problem: ProblemOmnisend, Err: err}
	var oe *omnisend.Error
	if errors.As(err, &oe) && oe.Retryable {
		// The client's classifier found it transient (a 429, a 5xx, v3's
		// "blocked due to many errors" 403) and the check gave up waiting.
		e.Msg = fmt.Sprintf("Omnisend could not %s right now (HTTP %d %s); try again later", step, apiErr.Status, apiErr.Title)
		return e
	}
	switch {
	case apiErr.Status == http.StatusUnauthorized:
		e.Problem, e.Msg = ProblemWrongKey, "Omnisend rejected the API key (HTTP 401): check that you copied the whole key, "+
			"that it has not been revoked, and that it is for "+t.baseURL
	case apiErr.Status == http.StatusForbidden && step == "write contacts":
		e.Problem, e.Msg = ProblemReadOnly, "the API key is read-only: Omnisend refused to let it write contacts (HTTP 403), "+
			"and exports write contacts; create an API key with the contacts read and write permissions in Omnisend"
	case apiErr.Status == http.StatusForbidden:
		e.Problem, e.Msg = ProblemPermissions, fmt.Sprintf("the API key may not %s (HTTP 403: %s); "+
			"create an API key with the brand and contacts permissions in Omnisend", step, apiErr.Message)
	case apiErr.Status == http.StatusGone:
		e.Msg = fmt.Sprintf("Omnisend no longer serves the %s API (HTTP 410): %s", t.dialect, apiErr.Message)
	default:
		e.Msg = fmt.Sprintf("Omnisend refused to %s: %v", step, apiErr)
	}
	return e
}
