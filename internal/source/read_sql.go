package source

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"segbridge/internal/profile"
)

// columnReader turns a database row into a Row: its values are given as
// Go values (see plainValue), in the order of the columns.
type columnReader struct {
	s        Source
	columns  []string
	idIdx    int
	cursor   int // index of the cursor column, -1 without one
	res      *ReadResult
	fn       func(Row) error
	max      *CursorValue // the largest cursor value read
	maxValue any
}

func newColumnReader(s Source, columns []string, res *ReadResult, fn func(Row) error) (*columnReader, error) {
	cr := &columnReader{s: s, columns: columns, idIdx: -1, cursor: -1, res: res, fn: fn}
	for i, c := range columns {
		if c == s.IDColumn {
			cr.idIdx = i
		}
		if s.Cursor != "" && c == s.Cursor {
			cr.cursor = i
		}
	}
	if cr.idIdx < 0 {
		return nil, readErr(s, nil, "the query returns no column %q for the id (its columns: %s)", s.IDColumn, strings.Join(columns, ", "))
	}
	if s.Cursor != "" && cr.cursor < 0 {
		return nil, readErr(s, nil, "the query returns no column %q for the cursor (its columns: %s)", s.Cursor, strings.Join(columns, ", "))
	}
	res.Columns = columns
	return cr, nil
}

// row reads one row of plain values (string, int64, float64, bool,
// time.Time or nil).
func (cr *columnReader) row(vals []any) error {
	if cr.cursor >= 0 {
		cr.see(vals[cr.cursor])
	}
	id := idText(textOf(vals[cr.idIdx]))
	if id == "" {
		cr.res.reject(fmt.Sprintf("a row has no id in column %q", cr.s.IDColumn))
		return nil
	}
	attrs := make(profile.Attrs, len(vals))
	for i, v := range vals {
		v = textOf(v)
		if v == nil {
			continue
		}
		if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
			continue
		}
		tv, err := profile.TypeValue(cr.columns[i], v, cr.s.Types)
		if err != nil {
			cr.res.reject(fmt.Sprintf("id %s: column %q: %s", id, cr.columns[i], err.Error()))
			return nil
		}
		attrs[cr.columns[i]] = tv
	}
	return cr.fn(rowOf(cr.s, id, attrs))
}

// see keeps the largest cursor value.
func (cr *columnReader) see(v any) {
	var cv CursorValue
	switch x := v.(type) {
	case nil:
		return
	case int64:
		cv = CursorValue{Type: "int", Value: strconv.FormatInt(x, 10)}
		if m, ok := cr.maxValue.(int64); ok && x <= m {
			return
		}
	case float64:
		cv = CursorValue{Type: "float", Value: strconv.FormatFloat(x, 'g', -1, 64)}
		if m, ok := cr.maxValue.(float64); ok && x <= m {
			return
		}
	case time.Time:
		cv = CursorValue{Type: "time", Value: x.Format(time.RFC3339Nano)}
		if m, ok := cr.maxValue.(time.Time); ok && !x.After(m) {
			return
		}
	default:
		s := fmt.Sprint(v)
		cv = CursorValue{Type: "text", Value: s}
		if m, ok := cr.maxValue.(string); ok && s <= m {
			return
		}
		v = s
	}
	cr.max, cr.maxValue = &cv, v
}

// finish stores the cursor reached in the read's state.
func (cr *columnReader) finish() {
	if cr.max != nil {
		cr.res.State.Cursor = cr.max
	}
}

// Arg is the cursor value as a query argument of its type.
func (c CursorValue) Arg() any {
	switch c.Type {
	case "int":
		if n, err := strconv.ParseInt(c.Value, 10, 64); err == nil {
			return n
		}
	case "float":
		if f, err := strconv.ParseFloat(c.Value, 64); err == nil {
			return f
		}
	case "time":
		if t, err := time.Parse(time.RFC3339Nano, c.Value); err == nil {
			return t
		}
	}
	return c.Value
}

// textOf turns a time into the text an attribute holds (RFC 3339, UTC).
func textOf(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return v
}

// plainValue turns what a driver returns into a string, int64, float64,
// bool, time.Time or nil.
func plainValue(v any) any {
	switch x := v.(type) {
	case nil, string, int64, float64, bool, time.Time:
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return strconv.FormatUint(x, 10)
	case float32:
		return float64(x)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return fmt.Sprintf("%x", x)
	case [16]byte: // a UUID
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case *big.Int:
		return x.String()
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
