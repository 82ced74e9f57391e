package run

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// BatchRef names a batch of a run: segbridge's number and Omnisend's id.
type BatchRef struct {
	No int64
	ID string
}

// BatchOutcome is what Omnisend reported for a batch that is done.
type BatchOutcome struct {
	// Failed maps e-mails of failed items to Omnisend's message.
	Failed map[string]string
	// Stopped marks a batch Omnisend stopped part-way: then only the
	// e-mails in OK succeeded, and every other op of the batch failed as
	// ReasonNotConfirmed. Otherwise every op not in Failed succeeded.
	Stopped bool
	OK      map[string]bool
}

// Progress is how far a run's send, confirm and untag steps are, and
// whether it is waiting out an Omnisend outage.
type Progress struct {
	Upserts   int `json:"upserts"`
	Sent      int `json:"sent"`
	Confirmed int `json:"confirmed"`
	Untags    int `json:"untags"`
	Untagged  int `json:"untagged"`
	// WaitingSince is when Omnisend last answered before the outage the
	// run is waiting out (zero when it is not waiting); WaitingCause is
	// the latest failure.
	WaitingSince time.Time `json:"waiting_since,omitzero"`
	WaitingCause string    `json:"waiting_cause,omitempty"`
}

// Waiting describes the outage a run waits out, or "" when it does not.
func (p Progress) Waiting() string {
	if p.WaitingSince.IsZero() {
		return ""
	}
	return "waiting for Omnisend since " + p.WaitingSince.UTC().Format("2006-01-02 15:04:05 MST") + " (" + p.WaitingCause + ")"
}

// OpFilter selects ops for listing (and counting: CountOps ignores Limit).
type OpFilter struct {
	Status OpStatus // empty: any
	// Action is a result's action (add, update, tag, untag, skip: see
	// Op.Action); empty: any.
	Action string
	// Reason is a skip or failure reason (see ReasonText); empty: any.
	Reason string
	// Email keeps the ops whose e-mail starts with it (e-mails are stored
	// lower-cased); empty: any.
	Email string
	// AfterSeq lists the first Limit ops after it; BeforeSeq (when set)
	// the last Limit ops before it. Both list in seq order.
	AfterSeq  int64
	BeforeSeq int64
	Limit     int // 0: 1000
}

// Valid checks the filter's status and action, naming what is wrong.
func (f OpFilter) Valid() error {
	switch f.Status {
	case "", OpOK, OpFailed, OpSkipped, OpPending:
	default:
		return fmt.Errorf("status %q: want ok, failed, skipped or pending", f.Status)
	}
	if f.Action != "" && !slices.Contains(ResultActions, f.Action) {
		return fmt.Errorf("action %q: want add, update, tag, untag or skip", f.Action)
	}
	return nil
}

// TidyAfter is how many contacts a run must have added, updated, untagged
// or failed for its end to tidy the state (Store.TidyState), and how many
// it must have marked unsure while sending before it first analyzes the
// state (Store.AnalyzeState); it analyzes it again each time that count
// doubles.
const TidyAfter = 10000

