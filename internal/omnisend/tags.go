package omnisend

import (
	"context"
	"fmt"
	"net/http"
)

// tagsWire is the body of POST and DELETE /api/contacts/tags.
type tagsWire struct {
	Emails []string `json:"emails"`
	Tags   []string `json:"tags"`
}

// AddTags adds tags to the contacts with the given e-mails (POST
// /api/contacts/tags; at most 250 e-mails and 100 tags). Omnisend applies
// it asynchronously and ignores unknown e-mails. The call is idempotent, so
// it is retried like any other. v3 clients use the 2026-03-15 route (v3 has
// none) with the same key.
func (c *Client) AddTags(ctx context.Context, emails, tags []string) error {
	return c.tags(ctx, "add tags", http.MethodPost, emails, tags)
}

// RemoveTags removes tags from the contacts with the given e-mails (DELETE
// /api/contacts/tags, with a JSON body; same limits as AddTags).
func (c *Client) RemoveTags(ctx context.Context, emails, tags []string) error {
	return c.tags(ctx, "remove tags", http.MethodDelete, emails, tags)
}

func (c *Client) tags(ctx context.Context, op, method string, emails, tags []string) error {
	cl := call{op: op, method: method, api: Dialect20260315, path: "/contacts/tags", class: ClassTags}
	if err := checkTagArgs(emails, tags); err != nil {
		return c.fail(cl, 0, false, err)
	}
	norm := make([]string, len(emails))
	for i, e := range emails {
		norm[i] = NormalizeEmail(e)
	}
	cl.body = tagsWire{Emails: norm, Tags: tags}
	_, err := c.do(ctx, cl)
	return err
}

func checkTagArgs(emails, tags []string) error {
	switch {
	case len(emails) == 0 || len(emails) > MaxTagEmails:
		return fmt.Errorf("need 1–%d e-mails, got %d", MaxTagEmails, len(emails))
	case len(tags) == 0 || len(tags) > MaxTagsPerCall:
		return fmt.Errorf("need 1–%d tags, got %d", MaxTagsPerCall, len(tags))
	}
	for i, e := range emails {
		if NormalizeEmail(e) == "" {
			return fmt.Errorf("e-mail %d is empty", i)
		}
	}
	for i, t := range tags {
		if t == "" {
			return fmt.Errorf("tag %d is empty", i)
		}
	}
	return nil
}
