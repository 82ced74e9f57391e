package run

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Diff formats: CSV (one row per contact; the changed fields in one
// column as "field: old → new; …", tags joined with "|") and JSON Lines
// (one DiffRow a line).
const (
	DiffCSV   = "csv"
	DiffJSONL = "jsonl"
)

// DiffHeader is the CSV diff's header row.
var DiffHeader = []string{"email", "action", "reason", "changes", "old_unknown", "tags_added", "tags_removed"}

// DiffWriter writes a preview's diff rows as they come (nothing is kept).
type DiffWriter struct {
	format string
	w      io.Writer
	csv    *csv.Writer
	enc    *json.Encoder
}

// NewDiffWriter writes format (DiffCSV or DiffJSONL) to w; CSV starts with
// DiffHeader.
func NewDiffWriter(w io.Writer, format string) (*DiffWriter, error) {
	d := &DiffWriter{format: format, w: w}
	switch format {
	case DiffCSV:
		d.csv = csv.NewWriter(w)
		if err := d.csv.Write(DiffHeader); err != nil {
			return nil, err
		}
	case DiffJSONL:
		d.enc = json.NewEncoder(w)
	default:
		return nil, fmt.Errorf("diff format %q: want %s or %s", format, DiffCSV, DiffJSONL)
	}
	return d, nil
}

// DiffFormatOf returns the diff format a file name's extension names
// (.csv, .jsonl or .ndjson), or "".
func DiffFormatOf(name string) string {
	switch {
	case strings.HasSuffix(strings.ToLower(name), ".csv"):
		return DiffCSV
	case strings.HasSuffix(strings.ToLower(name), ".jsonl"), strings.HasSuffix(strings.ToLower(name), ".ndjson"):
		return DiffJSONL
	}
	return ""
}

// Write writes one row.
func (d *DiffWriter) Write(r DiffRow) error {
	if d.enc != nil {
		return d.enc.Encode(r)
	}
	changes := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		changes[i] = f.Field + ": " + f.Old + " → " + f.New
	}
	unknown := ""
	if r.OldUnknown {
		unknown = "true"
	}
	return d.csv.Write([]string{r.Email, r.Action, r.Reason, strings.Join(changes, "; "), unknown,
		strings.Join(r.TagsAdded, "|"), strings.Join(r.TagsRemoved, "|")})
}

// Flush writes out what is buffered (CSV) and reports a write error.
func (d *DiffWriter) Flush() error {
	if d.csv != nil {
		d.csv.Flush()
		return d.csv.Error()
	}
	return nil
}
