package omnisend

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// KeyInfo is what checking a key found out.
type KeyInfo struct {
	BrandID   string
	BrandName string // empty on v3, whose accounts endpoint has no name
	// CanReadContacts is false when Omnisend refused to list contacts with
	// 403 (a key without the contacts permission).
	CanReadContacts bool
}

// ContactRecord is a contact as Omnisend returns it, in either dialect.
type ContactRecord struct {
	ID               string // "id" (2026-03-15) or "contactID" (v3)
	Email            string
	Status           ChannelStatus // email channel status
	StatusDate       string        // statusChangedAt (2026-03-15) or statusDate (v3)
	FirstName        string
	LastName         string
	Address          string
	City             string
	State            string
	PostalCode       string
	Country          string
	CountryCode      string
	Gender           string
	Birthdate        string
	Tags             []string
	CustomProperties map[string]any
	CreatedAt        string
	UpdatedAt        string
}

// ListContactsOptions filters and pages GET /contacts. Email and Tag may be
// combined with paging; Limit is 1–250 (0: Omnisend's default of 100).
type ListContactsOptions struct {
	Email string
	Tag   string
	// Status filters by e-mail channel status (not with Tag on 2026-03-15).
	Status ChannelStatus
	// UpdatedAtFrom lists the contacts updated at or after it (2026-03-15
	// only; not with Email, Tag or Status).
	UpdatedAtFrom time.Time
	Limit         int
	// After is the cursor from a previous page's Next.
	After string
}

// ContactPage is one page of contacts.
type ContactPage struct {
	Contacts []ContactRecord
	// Next is the cursor of the following page, "" on the last page.
	Next string
}

// BatchStatus is a batch's processing state.
type BatchStatus string

// Batch states.
const (
	BatchPending    BatchStatus = "pending"
	BatchInProgress BatchStatus = "inProgress"
	BatchFinished   BatchStatus = "finished"
	BatchStopped    BatchStatus = "stopped"
)

// Batch is a batch's header.
type Batch struct {
	ID            string      `json:"batchID"`
	Method        string      `json:"method"`
	Endpoint      string      `json:"endpoint"`
	Status        BatchStatus `json:"status"`
	CreatedAt     string      `json:"createdAt"`
	StartedAt     string      `json:"startedAt"`
	EndedAt       string      `json:"endedAt"`
	TotalCount    int         `json:"totalCount"`
	FinishedCount int         `json:"finishedCount"`
	ErrorsCount   int         `json:"errorsCount"`
}

// Done reports whether the batch will not change any more.
func (b Batch) Done() bool { return b.Status == BatchFinished || b.Status == BatchStopped }

// BatchItem is the result of one item of a batch.
type BatchItem struct {
	ItemID       string          `json:"itemID"`
	Status       string          `json:"status"`
	ResponseCode int             `json:"responseCode"`
	Request      json.RawMessage `json:"request"`
	Response     json.RawMessage `json:"response"`
	// Email is the e-mail identifier found in Request, if any.
	Email string `json:"-"`
	// Err is Omnisend's error for the item (ResponseCode ≥ 400), parsed
	// from Response in either format.
	Err *APIError `json:"-"`
}

// BatchItems is a batch's header with its per-item results.
type BatchItems struct {
	Batch
	Errors    []BatchItem
	Responses []BatchItem
}

// ListBatchesOptions filters and pages GET /batches (contacts batches).
type ListBatchesOptions struct {
	Status BatchStatus // optional
	Limit  int         // 1–250; 0: Omnisend's default (100)
	Offset int
}

// BatchPage is one page of batches.
type BatchPage struct {
	Batches []Batch
	// NextOffset is the offset of the following page; 0 on the last page.
	NextOffset int
}

// Wire shapes.

type contactWireResp struct {
	ID               string           `json:"id"`
	ContactID        string           `json:"contactID"`
	Email            string           `json:"email"`
	Status           ChannelStatus    `json:"status"`
	Identifiers      []identifierResp `json:"identifiers"`
	FirstName        string           `json:"firstName"`
	LastName         string           `json:"lastName"`
	Address          string           `json:"address"`
	City             string           `json:"city"`
	State            string           `json:"state"`
	PostalCode       string           `json:"postalCode"`
	Country          string           `json:"country"`
	CountryCode      string           `json:"countryCode"`
	Gender           string           `json:"gender"`
	Birthdate        string           `json:"birthdate"`
	Tags             []string         `json:"tags"`
	CustomProperties map[string]any   `json:"customProperties"`
	CreatedAt        string           `json:"createdAt"`
	UpdatedAt        string           `json:"updatedAt"`
}

type identifierResp struct {
	Type     string                 `json:"type"`
	ID       string                 `json:"id"`
	Channels map[string]channelWire `json:"channels"`
}

func (w contactWireResp) record() ContactRecord {
	r := ContactRecord{
		ID: w.ID, Email: w.Email, Status: w.Status, FirstName: w.FirstName, LastName: w.LastName,
		Address: w.Address, City: w.City, State: w.State, PostalCode: w.PostalCode,
		Country: w.Country, CountryCode: w.CountryCode, Gender: w.Gender, Birthdate: w.Birthdate,
		Tags: w.Tags, CustomProperties: w.CustomProperties, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if r.ID == "" {
		r.ID = w.ContactID
	}
	for _, id := range w.Identifiers {
		if id.Type != "email" {
			continue
		}
		if r.Email == "" {
			r.Email = id.ID
		}
		if ch, ok := id.Channels["email"]; ok {
			if r.Status == "" {
				r.Status = ch.Status
			}
			r.StatusDate = ch.StatusChangedAt + ch.StatusDate
		}
		break
	}
	return r
}

type listContactsWire struct {
	Contacts []contactWireResp `json:"contacts"`
	Paging   struct {
		Next    *string `json:"next"` // v3: full URL of the next page
		HasMore bool    `json:"hasMore"`
		Cursors struct {
			After *string `json:"after"`
		} `json:"cursors"`
	} `json:"paging"`
}

// nextCursor extracts the cursor of the next page. For v3 only the "after"
// parameter of paging.next is used: the client never follows a URL the
// server hands it, so the key cannot be sent to another host.
func (w listContactsWire) nextCursor() string {
	if w.Paging.Cursors.After != nil && w.Paging.HasMore {
		return *w.Paging.Cursors.After
	}
	if w.Paging.Next == nil || *w.Paging.Next == "" {
		return ""
	}
	u, err := url.Parse(*w.Paging.Next)
	if err != nil {
		return ""
	}
	return u.Query().Get("after")
}

type listBatchesWire struct {
	Batches []Batch `json:"batches"`
	Paging  struct {
		Next   *string `json:"next"`
		Offset int     `json:"offset"`
		Limit  int     `json:"limit"`
	} `json:"paging"`
}

func (w listBatchesWire) nextOffset(asked ListBatchesOptions) int {
	if w.Paging.Next == nil || *w.Paging.Next == "" {
		return 0
	}
	if u, err := url.Parse(*w.Paging.Next); err == nil {
		if n, err := strconv.Atoi(u.Query().Get("offset")); err == nil && n > asked.Offset {
			return n
		}
	}
	return asked.Offset + len(w.Batches)
}

type batchItemsWire struct {
	Batch
	Errors    []BatchItem `json:"errors"`
	Responses []BatchItem `json:"responses"`
}
