package notify

import (
	"context"
	"time"

	"segbridge/internal/export"
	"segbridge/internal/run"
)

// DeliveryStatus is where a delivery is.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryFailed: given up (attempts used up, or an answer that
	// retrying cannot change).
	DeliveryFailed DeliveryStatus = "failed"
)

// Delivery is one notification to one channel, with its attempts.
type Delivery struct {
	ID        int64
	ChannelID int64
	// Channel is the channel's name (filled by ListNotifyDeliveries).
	Channel string
	// NotificationID is the payload's id (unique; receivers can drop
	// repeats by it).
	NotificationID string
	// Event is the payload's event ("alert", "run.failed", "test").
	Event string
	// Summary is a line for people (the payload's text, shortened).
	Summary string
	RunID   int64
	// Payload is the notification's JSON (docs/notifications.schema.json);
	// it never holds a secret.
	Payload     []byte
	Status      DeliveryStatus
	Attempts    int
	MaxAttempts int
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
	FinishedAt  time.Time
	// ClaimedBy and ClaimedUntil: the process sending it now.
	ClaimedBy    string
	ClaimedUntil time.Time
	// History is every attempt, oldest first (ListNotifyDeliveries).
	History []Attempt
}

// Attempt is one try at a delivery and the answer.
type Attempt struct {
	ID         int64
	DeliveryID int64
	At         time.Time
	Duration   time.Duration
	// Code is the HTTP status or the SMTP reply code; 0 without an
	// answer.
	Code int
	// Response is the start of the answer (at most 500 bytes).
	Response string
	// Error says in words why it failed ("" when OK).
	Error string
	OK    bool
}

// Claim asks for due deliveries: pending, NextAttempt not after Now, not
// claimed by a live claim, on no channel in Skip; they are claimed for
// Owner until Until.
type Claim struct {
	Owner string
	Now   time.Time
	Until time.Time
	Limit int
	Skip  []int64
}

// DeliveryFilter selects deliveries for the history, newest first.
type DeliveryFilter struct {
	ChannelID int64 // 0: every channel
	Before    int64 // ids below this one (0: from the newest)
	Limit     int   // 0: 50
}

// Storage is what notify keeps; store.Store implements it on both engines.
type Storage interface {
	// CreateNotifyChannel inserts c (its ID and Health ignored) and, in
	// the same transaction, the sealed secrets seal returns for the new
	// id. A taken name (case-insensitively) is store.ErrConflict.
	CreateNotifyChannel(ctx context.Context, c Channel, seal func(id int64) ([]byte, error)) (Channel, error)
	// GetNotifyChannel finds a channel by name (case-insensitively) or,
	// if nameOrID is a number no name equals, by id.
	GetNotifyChannel(ctx context.Context, nameOrID string) (Channel, error)
	// ListNotifyChannels returns every channel ordered by name.
	ListNotifyChannels(ctx context.Context) ([]Channel, error)
	// NotifyChannelSecret returns channel id's sealed secrets.
	NotifyChannelSecret(ctx context.Context, id int64) ([]byte, error)
	// DeleteNotifyChannel removes a channel, its rules and deliveries.
	DeleteNotifyChannel(ctx context.Context, id int64) error

	// CreateNotifyRule inserts r (its ID ignored). An unknown export or
	// channel is store.ErrNotFound.
	CreateNotifyRule(ctx context.Context, r Rule) (Rule, error)
	// ListNotifyRules returns every rule by id.
	ListNotifyRules(ctx context.Context) ([]Rule, error)
	DeleteNotifyRule(ctx context.Context, id int64) error

	// AddNotifyEvent appends e to the outbox, unless an event with its
	// Key is there already; it reports whether it added it.
	AddNotifyEvent(ctx context.Context, e Event) (bool, error)
	// PendingNotifyEvents returns up to limit unprocessed events, oldest
	// first.
	PendingNotifyEvents(ctx context.Context, limit int) ([]Event, error)
	// NotifyConditions returns the rules' stored conditions of subject.
	NotifyConditions(ctx context.Context, subject string) ([]Condition, error)
	// ApplyNotifyEvent, in one transaction, stores the changed
	// conditions, adds the deliveries (pending, due at their
	// NextAttempt) and marks event eventID processed at now. An event
	// processed already is left alone (nothing is added twice).
	ApplyNotifyEvent(ctx context.Context, eventID int64, conds []Condition, ds []Delivery, now time.Time) error
	// AcquireNotifyLease makes owner the holder of lease name until
	// now+ttl (or renews it), unless another owner's lease is live; it
	// reports whether owner holds it.
	AcquireNotifyLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)

	// AddNotifyDelivery adds one delivery as given (a test message, which
	// its sender has claimed).
	AddNotifyDelivery(ctx context.Context, d Delivery) (Delivery, error)
	// ClaimNotifyDeliveries claims due deliveries as c says, due first.
	ClaimNotifyDeliveries(ctx context.Context, c Claim) ([]Delivery, error)
	// RecordNotifyAttempt, in one transaction, appends attempt a, sets
	// the delivery's status, attempts, next attempt and last error as d
	// says (releasing the claim), and updates the channel's health: a
	// success clears it, a failure counts one more and marks the channel
	// failing from failingAfter failures on.
	RecordNotifyAttempt(ctx context.Context, a Attempt, d Delivery, failingAfter int) error
	// ListNotifyDeliveries returns deliveries newest first with their
	// attempts.
	ListNotifyDeliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// PruneNotify deletes processed events and finished deliveries older
	// than before, and returns how many rows it deleted.
	PruneNotify(ctx context.Context, before time.Time) (int, error)
}

// Store is what a Service needs: Storage and lookups of exports and runs.
type Store interface {
	Storage
	GetExport(ctx context.Context, nameOrID string) (export.Export, error)
	// ListRuns returns an export's runs, newest first.
	ListRuns(ctx context.Context, exportID int64, limit int) ([]run.Run, error)
}
