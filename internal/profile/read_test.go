package profile_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"segbridge/internal/profile"
)

// row is the expected outcome of one record: a profile or a rejection.
type row struct {
	line   int
	id     string
	attrs  profile.Attrs
	reason string // non-empty: the row is rejected with this reason
}

// readAll reads every record of input and fails the test on a fatal error.
func readAll(t *testing.T, input string, opts profile.ReadOptions) []row {
	t.Helper()
	r, err := profile.NewReader(strings.NewReader(input), opts)
	require.NoError(t, err)
	var rows []row
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		require.NoError(t, err)
		if rec.Err != nil {
			require.Equal(t, rec.Line, rec.Err.Line)
			rows = append(rows, row{line: rec.Line, reason: rec.Err.Reason})
			continue
		}
		rows = append(rows, row{line: rec.Line, id: rec.Profile.ID, attrs: rec.Profile.Attrs})
	}
}

func csvOpts() profile.ReadOptions {
	return profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id"}
}

func TestReadCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		want  []row
	}{
		{
			name:  "comma",
			input: "id,email,age\nC1,a@example.com,42\nC2,b@example.com,\n",
			want: []row{
				{line: 2, id: "C1", attrs: profile.Attrs{"email": "a@example.com", "age": int64(42)}},
				{line: 3, id: "C2", attrs: profile.Attrs{"email": "b@example.com"}},
			},
		},
		{
			name:  "semicolon",
			input: "id;city;score\nC1;Praha, Czechia;1,5\n",
			want:  []row{{line: 2, id: "C1", attrs: profile.Attrs{"city": "Praha, Czechia", "score": "1,5"}}},
		},
		{
			name:  "tab",
			input: "id\tname\tvip\r\nC1\tAnn Lee\tTRUE\r\n",
			want:  []row{{line: 2, id: "C1", attrs: profile.Attrs{"name": "Ann Lee", "vip": true}}},
		},
		{
			name:  "BOM and trimmed header and cells",
			input: "\uFEFF id , city \n  C1 ,  Brno  \n",
			want:  []row{{line: 2, id: "C1", attrs: profile.Attrs{"city": "Brno"}}},
		},
		{
			name: "quoted fields with embedded newlines, quotes and delimiters",
			input: "id,note,city\n" +
				"C1,\"line one\nline two\",Praha\n" +
				"C2,\"say \"\"hi\"\", ok\",Brno\n" +
				"\"C3\",\"a\n\nb\",\"x\"\n" +
				"C4,plain,Ostrava\n",
			want: []row{
				{line: 2, id: "C1", attrs: profile.Attrs{"note": "line one\nline two", "city": "Praha"}},
				{line: 4, id: "C2", attrs: profile.Attrs{"note": `say "hi", ok`, "city": "Brno"}},
				{line: 5, id: "C3", attrs: profile.Attrs{"note": "a\n\nb", "city": "x"}},
				{line: 8, id: "C4", attrs: profile.Attrs{"note": "plain", "city": "Ostrava"}},
			},
		},
		{
			name:  "too many fields, fewer fields, empty id",
			input: "id,a,b\nC1,1,2,3\nC2,x\n,y,z\n  ,y,z\n",
			want: []row{
				{line: 2, reason: "has 4 fields, header has 3"},
				{line: 3, reason: "has 2 fields, header has 3"},
				{line: 4, reason: `empty id in column "id"`},
				{line: 5, reason: `empty id in column "id"`},
			},
		},
		{
			name:  "blank lines skipped, no final newline",
			input: "\n\nid,a\n\nC1,1\n   \n\r\nC2,2",
			want: []row{
				{line: 5, id: "C1", attrs: profile.Attrs{"a": int64(1)}},
				{line: 8, id: "C2", attrs: profile.Attrs{"a": int64(2)}},
			},
		},
		{
			name:  "bare quote and bad quoting rejected, reading goes on",
			input: "id,a\nC1,ab\"c\nC2,\"x\"y\nC3,ok\n",
			want: []row{
				{line: 2, reason: `malformed CSV: bare " in non-quoted-field (column 6)`},
				{line: 3, reason: `malformed CSV: extraneous or missing " in quoted-field (column 6)`},
				{line: 4, id: "C3", attrs: profile.Attrs{"a": "ok"}},
			},
		},
		{
			name:  "unterminated quote at end of input",
			input: "id,a\nC1,ok\nC2,\"never closed\nC3,x\n",
			want: []row{
				{line: 2, id: "C1", attrs: profile.Attrs{"a": "ok"}},
				{line: 3, reason: `malformed CSV: extraneous or missing " in quoted-field (line 4, column 6)`},
			},
		},
		{
			name:  "invalid UTF-8 rejected",
			input: "id,name\nC1,Jos\xe9\nC2,José\n",
			want: []row{
				{line: 2, reason: `invalid UTF-8 in column "name"`},
				{line: 3, id: "C2", attrs: profile.Attrs{"name": "José"}},
			},
		},
		{
			name:  "duplicate ids are all returned",
			input: "id,a\nC1,1\nC1,2\n",
			want: []row{
				{line: 2, id: "C1", attrs: profile.Attrs{"a": int64(1)}},
				{line: 3, id: "C1", attrs: profile.Attrs{"a": int64(2)}},
			},
		},
		{
			name:  "id column is always a string",
			input: "a,id\ntrue,007\nx,1.50\n",
			want: []row{
				{line: 2, id: "007", attrs: profile.Attrs{"a": true}},
				{line: 3, id: "1.50", attrs: profile.Attrs{"a": "x"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, readAll(t, tt.input, csvOpts()))
		})
	}
}

