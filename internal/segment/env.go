package segment

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
)

// ruleVar is the name a rule uses for the profile it is matched against.
const ruleVar = "p"

// Limits that keep a hostile rule from exhausting the parser, the checker or
// the evaluator. An ordinary rule is far below every one of them.
const (
	// maxRuleBytes caps the size of a rule's source text.
	maxRuleBytes = 10 << 10
	// maxRuleDepth caps the parser's recursion, i.e. how deeply
	// parentheses, calls and operators may nest.
	maxRuleDepth = 100
	// maxRuleNodes caps the expression nodes after macro expansion.
	maxRuleNodes = 5000
	// maxParseRecoveries caps the parser's attempts to recover from syntax
	// errors; the first error is the one reported anyway.
	maxParseRecoveries = 10
	// maxRegexProgramSize caps the compiled size of constant regular
	// expressions passed to matches().
	maxRegexProgramSize = 5000
	// ruleCostLimit caps the work of one evaluation in CEL cost units
	// (roughly one per comparison, field access or list element visited).
	// A typical rule costs under 50; a hostile rule (nested comprehensions,
	// chained string replacements) is stopped with an error after at most
	// about 10 ms of work.
	ruleCostLimit = 100_000
)

// newEnv returns the CEL environment rules compile in: p as
// map(string, dyn), int/double cross-type comparisons, the standard library
// plus the strings extension, the limits above, and validation of constant
// regular expressions, durations and timestamps.
//
// The environment is built per Compile (a fraction of a millisecond) rather than
// kept in a package variable; rules are compiled rarely and matched often.
func newEnv() (*cel.Env, error) {
	env, err := cel.NewEnv(
		cel.Variable(ruleVar, cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
		cel.ParserExpressionSizeLimit(maxRuleBytes),
		cel.ParserRecursionLimit(maxRuleDepth),
		cel.ParserErrorRecoveryLimit(maxParseRecoveries),
		cel.ExpressionNodeLimit(maxRuleNodes),
		cel.RegexProgramSizeLimit(maxRegexProgramSize),
		// Report bad constant regexes, durations and timestamps at their
		// position when compiling, rather than failing to plan.
		cel.ASTValidators(
			cel.ValidateRegexLiterals(),
			cel.ValidateDurationLiterals(),
			cel.ValidateTimestampLiterals(),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return env, nil
}

// programOptions are the options every rule's program is planned with.
func programOptions() []cel.ProgramOption {
	return []cel.ProgramOption{
		cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(ruleCostLimit),
	}
}
