package run

// OpKind is what an op asks of Omnisend.
type OpKind string

// Op kinds.
const (
	// OpUpsert creates or updates a contact (in a batch).
	OpUpsert OpKind = "upsert"
	// OpUntag removes tags from a contact.
	OpUntag OpKind = "untag"
	// OpTag adds tags to a contact through POST /contacts/tags, once the
	// batch carrying its upsert is confirmed (Target.TagEndpoints).
	OpTag OpKind = "tag"
	// OpSkip records a member that is not sent, with its reason.
	OpSkip OpKind = "skip"
)

// OpStatus is an op's progress.
type OpStatus string

// Op statuses.
const (
	OpPending OpStatus = "pending"
	OpOK      OpStatus = "ok"
	OpFailed  OpStatus = "failed"
	OpSkipped OpStatus = "skipped"
)

// Skip and failure reasons.
const (
	ReasonMissingEmail   = "missing_email"
	ReasonInvalidEmail   = "invalid_email"
	ReasonDuplicateEmail = "duplicate_email"
	ReasonRejected       = "rejected"    // Omnisend refused the contact
	ReasonNotConfirmed   = "unconfirmed" // the batch ended without a result for it
	// ReasonContinued marks an op a failed, cancelled or stopped run left
	// pending: the next run of the export re-planned it.
	ReasonContinued = "continued"
)

// Op is one planned operation of a run: the durable outbox entry that the
// send, confirm and untag steps work through.
type Op struct {
	RunID int64
	Seq   int64
	Kind  OpKind
	Email string
	// ProfileID is the member the op is for (empty for leavers of whom
	// only the e-mail is known).
	ProfileID string
	// New marks an upsert of a contact the export has not sent before.
	New bool
	// Leaves marks an untag of a contact that left every segment of the
	// export: when confirmed, it is dropped from the export's state.
	Leaves bool
	// Contact is the upsert's contact as JSON (omnisend.Contact).
	Contact []byte
	// Hash identifies the contact's content, for the confirmed state.
	Hash string
	// Tags are the contact's segment tags (upsert), the tags to remove
	// (untag) or the tags to add (tag).
	Tags    []string
	Status  OpStatus
	Reason  string
	Message string
	// BatchNo numbers the batch the op was put in (0: none yet); BatchID
	// is Omnisend's id for it, once known.
	BatchNo int64
	BatchID string
}

// StateEntry is what Omnisend is known to hold for one contact of an
// export: the contact as last confirmed (Hash; "" if never confirmed) and
// the segment tags it may carry. Unsure marks a contact a batch carried
// (or was about to) whose outcome is not known: Omnisend may hold it as
// sent or as before, with any of Tags.
type StateEntry struct {
	Email     string
	ProfileID string
	Hash      string
	Tags      []string
	Unsure    bool
}

// Desired is the contact a member should be in Omnisend.
type Desired struct {
	Email     string
	ProfileID string
	Contact   []byte
	Hash      string
	Tags      []string
	// Dropped names what the mapping left out of the contact
	// (export.Dropped.Fields: "phone", "consent_future_date", ...); the
	// run counts the members by each (Counts.Dropped).
	Dropped []string
}