func TestReadCSVTyping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cell string
		want any // nil: absent
	}{
		{"", nil},
		{"   ", nil},
		{"true", true},
		{"FALSE", false},
		{"True", true},
		{"yes", "yes"},
		{"truthy", "truthy"},
		{"0", int64(0)},
		{"-0", int64(0)},
		{"42", int64(42)},
		{" -17 ", int64(-17)},
		{"9223372036854775807", int64(9223372036854775807)},
		{"-9223372036854775808", int64(-9223372036854775808)},
		{"9223372036854775808", "9223372036854775808"},
		{"-12.5", -12.5},
		{"0.25", 0.25},
		{"1e3", 1000.0},
		{"2.5E-2", 0.025},
		{"1e400", "1e400"},
		{"007", "007"},
		{"01234", "01234"},
		{"00.5", "00.5"},
		{"+1", "+1"},
		{".5", ".5"},
		{"1.", "1."},
		{"1e", "1e"},
		{"-", "-"},
		{"NaN", "NaN"},
		{"Inf", "Inf"},
		{"-Infinity", "-Infinity"},
		{"0x1F", "0x1F"},
		{"1_000", "1_000"},
		{"+420 777 123 456", "+420 777 123 456"},
		{"2024-01-02", "2024-01-02"},
		{"12 Main St", "12 Main St"},
	}
	var b strings.Builder
	b.WriteString("id;v\n")
	for i, tt := range tests {
		b.WriteString("C")
		b.WriteString(strings.Repeat("x", i))
		b.WriteString(";")
		b.WriteString(tt.cell)
		b.WriteString("\n")
	}
	rows := readAll(t, b.String(), csvOpts())
	require.Len(t, rows, len(tests))
	for i, tt := range tests {
		require.Empty(t, rows[i].reason, "cell %q", tt.cell)
		got, ok := rows[i].attrs["v"]
		if tt.want == nil {
			require.False(t, ok, "cell %q should be absent, got %#v", tt.cell, got)
			continue
		}
		require.Equal(t, tt.want, got, "cell %q", tt.cell)
	}
}

func TestNewReaderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		input string
		opts  profile.ReadOptions
		want  string
	}{
		{"missing id column", "id,email,phone\n", profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "customer_id"},
			`id column "customer_id" not found in header (columns: id, email, phone)`},
		{"duplicate header", "id,email, email\n", csvOpts(), `duplicate column "email" in CSV header (columns 2 and 3)`},
		{"empty header name", "id,,x\n", csvOpts(), `empty column name in CSV header (column 2)`},
		{"empty input", "", csvOpts(), "empty input: no CSV header row"},
		{"broken header", "id,\"a\n", csvOpts(), "read CSV header"},
		{"unknown format", "", profile.ReadOptions{Format: "xml", IDColumn: "id"}, "ReadOptions.Format"},
		{"no id column option", "", profile.ReadOptions{Format: profile.FormatCSV}, "ReadOptions.IDColumn: required"},
		{"bad delimiter", "", profile.ReadOptions{Format: profile.FormatCSV, IDColumn: "id", Delimiter: '"'}, "ReadOptions.Delimiter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := profile.NewReader(strings.NewReader(tt.input), tt.opts)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestReadCSVExplicitDelimiter(t *testing.T) {
	t.Parallel()
	opts := csvOpts()
	opts.Delimiter = '|'
	rows := readAll(t, "id|a,b\nC1|x,y\n", opts)
	require.Equal(t, []row{{line: 2, id: "C1", attrs: profile.Attrs{"a,b": "x,y"}}}, rows)
}

func TestFormatFromPath(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]profile.Format{
		"a.csv": profile.FormatCSV, "a.TSV": profile.FormatCSV, "noext": profile.FormatCSV,
		"a.jsonl": profile.FormatJSONL, "dir.x/A.NDJSON": profile.FormatJSONL, "a.json": profile.FormatJSONL,
	} {
		require.Equal(t, want, profile.FormatFromPath(path), path)
	}
	f, err := profile.ParseFormat(" JSONL ")
	require.NoError(t, err)
	require.Equal(t, profile.FormatJSONL, f)
	_, err = profile.ParseFormat("xml")
	require.ErrorContains(t, err, `unknown format "xml"`)
}

func TestRowErrorMessage(t *testing.T) {
	t.Parallel()
	err := &profile.RowError{Line: 12, Reason: "has 7 fields, header has 5"}
	require.EqualError(t, err, "line 12: has 7 fields, header has 5")
}
