package omnisend

import (
	"context"
	"errors"
)

// MaxContactsPage is the most contacts one GET /contacts returns.
const MaxContactsPage = 250

// GetContact looks a contact up by e-mail (GET /contacts?email=…, one
// request; Omnisend answers a list, empty when there is no such contact).
// found is false when Omnisend has none.
func (c *Client) GetContact(ctx context.Context, email string) (rec ContactRecord, found bool, err error) {
	email = NormalizeEmail(email)
	if email == "" {
		return ContactRecord{}, false, c.fail(call{op: "get contact"}, 0, false, errors.New("no e-mail given"))
	}
	page, err := c.ListContacts(ctx, ListContactsOptions{Email: email, Limit: 1})
	if err != nil {
		return ContactRecord{}, false, err
	}
	for _, r := range page.Contacts {
		if NormalizeEmail(r.Email) == email {
			return r, true, nil
		}
	}
	return ContactRecord{}, false, nil
}

// EachContact pages through every contact opt selects, MaxContactsPage at
// a time unless opt.Limit is set, calling fn for each page in Omnisend's
// order. It stops at the first error, fn's included.
func (c *Client) EachContact(ctx context.Context, opt ListContactsOptions, fn func([]ContactRecord) error) error {
	if opt.Limit == 0 {
		opt.Limit = MaxContactsPage
	}
	for {
		page, err := c.ListContacts(ctx, opt)
		if err != nil {
			return err
		}
		if err := fn(page.Contacts); err != nil {
			return err
		}
		if page.Next == "" || len(page.Contacts) == 0 {
			return nil
		}
		opt.After = page.Next
	}
}
