package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("id,email,age\nC1,a@example.com,42\n"))
	f.Add([]byte("\uFEFFid;name;vip\r\nC1;\"Ann; \"\"A\"\"\nLee\";true\r\n;x;y\r\n"))
	f.Add([]byte("id\tv\nC1\t1e3\nC2\t007\tzz\nC3\t\"bare\"quote\n"))
	f.Add([]byte("a,id\n\"unterminated,C1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRead(t, data, ReadOptions{Format: FormatCSV, IDColumn: "id"})
	})
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"C1","a":1,"b":1.5,"c":true,"d":null,"e":""}` + "\n"))
	f.Add([]byte("\uFEFF{\"id\":7,\"s\":\"\\u00e9\\\"\"}\r\n\n{\"id\":\"C2\",\"x\":[1]}\n"))
	f.Add([]byte(`{"id":"C1","n":1e400}` + "\n" + `[]` + "\n" + `{"id":"C3"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRead(t, data, ReadOptions{Format: FormatJSONL, IDColumn: "id"})
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			checkFlatObject(t, string(line))
		}
	})
}

// checkRead reads all of data and checks the invariants every input must
// keep: no panic, no fatal error from an in-memory reader, each record
// either a profile or a rejection, strictly increasing line numbers, and
// attribute values of the four allowed types that encode to JSON.
func checkRead(t *testing.T, data []byte, opts ReadOptions) {
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		return
	}
	prev := 0
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		require.NoError(t, err)
		require.Greater(t, rec.Line, prev, "line numbers must increase")
		prev = rec.Line
		if rec.Err != nil {
			require.Equal(t, rec.Line, rec.Err.Line)
			require.NotEmpty(t, rec.Err.Reason)
			require.Empty(t, rec.Profile.ID)
			continue
		}
		require.NotEmpty(t, rec.Profile.ID)
		require.True(t, utf8.ValidString(rec.Profile.ID))
		require.NotContains(t, rec.Profile.Attrs, opts.IDColumn)
		for k, v := range rec.Profile.Attrs {
			require.True(t, utf8.ValidString(k))
			switch v := v.(type) {
			case string:
				require.NotEmpty(t, v)
				require.True(t, utf8.ValidString(v))
			case int64, float64, bool:
			default:
				t.Fatalf("attribute %q has type %T", k, v)
			}
		}
		_, err = EncodeAttrs(rec.Profile.Attrs)
		require.NoError(t, err)
	}
}

// checkFlatObject compares parseFlatObject with encoding/json on one line.
func checkFlatObject(t *testing.T, s string) {
	if !utf8.ValidString(s) {
		return // the reader rejects such lines before parsing
	}
	fields, err := parseFlatObject(s, nil)
	valid := json.Valid([]byte(s))
	var nested *jsonNestedError
	switch {
	case errors.As(err, &nested):
		return
	case errors.Is(err, errNotObject):
		require.False(t, valid && strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "{"),
			"valid object %q called not an object", s)
		return
	case err != nil:
		require.False(t, valid, "parser rejected valid JSON %q: %v", s, err)
		return
	}
	require.True(t, valid, "parser accepted invalid JSON %q", s)
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var want map[string]any
	require.NoError(t, dec.Decode(&want))
	got := make(map[string]any, len(fields))
	for _, f := range fields {
		switch f.kind {
		case jsonString:
			got[f.key] = f.text
		case jsonNumber:
			got[f.key] = json.Number(f.text)
		case jsonBool:
			got[f.key] = f.b
		case jsonNull:
			got[f.key] = nil
		}
	}
	require.Equal(t, want, got, "line %q", s)
}
