package run

import (
	"context"
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

// Progress is how far a run's send, confirm and untag steps are.
type Progress struct {
	Upserts   int `json:"upserts"`
	Sent      int `json:"sent"`
	Confirmed int `json:"confirmed"`
	Untags    int `json:"untags"`
	Untagged  int `json:"untagged"`
}

// OpFilter selects ops for listing.
type OpFilter struct {
	Status   OpStatus // empty: any
	AfterSeq int64
	Limit    int // 0: 1000
}

// Store is what the pipeline keeps; store.Store implements it on both
// engines.
type Store interface {
	// CreateRun queues a run; ErrActiveRun (wrapped) if the export has one.
	CreateRun(ctx context.Context, exportID int64, trigger Trigger, now time.Time) (Run, error)
	GetRun(ctx context.Context, id int64) (Run, error)
	// ListRuns returns an export's runs, newest first.
	ListRuns(ctx context.Context, exportID int64, limit int) ([]Run, error)
	// SaveRun stores a run's status, step, message, times, requests and counts.
	SaveRun(ctx context.Context, r Run) error
	// RequestCancel flags an active run for cancellation.
	RequestCancel(ctx context.Context, id int64) error

	// ClearPlan forgets a run's ops (a restarted plan).
	ClearPlan(ctx context.Context, runID int64) error
	// StateOf returns the export's confirmed state for those of emails it
	// has, by e-mail.
	StateOf(ctx context.Context, exportID int64, emails []string) (map[string]StateEntry, error)
	// ScanState streams the export's whole confirmed state.
	ScanState(ctx context.Context, exportID int64, fn func(StateEntry) error) error
	// AddOps appends ops (Seq set by the caller, unique per run).
	AddOps(ctx context.Context, ops []Op) error

	// NextUpserts returns up to limit pending upserts not yet in a batch
	// with an Omnisend id: first those of a batch in flight at a crash, then
	// new ones, in seq order.
	NextUpserts(ctx context.Context, runID int64, limit int) ([]Op, error)
	// FreshUpserts returns up to limit pending upserts in no batch yet, in
	// seq order.
	FreshUpserts(ctx context.Context, runID int64, limit int) ([]Op, error)
	// AssignBatch puts ops into batch batchNo.
	AssignBatch(ctx context.Context, runID int64, seqs []int64, batchNo int64) error
	// SetBatchID records Omnisend's batch id on the ops of batchNo with
	// these e-mails.
	SetBatchID(ctx context.Context, runID, batchNo int64, emails []string, batchID string) error
	// OpenBatches lists batches that have pending ops, by number.
	OpenBatches(ctx context.Context, runID int64) ([]BatchRef, error)
	// ResolveBatch marks the pending ops of Omnisend batch batchID as the
	// outcome says, and returns how many it marked.
	ResolveBatch(ctx context.Context, runID int64, batchID string, out BatchOutcome) (int, error)
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
	// FinishRun folds the run's confirmed ops into the export's state and
	// saves r, in one transaction.
	FinishRun(ctx context.Context, r Run) error
}