// Store is what the pipeline keeps; store.Store implements it on both
// engines.
type Store interface {
	// CreateRun queues a run; ErrActiveRun (wrapped) if the export has one.
	CreateRun(ctx context.Context, exportID int64, trigger Trigger, now time.Time) (Run, error)
	GetRun(ctx context.Context, id int64) (Run, error)
	// ListRuns returns an export's runs, newest first.
	ListRuns(ctx context.Context, exportID int64, limit int) ([]Run, error)
	// SaveRun stores a run's status, step, message, times, counts and
	// hold reason (not its requests: AddRequests counts those; nor its
	// hold's decision: DecideHold records that).
	SaveRun(ctx context.Context, r Run) error
	// AcquireLease makes owner the run's one executor until now+ttl, or
	// renews owner's lease. A live lease of another owner gives a
	// *LeaseError.
	AcquireLease(ctx context.Context, runID int64, owner string, now time.Time, ttl time.Duration) error
	// ReleaseLease gives up owner's lease on the run, if it holds it.
	ReleaseLease(ctx context.Context, runID int64, owner string) error
	// FailStaleRun fails run id with message if it is stale at now
	// (running, no live lease: see Run.Stale), and reports whether it did.
	FailStaleRun(ctx context.Context, id int64, now time.Time, message string) (bool, error)
	// AddRequests adds n to the run's count of Omnisend requests.
	AddRequests(ctx context.Context, runID int64, n int) error
	// SetRunStarter records the signed-in user who started a run by hand
	// (Run.StartedBy).
	SetRunStarter(ctx context.Context, runID, userID int64) error
	// RequestCancel flags an active run for cancellation.
	RequestCancel(ctx context.Context, id int64) error
	// DecideHold records decision d (by, at now) on held run runID whose
	// untags wait for one (or were being discarded: discarding again is
	// allowed), and sets its message. Approved, the run is queued again;
	// discarded, it stays held until Discard finishes it. A run in any
	// other state gives ErrNotHeld, wrapped. (SaveRun never writes the
	// decision.)
	DecideHold(ctx context.Context, runID int64, d Decision, by, message string, now time.Time) error

	// ClearPlan forgets a run's ops (a restarted plan).
	ClearPlan(ctx context.Context, runID int64) error
	// StateOf returns the export's confirmed state for those of emails it
	// has, by e-mail.
	StateOf(ctx context.Context, exportID int64, emails []string) (map[string]StateEntry, error)
	// ScanState streams the export's whole confirmed state.
	ScanState(ctx context.Context, exportID int64, fn func(StateEntry) error) error
	// StateOfProfiles returns the export's confirmed state entries of
	// the profiles ids (any order).
	StateOfProfiles(ctx context.Context, exportID int64, ids []string) ([]StateEntry, error)
	// UnsureState returns the export's unsure state entries.
	UnsureState(ctx context.Context, exportID int64) ([]StateEntry, error)
	// CountState counts the export's state entries, up to atMost when it
	// is positive (a count that reaches it stops there).
	CountState(ctx context.Context, exportID int64, atMost int) (int, error)
	// RelinkState gives each of entries' e-mails in the export's state to
	// its ProfileID (nothing else changes).
	RelinkState(ctx context.Context, exportID int64, entries []StateEntry) error
	// RetryProfiles returns the profile ids of run runID's ops that
	// failed, or that were skipped other than as a member's skip op (left
	// pending, discarded), without duplicates.
	RetryProfiles(ctx context.Context, runID int64) ([]string, error)
	// ExportSkips returns the members the export skips as its latest
	// plan decided (KeepSkips), as skip ops (profile id, e-mail, reason).
	ExportSkips(ctx context.Context, exportID int64) ([]Op, error)
	// KeepSkips records a plan's skipped members as the export's (see
	// ExportSkips): a full plan's replace them all; a changes-only plan's
	// replace those of the profiles it read again (reread).
	KeepSkips(ctx context.Context, exportID int64, full bool, reread []string, skips []Op) error
	// SetRunPlan records how a run is asked to plan, or planned (SaveRun
	// records it too).
	SetRunPlan(ctx context.Context, runID int64, p PlanInfo) error
	// AddOps appends ops (Seq set by the caller, unique per run).
	AddOps(ctx context.Context, ops []Op) error

	// NextUpserts returns up to limit pending upserts not yet in a batch
	// with an Omnisend id: first those of a batch in flight at a crash, then
	// new ones, in seq order.
	NextUpserts(ctx context.Context, runID int64, limit int) ([]Op, error)
	// FreshUpserts returns up to limit pending upserts in no batch yet, in
	// seq order.
	FreshUpserts(ctx context.Context, runID int64, limit int) ([]Op, error)
	// AssignBatch puts ops (upserts of one run) into batch batchNo and, in
	// the same transaction, marks their contacts unsure in the export's
	// state (tags: the union of the state's and the op's; the last
	// confirmed hash kept): from here on the request may reach Omnisend.
	AssignBatch(ctx context.Context, exportID int64, ops []Op, batchNo int64, now time.Time) error
	// SetBatchID records Omnisend's batch id on the ops of batchNo with
	// these e-mails.
	SetBatchID(ctx context.Context, runID, batchNo int64, emails []string, batchID string) error
	// OpenBatches lists batches that have pending ops, by number.
	OpenBatches(ctx context.Context, runID int64) ([]BatchRef, error)
	// ResolveBatch marks the pending ops of Omnisend batch batchID as the
	// outcome says and, in the same transaction, folds the confirmed ones
	// into the export's state (their hash and profile); it returns how
	// many ops it marked.
	ResolveBatch(ctx context.Context, runID int64, batchID string, out BatchOutcome, now time.Time) (int, error)
	// ResolveUntags sets the status of untag ops of one run and, when st
	// is OpOK, folds them into the export's state in the same
	// transaction: a leaver leaves it, other contacts lose the tags.
	ResolveUntags(ctx context.Context, exportID int64, ops []Op, st OpStatus, reason, message string) error
	// AbandonOps marks the run's pending ops skipped with reason and
	// message (a later run carries them over) and returns how many. In the
	// same transaction the contacts of its pending tag ops become unsure in
	// the export's state: Omnisend may lack those tags, so the next plan
	// sends them again.
	AbandonOps(ctx context.Context, runID int64, reason, message string) (int, error)
	// PendingTags returns up to limit pending tag ops with seq > afterSeq,
	// in seq order.
	PendingTags(ctx context.Context, runID, afterSeq int64, limit int) ([]Op, error)
	// ResolveTags sets the status of tag ops of one run; unless st is
	// OpOK their contacts become unsure in the export's state, in the same
	// transaction (the tags they lack are sent again by the next run).
	// (An added tag is in the state already: AssignBatch put it there.)
	ResolveTags(ctx context.Context, exportID int64, ops []Op, st OpStatus, reason, message string) error
	// PendingUntags returns up to limit pending untag ops in seq order.
	PendingUntags(ctx context.Context, runID int64, limit int) ([]Op, error)
	// SetOpStatus sets the status of ops.
	SetOpStatus(ctx context.Context, runID int64, seqs []int64, st OpStatus, reason, message string) error

	// CountOps summarises a run's ops.
	CountOps(ctx context.Context, runID int64) (Counts, error)
	// CountProgress counts a run's progress from its ops. It reads every
	// op of the run, so only the executor calls it, when a run resumes.
	CountProgress(ctx context.Context, runID int64) (Progress, error)
	// SaveProgress records how far a run is (the executor, a few times a
	// second at most).
	SaveProgress(ctx context.Context, runID int64, p Progress) error
	// RunProgress returns the progress last saved: cheap, for the
	// interfaces that poll a run while it works.
	RunProgress(ctx context.Context, runID int64) (Progress, error)
	ListOps(ctx context.Context, runID int64, f OpFilter) ([]Op, error)
	// CountListed counts the ops ListOps would list with f, its Limit
	// aside (AfterSeq and BeforeSeq bound it when set).
	CountListed(ctx context.Context, runID int64, f OpFilter) (int, error)
	// FinishRun saves r as finished. (The export's state already holds
	// everything the run confirmed: ResolveBatch and ResolveUntags fold it
	// as it is confirmed.)
	FinishRun(ctx context.Context, r Run) error
	// TidyState tidies the exports' state after a run changed much of it
	// (TidyAfter contacts or more): PostgreSQL's statistics of a state that
	// grew from nothing to a million contacts in one run stay those of the
	// empty table until autovacuum comes round, and the next plan's lookups
	// then walk the whole state instead of its key (a run an hour later
	// finds it done; one started at once does not); every contact a run
	// sent was marked unsure and confirmed, leaving a dead entry in the
	// unsure index for each. SQLite, whose hot statements name their
	// indexes, has nothing to do.
	TidyState(ctx context.Context) error
	// AnalyzeState refreshes the statistics of the state while a run
	// grows it: each batch looks up its contacts' state, and with the
	// statistics of a small state PostgreSQL walked all of it for every
	// batch (0.6 s a batch at 650,000 contacts).
	AnalyzeState(ctx context.Context) error
}
