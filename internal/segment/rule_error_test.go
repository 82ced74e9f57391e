package segment

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rule      string
		line, col int
		msg       string
	}{
		{"undeclared variable", `q.country == "CZ"`, 1, 1, "undeclared reference to 'q'"},
		{"undeclared after and", `p.country == "CZ" && foo`, 1, 22, "undeclared reference to 'foo'"},
		{"unknown method", `p.x.frobnicate()`, 1, 15, "undeclared reference to 'frobnicate'"},
		{"unknown function", `nosuch(p)`, 1, 7, "undeclared reference to 'nosuch'"},
		{"syntax: dangling operator", `p.orders >`, 1, 11, "Syntax error: mismatched input '<EOF>'"},
		{"syntax: extra paren", `p.orders > 3)`, 1, 13, "Syntax error: extraneous input ')'"},
		{"syntax: bad token", `p.orders > 3 # 4`, 1, 14, "Syntax error: token recognition error at: '#"},
		{"empty", ``, 1, 1, "rule is empty"},
		{"blank", " \n\t ", 1, 1, "rule is empty"},
		{"error on line 2", "p.orders > 3 &&\n  foo.bar == 1", 2, 3, "undeclared reference to 'foo'"},
		{"syntax error on line 3", "p.orders > 3\n&& p.vip\n&& (p.x ==", 3, 11, "Syntax error"},
		{"columns count code points", `"čč" + foo == ""`, 1, 8, "undeclared reference to 'foo'"},
		{"static type mismatch", `1 > "3"`, 1, 3, "found no matching overload for '_>_' applied to '(int, string)'"},
		{"bad regex literal", `p.email.matches("[a-")`, 1, 17, "invalid matches argument"},
		{"bad duration literal", `duration("1x") > duration("1s")`, 1, 10, "invalid duration argument"},
		{"non-bool int", `p.orders + 1`, 1, 1, "rule must evaluate to a bool, got int"},
		{"non-bool string", "\n  'x' + p.name", 2, 3, "rule must evaluate to a bool, got string"},
		{"non-bool list", `[p.orders]`, 1, 1, "rule must evaluate to a bool, got list(dyn)"},
		{"too long", "p.x == '" + strings.Repeat("a", maxRuleBytes) + "'", 1, 1, "rule is too long"},
		{"too deep", strings.Repeat("(", 200) + "true" + strings.Repeat(")", 200), 1, 1, "recursion"},
		{"too many nodes", "[" + strings.Repeat("[1],", maxRuleNodes/2) + "[1]].size() > 0", 1, 1, "node count exceeds limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compile(tt.rule)
			require.Nil(t, r)
			var re *RuleError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tt.line, re.Line, "line; %v", err)
			require.Contains(t, re.Msg, tt.msg)
			require.Equal(t, tt.col, re.Column, "column; %v", err)
			require.Equal(t, tt.rule, re.Source)
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

func TestRuleErrorText(t *testing.T) {
	t.Parallel()
	_, err := Compile(`p.country == "CZ" && foo`)
	var re *RuleError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "rule error at line 1, column 22: undeclared reference to 'foo'", re.Error())
	require.Equal(t, ""+
		`p.country == "CZ" && foo`+"\n"+
		`                     ^`, re.Snippet())
}

func TestRuleErrorSnippet(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 100) + "X" + strings.Repeat("b", 100)
	tests := []struct {
		name string
		err  RuleError
		want string
	}{
		{"second line", RuleError{Line: 2, Column: 3, Source: "p.x == 1 &&\n  foo"}, "  foo\n  ^"},
		{"tabs stay aligned", RuleError{Line: 1, Column: 3, Source: "\t\tfoo"}, "\t\tfoo\n\t\t^"},
		{"end of line", RuleError{Line: 1, Column: 11, Source: "p.orders >"}, "p.orders >\n          ^"},
		{"column past end is clamped", RuleError{Line: 1, Column: 99, Source: "ab"}, "ab\n  ^"},
		{"CRLF", RuleError{Line: 1, Column: 2, Source: "ab\r\ncd"}, "ab\n ^"},
		{"control characters masked", RuleError{Line: 1, Column: 3, Source: "a\x1bb"}, "a?b\n  ^"},
		{"line out of range", RuleError{Line: 3, Column: 1, Source: "a\nb"}, ""},
		{"long line windowed", RuleError{Line: 1, Column: 101, Source: long},
			"…" + strings.Repeat("a", 40) + "X" + strings.Repeat("b", 39) + "…\n" + strings.Repeat(" ", 41) + "^"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.err.Snippet())
		})
	}
}

func TestRuleErrorOneLine(t *testing.T) {
	t.Parallel()
	e := &RuleError{Line: 1, Column: 2, Msg: "bad\ninput '\x1b'\t"}
	require.Equal(t, `rule error at line 1, column 2: bad\ninput '\u001b'\t`, e.Error())
}
