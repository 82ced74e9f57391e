package profile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// inputBufferSize is the read buffer for both formats; the CSV delimiter is
// detected from the header line within its first inputBufferSize bytes.
const inputBufferSize = 64 << 10

// utf8BOM is the byte order mark some tools put at the start of UTF-8 files.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvSource reads profiles from CSV with a header row.
type csvSource struct {
	r      *csv.Reader
	header []string // trimmed column names
	idIdx  int      // index of the id column in header
	typing []typing // how each column's values are typed
}

func newCSVSource(r io.Reader, opts ReadOptions) (*csvSource, error) {
	br := bufio.NewReaderSize(r, inputBufferSize)
	if err := skipBOM(br); err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	delim := opts.Delimiter
	if delim == 0 {
		d, err := detectDelimiter(br)
		if err != nil {
			return nil, fmt.Errorf("read CSV header: %w", err)
		}
		delim = d
	}
	cr := csv.NewReader(br)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := readHeader(cr)
	if err != nil {
		return nil, err
	}
	idName := strings.TrimSpace(opts.IDColumn)
	idIdx := -1
	for i, name := range header {
		if name == idName {
			idIdx = i
		}
	}
	if idIdx < 0 {
		return nil, fmt.Errorf("id column %q not found in header (columns: %s)", idName, listColumns(header))
	}
	typings := make([]typing, len(header))
	for i, name := range header {
		typings[i] = typingFor(name, opts.Types)
	}
	return &csvSource{r: cr, header: header, idIdx: idIdx, typing: typings}, nil
}

// skipBOM discards a UTF-8 byte order mark at the start of br.
func skipBOM(br *bufio.Reader) error {
	b, err := br.Peek(len(utf8BOM))
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	return nil
}

// detectDelimiter picks the most frequent of ',', ';' and '\t' outside
// quotes on the first non-empty line (the header); ',' when none occurs. It
// peeks no further than the end of that line (or a full read buffer), so a
// read error after the header is left for the rows to report.
func detectDelimiter(br *bufio.Reader) (rune, error) {
	n := 1
	for {
		b, err := br.Peek(n)
		d, complete := scanHeaderLine(b)
		if complete || len(b) == br.Size() || errors.Is(err, io.EOF) {
			return d, nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return 0, err
		}
		n = min(br.Buffered()+1, br.Size())
	}
}

// scanHeaderLine counts candidate delimiters outside quotes on the first
// non-empty line of b and reports whether that line ended within b.
func scanHeaderLine(b []byte) (delim rune, complete bool) {
	var commas, semis, tabs int
	inQuote, started := false, false
	for _, c := range b {
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n' || c == '\r':
			if started {
				return pickDelimiter(commas, semis, tabs), true
			}
		case c == ',':
			commas++
		case c == ';':
			semis++
		case c == '\t':
			tabs++
		}
		started = started || (c != '\n' && c != '\r')
	}
	return pickDelimiter(commas, semis, tabs), false
}

func pickDelimiter(commas, semis, tabs int) rune {
	switch {
	case semis > commas && semis >= tabs:
		return ';'
	case tabs > commas && tabs > semis:
		return '\t'
	default:
		return ','
	}
}

// readHeader reads the header row and checks its names: valid UTF-8,
// non-empty after trimming, unique.
func readHeader(cr *csv.Reader) ([]string, error) {
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty input: no CSV header row")
	}
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	header := make([]string, len(rec))
	seen := make(map[string]int, len(rec))
	for i, name := range rec {
		if !utf8.ValidString(name) {
			return nil, fmt.Errorf("CSV header column %d is not valid UTF-8 (%s)", i+1, convertHint)
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("empty column name in CSV header (column %d)", i+1)
		}
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("duplicate column %q in CSV header (columns %d and %d)", name, j+1, i+1)
		}
		seen[name] = i
		header[i] = name
	}
	return header, nil
}

// listColumns names up to the first 10 header columns for error messages.
func listColumns(header []string) string {
	const maxListed = 10
	if len(header) > maxListed {
		return strings.Join(header[:maxListed], ", ") + ", ..."
	}
	return strings.Join(header, ", ")
}

func (s *csvSource) next() (Record, error) {
	for {
		rec, err := s.r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return rejected(pe.StartLine, parseErrorReason(pe)), nil
			}
			if errors.Is(err, io.EOF) {
				return Record{}, io.EOF
			}
			return Record{}, fmt.Errorf("read CSV: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of blanks
		}
		line, _ := s.r.FieldPos(0)
		return s.record(line, rec), nil
	}
}

// record turns one CSV row into a Record: the id column to Profile.ID, the
// other non-empty cells typed into Attrs.
func (s *csvSource) record(line int, rec []string) Record {
	if len(rec) != len(s.header) {
		// A short row would replace the stored profile without the
		// attributes of its missing columns.
		return rejectedAs(line, CodeFieldCount, fmt.Sprintf("has %d fields, header has %d", len(rec), len(s.header)))
	}
	var id string
	attrs := make(Attrs, len(rec))
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return rejectedAs(line, CodeInvalidUTF8, fmt.Sprintf("invalid UTF-8 in column %q", s.header[i]))
		}
		cell = strings.TrimSpace(cell)
		if i == s.idIdx {
			id = cell
			continue
		}
		if cell != "" {
			v, err := s.typing[i].cell(cell)
			if err != nil {
				return rejectedAs(line, CodeInvalidValue, fmt.Sprintf("column %q: %v", s.header[i], err))
			}
			attrs[s.header[i]] = v
		}
	}
	if id == "" {
		return rejected(line, fmt.Sprintf("empty id in column %q", s.header[s.idIdx]))
	}
	return Record{Line: line, Profile: Profile{ID: id, Attrs: attrs}}
}

func parseErrorReason(pe *csv.ParseError) string {
	if pe.Line != pe.StartLine {
		return fmt.Sprintf("malformed CSV: %v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
	}
	return fmt.Sprintf("malformed CSV: %v (column %d)", pe.Err, pe.Column)
}
