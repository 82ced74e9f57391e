package segment

import (
	"fmt"
	"strings"
	"unicode"

	"cel.dev/cel-go/cel"
)

// RuleError points at the position of the first problem in the rule.
// Line and Column are 1-based; Column counts Unicode code points, as CEL does.
type RuleError struct {
	Line, Column int
	Msg          string
	Source       string
}

// Error returns the problem on one line, e.g.
// "rule error at line 1, column 14: undeclared reference to 'foo'".
func (e *RuleError) Error() string {
	return fmt.Sprintf("rule error at line %d, column %d: %s", e.Line, e.Column, oneLine(e.Msg))
}

// snippetWidth is how many code points of a long line Snippet shows around
// the problem.
const snippetWidth = 80

// Snippet returns a two-line caret display of the offending line, for the
// CLI to print under the error:
//
//	p.country == "CZ" && foo.bar
//	                     ^
//
// Lines longer than 80 code points are cut to a window around the caret,
// marked with "…"; control characters are shown as '?'. It returns "" when
// the position is outside Source.
func (e *RuleError) Snippet() string {
	lines := strings.Split(e.Source, "\n")
	if e.Line < 1 || e.Line > len(lines) {
		return ""
	}
	line := []rune(strings.TrimSuffix(lines[e.Line-1], "\r"))
	col := min(max(e.Column-1, 0), len(line))
	line, col = snippetWindow(line, col)
	var src, caret strings.Builder
	for i, r := range line {
		switch {
		case r == '\t':
			src.WriteRune(r)
		case unicode.IsControl(r):
			src.WriteRune('?')
		default:
			src.WriteRune(r)
		}
		if i < col {
			caret.WriteRune(padFor(r))
		}
	}
	caret.WriteRune('^')
	return src.String() + "\n" + caret.String()
}

// snippetWindow cuts line to about snippetWidth code points around col and
// returns the cut line with col adjusted to it.
func snippetWindow(line []rune, col int) ([]rune, int) {
	if len(line) <= snippetWidth {
		return line, col
	}
	start := max(col-snippetWidth/2, 0)
	end := min(start+snippetWidth, len(line))
	start = max(end-snippetWidth, 0)
	out := make([]rune, 0, snippetWidth+2)
	if start > 0 {
		out = append(out, '…')
		col = col - start + 1
	}
	out = append(out, line[start:end]...)
	if end < len(line) {
		out = append(out, '…')
	}
	return out, col
}

// padFor returns what goes under r in the caret line so the caret stays
// aligned: a tab under a tab, a space under anything else.
func padFor(r rune) rune {
	if r == '\t' {
		return '\t'
	}
	return ' '
}

// oneLine escapes line breaks and other control characters in msg so an
// error message stays on one line.
func oneLine(msg string) string {
	if !strings.ContainsFunc(msg, unicode.IsControl) {
		return msg
	}
	var b strings.Builder
	for _, r := range msg {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// issuesError turns CEL's parse or check errors into a RuleError for the
// earliest positioned one. Errors without a position (e.g. a limit
// exceeded) sort last and are reported at line 1, column 1.
func issuesError(src string, errs []*cel.Error) *RuleError {
	if len(errs) == 0 {
		return &RuleError{Line: 1, Column: 1, Msg: "invalid rule", Source: src}
	}
	first := errs[0]
	for _, e := range errs[1:] {
		if positionBefore(e, first) {
			first = e
		}
	}
	line, col := 1, 1
	if first.Location != nil && first.Location.Line() >= 1 {
		line = first.Location.Line()
		col = max(first.Location.Column()+1, 1)
	}
	return &RuleError{Line: line, Column: col, Msg: first.Message, Source: src}
}

// positionBefore reports whether a is positioned strictly before b; an error
// without a position is never before one with a position.
func positionBefore(a, b *cel.Error) bool {
	aLine, aCol := errorPos(a)
	bLine, bCol := errorPos(b)
	switch {
	case aLine < 1:
		return false
	case bLine < 1:
		return true
	case aLine != bLine:
		return aLine < bLine
	default:
		return aCol < bCol
	}
}

func errorPos(e *cel.Error) (line, col int) {
	if e.Location == nil {
		return -1, -1
	}
	return e.Location.Line(), e.Location.Column()
}

// firstToken returns the 1-based line and column of the first
// non-whitespace character of src.
func firstToken(src string) (line, col int) {
	line, col = 1, 1
	for _, r := range src {
		switch {
		case r == '\n':
			line, col = line+1, 1
		case unicode.IsSpace(r):
			col++
		default:
			return line, col
		}
	}
	return 1, 1
}
