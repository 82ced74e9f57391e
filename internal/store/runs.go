package store

import (
	"encoding/json"

	"segbridge/internal/run"
)

// TagsJSON is how both engines store a list of tags: a JSON array.
func TagsJSON(tags []string) string {
	if len(tags) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(tags) // a []string always marshals
	return string(b)
}

// ParseTags reads what TagsJSON wrote.
func ParseTags(s string) []string {
	var tags []string
	_ = json.Unmarshal([]byte(s), &tags) // written by TagsJSON
	return tags
}

// FirstBatch returns the leading ops that share the first op's batch
// number: a batch in flight at a crash is resent alone, as it was.
func FirstBatch(ops []run.Op) []run.Op {
	n := 0
	for n < len(ops) && ops[n].BatchNo == ops[0].BatchNo {
		n++
	}
	return ops[:n]
}
