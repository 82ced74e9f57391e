package segment

import (
	"errors"
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"segbridge/internal/profile"
)

// Rule is a compiled, checked CEL segment rule. Safe for concurrent use by
// many goroutines.
type Rule struct {
	src        string
	prg        cel.Program
	attrs      []string
	attrsKnown bool
	ast        *cel.Ast
}

// Compile parses and type-checks expr with every attribute of dynamic
// type. On failure it returns a *RuleError.
//
// A rule must evaluate to a bool. A rule whose type is only known at run
// time (p.vip, where vip is a bool attribute) compiles, and Match reports an
// error for a profile where it is not a bool.
func Compile(expr string) (*Rule, error) { return CompileTyped(expr, nil) }

// CompileTyped is Compile with attrTypes, the types of known attributes
// (the profile schema's, profile.Schema.Types): p.orders > "x" is refused at its
// position when orders is an integer. p stays a map: p.name of an
// attribute not in attrTypes is dynamic, and so is p["name"]; a mixed
// attribute is dynamic too. Dates and timestamps are strings.
func CompileTyped(expr string, attrTypes map[string]profile.Type) (rule *Rule, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			rule = nil
			err = &RuleError{Line: 1, Column: 1, Msg: fmt.Sprintf("internal error compiling rule: %v", rec), Source: expr}
		}
	}()
	if rerr := precheck(expr); rerr != nil {
		return nil, rerr
	}
	env, err := newEnv()
	if err != nil {
		return nil, &RuleError{Line: 1, Column: 1, Msg: err.Error(), Source: expr}
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, issuesError(expr, iss.Errors())
	}
	out := ast.OutputType()
	if len(attrTypes) > 0 {
		if out, err = typeCheck(expr, attrTypes); err != nil {
			return nil, err
		}
	}
	if out.Kind() != types.BoolKind && out.Kind() != types.DynKind {
		line, col := firstToken(expr)
		return nil, &RuleError{Line: line, Column: col, Msg: fmt.Sprintf("rule must evaluate to a bool, got %s", cel.FormatCELType(out)), Source: expr}
	}
	if rerr := checkCost(env, ast, expr); rerr != nil {
		return nil, rerr
	}
	prg, err := env.Program(ast, programOptions()...)
	if err != nil {
		return nil, &RuleError{Line: 1, Column: 1, Msg: fmt.Sprintf("plan rule: %v", err), Source: expr}
	}
	attrs, known := referencedAttributes(ast)
	return &Rule{src: expr, prg: prg, attrs: attrs, attrsKnown: known, ast: ast}, nil
}

// precheck rejects empty and oversized rules before CEL sees them, with
// clearer messages than the parser's.
func precheck(expr string) *RuleError {
	if strings.TrimSpace(expr) == "" {
		return &RuleError{Line: 1, Column: 1, Msg: "rule is empty", Source: expr}
	}
	if len(expr) > maxRuleBytes {
		return &RuleError{Line: 1, Column: 1, Msg: fmt.Sprintf("rule is too long: %d bytes, at most %d", len(expr), maxRuleBytes), Source: expr}
	}
	return nil
}

// Source returns the rule's text as given to Compile.
func (r *Rule) Source() string { return r.src }

// Match evaluates the rule for one profile's attributes.
//
// A rule that cannot be decided without an absent attribute is a non-match:
// (false, nil). Any other evaluation error, such as a string compared with a
// number or the cost limit exceeded, is returned as (false, err).
func (r *Rule) Match(a profile.Attrs) (matched bool, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			matched, err = false, fmt.Errorf("evaluate segment rule: internal error: %v", rec)
		}
	}()
	out, _, err := r.prg.Eval(attrsActivation(a))
	if err != nil {
		if isMissingAttribute(err) {
			return false, nil
		}
		return false, evalError(err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("evaluate segment rule: result is %s, not bool", out.Type().TypeName())
	}
	return bool(b), nil
}

// attrsActivation binds the rule variable p to one profile's attributes.
// It is a map type, so passing it as an interpreter.Activation allocates
// nothing, and it hands CEL a plain map[string]any, which the interpreter
// indexes directly without converting the whole map.
type attrsActivation map[string]any

// ResolveName implements interpreter.Activation.
func (a attrsActivation) ResolveName(name string) (any, bool) {
	if name != ruleVar {
		return nil, false
	}
	return map[string]any(a), true
}

// Parent implements interpreter.Activation.
func (attrsActivation) Parent() interpreter.Activation { return nil }

// noSuchKeyPrefix starts the message of the error CEL evaluates a lookup of
// an absent map key to (interpreter.resolutionError, which is unexported;
// TestMissingKeyMessage pins the text).
const noSuchKeyPrefix = "no such key: "

// isMissingAttribute reports whether err is CEL's absent-key error. Such an
// error reaches the result only when the rule's && / || / ?: could not decide
// without the absent value.
func isMissingAttribute(err error) bool {
	var celErr *types.Err
	return errors.As(err, &celErr) && strings.HasPrefix(celErr.Error(), noSuchKeyPrefix)
}

// evalError wraps a runtime error, explaining CEL's terse overload message.
func evalError(err error) error {
	if err.Error() == "no such overload" {
		return fmt.Errorf("evaluate segment rule: %w (an operator or function got a value of a type it does not accept, e.g. a string compared with a number)", err)
	}
	return fmt.Errorf("evaluate segment rule: %w", err)
}
