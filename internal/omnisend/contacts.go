package omnisend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// CheckKey verifies the key: it reads the brand (GET /api/brands/current,
// or GET /v3/accounts on v3, which carries no brand name) and then lists one
// contact to prove the key may read contacts. A 403 on the contact list is
// reported as CanReadContacts false, not as an error.
func (c *Client) CheckKey(ctx context.Context) (KeyInfo, error) {
	var brand struct {
		BrandID string `json:"brandID"`
		Name    string `json:"name"`
	}
	path := "/brands/current"
	if c.cfg.Dialect == DialectV3 {
		path = "/accounts"
	}
	_, err := c.do(ctx, call{op: "check key", method: http.MethodGet, api: c.cfg.Dialect,
		path: path, class: ClassGeneral, out: &brand})
	if err != nil {
		return KeyInfo{}, err
	}
	if brand.BrandID == "" {
		return KeyInfo{}, c.fail(call{op: "check key"}, 1, false,
			errors.New("omnisend returned no brandID; check that the API key is correct"))
	}
	info := KeyInfo{BrandID: brand.BrandID, BrandName: brand.Name, CanReadContacts: true}
	_, err = c.ListContacts(ctx, ListContactsOptions{Limit: 1})
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden:
		info.CanReadContacts = false
	case err != nil:
		return info, err
	}
	return info, nil
}

// UpsertResult is the outcome of a single upsert.
type UpsertResult struct {
	ID string
	// Created is true when Omnisend answered 201 (2026-03-15 only; v3
	// answers 200 either way).
	Created bool
}

// UpsertContact creates or updates one contact by e-mail (POST /contacts).
func (c *Client) UpsertContact(ctx context.Context, ct Contact) (UpsertResult, error) {
	if NormalizeEmail(ct.Email) == "" {
		return UpsertResult{}, c.fail(call{op: "upsert contact"}, 0, false, errors.New("contact has no e-mail"))
	}
	var out contactWireResp
	status, err := c.do(ctx, call{op: "upsert contact", method: http.MethodPost, api: c.cfg.Dialect,
		path: "/contacts", body: contactPayload(c.cfg.Dialect, ct), class: ClassGeneral, out: &out})
	if err != nil {
		return UpsertResult{}, err
	}
	r := out.record()
	return UpsertResult{ID: r.ID, Created: status == http.StatusCreated}, nil
}

// ListContacts returns one page of contacts, optionally filtered by e-mail
// or tag. Follow ContactPage.Next with ListContactsOptions.After.
func (c *Client) ListContacts(ctx context.Context, opt ListContactsOptions) (ContactPage, error) {
	if opt.Limit < 0 || opt.Limit > 250 {
		return ContactPage{}, c.fail(call{op: "list contacts"}, 0, false,
			fmt.Errorf("limit must be 1–250, got %d", opt.Limit))
	}
	q := url.Values{}
	if opt.Email != "" {
		q.Set("email", NormalizeEmail(opt.Email))
	}
	if opt.Tag != "" {
		q.Set("tag", opt.Tag)
	}
	if opt.Status != "" {
		q.Set("status", string(opt.Status))
	}
	if !opt.UpdatedAtFrom.IsZero() {
		if c.cfg.Dialect == DialectV3 {
			return ContactPage{}, c.fail(call{op: "list contacts"}, 0, false,
				errors.New("v3 cannot list contacts by update time (updatedAtFrom is 2026-03-15 only)"))
		}
		q.Set("updatedAtFrom", opt.UpdatedAtFrom.UTC().Format(time.RFC3339))
	}
	if opt.Limit > 0 {
		q.Set("limit", strconv.Itoa(opt.Limit))
	}
	if opt.After != "" {
		q.Set("after", opt.After)
	}
	var out listContactsWire
	_, err := c.do(ctx, call{op: "list contacts", method: http.MethodGet, api: c.cfg.Dialect,
		path: "/contacts", query: q, class: ClassGeneral, out: &out})
	if err != nil {
		return ContactPage{}, err
	}
	page := ContactPage{Next: out.nextCursor()}
	for _, w := range out.Contacts {
		page.Contacts = append(page.Contacts, w.record())
	}
	return page, nil
}
