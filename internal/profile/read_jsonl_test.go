package profile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

func jsonlOpts() profile.ReadOptions {
	return profile.ReadOptions{Format: profile.FormatJSONL, IDColumn: "id"}
}

func TestReadJSONL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  []row
	}{
		{
			name: "types",
			input: `{"id":"C1","s":"x","i":42,"neg":-7,"f":1.5,"exp":1e3,"big":12345678901234567890,` +
				`"b":true,"nb":false,"n":null,"e":"","ws":"  "}` + "\n",
			want: []row{{line: 1, id: "C1", attrs: profile.Attrs{
				"s": "x", "i": int64(42), "neg": int64(-7), "f": 1.5, "exp": 1000.0,
				"big": 12345678901234567890.0, "b": true, "nb": false, "ws": "  ",
			}}},
		},
		{
			name:  "escapes, unicode, whitespace, BOM, CRLF, no final newline",
			input: "\uFEFF { \"id\" : \" C1 \" , \"q\" : \"a\\\"b\\u00e9\\n\\/\" , \"name\":\"Dvořák\" }\r\n{\"id\":\"C2\"}",
			want: []row{
				{line: 1, id: "C1", attrs: profile.Attrs{"q": "a\"bé\n/", "name": "Dvořák"}},
				{line: 2, id: "C2", attrs: profile.Attrs{}},
			},
		},
		{
			name:  "numeric id",
			input: `{"id":123,"a":1}` + "\n" + `{"id":-5}` + "\n" + `{"id":1.5}` + "\n" + `{"id":true}` + "\n",
			want: []row{
				{line: 1, id: "123", attrs: profile.Attrs{"a": int64(1)}},
				{line: 2, id: "-5", attrs: profile.Attrs{}},
				{line: 3, reason: `id field "id" must be a string or an integer`},
				{line: 4, reason: `id field "id" must be a string or an integer`},
			},
		},
		{
			name:  "missing and empty id",
			input: `{"a":1}` + "\n" + `{"id":""}` + "\n" + `{"id":"  "}` + "\n" + `{"id":null}` + "\n",
			want: []row{
				{line: 1, reason: `missing id field "id"`},
				{line: 2, reason: `empty id in field "id"`},
				{line: 3, reason: `empty id in field "id"`},
				{line: 4, reason: `empty id in field "id"`},
			},
		},
		{
			name:  "nested rejected",
			input: `{"id":"C1","x":{"y":1}}` + "\n" + `{"id":"C2","tags":["a"]}` + "\n" + `{"id":"C3"}` + "\n",
			want: []row{
				{line: 1, reason: `attribute "x": nested objects and arrays are not supported`},
				{line: 2, reason: `attribute "tags": nested objects and arrays are not supported`},
				{line: 3, id: "C3", attrs: profile.Attrs{}},
			},
		},
		{
			name: "bad JSON lines numbered, blank lines skipped",
			input: "\n" + `{"id":"C1"}` + "\n  \n" + `{"id":"C2",}` + "\n" + `[1,2]` + "\n" + `{"id":"C3"} x` + "\n" +
				`{"id":"C4","a":tru}` + "\n" + `{"id":"C5","a":"x` + "\n" + `{"id":"C6","a":01}` + "\n" +
				`{"id":"C7","a":"\x"}` + "\n" + "{\"id\":\"C8\",\"a\":\"\t\"}\n" + `{"id":"C9"}` + "\n",
			want: []row{
				{line: 2, id: "C1", attrs: profile.Attrs{}},
				{line: 4, reason: "invalid JSON at column 12: expected a string key"},
				{line: 5, reason: "not a JSON object"},
				{line: 6, reason: "invalid JSON at column 13: unexpected data after the object"},
				{line: 7, reason: "invalid JSON at column 16: invalid value"},
				{line: 8, reason: "invalid JSON at column 18: unterminated string"},
				{line: 9, reason: "invalid JSON at column 17: expected ',' or '}' after object member"},
				{line: 10, reason: "invalid JSON at column 16: invalid escape in string"},
				{line: 11, reason: "invalid JSON at column 17: control character in string"},
				{line: 12, id: "C9", attrs: profile.Attrs{}},
			},
		},
		{
			name:  "semantic rejections",
			input: `{"id":"C1","n":1e400}` + "\n" + `{"id":"C2","":1}` + "\n" + "{\"id\":\"C3\",\"a\":\"\xff\"}\n",
			want: []row{
				{line: 1, reason: `attribute "n": number 1e400 is out of range`},
				{line: 2, reason: "empty attribute name"},
				{line: 3, reason: "invalid UTF-8"},
			},
		},
		{
			name:  "later duplicate key wins, null removes",
			input: `{"id":"C1","a":1,"a":2,"b":1,"b":null,"id":"C2"}` + "\n",
			want:  []row{{line: 1, id: "C2", attrs: profile.Attrs{"a": int64(2)}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, readAll(t, tt.input, jsonlOpts()))
		})
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	t.Parallel()
	long := `{"id":"C1","a":"` + strings.Repeat("x", 16<<20) + `"}`
	input := `{"id":"C0"}` + "\n" + long + "\n" + `{"id":"C2"}` + "\n"
	rows := readAll(t, input, jsonlOpts())
	require.Equal(t, []row{
		{line: 1, id: "C0", attrs: profile.Attrs{}},
		{line: 2, reason: "line longer than 16777216 bytes"},
		{line: 3, id: "C2", attrs: profile.Attrs{}},
	}, rows)

	// A line longer than the read buffer but within the limit is read whole.
	medium := strings.Repeat("y", 200<<10)
	rows = readAll(t, `{"id":"C1","a":"`+medium+`"}`, jsonlOpts())
	require.Equal(t, []row{{line: 1, id: "C1", attrs: profile.Attrs{"a": medium}}}, rows)
}

// failingReader returns data, then err on every later Read.
type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadFailingInput(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("disk on fire")
	tests := []struct {
		name string
		opts profile.ReadOptions
		data string
	}{
		{"csv", csvOpts(), "id,a\nC1,1\nC2,2\nC3,"},
		{"jsonl", jsonlOpts(), "{\"id\":\"C1\"}\n{\"id\":\"C2\"}\n{\"id\":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := profile.NewReader(&failingReader{data: tt.data, err: errBoom}, tt.opts)
			require.NoError(t, err)
			for _, id := range []string{"C1", "C2"} {
				rec, err := r.Next()
				require.NoError(t, err)
				require.Equal(t, id, rec.Profile.ID)
			}
			_, err = r.Next()
			require.ErrorIs(t, err, errBoom)
			var rowErr *profile.RowError
			require.False(t, errors.As(err, &rowErr))
			_, again := r.Next()
			require.ErrorIs(t, again, errBoom, "the fatal error is sticky")
		})
	}
	t.Run("header", func(t *testing.T) {
		t.Parallel()
		_, err := profile.NewReader(&failingReader{data: "id,a", err: errBoom}, csvOpts())
		require.ErrorIs(t, err, errBoom)
	})
}
