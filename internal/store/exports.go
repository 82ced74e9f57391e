package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"segbridge/internal/export"
)

// ErrInUse is returned (wrapped) when a row cannot be deleted because
// another one depends on it, such as a segment an export sends. The
// message names the dependants.
var ErrInUse = errors.New("in use")

// Exports stores export definitions. An export whose connection was removed
// is kept with ConnectionID 0 (detached); ConnectionName then is the name
// the connection had when the export was last saved.
type Exports interface {
	// CreateExport inserts e (its ID is ignored; CreatedAt and UpdatedAt are
	// stored as given). A taken name (case-insensitively) is ErrConflict; an
	// unknown connection or segment id is ErrNotFound naming it.
	CreateExport(ctx context.Context, e export.Export) (export.Export, error)
	// GetExport finds an export by name (case-insensitively) or, if
	// nameOrID is a number that no name equals, by id.
	GetExport(ctx context.Context, nameOrID string) (export.Export, error)
	// ListExports returns every export ordered by name.
	ListExports(ctx context.Context) ([]export.Export, error)
	// UpdateExport replaces the stored definition of export e.ID with e
	// (CreatedAt is kept). Errors as CreateExport; a missing export is
	// ErrNotFound.
	UpdateExport(ctx context.Context, e export.Export) (export.Export, error)
	// DeleteExport removes export id and its segment list.
	DeleteExport(ctx context.Context, id int64) error
	// ExportsForConnection returns the exports that send to connection id,
	// ordered by name: those that removing it would detach.
	ExportsForConnection(ctx context.Context, connectionID int64) ([]export.Export, error)
}

// InUseError is the ErrInUse error of deleting a segment while exports
// send it: By names them.
type InUseError struct {
	Segment string
	By      []string
}

// Text names the exports: `export "A"` or `exports "A", "B"`.
func (e *InUseError) Text() string {
	quoted := make([]string, len(e.By))
	for i, n := range e.By {
		quoted[i] = strconv.Quote(n)
	}
	if len(quoted) == 1 {
		return "export " + quoted[0]
	}
	return "exports " + strings.Join(quoted, ", ")
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("segment %q is used by %s; remove it from them first (segbridge export update NAME --segment ...): %v",
		e.Segment, e.Text(), ErrInUse)
}

func (e *InUseError) Unwrap() error { return ErrInUse }

// SegmentInUseError is the ErrInUse error of deleting segment name while
// the named exports send it.
func SegmentInUseError(name string, exports []string) error {
	return &InUseError{Segment: name, By: exports}
}

// ExportSettings encodes the export columns both engines store the same
// way: the consent policy ("" is keep) and the removal brake as JSON.
func ExportSettings(e export.Export) (policy string, brake []byte, err error) {
	policy = string(e.ConsentPolicy)
	if policy == "" {
		policy = string(export.ConsentKeep)
	}
	brake, err = json.Marshal(e.Brake)
	if err != nil {
		return "", nil, fmt.Errorf("encode the removal brake: %w", err)
	}
	return policy, brake, nil
}
